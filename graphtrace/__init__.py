"""graphtrace: trace Xinjiang-origin (UFLPA) risk through supplier tiers to finished goods.

Library first: ``read_inputs`` -> ``validate`` -> ``build_graph`` -> ``screen`` ->
``propagate_risk`` -> ``trace_sku`` / ``impact``; ``open_store`` picks a dataset folder or a
Neo4j URI.
"""

from __future__ import annotations

__version__ = "0.1.0"

from importlib import import_module
from typing import Any

#: Public name -> module that defines it (imported on first use, so the CLI starts fast).
_EXPORTS = {
    "Graph": "build",
    "build_graph": "build",
    "GraphError": "errors",
    "GraphtraceError": "errors",
    "InputError": "errors",
    "StoreError": "errors",
    "ValidationFailed": "errors",
    "Trace": "explain",
    "impact": "explain",
    "trace_sku": "explain",
    "Dataset": "model",
    "EntityEntry": "model",
    "Issue": "model",
    "Reason": "model",
    "ValidationReport": "model",
    "Propagation": "propagate",
    "propagate_risk": "propagate",
    "read_inputs": "read",
    "read_entity_list": "screen",
    "screen": "screen",
    "open_store": "stores",
    "load_dataset": "validate",
    "validate": "validate",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'graphtrace' has no attribute {name!r}")
    return getattr(import_module(f"graphtrace.{module}"), name)


__all__ = [
    "Dataset",
    "EntityEntry",
    "Graph",
    "GraphError",
    "GraphtraceError",
    "InputError",
    "Issue",
    "Propagation",
    "Reason",
    "StoreError",
    "Trace",
    "ValidationFailed",
    "ValidationReport",
    "__version__",
    "build_graph",
    "impact",
    "load_dataset",
    "open_store",
    "propagate_risk",
    "read_entity_list",
    "read_inputs",
    "screen",
    "trace_sku",
    "validate",
]
