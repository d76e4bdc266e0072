"""End-to-end benchmark of the graphtrace pipeline on generated datasets, with a naive baseline.

Plain script, no timed asserts (numbers are recorded, not gated)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=. \\
        python benchmarks/bench_pipeline.py --links 1000000 --repeat 5 \\
        --out benchmarks/results/pipeline.md

For a cached pair of datasets (``graphtrace.generate``, 0.5 % Xinjiang origins, with 1 %
back-edges and a DAG variant without back-edges, same seed) it measures each stage as the median
over ``--repeat`` runs (with min and max): read, validate, build, screening, solve (both bounds +
estimated flags), the products table; single-SKU trace latency (p50/p99 over random SKUs) and
reverse impact (p50 over random facilities, and the biggest hub); resident memory and bytes/edge
of the graph arrays. A naive networkx baseline (per-SKU ancestors + propagation, as in
/work/shared/notes/performance.md) runs in the same process on a sample of SKUs, is checked
against the batch numbers and extrapolated to all SKUs; rustworkx ``ancestors`` alone (no
propagation counted, so favourable to the baseline) is timed too when rustworkx is installed.
The markdown report goes to ``--out`` (appended as one section per run size).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphtrace.build import Graph, build_graph
from graphtrace.explain import impact, trace_sku
from graphtrace.generate import generate
from graphtrace.propagate import Propagation, solve_graph, source_reasons
from graphtrace.read import read_inputs
from graphtrace.screen import read_entity_list
from graphtrace.validate import validate

ROOT = Path(__file__).resolve().parents[1]
ENTITY_LIST = ROOT / "fixtures" / "entity_lists" / "uflpa_sample.csv"
TOL = 1e-9  # naive vs batch: both are exact up to float rounding


# --- machine and memory -----------------------------------------------------------------------


def rss_mb() -> float:
    """Current resident set size (VmRSS) in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, str]:
    import scipy

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    info = {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)"),
    }
    try:
        import pyarrow

        info["pyarrow"] = pyarrow.__version__
    except ImportError:
        pass
    try:
        import networkx

        info["networkx"] = networkx.__version__
    except ImportError:
        pass
    try:
        import rustworkx

        info["rustworkx"] = rustworkx.__version__
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = ", ".join(
            f"{p.get('internal_api')} {p.get('architecture')} x{p.get('num_threads')}"
            for p in threadpool_info()
        )
    except ImportError:
        pass
    return info


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- datasets ---------------------------------------------------------------------------------


def dataset_dir(cache: Path, links: int, seed: int, back: float) -> Path:
    """Generate (once) and return the dataset for ``links``/``seed``/``back``."""
    d = cache / f"links{links}-seed{seed}-back{back:g}"
    marker = d / ".complete"
    if not marker.exists():
        t0 = time.perf_counter()
        counts = generate(d, links, seed, xinjiang_share=0.005, back_edges=back)
        marker.write_text(json.dumps(counts))
        print(f"generated {d} in {time.perf_counter() - t0:.1f} s: {counts}", file=sys.stderr)
    return d


# --- timing helpers ---------------------------------------------------------------------------


class Stats:
    """Median, min and max of repeated timings (seconds)."""

    def __init__(self, times: list[float]) -> None:
        self.times = times
        self.median = statistics.median(times)
        self.min = min(times)
        self.max = max(times)

    def cell(self) -> str:
        return f"{fmt_s(self.median)} ({fmt_s(self.min)}–{fmt_s(self.max)})"


def fmt_s(t: float) -> str:
    if t >= 3600:
        return f"{t / 3600:,.1f} h"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def percentile(times: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(times), q))


# --- the pipeline -----------------------------------------------------------------------------

STAGES = ("read", "validate", "build", "screen", "solve", "products")


def graph_bytes(g: Graph) -> tuple[int, int]:
    """Bytes of the numeric edge arrays and of the numeric node arrays of a Graph."""
    edge = sum(a.nbytes for a in (g.supplier, g.buyer, g.weight, g.mass_kg, g.kind, g.record))
    node = sum(a.nbytes for a in (g.ids, g.origin, g.estimated, g.made_at))
    return edge, node


def run_pipeline(path: Path, repeat: int, entities: list[Any]) -> dict[str, Any]:
    """Time every stage ``repeat`` times; keep the last run's objects for the query benchmarks."""
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    rss: dict[str, float] = {}
    out: dict[str, Any] = {}
    for i in range(repeat):
        out.clear()
        gc.collect()
        base = rss_mb()
        t, raw = timed(lambda: read_inputs(path))
        times["read"].append(t)
        if i == 0:
            rss["read"] = rss_mb() - base
        t, (report, ds) = timed(lambda raw=raw: validate(raw))
        times["validate"].append(t)
        assert ds is not None, report.errors[:5]
        if i == 0:
            rss["validate"] = rss_mb() - base
        t, g = timed(lambda ds=ds: build_graph(ds))
        times["build"].append(t)
        t, reasons = timed(lambda g=g: source_reasons(g, entities))
        times["screen"].append(t)
        t, p = timed(lambda g=g, reasons=reasons: solve_graph(g, reasons))
        times["solve"].append(t)
        t, table = timed(lambda p=p: p.products())
        times["products"].append(t)
        if i == 0:
            rss["all"] = rss_mb() - base
        del raw
        out.update(ds=ds, graph=g, reasons=reasons, prop=p, table=table, report=report)
    out["times"] = {s: Stats(v) for s, v in times.items()}
    out["rss"] = rss
    return out


def query_bench(
    p: Propagation, n_trace: int, n_impact: int, seed: int, budget: float
) -> dict[str, Any]:
    """trace_sku latency over random SKUs; impact over random facilities and the biggest hub."""
    g = p.graph
    rng = np.random.default_rng(seed)
    nf = g.n_facilities
    skus = g.ids[nf:]
    pick = rng.choice(len(skus), size=min(n_trace, len(skus)), replace=False)
    res: dict[str, Any] = {}
    res["trace_first"], _ = timed(lambda: trace_sku(p, str(skus[pick[0]])))  # builds the index
    tt: list[float] = []
    sizes: list[int] = []
    t_end = time.perf_counter() + budget
    for j in pick.tolist():
        t, tr = timed(lambda j=j: trace_sku(p, str(skus[j])))
        tt.append(t)
        sizes.append(len(tr.nodes))
        if time.perf_counter() > t_end:
            break
    res["trace"] = tt
    res["trace_nodes_p50"] = float(np.median(sizes))
    res["trace_nodes_max"] = int(max(sizes))

    out_deg = np.bincount(g.supplier[g.weight > 0], minlength=g.n)[:nf]
    hub = int(np.argmax(out_deg))
    facs = rng.choice(nf, size=min(n_impact, nf), replace=False)
    it: list[float] = []
    t_end = time.perf_counter() + budget
    for f in facs.tolist():
        t, _ = timed(lambda f=f: impact(p, str(g.ids[f])))
        it.append(t)
        if time.perf_counter() > t_end:
            break
    res["impact"] = it
    hub_times: list[float] = []
    rows = 0
    while len(hub_times) < 3 and sum(hub_times) < budget / 4:
        t, frame = timed(lambda: impact(p, str(g.ids[hub])))
        hub_times.append(t)
        rows = len(frame)
    res["hub"] = (str(g.ids[hub]), int(out_deg[hub]), min(hub_times), rows)
    return res


# --- naive baseline ---------------------------------------------------------------------------


def naive_inputs(g: Graph, reasons: dict[int, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Rules 1-3 restated directly: which nodes are fixed, and their [lo, hi] values."""
    n = g.n
    is_source = np.zeros(n, dtype=bool)
    is_source[list(reasons)] = True
    has_in = np.zeros(n, dtype=bool)
    has_in[g.buyer[g.weight > 0]] = True
    fixed = is_source | ~has_in
    values = np.zeros((n, 2))
    values[is_source] = 1.0
    values[~is_source & ~has_in & ~g.origin, 1] = 1.0
    return fixed, values


def build_nx(g: Graph, fixed: np.ndarray) -> Any:
    """networkx DiGraph supplier -> buyer with summed input shares (fixed nodes' inputs cut)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(g.n))
    keep = (g.weight > 0) & ~fixed[g.buyer]
    for s, b, w in zip(
        g.supplier[keep].tolist(), g.buyer[keep].tolist(), g.weight[keep].tolist(), strict=True
    ):
        if graph.has_edge(s, b):
            graph[s][b]["w"] += w
        else:
            graph.add_edge(s, b, w=w)
    return graph


def naive_sku(graph: Any, sku: int, fixed: list[bool], vals: list[list[float]]) -> list[float]:
    """Per-SKU: ancestors, then propagate [lo, hi] over that subgraph in topological order of its
    strongly connected components; a cyclic component is iterated (Gauss-Seidel) to convergence,
    a cyclic component with no outside input is a closed loop, [0, 1]."""
    import networkx as nx

    sub = graph.subgraph(nx.ancestors(graph, sku) | {sku})
    x: dict[int, list[float]] = {}

    def value(v: int) -> list[float]:
        if fixed[v]:
            return vals[v]
        lo = hi = 0.0
        for u, d in graph.pred[v].items():
            xu = x[u]
            lo += d["w"] * xu[0]
            hi += d["w"] * xu[1]
        return [lo, hi]

    if nx.is_directed_acyclic_graph(sub):
        for v in nx.topological_sort(sub):
            x[v] = value(v)
        return x[sku]
    cond = nx.condensation(sub)
    for c in nx.topological_sort(cond):
        members = cond.nodes[c]["members"]
        if len(members) == 1:
            (v,) = members
            if not sub.has_edge(v, v):
                x[v] = value(v)
                continue
        inside = set(members)
        outside_in = any(u not in inside for v in members for u in graph.pred[v])
        if not outside_in:
            for v in members:
                x[v] = [0.0, 1.0]
            continue
        for v in members:
            x[v] = [0.0, 0.0]
        for _ in range(100_000):  # Gauss-Seidel sweeps
            delta = 0.0
            for v in members:
                new = value(v)
                delta = max(delta, abs(new[0] - x[v][0]), abs(new[1] - x[v][1]))
                x[v] = new
            if delta < 1e-15:
                break
    return x[sku]


def naive_bench(p: Propagation, n_skus: int, seed: int, budget: float) -> dict[str, Any]:
    """networkx per-SKU baseline on the full graph, checked against the batch solve."""
    g = p.graph
    fixed, values = naive_inputs(g, p.reasons)
    gc.collect()
    base = rss_mb()
    t_build, graph = timed(lambda: build_nx(g, fixed))
    nx_mb = rss_mb() - base
    fl, vl = fixed.tolist(), values.tolist()
    nf = g.n_facilities
    rng = np.random.default_rng(seed + 1)
    pick = nf + rng.choice(g.n - nf, size=min(n_skus, g.n - nf), replace=False)
    times: list[float] = []
    err = 0.0
    t_end = time.perf_counter() + budget
    for s in pick.tolist():
        t, (lo, hi) = timed(lambda s=s: naive_sku(graph, s, fl, vl))
        times.append(t)
        err = max(err, abs(lo - p.lo[s]), abs(hi - p.hi[s]))
        if time.perf_counter() > t_end:
            break
    assert err < TOL, f"naive per-SKU differs from the batch solve by {err:.3g}"
    res: dict[str, Any] = {
        "build": t_build,
        "nx_mb": nx_mb,
        "nx_edges": graph.number_of_edges(),
        "per_sku": statistics.mean(times),
        "samples": len(times),
        "err": err,
        "all": statistics.mean(times) * (g.n - nf),
    }
    try:
        import rustworkx as rx
    except ImportError:
        return res
    keep = (g.weight > 0) & ~fixed[g.buyer]
    rg = rx.PyDiGraph(multigraph=False)
    rg.add_nodes_from(range(g.n))
    pairs = zip(g.supplier[keep].tolist(), g.buyer[keep].tolist(), strict=True)
    rg.add_edges_from_no_data(list(pairs))
    rt = []
    for s in pick[: len(times)].tolist():
        t, _ = timed(lambda s=s: rx.ancestors(rg, s))
        rt.append(t)
    res["rx_per_sku"] = statistics.mean(rt)
    res["rx_all"] = statistics.mean(rt) * (g.n - nf)
    return res


# --- report -----------------------------------------------------------------------------------


def bench_variant(
    path: Path, args: argparse.Namespace, entities: list[Any], label: str
) -> dict[str, Any]:
    print(f"[{label}] pipeline x{args.repeat} on {path}", file=sys.stderr)
    r = run_pipeline(path, args.repeat, entities)
    p: Propagation = r["prop"]
    g = p.graph
    r["rows"] = sum(len(getattr(r["ds"], t)) for t in ("facilities", "supplies", "products", "bom"))
    r["n"], r["m"] = g.n, len(g.supplier)
    r["graph_bytes"] = graph_bytes(g)
    r["confirmed"] = int((r["table"]["exposure"] == "confirmed").sum())
    r["possible"] = int((r["table"]["exposure"] == "possible").sum())
    r["estimated"] = int(r["table"]["estimated"].sum())
    r["closed"] = int(p.closed.sum())
    print(f"[{label}] queries", file=sys.stderr)
    r["q"] = query_bench(p, args.traces, args.impacts, args.seed, args.query_budget)
    if args.naive_skus > 0:
        print(f"[{label}] naive baseline", file=sys.stderr)
        r["naive"] = naive_bench(p, args.naive_skus, args.seed, args.naive_budget)
    r["peak_mb"] = peak_rss_mb()
    for k in ("ds", "graph", "reasons", "table", "report"):
        r.pop(k, None)
    return r


def report(
    args: argparse.Namespace,
    info: dict[str, str],
    runs: dict[str, dict[str, Any]],
    loads: list[str],
) -> str:
    lines = [
        f"## {args.links:,} links (seed {args.seed}, repeat {args.repeat})",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M %Z')}; machine: {info['nproc']} cores, "
        f"{info['cpu']}, {info['memory']}; Python {info['python']}, numpy {info['numpy']}, "
        f"scipy {info['scipy']}, pandas {info['pandas']}, pyarrow {info.get('pyarrow', '-')}, "
        f"networkx {info.get('networkx', '-')}, rustworkx {info.get('rustworkx', '-')}; "
        f"OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']}, "
        f"OPENBLAS_L2_SIZE={info['OPENBLAS_L2_SIZE']}.",
        f"Load average (1/5/15 min) at start {loads[0]}, at end {loads[-1]}: the machine was "
        "shared with other jobs, so absolute times are noisy; compare within this table.",
        "",
        "Times are medians over the repeats, (min–max) in brackets. *m* counts graph edges "
        "(supplies + BOM + made-at links), *n* nodes (facilities + products).",
        "",
    ]
    labels = list(runs)
    head = "| stage | " + " | ".join(labels) + " |"
    lines += [head, "|---|" + "---|" * len(labels)]

    def row(name: str, fn: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"| {name} | " + " | ".join(fn(runs[k]) for k in labels) + " |")

    row("rows (4 tables) / n / m", lambda r: f"{r['rows']:,} / {r['n']:,} / {r['m']:,}")
    for s in STAGES:
        row(s, lambda r, s=s: r["times"][s].cell())

    def rate(r: dict[str, Any]) -> str:
        t = r["times"]["read"].median + r["times"]["validate"].median
        return f"{r['rows'] / t / 1e6:.2f} M rows/s"

    row("read + validate rate", rate)
    row(
        "load → products total",
        lambda r: fmt_s(sum(r["times"][s].median for s in STAGES)),
    )
    row(
        "solve ns/edge (both bounds + flags)",
        lambda r: f"{r['times']['solve'].median / r['m'] * 1e9:.1f}",
    )
    row(
        "solve ns/edge per metric (÷2)",
        lambda r: f"{r['times']['solve'].median / r['m'] / 2 * 1e9:.1f}",
    )
    row(
        "confirmed / possible / estimated SKUs; closed nodes",
        lambda r: f"{r['confirmed']:,} / {r['possible']:,} / {r['estimated']:,}; {r['closed']}",
    )
    row(
        "trace_sku p50 / p99 (samples; first call)",
        lambda r: (
            f"{fmt_s(percentile(r['q']['trace'], 50))} / "
            f"{fmt_s(percentile(r['q']['trace'], 99))} ({len(r['q']['trace'])}; "
            f"{fmt_s(r['q']['trace_first'])})"
        ),
    )
    row(
        "trace tree size p50 / max nodes",
        lambda r: f"{r['q']['trace_nodes_p50']:.0f} / {r['q']['trace_nodes_max']:,}",
    )
    row(
        "impact p50 / p99 (samples)",
        lambda r: (
            f"{fmt_s(percentile(r['q']['impact'], 50))} / "
            f"{fmt_s(percentile(r['q']['impact'], 99))} ({len(r['q']['impact'])})"
        ),
    )
    row(
        "impact biggest hub (out-degree, products hit)",
        lambda r: (
            f"{fmt_s(r['q']['hub'][2])} ({r['q']['hub'][0]}: {r['q']['hub'][1]:,}, "
            f"{r['q']['hub'][3]:,})"
        ),
    )

    def mem(r: dict[str, Any]) -> str:
        e, nb = r["graph_bytes"]
        return f"{e / r['m']:.0f} B/edge + {nb / r['n']:.0f} B/node"

    row("Graph arrays (numeric; ids as pointers)", mem)
    row(
        "RSS growth: read / +validate / whole pipeline",
        lambda r: (
            f"{r['rss']['read']:.0f} / {r['rss']['validate']:.0f} / {r['rss']['all']:.0f} MiB"
        ),
    )
    row(
        "RSS growth per input row (whole pipeline)",
        lambda r: f"{r['rss']['all'] * 2**20 / r['rows']:.0f} B",
    )
    row("peak RSS of the process so far", lambda r: f"{r['peak_mb']:.0f} MiB")

    if any("naive" in r for r in runs.values()):
        lines += [
            "",
            "### Naive baseline (same process, full graph)",
            "",
            "networkx: one `DiGraph` of the whole flow graph (built once, not counted per SKU), "
            "then per SKU `nx.ancestors` + subgraph + propagation of both bounds in topological "
            "order of its SCCs (Gauss-Seidel inside cyclic SCCs, closed loops [0, 1]); the "
            "sampled SKUs are checked against the batch solve (max |diff| below) and the mean "
            "per-SKU time is extrapolated to all SKUs. rustworkx: `ancestors` only, propagation "
            "not counted (a lower bound for that approach).",
            "",
            head,
            "|---|" + "---|" * len(labels),
        ]

        def nv(fn: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
            return lambda r: fn(r["naive"]) if "naive" in r else "–"

        row(
            "nx DiGraph build (RSS growth)",
            nv(lambda n: f"{fmt_s(n['build'])} ({n['nx_mb']:.0f} MiB)"),
        )
        row(
            "nx per-SKU (samples, max abs diff vs batch)",
            nv(lambda n: f"{fmt_s(n['per_sku'])} ({n['samples']}, {n['err']:.1e})"),
        )
        row("nx all SKUs (extrapolated)", nv(lambda n: fmt_s(n["all"])))
        row(
            "batch solve_graph ÷ into nx all SKUs",
            lambda r: (
                f"{r['naive']['all'] / r['times']['solve'].median:,.0f}×" if "naive" in r else "–"
            ),
        )
        row(
            "trace_sku p50 vs nx per-SKU",
            lambda r: (
                f"{r['naive']['per_sku'] / percentile(r['q']['trace'], 50):,.2f}× faster"
                if "naive" in r
                else "–"
            ),
        )
        row(
            "rustworkx ancestors per SKU / all SKUs",
            nv(
                lambda n: (
                    f"{fmt_s(n['rx_per_sku'])} / {fmt_s(n['rx_all'])}" if "rx_per_sku" in n else "–"
                )
            ),
        )
        row(
            "batch solve_graph ÷ into rustworkx all SKUs",
            lambda r: (
                f"{r['naive']['rx_all'] / r['times']['solve'].median:,.0f}×"
                if "naive" in r and "rx_all" in r["naive"]
                else "–"
            ),
        )
    if len(labels) == 2:
        a, b = (runs[k] for k in labels)
        lines += [
            "",
            "Cyclic / DAG solve time: "
            f"{a['times']['solve'].median / b['times']['solve'].median:.2f}×"
            f" ({labels[0]} vs {labels[1]}).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--links", type=int, default=1_000_000, help="supply rows to generate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None, help="append the markdown report here")
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/graphtrace-bench"))
    ap.add_argument("--back-edges", type=float, default=0.01, help="cyclic variant")
    ap.add_argument("--traces", type=int, default=200, help="random SKUs for trace_sku")
    ap.add_argument("--impacts", type=int, default=50, help="random facilities for impact")
    ap.add_argument("--query-budget", type=float, default=120.0, help="s per query kind")
    ap.add_argument("--naive-skus", type=int, default=20, help="0 skips the naive baseline")
    ap.add_argument("--naive-budget", type=float, default=120.0, help="s for naive SKUs")
    args = ap.parse_args()

    loads = [load()]
    info = machine()
    entities = read_entity_list(ENTITY_LIST)
    runs: dict[str, dict[str, Any]] = {}
    for label, back in ((f"{args.back_edges:.0%} back-edges", args.back_edges), ("DAG", 0.0)):
        path = dataset_dir(args.cache_dir, args.links, args.seed, back)
        runs[label] = bench_variant(path, args, entities, label)
        gc.collect()
    loads.append(load())
    text = report(args, info, runs, loads)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
