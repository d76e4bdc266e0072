"""Small builders for hand-written test datasets."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphtrace.model import TABLES

Row = dict[str, Any]


def write_table(path: Path, rows: Sequence[Row], columns: Sequence[str]) -> None:
    cols = list(columns)
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})


def write_dataset(
    folder: Path,
    facilities: Sequence[Row],
    supplies: Sequence[Row] = (),
    products: Sequence[Row] = (),
    bom: Sequence[Row] = (),
    flags: Sequence[Row] | None = None,
) -> Path:
    """Write a dataset folder; missing optional columns are left out of the files."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"facilities": facilities, "supplies": supplies, "products": products, "bom": bom}
    if flags is not None:
        tables["flags"] = flags
    for name, rows in tables.items():
        write_table(folder / f"{name}.csv", rows, TABLES[name][0])
    return folder


def fac(fid: str, role: str = "spinner", country: str = "VN", **kw: Any) -> Row:
    return {
        "facility_id": fid,
        "name": kw.pop("name", f"{fid} Co., Ltd."),
        "role": role,
        "country": country,
        **kw,
    }


def sup(s: str, b: str, volume: Any = 1, unit: str = "kg", **kw: Any) -> Row:
    return {
        "supplier_id": s,
        "buyer_id": b,
        "material": kw.pop("material", "cotton"),
        "volume": volume,
        "unit": unit,
        **kw,
    }


def prod(sku: str, made_at: str, name: str = "") -> Row:
    return {"sku": sku, "name": name or f"product {sku}", "made_at": made_at}


def bom(
    sku: str,
    component: str,
    quantity: Any,
    unit: str = "kg",
    supplier_id: str = "",
    mass_kg: Any = "",
) -> Row:
    return {
        "sku": sku,
        "component": component,
        "quantity": quantity,
        "unit": unit,
        "supplier_id": supplier_id,
        "mass_kg": mass_kg,
    }
