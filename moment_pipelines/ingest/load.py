"""Land source documents in DuckDB, then upsert valid ones and quarantine the rest.

One call of `load_collection` handles one extraction of one collection:

1. every document text goes into a temporary landing table, in read order;
2. `validation_sql` types each document and lists its errors;
3. documents with errors go to `quarantine` (once per distinct text);
4. valid documents older than `since` are skipped (export files are full
   snapshots, so the watermark filter happens here for them);
5. of several versions of one `_id` in this read, the newest wins;
6. each survivor is compared with the stored row: new ids are inserted, a
   changed document replaces its row, an identical one is left alone, and an
   older version than the stored one is ignored as stale.

Every document read lands in exactly one of those outcomes, which
`LoadStats.reconciles` checks.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from moment_pipelines.ingest.schema import CollectionSpec
from moment_pipelines.ingest.validate import validation_sql

QUARANTINE_TABLE = "quarantine"

_LANDING = "_landing"
_VALIDATED = "_validated"
_CHANGES = "_changes"


@dataclass
class SourceBatch:
    """Documents as Extended JSON text, with a problem code where decoding failed."""

    documents: list[str]
    problems: list[str | None] | None = None  # None means no problems in the batch
    details: list[str | None] | None = None


@dataclass
class LoadStats:
    """Outcome counts of one extraction; each document read is counted once."""

    collection: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    superseded: int = 0
    before_watermark: int = 0
    quarantined: int = 0
    quarantined_new: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    watermark_before: datetime | None = None
    watermark_after: datetime | None = None
    rows_in_table: int = 0

    @property
    def upserted(self) -> int:
        return self.inserted + self.updated

    @property
    def accounted(self) -> int:
        return (
            self.inserted
            + self.updated
            + self.unchanged
            + self.stale
            + self.superseded
            + self.before_watermark
            + self.quarantined
        )

    def reconciles(self) -> bool:
        return self.read == self.accounted


def raw_table_ddl(spec: CollectionSpec) -> str:
    columns = [f"{f.column} {f.kind.sql_type}" for f in spec.fields]
    columns += [
        "_watermark_time TIMESTAMPTZ",
        "unknown_fields VARCHAR[]",
        "_doc_hash VARCHAR",
        "_loaded_at TIMESTAMPTZ",
        "_run_id VARCHAR",
    ]
    return f"CREATE TABLE IF NOT EXISTS {spec.raw_table} (\n    " + ",\n    ".join(columns) + "\n)"


QUARANTINE_DDL = f"""
CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
    collection VARCHAR NOT NULL,
    source_id VARCHAR,
    field VARCHAR,
    reason_code VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    all_reasons VARCHAR[],
    document VARCHAR NOT NULL,
    doc_hash VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR
)
"""


def ensure_tables(con: duckdb.DuckDBPyConnection, spec: CollectionSpec) -> None:
    con.execute(raw_table_ddl(spec))
    con.execute(QUARANTINE_DDL)


def read_watermark(con: duckdb.DuckDBPyConnection, spec: CollectionSpec) -> datetime | None:
    """Return the newest change time stored for the collection, None when empty."""
    ensure_tables(con, spec)
    return con.execute(f"SELECT max(_watermark_time) FROM {spec.raw_table}").fetchone()[0]


def _land(con: duckdb.DuckDBPyConnection, batches: Iterable[SourceBatch]) -> int:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_LANDING} "
        "(seq BIGINT, doc VARCHAR, problem VARCHAR, problem_detail VARCHAR)"
    )
    landed = 0
    for batch in batches:
        count = len(batch.documents)
        if count == 0:
            continue
        frame = pd.DataFrame(
            {
                "seq": range(landed, landed + count),
                "doc": batch.documents,
                "problem": batch.problems if batch.problems is not None else [None] * count,
                "problem_detail": batch.details if batch.details is not None else [None] * count,
            }
        )
        con.register("_batch", frame)
        con.execute(f"INSERT INTO {_LANDING} SELECT seq, doc, problem, problem_detail FROM _batch")
        con.unregister("_batch")
        landed += count
    return landed


def _quarantine(con: duckdb.DuckDBPyConnection, spec: CollectionSpec, loaded_at: datetime, run_id: str) -> None:
    con.execute(
        f"""
        INSERT INTO {QUARANTINE_TABLE}
        SELECT DISTINCT ON (doc_hash)
               ?, source_id, errors[1].field, errors[1].code, errors[1].message,
               list_transform(errors, lambda e: e.message), doc, doc_hash, ?, ?
        FROM {_VALIDATED} AS v
        WHERE len(errors) > 0
          AND NOT EXISTS (
              SELECT 1 FROM {QUARANTINE_TABLE} AS q
              WHERE q.collection = ? AND q.doc_hash = v.doc_hash)
        ORDER BY doc_hash, seq
        """,
        [spec.name, loaded_at, run_id, spec.name],
    )


def _classify(con: duckdb.DuckDBPyConnection, spec: CollectionSpec, since: datetime | None) -> None:
    """Give each valid document one action: insert, update, unchanged, stale, superseded or before_watermark."""
    id_column = spec.fields[0].column
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_CHANGES} AS
        WITH valid AS (
            SELECT *,
                   ? IS NOT NULL AND _watermark_time < ? AS is_before_watermark
            FROM {_VALIDATED}
            WHERE len(errors) = 0
        ),
        ranked AS (
            SELECT *,
                   row_number() OVER (
                       PARTITION BY {id_column}, is_before_watermark
                       ORDER BY _watermark_time DESC, seq DESC) AS version_rank
            FROM valid
        )
        SELECT ranked.*,
               CASE
                   WHEN is_before_watermark THEN 'before_watermark'
                   WHEN version_rank > 1 THEN 'superseded'
                   WHEN stored.{id_column} IS NULL THEN 'insert'
                   WHEN stored._doc_hash = ranked.doc_hash THEN 'unchanged'
                   WHEN stored._watermark_time > ranked._watermark_time THEN 'stale'
                   ELSE 'update'
               END AS action
        FROM ranked
        LEFT JOIN {spec.raw_table} AS stored
               ON stored.{id_column} = ranked.{id_column}
              AND NOT ranked.is_before_watermark
              AND ranked.version_rank = 1
        """,
        [since, since],
    )


def _apply(con: duckdb.DuckDBPyConnection, spec: CollectionSpec, loaded_at: datetime, run_id: str) -> None:
    """Quarantine rejected documents, replace updated rows and insert new ones in one transaction."""
    id_column = spec.fields[0].column
    columns = [f.column for f in spec.fields]
    column_list = ", ".join(columns)
    con.execute("BEGIN TRANSACTION")
    try:
        _quarantine(con, spec, loaded_at, run_id)
        con.execute(
            f"DELETE FROM {spec.raw_table} WHERE {id_column} IN "
            f"(SELECT {id_column} FROM {_CHANGES} WHERE action = 'update')"
        )
        con.execute(
            f"""
            INSERT INTO {spec.raw_table}
                ({column_list}, _watermark_time, unknown_fields, _doc_hash, _loaded_at, _run_id)
            SELECT {column_list}, _watermark_time, unknown_fields, doc_hash, ?, ?
            FROM {_CHANGES}
            WHERE action IN ('insert', 'update')
            """,
            [loaded_at, run_id],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _quarantine_count(con: duckdb.DuckDBPyConnection, spec: CollectionSpec) -> int:
    return con.execute(f"SELECT count(*) FROM {QUARANTINE_TABLE} WHERE collection = ?", [spec.name]).fetchone()[0]


def _collect_stats(con: duckdb.DuckDBPyConnection, spec: CollectionSpec, stats: LoadStats) -> None:
    for action, count in con.execute(f"SELECT action, count(*) FROM {_CHANGES} GROUP BY action").fetchall():
        setattr(stats, "inserted" if action == "insert" else "updated" if action == "update" else action, count)

    stats.quarantined = con.execute(f"SELECT count(*) FROM {_VALIDATED} WHERE len(errors) > 0").fetchone()[0]
    reasons = con.execute(
        f"SELECT errors[1].code, count(*) FROM {_VALIDATED} WHERE len(errors) > 0 GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    stats.quarantine_reasons = dict(reasons)
    stats.rows_in_table = con.execute(f"SELECT count(*) FROM {spec.raw_table}").fetchone()[0]
    stats.watermark_after = con.execute(f"SELECT max(_watermark_time) FROM {spec.raw_table}").fetchone()[0]


def load_collection(
    con: duckdb.DuckDBPyConnection,
    spec: CollectionSpec,
    batches: Iterable[SourceBatch],
    *,
    since: datetime | None,
    loaded_at: datetime,
    run_id: str,
) -> LoadStats:
    """Load one extraction of `spec` into its raw table and the quarantine.

    `since` is the lower bound of the extraction window (watermark minus the
    overlap); valid documents older than it are counted and skipped.
    """
    ensure_tables(con, spec)
    stats = LoadStats(collection=spec.name, watermark_before=read_watermark(con, spec))

    stats.read = _land(con, batches)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_VALIDATED} AS {validation_sql(spec, _LANDING, loaded_at)}")

    quarantine_before = _quarantine_count(con, spec)
    _classify(con, spec, since)
    _apply(con, spec, loaded_at, run_id)
    stats.quarantined_new = _quarantine_count(con, spec) - quarantine_before
    _collect_stats(con, spec, stats)

    for table in (_LANDING, _VALIDATED, _CHANGES):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return stats
