"""main_job under the multiprocess executor, five runs in a row, with the instance settings the project ships.

Each run is `dagster job execute` in a subprocess, as `make run` starts it,
against one DAGSTER_HOME that contains a copy of .dagster_home/dagster.yaml.
Steps run in parallel, so only the duckdb_warehouse pool keeps two steps
from opening the DuckDB file at once. After every run the test reads the
run's events from the instance. It checks that the run succeeded and that no
event mentions a DuckDB lock error. It also checks that two steps were in
flight at the same time, but never two warehouse steps.
"""

import itertools
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from moment_pipelines.resources import WAREHOUSE_POOL
from moment_pipelines_tests.small_job_config import SMALL_DEMO_MOMENTS, SMALL_TRAINING_OPS_CONFIG

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_INSTANCE_YAML = REPO_ROOT / ".dagster_home" / "dagster.yaml"
POSTGRES_INSTANCE_YAML = REPO_ROOT / "deploy" / "postgres" / "dagster.yaml"
DAGSTER_CLI = Path(sys.executable).parent / "dagster"

RUNS = 5
MAX_CONCURRENT = 2
RUN_TIMEOUT_SECONDS = 900

# DuckDB's messages when a second process opens a file that another one writes,
# and the warning the Warehouse resource logs before it retries such a connection.
LOCK_ERRORS = ("Could not set lock on file", "Conflicting lock", "被其他进程锁定")
POOL_BLOCKED = f"blocked by limit for pool {WAREHOUSE_POOL}"

# Environment variables that would point the job at data outside the test's directory.
OUTSIDE_VARIABLES = (
    "MOMENTS_MONGO_URI",
    "MOMENTS_MONGO_DB",
    "MOMENTS_IMAGE_MIRROR_DIR",
    "MOMENTS_IMAGE_HTTP",
    "MOMENTS_PRETRAINED_MODEL_DIR",
)

# Each step process forks from a server that has already imported the code location.
# Importing torch, torchvision and torch-geometric afresh in every step process would
# make the runs several times slower.
RUN_CONFIG = {
    "execution": {
        "config": {
            "multiprocess": {
                "max_concurrent": MAX_CONCURRENT,
                "start_method": {"forkserver": {"preload_modules": ["moment_pipelines.definitions"]}},
            }
        }
    },
    "ops": SMALL_TRAINING_OPS_CONFIG,
}


@dataclass
class StepSpan:
    """One step of a run, from the executor launching its process to its success or failure event."""

    step_key: str
    launched: float  # STEP_WORKER_STARTING: the executor starts the step's process
    started: float  # STEP_START
    ended: float  # STEP_SUCCESS or STEP_FAILURE


@dataclass
class RunRecord:
    run_id: str
    status: DagsterRunStatus
    wall_seconds: float
    steps: dict[str, StepSpan]
    lock_errors: list[str]
    pool_blocked_events: int


def read_run(instance: DagsterInstance, run_id: str, wall_seconds: float, output: str) -> RunRecord:
    """Collect step spans, lock error texts and pool-blocked events of one run from the event log."""
    launched: dict[str, float] = {}
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    lock_errors = [line for line in output.splitlines() if any(error in line for error in LOCK_ERRORS)]
    pool_blocked = 0

    for entry in instance.all_logs(run_id):
        # The whole entry, so that error messages and stack traces of failed steps count too.
        text = str(entry)
        if any(error in text for error in LOCK_ERRORS):
            lock_errors.append(entry.user_message or text[:300])
        if POOL_BLOCKED in (entry.user_message or ""):
            pool_blocked += 1
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_WORKER_STARTING:
            launched[entry.step_key] = entry.timestamp
        elif event.event_type == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ended[entry.step_key] = entry.timestamp

    steps = {
        key: StepSpan(key, launched.get(key, started[key]), started[key], ended[key])
        for key in started
        if key in ended
    }
    return RunRecord(
        run_id=run_id,
        status=instance.get_run_by_id(run_id).status,
        wall_seconds=wall_seconds,
        steps=steps,
        lock_errors=lock_errors,
        pool_blocked_events=pool_blocked,
    )


def overlapping_pairs(spans: list[StepSpan], start: str) -> list[tuple[str, str, float]]:
    """Return (step, step, seconds) for every pair whose [start, ended] intervals overlap."""
    pairs = []
    for first, second in itertools.combinations(spans, 2):
        overlap = min(first.ended, second.ended) - max(getattr(first, start), getattr(second, start))
        if overlap > 0:
            pairs.append((first.step_key, second.step_key, overlap))
    return pairs


@pytest.fixture(scope="module")
def job_home(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A DAGSTER_HOME with the project's dagster.yaml, a small demo export and the environment for the job."""
    from moment_pipelines.demo import generate

    work_dir = tmp_path_factory.mktemp("concurrency")
    dagster_home = work_dir / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_INSTANCE_YAML, dagster_home / "dagster.yaml")
    export_dir = work_dir / "demo"
    generate(export_dir, n_moments=SMALL_DEMO_MOMENTS, seed=7, show_progress=False)
    config_path = work_dir / "run_config.yaml"
    config_path.write_text(yaml.safe_dump(RUN_CONFIG), encoding="utf-8")

    environment = {key: value for key, value in os.environ.items() if key not in OUTSIDE_VARIABLES}
    environment.update(
        {
            "DAGSTER_HOME": str(dagster_home),
            "MOMENTS_EXPORT_DIR": str(export_dir),
            "MOMENTS_WAREHOUSE": str(work_dir / "warehouse.duckdb"),
            "MOMENTS_ARTIFACTS_DIR": str(work_dir / "artifacts"),
            "MOMENTS_IMAGE_CACHE_DIR": str(work_dir / "image_cache"),
            "MOMENTS_RUN_CONFIG": str(config_path),
        }
    )
    return dagster_home, environment


@pytest.mark.parametrize("path", [PROJECT_INSTANCE_YAML, POSTGRES_INSTANCE_YAML], ids=["sqlite", "postgres"])
def test_instance_limits_warehouse_pool(path):
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    pools = settings["concurrency"]["pools"]
    assert pools["default_limit"] == 1
    # A limit set for the pool by name would override the default.
    assert WAREHOUSE_POOL not in pools.get("limits", {}), pools


def warehouse_step_keys() -> set[str]:
    """Return the step keys of main_job that declare the duckdb_warehouse pool."""
    from moment_pipelines.definitions import defs

    job = defs.resolve_job_def("main_job")
    return {node.name for node in job.graph.node_defs if node.pool == WAREHOUSE_POOL}


def test_main_job_runs_without_lock_errors(job_home):
    dagster_home, environment = job_home
    warehouse_steps = warehouse_step_keys()
    assert len(warehouse_steps) > 20
    command = [
        str(DAGSTER_CLI),
        *("job", "execute", "-m", "moment_pipelines", "-a", "defs", "-j", "main_job"),
        *("-c", environment["MOMENTS_RUN_CONFIG"]),
    ]

    records = []
    for attempt in range(1, RUNS + 1):
        with DagsterInstance.from_config(str(dagster_home)) as instance:
            earlier_runs = {run.run_id for run in instance.get_runs()}

        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS
        )
        wall_seconds = time.perf_counter() - started

        with DagsterInstance.from_config(str(dagster_home)) as instance:
            (run_id,) = [run.run_id for run in instance.get_runs() if run.run_id not in earlier_runs]
            record = read_run(instance, run_id, wall_seconds, completed.stdout + completed.stderr)
        records.append(record)
        in_flight = overlapping_pairs(list(record.steps.values()), "launched")
        print(
            f"run {attempt}/{RUNS} {record.run_id}: {record.status.value}, {record.wall_seconds:.1f} s, "
            f"{len(record.steps)} steps, {len(record.lock_errors)} lock errors, "
            f"{record.pool_blocked_events} pool-blocked events, {len(in_flight)} overlapping step pairs: "
            + ", ".join(f"{first} + {second} ({seconds:.1f} s)" for first, second, seconds in in_flight)
        )

        assert completed.returncode == 0, completed.stderr[-3000:]
        assert record.status == DagsterRunStatus.SUCCESS
        assert record.lock_errors == []

        # Every step of the job ran: nothing was skipped because an earlier run had done it.
        assert len(record.steps) == len(records[0].steps)

        # At least two steps were in flight at once: the multiprocess executor launched
        # one step while another was still running.
        assert in_flight, "no two steps overlapped, so the run was effectively serial"

        # The pool turned away warehouse steps while another warehouse step held the slot,
        # and no two warehouse steps ever ran at the same time.
        assert record.pool_blocked_events > 0
        assert warehouse_steps <= set(record.steps)
        warehouse_spans = [record.steps[key] for key in warehouse_steps]
        assert overlapping_pairs(warehouse_spans, "started") == []

    lock_error_total = sum(len(record.lock_errors) for record in records)
    print(f"{RUNS} runs, {lock_error_total} lock errors, wall seconds {[round(r.wall_seconds, 1) for r in records]}")
