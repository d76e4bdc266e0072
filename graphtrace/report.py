"""Render results for people and programs: tables, CSV, JSON, Parquet and Graphviz DOT.

Every renderer returns text (or writes a file) and sorts what it shows by a stable key, so the
same input always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from graphtrace.errors import InputError
from graphtrace.explain import Trace
from graphtrace.model import ValidationReport

OUTPUT_SUFFIXES = (".csv", ".json", ".parquet")

STATUS_COLOURS = {
    "source": "#e4572e",
    "untraced": "#f3a712",
    "closed-loop": "#f3a712",
    "origin": "#76b041",
    "traced": "#ffffff",
}
EXPOSURE_COLOURS = {"confirmed": "#e4572e", "possible": "#f3a712", "clear": "#76b041"}


def _console(width: int = 120) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, soft_wrap=False, markup=False)
    return console, buf


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if value == value else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def frame_to_text(frame: pd.DataFrame, fmt: str, title: str | None = None) -> str:
    """Render a result table as ``csv``, ``json`` (a list of records) or a ``table``."""
    if fmt == "csv":
        return str(frame.to_csv(index=False, lineterminator="\n"))
    if fmt == "json":
        return json.dumps(_records(frame), ensure_ascii=False, indent=2) + "\n"
    console, buf = _console()
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for c in frame.columns:
        table.add_column(str(c), justify="right" if frame[c].dtype.kind == "f" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_fmt(v) for v in row))
    console.print(table)
    return buf.getvalue()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        out.append(
            {str(k): (None if isinstance(v, float) and v != v else _py(v)) for k, v in rec.items()}
        )
    return out


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` to ``path`` as CSV, JSON or Parquet (by extension), atomically."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputError(
            f"cannot write {p.name!r}: the output file must end in .csv, .json or .parquet"
        )
    directory = p.parent if str(p.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {p}: folder {directory} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=directory)
    os.close(fd)
    try:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        elif suffix == ".json":
            Path(tmp).write_text(
                json.dumps(_records(frame), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def issues_to_text(report: ValidationReport, fmt: str, origin: str = "") -> str:
    """Render a validation report: a table (default), ``json`` or ``csv``."""
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    rows = pd.DataFrame(
        [i.to_dict() for i in report.issues],
        columns=["severity", "code", "file", "sheet", "row", "column", "value", "message"],
    )
    if fmt == "csv":
        return str(rows.to_csv(index=False, lineterminator="\n"))
    console, buf = _console(width=160)
    if report.issues:
        table = Table(box=box.SIMPLE_HEAD)
        for c in ("File", "Row", "Column", "Value", "Code", "Message"):
            table.add_column(c, overflow="fold")
        for i in report.issues:
            table.add_row(
                i.file + (f" [{i.sheet}]" if i.sheet else ""),
                "" if i.row is None else str(i.row),
                i.column or "",
                "" if i.value is None else i.value,
                i.code if i.severity == "error" else f"{i.code} (warning)",
                i.message,
            )
        console.print(table)
    counts = ", ".join(f"{k}: {v} rows" for k, v in report.stats.items())
    verdict = "valid" if report.valid else "INVALID"
    console.print(
        f"{origin}: {verdict}: {_count(len(report.errors), 'error')}, "
        f"{_count(len(report.warnings), 'warning')}" + (f" ({counts})" if counts else "")
    )
    return buf.getvalue()


def trace_to_text(trace: Trace, fmt: str) -> str:
    """Render a SKU trace as ``table`` (tiers, evidence paths, gaps), ``json`` or ``dot``."""
    if fmt == "json":
        return json.dumps(trace.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "dot":
        return trace_to_dot(trace)
    console, buf = _console(width=140)
    as_of = f" as of {trace.as_of}" if trace.as_of else ""
    console.print(
        f"{trace.sku} {trace.name}{as_of}: {trace.exposure.upper()}  risk share "
        f"{trace.risk_share_min:.4g}–{trace.risk_share_max:.4g}, traced "
        f"{trace.traced_share:.4g}"
        + (" (estimated: some volumes missing)" if trace.estimated else "")
    )
    links_by_supplier: dict[tuple[str, str], float] = {}
    for lk in trace.links:
        key = (lk.supplier, lk.buyer)
        links_by_supplier[key] = links_by_supplier.get(key, 0.0) + lk.share
    feeds: dict[str, list[str]] = {}
    for (sup, buy), share in sorted(links_by_supplier.items()):
        feeds.setdefault(sup, []).append(f"{buy} {share:.3g}")
    table = Table(title="Supplier tree", box=box.SIMPLE_HEAD)
    for c in ("Tier", "Id", "Name", "Role", "Country", "Status", "Min", "Max", "Via SKU", "Feeds"):
        table.add_column(c, overflow="fold")
    for n in trace.nodes:
        status = n.status + ("*" if n.estimated else "")
        table.add_row(
            str(n.tier),
            n.id,
            n.name,
            n.role,
            n.country,
            status,
            f"{n.risk_share_min:.4g}",
            f"{n.risk_share_max:.4g}",
            f"{n.share_of_sku:.4g}",
            "; ".join(feeds.get(n.id, [])),
        )
    console.print(table)
    if trace.total_nodes > len(trace.nodes):
        console.print(
            f"Showing the {len(trace.nodes)} of {trace.total_nodes} upstream nodes that carry the "
            "largest shares of the SKU (--max-nodes 0 shows all)."
        )
    sources = [n for n in trace.nodes if n.reasons]
    if sources:
        console.print("Why these are risk sources:")
        for n in sources:
            for r in n.reasons:
                console.print(f"  {n.id}: {r}")
    if trace.paths:
        console.print(
            f"Top evidence paths (explain {trace.explained_share:.4g} of the "
            f"{trace.risk_share_min:.4g} confirmed share):"
        )
        for i, p in enumerate(trace.paths, 1):
            hops = " ← ".join(p.nodes)
            refs = ", ".join(lk.reference or lk.source for lk in p.links)
            console.print(f"  {i}. {p.share:.4g}  {hops}" + (f"  [{refs}]" if refs else ""))
        rest = trace.risk_share_min - trace.explained_share
        if rest > 1e-9:
            console.print(
                f"  The other {rest:.4g} reaches the SKU through loops (material circulating "
                "between traders) or through smaller paths."
            )
    if trace.gaps:
        console.print("Gaps (untraced inputs; share of the SKU they leave unknown):")
        for g in trace.gaps:
            console.print(
                f"  {g.id} {g.name} ({g.role}, {g.status}): {g.share_unknown:.4g}  [{g.source}]"
            )
    else:
        console.print("Gaps: none; every input is traced to an origin or a source.")
    return buf.getvalue()


def trace_to_dot(trace: Trace) -> str:
    """A Graphviz DOT picture of the SKU's supplier tree, coloured by status, edges by share."""
    import graphviz

    dot = graphviz.Digraph(
        name=f"trace_{trace.sku}",
        graph_attr={"rankdir": "LR", "label": f"{trace.sku}: {trace.exposure}", "fontsize": "12"},
        node_attr={"shape": "box", "style": "filled,rounded", "fontname": "Helvetica"},
    )
    for n in sorted(trace.nodes, key=lambda n: (n.tier, n.id)):
        bounds = f"[{n.risk_share_min:.3g}, {n.risk_share_max:.3g}]"
        label = f"{n.id}\\n{n.name}\\n{n.role} {n.country}\\n{bounds}"
        colour = (
            EXPOSURE_COLOURS.get(trace.exposure, "#ffffff")
            if n.kind == "product" and n.tier == 0
            else STATUS_COLOURS.get(n.status, "#ffffff")
        )
        dot.node(n.id, label=label, fillcolor=colour)
    evidence = {(lk.supplier, lk.buyer) for p in trace.paths for lk in p.links}
    for lk in trace.links:
        on_path = (lk.supplier, lk.buyer) in evidence
        dot.edge(
            lk.supplier,
            lk.buyer,
            label=f"{lk.share:.3g}",
            penwidth="2.5" if on_path else "1",
            color="#e4572e" if on_path else "#555555",
        )
    return str(dot.source)


def render_dot(source: str, path: str | Path) -> None:
    """Render DOT text to an image file (.svg, .png or .pdf) with the Graphviz ``dot`` program."""
    import graphviz

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png", "pdf"):
        raise InputError(f"cannot draw {p.name!r}: the picture must end in .svg, .png or .pdf")
    try:
        data = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        raise InputError(
            "drawing needs the Graphviz 'dot' program: install it (Debian: apt-get install "
            "graphviz) or use --format dot and render elsewhere"
        ) from e
    p.write_bytes(data)
