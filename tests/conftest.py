"""Shared fixtures. ``open_dataset`` runs a test once per store kind (the conformance suite)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from neo4j_fixture import (  # noqa: F401
    neo4j_auth,
    neo4j_database,
    neo4j_driver,
    neo4j_server_factory,
    neo4j_uri,
    wipe_database,
)

ROOT = Path(__file__).resolve().parent.parent

STORE_KINDS = ["embedded", "neo4j"]


@pytest.fixture(params=STORE_KINDS)
def open_dataset(request: pytest.FixtureRequest) -> Callable[[Path], object]:
    """A function that puts a dataset folder into this run's store and opens it."""
    from graphtrace.stores import EmbeddedStore

    if request.param == "embedded":
        return lambda folder: EmbeddedStore(folder)
    if request.param == "neo4j":
        from graphtrace.stores.neo4j_ import Neo4jStore
        from graphtrace.validate import load_dataset

        driver = request.getfixturevalue("neo4j_driver")
        uri = request.getfixturevalue("neo4j_uri")
        auth = request.getfixturevalue("neo4j_auth")
        database = request.getfixturevalue("neo4j_database")
        user, password = auth if auth else (None, None)

        def open_neo4j(folder: Path) -> Neo4jStore:
            wipe_database(driver, database)
            store = Neo4jStore(uri, username=user, password=password, database=database)
            store.load(load_dataset(folder))
            return store

        return open_neo4j
    raise AssertionError(request.param)
