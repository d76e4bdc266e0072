"""Explanations behind the numbers: one SKU's supplier tree, evidence paths and gaps, and the
reverse impact of one facility.

Values are never computed by enumerating paths: the tree's shares come from one small linear
solve over the SKU's upstream subgraph, and the evidence paths are found best-first with the
already-computed lower bounds as an exact upper bound on what a partial path can still explain
(structural path analysis), so only the top ``k`` paths are ever built.
"""

from __future__ import annotations

import difflib
import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graphtrace.build import BOM, EDGE_TABLES, SUPPLY, Graph
from graphtrace.errors import InputError
from graphtrace.kernel import prepare
from graphtrace.propagate import CLOSED, SOURCE, UNTRACED, Propagation, exposure

#: Best-first search stops after this many expansions, whatever it has found by then.
MAX_EXPANSIONS = 50_000


@dataclass
class Link:
    """One supply, BOM or made-at link in a tree: ``supplier`` feeds ``buyer`` with ``share``."""

    supplier: str
    buyer: str
    share: float
    kind: str  # "supplies", "bom" or "products" (made_at)
    material: str
    mass_kg: float | None
    reference: str
    source: str  # "supplies.csv row 7"

    def to_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            "buyer": self.buyer,
            "share": _r(self.share),
            "kind": self.kind,
            "material": self.material,
            "mass_kg": None if self.mass_kg is None else _r(self.mass_kg),
            "reference": self.reference,
            "source": self.source,
        }


@dataclass
class TreeNode:
    """A facility or product in a SKU's upstream tree."""

    id: str
    kind: str  # "facility" or "product"
    tier: int
    name: str
    role: str
    country: str
    status: str
    risk_share_min: float
    risk_share_max: float
    share_of_sku: float  # share of the SKU's material that passes through this node
    estimated: bool
    reasons: list[str]
    source: str

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        for k in ("risk_share_min", "risk_share_max", "share_of_sku"):
            d[k] = _r(d[k])
        return d


@dataclass
class EvidencePath:
    """A chain from a risk source to the SKU, and the share of the SKU it explains."""

    share: float
    nodes: list[str]  # SKU first, source last
    links: list[Link]

    def to_dict(self) -> dict[str, Any]:
        return {
            "share": _r(self.share),
            "nodes": self.nodes,
            "links": [lk.to_dict() for lk in self.links],
        }


@dataclass
class Gap:
    """An untraced facility (or closed loop) and the share of the SKU it leaves unknown."""

    id: str
    name: str
    role: str
    status: str
    share_unknown: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["share_unknown"] = _r(d["share_unknown"])
        return d


@dataclass
class Trace:
    """Everything ``graphtrace trace`` shows for one SKU."""

    sku: str
    name: str
    exposure: str
    risk_share_min: float
    risk_share_max: float
    traced_share: float
    estimated: bool
    as_of: str | None
    nodes: list[TreeNode] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    paths: list[EvidencePath] = field(default_factory=list)
    explained_share: float = 0.0
    gaps: list[Gap] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "exposure": self.exposure,
            "risk_share_min": _r(self.risk_share_min),
            "risk_share_max": _r(self.risk_share_max),
            "traced_share": _r(self.traced_share),
            "estimated": self.estimated,
            "as_of": self.as_of,
            "tiers": _tiers(self.nodes),
            "links": [lk.to_dict() for lk in self.links],
            "evidence_paths": [p.to_dict() for p in self.paths],
            "explained_share": _r(self.explained_share),
            "gaps": [g.to_dict() for g in self.gaps],
        }


def _r(x: float) -> float:
    return round(float(x), 12)


def _tiers(nodes: list[TreeNode]) -> list[dict[str, Any]]:
    tiers: dict[int, list[dict[str, Any]]] = {}
    for n in nodes:
        tiers.setdefault(n.tier, []).append(n.to_dict())
    return [{"tier": t, "nodes": tiers[t]} for t in sorted(tiers)]


class _Inbound:
    """Inbound edges per node (CSR over live edges), built once per propagation."""

    def __init__(self, p: Propagation) -> None:
        g = p.graph
        live = np.flatnonzero(g.weight > 0)
        order = live[np.argsort(g.buyer[live], kind="stable")]
        self.edges = order
        counts = np.bincount(g.buyer[order], minlength=g.n)
        self.indptr = np.concatenate([[0], np.cumsum(counts)])

    def of(self, node: int) -> np.ndarray:
        return self.edges[self.indptr[node] : self.indptr[node + 1]]


def _inbound(p: Propagation) -> _Inbound:
    cached = getattr(p, "_inbound_cache", None)
    if cached is None:
        cached = _Inbound(p)
        p._inbound_cache = cached  # type: ignore[attr-defined]
    return cached


def unknown_sku(graph: Graph, sku: str) -> InputError:
    skus = [str(s) for s in graph.ids[graph.n_facilities :]]
    close = difflib.get_close_matches(sku, skus, n=3)
    hint = (
        f"; did you mean {', '.join(close)}?"
        if close
        else "; list them with `graphtrace propagate`"
    )
    return InputError(f"unknown SKU {sku!r}: it is not in products.csv{hint}")


def trace_sku(p: Propagation, sku: str, top: int = 10) -> Trace:
    """The upstream tree of ``sku`` tier by tier, its top evidence paths and its gaps."""
    g = p.graph
    s = g.product(sku)
    if s is None:
        raise unknown_sku(g, sku)
    inbound = _inbound(p)
    stop = p.fixed | p.closed  # nodes whose inputs do not count

    # Breadth-first upstream walk over distinct nodes: tier = shortest distance from the SKU.
    tier = {s: 0}
    order = [s]
    edges: list[int] = []
    frontier = [s]
    while frontier:
        nxt = []
        for v in frontier:
            if stop[v]:
                continue
            for e in inbound.of(v).tolist():
                edges.append(e)
                u = int(g.supplier[e])
                if u not in tier:
                    tier[u] = tier[v] + 1
                    order.append(u)
                    nxt.append(u)
        frontier = nxt

    reach = _reach(g, s, order, edges)
    lo, hi = float(p.lo[s]), float(p.hi[s])
    t = Trace(
        sku=sku,
        name=str(g.dataset.products["name"].iat[s - g.n_facilities]),
        exposure=exposure(lo, hi),
        risk_share_min=lo,
        risk_share_max=hi,
        traced_share=1.0 - (hi - lo),
        estimated=bool(p.estimated[s]),
        as_of=None if g.as_of is None else g.as_of.date().isoformat(),
    )
    ranked = sorted(order, key=lambda v: (tier[v], -reach[v], str(g.ids[v])))
    t.nodes = [_tree_node(p, v, tier[v], reach[v]) for v in ranked]
    t.links = sorted(
        (_link(g, e) for e in edges), key=lambda lk: (lk.buyer, -lk.share, lk.supplier, lk.source)
    )
    t.paths = evidence_paths(p, s, top)
    t.explained_share = sum(path.share for path in t.paths)
    gaps = [
        Gap(
            id=str(g.ids[v]),
            name=_name(g, v),
            role=_role(g, v),
            status=p.status(v),
            share_unknown=_r(reach[v] * (p.hi[v] - p.lo[v])),
            source=_node_source(g, v),
        )
        for v in order
        if p.status(v) in (UNTRACED, CLOSED) and reach[v] > 0
    ]
    t.gaps = sorted(gaps, key=lambda gp: (-gp.share_unknown, gp.id))
    return t


def _reach(g: Graph, s: int, order: list[int], edges: list[int]) -> dict[int, float]:
    """Share of ``s``'s material that passes through each node of its upstream tree.

    Solves ``y = e_s + W^T y`` on the tree's nodes (exact on cycles, via the kernel).
    """
    local = {v: i for i, v in enumerate(order)}
    e = np.asarray(edges, dtype=np.int64)
    if len(e) == 0:
        return {s: 1.0}
    buyer = np.fromiter((local[int(v)] for v in g.supplier[e]), np.int64, len(e))
    supplier = np.fromiter((local[int(v)] for v in g.buyer[e]), np.int64, len(e))
    fixed = np.zeros(len(order), dtype=bool)
    fixed[0] = True
    values = np.zeros((len(order), 1))
    values[0, 0] = 1.0
    sol = prepare(len(order), buyer, supplier, g.weight[e], fixed).solve(values)
    y = sol.x[:, 0]
    return {v: float(y[i]) for i, v in enumerate(order)}


def evidence_paths(p: Propagation, s: int, top: int = 10) -> list[EvidencePath]:
    """The ``top`` simple paths from risk sources to node ``s`` that explain the largest shares.

    Best-first search: a partial path's priority is its share so far times the lower bound of
    its end node, which no completion can exceed, so complete paths come out largest first.
    """
    g = p.graph
    if top <= 0 or p.lo[s] <= 0:
        return []
    if s in p.reasons:
        return [EvidencePath(1.0, [str(g.ids[s])], [])]
    inbound = _inbound(p)
    stop = p.fixed | p.closed
    counter = 0
    heap: list[tuple[float, int, float, tuple[int, ...], tuple[int, ...], bool]] = [
        (-float(p.lo[s]), counter, 1.0, (s,), (), False)
    ]
    found: list[EvidencePath] = []
    expansions = 0
    while heap and len(found) < top and expansions < MAX_EXPANSIONS:
        _, _, share, nodes, used, done = heapq.heappop(heap)
        if done:
            found.append(
                EvidencePath(share, [str(g.ids[v]) for v in nodes], [_link(g, e) for e in used])
            )
            continue
        expansions += 1
        v = nodes[-1]
        if stop[v]:
            continue
        for e in inbound.of(v).tolist():
            u = int(g.supplier[e])
            if u in nodes:
                continue
            w = share * float(g.weight[e])
            if u in p.reasons:
                counter += 1
                heapq.heappush(heap, (-w, counter, w, (*nodes, u), (*used, e), True))
            elif p.lo[u] > 0:
                counter += 1
                heapq.heappush(
                    heap, (-w * float(p.lo[u]), counter, w, (*nodes, u), (*used, e), False)
                )
    return found


def _tree_node(p: Propagation, v: int, tier: int, reach: float) -> TreeNode:
    g = p.graph
    is_fac = v < g.n_facilities
    country = str(g.dataset.facilities["country"].iat[v]) if is_fac else ""
    return TreeNode(
        id=str(g.ids[v]),
        kind="facility" if is_fac else "product",
        tier=tier,
        name=_name(g, v),
        role=_role(g, v),
        country=country,
        status=p.status(v),
        risk_share_min=float(p.lo[v]),
        risk_share_max=float(p.hi[v]),
        share_of_sku=reach,
        estimated=bool(p.estimated[v]),
        reasons=[str(r) for r in p.reasons.get(v, [])],
        source=_node_source(g, v),
    )


def _name(g: Graph, v: int) -> str:
    if v < g.n_facilities:
        return str(g.dataset.facilities["name"].iat[v])
    return str(g.dataset.products["name"].iat[v - g.n_facilities])


def _role(g: Graph, v: int) -> str:
    return str(g.dataset.facilities["role"].iat[v]) if v < g.n_facilities else "product"


def _node_source(g: Graph, v: int) -> str:
    ds = g.dataset
    if v < g.n_facilities:
        return f"{ds.file_of('facilities')} row {int(ds.facilities['_row'].iat[v])}"
    return f"{ds.file_of('products')} row {int(ds.products['_row'].iat[v - g.n_facilities])}"


def _link(g: Graph, e: int) -> Link:
    k = int(g.kind[e])
    ds = g.dataset
    material, reference = "", ""
    if k == SUPPLY:
        rec = int(g.record[e])
        material = str(ds.supplies["material"].iat[rec])
        reference = str(ds.supplies["reference"].iat[rec])
    elif k == BOM:
        material = str(ds.bom["component"].iat[int(g.record[e])])
    else:
        material = "(made here)"
    mass = float(g.mass_kg[e])
    return Link(
        supplier=str(g.ids[g.supplier[e]]),
        buyer=str(g.ids[g.buyer[e]]),
        share=float(g.weight[e]),
        kind=EDGE_TABLES[k],
        material=material,
        mass_kg=None if np.isnan(mass) else mass,
        reference=reference,
        source=g.source_ref(e),
    )


def impact(p: Propagation, facility_id: str) -> pd.DataFrame:
    """Every product fed by ``facility_id`` with the share of its material that passed through it.

    ``risk_share`` is the product's lower bound with that facility as the only risk source
    (rule 5: products made at it count whole). Sorted largest first, then by sku.
    """
    g = p.graph
    f = g.facility(facility_id)
    if f is None:
        ids = [str(x) for x in g.ids[: g.n_facilities]]
        close = difflib.get_close_matches(facility_id, ids, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(f"unknown facility {facility_id!r}: it is not in facilities.csv{hint}")
    nf = g.n_facilities
    live = np.flatnonzero(g.weight > 0)
    starts = np.concatenate([[f], nf + np.flatnonzero(g.made_at == f)]).astype(np.int64)
    # Forward walk from the facility over distinct nodes.
    order = np.argsort(g.supplier[live], kind="stable")
    out_edges = live[order]
    counts = np.bincount(g.supplier[out_edges], minlength=g.n)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    seen = np.zeros(g.n, dtype=bool)
    seen[starts] = True
    frontier = starts
    while len(frontier):
        nbr = (
            np.concatenate(
                [g.buyer[out_edges[indptr[v] : indptr[v + 1]]] for v in frontier.tolist()]
            )
            if len(frontier)
            else np.empty(0, np.int64)
        )
        nbr = np.unique(nbr)
        nbr = nbr[~seen[nbr]]
        seen[nbr] = True
        frontier = nbr
    nodes = np.flatnonzero(seen)
    local = np.full(g.n, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    is_start = np.zeros(g.n, dtype=bool)
    is_start[starts] = True
    sub = live[seen[g.supplier[live]] & seen[g.buyer[live]] & ~is_start[g.buyer[live]]]
    fixed = is_start[nodes]
    values = fixed.astype(float)[:, None]
    sol = prepare(
        len(nodes), local[g.buyer[sub]], local[g.supplier[sub]], g.weight[sub], fixed
    ).solve(values)
    share = np.clip(sol.x[:, 0], 0.0, 1.0)
    prod_mask = nodes >= nf
    rows = []
    for v, val in zip(nodes[prod_mask].tolist(), share[prod_mask].tolist(), strict=True):
        if val <= 1e-12:
            continue
        j = v - nf
        rows.append(
            {
                "sku": str(g.ids[v]),
                "name": str(g.dataset.products["name"].iat[j]),
                "made_at": str(g.dataset.products["made_at"].iat[j]),
                "risk_share": _r(val),
                "exposure": p.exposure(v),
            }
        )
    frame = pd.DataFrame(rows, columns=["sku", "name", "made_at", "risk_share", "exposure"])
    return frame.sort_values(
        ["risk_share", "sku"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


__all__ = ["SOURCE", "EvidencePath", "Gap", "Link", "Trace", "TreeNode", "impact", "trace_sku"]
