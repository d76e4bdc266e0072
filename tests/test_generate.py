"""Properties of ``graphtrace generate``: a valid, deterministic dataset shaped like a chain."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graphtrace.generate import COLUMNS, XJ_PROVINCES, generate
from graphtrace.model import ORIGIN_ROLES, TABLES

FILES = ("facilities", "supplies", "products", "bom", "flags")
LINKS = 8000


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        t: pd.read_csv(folder / f"{t}.csv", dtype=str, keep_default_na=False, na_filter=False)
        for t in FILES
    }


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("gen")
    return out, generate(out, LINKS, seed=7, back_edges=0.01)


@pytest.fixture(scope="module")
def data(made: tuple[Path, dict[str, int]]) -> dict[str, pd.DataFrame]:
    return _read(made[0])


def _is_xinjiang(fac: pd.DataFrame) -> pd.Series:
    post = fac["postal_code"]
    return (
        fac["province"].isin(XJ_PROVINCES)
        | (post.str.fullmatch(r"8[34]\d{4}") & fac["country"].isin(["CN", "China"]))
        | fac["admin_code"].str.startswith("65")
    )


def _supply_graph(data: dict[str, pd.DataFrame]) -> tuple[coo_matrix, pd.Index]:
    ids = pd.Index(data["facilities"]["facility_id"])
    s = ids.get_indexer(data["supplies"]["supplier_id"])
    b = ids.get_indexer(data["supplies"]["buyer_id"])
    return coo_matrix((np.ones(len(s)), (s, b)), shape=(len(ids), len(ids))), ids


# --- determinism and size ----------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert generate(a, 3000, seed=3) == generate(b, 3000, seed=3)
    generate(c, 3000, seed=4)
    for t in FILES:
        assert (a / f"{t}.csv").read_bytes() == (b / f"{t}.csv").read_bytes(), t
    assert (a / "supplies.csv").read_bytes() != (c / "supplies.csv").read_bytes()
    assert (a / "facilities.csv").read_bytes() != (c / "facilities.csv").read_bytes()


@pytest.mark.parametrize("links", [1000, 4000, 20000])
def test_supply_count_is_near_links(tmp_path: Path, links: int) -> None:
    counts = generate(tmp_path, links, seed=links)
    assert abs(counts["supplies"] - links) <= 0.1 * links
    frames = _read(tmp_path)
    assert counts == {t: len(frames[t]) for t in FILES}


def test_tiny_dataset_is_a_whole_valid_chain(tmp_path: Path) -> None:
    counts = generate(tmp_path, 50, seed=0)
    frames = _read(tmp_path)
    assert 20 <= counts["supplies"] <= 100
    assert set(frames["facilities"]["role"]) >= {
        "farm",
        "gin",
        "spinner",
        "fabric_mill",
        "dyehouse",
        "garment_maker",
        "trader",
    }
    assert counts["products"] > 0
    assert counts["bom"] > 0
    _assert_valid(tmp_path)


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[int] = []
    counts = generate(tmp_path, 2000, seed=1, progress=seen.append)
    assert seen
    assert seen == sorted(seen)
    assert seen[-1] == sum(counts.values())


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="links"):
        generate(tmp_path, 0)
    with pytest.raises(ValueError, match="xinjiang_share"):
        generate(tmp_path, 100, xinjiang_share=1.5)


# --- the contract ------------------------------------------------------------------------------


def _assert_valid(folder: Path) -> None:
    from graphtrace.validate import validate

    report, dataset = validate(folder)
    assert report.errors == [], report.errors[:5]
    assert dataset is not None


def test_validates_without_errors(made: tuple[Path, dict[str, int]]) -> None:
    _assert_valid(made[0])


def test_columns_are_the_contract(made: tuple[Path, dict[str, int]]) -> None:
    for t in FILES:
        header = (made[0] / f"{t}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert tuple(header) == COLUMNS[t]
        required, optional = TABLES[t]
        assert set(header) == set(required) | set(optional)


def test_ids_have_a_realistic_shape_and_are_unique(data: dict[str, pd.DataFrame]) -> None:
    fac, prod, sup = data["facilities"], data["products"], data["supplies"]
    assert fac["facility_id"].str.fullmatch(r"FAC-(FARM|GIN|SPN|MIL|DYE|GAR|TRD)-\d{6,}").all()
    assert prod["sku"].str.fullmatch(r"SKU-\d{6,}").all()
    assert fac["facility_id"].is_unique
    assert prod["sku"].is_unique
    refs = sup["reference"]
    assert refs[refs.ne("")].str.fullmatch(r"(PO|INV|LOT)-20\d\d-\d{6,}").all()
    assert refs.str.startswith("PO-").mean() > 0.5


def test_every_reference_resolves(data: dict[str, pd.DataFrame]) -> None:
    fac, sup, prod, bom, flags = (data[t] for t in FILES)
    ids = set(fac["facility_id"])
    assert set(sup["supplier_id"]) <= ids
    assert set(sup["buyer_id"]) <= ids
    assert set(flags["facility_id"]) <= ids
    assert flags["reason"].ne("").all()
    role = fac.set_index("facility_id")["role"]
    assert (role[prod["made_at"]] == "garment_maker").all()
    skus = set(prod["sku"])
    assert set(bom["sku"]) <= skus
    given = bom["supplier_id"].ne("")
    assert set(bom.loc[given, "supplier_id"]) <= ids
    # A BOM supplier is a facility the product's garment maker buys from.
    made_at = prod.set_index("sku")["made_at"]
    pairs = set(zip(sup["supplier_id"], sup["buyer_id"], strict=True))
    rows = bom.loc[given]
    assert all(
        (s, made_at[k]) in pairs for s, k in zip(rows["supplier_id"], rows["sku"], strict=True)
    )
    # A component is a sub-assembly (another product) or a material, never a dangling SKU id.
    comp = bom["component"]
    sku_like = comp.str.startswith("SKU-")
    assert comp[sku_like].isin(skus).all()
    assert sku_like.any()
    assert (~sku_like).any()


def test_subassemblies_are_acyclic(data: dict[str, pd.DataFrame]) -> None:
    bom = data["bom"]
    sub = bom.loc[bom["component"].isin(set(data["products"]["sku"]))]
    assert len(sub) > 0
    graph: dict[str, set[str]] = {}
    for sku, comp in zip(sub["sku"], sub["component"], strict=True):
        graph.setdefault(sku, set()).add(comp)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as e:  # pragma: no cover - the failure message
        pytest.fail(f"sub-assembly cycle: {e.args[1]}")
    assert (sub["sku"] != sub["component"]).all()
    assert sub["supplier_id"].eq("").all()


def test_numbers_units_and_dates_are_sound(data: dict[str, pd.DataFrame]) -> None:
    sup, bom = data["supplies"], data["bom"]
    has_volume = sup["volume"].ne("")
    assert (sup.loc[has_volume, "volume"].astype(float) > 0).all()
    assert (sup["unit"].ne("") == has_volume).all()
    assert set(sup.loc[has_volume, "unit"]) == {"kg", "t", "lb", "g"}
    assert 0 < (~has_volume).sum() < 0.05 * len(sup)  # a few buyers are "estimated"
    start = pd.to_datetime(sup["valid_from"].replace("", None), format="%Y-%m-%d")
    end = pd.to_datetime(sup["valid_to"].replace("", None), format="%Y-%m-%d")
    assert not (start > end).any()
    assert (end < pd.Timestamp("2024-01-01")).sum() > 0  # expired ranges: --as-of matters
    assert (start.notna() & end.isna()).sum() > 0
    assert (end.notna()).sum() > 0
    qty = bom["quantity"].astype(float)
    assert (qty > 0).all()
    assert set(bom["unit"]) >= {"kg", "g", "m", "pcs"}
    not_mass = bom["unit"].isin(["m", "pcs"])
    assert (bom.loc[not_mass, "mass_kg"].astype(float) > 0).all()
    assert bom.loc[~not_mass, "mass_kg"].eq("").all()
    assert bom["supplier_id"].ne("").mean() > 0.2


# --- the shape of a supply chain ---------------------------------------------------------------


def test_tiers_fan_in_and_skewed_popularity(data: dict[str, pd.DataFrame]) -> None:
    fac, sup = data["facilities"], data["supplies"]
    role = fac.set_index("facility_id")["role"]
    counts = role.value_counts()
    n = len(fac) + len(data["products"])
    assert counts["farm"] / n == pytest.approx(0.30, abs=0.03)
    assert counts["fabric_mill"] / n == pytest.approx(0.10, abs=0.02)
    assert len(data["products"]) / n == pytest.approx(0.35, abs=0.03)
    s_role = role[sup["supplier_id"]].to_numpy()
    b_role = role[sup["buyer_id"]].to_numpy()
    mill_in = sup.loc[(b_role == "fabric_mill")].groupby("buyer_id").size()
    assert mill_in.mean() == pytest.approx(5.0, rel=0.15)
    # Tier skips: a mill buying lint from a gin, a garment maker buying greige fabric.
    assert ((s_role == "gin") & (b_role == "fabric_mill")).sum() > 0
    assert ((s_role == "fabric_mill") & (b_role == "garment_maker")).sum() > 0
    # Zipf popularity: a few spinner hubs, not at the low ids.
    out = sup.loc[s_role == "spinner"].groupby("supplier_id").size()
    assert out.max() > 8 * out.median()
    assert out.idxmax() != "FAC-SPN-000001"


def test_untraced_facilities_exist(data: dict[str, pd.DataFrame]) -> None:
    fac = data["facilities"]
    bought = set(data["supplies"]["buyer_id"])
    no_input = ~fac["facility_id"].isin(bought)
    untraced = no_input & ~fac["role"].isin(ORIGIN_ROLES)
    mid = fac["role"].isin(["spinner", "fabric_mill"])
    assert untraced[mid].mean() == pytest.approx(0.20, abs=0.03)
    assert set(fac.loc[untraced, "role"]) == {"spinner", "fabric_mill"}
    assert no_input[fac["role"] == "farm"].all()


def test_cycles_back_edges_and_one_closed_loop(data: dict[str, pd.DataFrame]) -> None:
    fac, sup = data["facilities"], data["supplies"]
    role = fac.set_index("facility_id")["role"]
    back = (
        role[sup["supplier_id"]].isin(["dyehouse", "garment_maker"]).to_numpy()
        & role[sup["buyer_id"]].isin(["spinner", "fabric_mill"]).to_numpy()
    )
    assert back.sum() == pytest.approx(0.01 * LINKS, rel=0.3)
    assert sup.loc[back, "material"].eq("recycled cotton fibre").all()
    graph, ids = _supply_graph(data)
    _, label = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(label)
    assert (sizes > 1).any()  # cycles
    # Closed loops: strongly connected components with no input from outside.
    s = ids.get_indexer(sup["supplier_id"])
    b = ids.get_indexer(sup["buyer_id"])
    fed = np.zeros(len(sizes), dtype=bool)
    fed[label[b[label[s] != label[b]]]] = True
    closed = np.flatnonzero((sizes > 1) & ~fed)
    assert len(closed) == 1
    members = ids[label == closed[0]]
    assert 2 <= len(members) <= 3
    assert (role[members] == "trader").all()
    # ...which supplies some mill outside the loop.
    outside = sup["supplier_id"].isin(members) & ~sup["buyer_id"].isin(members)
    assert role[sup.loc[outside, "buyer_id"]].isin(["spinner", "fabric_mill"]).all()
    assert outside.any()
    # Traders also sell to each other in an open ring that has outside input.
    traders = role[role == "trader"].index
    ring = sup["supplier_id"].isin(traders) & sup["buyer_id"].isin(traders)
    assert ring.sum() > len(members)


def test_no_back_edges_when_disabled(tmp_path: Path) -> None:
    generate(tmp_path, 3000, seed=2, back_edges=0.0)
    frames = _read(tmp_path)
    role = frames["facilities"].set_index("facility_id")["role"]
    sup = frames["supplies"]
    assert (
        not role[sup["supplier_id"]]
        .isin(["dyehouse", "garment_maker"])
        .to_numpy()[role[sup["buyer_id"]].isin(["spinner", "fabric_mill"]).to_numpy()]
        .any()
    )
    graph, _ = _supply_graph(frames)
    _, label = connected_components(graph, directed=True, connection="strong")
    assert (np.bincount(label) > 1).sum() >= 1  # the trader loops remain


def test_xinjiang_sources_use_real_geography(data: dict[str, pd.DataFrame]) -> None:
    fac = data["facilities"]
    xj = _is_xinjiang(fac)
    assert set(fac.loc[xj, "role"]) <= {"farm", "gin"}
    farms = fac["role"] == "farm"
    assert xj[farms].mean() == pytest.approx(0.05, abs=0.01)
    src = fac.loc[xj]
    assert set(src["province"]) - {""} <= set(XJ_PROVINCES)
    assert src["province"].isin(["Xinjiang", "新疆维吾尔自治区"]).any()
    posts = src.loc[src["postal_code"].ne(""), "postal_code"]
    assert len(posts) > 0
    assert posts.str.fullmatch(r"8[34]\d{4}").all()
    admin = src.loc[src["admin_code"].ne(""), "admin_code"]
    assert len(admin) > 0
    assert admin.str.fullmatch(r"65\d{4}").all()
    assert (
        src["city"]
        .isin(
            [
                "Aksu",
                "阿克苏市",
                "Shihezi",
                "石河子市",
                "Korla",
                "库尔勒市",
                "Kashgar",
                "喀什市",
                "Aral",
                "阿拉尔市",
            ]
        )
        .any()
    )
    # Everything else is elsewhere, across several countries; Namibia is "NA" exactly once.
    rest = fac.loc[~xj]
    assert not rest["admin_code"].str.startswith("65").any()
    cn_rest = rest["country"].isin(["CN", "China"])
    assert not rest.loc[cn_rest, "postal_code"].str.fullmatch(r"8[34]\d{4}").any()
    countries = set(fac["country"])
    assert {"CN", "IN", "PK", "BD", "VN", "TR", "US", "UZ", "EG"} <= countries
    assert (fac["country"] == "NA").sum() == 1


def test_names_look_like_companies(data: dict[str, pd.DataFrame]) -> None:
    fac = data["facilities"]
    assert fac["name"].ne("").all()
    assert fac["name"].str.contains("有限公司").any()
    assert fac["name"].str.contains(r"Co\., Ltd\.|Pvt\. Ltd\.|LLC").any()
    assert fac["aliases"].str.contains(";").any()
    assert fac["company"].ne("").any()
    lat = pd.to_numeric(fac["latitude"].replace("", None))
    assert lat.dropna().between(-90, 90).all()
    assert lat.notna().mean() > 0.8


def test_no_xinjiang_when_share_is_zero(tmp_path: Path) -> None:
    generate(tmp_path, 3000, seed=5, xinjiang_share=0.0)
    fac = _read(tmp_path)["facilities"]
    assert not _is_xinjiang(fac).any()
