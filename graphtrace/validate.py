"""Check a raw dataset against the contract, gathering every problem, and type it.

``validate(raw)`` returns a :class:`ValidationReport` listing all issues at once (file, spreadsheet
row, column, value, message) and, when there are no errors, the typed :class:`Dataset`.
Checks are vectorised over whole columns so that millions of rows validate in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from graphtrace.errors import ValidationFailed
from graphtrace.model import (
    KNOWN_ROLES,
    REQUIRED_TABLES,
    ROW,
    TABLES,
    Dataset,
    Issue,
    ValidationReport,
    member,
)
from graphtrace.read import RawDataset, read_inputs

#: Unit spellings that pint does not know or reads differently from trade usage.
UNIT_ALIASES = {
    "mt": "t",
    "tonne": "t",
    "tonnes": "t",
    "metric ton": "t",
    "metric tons": "t",
    "kgs": "kg",
    "kilo": "kg",
    "kilos": "kg",
    "lbs": "lb",
    "gr": "g",
    "grams": "g",
}
#: Spellings too ambiguous to convert: (message hint).
AMBIGUOUS_UNITS = {
    "ton": "'ton' is ambiguous: write t (metric tonne), short_ton or long_ton",
    "tons": "'tons' is ambiguous: write t (metric tonne), short_ton or long_ton",
}

COUNTRY_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "england": "GB",
    "vietnam": "VN",
    "viet nam": "VN",
    "turkey": "TR",
    "türkiye": "TR",
    "turkiye": "TR",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "taiwan": "TW",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
    "laos": "LA",
    "iran": "IR",
    "syria": "SY",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "kosovo": "XK",
    "prc": "CN",
    "people's republic of china": "CN",
    "mainland china": "CN",
    "中国": "CN",
    "中华人民共和国": "CN",
}


class _Collector:
    """Gathers issues for one table, locating them as the user sees the file."""

    def __init__(self, report: ValidationReport, raw: RawDataset, table: str) -> None:
        self.report = report
        self.file = raw.files.get(table, f"{table}.csv")
        self.sheet = raw.sheets.get(table)

    def add(
        self,
        code: str,
        message: str,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        severity: str = "error",
    ) -> None:
        self.report.issues.append(
            Issue(code, message, self.file, row, column, value, self.sheet, severity)
        )

    def rows(
        self,
        frame: pd.DataFrame,
        mask: pd.Series | np.ndarray,
        code: str,
        column: str,
        message: str,
        severity: str = "error",
    ) -> None:
        """Add one issue per row where ``mask`` holds; ``message`` may use ``{value}``."""
        hit = np.asarray(mask, dtype=bool)
        if not hit.any():
            return
        sel = frame.loc[hit, [ROW, column]]
        for row, value in zip(sel[ROW].tolist(), sel[column].tolist(), strict=True):
            self.add(code, message.format(value=value), int(row), column, str(value), severity)


def validate(source: RawDataset | str | Path) -> tuple[ValidationReport, Dataset | None]:
    """Check every table and cross-reference; return the report and, if valid, the typed dataset."""
    raw = source if isinstance(source, RawDataset) else read_inputs(source)
    report = ValidationReport(issues=list(raw.issues))
    frames: dict[str, pd.DataFrame] = {}
    complete = True  # every table present with its required columns
    for table, (required, optional) in TABLES.items():
        col = _Collector(report, raw, table)
        frame = raw.tables.get(table)
        if frame is not None:
            frame = frame.copy(deep=False)  # never change the caller's raw frames
        if frame is None:
            if table in REQUIRED_TABLES and not any(i.file == col.file for i in raw.issues):
                col.add(
                    "missing-file",
                    f"the dataset has no {table} table: add {table}.csv (columns: "
                    f"{', '.join(required + optional)})",
                )
            if table in REQUIRED_TABLES:
                complete = False
            frame = pd.DataFrame({c: pd.Series(dtype=str) for c in (*required, *optional)})
            frame[ROW] = pd.Series(dtype=np.int64)
            frames[table] = frame
            continue
        missing = [c for c in required if c not in frame.columns]
        for c in missing:
            col.add(
                "missing-column",
                f"required column {c!r} is missing from the header: add it",
                row=1,
                column=c,
            )
        if missing:
            complete = False
        for c in optional:
            if c not in frame.columns:
                frame[c] = ""
        for c in required:
            if c in frame.columns:
                col.rows(
                    frame,
                    frame[c].eq(""),
                    "missing-value",
                    c,
                    f"{c} is required: fill it in or delete the row",
                )
        frames[table] = frame
        report.stats[table] = len(frame)

    fac = _facilities(frames["facilities"], _Collector(report, raw, "facilities"))
    sup = _supplies(frames["supplies"], _Collector(report, raw, "supplies"))
    prod = frames["products"]
    bom = _bom(frames["bom"], _Collector(report, raw, "bom"))
    flags = frames["flags"]

    if complete:
        _unique(prod, "sku", _Collector(report, raw, "products"))
        fac_ids = pd.Index(fac["facility_id"].unique())
        skus = pd.Index(prod["sku"].unique())
        on_supplies = _Collector(report, raw, "supplies")
        for column in ("supplier_id", "buyer_id"):
            _known(sup, column, fac_ids, "facility", "facilities", on_supplies)
        _known(
            prod, "made_at", fac_ids, "facility", "facilities", _Collector(report, raw, "products")
        )
        on_bom = _Collector(report, raw, "bom")
        _known(bom, "sku", skus, "product", "products", on_bom)
        _known(bom, "supplier_id", fac_ids, "facility", "facilities", on_bom)
        _known(
            flags,
            "facility_id",
            fac_ids,
            "facility",
            "facilities",
            _Collector(report, raw, "flags"),
        )
        _subassembly_cycles(bom, skus, on_bom)

    order = {f: i for i, f in enumerate(raw.files.get(t, f"{t}.csv") for t in TABLES)}
    report.issues.sort(key=lambda i: (order.get(i.file, 99), i.sheet or "", i.row or 0))
    if not report.valid:
        return report, None
    dataset = Dataset(
        facilities=fac,
        supplies=sup,
        products=prod,
        bom=bom,
        flags=flags,
        origin=raw.origin,
        files={t: raw.files.get(t, f"{t}.csv") for t in TABLES},
    )
    return report, dataset


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate the dataset at ``path``; raise :class:`ValidationFailed` on errors."""
    report, dataset = validate(path)
    if dataset is None:
        raise ValidationFailed(report)
    return dataset


# --- per-table checks -------------------------------------------------------------------------


def _facilities(frame: pd.DataFrame, col: _Collector) -> pd.DataFrame:
    if "facility_id" in frame.columns:
        _unique(frame, "facility_id", col)
    if "role" in frame.columns:
        frame["role"] = frame["role"].str.lower().str.replace(" ", "_").str.replace("-", "_")
        unknown = frame["role"].ne("") & ~member(frame["role"], KNOWN_ROLES)
        col.rows(
            frame,
            unknown,
            "unknown-role",
            "role",
            "role {value!r} is not one of the cotton-chain roles ("
            + ", ".join(KNOWN_ROLES)
            + "); it is accepted as a role of another sector (check the spelling)",
            severity="warning",
        )
    if "country" in frame.columns:
        uniq = frame["country"].unique().tolist()
        codes = frame["country"].map({u: country_code(u) for u in uniq})
        bad = frame["country"].ne("") & codes.isna()
        col.rows(
            frame,
            bad,
            "unknown-country",
            "country",
            "country {value!r} is not a country name or ISO 3166 code: write e.g. CN, "
            "China, VN or Viet Nam",
        )
        frame["country"] = codes.fillna("").astype(str)
    for c, lo, hi in (("latitude", -90.0, 90.0), ("longitude", -180.0, 180.0)):
        frame[c] = _numbers(frame, c, col, lo=lo, hi=hi)
    return frame


def _supplies(frame: pd.DataFrame, col: _Collector) -> pd.DataFrame:
    volume = _numbers(frame, "volume", col, lo=0.0)
    factor = _mass_factors(frame, "unit", col, needed=frame["volume"].ne(""), context="volume")
    frame["volume_kg"] = volume * factor
    start = _dates(frame, "valid_from", col)
    end = _dates(frame, "valid_to", col)
    inverted = (start > end).fillna(False)
    col.rows(
        frame,
        inverted,
        "bad-date-range",
        "valid_from",
        "valid_from {value} is after valid_to: swap them or fix the dates",
    )
    frame["valid_from"] = start
    frame["valid_to"] = end
    return frame


def _bom(frame: pd.DataFrame, col: _Collector) -> pd.DataFrame:
    qty = _numbers(frame, "quantity", col, lo=0.0)
    mass = _numbers(frame, "mass_kg", col, lo=0.0)
    has_mass = frame["mass_kg"].ne("")
    factor = _mass_factors(frame, "unit", col, needed=~has_mass, context="quantity")
    frame["quantity"] = qty
    frame["mass_kg"] = mass.where(has_mass, qty * factor)
    return frame


# --- column helpers -----------------------------------------------------------------------------


def _unique(frame: pd.DataFrame, column: str, col: _Collector) -> None:
    values = frame[column]
    dup = values.ne("") & values.duplicated(keep="first")
    if not dup.any():
        return
    first = frame.loc[values.ne("")].drop_duplicates(column).set_index(column)[ROW]
    sel = frame.loc[dup, [ROW, column]]
    for row, value in zip(sel[ROW].tolist(), sel[column].tolist(), strict=True):
        col.add(
            "duplicate-id",
            f"{column} {value!r} already appears in row {int(first[value])}: "
            "ids must be unique; merge the rows or give this one another id",
            int(row),
            column,
            value,
        )


def _known(
    frame: pd.DataFrame,
    column: str,
    ids: pd.Index,
    kind: str,
    table: str,
    col: _Collector,
) -> None:
    values = frame[column]
    bad = values.ne("").to_numpy() & ~member(values, ids)
    col.rows(
        frame,
        bad,
        f"unknown-{kind}",
        column,
        f"{column} {{value!r}} is not a {kind} in {table}: add it there or fix the id",
    )


def _numbers(
    frame: pd.DataFrame,
    column: str,
    col: _Collector,
    lo: float | None = None,
    hi: float | None = None,
) -> pd.Series:
    text = frame[column]
    given = text.ne("")
    values = _to_float(text, given)
    bad = given & (values.isna() | ~np.isfinite(values.fillna(0.0)))
    col.rows(frame, bad, "bad-number", column, f"{column} {{value!r}} is not a number")
    ok = given & ~bad
    if lo is not None:
        below = ok & (values < lo)
        code = "negative-number" if lo == 0.0 else "out-of-range"
        col.rows(frame, below, code, column, f"{column} {{value}} must be at least {lo:g}")
        ok &= ~below
    if hi is not None:
        above = ok & (values > hi)
        col.rows(frame, above, "out-of-range", column, f"{column} {{value}} must be at most {hi:g}")
        ok &= ~above
    return values.where(ok).astype(float)


def _to_float(text: pd.Series, given: pd.Series) -> pd.Series:
    """Numbers from text (NaN where empty or not a number); Arrow's cast when all parse."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(text.where(given), from_pandas=True)
        return pd.Series(
            pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), index=text.index
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        pass
    if text.str.contains(",", regex=False).any():  # thousands separators: "1,250"
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").where(given)


def _dates(frame: pd.DataFrame, column: str, col: _Collector) -> pd.Series:
    text = frame[column]
    given = text.ne("")
    dates = pd.to_datetime(text.where(given), format="%Y-%m-%d", errors="coerce")
    bad = given & dates.isna()
    col.rows(
        frame,
        bad,
        "bad-date",
        column,
        f"{column} {{value!r}} is not an ISO date: write YYYY-MM-DD (e.g. 2024-03-31)",
    )
    return dates


def _mass_factors(
    frame: pd.DataFrame, column: str, col: _Collector, needed: pd.Series, context: str
) -> pd.Series:
    """kg per unit for each row's unit (NaN where unknown), reporting units that cannot be used."""
    units = frame[column]
    factors: dict[str, float | None] = {}
    problems: dict[str, str] = {}
    for u in units.unique().tolist():
        if u == "":
            continue
        factor, problem = mass_factor(u)
        factors[u] = factor
        if problem:
            problems[u] = problem
    out = units.map(factors).astype(float)
    missing = needed & units.eq("")
    if context == "volume":
        col.rows(
            frame,
            missing,
            "missing-unit",
            column,
            "volume has no unit: give a mass unit such as kg, t or lb",
        )
    else:
        col.rows(
            frame,
            missing,
            "missing-unit",
            column,
            "unit is required: give a mass unit (kg, g, lb) or fill in mass_kg",
        )
    for u, problem in problems.items():
        is_mass_problem = problem.startswith("not-a-mass")
        mask = units.eq(u)
        if is_mass_problem:
            mask &= needed
            if context == "quantity":
                msg = f"unit {u!r} is not a mass: fill in mass_kg for this row"
                code = "missing-mass"
            else:
                msg = f"unit {u!r} is not a mass: volumes are weighed by mass (kg, t, lb, ...)"
                code = "not-a-mass-unit"
        else:
            code, msg = "unknown-unit", problem
        col.rows(frame, mask, code, column, msg)
    return out


@lru_cache(maxsize=1)
def _registry():  # type: ignore[no-untyped-def]
    import pint

    try:  # parsed definitions are cached on disk: the registry loads in ~0.2 s, not ~2 s
        return pint.UnitRegistry(cache_folder=":auto:")
    except Exception:  # pragma: no cover - read-only home or an old pint
        return pint.UnitRegistry()


@lru_cache(maxsize=4096)
def mass_factor(unit: str) -> tuple[float | None, str | None]:
    """Return (kg per ``unit``, None) for a mass unit, else (None, problem message).

    >>> mass_factor("t")[0], mass_factor("lb")[0], mass_factor("MT")[0]
    (1000.0, 0.45359237, 1000.0)
    """
    key = unit.strip()
    low = key.lower()
    if low in AMBIGUOUS_UNITS:
        return None, AMBIGUOUS_UNITS[low]
    key = UNIT_ALIASES.get(low, key)
    ureg = _registry()
    try:
        q = ureg.Quantity(1.0, key)
    except Exception:
        return None, f"unit {unit!r} is not a known unit: write e.g. kg, g, t or lb"
    if q.dimensionality != ureg.kilogram.dimensionality:
        return None, f"not-a-mass unit {unit!r}"
    return float(q.to("kilogram").magnitude), None


@lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """ISO 3166 alpha-2 code for a country name or code; None when unknown.

    >>> country_code("NA"), country_code("Viet Nam"), country_code("chn")
    ('NA', 'VN', 'CN')
    """
    import pycountry

    text = value.strip()
    if not text:
        return None
    alias = COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def _subassembly_cycles(bom: pd.DataFrame, skus: pd.Index, col: _Collector) -> None:
    """Report every BOM row that closes a cycle of sub-assemblies (a product inside itself)."""
    is_sub = bom["supplier_id"].eq("").to_numpy() & member(bom["component"], skus)
    is_sub &= member(bom["sku"], skus)
    sub = bom.loc[is_sub, ["sku", "component", ROW]]
    if sub.empty:
        return
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    codes, names = pd.factorize(pd.concat([sub["sku"], sub["component"]], ignore_index=True))
    a, b = codes[: len(sub)], codes[len(sub) :]
    n = len(names)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=True, connection="strong")
    size = np.bincount(label)
    on_cycle = (size[label] > 1) | np.isin(np.arange(n), a[a == b])
    cyclic = set(names[on_cycle].tolist())
    if not cyclic:
        return
    bad = member(sub["sku"], cyclic) & member(sub["component"], cyclic)
    for row, sku, comp in _sorted_rows(sub.loc[bad]):
        col.add(
            "subassembly-cycle",
            f"product {sku!r} contains {comp!r}, which (directly or through other "
            "sub-assemblies) contains it: a product cannot be part of itself; fix the BOM",
            row,
            "component",
            comp,
        )


def _sorted_rows(frame: pd.DataFrame) -> Iterable[tuple[int, str, str]]:
    for row, sku, comp in sorted(
        zip(frame[ROW].tolist(), frame["sku"].tolist(), frame["component"].tolist(), strict=True)
    ):
        yield int(row), str(sku), str(comp)
