"""The command line, run in process: exact exit codes, data on stdout, messages on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import fac, prod, sup, write_dataset

from graphtrace.cli import cli

XJ = {"country": "CN", "province": "Xinjiang"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def ds(tmp_path: Path) -> Path:
    return write_dataset(
        tmp_path / "ds",
        [
            fac("S", "gin", **XJ),
            fac("F", "farm", "US"),
            fac("U", "spinner", "IN"),
            fac("A", "garment_maker", "BD"),
            fac("B", "garment_maker", "BD"),
            fac("C", "garment_maker", "BD"),
        ],
        [sup("S", "A", 1), sup("F", "A", 3), sup("U", "B", 1), sup("F", "B", 3), sup("F", "C", 1)],
        [prod("PA", "A", "Tee"), prod("PB", "B", "Jeans"), prod("PC", "C", "Sock")],
    )


def test_every_command_has_help(runner: CliRunner) -> None:
    for name, command in cli.commands.items():
        assert command.help, name
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Exit codes" in result.output


def test_propagate_writes_csv_json_parquet(runner: CliRunner, ds: Path, tmp_path: Path) -> None:
    for suffix in ("csv", "json", "parquet"):
        out = tmp_path / f"risk.{suffix}"
        result = runner.invoke(cli, ["propagate", str(ds), "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert "3 products: 1 confirmed, 1 possible, 1 clear" in result.stderr
        frame = {"csv": pd.read_csv, "json": pd.read_json, "parquet": pd.read_parquet}[suffix](out)
        assert list(frame["sku"]) == ["PA", "PB", "PC"]
        assert list(frame["exposure"]) == ["confirmed", "possible", "clear"]
        assert frame["risk_share_min"].tolist() == [0.25, 0.0, 0.0]
        assert frame["risk_share_max"].tolist() == [0.25, 0.25, 0.0]


def test_propagate_stdout_formats(runner: CliRunner, ds: Path) -> None:
    result = runner.invoke(cli, ["propagate", str(ds), "--format", "json"])
    rows = json.loads(result.stdout)
    assert [r["sku"] for r in rows] == ["PA", "PB", "PC"]
    csv = runner.invoke(cli, ["propagate", str(ds), "--format", "csv"]).stdout
    assert csv.splitlines()[0] == (
        "sku,name,made_at,exposure,risk_share_min,risk_share_max,traced_share,estimated"
    )
    table = runner.invoke(cli, ["propagate", str(ds)]).stdout
    assert "confirmed" in table and "PA" in table


def test_fail_on(runner: CliRunner, ds: Path) -> None:
    assert runner.invoke(cli, ["propagate", str(ds), "--fail-on", "confirmed"]).exit_code == 3
    assert runner.invoke(cli, ["propagate", str(ds), "--fail-on", "possible"]).exit_code == 3
    clean = runner.invoke(
        cli, ["propagate", str(ds), "--fail-on", "confirmed", "--as-of", "2020-01-01"]
    )
    assert clean.exit_code == 3  # supplies are open-ended, so the date changes nothing here


def test_invalid_dataset_writes_nothing_and_shows_no_traceback(
    runner: CliRunner, ds: Path, tmp_path: Path
) -> None:
    with (ds / "supplies.csv").open("a", encoding="utf-8") as fh:
        fh.write("S,NOPE,cotton,-1,kg\n")
    out = tmp_path / "risk.csv"
    result = runner.invoke(cli, ["propagate", str(ds), "--output", str(out)])
    assert result.exit_code == 1
    assert not out.exists()
    assert "Traceback" not in result.output
    assert "NOPE" in result.stderr and "negative-number" in result.stderr
    assert "the dataset has 2 problems" in result.stderr
    v = runner.invoke(cli, ["validate", str(ds), "--format", "json"])
    assert v.exit_code == 1
    issues = json.loads(v.stdout)["issues"]
    assert {(i["row"], i["column"], i["code"]) for i in issues} == {
        (7, "volume", "negative-number"),
        (7, "buyer_id", "unknown-facility"),
    }


def test_validate_ok(runner: CliRunner, ds: Path) -> None:
    result = runner.invoke(cli, ["validate", str(ds)])
    assert result.exit_code == 0
    assert "valid: 0 errors" in result.stdout


def test_trace_and_unknown_sku(runner: CliRunner, ds: Path) -> None:
    result = runner.invoke(cli, ["trace", str(ds), "PA", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["exposure"] == "confirmed"
    assert data["evidence_paths"][0]["nodes"] == ["PA", "A", "S"]
    table = runner.invoke(cli, ["trace", str(ds), "PB"]).stdout
    assert "Gaps" in table and "U" in table
    dot = runner.invoke(cli, ["trace", str(ds), "PA", "--format", "dot"]).stdout
    assert dot.startswith("digraph") and "S -> A" in dot
    bad = runner.invoke(cli, ["trace", str(ds), "PAA"])
    assert bad.exit_code == 2
    assert "unknown SKU 'PAA'" in bad.stderr and "did you mean PA" in bad.stderr
    assert "Traceback" not in bad.output


def test_trace_draws_svg(runner: CliRunner, ds: Path, tmp_path: Path) -> None:
    svg = tmp_path / "tree.svg"
    result = runner.invoke(cli, ["trace", str(ds), "PA", "--draw", str(svg)])
    assert result.exit_code == 0, result.output
    assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))


def test_impact(runner: CliRunner, ds: Path) -> None:
    result = runner.invoke(cli, ["impact", str(ds), "F", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "sku,name,made_at,risk_share,exposure"
    assert lines[1:] == [
        "PC,Sock,C,1.0,clear",
        "PA,Tee,A,0.75,confirmed",
        "PB,Jeans,B,0.75,possible",
    ]
    missing = runner.invoke(cli, ["impact", str(ds), "NOPE"])
    assert missing.exit_code == 2 and "unknown facility" in missing.stderr


def test_missing_dataset_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["propagate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_bad_as_of(runner: CliRunner, ds: Path) -> None:
    result = runner.invoke(cli, ["propagate", str(ds), "--as-of", "31/12/2024"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
