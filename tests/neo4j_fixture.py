"""pytest fixtures for tests against a real Neo4j 5.26 server.

Wire them in from tests/conftest.py with::

    from neo4j_fixture import (  # noqa: F401
        neo4j_auth, neo4j_database, neo4j_driver, neo4j_server_factory, neo4j_uri,
    )

Fixtures:
- ``neo4j_uri`` (session): ``GRAPHTRACE_TEST_NEO4J_URI`` if set (e.g. the server of
  docker/docker-compose.yml), else a server built and started by tests/neo4jserver.py (Bolt on a
  free loopback port, auth off), stopped at the end of the session. If it cannot start, every
  test using it FAILS with the server log tail; Neo4j tests are never skipped (not locally, not
  with CI=true).
- ``neo4j_auth`` (session): ``None`` for the built-in server; for an external one
  ``(GRAPHTRACE_TEST_NEO4J_USERNAME or "neo4j", GRAPHTRACE_TEST_NEO4J_PASSWORD)`` when a password
  is set.
- ``neo4j_database`` (session): ``GRAPHTRACE_TEST_NEO4J_DATABASE`` or ``"neo4j"``.
- ``neo4j_driver`` (function): a fresh ``neo4j.Driver`` on an EMPTY database: all nodes,
  relationships, constraints and indexes are dropped before each test. (Never point
  GRAPHTRACE_TEST_NEO4J_URI at a database whose data you want to keep.)
- ``neo4j_server_factory`` (function): ``start(**kwargs) -> NeoServer`` for tests that need a
  server of their own (crash tests: ``server.kill()``); every server it started is stopped after
  the test. Always local.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if (
    _HERE not in sys.path
):  # works whether tests/ is a package, a rootdir, or imported via importlib mode
    sys.path.insert(0, _HERE)

import neo4jserver  # noqa: E402

__all__ = [
    "neo4j_auth",
    "neo4j_database",
    "neo4j_driver",
    "neo4j_server_factory",
    "neo4j_uri",
    "wipe_database",
]

URI_ENV = "GRAPHTRACE_TEST_NEO4J_URI"
USER_ENV = "GRAPHTRACE_TEST_NEO4J_USERNAME"
PASSWORD_ENV = "GRAPHTRACE_TEST_NEO4J_PASSWORD"
DATABASE_ENV = "GRAPHTRACE_TEST_NEO4J_DATABASE"
START_TIMEOUT = float(os.environ.get("GRAPHTRACE_TEST_NEO4J_START_TIMEOUT", "240"))


def _fail(message: str) -> None:
    where = "CI (CI is set): Neo4j tests must run there" if os.environ.get("CI") else "this machine"
    pytest.fail(
        f"Neo4j test server unavailable on {where}.\n{message}\n"
        f"Set {URI_ENV}=bolt://host:port to use another Neo4j 5.26 "
        "(see docs/neo4j-test-server.md).",
        pytrace=False,
    )


def _start_server(**kwargs):
    try:
        return neo4jserver.start(**{"timeout": START_TIMEOUT, **kwargs}), ""
    except neo4jserver.Neo4jServerError as err:
        return None, str(err)


@pytest.fixture(scope="session")
def neo4j_uri():
    external = os.environ.get(URI_ENV, "").strip()
    if external:
        yield external
        return
    server, error = _start_server()
    if server is None:
        _fail(error)
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_auth():
    if not os.environ.get(URI_ENV, "").strip():
        return None
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        return None
    return (os.environ.get(USER_ENV) or "neo4j", password)


@pytest.fixture(scope="session")
def neo4j_database():
    return os.environ.get(DATABASE_ENV) or "neo4j"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def wipe_database(driver, database: str = "neo4j") -> None:
    """Drop all constraints, indexes (except the built-in lookup ones), relationships and nodes."""
    with driver.session(database=database) as session:
        for record in session.run("SHOW CONSTRAINTS YIELD name").data():
            session.run(f"DROP CONSTRAINT {_quote(record['name'])} IF EXISTS").consume()
        for record in session.run(
            "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"
        ).data():
            session.run(f"DROP INDEX {_quote(record['name'])} IF EXISTS").consume()
        # Batched so that a big benchmark graph does not hit the transaction memory limit.
        # IN TRANSACTIONS only works in an auto-commit transaction, i.e. session.run.
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


@pytest.fixture
def neo4j_driver(neo4j_uri, neo4j_auth, neo4j_database):
    import neo4j

    driver = neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    try:
        wipe_database(driver, neo4j_database)
        yield driver
    finally:
        driver.close()


@pytest.fixture
def neo4j_server_factory():
    """Private servers (~15 s to start each): ``start(**neo4jserver.start kwargs) -> NeoServer``."""
    servers = []

    def start(**kwargs):
        server, error = _start_server(**kwargs)
        if server is None:
            _fail(error)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
