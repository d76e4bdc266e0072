"""One conformance suite for every store: the same data gives the same numbers.

Each test asks the ``open_dataset`` fixture for a store holding a dataset folder; it runs once per
store kind (``embedded`` always; ``neo4j`` against the real server started by the test tooling).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import ROOT

from graphtrace.explain import impact, trace_sku
from graphtrace.generate import generate
from graphtrace.propagate import propagate_risk
from graphtrace.screen import read_entity_list
from graphtrace.stores import Store
from graphtrace.validate import load_dataset

APPAREL = ROOT / "fixtures" / "apparel"
EXPECTED = json.loads((APPAREL / "expected.json").read_text(encoding="utf-8"))


def _blocks() -> list[tuple[str, dict[str, Any]]]:
    blocks = [("default", EXPECTED)]
    blocks += [(f"as-of {b['as_of']}", b) for b in EXPECTED["as_of_runs"]]
    blocks.append(("no entity list", EXPECTED["without_entity_list"]))
    return blocks


@pytest.mark.parametrize(("label", "block"), _blocks(), ids=[b[0] for b in _blocks()])
def test_apparel_matches_hand_computed(
    open_dataset: Callable[[Path], Store], label: str, block: dict[str, Any]
) -> None:
    entities = [e for f in block["entity_lists"] for e in read_entity_list(ROOT / f)]
    as_of = None if block["as_of"] is None else pd.Timestamp(block["as_of"])
    with open_dataset(APPAREL) as store:
        p = propagate_risk(store.dataset(), entities, as_of)
    g = p.graph
    sources = {str(g.ids[v]): rs[0].kind for v, rs in p.reasons.items() if v < g.n_facilities}
    assert sources == block["sources"]
    for fid, want in block["facilities"].items():
        v = g.facility(fid)
        assert v is not None, fid
        assert (p.lo[v], p.hi[v]) == (
            pytest.approx(want["min"], abs=1e-9),
            pytest.approx(want["max"], abs=1e-9),
        ), fid
    table = p.products().set_index("sku")
    assert sorted(table.index) == sorted(block["products"])
    for sku, want in block["products"].items():
        got = table.loc[sku]
        assert got["risk_share_min"] == pytest.approx(want["risk_share_min"], abs=1e-9), sku
        assert got["risk_share_max"] == pytest.approx(want["risk_share_max"], abs=1e-9), sku
        assert got["traced_share"] == pytest.approx(want["traced_share"], abs=1e-9), sku
        assert got["exposure"] == want["exposure"], sku
    estimated = {str(g.ids[v]) for v in range(g.n_facilities) if p.estimated[v] and not p.fixed[v]}
    assert set(block["estimated_facilities"]) <= estimated


def test_apparel_trace_and_impact(open_dataset: Callable[[Path], Store]) -> None:
    entities = read_entity_list(ROOT / "fixtures/entity_lists/uflpa_sample.csv")
    with open_dataset(APPAREL) as store:
        t = trace_sku(propagate_risk(store.upstream("SKU-1001"), entities), "SKU-1001")
        hit = impact(propagate_risk(store.downstream("GIN-XJ-AKSU"), entities), "GIN-XJ-AKSU")
    want = EXPECTED["products"]["SKU-1001"]
    assert t.risk_share_min == pytest.approx(want["risk_share_min"], abs=1e-9)
    assert t.risk_share_max == pytest.approx(want["risk_share_max"], abs=1e-9)
    assert t.paths and t.gaps
    assert t.explained_share <= t.risk_share_min + 1e-9
    assert sum(gp.share_unknown for gp in t.gaps) == pytest.approx(
        t.risk_share_max - t.risk_share_min, abs=1e-9
    )
    # impact equals the whole-dataset answer
    full = impact(propagate_risk(load_dataset(APPAREL), entities), "GIN-XJ-AKSU")
    pd.testing.assert_frame_equal(hit, full)


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_graph_with_cycles(
    open_dataset: Callable[[Path], Store], tmp_path: Path, seed: int
) -> None:
    folder = tmp_path / f"gen{seed}"
    generate(folder, 3000, seed, xinjiang_share=0.02, back_edges=0.01)
    reference = propagate_risk(load_dataset(folder)).products()
    with open_dataset(folder) as store:
        got = propagate_risk(store.dataset()).products()
        sku = str(reference.sort_values("risk_share_max").iloc[-1]["sku"])
        t = trace_sku(propagate_risk(store.upstream(sku)), sku)
    pd.testing.assert_frame_equal(got, reference, check_exact=False, atol=1e-12)
    row = reference.set_index("sku").loc[sku]
    assert t.risk_share_min == pytest.approx(row["risk_share_min"], abs=1e-12)
    assert t.risk_share_max == pytest.approx(row["risk_share_max"], abs=1e-12)
