"""Read a dataset (a folder of CSV files or one .xlsx workbook) into frames of text.

Every cell is read as text, so Namibia's "NA" stays "NA" and part number "00123" keeps its zeros;
``validate`` converts types and turns every failed conversion into an
:class:`~graphtrace.model.Issue`.
Each frame keeps a ``_row`` column: the row a spreadsheet user sees (header = row 1).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graphtrace.errors import InputError
from graphtrace.model import ROW, TABLES, Issue

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class RawDataset:
    """The tables of a dataset as text frames, with where each came from and read problems."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
    origin: str = ""
    issues: list[Issue] = field(default_factory=list)


def read_inputs(path: str | Path) -> RawDataset:
    """Read the dataset at ``path``: a folder of ``<table>.csv`` files or an .xlsx workbook.

    Missing or unreadable files become issues in ``RawDataset.issues`` (so that validation reports
    them with everything else); a path that does not exist at all raises :class:`InputError`.
    """
    p = Path(path)
    if p.is_dir():
        return _read_folder(p)
    if p.is_file() and p.suffix.lower() in EXCEL_SUFFIXES:
        return _read_workbook(p)
    if p.is_file():
        raise InputError(
            f"{p} is a file, not a dataset: give the folder that holds facilities.csv, "
            "supplies.csv, products.csv and bom.csv, or an .xlsx workbook with those sheets"
        )
    raise InputError(f"dataset {p} does not exist: check the path (a folder or an .xlsx workbook)")


def read_csv_text(path: Path, display: str) -> tuple[pd.DataFrame | None, list[Issue]]:
    """Read one CSV file as text; return the frame (with ``_row``) or the issues that stop it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as e:
        return None, [_not_utf8(e, display)]
    except OSError as e:
        return None, [Issue("unreadable-file", f"cannot read the file: {e.strerror}", display)]
    if header is None:
        return None, [Issue("empty-file", "the file is empty: it needs a header row", display)]
    fast = _read_arrow(path, [h.strip() for h in header])
    if fast is not None:
        return fast, []
    # The slow path reads what Arrow refused (blank lines, ragged rows, bad bytes) and says where.
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError as e:
        return None, [_not_utf8(e, display)]
    except (pd.errors.ParserError, ValueError) as e:
        text = str(e).strip()
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
        if found:
            want, line, saw = (int(g) for g in found.groups())
            return None, [
                Issue(
                    "bad-csv",
                    f"this row has {saw} values but the header has {want} columns: "
                    "quote values that contain commas, or remove the extra commas",
                    display,
                    row=line,
                )
            ]
        return None, [
            Issue(
                "bad-csv", f"the file is not valid CSV ({text}): check quoting and commas", display
            )
        ]
    return _finish(frame, display, None)


def _not_utf8(e: UnicodeDecodeError, display: str) -> Issue:
    return Issue(
        "bad-encoding",
        f"the file is not UTF-8 text (byte {e.start}): save it as 'CSV UTF-8' and retry",
        display,
    )


def _read_arrow(path: Path, header: list[str]) -> pd.DataFrame | None:
    """Read a well-formed CSV with Arrow, every column as text (fast: ~1M rows/s/core); None if
    Arrow refuses the file, so that the pandas path can locate the problem."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if len(set(header)) != len(header):
        return None
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    import pyarrow.compute as pc

    columns = [pc.utf8_trim_whitespace(col) for col in table.columns]
    if columns:
        blank = pc.equal(pc.utf8_length(columns[0]), 0)
        for col in columns[1:]:
            blank = pc.and_(blank, pc.equal(pc.utf8_length(col), 0))
    table = pa.table(columns, names=header)
    frame = table.to_pandas()
    frame[ROW] = np.arange(len(frame), dtype=np.int64) + 2
    if columns and pc.any(blank).as_py():
        frame = frame.loc[~blank.to_numpy(zero_copy_only=False)].reset_index(drop=True)
    return frame


def _finish(
    frame: pd.DataFrame, display: str, sheet: str | None
) -> tuple[pd.DataFrame | None, list[Issue]]:
    issues: list[Issue] = []
    names = [str(c).strip().lstrip("\ufeff").strip() for c in frame.columns]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            issues.append(
                Issue(
                    "duplicate-column",
                    f"column {n!r} appears twice in the header: rename or remove one",
                    display,
                    row=1,
                    column=n,
                    sheet=sheet,
                )
            )
        seen.add(n)
    if issues:
        return None, issues
    frame.columns = pd.Index(names)
    frame = frame.fillna("").astype(str)
    text_cols = list(frame.columns)
    frame[ROW] = np.arange(len(frame), dtype=np.int64) + 2
    # Trim spaces; a blank line is a blank spreadsheet row: drop it, keeping the others' rows.
    blank = np.ones(len(frame), dtype=bool)
    for c in text_cols:
        col = frame[c]
        if (
            col.str.startswith(" ").any()
            or col.str.endswith(" ").any()
            or col.str.contains("\t|\r|\n", regex=True).any()
        ):
            col = col.str.strip()
            frame[c] = col
        blank &= col.eq("").to_numpy()
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
    return frame, []


def _read_folder(folder: Path) -> RawDataset:
    raw = RawDataset(origin=str(folder))
    for table in TABLES:
        path = folder / f"{table}.csv"
        raw.files[table] = path.name
        if not path.exists():
            continue
        frame, issues = read_csv_text(path, path.name)
        raw.issues.extend(issues)
        if frame is not None:
            raw.tables[table] = frame
    return raw


def _read_workbook(path: Path) -> RawDataset:
    raw = RawDataset(origin=str(path))
    try:
        sheets = pd.read_excel(
            path, sheet_name=None, dtype=str, keep_default_na=False, na_filter=False
        )
    except Exception as e:  # openpyxl raises many types for damaged files
        raise InputError(f"cannot read workbook {path}: {e}; save it again as .xlsx") from e
    by_name = {str(name).strip().lower().removesuffix(".csv"): name for name in sheets}
    for table in TABLES:
        raw.files[table] = path.name
        if table not in by_name:
            continue
        sheet = str(by_name[table])
        raw.sheets[table] = sheet
        frame, issues = _finish(sheets[by_name[table]], path.name, sheet)
        raw.issues.extend(issues)
        if frame is not None:
            raw.tables[table] = frame
    return raw
