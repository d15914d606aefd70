"""A run killed with SIGKILL mid-extraction or mid-training leaves the warehouse and the artifacts consistent."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, DagsterRunStatus, materialize

from moment_pipelines.assets.like_count import like_count_evaluation
from moment_pipelines.assets.like_count.model import MODEL_ASSET
from moment_pipelines.demo import generate
from moment_pipelines.recovery import find_orphaned_runs
from moment_pipelines.resources import ArtifactStore, ExportDirSource, Warehouse
from moment_pipelines.resources.artifacts import file_sha256

PROJECT_INSTANCE_YAML = Path(__file__).resolve().parents[1] / ".dagster_home" / "dagster.yaml"

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


# The training run that gets killed: enough epochs, and patience to match, that it
# is still training when the kill arrives. Batches of 16 rows keep each epoch busy.
KILLED_TRAINING_CONFIG = {"epochs": 5_000, "patience": 5_000, "batch_size": 16}
GOOD_TRAINING_CONFIG = {"epochs": 3}
EPOCH_LOG_MARKER = "第 1/"  # like_count_model logs "第 <epoch>/<epochs> 轮：训练损失 …" after every epoch
TRAINING_START_TIMEOUT_SECONDS = 180
RUN_TIMEOUT_SECONDS = 300

TRAINING_SCRIPT = textwrap.dedent(
    """
    import json
    import sys
    from dagster import DagsterInstance, materialize
    from moment_pipelines.assets.like_count import like_count_model
    from moment_pipelines.resources import ArtifactStore, Warehouse

    database, artifacts_root, model_config = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with DagsterInstance.get() as instance:
        result = materialize(
            [like_count_model],
            instance=instance,
            resources={"warehouse": Warehouse(database=database), "artifacts": ArtifactStore(root=artifacts_root)},
            run_config={"ops": {"like_count_model": {"config": model_config}}},
        )
    sys.exit(0 if result.success else 1)
    """
)


@dataclass
class TrainingWorkspace:
    """A Dagster instance, warehouse and artifact store on disk, shared by the test and its subprocesses."""

    dagster_home: Path
    warehouse: Warehouse
    artifacts: ArtifactStore

    def resources(self) -> dict:
        return {"warehouse": self.warehouse, "artifacts": self.artifacts}

    def training(self, model_config: dict) -> subprocess.Popen:
        environment = {**os.environ, "DAGSTER_HOME": str(self.dagster_home)}
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                TRAINING_SCRIPT,
                self.warehouse.database,
                self.artifacts.root,
                json.dumps(model_config),
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def warehouse_row_counts(database: str) -> dict[str, int]:
    """Open the warehouse read-only and return the row count of every table."""
    con = duckdb.connect(database, read_only=True)
    try:
        tables = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {table: con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in sorted(tables)}
    finally:
        con.close()


def latest_model(instance: DagsterInstance) -> tuple[str, Path, str]:
    """Return run id, model path and sha256 of the newest like_count_model materialization."""
    event = instance.get_latest_materialization_event(AssetKey(MODEL_ASSET))
    assert event is not None and event.asset_materialization is not None
    metadata = event.asset_materialization.metadata
    return event.run_id, Path(metadata["model_path"].value), metadata["model_sha256"].value


def wait_for_epoch_log(instance: DagsterInstance, earlier_runs: set[str], process: subprocess.Popen) -> str:
    """Poll the event log until the new run logs its first epoch and return the run id."""
    deadline = time.monotonic() + TRAINING_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the training subprocess exited with {process.returncode} before its first epoch"
        new_runs = [run.run_id for run in instance.get_runs(limit=5) if run.run_id not in earlier_runs]
        for run_id in new_runs:
            if any(EPOCH_LOG_MARKER in (entry.user_message or "") for entry in instance.all_logs(run_id)):
                return run_id
        time.sleep(0.2)
    raise AssertionError(f"no epoch log line within {TRAINING_START_TIMEOUT_SECONDS} s")


@pytest.fixture
def training_workspace(small_demo_dir, tmp_path) -> Iterator[tuple[TrainingWorkspace, DagsterInstance]]:
    """Scenario 1 materialized once through like_count_model, in an instance with the project's pool limits."""
    from moment_pipelines.assets import all_assets

    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_INSTANCE_YAML, dagster_home / "dagster.yaml")
    workspace = TrainingWorkspace(
        dagster_home=dagster_home,
        warehouse=Warehouse(database=str(tmp_path / "warehouse.duckdb")),
        artifacts=ArtifactStore(root=str(tmp_path / "artifacts")),
    )
    selected = AssetSelection.assets(MODEL_ASSET).upstream().resolve(all_assets)
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        result = materialize(
            [asset for asset in all_assets if asset.keys & selected],
            instance=instance,
            resources={
                "source": ExportDirSource(export_dir=str(small_demo_dir)),
                "warehouse": workspace.warehouse,
                "artifacts": workspace.artifacts,
            },
            run_config={"ops": {MODEL_ASSET: {"config": GOOD_TRAINING_CONFIG}}},
        )
        assert result.success
        yield workspace, instance


def test_sigkill_mid_training_keeps_last_model(training_workspace):
    workspace, instance = training_workspace
    good_run_id, good_path, good_sha256 = latest_model(instance)
    good_bytes = good_path.read_bytes()
    counts_before = warehouse_row_counts(workspace.warehouse.database)

    earlier_runs = {run.run_id for run in instance.get_runs()}
    process = workspace.training(KILLED_TRAINING_CONFIG)
    try:
        killed_run_id = wait_for_epoch_log(instance, earlier_runs, process)
        assert killed_run_id not in dict(find_orphaned_runs(instance)), "a run that is still training counts as orphaned"
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    # The last good model is untouched and is still the one its lineage points to.
    assert good_path.read_bytes() == good_bytes
    assert file_sha256(good_path) == good_sha256
    assert latest_model(instance) == (good_run_id, good_path, good_sha256)

    # The killed run published nothing: no file under a final name in its folder.
    killed_dir = Path(workspace.artifacts.root) / MODEL_ASSET / killed_run_id
    published = [path.name for path in killed_dir.glob("*") if not path.name.startswith(".")] if killed_dir.exists() else []
    assert published == [], f"the killed run left {published} in {killed_dir}"

    # The warehouse opens and lost no rows.
    assert warehouse_row_counts(workspace.warehouse.database) == counts_before

    # The killed run still claims its duckdb_warehouse slot, so the next run would wait
    # for it forever. The recovery command marks the run failed and frees the slot.
    assert instance.get_run_by_id(killed_run_id).status == DagsterRunStatus.STARTED
    assert killed_run_id in instance.event_log_storage.get_concurrency_run_ids()
    recovery = subprocess.run(
        [sys.executable, "-m", "moment_pipelines.recovery"],
        env={**os.environ, "DAGSTER_HOME": str(workspace.dagster_home)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    assert recovery.returncode == 0, recovery.stderr
    assert killed_run_id in recovery.stdout
    assert instance.get_run_by_id(killed_run_id).status == DagsterRunStatus.FAILURE
    assert killed_run_id not in instance.event_log_storage.get_concurrency_run_ids()

    # Evaluation, downstream of the model, loads the model that its lineage records.
    evaluation = materialize([like_count_evaluation], instance=instance, resources=workspace.resources())
    assert evaluation.success
    (materialization,) = evaluation.asset_materializations_for_node(like_count_evaluation.op.name)
    assert materialization.metadata["evaluated_model_run_id"].value == good_run_id
    assert materialization.metadata["evaluated_model_sha256"].value == good_sha256

    # The next run trains and publishes a new model.
    next_run = workspace.training(GOOD_TRAINING_CONFIG)
    try:
        assert next_run.wait(timeout=RUN_TIMEOUT_SECONDS) == 0
    finally:
        if next_run.poll() is None:
            os.kill(next_run.pid, signal.SIGKILL)
            next_run.wait(timeout=60)
    next_run_id, next_path, next_sha256 = latest_model(instance)
    assert next_run_id not in (good_run_id, killed_run_id)
    assert file_sha256(next_path) == next_sha256
    assert good_path.read_bytes() == good_bytes
