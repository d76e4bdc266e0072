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
from graphtrace.kernel import gather, prepare
from graphtrace.model import ROW
from graphtrace.propagate import CLOSED, UNTRACED, Propagation, exposure, exposures

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
    total_nodes: int = 0  # nodes in the whole upstream tree (``nodes`` may show fewer)

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
            "total_nodes": self.total_nodes,
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


class _Index:
    """Per-propagation lookup arrays: inbound/outbound CSR over live edges and node/edge columns.

    Built once and cached on the :class:`Propagation`, so that a trace or an impact query touches
    only its own subgraph (reading one pandas cell at a time costs ~100 µs; these are arrays).
    """

    def __init__(self, p: Propagation) -> None:
        g = p.graph
        ds = g.dataset
        live = np.flatnonzero(g.weight > 0)
        self.in_edges, self.in_ptr = _csr(live, g.buyer, g.n)
        self.out_edges, self.out_ptr = _csr(live, g.supplier, g.n)
        fac, prod = ds.facilities, ds.products
        npr = len(prod)
        self.name = np.concatenate([fac["name"].to_numpy(object), prod["name"].to_numpy(object)])
        self.role = np.concatenate([fac["role"].to_numpy(object), np.full(npr, "product", object)])
        self.country = np.concatenate([fac["country"].to_numpy(object), np.full(npr, "", object)])
        self.made_at = prod["made_at"].to_numpy(object)
        self.row = np.concatenate([fac[ROW].to_numpy(np.int64), prod[ROW].to_numpy(np.int64)])
        self.sup_material = ds.supplies["material"].to_numpy(object)
        self.sup_reference = ds.supplies["reference"].to_numpy(object)
        self.sup_row = ds.supplies[ROW].to_numpy(np.int64)
        self.bom_component = ds.bom["component"].to_numpy(object)
        self.bom_row = ds.bom[ROW].to_numpy(np.int64)
        self.files = {t: ds.file_of(t) for t in ("facilities", "products", "supplies", "bom")}

    def inbound(self, node: int) -> np.ndarray:
        return self.in_edges[self.in_ptr[node] : self.in_ptr[node + 1]]


def _csr(edges: np.ndarray, key: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = edges[np.argsort(key[edges], kind="stable")]
    return order, np.concatenate([[0], np.cumsum(np.bincount(key[order], minlength=n))])


def _index(p: Propagation) -> _Index:
    cached = getattr(p, "_index_cache", None)
    if cached is None:
        cached = _Index(p)
        p._index_cache = cached  # type: ignore[attr-defined]
    return cached


def _walk(
    ptr: np.ndarray,
    edges: np.ndarray,
    far_end: np.ndarray,
    starts: np.ndarray,
    expand: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first walk over distinct nodes, frontier by frontier (vectorised).

    Returns the nodes in visiting order, their depth, and every edge followed out of an expanded
    node (``expand`` says which nodes are expanded). Costs only the visited subgraph.
    """
    n = len(ptr) - 1
    seen = np.zeros(n, dtype=bool)
    seen[starts] = True
    order, depth, used = [starts], [np.zeros(len(starts), np.int64)], []
    frontier, d = starts, 0
    while len(frontier):
        grow = frontier[expand[frontier]]
        e = gather(ptr, edges, grow)
        used.append(e)
        nxt = np.unique(far_end[e])
        nxt = nxt[~seen[nxt]]
        seen[nxt] = True
        d += 1
        order.append(nxt)
        depth.append(np.full(len(nxt), d, np.int64))
        frontier = nxt
    return (
        np.concatenate(order),
        np.concatenate(depth),
        np.concatenate(used) if used else np.empty(0, np.int64),
    )


def unknown_sku(graph: Graph, sku: str) -> InputError:
    skus = [str(s) for s in graph.ids[graph.n_facilities :]]
    close = difflib.get_close_matches(sku, skus, n=3)
    hint = (
        f"; did you mean {', '.join(close)}?"
        if close
        else "; list them with `graphtrace propagate`"
    )
    return InputError(f"unknown SKU {sku!r}: it is not in products.csv{hint}")


def trace_sku(p: Propagation, sku: str, top: int = 10, max_nodes: int = 200) -> Trace:
    """The upstream tree of ``sku`` tier by tier, its top evidence paths and its gaps.

    The whole upstream subgraph is solved; the tree shows the ``max_nodes`` nodes that carry the
    largest shares of the SKU (0 = all), with the links among them. Gaps are always complete.
    """
    g = p.graph
    s = g.product(sku)
    if s is None:
        raise unknown_sku(g, sku)
    ix = _index(p)
    stop = p.fixed | p.closed  # nodes whose inputs do not count
    order, tier, edges = _walk(ix.in_ptr, ix.in_edges, g.supplier, np.array([s], np.int64), ~stop)
    reach = _reach(g, order, edges)
    lo, hi = float(p.lo[s]), float(p.hi[s])
    t = Trace(
        sku=sku,
        name=str(ix.name[s]),
        exposure=exposure(lo, hi),
        risk_share_min=lo,
        risk_share_max=hi,
        traced_share=1.0 - (hi - lo),
        estimated=bool(p.estimated[s]),
        as_of=None if g.as_of is None else g.as_of.date().isoformat(),
        total_nodes=len(order),
    )
    keep = np.arange(len(order))
    if max_nodes and len(order) > max_nodes:
        by_share = np.lexsort((order, -reach))  # largest share first, ties by node id
        keep = np.sort(by_share[:max_nodes])
        if 0 not in keep:  # the SKU itself always shows
            keep = np.concatenate([[0], keep[:-1]])
    ids = g.ids[order[keep]].astype(str)
    ranked = keep[np.lexsort((ids, -reach[keep], tier[keep]))]
    t.nodes = [_tree_node(p, ix, int(order[i]), int(tier[i]), float(reach[i])) for i in ranked]
    shown = np.zeros(g.n, dtype=bool)
    shown[order[keep]] = True
    edges = edges[shown[g.supplier[edges]] & shown[g.buyer[edges]]]
    t.links = sorted(
        (_link(g, ix, int(e)) for e in edges),
        key=lambda lk: (lk.buyer, -lk.share, lk.supplier, lk.source),
    )
    t.paths = evidence_paths(p, s, top)
    t.explained_share = sum(path.share for path in t.paths)
    status = p.statuses()[order]
    gap_at = np.flatnonzero(((status == UNTRACED) | (status == CLOSED)) & (reach > 0))
    gaps = [
        Gap(
            id=str(g.ids[order[i]]),
            name=str(ix.name[order[i]]),
            role=str(ix.role[order[i]]),
            status=p.status(int(order[i])),
            share_unknown=_r(reach[i] * (p.hi[order[i]] - p.lo[order[i]])),
            source=_node_source(ix, int(order[i]), g.n_facilities),
        )
        for i in gap_at.tolist()
    ]
    t.gaps = sorted(gaps, key=lambda gp: (-gp.share_unknown, gp.id))
    return t


def _reach(g: Graph, order: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of the SKU's (``order[0]``) material that passes through each node of its tree.

    Solves ``y = e_sku + W^T y`` on the tree's nodes (exact on cycles, via the kernel).
    """
    if len(edges) == 0:
        return np.ones(len(order))
    local = np.full(g.n, -1, dtype=np.int64)
    local[order] = np.arange(len(order))
    fixed = np.zeros(len(order), dtype=bool)
    fixed[0] = True
    values = np.zeros((len(order), 1))
    values[0, 0] = 1.0
    plan = prepare(
        len(order), local[g.supplier[edges]], local[g.buyer[edges]], g.weight[edges], fixed
    )
    return np.asarray(plan.solve(values).x[:, 0])


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
    ix = _index(p)
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
                EvidencePath(share, [str(g.ids[v]) for v in nodes], [_link(g, ix, e) for e in used])
            )
            continue
        expansions += 1
        v = nodes[-1]
        if stop[v]:
            continue
        for e in ix.inbound(v).tolist():
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


def _tree_node(p: Propagation, ix: _Index, v: int, tier: int, reach: float) -> TreeNode:
    nf = p.graph.n_facilities
    return TreeNode(
        id=str(p.graph.ids[v]),
        kind="facility" if v < nf else "product",
        tier=tier,
        name=str(ix.name[v]),
        role=str(ix.role[v]),
        country=str(ix.country[v]),
        status=p.status(v),
        risk_share_min=float(p.lo[v]),
        risk_share_max=float(p.hi[v]),
        share_of_sku=reach,
        estimated=bool(p.estimated[v]),
        reasons=[str(r) for r in p.reasons.get(v, [])],
        source=_node_source(ix, v, nf),
    )


def _node_source(ix: _Index, v: int, nf: int) -> str:
    table = "facilities" if v < nf else "products"
    return f"{ix.files[table]} row {int(ix.row[v])}"


def _link(g: Graph, ix: _Index, e: int) -> Link:
    k = int(g.kind[e])
    rec = int(g.record[e])
    reference = ""
    if k == SUPPLY:
        material, reference = str(ix.sup_material[rec]), str(ix.sup_reference[rec])
        source = f"{ix.files['supplies']} row {int(ix.sup_row[rec])}"
    elif k == BOM:
        material = str(ix.bom_component[rec])
        source = f"{ix.files['bom']} row {int(ix.bom_row[rec])}"
    else:
        material = "(made here)"
        source = _node_source(ix, int(g.buyer[e]), g.n_facilities)
    mass = float(g.mass_kg[e])
    return Link(
        supplier=str(g.ids[g.supplier[e]]),
        buyer=str(g.ids[g.buyer[e]]),
        share=float(g.weight[e]),
        kind=EDGE_TABLES[k],
        material=material,
        mass_kg=None if np.isnan(mass) else mass,
        reference=reference,
        source=source,
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
    ix = _index(p)
    nf = g.n_facilities
    starts = np.concatenate([[f], nf + np.flatnonzero(g.made_at == f)]).astype(np.int64)
    is_start = np.zeros(g.n, dtype=bool)
    is_start[starts] = True
    # Forward walk over distinct nodes; every inbound edge of a reached node from a reached node.
    nodes, _, _ = _walk(ix.out_ptr, ix.out_edges, g.buyer, starts, np.ones(g.n, dtype=bool))
    nodes = np.sort(nodes)
    local = np.full(g.n, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    sub = gather(ix.in_ptr, ix.in_edges, nodes[~is_start[nodes]])
    sub = sub[local[g.supplier[sub]] >= 0]
    fixed = is_start[nodes]
    sol = prepare(
        len(nodes), local[g.buyer[sub]], local[g.supplier[sub]], g.weight[sub], fixed
    ).solve(fixed.astype(float)[:, None])
    share = np.clip(sol.x[:, 0], 0.0, 1.0)
    pick = (nodes >= nf) & (share > 1e-12)
    v = nodes[pick]
    frame = pd.DataFrame(
        {
            "sku": g.ids[v].astype(str),
            "name": ix.name[v].astype(str),
            "made_at": ix.made_at[v - nf].astype(str),
            "risk_share": np.round(share[pick], 12),
            "exposure": exposures(p.lo[v], p.hi[v]),
        }
    )
    return frame.sort_values(
        ["risk_share", "sku"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


__all__ = ["EvidencePath", "Gap", "Link", "Trace", "TreeNode", "impact", "trace_sku"]
