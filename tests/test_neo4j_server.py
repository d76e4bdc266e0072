"""The real Neo4j test server (tests/neo4jserver.py, fixtures in tests/neo4j_fixture.py) works."""

from __future__ import annotations

import os
import socket
import time

import neo4j
import pytest
from neo4j.exceptions import ConstraintError

pytestmark = pytest.mark.neo4j


def test_server_answers_return_1(neo4j_driver):
    records, _, _ = neo4j_driver.execute_query("RETURN 1 AS one", database_="neo4j")
    assert records[0]["one"] == 1


def test_server_is_neo4j_5_26(neo4j_driver):
    records, _, _ = neo4j_driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition",
        database_="neo4j",
    )
    kernel = next(r for r in records if r["name"] == "Neo4j Kernel")
    assert kernel["versions"][0].startswith("5.26."), kernel
    if not os.environ.get("GRAPHTRACE_TEST_NEO4J_URI"):
        assert kernel["edition"] == "community"


def test_uniqueness_constraint(neo4j_driver):
    neo4j_driver.execute_query(
        "CREATE CONSTRAINT facility_id IF NOT EXISTS FOR (f:Facility) REQUIRE f.id IS UNIQUE",
        database_="neo4j",
    )
    neo4j_driver.execute_query(  # idempotent
        "CREATE CONSTRAINT facility_id IF NOT EXISTS FOR (f:Facility) REQUIRE f.id IS UNIQUE",
        database_="neo4j",
    )
    neo4j_driver.execute_query("CREATE (:Facility {id: 'F1'})", database_="neo4j")
    with pytest.raises(ConstraintError):
        neo4j_driver.execute_query("CREATE (:Facility {id: 'F1'})", database_="neo4j")
    records, _, _ = neo4j_driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, type WHERE name = 'facility_id' RETURN type",
        database_="neo4j",
    )
    assert [r["type"] for r in records] == ["UNIQUENESS"]


def test_each_test_starts_on_an_empty_database(neo4j_driver):
    from neo4j_fixture import wipe_database

    neo4j_driver.execute_query(
        "CREATE CONSTRAINT c IF NOT EXISTS FOR (f:Facility) REQUIRE f.id IS UNIQUE",
        database_="neo4j",
    )
    neo4j_driver.execute_query(
        "CREATE INDEX p IF NOT EXISTS FOR (p:Product) ON (p.sku)", database_="neo4j"
    )
    neo4j_driver.execute_query(  # 12k nodes: more than one wipe batch
        "UNWIND range(1, 6000) AS i CREATE (:Facility {id: i})-[:SUPPLIES]->(:Product {sku: i})",
        database_="neo4j",
    )
    wipe_database(neo4j_driver)
    nodes, _, _ = neo4j_driver.execute_query("MATCH (n) RETURN count(n) AS n", database_="neo4j")
    schema, _, _ = neo4j_driver.execute_query(
        "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name", database_="neo4j"
    )
    assert nodes[0]["n"] == 0
    assert schema == []


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_kill_then_restart_on_the_same_store(neo4j_server_factory, tmp_path):
    store = tmp_path / "store"
    server = neo4j_server_factory(
        workdir=store
    )  # a given workdir is kept when the server goes away
    with neo4j.GraphDatabase.driver(server.uri, auth=None) as driver:
        driver.execute_query("CREATE (:Facility {id: 'committed'})", database_="neo4j")

    server.kill()  # SIGKILL: no shutdown hook, no checkpoint
    assert not server.alive
    assert server.process.returncode == -9
    assert not _port_open(server.port)
    assert store.exists()

    # Same store, same port: Neo4j recovers the committed transaction from its log.
    again = neo4j_server_factory(workdir=store, port=server.port, keep_data=False)
    with neo4j.GraphDatabase.driver(again.uri, auth=None) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (f:Facility) RETURN f.id AS id", database_="neo4j"
        )
    assert [r["id"] for r in records] == ["committed"]

    started = time.monotonic()
    again.stop()  # SIGTERM: clean shutdown, then the store is deleted (keep_data=False)
    assert again.process.returncode in (0, 143), (
        again.log_tail()
    )  # 143: the JVM's exit status after SIGTERM
    assert "[graphtrace-test-server] stopped" in again.log_path.read_text()
    assert time.monotonic() - started < 30
    assert not store.exists()
