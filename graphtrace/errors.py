"""One exception tree for everything graphtrace raises.

The CLI catches :class:`GraphtraceError` in one place, prints ``str(error)`` and exits with
``error.exit_code``; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphtrace.model import ValidationReport


class GraphtraceError(Exception):
    """Catch-all for errors emitted by graphtrace. Messages end with what to try next."""

    exit_code = 2


class InputError(GraphtraceError):
    """A file, option or id the user gave cannot be used (unreadable file, unknown SKU, ...)."""


class ValidationFailed(GraphtraceError):
    """The dataset has problems; ``report`` lists every one of them."""

    exit_code = 1

    def __init__(self, report: ValidationReport, message: str | None = None) -> None:
        self.report = report
        n = len(report.errors)
        super().__init__(
            message
            or f"the dataset has {n} problem{'s' if n != 1 else ''}: fix "
            f"{'them' if n != 1 else 'it'} and try again (`graphtrace validate` lists them)"
        )


class StoreError(GraphtraceError):
    """A store cannot be opened, read or written (server down, wrong credentials, ...)."""


class GraphError(GraphtraceError):
    """The graph cannot be evaluated as asked (for example a cycle of sub-assemblies)."""
