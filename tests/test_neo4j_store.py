"""The Neo4j store against the real test server: load, re-load, replace, crash and resume,
errors, write-back, bounded traversals and the parameters-only Cypher module."""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import neo4j
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT
from helpers import bom, fac, prod, sup, write_dataset

from graphtrace.cli import cli
from graphtrace.errors import InputError, StoreError
from graphtrace.explain import impact, trace_sku
from graphtrace.generate import generate
from graphtrace.model import TABLES, Dataset
from graphtrace.propagate import propagate_risk
from graphtrace.screen import read_entity_list
from graphtrace.stores import cypher
from graphtrace.stores.neo4j_ import Neo4jStore, fingerprint
from graphtrace.validate import load_dataset

APPAREL = ROOT / "fixtures" / "apparel"
ENTITY_LIST = ROOT / "fixtures" / "entity_lists" / "uflpa_sample.csv"
CYPHER_PY = ROOT / "graphtrace" / "stores" / "cypher.py"


@pytest.fixture
def store(
    neo4j_driver: neo4j.Driver, neo4j_uri: str, neo4j_auth: Any, neo4j_database: str
) -> Iterator[Neo4jStore]:
    """A Neo4jStore on the (wiped) test database."""
    user, password = neo4j_auth if neo4j_auth else (None, None)
    with Neo4jStore(neo4j_uri, username=user, password=password, database=neo4j_database) as st:
        yield st


def _assert_same_dataset(got: Dataset, want: Dataset) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(got, table), getattr(want, table), check_exact=True)
    assert got.files == want.files


def _dump(driver: neo4j.Driver, database: str) -> tuple[list[Any], list[Any]]:
    """Every graphtrace node and relationship with its properties, sorted."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props", database_=database
    )
    rels, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, properties(a) AS a, properties(b) AS b, "
        "properties(r) AS props",
        database_=database,
    )
    skip = {"started_at", "completed_at"}
    node_rows = sorted(
        repr((r["labels"], sorted((k, str(v)) for k, v in r["props"].items() if k not in skip)))
        for r in nodes
    )
    rel_rows = sorted(
        repr((
            r["type"],
            r["a"].get("id", r["a"].get("sku", r["a"].get("_row"))),
            r["b"].get("id", r["b"].get("sku")),
            sorted((k, str(v)) for k, v in r["props"].items()),
        ))
        for r in rels
    )
    return node_rows, rel_rows


def _small(folder: Path) -> Path:
    return write_dataset(
        folder,
        [fac("F1", "farm", "CN", province="Xinjiang"), fac("S1"), fac("G1", "garment_maker")],
        [sup("F1", "S1", 10, "t"), sup("S1", "G1", 5, "t")],
        [prod("P1", "G1")],
        [bom("P1", "yarn", 200, "g", supplier_id="S1")],
    )


# --- load, round trip, idempotence, replace ----------------------------------------------------


def test_load_round_trips_every_table_exactly(store: Neo4jStore) -> None:
    ds = load_dataset(APPAREL)
    seen: list[tuple[str, int, int]] = []
    counts = store.load(
        ds, batch_size=7, progress=lambda t, done, total: seen.append((t, done, total))
    )
    assert counts == {t: len(getattr(ds, t)) for t in TABLES}
    assert ("supplies", len(ds.supplies), len(ds.supplies)) in seen
    back = store.dataset()
    _assert_same_dataset(back, ds)
    assert fingerprint(back) == fingerprint(ds)
    meta = store.meta()
    assert meta is not None
    assert meta["status"] == "complete" and meta["fingerprint"] == fingerprint(ds)
    assert meta["file_supplies"] == "supplies.csv" and meta["rows_bom"] == len(ds.bom)
    assert store.counts() == {
        "Facility": len(ds.facilities), "Product": len(ds.products), "Flag": len(ds.flags),
        "GraphtraceDataset": 1, "SUPPLIES": len(ds.supplies), "MADE_AT": len(ds.products),
        "COMPONENT_OF": len(ds.bom), "FLAGS": len(ds.flags),
    }


def test_reads_in_slices_and_chunks(store: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import graphtrace.stores.neo4j_ as module

    ds = load_dataset(APPAREL)
    store.load(ds)
    monkeypatch.setattr(module, "READ_CHUNK", 7)
    _assert_same_dataset(store.dataset(), ds)
    entities = read_entity_list(ENTITY_LIST)
    t = trace_sku(propagate_risk(store.upstream("SKU-1001"), entities), "SKU-1001")
    assert t.to_dict() == trace_sku(propagate_risk(ds, entities), "SKU-1001").to_dict()


def test_reload_gives_exactly_the_same_graph(
    store: Neo4jStore, neo4j_driver: neo4j.Driver, neo4j_database: str
) -> None:
    ds = load_dataset(APPAREL)
    store.load(ds, batch_size=10)
    before = _dump(neo4j_driver, neo4j_database)
    store.load(ds, batch_size=3)
    assert _dump(neo4j_driver, neo4j_database) == before
    _assert_same_dataset(store.dataset(), ds)


def test_other_dataset_refused_then_replaced(store: Neo4jStore, tmp_path: Path) -> None:
    store.load(load_dataset(APPAREL))
    small = load_dataset(_small(tmp_path / "small"))
    with pytest.raises(StoreError, match=r"already holds another dataset.*--replace"):
        store.load(small)
    _assert_same_dataset(store.dataset(), load_dataset(APPAREL))  # untouched
    store.load(small, replace=True, batch_size=1)
    _assert_same_dataset(store.dataset(), small)
    assert store.counts()["Facility"] == 3 and store.counts()["SUPPLIES"] == 2


def test_interrupted_replace_is_finished_by_rerunning(
    store: Neo4jStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.load(load_dataset(APPAREL))
    small = load_dataset(_small(tmp_path / "small"))

    def crash(progress: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_delete_data", crash)
    with pytest.raises(KeyboardInterrupt):
        store.load(small, replace=True)
    monkeypatch.undo()
    with pytest.raises(StoreError, match="a load did not finish"):
        store.dataset()
    store.load(small)  # no --replace needed: the meta node remembers the pending delete
    _assert_same_dataset(store.dataset(), small)
    assert store.counts()["Facility"] == 3


def test_foreign_nodes_are_never_deleted_silently(
    store: Neo4jStore, neo4j_driver: neo4j.Driver, neo4j_database: str, tmp_path: Path
) -> None:
    neo4j_driver.execute_query("CREATE (:Facility {id: 'mine'}), (:Other {x: 1})",
                               database_=neo4j_database)
    small = load_dataset(_small(tmp_path / "small"))
    with pytest.raises(StoreError, match="did not load: pass --replace"):
        store.load(small)
    store.load(small, replace=True)
    _assert_same_dataset(store.dataset(), small)
    others, _, _ = neo4j_driver.execute_query("MATCH (n:Other) RETURN count(n) AS n",
                                              database_=neo4j_database)
    assert others[0]["n"] == 1  # not graphtrace's: kept


def test_user_columns_named_like_results_round_trip(store: Neo4jStore, tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "cols",
        [fac("F1", "farm", status="audited", id="x-1", exposure="n/a"), fac("G1", "garment_maker")],
        [sup("F1", "G1", 1, "t", _note="urgent")],
        [prod("P1", "G1")],
        [],
    )
    ds = load_dataset(folder)
    store.load(ds)
    p = propagate_risk(store.dataset())
    store.write_results(p)
    _assert_same_dataset(store.dataset(), ds)  # write-back did not touch the user's columns


# --- crash and resume --------------------------------------------------------------------------


SUPPLIES = "MATCH ()-[r:SUPPLIES]->() RETURN count(r) AS n"


def _count(driver: neo4j.Driver, database: str, query: str) -> int:
    rows, _, _ = driver.execute_query(query, database_=database)
    return int(rows[0]["n"])


def test_killed_load_is_reported_and_completed_by_rerunning(
    store: Neo4jStore, neo4j_driver: neo4j.Driver, neo4j_uri: str, neo4j_database: str,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "gen"
    generate(folder, 20_000, 7)
    ds = load_dataset(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "graphtrace", "load", str(folder), neo4j_uri,
           "--database", neo4j_database, "--batch-size", "500"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        while True:  # kill it once some relationship batches are in
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the load never got to the relationships"
            if _count(neo4j_driver, neo4j_database, SUPPLIES) >= 1000:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    partial = _count(neo4j_driver, neo4j_database, SUPPLIES)
    assert 0 < partial < len(ds.supplies)

    meta = store.meta()
    assert meta is not None and meta["status"] == "loading"
    for read in (store.dataset, lambda: store.upstream("SKU-000001"),
                 lambda: store.downstream("FAC-FARM-000001")):
        with pytest.raises(StoreError, match=r"a load did not finish.*re-run `graphtrace load"):
            read()
    result = CliRunner().invoke(cli, ["propagate", neo4j_uri, "--database", neo4j_database])
    assert result.exit_code == 2 and "a load did not finish" in result.output
    with pytest.raises(StoreError, match="another dataset"):  # a different one is refused
        store.load(load_dataset(APPAREL))

    store.load(ds)  # re-running the same load completes it
    got = store.dataset()
    _assert_same_dataset(got, ds)
    assert store.counts()["SUPPLIES"] == len(ds.supplies)
    pd.testing.assert_frame_equal(propagate_risk(got).products(), propagate_risk(ds).products())


# --- errors ------------------------------------------------------------------------------------


def test_unreachable_server_is_a_clear_error() -> None:
    from neo4jserver import free_port

    with Neo4jStore(f"bolt://127.0.0.1:{free_port()}") as st, pytest.raises(
        StoreError, match=r"cannot reach Neo4j at bolt://127\.0\.0\.1:\d+.*server is running"
    ):
        st.dataset()


def test_bad_uri_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="as a Neo4j URI"):
        Neo4jStore("bolt://127.0.0.1:7687?routing=1")
    with Neo4jStore("bolt://127.0.0.1:notaport") as st, pytest.raises(
        StoreError, match="check the host and port"
    ):
        st.dataset()


def test_unknown_database_is_a_clear_error(neo4j_uri: str, neo4j_driver: neo4j.Driver) -> None:
    with Neo4jStore(neo4j_uri, database="nosuchdb") as st, pytest.raises(
        StoreError, match=r"database 'nosuchdb' does not exist.*--database"
    ):
        st.dataset()


def test_empty_database_says_how_to_load(store: Neo4jStore) -> None:
    with pytest.raises(StoreError, match=r"no graphtrace dataset: load one with `graphtrace load"):
        store.dataset()
    with pytest.raises(StoreError, match="holds no graphtrace dataset"):
        store.upstream("SKU-1001")


def _fake_driver(error: Exception | None = None, version: str = "5.26.0") -> MagicMock:
    driver = MagicMock(spec=neo4j.Driver)
    if error is not None:
        driver.execute_query.side_effect = error
    else:
        record = {"name": "Neo4j Kernel", "versions": [version], "edition": "community"}
        driver.execute_query.return_value = ([record], None, [])
    return driver


def test_wrong_credentials_mapping_never_shows_the_password() -> None:
    # The test server runs with auth off, so the AuthError mapping is checked with a fake driver.
    error = neo4j.exceptions.AuthError("The client is unauthorized due to authentication failure.")
    st = Neo4jStore("neo4j://db.example:7687", username="alice", password="s3cret-pw",
                    driver=_fake_driver(error))
    with pytest.raises(StoreError) as info:
        st.dataset()
    text = str(info.value)
    assert "rejected the credentials" in text and "NEO4J_PASSWORD" in text and "alice" in text
    assert "s3cret-pw" not in text and "s3cret-pw" not in repr(st)


def test_old_server_is_refused() -> None:
    st = Neo4jStore("bolt://old:7687", driver=_fake_driver(version="4.4.12"))
    with pytest.raises(StoreError, match=r"version 4\.4\.12: graphtrace needs Neo4j 5"):
        st.dataset()


def test_invalid_dataset_touches_nothing(
    neo4j_uri: str, neo4j_driver: neo4j.Driver, neo4j_database: str, tmp_path: Path
) -> None:
    folder = write_dataset(tmp_path / "bad", [fac("F1")], [sup("F1", "NOPE")], [prod("P", "F1")])
    result = CliRunner().invoke(cli, ["load", str(folder), neo4j_uri, "--database", neo4j_database])
    assert result.exit_code == 1
    assert _count(neo4j_driver, neo4j_database, "MATCH (n) RETURN count(n) AS n") == 0


# --- write-back, CLI ---------------------------------------------------------------------------


def test_write_back_sets_node_properties(
    store: Neo4jStore, neo4j_driver: neo4j.Driver, neo4j_database: str
) -> None:
    store.load(load_dataset(APPAREL))
    p = propagate_risk(store.dataset(), read_entity_list(ENTITY_LIST), pd.Timestamp("2025-07-01"))
    assert store.write_results(p) == p.graph.n
    rows, _, _ = neo4j_driver.execute_query(
        "MATCH (n:Product) RETURN n.sku AS sku, n.exposure AS exposure, n.risk_share_min AS lo, "
        "n.risk_share_max AS hi, n.estimated AS estimated, n.risk_as_of AS as_of",
        database_=neo4j_database,
    )
    got = pd.DataFrame([dict(r) for r in rows]).set_index("sku").sort_index()
    want = p.products().set_index("sku").sort_index()
    assert (got["exposure"] == want["exposure"]).all()
    assert got["lo"].to_numpy() == pytest.approx(want["risk_share_min"].to_numpy(), abs=1e-12)
    assert got["hi"].to_numpy() == pytest.approx(want["risk_share_max"].to_numpy(), abs=1e-12)
    assert (got["estimated"] == want["estimated"]).all()
    assert {str(d) for d in got["as_of"]} == {"2025-07-01"}
    statuses, _, _ = neo4j_driver.execute_query(
        "MATCH (f:Facility) RETURN f.id AS id, f.status AS status", database_=neo4j_database
    )
    by_id = {r["id"]: r["status"] for r in statuses}
    g = p.graph
    assert by_id == {str(g.ids[v]): p.status(v) for v in range(g.n_facilities)}


def test_cli_on_a_uri_matches_the_folder(
    store: Neo4jStore, neo4j_uri: str, neo4j_database: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    db = ["--database", neo4j_database]
    loaded = runner.invoke(cli, ["load", str(APPAREL), neo4j_uri, *db])
    assert loaded.exit_code == 0, loaded.output
    for args in (["propagate", "{}", "--format", "csv", "--entity-list", str(ENTITY_LIST)],
                 ["trace", "{}", "SKU-1001", "--format", "json", "--entity-list", str(ENTITY_LIST)],
                 ["impact", "{}", "GIN-XJ-AKSU", "--format", "csv"]):
        on_uri = runner.invoke(cli, [a.replace("{}", neo4j_uri) for a in args] + db)
        on_folder = runner.invoke(cli, [a.replace("{}", str(APPAREL)) for a in args])
        assert on_uri.exit_code == 0, on_uri.output
        assert on_uri.stdout == on_folder.stdout
    out = str(tmp_path / "r.csv")
    wrote = runner.invoke(cli, ["propagate", neo4j_uri, "--write-back", "-o", out, *db])
    assert wrote.exit_code == 0 and "wrote results to 74 nodes" in wrote.output


def test_routing_uri_scheme_works(store: Neo4jStore, neo4j_uri: str, neo4j_database: str) -> None:
    store.load(load_dataset(APPAREL))
    routed = neo4j_uri.replace("bolt://", "neo4j://")
    with Neo4jStore(routed, database=neo4j_database) as st:
        assert len(st.dataset().supplies) == len(load_dataset(APPAREL).supplies)


# --- bounded traversals ------------------------------------------------------------------------


def test_upstream_and_downstream_match_the_embedded_store(store: Neo4jStore) -> None:
    ds = load_dataset(APPAREL)
    store.load(ds)
    entities = read_entity_list(ENTITY_LIST)
    full = propagate_risk(ds, entities)
    for sku in ds.products["sku"].iloc[::3]:
        sub = store.upstream(sku)
        assert len(sub.facilities) <= len(ds.facilities)
        assert trace_sku(propagate_risk(sub, entities), sku).to_dict() == trace_sku(
            full, sku
        ).to_dict(), sku
    for fid in ["GIN-XJ-AKSU", "DYE-CN-GD", *ds.facilities["facility_id"].iloc[::7]]:
        sub = store.downstream(fid)
        pd.testing.assert_frame_equal(impact(propagate_risk(sub, entities), fid), impact(full, fid))
    small = store.upstream("SKU-1001")
    assert len(small.facilities) < len(ds.facilities)  # only what the question needs


def test_unknown_ids_give_the_usual_errors(store: Neo4jStore) -> None:
    store.load(load_dataset(APPAREL))
    with pytest.raises(InputError, match=r"unknown SKU 'SKU-100'.*did you mean"):
        trace_sku(propagate_risk(store.upstream("SKU-100")), "SKU-100")
    with pytest.raises(InputError, match=r"unknown facility 'GIN-XJ-AKS'.*did you mean"):
        impact(propagate_risk(store.downstream("GIN-XJ-AKS")), "GIN-XJ-AKS")


# --- Cypher only from cypher.py, values only as parameters --------------------------------------


def _templates() -> dict[str, str]:
    return {
        name: value for name in dir(cypher)
        if name.isupper() and isinstance(value := getattr(cypher, name), str)
    } | {
        f"SCHEMA[{i}]": q for i, q in enumerate(cypher.SCHEMA)
    }


def test_cypher_module_interpolates_nothing_but_allow_listed_names() -> None:
    tree = ast.parse(CYPHER_PY.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        assert not isinstance(node, ast.JoinedStr), f"f-string at line {node.lineno}"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            assert not any(
                isinstance(s, ast.Constant) and isinstance(s.value, str)
                for s in (node.left, node.right)
            ), f"string arithmetic, line {node.lineno}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "format_map", "replace", "join")
        ):
            assert isinstance(node.func.value, ast.Name) and node.func.value.id == "template", (
                f".{node.func.attr}() outside render(), line {node.lineno}"
            )
    for name, text in _templates().items():
        fields = set(re.findall(r"\{\s*(\w*)\s*\}", text))  # bare {name}: a placeholder
        assert fields <= {"label", "rel"}, (name, fields)
        assert "$" not in "".join(fields)
    with pytest.raises(TypeError):
        cypher.render(cypher.COUNT_NODES, label="Facility) DETACH DELETE (x")  # type: ignore[arg-type]
    # and the store itself holds no query text
    source = (ROOT / "graphtrace" / "stores" / "neo4j_.py").read_text(encoding="utf-8")
    for keyword in ("MATCH (", "MERGE (", "CREATE (", "UNWIND $", "RETURN "):
        assert keyword not in source


def test_every_query_sent_comes_from_the_cypher_module(store: Neo4jStore) -> None:
    templates = [t for t in _templates().values() if "{label}" in t or "{rel}" in t]
    allowed = {t for t in _templates().values() if t not in templates}
    allowed |= {cypher.render(t, label=lb, rel=r) for t in templates
                for lb in [None, *cypher.Label] for r in [None, *cypher.Rel]}
    sent: list[tuple[str, dict[str, Any]]] = []
    real = store._driver

    class Recorder:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def execute_query(self, query: str, params: Any = None, **kw: Any) -> Any:
            sent.append((query, dict(params or {})))
            return real.execute_query(query, params, **kw)

        def session(self, **kw: Any) -> Any:
            session = real.session(**kw)
            outer = session.execute_read

            def execute_read(work: Any) -> Any:
                def spy(tx: Any) -> Any:
                    run = tx.run

                    def record(query: str, params: Any = None, **k: Any) -> Any:
                        sent.append((query, dict(params or {})))
                        return run(query, params, **k)

                    tx.run = record
                    return work(tx)

                return outer(spy)

            session.execute_read = execute_read
            return session

    store._driver = Recorder()
    ds = load_dataset(APPAREL)
    store.load(ds)
    store.upstream("SKU-1001")
    store.downstream("GIN-XJ-AKSU")
    store.write_results(propagate_risk(store.dataset()))
    assert sent and {q for q, _ in sent} <= allowed
    texts = " ".join(q for q, _ in sent)
    for value in ("GIN-XJ-AKSU", "SKU-1001", "supplies.csv", "Contract ALR-2024-031"):
        assert value not in texts  # values travel as parameters
