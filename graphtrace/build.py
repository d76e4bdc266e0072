"""Turn a typed dataset into the flow graph: integer node ids and weighted edges with provenance.

Nodes are the facilities (ids ``0 .. n_facilities-1``, input order) followed by the products.
An edge ``supplier -> buyer`` carries the buyer's input share from that supplier (rule 2 for
supplies, rule 5 for BOM rows) and the table and spreadsheet row it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphtrace.model import ORIGIN_ROLES, Dataset, member, positions

#: Edge kinds (index into EDGE_TABLES): where an edge came from.
SUPPLY, BOM, MADE_AT = 0, 1, 2
EDGE_TABLES = ("supplies", "bom", "products")


@dataclass
class Graph:
    """The flow graph of one dataset at one date, as arrays over integer node ids."""

    dataset: Dataset
    as_of: pd.Timestamp | None
    ids: np.ndarray  # (n,) object: facility ids, then skus
    n_facilities: int
    origin: np.ndarray  # (n,) bool: raw-material origin role (farm, gin, mine)
    made_at: np.ndarray  # (n_products,) int: node of each product's made_at facility (-1 if absent)
    # edges, supplier -> buyer
    supplier: np.ndarray  # (m,) int64
    buyer: np.ndarray  # (m,) int64
    weight: np.ndarray  # (m,) float64, input share of the buyer
    mass_kg: np.ndarray  # (m,) float64, NaN when the supply has no volume
    kind: np.ndarray  # (m,) int8: SUPPLY, BOM or MADE_AT
    record: np.ndarray  # (m,) int64: position of the record in its table (-1 for MADE_AT)
    estimated: np.ndarray  # (n,) bool: inbound supplies weighed equally (some volume missing)

    @property
    def n(self) -> int:
        return len(self.ids)

    def facility(self, facility_id: str) -> int | None:
        """Node number of a facility id (hash lookup, built on first use)."""
        return self._lookup("_fac_index", self.ids[: self.n_facilities], facility_id, 0)

    def product(self, sku: str) -> int | None:
        """Node number of a sku (hash lookup, built on first use)."""
        return self._lookup("_sku_index", self.ids[self.n_facilities :], sku, self.n_facilities)

    def _lookup(self, attr: str, ids: np.ndarray, key: str, offset: int) -> int | None:
        index = self.__dict__.get(attr)
        if index is None:
            index = pd.Index(ids.astype(object))
            self.__dict__[attr] = index
        pos = index.get_indexer([key])[0]
        return None if pos < 0 else int(pos) + offset


def active_supplies(supplies: pd.DataFrame, as_of: pd.Timestamp | None) -> np.ndarray:
    """Boolean mask of supplies whose validity covers ``as_of`` (all of them without a date)."""
    if as_of is None or supplies.empty:
        return np.ones(len(supplies), dtype=bool)
    start = supplies["valid_from"]
    end = supplies["valid_to"]
    ok = (start.isna() | (start <= as_of)) & (end.isna() | (end >= as_of))
    return ok.to_numpy(dtype=bool)


def build_graph(dataset: Dataset, as_of: pd.Timestamp | None = None) -> Graph:
    """Build the flow graph of ``dataset``, counting only supplies active on ``as_of``."""
    fac, sup, prod, bom = dataset.facilities, dataset.supplies, dataset.products, dataset.bom
    nf, npr = len(fac), len(prod)
    fac_ids = fac["facility_id"]
    skus = prod["sku"]
    n = nf + npr

    # Supplies (rule 2): mass shares per buyer, equal shares where a volume is missing.
    act = np.flatnonzero(active_supplies(sup, as_of))
    s_sup = positions(sup["supplier_id"], fac_ids)[act]
    s_buy = positions(sup["buyer_id"], fac_ids)[act]
    keep = (s_sup >= 0) & (s_buy >= 0)
    act, s_sup, s_buy = act[keep], s_sup[keep], s_buy[keep]
    s_mass = sup["volume_kg"].to_numpy(dtype=float)[act]
    s_weight, s_est = _shares(s_buy, s_mass, n)

    # Products (rule 5): BOM rows weigh by mass; no BOM rows -> the made_at facility.
    made_at = positions(prod["made_at"], fac_ids) if npr else np.empty(0, np.int64)
    b_prod = positions(bom["sku"], skus)
    b_keep = np.flatnonzero(b_prod >= 0)
    b_prod = b_prod[b_keep]
    has_supplier = bom["supplier_id"].ne("").to_numpy()[b_keep]
    by_supplier = positions(bom["supplier_id"], fac_ids)[b_keep]
    by_component = positions(bom["component"], skus)[b_keep]
    src = np.where(
        has_supplier,
        by_supplier,
        np.where(by_component >= 0, by_component + nf, made_at[b_prod]),
    )
    b_buy = b_prod + nf
    ok = src >= 0
    b_keep, src, b_buy = b_keep[ok], src[ok], b_buy[ok]
    b_mass = bom["mass_kg"].to_numpy(dtype=float)[b_keep]
    b_weight, b_est = _shares(b_buy, b_mass, n)

    has_bom = np.zeros(npr, dtype=bool)
    has_bom[b_buy - nf] = True
    lone = np.flatnonzero(~has_bom & (made_at >= 0))
    m_src = made_at[lone]
    m_buy = lone + nf

    origin = np.zeros(n, dtype=bool)
    origin[:nf] = member(fac["role"], ORIGIN_ROLES)
    return Graph(
        dataset=dataset,
        as_of=as_of,
        ids=np.concatenate([fac_ids.to_numpy(object), skus.to_numpy(object)]),
        n_facilities=nf,
        origin=origin,
        made_at=made_at.astype(np.int64),
        supplier=np.concatenate([s_sup, src, m_src]).astype(np.int64),
        buyer=np.concatenate([s_buy, b_buy, m_buy]).astype(np.int64),
        weight=np.concatenate([s_weight, b_weight, np.ones(len(lone))]),
        mass_kg=np.concatenate([s_mass, b_mass, np.full(len(lone), np.nan)]),
        kind=np.concatenate(
            [
                np.full(len(s_sup), SUPPLY, np.int8),
                np.full(len(src), BOM, np.int8),
                np.full(len(lone), MADE_AT, np.int8),
            ]
        ),
        record=np.concatenate([act, b_keep, np.full(len(lone), -1)]).astype(np.int64),
        estimated=s_est | b_est,
    )


def _shares(buyer: np.ndarray, mass: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each edge's share of its buyer's inbound mass; equal shares for buyers with gaps.

    A buyer weighs its inputs equally (and is *estimated*) when any inbound mass is missing or
    when all of them are zero.
    """
    count = np.bincount(buyer, minlength=n).astype(float)
    missing = np.bincount(buyer, weights=np.isnan(mass).astype(float), minlength=n) > 0
    total = np.bincount(buyer, weights=np.nan_to_num(mass), minlength=n)
    equal = missing | ((total <= 0) & (count > 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            equal[buyer],
            1.0 / count[buyer],
            np.nan_to_num(mass) / np.where(total > 0, total, 1)[buyer],
        )
    return share, equal
