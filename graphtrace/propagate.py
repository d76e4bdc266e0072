"""Risk propagation: bounds of the share of every facility's and product's material that passed
through a risk source (rules 2-7), solved as one sparse linear system over the whole graph.

The maths is a Leontief system ``x = b + W x`` (see ``kernel``): sources are fixed at ``[1, 1]``,
origins without inputs at ``[0, 0]``, other facilities without inputs (untraced) at ``[0, 1]``;
the lower bound counts untraced inputs as clean, the upper bound as risky. Both bounds come from
one solve with two right-hand sides; nothing walks paths or SKUs one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphtrace.build import Graph, build_graph
from graphtrace.kernel import downstream_mask, prepare
from graphtrace.model import Dataset, EntityEntry, Reason, positions
from graphtrace.screen import screen

#: Node statuses, in the words the reports use.
SOURCE, ORIGIN, UNTRACED, CLOSED, TRACED = "source", "origin", "untraced", "closed-loop", "traced"
#: Values closer than this to 0 or 1 are treated as exactly 0 or 1 (float noise of the solve).
EPS = 1e-12


@dataclass
class Propagation:
    """Bounds for every node of a graph, and why the fixed ones are fixed."""

    graph: Graph
    reasons: dict[int, list[Reason]]  # node -> why it is a risk source
    fixed: np.ndarray  # (n,) bool: value given by a rule, not computed
    lo: np.ndarray  # (n,) lower bound of the risk share
    hi: np.ndarray  # (n,) upper bound
    estimated: np.ndarray  # (n,) bool: depends on equal weights (missing volumes)
    closed: np.ndarray  # (n,) bool: in a closed loop with no outside input

    def statuses(self) -> np.ndarray:
        """Every node's status (source, closed-loop, origin, untraced or traced); cached."""
        cached = self.__dict__.get("_statuses")
        if cached is None:
            cached = np.full(len(self.lo), TRACED, dtype=object)
            cached[self.fixed] = UNTRACED
            cached[self.fixed & (self.hi == 0)] = ORIGIN
            cached[self.closed] = CLOSED
            if self.reasons:
                cached[np.fromiter(self.reasons, dtype=np.int64)] = SOURCE
            self.__dict__["_statuses"] = cached
        return cached

    def status(self, node: int) -> str:
        return str(self.statuses()[node])

    def exposure(self, node: int) -> str:
        return exposure(self.lo[node], self.hi[node])

    def products(self) -> pd.DataFrame:
        """One row per product, sorted by sku: the table ``graphtrace propagate`` writes."""
        g = self.graph
        nf = g.n_facilities
        prod = g.dataset.products
        lo, hi = self.lo[nf:], self.hi[nf:]
        frame = pd.DataFrame(
            {
                "sku": prod["sku"].to_numpy(object),
                "name": prod["name"].to_numpy(object),
                "made_at": prod["made_at"].to_numpy(object),
                "exposure": exposures(lo, hi),
                "risk_share_min": np.round(lo, 12),
                "risk_share_max": np.round(hi, 12),
                "traced_share": np.round(1.0 - (hi - lo), 12),
                "estimated": self.estimated[nf:],
            }
        )
        import pyarrow as pa
        import pyarrow.compute as pc

        order = pc.sort_indices(pa.array(frame["sku"].to_numpy(object), pa.string()))
        return frame.take(order.to_numpy()).reset_index(drop=True)


def exposure(lo: float, hi: float) -> str:
    """Rule 7: confirmed when min > 0, possible when min = 0 < max, clear when max = 0."""
    return "confirmed" if lo > 0 else ("possible" if hi > 0 else "clear")


def exposures(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.where(lo > 0, "confirmed", np.where(hi > 0, "possible", "clear")).astype(object)


def source_reasons(
    graph: Graph, entities: Sequence[EntityEntry] = (), as_of: pd.Timestamp | None = None
) -> dict[int, list[Reason]]:
    """Rule 1 (facilities) and rule 5's first sentence (products made at a source)."""
    ds = graph.dataset
    by_id = screen(
        ds.facilities,
        ds.flags,
        entities,
        as_of,
        facilities_file=ds.file_of("facilities"),
        flags_file=ds.file_of("flags"),
    )
    reasons: dict[int, list[Reason]] = {}
    if by_id:
        ids = sorted(by_id)
        found = positions(pd.Series(ids, dtype=object), ds.facilities["facility_id"])
        for node, fid in zip(found.tolist(), ids, strict=True):
            if node >= 0:
                reasons[node] = by_id[fid]
    nf = graph.n_facilities
    prod_file = ds.file_of("products")
    rows = ds.products["_row"].to_numpy()
    for j, m in enumerate(graph.made_at.tolist()):
        if m in reasons:
            reasons[nf + j] = [
                Reason(
                    "made-at-source",
                    f"made at {graph.ids[m]}, a risk source",
                    f"{prod_file} row {int(rows[j])}",
                )
            ]
    return reasons


def solve_graph(graph: Graph, reasons: dict[int, list[Reason]]) -> Propagation:
    """Solve rules 3-4 for every node of ``graph`` given the risk sources ``reasons``."""
    n = graph.n
    is_source = np.zeros(n, dtype=bool)
    if reasons:
        is_source[np.fromiter(reasons, dtype=np.int64)] = True
    live = graph.weight > 0
    has_in = np.zeros(n, dtype=bool)
    has_in[graph.buyer[live]] = True
    fixed = is_source | ~has_in
    values = np.zeros((n, 2))
    values[is_source] = 1.0
    untraced = ~is_source & ~has_in & ~graph.origin
    values[untraced, 1] = 1.0
    plan = prepare(n, graph.buyer[live], graph.supplier[live], graph.weight[live], fixed)
    sol = plan.solve(values, closed_values=np.array([0.0, 1.0]))
    x = np.clip(sol.x, 0.0, 1.0)
    x[np.abs(x) < EPS] = 0.0
    x[np.abs(1.0 - x) < EPS] = 1.0

    # A result is estimated when an equal-weight (volume missing) node feeds it.
    seeds = graph.estimated & ~fixed
    edge_ok = live & ~fixed[graph.buyer]
    estimated = downstream_mask(n, graph.supplier[edge_ok], graph.buyer[edge_ok], seeds)
    return Propagation(
        graph=graph,
        reasons=reasons,
        fixed=fixed,
        lo=x[:, 0],
        hi=x[:, 1],
        estimated=estimated,
        closed=np.asarray(sol.closed, dtype=bool),
    )


def propagate_risk(
    dataset: Dataset,
    entities: Sequence[EntityEntry] = (),
    as_of: pd.Timestamp | None = None,
) -> Propagation:
    """Screen, build and solve: the bounds of every facility and product of ``dataset``."""
    graph = build_graph(dataset, as_of)
    return solve_graph(graph, source_reasons(graph, entities, as_of))
