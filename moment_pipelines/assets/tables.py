"""Metadata helpers shared by the assets that write DuckDB tables."""

import duckdb
from collections.abc import Iterable, Iterator

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, TableColumn, TableSchema

from moment_pipelines.privacy import mask_frame


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> TableSchema:
    """Return the column names and DuckDB types of `table` for the asset's column schema."""
    rows = con.execute(f"DESCRIBE {table}").fetchall()
    return TableSchema(columns=[TableColumn(name=row[0], type=row[1]) for row in rows])


def markdown_preview(con: duckdb.DuckDBPyConnection, query: str) -> MetadataValue:
    """Render the rows of `query` as a markdown table, with user ids, IP addresses and URLs masked."""
    frame = mask_frame(con.execute(query).fetchdf())
    return MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "（空表）")


def scalar(con: duckdb.DuckDBPyConnection, query: str, parameters: list | None = None):
    return con.execute(query, parameters or []).fetchone()[0]


def skipped_check_results(check_names: Iterable[str], reason: str) -> Iterator[AssetCheckResult]:
    """Report checks as not applicable when their asset skips this run, with the reason in Chinese."""
    for check_name in check_names:
        yield AssetCheckResult(
            check_name=check_name,
            passed=True,
            severity=AssetCheckSeverity.WARN,
            metadata={"skipped": f"训练集本次未生成：{reason}"},
        )
