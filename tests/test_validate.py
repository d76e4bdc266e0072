"""Reading and validation: every problem at once, located as a spreadsheet user sees it."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import bom, fac, prod, sup, write_dataset

from graphtrace.errors import InputError, ValidationFailed
from graphtrace.validate import country_code, load_dataset, mass_factor, validate


def good(tmp_path: Path) -> Path:
    return write_dataset(
        tmp_path / "ds",
        [
            fac("G1", "gin", "CN", province="Xinjiang"),
            fac("S1", "spinner", "NA"),
            fac("M1", "fabric_mill", "Viet Nam"),
        ],
        [sup("G1", "S1", 2, "t"), sup("S1", "M1", 500, "lb", valid_from="2024-01-01")],
        [prod("P1", "M1"), prod("P2", "M1")],
        [bom("P1", "fabric", 3, "m", "M1", mass_kg=0.6), bom("P2", "P1", 250, "g")],
    )


def codes(report) -> list[tuple[str, int | None, str | None, str]]:
    return [(i.file, i.row, i.column, i.code) for i in report.errors]


def test_valid_dataset_is_typed(tmp_path: Path) -> None:
    report, ds = validate(good(tmp_path))
    assert report.valid, report.issues
    assert ds is not None
    assert list(ds.facilities["country"]) == ["CN", "NA", "VN"]  # "NA" is Namibia, not missing
    assert list(ds.facilities["_row"]) == [2, 3, 4]
    assert list(ds.supplies["volume_kg"]) == [2000.0, pytest.approx(500 * 0.45359237)]
    assert ds.supplies["valid_from"].iloc[1] == pd.Timestamp("2024-01-01")
    assert pd.isna(ds.supplies["valid_to"].iloc[1])
    assert list(ds.bom["mass_kg"]) == [0.6, 0.25]


def test_every_problem_reported_at_once_with_spreadsheet_rows(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "bad",
        [fac("G1", "gin", "CN"), fac("G1", "gin", "Narnia"), fac("S1", "", "VN")],
        [
            sup("G1", "S1", "ten", "kg"),  # row 2
            sup("X9", "S1", -5, "kg"),  # row 3
            sup("G1", "S1", 5, "m"),  # row 4: not a mass
            sup("G1", "S1", 5, "blorps"),  # row 5
            sup("G1", "S1", 5, ""),  # row 6: no unit
            sup("G1", "S1", 5, "kg", valid_from="2024-13-01"),  # row 7
            sup("G1", "S1", 5, "kg", valid_from="2024-05-01", valid_to="2024-01-01"),  # row 8
            sup("G1", "S1", 5, "ton"),  # row 9: ambiguous
        ],
        [prod("P1", "NOPE")],
        [bom("P1", "thread", 2, "pcs"), bom("P9", "x", 1)],
    )
    report, ds = validate(folder)
    assert ds is None and not report.valid
    got = codes(report)
    expected = [
        ("facilities.csv", 3, "facility_id", "duplicate-id"),
        ("facilities.csv", 3, "country", "unknown-country"),
        ("facilities.csv", 4, "role", "missing-value"),
        ("supplies.csv", 2, "volume", "bad-number"),
        ("supplies.csv", 3, "volume", "negative-number"),
        ("supplies.csv", 3, "supplier_id", "unknown-facility"),
        ("supplies.csv", 4, "unit", "not-a-mass-unit"),
        ("supplies.csv", 5, "unit", "unknown-unit"),
        ("supplies.csv", 6, "unit", "missing-unit"),
        ("supplies.csv", 7, "valid_from", "bad-date"),
        ("supplies.csv", 8, "valid_from", "bad-date-range"),
        ("supplies.csv", 9, "unit", "unknown-unit"),
        ("products.csv", 2, "made_at", "unknown-facility"),
        ("bom.csv", 2, "unit", "missing-mass"),
        ("bom.csv", 3, "sku", "unknown-product"),
    ]
    assert sorted(got) == sorted(expected)
    by_code = {i.code: i for i in report.errors}
    assert by_code["duplicate-id"].message.startswith("facility_id 'G1' already appears in row 2")
    assert by_code["bad-number"].value == "ten"
    assert "ambiguous" in next(i for i in report.errors if i.row == 9).message


def test_missing_file_and_columns(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "facilities.csv").write_text("facility_id,name,country\nA,a,CN\n", encoding="utf-8")
    (folder / "supplies.csv").write_text("supplier_id,buyer_id,material\n", encoding="utf-8")
    (folder / "products.csv").write_text("sku,made_at\n", encoding="utf-8")
    report, _ = validate(folder)
    got = codes(report)
    assert ("facilities.csv", 1, "role", "missing-column") in got
    assert ("bom.csv", None, None, "missing-file") in got


def test_bom_and_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    folder = good(tmp_path)
    text = (folder / "supplies.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    # a byte-order mark, a blank line after the header and a broken value on the last row
    (folder / "supplies.csv").write_text(
        "\ufeff" + lines[0] + "\n\n" + "\n".join(lines[1:]) + "\nG1,S1,cotton,oops,kg,\n",
        encoding="utf-8",
    )
    report, _ = validate(folder)
    assert codes(report) == [("supplies.csv", 5, "volume", "bad-number")]


def test_subassembly_cycle_is_an_error(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "ds",
        [fac("M1", "garment_maker")],
        [],
        [prod("A", "M1"), prod("B", "M1"), prod("C", "M1")],
        [bom("A", "B", 1), bom("B", "C", 1), bom("C", "A", 1), bom("C", "cloth", 1)],
    )
    report, _ = validate(folder)
    assert [(i.row, i.code) for i in report.errors] == [
        (2, "subassembly-cycle"),
        (3, "subassembly-cycle"),
        (4, "subassembly-cycle"),
    ]


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    folder = good(tmp_path)
    (folder / "products.csv").write_bytes("sku,made_at,name\nP1,M1,Caf\xe9\n".encode("latin-1"))
    report, _ = validate(folder)
    assert [(i.file, i.code) for i in report.errors] == [("products.csv", "bad-encoding")]
    assert "UTF-8" in report.errors[0].message


def test_workbook_sheets(tmp_path: Path) -> None:
    folder = good(tmp_path)
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as xw:
        for name in ("facilities", "supplies", "products", "bom"):
            pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False).to_excel(
                xw, sheet_name=name, index=False
            )
    ds = load_dataset(book)
    assert list(ds.facilities["country"]) == ["CN", "NA", "VN"]
    assert ds.file_of("facilities") == "book.xlsx"


def test_load_dataset_raises_with_report(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "ds", [fac("A", "gin", "Atlantis")])
    with pytest.raises(ValidationFailed) as exc:
        load_dataset(folder)
    assert any(i.code == "unknown-country" for i in exc.value.report.errors)
    with pytest.raises(InputError):
        load_dataset(tmp_path / "does-not-exist")


def test_mass_units() -> None:
    assert mass_factor("kg") == (1.0, None)
    assert mass_factor("t")[0] == 1000.0
    assert math.isclose(mass_factor("lb")[0] or 0, 0.45359237)
    assert mass_factor("g")[0] == pytest.approx(0.001)
    assert mass_factor("m")[0] is None
    assert mass_factor("ton")[0] is None


def test_countries() -> None:
    assert country_code("NA") == "NA"
    assert country_code("Namibia") == "NA"
    assert country_code("China") == "CN"
    assert country_code("中国") == "CN"
    assert country_code("USA") == "US"
    assert country_code("Atlantis") is None


def test_ragged_row_is_located(tmp_path: Path) -> None:
    folder = good(tmp_path)
    with (folder / "supplies.csv").open("a", encoding="utf-8") as fh:
        fh.write("G1,S1,cotton,1,kg,,,\n")
    report, _ = validate(folder)
    assert codes(report) == [("supplies.csv", 4, None, "bad-csv")]
    assert "header has 6 columns" in report.errors[0].message
