"""The Neo4j store: a dataset loaded into a Neo4j 5 database, read back in bulk.

``load`` writes the validated frames as a property graph (model in docs/neo4j.md) in batched
``UNWIND`` transactions, MERGEd on constrained keys so that re-loading gives the same graph.
``dataset`` reads every table back in bulk (one query per table and 250k rows, each returning
its rows as one list) into exactly the frames ``validate`` produces, so the in-process solver
gives the same numbers as the embedded store. ``upstream`` and ``downstream`` walk distinct
nodes tier by tier (one query per tier) and read only what the question needs.

Crash semantics: a load first marks the meta node ``:GraphtraceDataset {key: 'current'}`` as
``status: 'loading'`` with the new dataset's fingerprint, and sets ``'complete'`` at the end.
Reads refuse an unfinished load; re-running the same load completes it (every write is an
idempotent MERGE). A different dataset is refused unless ``replace=True``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from graphtrace import __version__
from graphtrace.errors import InputError, StoreError
from graphtrace.model import ROW, TABLES, Dataset
from graphtrace.stores import cypher
from graphtrace.stores.base import Store
from graphtrace.stores.cypher import DATA_LABELS, META_KEY, Label, Rel

#: Version of the graph model written into the meta node.
MODEL_VERSION = 1
LOADING, COMPLETE = "loading", "complete"
#: Node properties that write-back sets; user columns with these names are stored as ``x_<name>``.
RESULT_PROPS = ("risk_share_min", "risk_share_max", "exposure", "status", "estimated", "risk_as_of")
#: Columns whose values are numbers or dates; all other columns are text.
FLOAT_COLUMNS = frozenset({"latitude", "longitude", "volume_kg", "quantity", "mass_kg"})
DATE_COLUMNS = {"supplies": ("valid_from", "valid_to")}
#: Columns held by the graph's structure rather than a property: table -> {column: field}.
STRUCTURAL = {
    "facilities": {"facility_id": "key"},
    "products": {"sku": "key", "made_at": "made_at"},
    "supplies": {"supplier_id": "src", "buyer_id": "dst"},
    "bom": {"sku": "dst"},
    "flags": {},
}
#: Property names a user column may not take, per table.
RESERVED = {
    "facilities": {"id", ROW, *RESULT_PROPS},
    "products": {"sku", ROW, *RESULT_PROPS},
    "supplies": {ROW},
    "bom": {ROW},
    "flags": {ROW},
}
DELETE_BATCH = 10_000
#: Rows per read query (one record each); ids per restricted read.
READ_CHUNK = 250_000
Progress = Callable[[str, int, int], None]


def fingerprint(dataset: Dataset) -> str:
    """A content hash of the dataset's tables (values, columns, order and file names)."""
    h = hashlib.sha256()
    for table in TABLES:
        frame: pd.DataFrame = getattr(dataset, table)
        head = [table, dataset.file_of(table), [str(c) for c in frame.columns], len(frame)]
        h.update(json.dumps(head).encode())
        if len(frame):
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def property_names(dataset: Dataset) -> dict[str, list[list[str]]]:
    """Column -> property name of every table, in column order (structural columns map to "")."""
    out: dict[str, list[list[str]]] = {}
    for table in TABLES:
        frame: pd.DataFrame = getattr(dataset, table)
        used: set[str] = set(RESERVED[table])
        pairs = []
        for col in (str(c) for c in frame.columns):
            if col in STRUCTURAL[table] or col in DATE_COLUMNS.get(table, ()):
                prop = col if col in DATE_COLUMNS.get(table, ()) else ""
            elif col == ROW:
                prop = ROW
            else:
                prop = col
                while prop in used:
                    prop = "x_" + prop
                used.add(prop)
            pairs.append([col, prop])
        out[table] = pairs
    return out


class Neo4jStore(Store):
    """A graphtrace dataset in a Neo4j 5 database (``neo4j://``, ``neo4j+s://``, ``bolt://``, ...).

    Pass ``driver`` to use a ready ``neo4j.Driver`` (tests pass fakes); otherwise one is created
    from ``uri`` and the credentials (no password: authentication off).
    """

    def __init__(
        self,
        uri: str,
        *,
        username: str | None = None,
        password: str | None = None,
        database: str | None = None,
        driver: Any = None,
    ) -> None:
        self.uri = uri
        self.location = uri if not database else f"{uri} (database {database})"
        self.username = username or "neo4j"
        self.database = database or None
        self._has_password = bool(password)
        self._secret = password or ""
        self._checked = False
        if driver is None:
            import neo4j

            auth = (self.username, password) if password else None
            try:
                driver = neo4j.GraphDatabase.driver(
                    uri,
                    auth=auth,
                    connection_timeout=10.0,
                    max_transaction_retry_time=10.0,
                    notifications_min_severity="OFF",
                )
            except (ValueError, neo4j.exceptions.ConfigurationError) as e:
                raise StoreError(
                    f"cannot use {uri!r} as a Neo4j URI ({self._clean(e)}): write e.g. "
                    "neo4j://localhost:7687 or bolt+s://host:7687"
                ) from None
        self._driver = driver

    def __repr__(self) -> str:
        return f"Neo4jStore({self.uri!r}, username={self.username!r}, database={self.database!r})"

    def close(self) -> None:
        self._driver.close()

    # --- running queries ---------------------------------------------------------------------

    def _clean(self, error: BaseException | str) -> str:
        """An error's text on one line, with the password (should a driver echo it) masked."""
        text = " ".join(str(getattr(error, "message", None) or error).split())
        return text.replace(self._secret, "***") if self._secret else text

    def _load_hint(self, origin: str = "DATASET") -> str:
        db = f" --database {self.database}" if self.database else ""
        return f"`graphtrace load {origin or 'DATASET'} {self.uri}{db}`"

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn driver errors into one-line StoreErrors that say what to do."""
        import neo4j.exceptions as ne

        where = f"Neo4j at {self.uri}"
        try:
            yield
        except ne.AuthError:
            how = (
                f"check the password of user {self.username!r} (--username/--password or "
                "NEO4J_USERNAME/NEO4J_PASSWORD)"
                if self._has_password
                else "set NEO4J_USERNAME and NEO4J_PASSWORD (or --username/--password)"
            )
            raise StoreError(f"{where} rejected the credentials while {doing}: {how}") from None
        except (ne.ServiceUnavailable, ne.SessionExpired) as e:
            raise StoreError(
                f"cannot reach {where} while {doing} ({self._clean(e)}): check that the server "
                "is running and the host and port are right (with Docker: `docker compose -f "
                "docker/docker-compose.yml up -d`)"
            ) from None
        except ne.Neo4jError as e:
            code = e.code or ""
            if code.endswith("DatabaseNotFound"):
                raise StoreError(
                    f"database {self.database!r} does not exist on {where}: check --database / "
                    "NEO4J_DATABASE (Neo4j Community has one database, 'neo4j')"
                ) from None
            raise StoreError(
                f"{where} failed while {doing}: {code or type(e).__name__}: {self._clean(e)}: "
                "fix the cause and try again (--debug shows the traceback)"
            ) from e
        except ValueError as e:  # the driver's word for an address it cannot resolve
            raise StoreError(
                f"cannot connect to {where} ({self._clean(e)}): check the host and port, e.g. "
                "neo4j://localhost:7687"
            ) from None
        except ne.DriverError as e:
            raise StoreError(
                f"the Neo4j driver failed while {doing}: {type(e).__name__}: {self._clean(e)}: "
                "check the URI and that the server is a Neo4j 5 (--debug shows the traceback)"
            ) from e

    def _run(self, query: str, doing: str, write: bool = False, **params: Any) -> list[Any]:
        """Run one query in a managed transaction; return its records."""
        from neo4j import RoutingControl

        with self._errors(doing):
            records, _, _ = self._driver.execute_query(
                query,
                params,
                database_=self.database,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ,
            )
        return list(records)

    def _values(self, query: str, doing: str, **params: Any) -> list[list[Any]]:
        """Run a read query; return its rows as lists of values."""
        import neo4j

        def work(tx: Any) -> list[list[Any]]:
            return [list(r.values()) for r in tx.run(query, params)]

        with self._errors(doing), self._driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            return list(session.execute_read(work))

    def _table(self, query: str, doing: str, rows: int | None = None,
               ids: list[str] | None = None, **params: Any) -> list[list[Any]]:
        """Read a table with a ``collect(...) AS rows`` query: the whole table (``rows`` long) in
        slices, or the part of it that belongs to ``ids``, in chunks."""
        out: list[list[Any]] = []
        calls: list[dict[str, Any]]
        if ids is None:
            parts = max(1, -(-(rows or 0) // READ_CHUNK))
            calls = [{"parts": parts, "part": i} for i in range(parts)]
        else:
            calls = [{"ids": ids[i : i + READ_CHUNK]} for i in range(0, len(ids), READ_CHUNK)]
        for extra in calls:
            for (chunk,) in self._values(query, doing, **params, **extra):
                out.extend(chunk)
        return out

    def check_server(self) -> str:
        """Check that the server answers and is Neo4j 5 or newer; return its version."""
        if self._checked:
            return ""
        with self._errors("connecting"):
            self._driver.verify_connectivity()
        rows = self._run(cypher.SERVER_COMPONENTS, "connecting")
        version = ""
        for r in rows:
            if str(r["name"]).startswith("Neo4j"):
                version = str((r["versions"] or [""])[0])
        try:
            major = int(version.split(".")[0])
        except ValueError:
            major = 0
        if major < 5:
            raise StoreError(
                f"Neo4j at {self.uri} is version {version or 'unknown'}: graphtrace needs Neo4j 5 "
                "or newer (uniqueness constraints, CALL subqueries): upgrade the server, e.g. "
                "`docker compose -f docker/docker-compose.yml up -d` runs 5.26"
            )
        self._checked = True
        return version

    # --- the meta node -----------------------------------------------------------------------

    def meta(self) -> dict[str, Any] | None:
        """The properties of the dataset's meta node, or None when nothing was ever loaded."""
        self.check_server()
        rows = self._run(cypher.READ_META, "reading the dataset description", key=META_KEY)
        return dict(rows[0]["meta"]) if rows else None

    def _complete_meta(self) -> dict[str, Any]:
        meta = self.meta()
        if meta is None:
            db = self.database or "the default database"
            raise StoreError(
                f"{db} at {self.uri} holds no graphtrace dataset: load one with "
                f"{self._load_hint()}"
            )
        if meta.get("status") != COMPLETE:
            raise StoreError(
                f"a load did not finish in {self.location} (dataset {meta.get('origin', '?')}, "
                f"started {meta.get('started_at', '?')}): re-run "
                f"{self._load_hint(str(meta.get('origin') or 'DATASET'))} to complete it"
            )
        return meta

    # --- loading -----------------------------------------------------------------------------

    def load(
        self,
        dataset: Dataset,
        replace: bool = False,
        batch_size: int = 10_000,
        progress: Progress | None = None,
    ) -> dict[str, int]:
        """Write ``dataset`` into the database; return the number of rows loaded per table.

        Re-loading the same dataset (or re-running a load that stopped part-way) gives the same
        graph. A database that holds another dataset is only overwritten with ``replace=True``.
        """
        if batch_size < 1:
            raise InputError(f"--batch-size must be at least 1, got {batch_size}")
        self.check_server()
        fp = fingerprint(dataset)
        for q in cypher.SCHEMA:
            self._run(q, "creating constraints and indexes", write=True)
        self._run(cypher.AWAIT_INDEXES, "waiting for indexes", write=True, seconds=300)

        meta = self.meta()
        if meta is None:
            pending = self._has_data()
            if pending and not replace:
                raise StoreError(
                    f"{self.location} already holds Facility or Product nodes that graphtrace did "
                    "not load: pass --replace to delete them and load the dataset, or use another "
                    "database (--database)"
                )
        else:
            same = meta.get("fingerprint") == fp
            old = str(meta.get("origin") or "another dataset")
            if not same and not replace:
                if meta.get("status") == COMPLETE:
                    raise StoreError(
                        f"{self.location} already holds another dataset ({old}, loaded "
                        f"{meta.get('completed_at', '?')}): pass --replace to swap it for "
                        f"{dataset.origin or 'this one'} (this deletes the graphtrace data in the "
                        "database)"
                    )
                raise StoreError(
                    f"a load of another dataset ({old}) did not finish in {self.location}: "
                    f"re-run {self._load_hint(old)} to complete it, or pass --replace to load "
                    f"{dataset.origin or 'this one'} instead"
                )
            pending = replace or bool(meta.get("replace_pending"))

        counts = {t: len(getattr(dataset, t)) for t in TABLES}
        names = property_names(dataset)
        props: dict[str, Any] = {
            "status": LOADING,
            "fingerprint": fp,
            "origin": dataset.origin,
            "graphtrace_version": __version__,
            "model_version": MODEL_VERSION,
            "columns": json.dumps(names),
            "replace_pending": pending,
        }
        for t in TABLES:
            props[f"file_{t}"] = dataset.file_of(t)
            props[f"rows_{t}"] = counts[t]
        self._run(cypher.BEGIN_LOAD, "marking the load as started", True, key=META_KEY, props=props)
        if pending:
            self._delete_data(progress)
            self._run(
                cypher.SET_META, "marking the old data as deleted", True,
                key=META_KEY, props={"replace_pending": False},
            )
        for query, table, rows in _load_plan(dataset, names):
            self._write_batches(query, table, rows, batch_size, progress)
        self._verify(counts)
        self._run(cypher.FINISH_LOAD, "marking the load as complete", True, key=META_KEY,
                  status=COMPLETE)
        return counts

    def _has_data(self) -> bool:
        rows = self._run(cypher.ANY_DATA, "looking for existing data")
        return bool(rows and rows[0]["found"])

    def _write_batches(
        self,
        query: str,
        table: str,
        rows: list[dict[str, Any]],
        batch_size: int,
        progress: Progress | None,
    ) -> None:
        total = len(rows)
        for start in range(0, total, batch_size):
            batch = rows[start : start + batch_size]
            self._run(query, f"loading {table} (rows {start + 1}-{start + len(batch)})", True,
                      rows=batch)
            if progress is not None:
                progress(table, start + len(batch), total)

    def _delete_data(self, progress: Progress | None) -> None:
        """Delete graphtrace's nodes and relationships in batches (not the meta node)."""
        deleted = 0
        targets = ((Rel.SUPPLIES, Label.FACILITY), (Rel.MADE_AT, Label.FACILITY),
                   (Rel.COMPONENT_OF, Label.PRODUCT), (Rel.FLAGS, Label.FACILITY))
        steps: list[str] = [
            cypher.render(cypher.DELETE_RELS_BATCH, rel=rel, label=label) for rel, label in targets
        ]
        steps += [cypher.render(cypher.DELETE_NODES_BATCH, label=label) for label in DATA_LABELS]
        for query in steps:
            while True:
                rows = self._run(query, "deleting the previous dataset", True, limit=DELETE_BATCH)
                n = int(rows[0]["n"]) if rows else 0
                deleted += n
                if progress is not None:
                    progress("delete", deleted, 0)
                if n < DELETE_BATCH:
                    break

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type that graphtrace writes."""
        out: dict[str, int] = {}
        for label in Label:
            rows = self._run(cypher.render(cypher.COUNT_NODES, label=label), "counting nodes")
            out[label.value] = int(rows[0]["n"])
        for rel in Rel:
            rows = self._run(cypher.render(cypher.COUNT_RELS, rel=rel), "counting relationships")
            out[rel.value] = int(rows[0]["n"])
        return out

    def _verify(self, counts: dict[str, int]) -> None:
        have = self.counts()
        want = {
            Label.FACILITY.value: counts["facilities"],
            Label.PRODUCT.value: counts["products"],
            Label.FLAG.value: counts["flags"],
            Rel.SUPPLIES.value: counts["supplies"],
            Rel.COMPONENT_OF.value: counts["bom"],
            Rel.MADE_AT.value: counts["products"],
            Rel.FLAGS.value: counts["flags"],
        }
        wrong = [f"{k}: {have.get(k, 0):,} in the database, {v:,} in the dataset"
                 for k, v in want.items() if have.get(k, 0) != v]
        if wrong:
            raise StoreError(
                f"after loading, {self.location} does not match the dataset ({'; '.join(wrong)}): "
                "it holds other data with graphtrace's labels; load with --replace"
            )

    # --- reading -----------------------------------------------------------------------------

    def dataset(self) -> Dataset:
        return self._read(self._complete_meta(), None, None)

    def upstream(self, sku: str) -> Dataset:
        meta = self._complete_meta()
        fids, skus = self._walk(set(), {sku}, cypher.UPSTREAM_TIER, "tracing upstream")
        ds = self._read(meta, fids, skus)
        if sku not in set(ds.products["sku"].tolist()):  # unknown: let trace say "did you mean"
            ds.products = self._read(meta, set(), None).products
        return ds

    def downstream(self, facility_id: str) -> Dataset:
        meta = self._complete_meta()
        fed_f, fed_p = self._walk({facility_id}, set(), cypher.DOWNSTREAM_TIER, "tracing impact")
        # Every input of every node fed, recursively: their bounds (exposure) need it all.
        fids, skus = self._walk(fed_f, fed_p, cypher.UPSTREAM_TIER, "tracing impact")
        ds = self._read(meta, fids, skus)
        if facility_id not in set(ds.facilities["facility_id"].tolist()):
            ds.facilities = self._read(meta, None, set()).facilities
        return ds

    def _walk(
        self, fids: set[str], skus: set[str], query: str, doing: str
    ) -> tuple[set[str], set[str]]:
        """Distinct nodes reachable from the seeds (included), one query per tier."""
        seen_f, seen_p = set(fids), set(skus)
        frontier_f, frontier_p = sorted(fids), sorted(skus)
        while frontier_f or frontier_p:
            rows = self._run(query, doing, fids=frontier_f, skus=frontier_p)
            frontier_f, frontier_p = [], []
            for r in rows:
                key = r["key"]
                if key is None:
                    continue
                seen, frontier = (seen_f, frontier_f) if r["facility"] else (seen_p, frontier_p)
                if key not in seen:
                    seen.add(key)
                    frontier.append(key)
        return seen_f, seen_p

    def _read(self, meta: dict[str, Any], fids: set[str] | None, skus: set[str] | None) -> Dataset:
        """Read the tables: everything (None), or the rows of the given facilities and products
        with every relationship into them."""
        names: dict[str, list[list[str]]] = json.loads(str(meta["columns"]))
        frames: dict[str, pd.DataFrame] = {}
        specs = {
            "facilities": (cypher.READ_FACILITIES, cypher.READ_FACILITIES_IN, fids, ["key"]),
            "products": (cypher.READ_PRODUCTS, cypher.READ_PRODUCTS_IN, skus, ["key", "made_at"]),
            "supplies": (cypher.READ_SUPPLIES, cypher.READ_SUPPLIES_INTO, fids, ["src", "dst"]),
            "bom": (cypher.READ_BOM, cypher.READ_BOM_INTO, skus, ["dst"]),
            "flags": (cypher.READ_FLAGS, cypher.READ_FLAGS_OF, fids, []),
        }
        for table, (whole, some, ids, fields) in specs.items():
            pairs = names[table]
            props = [p for c, p in pairs if p and c not in DATE_COLUMNS.get(table, ())]
            dates = list(DATE_COLUMNS.get(table, ())) if table == "supplies" else []
            if ids is None:
                size = int(meta.get(f"rows_{table}") or 0)
                rows = self._table(whole, f"reading {table}", rows=size, props=props)
            else:
                rows = self._table(some, f"reading {table}", ids=sorted(ids), props=props)
            frames[table] = _frame(table, pairs, props, fields, dates, rows)
        files = {t: str(meta.get(f"file_{t}") or f"{t}.csv") for t in TABLES}
        return Dataset(
            facilities=frames["facilities"],
            supplies=frames["supplies"],
            products=frames["products"],
            bom=frames["bom"],
            flags=frames["flags"],
            origin=self.location,
            files=files,
        )

    # --- write-back --------------------------------------------------------------------------

    def write_results(self, propagation: Any, batch_size: int = 10_000) -> int:
        """Store each node's bounds, exposure, status and estimated flag; return nodes written."""
        from graphtrace.propagate import exposures

        self._complete_meta()
        p = propagation
        g = p.graph
        nf = g.n_facilities
        status = p.statuses()
        expo = exposures(p.lo, p.hi)
        as_of = None if g.as_of is None else g.as_of.date().isoformat()
        cols = zip(
            g.ids.tolist(), p.lo.tolist(), p.hi.tolist(), expo.tolist(), status.tolist(),
            np.asarray(p.estimated, dtype=bool).tolist(), strict=True,
        )
        rows = [
            {"key": k, "lo": lo, "hi": hi, "exposure": e, "status": s, "estimated": est}
            for k, lo, hi, e, s, est in cols
        ]
        written = 0
        for query, part in ((cypher.WRITE_FACILITY_RESULTS, rows[:nf]),
                            (cypher.WRITE_PRODUCT_RESULTS, rows[nf:])):
            for start in range(0, len(part), batch_size):
                res = self._run(query, "writing results", True,
                                rows=part[start : start + batch_size], as_of=as_of)
                written += int(res[0]["n"]) if res else 0
        self._run(cypher.MARK_RESULTS, "writing results", True, key=META_KEY, as_of=as_of)
        return written


# --- frames <-> rows ---------------------------------------------------------------------------


def _texts(series: pd.Series) -> list[str | None]:
    return [v if v != "" else None for v in series.astype(str).tolist()]


def _floats(series: pd.Series) -> list[float | None]:
    return [None if v != v else v for v in series.to_numpy(dtype=float).tolist()]


def _dates_text(series: pd.Series) -> list[str | None]:
    text = series.dt.strftime("%Y-%m-%d")
    return [v if isinstance(v, str) else None for v in text.astype(object).tolist()]


def _props(frame: pd.DataFrame, table: str, pairs: list[list[str]]) -> list[dict[str, Any]]:
    """Each row's property map (empty values left out), from the property columns."""
    names: list[str] = []
    columns: list[list[Any]] = []
    for col, prop in pairs:
        if not prop or col in DATE_COLUMNS.get(table, ()):
            continue
        names.append(prop)
        if col == ROW:
            columns.append(frame[col].astype("int64").tolist())
        elif col in FLOAT_COLUMNS:
            columns.append(_floats(frame[col]))
        else:
            columns.append(_texts(frame[col]))
    if not len(frame):
        return []
    return [
        {k: v for k, v in zip(names, vals, strict=True) if v is not None}
        for vals in zip(*columns, strict=True)
    ]


def _load_plan(
    dataset: Dataset, names: dict[str, list[list[str]]]
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(query, table, rows) in load order: nodes first, then relationships."""
    fac, prod, sup, bom, flags = (
        dataset.facilities, dataset.products, dataset.supplies, dataset.bom, dataset.flags,
    )
    plan: list[tuple[str, str, list[dict[str, Any]]]] = []
    props = _props(fac, "facilities", names["facilities"])
    plan.append((cypher.MERGE_FACILITIES, "facilities", [
        {"key": k, "props": p} for k, p in zip(fac["facility_id"].tolist(), props, strict=True)
    ]))
    props = _props(prod, "products", names["products"])
    skus = prod["sku"].tolist()
    plan.append((cypher.MERGE_PRODUCTS, "products", [
        {"key": k, "props": p} for k, p in zip(skus, props, strict=True)
    ]))
    props = _props(flags, "flags", names["flags"])
    plan.append((cypher.MERGE_FLAGS, "flags", [
        {"key": int(r), "dst": f, "props": p}
        for r, f, p in zip(flags[ROW].tolist(), flags["facility_id"].tolist(), props, strict=True)
    ]))
    props = _props(sup, "supplies", names["supplies"])
    plan.append((cypher.MERGE_SUPPLIES, "supplies", [
        {"key": int(r), "src": s, "dst": b, "props": p, "valid_from": f, "valid_to": t}
        for r, s, b, p, f, t in zip(
            sup[ROW].tolist(), sup["supplier_id"].tolist(), sup["buyer_id"].tolist(), props,
            _dates_text(sup["valid_from"]), _dates_text(sup["valid_to"]), strict=True,
        )
    ]))
    plan.append((cypher.MERGE_MADE_AT, "products (made_at)", [
        {"key": int(r), "src": s, "dst": f}
        for r, s, f in zip(prod[ROW].tolist(), skus, prod["made_at"].tolist(), strict=True)
    ]))
    # BOM rows: from the supplier, else from the sub-assembly product, else from made_at.
    props = _props(bom, "bom", names["bom"])
    made_at = dict(zip(skus, prod["made_at"].tolist(), strict=True))
    known = set(skus)
    from_facility, from_product = [], []
    for r, sku, comp, supplier, p in zip(
        bom[ROW].tolist(), bom["sku"].tolist(), bom["component"].tolist(),
        bom["supplier_id"].tolist(), props, strict=True,
    ):
        row = {"key": int(r), "dst": sku, "props": p}
        if supplier:
            from_facility.append({**row, "src": supplier})
        elif comp in known:
            from_product.append({**row, "src": comp})
        else:
            from_facility.append({**row, "src": made_at.get(sku, "")})
    plan.append((cypher.MERGE_COMPONENTS_FROM_FACILITY, "bom", from_facility))
    plan.append((cypher.MERGE_COMPONENTS_FROM_PRODUCT, "bom (sub-assemblies)", from_product))
    return plan


def _frame(
    table: str,
    pairs: list[list[str]],
    props: list[str],
    fields: list[str],
    dates: list[str],
    rows: Sequence[Sequence[Any]],
) -> pd.DataFrame:
    """Rows read back -> the frame ``validate`` produces (same columns, order and dtypes)."""
    n_fields = len(fields)
    columns: dict[str, list[Any]] = {}
    if rows:
        cols = list(zip(*rows, strict=True))
        for i, f in enumerate(fields):
            columns["@" + f] = list(cols[i])
        values = list(zip(*cols[n_fields], strict=True)) if cols[n_fields] else []
        for j, prop in enumerate(props):
            columns[prop] = list(values[j]) if values else []
        for k, d in enumerate(dates):
            columns["@" + d] = list(cols[n_fields + 1 + k])
    n = len(rows)
    structural = STRUCTURAL[table]
    data: dict[str, pd.Series] = {}
    for col, prop in pairs:
        if col in structural:
            raw = columns.get("@" + structural[col], [None] * n)
        elif col in dates:
            raw = columns.get("@" + col, [None] * n)
        else:
            raw = columns.get(prop, [None] * n)
        if col == ROW:
            data[col] = pd.Series(raw, dtype="int64")
        elif col in FLOAT_COLUMNS:
            data[col] = pd.Series(raw, dtype=float)
        else:
            text = pd.Series(["" if v is None else str(v) for v in raw], dtype=str)
            if col in dates:
                data[col] = pd.to_datetime(text.where(text.ne("")), format="%Y-%m-%d",
                                           errors="coerce")
            else:
                data[col] = text
    frame = pd.DataFrame(data, columns=[c for c, _ in pairs])
    if n and ROW in frame.columns:
        frame = frame.sort_values(ROW, kind="stable").reset_index(drop=True)
    return frame
