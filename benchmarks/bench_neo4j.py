"""Benchmark of the Neo4j store on a generated graph: load rows/s, and propagation as a bulk read +
in-process solve (what the store does) against a server-side Cypher level-by-level solve of the
lower bound; the embedded store runs in the same process for the ratios.

Plain script, no timed asserts::

    PYTHONPATH=. python benchmarks/bench_neo4j.py --links 1000000 --repeat 3

Without ``--uri`` it starts its own Neo4j 5.26 test server (tests/neo4jserver.py) with ``--heap``
and ``--pagecache-mb``; with ``--uri`` the database there is WIPED first. The graph comes from
``graphtrace generate --back-edges 0``; the few supply rows that still close a cycle (trader loops)
are dropped so that tiers by longest distance exist. Results go to stdout and, with ``--out``, to a
Markdown file (benchmarks/results/neo4j.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from graphtrace.build import build_graph  # noqa: E402
from graphtrace.generate import generate  # noqa: E402
from graphtrace.model import TABLES, Dataset  # noqa: E402
from graphtrace.propagate import Propagation, propagate_risk  # noqa: E402
from graphtrace.stores import cypher  # noqa: E402
from graphtrace.stores.neo4j_ import Neo4jStore  # noqa: E402
from graphtrace.validate import load_dataset  # noqa: E402

T = TypeVar("T")
BATCH = 10_000


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median_of(repeat: int, fn: Callable[[], T]) -> tuple[float, list[float], T]:
    times, out = [], None
    for _ in range(repeat):
        t, out = timed(fn)
        times.append(t)
    assert out is not None
    return statistics.median(times), times, out


def dag_only(ds: Dataset) -> tuple[Dataset, int]:
    """Drop the supply rows inside strongly connected components (and self-loops)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = build_graph(ds)
    m = coo_matrix((np.ones(len(g.supplier)), (g.supplier, g.buyer)), shape=(g.n, g.n)).tocsr()
    _, label = connected_components(m, directed=True, connection="strong")
    idx = pd.Index(ds.facilities["facility_id"])
    s = idx.get_indexer(ds.supplies["supplier_id"].to_numpy())
    b = idx.get_indexer(ds.supplies["buyer_id"].to_numpy())
    cyclic = label[s] == label[b]
    ds.supplies = ds.supplies.loc[~cyclic].reset_index(drop=True)
    return ds, int(cyclic.sum())


def server_side(store: Neo4jStore, source_ids: list[str]) -> tuple[int, int]:
    """Cypher level-by-level lower bound; returns (tiers, statements run)."""
    statements = 0
    with store._driver.session(database=store.database) as s:

        def run(query: str, **params: Any) -> list[Any]:
            nonlocal statements
            statements += 1
            return list(s.run(query, params))

        run(cypher.LEVEL_SOURCES, ids=source_ids)
        for q in (
            cypher.LEVEL_SUPPLY_WEIGHTS,
            cypher.LEVEL_BOM_WEIGHTS,
            cypher.LEVEL_INIT_FACILITIES,
            cypher.LEVEL_INIT_PRODUCTS,
            cypher.LEVEL_TIER0_FACILITIES,
            cypher.LEVEL_TIER0_PRODUCTS,
        ):
            run(q, batch=BATCH)
        tier = 0
        while True:
            run(cypher.LEVEL_FACILITY_BOUNDS, tier=tier)
            run(cypher.LEVEL_PRODUCT_BOUNDS, tier=tier)
            released = run(cypher.LEVEL_RELEASE, tier=tier)
            if not released or int(released[0]["n"]) == 0:
                break
            tier += 1
            if tier > 10_000:
                raise RuntimeError("tiers keep growing: the graph has a cycle")
        left = run(cypher.LEVEL_UNFINISHED)
        if int(left[0]["n"]):
            raise RuntimeError(f"{left[0]['n']} nodes never got a tier: the graph has a cycle")
    return tier + 1, statements


def server_values(store: Neo4jStore, p: Propagation) -> float:
    """Largest |lower bound (server) - lower bound (in process)| over all nodes."""
    g = p.graph
    rows = store._values(cypher.LEVEL_READ, "reading server-side bounds")
    fac = {k: lo for f, k, lo in rows if f}
    prod = {k: lo for f, k, lo in rows if not f}
    ids = g.ids.tolist()
    got = np.array(
        [fac[k] for k in ids[: g.n_facilities]] + [prod[k] for k in ids[g.n_facilities :]],
        dtype=float,
    )
    return float(np.max(np.abs(got - p.lo)))


def rust_ext() -> bool:
    try:
        import neo4j._rust  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--links", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--uri", help="use this server (its database is WIPED)")
    ap.add_argument("--database", default="neo4j")
    ap.add_argument("--heap", default="4g", help="heap of the server this script starts")
    ap.add_argument("--pagecache-mb", type=int, default=2048)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "graphtrace-bench"))
    ap.add_argument("--out", help="also write the results as Markdown to this file")
    args = ap.parse_args(argv)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    folder = Path(args.cache) / f"gen-{args.links}-{args.seed}-dag"
    if not (folder / "supplies.csv").exists():
        t, counts = timed(lambda: generate(folder, args.links, args.seed, back_edges=0.0))
        print(f"generated {counts} in {t:.1f} s", flush=True)
    t_validate, ds = timed(lambda: load_dataset(folder))
    ds, dropped = dag_only(ds)
    rows = sum(len(getattr(ds, t)) for t in TABLES)
    load1 = os.getloadavg()[0]

    # Embedded: the in-process solve on the same frames.
    t_emb, emb_times, ref = median_of(args.repeat, lambda: propagate_risk(ds))
    sources = sorted(str(ref.graph.ids[v]) for v in ref.reasons if v < ref.graph.n_facilities)

    server = None
    uri = args.uri
    if uri is None:
        import neo4jserver

        server = neo4jserver.start(heap=args.heap, pagecache_mb=args.pagecache_mb, timeout=600)
        uri = server.uri
    try:
        from neo4j_fixture import wipe_database

        store = Neo4jStore(uri, database=args.database)
        wipe_database(store._driver, args.database)
        t_load, _ = timed(lambda: store.load(ds, batch_size=args.batch_size))

        def bulk() -> tuple[float, float]:
            t_read, got = timed(store.dataset)
            t_solve, _ = timed(lambda: propagate_risk(got))
            return t_read, t_solve

        bulk_runs = [bulk() for _ in range(args.repeat)]
        t_bulk = statistics.median(r + s for r, s in bulk_runs)
        t_bulk_read = statistics.median(r for r, _ in bulk_runs)
        check = propagate_risk(store.dataset()).products()
        pd.testing.assert_frame_equal(check, ref.products())

        for q in cypher.LEVEL_SCHEMA:
            store._run(q, "creating tier indexes", True)
        store._run(cypher.AWAIT_INDEXES, "waiting for indexes", True, seconds=600)
        t_srv, srv_times, (tiers, statements) = median_of(
            args.repeat, lambda: server_side(store, sources)
        )
        diff = server_values(store, ref)
        store.close()
    finally:
        if server is not None:
            server.stop()
    load2 = os.getloadavg()[0]

    say("# Neo4j store benchmark")
    say("")
    say(
        f"`python benchmarks/bench_neo4j.py --links {args.links} --seed {args.seed} "
        f"--repeat {args.repeat}` on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, neo4j driver Rust extension: "
        f"{'yes' if rust_ext() else 'no'}, server heap {args.heap if server else '(given URI)'}, "
        f"page cache {args.pagecache_mb} MB; load average {load1:.1f} at start, {load2:.1f} at end."
    )
    say("")
    say(
        f"Graph: {len(ds.supplies):,} supplies, {len(ds.facilities):,} facilities, "
        f"{len(ds.products):,} products, {len(ds.bom):,} BOM rows ({rows:,} rows; {dropped} supply "
        f"rows inside trader loops dropped to make it a DAG), {tiers} tiers, {len(sources)} risk "
        "sources."
    )
    say("")
    say("| step | median s | runs (s) | vs embedded solve |")
    say("|---|---:|---|---:|")
    fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    say(f"| embedded: read + validate CSV folder | {t_validate:.2f} | 1 run | |")
    say(f"| embedded: propagate (screen + build + solve) | {t_emb:.2f} | {fmt(emb_times)} | 1.0 |")
    say(
        f"| Neo4j: load ({rows:,} rows, batch {args.batch_size:,}) | {t_load:.2f} | 1 run "
        f"| **{rows / t_load:,.0f} rows/s** |"
    )
    say(
        f"| Neo4j: bulk read (`dataset()`) | {t_bulk_read:.2f} | "
        f"{fmt([r for r, _ in bulk_runs])} | {t_bulk_read / t_emb:.1f}x |"
    )
    say(
        f"| Neo4j: bulk read + in-process solve | {t_bulk:.2f} | "
        f"{fmt([r + s for r, s in bulk_runs])} | {t_bulk / t_emb:.1f}x |"
    )
    say(
        f"| Neo4j: server-side Cypher level by level (lower bound only, {statements} statements) "
        f"| {t_srv:.2f} | {fmt(srv_times)} | {t_srv / t_emb:.1f}x |"
    )
    say("")
    say(
        f"Server-side / bulk read + solve: **{t_srv / t_bulk:.2f}x** (the server-side run computes "
        "only the lower bound; the in-process solve gives both bounds, statuses and cycles). "
        f"Largest difference between the two lower bounds: {diff:.1e}."
    )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
