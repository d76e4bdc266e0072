"""Property tests: invariants of propagation on random chains (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphtrace.explain import trace_sku
from graphtrace.model import ROW, TABLES
from graphtrace.propagate import propagate_risk
from graphtrace.read import RawDataset
from graphtrace.validate import validate

ROLES = ["farm", "gin", "spinner", "trader", "fabric_mill", "garment_maker"]


def raw_from(tables: dict[str, list[dict[str, Any]]]) -> RawDataset:
    raw = RawDataset(origin="memory")
    for name, rows in tables.items():
        req, opt = TABLES[name]
        frame = pd.DataFrame(rows, columns=list(req + opt), dtype=object).fillna("").astype(str)
        frame[ROW] = np.arange(len(frame)) + 2
        raw.tables[name] = frame
        raw.files[name] = f"{name}.csv"
    return raw


@st.composite
def chains(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    n = draw(st.integers(2, 9))
    facilities = [
        {
            "facility_id": f"F{i}",
            "name": f"Facility {i}",
            "role": draw(st.sampled_from(ROLES)),
            "country": "CN",
            "province": draw(st.sampled_from(["Xinjiang", "Jiangsu", "Jiangsu", "Jiangsu"])),
        }
        for i in range(n)
    ]
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    volume = st.one_of(st.just(""), st.integers(0, 50).map(str))
    supplies = [
        {
            "supplier_id": f"F{a}",
            "buyer_id": f"F{b}",
            "material": "cotton",
            "volume": (v := draw(volume)),
            "unit": "kg" if v else "",
        }
        for a, b in pairs
    ]
    n_prod = draw(st.integers(1, 4))
    products = [
        {"sku": f"P{j}", "name": f"Product {j}", "made_at": f"F{draw(st.integers(0, n - 1))}"}
        for j in range(n_prod)
    ]
    bom = []
    for j in range(n_prod):
        for _ in range(draw(st.integers(0, 3))):
            if j > 0 and draw(st.booleans()):  # sub-assemblies only point to lower skus: acyclic
                comp, supplier = f"P{draw(st.integers(0, j - 1))}", ""
            else:
                comp = "fabric"
                supplier = draw(
                    st.one_of(st.just(""), st.integers(0, n - 1).map(lambda i: f"F{i}"))
                )
            bom.append(
                {
                    "sku": f"P{j}",
                    "component": comp,
                    "quantity": str(draw(st.integers(0, 9))),
                    "unit": "kg",
                    "supplier_id": supplier,
                }
            )
    return {
        "facilities": facilities,
        "supplies": supplies,
        "products": products,
        "bom": bom,
        "flags": [],
    }


def solve(tables: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    report, ds = validate(raw_from(tables))
    assert ds is not None, report.issues
    return propagate_risk(ds).products()


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(chains())
def test_bounds_are_ordered_and_in_unit_interval(tables: dict) -> None:
    _report, ds = validate(raw_from(tables))
    assert ds is not None
    p = propagate_risk(ds)  # terminates on any cycles the draw made
    assert np.all(p.lo >= 0) and np.all(p.hi <= 1) and np.all(p.lo <= p.hi + 1e-12)
    out = p.products()
    assert (out["traced_share"].between(0, 1)).all()
    assert set(out["exposure"]) <= {"confirmed", "possible", "clear"}


@FAST
@given(chains(), st.randoms(use_true_random=False))
def test_row_order_is_irrelevant(tables: dict, rnd: Any) -> None:
    base = solve(tables)
    shuffled = {k: rnd.sample(v, len(v)) for k, v in tables.items()}
    again = solve(shuffled)
    pd.testing.assert_frame_equal(base, again, check_exact=False, atol=1e-9)


@FAST
@given(chains(), st.data())
def test_adding_a_source_never_lowers_a_bound(tables: dict, data: st.DataObject) -> None:
    before = solve(tables)
    n = len(tables["facilities"])
    flagged = data.draw(st.integers(0, n - 1))
    more = dict(tables, flags=[{"facility_id": f"F{flagged}", "reason": "audit"}])
    after = solve(more)
    assert (after["risk_share_min"] >= before["risk_share_min"] - 1e-9).all()
    assert (after["risk_share_max"] >= before["risk_share_max"] - 1e-9).all()


@FAST
@given(chains())
def test_trace_accounts_for_every_share(tables: dict) -> None:
    _report, ds = validate(raw_from(tables))
    assert ds is not None
    p = propagate_risk(ds)
    for sku in ds.products["sku"]:
        t = trace_sku(p, sku, top=5)
        unknown = sum(g.share_unknown for g in t.gaps)
        assert abs(unknown - (t.risk_share_max - t.risk_share_min)) < 1e-9
        assert t.explained_share <= t.risk_share_min + 1e-9
        shares = [path.share for path in t.paths]
        assert shares == sorted(shares, reverse=True)
