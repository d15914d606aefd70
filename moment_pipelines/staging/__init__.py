"""SQL that builds the staging tables from the raw layer."""

from pathlib import Path

_SQL_DIR = Path(__file__).parent


def staging_sql(table: str) -> str:
    """Return the SQL text that creates staging table `table`."""
    return (_SQL_DIR / f"{table}.sql").read_text(encoding="utf-8")
