"""The store interface the commands use, and ``open_store`` to pick one from a path or URI."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from graphtrace.errors import InputError

if TYPE_CHECKING:
    from graphtrace.model import Dataset
    from graphtrace.propagate import Propagation

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def is_uri(target: str) -> bool:
    """True for a Neo4j URI such as ``neo4j://host:7687``."""
    scheme, sep, _ = target.partition("://")
    return bool(sep) and scheme.lower() in NEO4J_SCHEMES


class Store(ABC):
    """A place that holds one dataset and hands it to the algorithms as typed frames.

    ``upstream`` and ``downstream`` may return a smaller dataset that is closed under what the
    question needs (every input of every node in it); the embedded store returns everything.
    """

    location: str

    @abstractmethod
    def dataset(self) -> Dataset:
        """The whole dataset."""

    def upstream(self, sku: str) -> Dataset:
        """A dataset holding at least ``sku`` and everything upstream of it."""
        return self.dataset()

    def downstream(self, facility_id: str) -> Dataset:
        """A dataset holding at least everything ``facility_id`` feeds, with all their inputs."""
        return self.dataset()

    def write_results(self, propagation: Propagation) -> int:
        """Store the results as node properties; return how many nodes were written."""
        raise InputError(
            "--write-back needs a Neo4j store: results of a dataset folder are written with "
            "--output"
        )

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_store(
    target: str | Path,
    *,
    username: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> Store:
    """Open ``target``: a dataset folder or .xlsx workbook, or a Neo4j URI."""
    text = str(target)
    if is_uri(text):
        from graphtrace.stores.neo4j_ import Neo4jStore

        return Neo4jStore(text, username=username, password=password, database=database)
    if "://" in text:
        raise InputError(
            f"unsupported store {text!r}: give a dataset folder, an .xlsx workbook or a URI "
            f"starting with one of {', '.join(s + '://' for s in NEO4J_SCHEMES)}"
        )
    from graphtrace.stores.embedded import EmbeddedStore

    return EmbeddedStore(text)
