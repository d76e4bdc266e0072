"""Tests of the numeric core: hand-computed systems and properties against a dense solve."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphtrace.kernel import Csr, downstream_mask, prepare, solve, upstream


def _arr(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=np.float64)


def _solve1(n, edges, fixed_vals, closed_values=None, **kw):
    """Solve with edges [(buyer, supplier, weight)] and {node: value or (lo, hi)}."""
    b = np.array([e[0] for e in edges], dtype=np.int64)
    s = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges], dtype=np.float64)
    fixed = np.zeros(n, dtype=bool)
    k = max((np.size(v) for v in fixed_vals.values()), default=1)
    values = np.zeros((n, k))
    for node, v in fixed_vals.items():
        fixed[node] = True
        values[node] = v
    plan = prepare(n, b, s, w, fixed, **kw)
    return plan, plan.solve(values, closed_values)


# --------------------------------------------------------------------------- hand-computed cases


def test_chain() -> None:
    # 0 (source) -> 1 -> 2 -> 3, full shares.
    plan, sol = _solve1(4, [(1, 0, 1.0), (2, 1, 1.0), (3, 2, 1.0)], {0: 1.0})
    assert sol.x[:, 0].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert sol.level.tolist() == [0, 1, 2, 3]
    assert not sol.closed.any()
    assert plan.n_levels == 4


def test_diamond() -> None:
    # S=0 (1), O=1 (0); A=2: 0.3 S + 0.7 O; B=3: 0.9 S + 0.1 O; D=4: 0.5 A + 0.5 B
    edges = [(2, 0, 0.3), (2, 1, 0.7), (3, 0, 0.9), (3, 1, 0.1), (4, 2, 0.5), (4, 3, 0.5)]
    _, sol = _solve1(5, edges, {0: 1.0, 1: 0.0})
    assert sol.x[:, 0] == pytest.approx([1.0, 0.0, 0.3, 0.9, 0.6])
    assert sol.level.tolist() == [0, 0, 1, 1, 2]


def test_untraced_bounds_k2() -> None:
    # S=0 [1,1], U=1 untraced [0,1], O=2 origin [0,0]; A=3: .2 S + .3 U + .5 O; B=4: .5 A + .5 U
    edges = [(3, 0, 0.2), (3, 1, 0.3), (3, 2, 0.5), (4, 3, 0.5), (4, 1, 0.5)]
    _, sol = _solve1(5, edges, {0: (1, 1), 1: (0, 1), 2: (0, 0)})
    assert sol.x[3] == pytest.approx([0.2, 0.5])
    assert sol.x[4] == pytest.approx([0.1, 0.75])
    assert sol.x.shape == (5, 2)


def test_fixed_node_inbound_edges_ignored() -> None:
    # node 1 is a source although it buys from origin 0; its value stays 1.
    _, sol = _solve1(3, [(1, 0, 1.0), (2, 1, 1.0)], {0: 0.0, 1: 1.0})
    assert sol.x[:, 0].tolist() == [0.0, 1.0, 1.0]
    assert sol.level.tolist() == [0, 0, 1]


def test_trader_loop_with_outside_input() -> None:
    # S=0 (1), T=1 (0); A=2: 0.4 S + 0.6 B; B=3: 0.5 A + 0.5 T  =>  x_A = 0.4 + 0.3 x_A
    edges = [(2, 0, 0.4), (2, 3, 0.6), (3, 2, 0.5), (3, 1, 0.5)]
    for direct_max in (4000, 0):  # sparse LU and the large-SCC (GMRES) path
        _, sol = _solve1(4, edges, {0: 1.0, 1: 0.0}, direct_max=direct_max)
        assert sol.x[:, 0] == pytest.approx([1.0, 0.0, 4 / 7, 2 / 7], abs=1e-13)
        assert sol.level.tolist() == [0, 0, 1, 1]
        assert not sol.closed.any()


def test_self_loop() -> None:
    # A=1 takes 0.25 from itself (recycling) and 0.75 from S=0 (0.8) => x_A = 0.8
    _, sol = _solve1(3, [(1, 1, 0.25), (1, 0, 0.75), (2, 1, 1.0)], {0: 0.8})
    assert sol.x[:, 0] == pytest.approx([0.8, 0.8, 0.8])
    assert not sol.closed.any()


def test_closed_loop_takes_closed_values() -> None:
    # A=1 <-> B=2 trade only with each other; C=3: 0.5 S + 0.5 A; D=4: self-loop only.
    edges = [(1, 2, 1.0), (2, 1, 1.0), (3, 0, 0.5), (3, 1, 0.5), (4, 4, 1.0)]
    _, sol = _solve1(5, edges, {0: (1, 1)}, closed_values=_arr(0.0, 1.0))
    assert sol.closed.tolist() == [False, True, True, False, True]
    assert sol.x[1].tolist() == [0.0, 1.0]
    assert sol.x[4].tolist() == [0.0, 1.0]
    assert sol.x[3] == pytest.approx([0.5, 1.0])
    assert sol.level[[1, 2, 4]].tolist() == [0, 0, 0]
    assert sol.level[3] == 1
    _, default = _solve1(5, edges, {0: (1, 1)})  # default closed value: zeros
    assert default.x[3] == pytest.approx([0.5, 0.5])


def test_node_downstream_of_closed_loop_is_not_closed() -> None:
    edges = [(0, 1, 1.0), (1, 0, 1.0), (2, 0, 1.0)]
    _, sol = _solve1(3, edges, {}, closed_values=_arr(0.25))
    assert sol.closed.tolist() == [True, True, False]
    assert sol.x[:, 0] == pytest.approx([0.25, 0.25, 0.25])


def test_duplicates_summed_and_zero_weights_ignored() -> None:
    # A=2: 0.25 + 0.25 from S=0 and 0.5 from O=1, plus a weight-0 edge from the loop node 3.
    edges = [(2, 0, 0.25), (2, 1, 0.5), (2, 0, 0.25), (2, 3, 0.0), (3, 2, 1.0)]
    _, sol = _solve1(4, edges, {0: 1.0, 1: 0.0})
    assert sol.x[:, 0] == pytest.approx([1.0, 0.0, 0.5, 0.5])
    assert not sol.closed.any()  # the zero-weight edge does not close a loop


def test_orphan_non_fixed_node_is_an_error() -> None:
    with pytest.raises(ValueError, match="without inbound edges"):
        _solve1(3, [(1, 0, 1.0)], {0: 1.0})
    with pytest.raises(ValueError, match="without inbound edges"):  # only a weight-0 edge
        _solve1(2, [(1, 0, 0.0)], {0: 1.0})


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        _solve1(2, [(1, 2, 1.0)], {0: 1.0})
    with pytest.raises(ValueError):
        _solve1(2, [(1, 0, -1.0)], {0: 1.0})
    with pytest.raises(ValueError):
        _solve1(2, [(1, 0, np.nan)], {0: 1.0})


def test_clip_and_snap() -> None:
    # slightly-above-1 weights give 1 + tiny: snapped to 1; big values are not clipped if the
    # inputs are outside [0, 1].
    _, sol = _solve1(2, [(1, 0, 1.0 + 1e-14)], {0: 1.0})
    assert sol.x[1, 0] == 1.0
    _, sol = _solve1(2, [(1, 0, 1.0)], {0: 3.0})
    assert sol.x[1, 0] == 3.0


def test_solve_one_shot_and_empty() -> None:
    sol = solve(2, np.array([1]), np.array([0]), _arr(1.0), np.array([True, False]), _arr(1, 0))
    assert sol.x.shape == (2, 1) and sol.x[1, 0] == 1.0
    empty = solve(
        0, np.zeros(0, int), np.zeros(0, int), _arr(), np.zeros(0, bool), np.zeros((0, 2))
    )
    assert empty.x.shape == (0, 2)


def test_large_scc_path_matches_lu() -> None:
    # A random strongly connected trader network of 400 nodes fed by 20 fixed nodes.
    rng = np.random.default_rng(3)
    n, nf = 420, 20
    b = np.concatenate([np.arange(nf, n), rng.integers(nf, n, 1200), rng.integers(nf, n, 100)])
    s = np.concatenate(
        [np.roll(np.arange(nf, n), 1), rng.integers(nf, n, 1200), rng.integers(0, nf, 100)]
    )
    w = rng.gamma(0.7, size=b.size) + 1e-6
    w /= np.bincount(b, weights=w, minlength=n)[b]
    fixed = np.arange(n) < nf
    values = np.zeros((n, 2))
    values[:nf, 1] = rng.random(nf)
    values[:5] = 1.0
    exact = prepare(n, b, s, w, fixed).solve(values)
    plan = prepare(n, b, s, w, fixed, direct_max=100)
    assert plan.largest_scc == n - nf
    assert plan.levels[0].loops  # the GMRES path was taken
    np.testing.assert_allclose(plan.solve(values).x, exact.x, atol=1e-11)
    np.testing.assert_allclose(exact.x, _dense_reference(n, b, s, w, fixed, values), atol=1e-11)


# --------------------------------------------------------------------------- reference + properties


def _closed_reference(n: int, b, s, w, fixed) -> np.ndarray:
    """Closed-loop nodes via networkx SCCs (independent of the kernel)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(
        (int(i), int(j)) for i, j, x in zip(b, s, w, strict=True) if x != 0 and not fixed[i]
    )
    closed = np.zeros(n, dtype=bool)
    for comp in nx.strongly_connected_components(g):
        c = list(comp)
        if len(c) == 1 and not g.has_edge(c[0], c[0]):
            continue
        if all(v in comp for u in c for v in g.successors(u)):
            closed[c] = True
    return closed


def _dense_reference(n, b, s, w, fixed, values, closed_values=None) -> np.ndarray:
    closed = _closed_reference(n, b, s, w, fixed)
    k = values.shape[1]
    x = np.zeros((n, k))
    x[fixed] = values[fixed]
    x[closed] = np.zeros(k) if closed_values is None else closed_values
    dense = np.zeros((n, n))
    np.add.at(dense, (b, s), w)
    known = fixed | closed
    u = np.flatnonzero(~known)
    kn = np.flatnonzero(known)
    if u.size:
        a = np.eye(u.size) - dense[np.ix_(u, u)]
        x[u] = np.linalg.solve(a, dense[np.ix_(u, kn)] @ x[kn])
    return x


@st.composite
def graphs(draw: st.DrawFn, max_n: int = 10):
    """Random small graphs (cycles, self-loops, duplicates, zero weights), normalised rows."""
    n = draw(st.integers(1, max_n))
    node = st.integers(0, n - 1)
    weight = st.one_of(st.just(0.0), st.floats(0.05, 5.0))
    edges = draw(st.lists(st.tuples(node, node, weight), max_size=3 * n))
    fixed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    b = np.array([e[0] for e in edges], dtype=np.int64)
    s = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges], dtype=np.float64)
    tot = np.bincount(b, weights=w, minlength=n)
    fixed |= tot == 0  # the caller fixes nodes without inbound weight
    w = np.where(tot[b] > 0, w / np.where(tot[b] > 0, tot[b], 1.0), 0.0)
    lo = np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    gap = np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    values = np.stack([lo, np.minimum(1.0, lo + gap)], axis=1)
    return n, b, s, w, fixed, values


@settings(max_examples=200, deadline=None)
@given(graphs(), st.sampled_from([4000, 0]))
def test_matches_dense_reference(g, direct_max: int) -> None:
    n, b, s, w, fixed, values = g
    cv = np.array([0.0, 1.0])
    sol = prepare(n, b, s, w, fixed, direct_max=direct_max).solve(values, cv)
    ref = _dense_reference(n, b, s, w, fixed, values, cv)
    np.testing.assert_allclose(sol.x, np.clip(ref, 0, 1), atol=1e-9)
    assert sol.closed.tolist() == _closed_reference(n, b, s, w, fixed).tolist()
    assert np.all(sol.x[:, 0] <= sol.x[:, 1])
    assert np.all((sol.x >= 0) & (sol.x <= 1))
    assert np.all(sol.level[fixed | sol.closed] == 0)
    assert np.all(sol.level[~fixed & ~sol.closed] >= 1)


@settings(max_examples=200, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_permutation_invariant(g, rnd) -> None:
    n, b, s, w, fixed, values = g
    sol = solve(n, b, s, w, fixed, values)
    perm = np.array(rnd.sample(range(n), n))  # old id -> new id
    eorder = np.array(rnd.sample(range(b.size), b.size), dtype=np.int64)
    newvals = np.empty_like(values)
    newvals[perm] = values
    newfixed = np.empty_like(fixed)
    newfixed[perm] = fixed
    other = solve(n, perm[b[eorder]], perm[s[eorder]], w[eorder], newfixed, newvals)
    np.testing.assert_allclose(other.x[perm], sol.x, atol=1e-12)
    assert other.closed[perm].tolist() == sol.closed.tolist()
    assert other.level[perm].tolist() == sol.level.tolist()


@settings(max_examples=200, deadline=None)
@given(graphs(), st.data())
def test_monotone_in_fixed_values(g, data) -> None:
    n, b, s, w, fixed, values = g
    plan = prepare(n, b, s, w, fixed)
    base = plan.solve(values).x
    assume(fixed.any())
    raised = values.copy()
    node = data.draw(st.sampled_from(np.flatnonzero(fixed).tolist()))
    raised[node] = np.minimum(1.0, raised[node] + data.draw(st.floats(0, 1)))
    assert np.all(plan.solve(raised).x >= base - 1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(20, 150))
def test_terminates_on_random_cyclic_graphs(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    m = 3 * n
    b, s = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.random(m) + 0.01
    fixed = rng.random(n) < 0.1
    tot = np.bincount(b, weights=w, minlength=n)
    fixed |= tot == 0
    w = w / tot[b]
    values = np.stack([np.zeros(n), rng.random(n)], axis=1)
    for direct_max in (4000, 5):
        sol = prepare(n, b, s, w, fixed, direct_max=direct_max).solve(values, _arr(0, 1))
        assert np.all(np.isfinite(sol.x))
        assert np.all(sol.x[:, 0] <= sol.x[:, 1])
    ref = _dense_reference(n, b, s, w, fixed, values, _arr(0, 1))
    np.testing.assert_allclose(sol.x, np.clip(ref, 0, 1), atol=1e-9)


# --------------------------------------------------------------------------- frontier walks


def test_upstream_walk() -> None:
    # buyer -> supplier adjacency: 0 <- 1 <- 2, 0 <- 3, 4 isolated, 2 <-> 1 loop.
    adj = Csr.from_edges(5, np.array([0, 1, 0, 2, 1]), np.array([1, 2, 3, 1, 2]))
    assert adj.upstream(np.array([0])).tolist() == [0, 1, 3, 2]
    assert [f.tolist() for f in adj.frontiers(np.array([0]))] == [[0], [1, 3], [2]]
    assert adj.upstream(np.array([0]), max_nodes=2).tolist() == [0, 1]
    assert not adj._visited.any()  # buffer reset for the next walk
    assert adj.upstream(np.array([4])).tolist() == [4]
    assert adj.transpose().upstream(np.array([2])).tolist() == [2, 1, 0]
    buf = np.zeros(5, dtype=bool)
    assert upstream(adj.indptr, adj.indices, np.array([1]), visited=buf).tolist() == [1, 2]
    assert not buf.any()
    mask = downstream_mask(
        5, np.array([1, 2, 3]), np.array([0, 1, 0]), np.array([0, 0, 1, 0, 0], bool)
    )
    assert mask.tolist() == [True, True, True, False, False]


@settings(max_examples=100, deadline=None)
@given(graphs(max_n=15), st.integers(0, 14))
def test_upstream_matches_networkx(g, start: int) -> None:
    n, b, s, *_ = g
    start %= n
    adj = Csr.from_edges(n, b, s)
    got = adj.upstream(np.array([start]))
    nxg = nx.DiGraph()
    nxg.add_nodes_from(range(n))
    nxg.add_edges_from(zip(b.tolist(), s.tolist(), strict=True))
    expected = nx.descendants(nxg, start) | {start}
    assert sorted(got.tolist()) == sorted(expected)
    assert len(set(got.tolist())) == got.size
    assert not adj._visited.any()
