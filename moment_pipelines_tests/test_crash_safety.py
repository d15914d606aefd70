"""A run killed with SIGKILL mid-extraction leaves the warehouse consistent."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from moment_pipelines.demo import generate

RAW_TABLES = ("raw_moments", "raw_likes", "raw_comments")

EXTRACTION_SCRIPT = textwrap.dedent(
    """
    import sys
    from dagster import materialize
    from moment_pipelines.assets.raw import raw_assets
    from moment_pipelines.resources import ExportDirSource, Warehouse

    export_dir, database = sys.argv[1], sys.argv[2]
    result = materialize(
        raw_assets,
        resources={"source": ExportDirSource(export_dir=export_dir), "warehouse": Warehouse(database=database)},
    )
    sys.exit(0 if result.success else 1)
    """
)


@pytest.fixture(scope="module")
def crash_demo_dir(tmp_path_factory):
    """Exports large enough that loading them takes a few seconds."""
    directory = tmp_path_factory.mktemp("crash_demo")
    generate(directory, n_moments=15_000, seed=11, show_progress=False)
    return directory


def extraction(export_dir, database) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", EXTRACTION_SCRIPT, str(export_dir), str(database)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def table_counts(database) -> dict[str, int]:
    con = duckdb.connect(str(database))
    try:
        existing = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        counts = {}
        for table in RAW_TABLES:
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if table in existing else 0
        for table in RAW_TABLES:
            if table in existing:
                id_column = con.execute(f"SELECT column_name FROM (DESCRIBE {table}) LIMIT 1").fetchone()[0]
                duplicates = con.execute(f"SELECT count(*) - count(DISTINCT {id_column}) FROM {table}").fetchone()[0]
                assert duplicates == 0, f"{table} has {duplicates} duplicate ids after a crash"
        return counts
    finally:
        con.close()


def test_sigkill_mid_extraction_recovers(crash_demo_dir, tmp_path):
    reference = tmp_path / "reference.duckdb"
    assert extraction(crash_demo_dir, reference).wait(timeout=300) == 0
    complete = table_counts(reference)

    # Kill at several points of one extraction; each time every table must hold
    # either nothing or all of its rows, never part of a load.
    database = tmp_path / "warehouse.duckdb"
    for delay_seconds in (2.5, 4.0, 5.5):
        process = extraction(crash_demo_dir, database)
        time.sleep(delay_seconds)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)

        counts = table_counts(database)
        for table in RAW_TABLES:
            assert counts[table] in (0, complete[table]), f"{table}: {counts[table]} rows after SIGKILL"

    assert extraction(crash_demo_dir, database).wait(timeout=300) == 0
    assert table_counts(database) == complete
