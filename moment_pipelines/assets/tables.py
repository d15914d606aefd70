"""Metadata helpers shared by the assets that write DuckDB tables."""

import duckdb
from dagster import MetadataValue, TableColumn, TableSchema


def table_schema(con: duckdb.DuckDBPyConnection, table: str) -> TableSchema:
    """Return the column names and DuckDB types of `table` for the asset's column schema."""
    rows = con.execute(f"DESCRIBE {table}").fetchall()
    return TableSchema(columns=[TableColumn(name=row[0], type=row[1]) for row in rows])


def mask_uid_sql(column: str) -> str:
    """SQL showing only the first 3 and last 2 digits of a user id, for previews."""
    return f"left(CAST({column} AS VARCHAR), 3) || '***' || right(CAST({column} AS VARCHAR), 2)"


def markdown_preview(con: duckdb.DuckDBPyConnection, query: str) -> MetadataValue:
    """Render the rows of `query` as a markdown table (callers mask personal data)."""
    frame = con.execute(query).fetchdf()
    return MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "（空表）")


def scalar(con: duckdb.DuckDBPyConnection, query: str, parameters: list | None = None):
    return con.execute(query, parameters or []).fetchone()[0]
