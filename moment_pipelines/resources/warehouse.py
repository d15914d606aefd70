"""The DuckDB warehouse file shared by every layer."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import get_dagster_logger
from dagster_duckdb import DuckDBResource

# Every asset that opens the warehouse declares this pool. DuckDB allows one
# writing process per file, so the instance limits the pool to one step at a time.
WAREHOUSE_POOL = "duckdb_warehouse"

_LOCK_RETRIES = 10
_LOCK_BACKOFF_SECONDS = 0.5


class Warehouse(DuckDBResource):
    """DuckDB file with UTC sessions, a created parent directory and lock retries.

    Connections are meant to be short: open, run SQL, close. Training code
    reads its data into memory and closes the connection before the loop.
    """

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.database != ":memory:":
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        connection = self._connect_with_retry()
        try:
            # Stored times are TIMESTAMPTZ; a UTC session makes their text form and
            # any zone-less arithmetic independent of the machine's zone.
            connection.execute("SET TimeZone = 'UTC'")
            yield connection
        finally:
            connection.close()

    def _connect_with_retry(self) -> duckdb.DuckDBPyConnection:
        for attempt in range(1, _LOCK_RETRIES + 1):
            try:
                return duckdb.connect(self.database, config=self.connection_config)
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or attempt == _LOCK_RETRIES:
                    raise
                get_dagster_logger().warning(
                    f"DuckDB 文件 {self.database} 被其他进程锁定，{_LOCK_BACKOFF_SECONDS * attempt:.1f} 秒后重试（第 {attempt} 次）"
                )
                time.sleep(_LOCK_BACKOFF_SECONDS * attempt)
        raise AssertionError("unreachable")
