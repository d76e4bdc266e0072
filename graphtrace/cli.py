"""The ``graphtrace`` command line: a thin click layer over the library.

Data goes to stdout, progress and messages to stderr. Exit codes: 0 success; 1 the dataset is
invalid; 2 usage error or a problem that stops the command (unknown SKU, unreadable file, store
unreachable, ...); 3 ``--fail-on`` reached.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
import pandas as pd

from graphtrace import __version__
from graphtrace.errors import GraphtraceError, ValidationFailed
from graphtrace.model import EntityEntry

EXIT_INVALID, EXIT_ERROR, EXIT_FAIL_ON = 1, 2, 3

EPILOG = (
    "Exit codes: 0 success; 1 the dataset is invalid; 2 usage error or the command could not "
    "run; 3 --fail-on reached."
)
STORE_HELP = (
    "STORE is a dataset folder (or .xlsx workbook), or a Neo4j URI (neo4j://, neo4j+s://, "
    "bolt://, bolt+s://) with credentials from NEO4J_USERNAME / NEO4J_PASSWORD."
)


class _Group(click.Group):
    """Turns library errors into one-line messages and exit codes; --debug shows tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraphtraceError as e:
            if _debug(ctx):
                raise
            if isinstance(e, ValidationFailed):
                from graphtrace.report import issues_to_text

                click.echo(issues_to_text(e.report, "table"), err=True, nl=False)
            click.secho(f"Error: {e}", err=True, fg="red")
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as e:  # a bug: say so plainly, traceback only with --debug
            if _debug(ctx):
                raise
            click.secho(
                f"Internal error: {type(e).__name__}: {e}. Re-run with --debug for the traceback "
                "and report it.",
                err=True,
                fg="red",
            )
            ctx.exit(EXIT_ERROR)


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug"))


class _Steps:
    """A progress bar on stderr over a command's named steps (shown only on a terminal)."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.progress.disable = not self.progress.console.is_terminal
        self.task = self.progress.add_task("starting", total=total)

    def __enter__(self) -> _Steps:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        t0 = time.perf_counter()
        self.progress.update(self.task, description=label + "…")
        yield
        self.progress.advance(self.task)
        if self.progress.console.is_terminal:
            self.progress.console.print(f"{label}: {time.perf_counter() - t0:.2f} s", style="dim")


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(date.fromisoformat(value))
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date: write YYYY-MM-DD") from e


def _entities(paths: Sequence[str]) -> list[EntityEntry]:
    from graphtrace.screen import read_entity_list

    out: list[EntityEntry] = []
    for p in paths:
        out.extend(read_entity_list(p))
    return out


def store_options(f: Any) -> Any:
    """Options every command that opens a store takes."""
    f = click.option(
        "--database",
        envvar="NEO4J_DATABASE",
        help="Neo4j database name (default: the server's default database).",
    )(f)
    f = click.option(
        "--password",
        envvar="NEO4J_PASSWORD",
        help="Neo4j password [env NEO4J_PASSWORD]; never printed.",
    )(f)
    f = click.option(
        "--username", envvar="NEO4J_USERNAME", help="Neo4j user [env NEO4J_USERNAME]."
    )(f)
    return f


def risk_options(f: Any) -> Any:
    """--as-of and --entity-list."""
    f = click.option(
        "--entity-list",
        "entity_lists",
        multiple=True,
        type=click.Path(dir_okay=False),
        envvar="GRAPHTRACE_ENTITY_LISTS",
        help="Entity list CSV (name, aliases, effective_date, list); repeatable "
        "[env GRAPHTRACE_ENTITY_LISTS, space-separated].",
    )(f)
    f = click.option(
        "--as-of",
        callback=_as_of,
        metavar="DATE",
        help="Count only supplies valid on DATE and entity-list entries effective by it.",
    )(f)
    return f


def _open(store: str, username: str | None, password: str | None, database: str | None) -> Any:
    from graphtrace.stores import open_store

    return open_store(store, username=username, password=password, database=database)


@click.group(cls=_Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="graphtrace")
@click.option(
    "--debug",
    is_flag=True,
    envvar="GRAPHTRACE_DEBUG",
    help="Show Python tracebacks on errors [env GRAPHTRACE_DEBUG].",
)
def cli(debug: bool) -> None:
    """Trace Xinjiang-origin (UFLPA) risk through supplier tiers to finished goods.

    Load bills of materials and supplier links, find risk sources (Xinjiang locations,
    entity-list matches, audit flags) and propagate the share of every product's material
    that passed through them, with the evidence.
    """


@cli.command(epilog=EPILOG)
@click.argument("dataset")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="How to print the problems.",
)
@click.option(
    "--entity-list",
    "entity_lists",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Also check these entity list files.",
)
def validate(dataset: str, fmt: str, entity_lists: tuple[str, ...]) -> None:
    """Check DATASET (a folder or .xlsx workbook) and list every problem at once.

    Each problem names the file, the row as a spreadsheet shows it (header = row 1), the column,
    the value and what to do. Exit code 1 when there is any error (warnings alone pass).
    """
    from graphtrace.model import ValidationReport
    from graphtrace.report import issues_to_text
    from graphtrace.validate import validate as run

    report, _ = run(dataset)
    for path in entity_lists:
        try:
            _entities([path])
        except ValidationFailed as e:
            report.issues.extend(e.report.issues)
    if not isinstance(report, ValidationReport):  # pragma: no cover - defensive
        raise TypeError(report)
    click.echo(issues_to_text(report, fmt, origin=dataset), nl=False)
    if not report.valid:
        sys.exit(EXIT_INVALID)


@cli.command(epilog=EPILOG + " " + STORE_HELP)
@click.argument("store")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write the results to FILE (.csv, .json or .parquet); without it they go to stdout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Format on stdout when there is no --output.",
)
@risk_options
@click.option(
    "--fail-on",
    type=click.Choice(["confirmed", "possible"]),
    help="Exit 3 when any product is confirmed (or at least possible).",
)
@click.option(
    "--write-back",
    is_flag=True,
    help="Neo4j stores: also store the results as node properties (risk_share_min, ...).",
)
@store_options
def propagate(
    store: str,
    output: str | None,
    fmt: str,
    as_of: pd.Timestamp | None,
    entity_lists: tuple[str, ...],
    fail_on: str | None,
    write_back: bool,
    username: str | None,
    password: str | None,
    database: str | None,
) -> None:
    """Compute every product's risk bounds and exposure.

    One row per product: sku, name, made_at, exposure (confirmed / possible / clear),
    risk_share_min, risk_share_max, traced_share, estimated. Nothing is written when the input
    is invalid.
    """
    from graphtrace.propagate import propagate_risk
    from graphtrace.report import frame_to_text, write_frame

    entities = _entities(entity_lists)
    with _Steps(3 + write_back) as steps, _open(store, username, password, database) as st:
        with steps.step("reading " + st.location):
            dataset = st.dataset()
        with steps.step("propagating"):
            result = propagate_risk(dataset, entities, as_of)
            table = result.products()
        if write_back:
            with steps.step("writing results back"):
                n = st.write_results(result)
        with steps.step("writing the table"):
            if output:
                write_frame(table, output)
    if write_back:
        click.echo(f"wrote results to {n} nodes", err=True)
    if output:
        click.echo(f"wrote {len(table)} products to {output}", err=True)
    else:
        click.echo(frame_to_text(table, fmt), nl=False)
    counts = table["exposure"].value_counts()
    click.echo(
        f"{len(table)} products: "
        + ", ".join(f"{int(counts.get(k, 0))} {k}" for k in ("confirmed", "possible", "clear")),
        err=True,
    )
    if fail_on:
        hit = counts.get("confirmed", 0) + (
            counts.get("possible", 0) if fail_on == "possible" else 0
        )
        if hit:
            click.echo(f"--fail-on {fail_on}: {int(hit)} products reach it", err=True)
            sys.exit(EXIT_FAIL_ON)


@cli.command(epilog=EPILOG + " " + STORE_HELP)
@click.argument("store")
@click.argument("sku")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "dot"]),
    default="table",
    show_default=True,
    help="table for people, json for programs, dot for Graphviz.",
)
@click.option("--top", default=10, show_default=True, help="How many evidence paths to show.")
@click.option(
    "--max-nodes",
    default=200,
    show_default=True,
    help="Show at most this many tree nodes, those with the largest shares (0 = all).",
)
@click.option(
    "--draw",
    type=click.Path(dir_okay=False),
    help="Also draw the supplier tree to FILE (.svg, .png or .pdf; needs Graphviz).",
)
@risk_options
@store_options
def trace(
    store: str,
    sku: str,
    fmt: str,
    top: int,
    max_nodes: int,
    draw: str | None,
    as_of: pd.Timestamp | None,
    entity_lists: tuple[str, ...],
    username: str | None,
    password: str | None,
    database: str | None,
) -> None:
    """Show SKU's supplier tree tier by tier, its evidence paths and its gaps.

    For each node: tier, role, country, status (source / traced / untraced / origin /
    closed-loop), its bounds, the share of the SKU that passes through it and what it feeds;
    why each source is one; the top evidence paths with the share each explains; and the
    untraced facilities with the share of the SKU they leave unknown.
    """
    from graphtrace.explain import trace_sku
    from graphtrace.propagate import propagate_risk
    from graphtrace.report import render_dot, trace_to_dot, trace_to_text

    entities = _entities(entity_lists)
    with _open(store, username, password, database) as st:
        dataset = st.upstream(sku)
    result = propagate_risk(dataset, entities, as_of)
    t = trace_sku(result, sku, top=top, max_nodes=max_nodes)
    click.echo(trace_to_text(t, fmt), nl=False)
    if draw:
        render_dot(trace_to_dot(t), draw)
        click.echo(f"drew the tree to {draw}", err=True)


@cli.command(epilog=EPILOG + " " + STORE_HELP)
@click.argument("store")
@click.argument("facility_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@risk_options
@store_options
def impact(
    store: str,
    facility_id: str,
    fmt: str,
    as_of: pd.Timestamp | None,
    entity_lists: tuple[str, ...],
    username: str | None,
    password: str | None,
    database: str | None,
) -> None:
    """List every product FACILITY_ID feeds, largest share first.

    risk_share is the share of the product's material that passed through the facility (the
    product's lower bound with that facility as the only risk source).
    """
    from graphtrace.explain import impact as run
    from graphtrace.propagate import propagate_risk
    from graphtrace.report import frame_to_text

    entities = _entities(entity_lists)
    with _open(store, username, password, database) as st:
        dataset = st.downstream(facility_id)
    result = propagate_risk(dataset, entities, as_of)
    table = run(result, facility_id)
    click.echo(frame_to_text(table, fmt, title=f"Products fed by {facility_id}"), nl=False)
    click.echo(f"{len(table)} products fed by {facility_id}", err=True)


@cli.command(epilog=EPILOG)
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--links", type=click.IntRange(min=1), required=True, help="About how many supplies.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option(
    "--xinjiang-share",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="Share of origins located in Xinjiang.",
)
@click.option(
    "--back-edges",
    type=click.FloatRange(0, 1),
    default=0.001,
    show_default=True,
    help="Share of links that loop back upstream (cycles).",
)
def generate(out_dir: str, links: int, seed: int, xinjiang_share: float, back_edges: float) -> None:
    """Write a synthetic but realistic dataset to OUT_DIR (for trying graphtrace at scale).

    Tiers from farms to garment makers, skewed supplier popularity, tier skips, trader loops,
    untraced facilities, sub-assemblies, mixed mass units and string ids.
    """
    from rich.console import Console
    from rich.progress import Progress

    from graphtrace.generate import generate as run

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        # about 2.6 rows are written per link (supplies, facilities, products, BOM rows)
        task = bar.add_task(f"generating {links:,} links", total=int(links * 2.6) + 100)
        counts = run(
            out_dir,
            links,
            seed,
            xinjiang_share=xinjiang_share,
            back_edges=back_edges,
            progress=lambda rows: bar.update(task, completed=rows),
        )
    click.echo(f"wrote {out_dir}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), err=True)


@cli.command(epilog=EPILOG)
@click.argument("dataset")
@click.argument("uri")
@click.option(
    "--replace",
    is_flag=True,
    help="Delete the graphtrace data already in the database first (one transaction).",
)
@click.option("--batch-size", default=10_000, show_default=True, help="Rows per UNWIND batch.")
@store_options
def load(
    dataset: str,
    uri: str,
    replace: bool,
    batch_size: int,
    username: str | None,
    password: str | None,
    database: str | None,
) -> None:
    """Validate DATASET and load it into the Neo4j database at URI.

    Nothing touches the database when the dataset is invalid. Re-loading the same dataset
    leaves the same graph.
    """
    from graphtrace.errors import InputError
    from graphtrace.stores import is_uri
    from graphtrace.stores.neo4j_ import Neo4jStore
    from graphtrace.validate import load_dataset

    if not is_uri(uri):
        raise InputError(f"{uri!r} is not a Neo4j URI: write e.g. neo4j://localhost:7687")
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    ds = load_dataset(dataset)
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
    )
    with (
        Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar,
        Neo4jStore(uri, username=username, password=password, database=database) as st,
    ):
        tasks: dict[str, Any] = {}

        def show(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(f"loading {table}", total=total or None)
            bar.update(tasks[table], completed=done)

        stats = st.load(ds, replace=replace, batch_size=batch_size, progress=show)
    click.echo(
        "loaded " + ", ".join(f"{k} {v:,}" for k, v in stats.items()) + f" into {uri}", err=True
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="graphtrace")


if __name__ == "__main__":  # pragma: no cover
    main()
