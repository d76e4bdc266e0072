"""One hand-computed case for every risk rule of the contract (rules 1-7)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import bom, fac, prod, sup, write_dataset, write_table

from graphtrace.explain import impact, trace_sku
from graphtrace.propagate import Propagation, propagate_risk
from graphtrace.screen import read_entity_list
from graphtrace.validate import load_dataset, validate

XJ = {"country": "CN", "province": "Xinjiang"}


def run(folder: Path, entities=(), as_of: str | None = None) -> Propagation:
    ts = None if as_of is None else pd.Timestamp(as_of)
    return propagate_risk(load_dataset(folder), entities, ts)


def bounds(p: Propagation, node_id: str) -> tuple[float, float]:
    g = p.graph
    v = g.facility(node_id)
    if v is None:
        v = g.product(node_id)
    assert v is not None, node_id
    return (round(float(p.lo[v]), 12), round(float(p.hi[v]), 12))


def row(p: Propagation, sku: str) -> dict:
    t = p.products().set_index("sku")
    return t.loc[sku].to_dict()


# Rule 1: sources by location, entity list and flags ---------------------------------------------


def test_rule1_sources(tmp_path: Path) -> None:
    lists = tmp_path / "list.csv"
    write_table(
        lists,
        [{"name": "Huafu Fashion", "aliases": "Huafu Top Dyed Melange Yarn", "list": "UFLPA"}],
        ["name", "aliases", "effective_date", "list"],
    )
    folder = write_dataset(
        tmp_path / "ds",
        [
            fac("XJ", "gin", **XJ),
            fac("PC", "gin", "CN", postal_code="843000"),
            fac("AC", "gin", "CN", admin_code="652901"),
            fac("CH", "gin", "CN", province="新疆维吾尔自治区"),
            fac("EL", "spinner", "CN", province="Zhejiang", company="Huafu Fashion Co., Ltd."),
            fac("FL", "dyehouse", "BD"),
            fac("TW", "gin", "TW", postal_code="830"),  # Kaohsiung, not Xinjiang
            fac("SX", "gin", "CN", province="Shanxi", city="新绛县"),  # the Xinjiang trap
            fac("OK", "gin", "US", province="Texas"),
        ],
        flags=[{"facility_id": "FL", "reason": "audit 2024-03: undisclosed Xinjiang yarn"}],
    )
    p = run(folder, read_entity_list(lists))
    sources = {str(p.graph.ids[v]) for v in p.reasons}
    assert sources == {"XJ", "PC", "AC", "CH", "EL", "FL"}
    kinds = {str(p.graph.ids[v]): [r.kind for r in rs] for v, rs in p.reasons.items()}
    assert (
        kinds["EL"] == ["entity-list"] and kinds["FL"] == ["flag"] and kinds["XJ"] == ["xinjiang"]
    )
    for fid in sources:
        assert bounds(p, fid) == (1.0, 1.0)
    assert bounds(p, "TW") == (0.0, 0.0)  # a gin with no inputs is a clear origin


# Rule 2: input weights by mass; equal weights when a volume is missing ------------------------


def test_rule2_mass_weights_across_units(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "ds",
        [fac("S", "gin", **XJ), fac("C", "gin", "US"), fac("B", "spinner")],
        [sup("S", "B", 1, "t"), sup("C", "B", 2204.62262185, "lb")],  # 1000 kg and 1000 kg
    )
    p = run(folder)
    lo, hi = bounds(p, "B")
    assert lo == pytest.approx(0.5, abs=1e-9) and hi == pytest.approx(0.5, abs=1e-9)
    assert not p.estimated[p.graph.facility("B")]


def test_rule2_missing_volume_weighs_equally_and_is_estimated(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "ds",
        [
            fac("S", "gin", **XJ),
            fac("C1", "gin", "US"),
            fac("C2", "gin", "AU"),
            fac("B", "spinner"),
            fac("D", "fabric_mill"),
        ],
        [sup("S", "B", 10), sup("C1", "B", 980), sup("C2", "B", "", ""), sup("B", "D", 5)],
    )
    p = run(folder)
    assert bounds(p, "B") == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert p.estimated[p.graph.facility("B")] and p.estimated[p.graph.facility("D")]


# Rule 3: bounds ------------------------------------------------------------------------------


def test_rule3_bounds_with_untraced_and_origins(tmp_path: Path) -> None:
    # M takes 30 kg from source S, 50 kg from farm F (clear origin), 20 kg from untraced trader U.
    folder = write_dataset(
        tmp_path / "ds",
        [
            fac("S", "gin", **XJ),
            fac("F", "farm", "US"),
            fac("U", "trader", "SG"),
            fac("M", "fabric_mill", "VN"),
            fac("N", "dyehouse", "VN"),
        ],
        [sup("S", "M", 30), sup("F", "M", 50), sup("U", "M", 20), sup("M", "N", 1)],
    )
    p = run(folder)
    assert bounds(p, "S") == (1.0, 1.0)
    assert bounds(p, "F") == (0.0, 0.0)
    assert bounds(p, "U") == (0.0, 1.0)
    assert bounds(p, "M") == (pytest.approx(0.3), pytest.approx(0.5))
    assert bounds(p, "N") == bounds(p, "M")
    assert p.status(p.graph.facility("U")) == "untraced"


# Rule 4: cycles solved exactly; closed loops untraced ----------------------------------------


def test_rule4_trader_loop_solved_exactly(tmp_path: Path) -> None:
    # T1 = 0.4*S + 0.6*T2 ; T2 = 0.5*T1 + 0.5*F  =>  T1 = 0.4 + 0.3*T1 = 4/7, T2 = 2/7
    folder = write_dataset(
        tmp_path / "ds",
        [
            fac("S", "gin", **XJ),
            fac("F", "farm", "US"),
            fac("T1", "trader", "HK"),
            fac("T2", "trader", "SG"),
            fac("M", "fabric_mill", "VN"),
        ],
        [
            sup("S", "T1", 40),
            sup("T2", "T1", 60),
            sup("T1", "T2", 5),
            sup("F", "T2", 5),
            sup("T2", "M", 1),
        ],
    )
    p = run(folder)
    assert bounds(p, "T1") == (pytest.approx(4 / 7), pytest.approx(4 / 7))
    assert bounds(p, "T2") == (pytest.approx(2 / 7), pytest.approx(2 / 7))
    assert bounds(p, "M") == (pytest.approx(2 / 7), pytest.approx(2 / 7))


def test_rule4_closed_loop_is_untraced(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "ds",
        [
            fac("A", "trader", "HK"),
            fac("B", "trader", "SG"),
            fac("C", "trader", "AE"),
            fac("F", "farm", "US"),
            fac("M", "fabric_mill", "VN"),
        ],
        # A -> B -> C -> A with nothing from outside; M buys half from the loop, half from a farm
        [sup("A", "B", 1), sup("B", "C", 1), sup("C", "A", 1), sup("C", "M", 5), sup("F", "M", 5)],
        [prod("P", "M")],
    )
    p = run(folder)
    for t in "ABC":
        assert bounds(p, t) == (0.0, 1.0)
        assert p.status(p.graph.facility(t)) == "closed-loop"
    assert bounds(p, "M") == (0.0, pytest.approx(0.5))
    t = trace_sku(p, "P")
    assert [(g.id, g.status, g.share_unknown) for g in t.gaps] == [
        ("C", "closed-loop", pytest.approx(0.5))
    ]


def test_rule4_self_supply_recycling(tmp_path: Path) -> None:
    # R recycles 50 % of its own output; the rest is 1/4 source, 3/4 clear: R = 0.125 + 0.5 R
    folder = write_dataset(
        tmp_path / "ds",
        [fac("S", "gin", **XJ), fac("F", "farm", "US"), fac("R", "spinner", "TR")],
        [sup("R", "R", 50), sup("S", "R", 12.5), sup("F", "R", 37.5)],
    )
    assert bounds(run(folder), "R") == (pytest.approx(0.25), pytest.approx(0.25))


# Rule 5: products ----------------------------------------------------------------------------


def chain(tmp_path: Path) -> Path:
    return write_dataset(
        tmp_path / "ds",
        [
            fac("S", "gin", **XJ),
            fac("F", "farm", "US"),
            fac("U", "spinner", "IN"),
            fac("MX", "fabric_mill", "CN", province="Jiangsu"),  # [0.25, 0.25]
            fac("MC", "fabric_mill", "PK"),  # clear
            fac("GM", "garment_maker", "BD"),  # [0.1, 0.6]
            fac("GX", "garment_maker", **XJ),
        ],
        [
            sup("S", "MX", 1),
            sup("F", "MX", 3),
            sup("F", "MC", 1),
            sup("S", "GM", 1),
            sup("F", "GM", 4),
            sup("U", "GM", 5),
        ],
        [
            prod("TEE", "GM"),
            prod("PACK", "GM"),
            prod("BARE", "GM"),
            prod("XJTEE", "GX"),
            prod("KIT", "GM"),
        ],
        [
            # TEE: 2 kg from MX (0.25) + 600 g from MC (0) + 0.4 kg in-house at GM ([0.1, 0.6])
            bom("TEE", "fabric", 2, "kg", "MX"),
            bom("TEE", "rib", 600, "g", "MC"),
            bom("TEE", "thread", 100, "m", "", mass_kg=0.4),
            # PACK: three TEEs (3 kg) and 1 kg of packaging from MC
            bom("PACK", "TEE", 3, "kg"),
            bom("PACK", "box", 1, "kg", "MC"),
            # KIT: the XJTEE (made at a source) and a TEE, 1 kg each
            bom("KIT", "XJTEE", 1, "kg"),
            bom("KIT", "TEE", 1, "kg"),
            bom("XJTEE", "fabric", 1, "kg", "MC"),
        ],
    )


def test_rule5_products(tmp_path: Path) -> None:
    p = run(chain(tmp_path))
    assert bounds(p, "GM") == (pytest.approx(0.1), pytest.approx(0.6))
    # TEE = (2*0.25 + 0.6*0 + 0.4*[0.1, 0.6]) / 3 = [0.54/3, 0.74/3]
    tee = (0.54 / 3, 0.74 / 3)
    assert bounds(p, "TEE") == (pytest.approx(tee[0]), pytest.approx(tee[1]))
    # PACK = (3*TEE + 1*0) / 4
    assert bounds(p, "PACK") == (pytest.approx(0.75 * tee[0]), pytest.approx(0.75 * tee[1]))
    assert bounds(p, "BARE") == bounds(p, "GM")  # no BOM rows: its made_at's bounds
    assert bounds(p, "XJTEE") == (1.0, 1.0)  # made at a source
    assert bounds(p, "KIT") == (pytest.approx(0.5 + tee[0] / 2), pytest.approx(0.5 + tee[1] / 2))
    assert p.reasons[p.graph.product("XJTEE")][0].kind == "made-at-source"


def test_rule5_subassembly_cycle_is_an_error(tmp_path: Path) -> None:
    folder = chain(tmp_path)
    with (folder / "bom.csv").open("a", encoding="utf-8") as fh:
        fh.write("TEE,PACK,1,kg,,\n")
    report, _ = validate(folder)
    assert {i.code for i in report.errors} == {"subassembly-cycle"}


# Rule 6: --as-of -----------------------------------------------------------------------------


def test_rule6_as_of(tmp_path: Path) -> None:
    lists = tmp_path / "list.csv"
    write_table(
        lists,
        [{"name": "Listed Spinning", "effective_date": "2024-06-01", "list": "UFLPA"}],
        ["name", "aliases", "effective_date", "list"],
    )
    folder = write_dataset(
        tmp_path / "ds",
        [
            fac("S", "gin", **XJ),
            fac("F", "farm", "US"),
            fac("M", "fabric_mill", "VN"),
            fac("L", "spinner", "VN", name="Listed Spinning Co., Ltd."),
        ],
        [
            sup("S", "M", 1, valid_from="2023-01-01", valid_to="2023-12-31"),
            sup("F", "M", 1),
        ],
    )
    entities = read_entity_list(lists)
    every = run(folder, entities)
    assert bounds(every, "M") == (0.5, 0.5)  # without --as-of every supply counts
    assert bounds(every, "L") == (1.0, 1.0)
    in_2023 = run(folder, entities, "2023-06-30")
    assert bounds(in_2023, "M") == (0.5, 0.5)
    assert bounds(in_2023, "L") == (0.0, 1.0)  # not listed yet: an untraced spinner
    in_2024 = run(folder, entities, "2024-06-30")
    assert bounds(in_2024, "M") == (0.0, 0.0)
    assert bounds(in_2024, "L") == (1.0, 1.0)


# Rule 7: exposure ----------------------------------------------------------------------------


def test_rule7_exposure_and_traced_share(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "ds",
        [
            fac("S", "gin", **XJ),
            fac("F", "farm", "US"),
            fac("U", "spinner", "IN"),
            fac("A", "garment_maker", "BD"),
            fac("B", "garment_maker", "BD"),
            fac("C", "garment_maker", "BD"),
        ],
        [
            sup("S", "A", 1),
            sup("F", "A", 999),
            sup("U", "B", 1),
            sup("F", "B", 3),
            sup("F", "C", 1),
        ],
        [prod("PA", "A"), prod("PB", "B"), prod("PC", "C")],
    )
    p = run(folder)
    assert row(p, "PA")["exposure"] == "confirmed"  # any share counts: no de minimis
    assert row(p, "PA")["risk_share_min"] == pytest.approx(0.001)
    assert row(p, "PB")["exposure"] == "possible"
    assert row(p, "PB")["traced_share"] == pytest.approx(0.75)
    assert row(p, "PC")["exposure"] == "clear"
    assert row(p, "PC")["traced_share"] == 1.0


# Explanations of the numbers -----------------------------------------------------------------


def test_trace_paths_and_gaps_explain_the_bounds(tmp_path: Path) -> None:
    p = run(chain(tmp_path))
    t = trace_sku(p, "TEE")
    assert t.exposure == "confirmed"
    # evidence: S -> MX -> TEE explains 2/3 * 0.25; S -> GM -> TEE explains 0.4/3 * 0.1
    assert [(path.nodes, round(path.share, 12)) for path in t.paths] == [
        (["TEE", "MX", "S"], round(2 / 3 * 0.25, 12)),
        (["TEE", "GM", "S"], round(0.4 / 3 * 0.1, 12)),
    ]
    assert t.explained_share == pytest.approx(t.risk_share_min)
    assert [(g.id, g.share_unknown) for g in t.gaps] == [("U", pytest.approx(0.4 / 3 * 0.5))]
    assert sum(g.share_unknown for g in t.gaps) == pytest.approx(
        t.risk_share_max - t.risk_share_min
    )
    tiers = {n.id: n.tier for n in t.nodes}
    assert tiers == {"TEE": 0, "MX": 1, "MC": 1, "GM": 1, "S": 2, "F": 2, "U": 2}
    assert {lk.source.split(" row")[0] for lk in t.links} == {"bom.csv", "supplies.csv"}


def test_impact_of_one_facility(tmp_path: Path) -> None:
    p = run(chain(tmp_path))
    table = impact(p, "MX")
    got = dict(zip(table["sku"], table["risk_share"], strict=True))
    # TEE takes 2/3 of its mass from MX; PACK 3/4 of TEE; KIT 1/2 of TEE
    assert got == {
        "TEE": pytest.approx(2 / 3),
        "PACK": pytest.approx(0.5),
        "KIT": pytest.approx(1 / 3),
    }
    assert list(table["sku"]) == ["TEE", "PACK", "KIT"]
    gm = dict(zip(*(impact(p, "GX")[c] for c in ("sku", "risk_share")), strict=True))
    assert gm == {"XJTEE": 1.0, "KIT": 0.5}  # made at GX counts whole
