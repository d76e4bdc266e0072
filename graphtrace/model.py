"""Records shared by the whole pipeline: dataset contract, validation issues, typed dataset.

The typed :class:`Dataset` is what every store hands to the algorithms: the embedded store
builds it from a folder of CSV files (``read`` then ``validate``), the Neo4j store reads it back.
Same frames in, same numbers out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Roles of the cotton chain. The role column stays open: any other non-empty role is accepted.
KNOWN_ROLES = (
    "farm",
    "gin",
    "spinner",
    "fabric_mill",
    "dyehouse",
    "garment_maker",
    "trader",
    "brand",
    "mine",
)
#: Raw-material origins: with no inbound supply they are clear ``[0, 0]`` rather than untraced.
ORIGIN_ROLES = frozenset({"farm", "gin", "mine"})

#: The tables of a dataset: file stem -> (required columns, optional columns).
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "facilities": (
        ("facility_id", "name", "role", "country"),
        (
            "province",
            "city",
            "address",
            "postal_code",
            "admin_code",
            "latitude",
            "longitude",
            "aliases",
            "company",
        ),
    ),
    "supplies": (
        ("supplier_id", "buyer_id", "material"),
        ("volume", "unit", "valid_from", "valid_to", "reference"),
    ),
    "products": (("sku", "made_at"), ("name",)),
    "bom": (("sku", "component", "quantity", "unit"), ("supplier_id", "mass_kg")),
    "flags": (("facility_id", "reason"), ()),
}
#: Tables a dataset must have; the others may be absent.
REQUIRED_TABLES = ("facilities", "supplies", "products", "bom")

#: Entity-list files given with ``--entity-list``.
ENTITY_LIST_COLUMNS = (("name",), ("aliases", "effective_date", "list"))

#: Name of the column that holds the spreadsheet row (header = row 1) of every record.
ROW = "_row"


def member(values: pd.Series | np.ndarray, allowed: Iterable[str] | pd.Index) -> np.ndarray:
    """Boolean mask: which ``values`` are in ``allowed`` (vectorised with Arrow; text only).

    pandas' ``Series.isin`` on Arrow-backed text falls back to Python loops (15 s for a million
    rows); Arrow's hash-set lookup takes well under a second.
    """
    import pyarrow.compute as pc

    arr, ref = _arrow_text(values), _arrow_text(allowed)
    if ref.type != arr.type:
        ref = ref.cast(arr.type)
    return np.asarray(pc.is_in(arr, value_set=ref).to_numpy(zero_copy_only=False), dtype=bool)


def positions(values: pd.Series | np.ndarray | Iterable[str], ids: Any) -> np.ndarray:
    """Position of each value in ``ids`` (-1 where absent), like ``Index.get_indexer``."""
    import pyarrow.compute as pc

    arr, ref = _arrow_text(values), _arrow_text(ids)
    if ref.type != arr.type:
        ref = ref.cast(arr.type)
    out = pc.index_in(arr, value_set=ref).to_numpy(zero_copy_only=False)
    return np.nan_to_num(out.astype(float), nan=-1).astype(np.int64)


def _arrow_text(values: Any) -> Any:
    import pyarrow as pa

    if isinstance(values, pd.Series | pd.Index):
        arr = pa.array(values, from_pandas=True)  # Arrow-backed text: no copy
    else:
        arr = pa.array(np.asarray(list(values), dtype=object), type=pa.string(), from_pandas=True)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    return arr


@dataclass(frozen=True)
class Issue:
    """One problem in the input, located as a spreadsheet user sees it (header is row 1)."""

    code: str
    message: str
    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None
    severity: str = "error"  # "error" or "warning"

    def location(self) -> str:
        parts = [self.file + (f" [{self.sheet}]" if self.sheet else "")]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ValidationReport:
    """Every issue found in a dataset, errors and warnings, in file/row order."""

    issues: list[Issue] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "stats": dict(self.stats),
            "issues": [i.to_dict() for i in self.issues],
        }


@dataclass
class Dataset:
    """A validated dataset as typed pandas frames, one row per input row, in input order.

    Every frame has a ``_row`` column (int, spreadsheet row of the record, header = row 1) and
    keeps the user's extra columns as text. Text columns hold ``str`` with ``""`` for empty.

    - ``facilities``: facility_id, name, role (lower-case), country (ISO 3166 alpha-2), province,
      city, address, postal_code, admin_code, latitude/longitude (float, NaN when empty),
      aliases, company.
    - ``supplies``: supplier_id, buyer_id, material, volume_kg (float, NaN when no volume),
      valid_from/valid_to (``datetime64[ns]``, NaT when open), reference; plus the user's
      original ``volume`` and ``unit`` text.
    - ``products``: sku, name, made_at.
    - ``bom``: sku, component, quantity (float), unit, supplier_id, mass_kg (float: the row's
      mass in kg, converted from quantity/unit or taken from the mass_kg column).
    - ``flags``: facility_id, reason.
    """

    facilities: pd.DataFrame
    supplies: pd.DataFrame
    products: pd.DataFrame
    bom: pd.DataFrame
    flags: pd.DataFrame
    #: Where it came from, for messages: a folder, a workbook or a Neo4j URI.
    origin: str = ""
    #: File name (as the user sees it) of each table, for provenance ("supplies.csv").
    files: dict[str, str] = field(default_factory=dict)

    def file_of(self, table: str) -> str:
        return self.files.get(table, f"{table}.csv")


@dataclass(frozen=True)
class EntityEntry:
    """One entry of an entity list (UFLPA Entity List or the user's own)."""

    name: str
    aliases: tuple[str, ...] = ()
    effective_date: pd.Timestamp | None = None
    list: str = ""
    file: str = ""
    row: int | None = None


@dataclass(frozen=True)
class Reason:
    """Why a facility is a risk source, with the record that says so."""

    kind: str  # "xinjiang", "entity-list" or "flag"
    detail: str  # readable sentence, e.g. 'postal code "844000" is a Xinjiang postcode'
    source: str  # "facilities.csv row 5", "uflpa.csv row 12", "flags.csv row 2"

    def __str__(self) -> str:
        return f"{self.detail} ({self.source})"
