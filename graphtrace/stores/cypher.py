"""Every Cypher statement graphtrace sends to Neo4j.

Values always travel as parameters (``$rows``, ``$ids``, ``$key``, ...). Labels and relationship
types cannot be parameters, so the few statements that are shared between labels are written as
templates whose only placeholders are ``{label}`` / ``{rel}``, filled by :func:`render` from the
:class:`Label` / :class:`Rel` allow-lists and nothing else.

Graph model (see docs/neo4j.md)::

    (:Facility {id, name, role, country, ..., _row})
    (:Product {sku, name, _row})
    (:Flag {facility_id, reason, _row})-[:FLAGS]->(:Facility)
    (:Facility)-[:SUPPLIES {material, volume, unit, volume_kg, valid_from, valid_to,
                            reference, _row}]->(:Facility)
    (:Product)-[:MADE_AT {_row}]->(:Facility)
    (:Facility|Product)-[:COMPONENT_OF {component, quantity, unit, supplier_id, mass_kg,
                                        _row}]->(:Product)
    (:GraphtraceDataset {key: 'current', status, fingerprint, origin, ...})
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    """Node labels graphtrace writes (the only labels a query may be rendered with)."""

    FACILITY = "Facility"
    PRODUCT = "Product"
    FLAG = "Flag"
    DATASET = "GraphtraceDataset"


class Rel(StrEnum):
    """Relationship types graphtrace writes."""

    SUPPLIES = "SUPPLIES"
    MADE_AT = "MADE_AT"
    COMPONENT_OF = "COMPONENT_OF"
    FLAGS = "FLAGS"


#: Key of the one meta node that describes the loaded dataset.
META_KEY = "current"
#: Labels of the dataset's nodes, deleted by ``--replace`` (the meta node goes last).
DATA_LABELS = (Label.FLAG, Label.PRODUCT, Label.FACILITY)


def render(template: str, *, label: Label | None = None, rel: Rel | None = None) -> str:
    """Fill a template's ``{label}`` / ``{rel}`` from the allow-lists; anything else is refused."""
    if label is not None and not isinstance(label, Label):
        raise TypeError("not an allowed label", label)
    if rel is not None and not isinstance(rel, Rel):
        raise TypeError("not an allowed relationship type", rel)
    return template.format(label=label.value if label else "", rel=rel.value if rel else "")


# --- server and schema -------------------------------------------------------------------------

SERVER_COMPONENTS = (
    "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition"
)

SCHEMA = (
    "CREATE CONSTRAINT graphtrace_facility_id IF NOT EXISTS "
    "FOR (n:Facility) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT graphtrace_product_sku IF NOT EXISTS "
    "FOR (n:Product) REQUIRE n.sku IS UNIQUE",
    "CREATE CONSTRAINT graphtrace_flag_row IF NOT EXISTS FOR (n:Flag) REQUIRE n._row IS UNIQUE",
    "CREATE CONSTRAINT graphtrace_dataset_key IF NOT EXISTS "
    "FOR (n:GraphtraceDataset) REQUIRE n.key IS UNIQUE",
)
AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"

# --- the meta node -----------------------------------------------------------------------------

READ_META = "MATCH (m:GraphtraceDataset {key: $key}) RETURN properties(m) AS meta"
BEGIN_LOAD = (
    "MERGE (m:GraphtraceDataset {key: $key}) "
    "SET m += $props, m.started_at = datetime(), m.completed_at = null"
)
SET_META = "MATCH (m:GraphtraceDataset {key: $key}) SET m += $props"
FINISH_LOAD = (
    "MATCH (m:GraphtraceDataset {key: $key}) SET m.status = $status, m.completed_at = datetime()"
)
DELETE_META = "MATCH (m:GraphtraceDataset {key: $key}) DELETE m"

# --- counts and deletes ------------------------------------------------------------------------

COUNT_NODES = "MATCH (n:{label}) RETURN count(n) AS n"
COUNT_RELS = "MATCH ()-[r:{rel}]->() RETURN count(r) AS n"
ANY_DATA = (
    "OPTIONAL MATCH (f:Facility) WITH f LIMIT 1 "
    "OPTIONAL MATCH (p:Product) WITH f, p LIMIT 1 "
    "RETURN f IS NOT NULL OR p IS NOT NULL AS found"
)
#: One batch of a batched delete: run until it returns 0.
DELETE_RELS_BATCH = "MATCH ()-[r:{rel}]->() WITH r LIMIT $limit DELETE r RETURN count(*) AS n"
DELETE_NODES_BATCH = (
    "MATCH (n:{label}) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS n"
)

# --- loading: one UNWIND batch per transaction -------------------------------------------------

MERGE_FACILITIES = "UNWIND $rows AS row MERGE (n:Facility {id: row.key}) SET n += row.props"
MERGE_PRODUCTS = "UNWIND $rows AS row MERGE (n:Product {sku: row.key}) SET n += row.props"
MERGE_FLAGS = (
    "UNWIND $rows AS row MERGE (n:Flag {_row: row.key}) SET n += row.props "
    "WITH n, row MATCH (f:Facility {id: row.dst}) MERGE (n)-[:FLAGS]->(f)"
)
MERGE_SUPPLIES = (
    "UNWIND $rows AS row "
    "MATCH (a:Facility {id: row.src}) MATCH (b:Facility {id: row.dst}) "
    "MERGE (a)-[r:SUPPLIES {_row: row.key}]->(b) "
    "SET r += row.props, r.valid_from = date(row.valid_from), r.valid_to = date(row.valid_to)"
)
MERGE_MADE_AT = (
    "UNWIND $rows AS row "
    "MATCH (p:Product {sku: row.src}) MATCH (f:Facility {id: row.dst}) "
    "MERGE (p)-[r:MADE_AT {_row: row.key}]->(f)"
)
MERGE_COMPONENTS_FROM_FACILITY = (
    "UNWIND $rows AS row "
    "MATCH (a:Facility {id: row.src}) MATCH (p:Product {sku: row.dst}) "
    "MERGE (a)-[r:COMPONENT_OF {_row: row.key}]->(p) SET r += row.props"
)
MERGE_COMPONENTS_FROM_PRODUCT = (
    "UNWIND $rows AS row "
    "MATCH (a:Product {sku: row.src}) MATCH (p:Product {sku: row.dst}) "
    "MERGE (a)-[r:COMPONENT_OF {_row: row.key}]->(p) SET r += row.props"
)

# --- reading tables back (whole, or restricted to given ids) ----------------------------------
# Each returns ONE record holding a list of rows (much faster to stream than a record per row):
# whole tables in ``$parts`` slices by ``_row`` modulo, restricted reads per chunk of ``$ids``.
# ``$props`` lists the property names to return, in column order; dates come back as ISO text.

READ_FACILITIES = (
    "MATCH (n:Facility) WHERE n._row % $parts = $part "
    "RETURN collect([n.id, [k IN $props | n[k]]]) AS rows"
)
READ_FACILITIES_IN = (
    "UNWIND $ids AS id MATCH (n:Facility {id: id}) "
    "RETURN collect([n.id, [k IN $props | n[k]]]) AS rows"
)
READ_PRODUCTS = (
    "MATCH (n:Product) WHERE n._row % $parts = $part "
    "OPTIONAL MATCH (n)-[:MADE_AT]->(f:Facility) "
    "RETURN collect([n.sku, f.id, [k IN $props | n[k]]]) AS rows"
)
READ_PRODUCTS_IN = (
    "UNWIND $ids AS id MATCH (n:Product {sku: id}) OPTIONAL MATCH (n)-[:MADE_AT]->(f:Facility) "
    "RETURN collect([n.sku, f.id, [k IN $props | n[k]]]) AS rows"
)
READ_SUPPLIES = (
    "MATCH (a:Facility)-[r:SUPPLIES]->(b:Facility) WHERE r._row % $parts = $part "
    "RETURN collect([a.id, b.id, [k IN $props | r[k]], "
    "toString(r.valid_from), toString(r.valid_to)]) AS rows"
)
READ_SUPPLIES_INTO = (
    "UNWIND $ids AS id MATCH (a:Facility)-[r:SUPPLIES]->(b:Facility {id: id}) "
    "RETURN collect([a.id, b.id, [k IN $props | r[k]], "
    "toString(r.valid_from), toString(r.valid_to)]) AS rows"
)
READ_BOM = (
    "MATCH ()-[r:COMPONENT_OF]->(p:Product) WHERE r._row % $parts = $part "
    "RETURN collect([p.sku, [k IN $props | r[k]]]) AS rows"
)
READ_BOM_INTO = (
    "UNWIND $ids AS id MATCH ()-[r:COMPONENT_OF]->(p:Product {sku: id}) "
    "RETURN collect([p.sku, [k IN $props | r[k]]]) AS rows"
)
READ_FLAGS = (
    "MATCH (n:Flag) WHERE n._row % $parts = $part RETURN collect([[k IN $props | n[k]]]) AS rows"
)
READ_FLAGS_OF = (
    "UNWIND $ids AS id MATCH (n:Flag)-[:FLAGS]->(:Facility {id: id}) WITH DISTINCT n "
    "RETURN collect([[k IN $props | n[k]]]) AS rows"
)

# --- bounded, distinct-node traversals: one query per tier ------------------------------------

#: Direct inputs of a frontier: suppliers of facilities, BOM sources and made_at of products.
UPSTREAM_TIER = (
    "CALL { "
    "UNWIND $fids AS id MATCH (:Facility {id: id})<-[:SUPPLIES]-(x:Facility) RETURN x "
    "UNION UNWIND $skus AS id MATCH (:Product {sku: id})<-[:COMPONENT_OF]-(x) RETURN x "
    "UNION UNWIND $skus AS id MATCH (:Product {sku: id})-[:MADE_AT]->(x:Facility) RETURN x "
    "} "
    "RETURN DISTINCT x:Facility AS facility, CASE WHEN x:Facility THEN x.id ELSE x.sku END AS key"
)
#: What a frontier feeds: buyers, products it is a component of, products made at it.
DOWNSTREAM_TIER = (
    "CALL { "
    "UNWIND $fids AS id MATCH (:Facility {id: id})-[:SUPPLIES|COMPONENT_OF]->(x) RETURN x "
    "UNION UNWIND $fids AS id MATCH (:Facility {id: id})<-[:MADE_AT]-(x:Product) RETURN x "
    "UNION UNWIND $skus AS id MATCH (:Product {sku: id})-[:COMPONENT_OF]->(x:Product) RETURN x "
    "} "
    "RETURN DISTINCT x:Facility AS facility, CASE WHEN x:Facility THEN x.id ELSE x.sku END AS key"
)

# --- results of propagate --write-back --------------------------------------------------------

WRITE_FACILITY_RESULTS = (
    "UNWIND $rows AS row MATCH (n:Facility {id: row.key}) "
    "SET n.risk_share_min = row.lo, n.risk_share_max = row.hi, n.exposure = row.exposure, "
    "n.status = row.status, n.estimated = row.estimated, n.risk_as_of = date($as_of) "
    "RETURN count(n) AS n"
)
WRITE_PRODUCT_RESULTS = (
    "UNWIND $rows AS row MATCH (n:Product {sku: row.key}) "
    "SET n.risk_share_min = row.lo, n.risk_share_max = row.hi, n.exposure = row.exposure, "
    "n.status = row.status, n.estimated = row.estimated, n.risk_as_of = date($as_of) "
    "RETURN count(n) AS n"
)
MARK_RESULTS = (
    "MATCH (m:GraphtraceDataset {key: $key}) "
    "SET m.results_written_at = datetime(), m.results_as_of = date($as_of)"
)

# --- server-side level-by-level propagation of the lower bound (benchmarks/bench_neo4j.py) -----
# Measured against bulk read + in-process solve; works on a DAG only (tiers by longest distance).
# Scratch properties: _src (risk source), _w (edge share), _pending (inputs not yet done),
# _tier (longest distance from a node without inputs), _lo (lower bound).

LEVEL_SCHEMA = (
    "CREATE INDEX graphtrace_facility_tier IF NOT EXISTS FOR (n:Facility) ON (n._tier)",
    "CREATE INDEX graphtrace_product_tier IF NOT EXISTS FOR (n:Product) ON (n._tier)",
)
LEVEL_SOURCES = "UNWIND $ids AS id MATCH (f:Facility {id: id}) SET f._src = true"
#: Input shares: by mass, equal shares when a mass is missing or all are zero (rules 2 and 5).
LEVEL_SUPPLY_WEIGHTS = (
    "MATCH (b:Facility) CALL (b) { "
    "MATCH (b)<-[e:SUPPLIES]-() WITH collect(e) AS es "
    "WITH es, reduce(t = 0.0, e IN es | t + coalesce(e.volume_kg, 0.0)) AS total, "
    "any(e IN es WHERE e.volume_kg IS NULL) AS missing "
    "UNWIND es AS e SET e._w = CASE WHEN missing OR total <= 0 THEN 1.0 / size(es) "
    "ELSE e.volume_kg / total END "
    "} IN TRANSACTIONS OF $batch ROWS"
)
LEVEL_BOM_WEIGHTS = (
    "MATCH (p:Product) CALL (p) { "
    "MATCH (p)<-[e:COMPONENT_OF]-() WITH collect(e) AS es "
    "WITH es, reduce(t = 0.0, e IN es | t + coalesce(e.mass_kg, 0.0)) AS total, "
    "any(e IN es WHERE e.mass_kg IS NULL) AS missing "
    "UNWIND es AS e SET e._w = CASE WHEN missing OR total <= 0 THEN 1.0 / size(es) "
    "ELSE e.mass_kg / total END "
    "} IN TRANSACTIONS OF $batch ROWS"
)
LEVEL_INIT_FACILITIES = (
    "MATCH (n:Facility) CALL (n) { "
    "SET n._pending = COUNT { (n)<-[:SUPPLIES]-() }, "
    "n._lo = CASE WHEN n._src THEN 1.0 ELSE 0.0 END, n._tier = null "
    "} IN TRANSACTIONS OF $batch ROWS"
)
LEVEL_INIT_PRODUCTS = (
    "MATCH (n:Product) CALL (n) { "
    "SET n._pending = COUNT { (n)<-[:COMPONENT_OF]-() } + COUNT { (n)-[:MADE_AT]->() }, "
    "n._lo = 0.0, n._tier = null "
    "} IN TRANSACTIONS OF $batch ROWS"
)
LEVEL_TIER0_FACILITIES = (
    "MATCH (n:Facility) WHERE n._pending = 0 CALL (n) { SET n._tier = 0 } "
    "IN TRANSACTIONS OF $batch ROWS"
)
LEVEL_TIER0_PRODUCTS = (
    "MATCH (n:Product) WHERE n._pending = 0 CALL (n) { SET n._tier = 0 } "
    "IN TRANSACTIONS OF $batch ROWS"
)
#: Per tier: the bounds of the tier's nodes from their (finished) inputs ...
LEVEL_FACILITY_BOUNDS = (
    "MATCH (b:Facility {_tier: $tier}) WHERE b._src IS NULL "
    "CALL (b) { MATCH (b)<-[e:SUPPLIES]-(a) RETURN sum(e._w * a._lo) AS lo } "
    "SET b._lo = lo"
)
LEVEL_PRODUCT_BOUNDS = (
    "MATCH (p:Product {_tier: $tier}) "
    "CALL (p) { OPTIONAL MATCH (p)<-[e:COMPONENT_OF]-(a) "
    "RETURN sum(e._w * a._lo) AS s, count(e) AS c } "
    "CALL (p) { OPTIONAL MATCH (p)-[:MADE_AT]->(f) RETURN max(f._lo) AS m } "
    "SET p._lo = CASE WHEN c > 0 THEN s ELSE coalesce(m, 0.0) END"
)
#: ... then release what they feed: a node whose inputs are all done joins the next tier.
LEVEL_RELEASE = (
    "CALL { "
    "MATCH (:Facility {_tier: $tier})-[:SUPPLIES|COMPONENT_OF]->(b) RETURN b "
    "UNION ALL MATCH (:Product {_tier: $tier})-[:COMPONENT_OF]->(b) RETURN b "
    "UNION ALL MATCH (:Facility {_tier: $tier})<-[:MADE_AT]-(b) RETURN b "
    "} "
    "WITH b, count(*) AS done SET b._pending = b._pending - done "
    "WITH b WHERE b._pending = 0 SET b._tier = $tier + 1 RETURN count(b) AS n"
)
LEVEL_UNFINISHED = (
    "MATCH (n) WHERE (n:Facility OR n:Product) AND n._tier IS NULL RETURN count(n) AS n"
)
LEVEL_READ = (
    "MATCH (n) WHERE n:Facility OR n:Product "
    "RETURN n:Facility AS facility, coalesce(n.id, n.sku) AS key, n._lo AS lo"
)
