"""Stores: where a dataset lives. A folder (or .xlsx workbook) is the embedded default; a
``neo4j://``, ``neo4j+s://``, ``bolt://`` or ``bolt+s://`` URI is a shared Neo4j database."""

from __future__ import annotations

from graphtrace.stores.base import NEO4J_SCHEMES, Store, is_uri, open_store
from graphtrace.stores.embedded import EmbeddedStore

__all__ = ["NEO4J_SCHEMES", "EmbeddedStore", "Store", "is_uri", "open_store"]
