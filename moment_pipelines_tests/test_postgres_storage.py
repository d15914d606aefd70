"""Dagster instance storage in PostgreSQL: deploy/postgres/dagster.yaml against a private server.

The test starts its own cluster from the local PostgreSQL installation
(initdb and pg_ctl, found on PATH or under /usr/lib/postgresql/*/bin) on
127.0.0.1 at a free port, with its data directory in a temporary directory,
and stops it afterwards. It skips when those programs are missing. As root it
runs them as the `postgres` user through runuser, because initdb and the
server exit with an error when started by root.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus

REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_DAGSTER_YAML = REPO_ROOT / "deploy" / "postgres" / "dagster.yaml"
DAGSTER_CLI = Path(sys.executable).parent / "dagster"

DATABASE = "dagster"
ROLE = "dagster"
PASSWORD = "local-test-password"
# stg_likes and its ancestors: raw_moments and raw_likes are ready at the same time and
# compete for the duckdb_warehouse pool. Every step is a process that imports the
# whole code location, so the selection stays small.
SELECTION = "*stg_likes"
SELECTED_ASSETS = ("raw_moments", "raw_likes", "stg_moments", "stg_likes")
WAREHOUSE_POOL = "duckdb_warehouse"
START_TIMEOUT_SECONDS = 60
JOB_TIMEOUT_SECONDS = 300

pytestmark = pytest.mark.postgres


@dataclass
class PostgresServer:
    port: int
    bin_dir: Path

    def environment(self) -> dict[str, str]:
        """Return the DAGSTER_PG_* variables that deploy/postgres/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": ROLE,
            "DAGSTER_PG_PASSWORD": PASSWORD,
            "DAGSTER_PG_DB": DATABASE,
        }


def find_postgres_bin_dir() -> Path | None:
    """Return the directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += [Path(path) for path in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    """Prefix `command` with runuser when running as root, so the server programs run as `postgres`."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], timeout: float) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {completed.returncode}:\n{completed.stderr}")


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster on 127.0.0.1 with a password-protected `dagster` role and database."""
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL (initdb, pg_ctl) not found; install it with apt-get install -y postgresql")
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run the server as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser is not available to switch to the postgres user")

    # Not under pytest's tmp_path: its parents are private to the current user.
    root = Path(tempfile.mkdtemp(prefix="moments-postgres-"))
    data_dir = root / "data"
    password_file = root / "password"
    password_file.write_text(PASSWORD, encoding="utf-8")
    if os.geteuid() == 0:
        for path in (root, password_file):
            os.chown(path, server_user.pw_uid, server_user.pw_gid)

    port = free_port()
    started = False
    try:
        _run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "--pgdata", str(data_dir),
                    "--username", ROLE,
                    "--pwfile", str(password_file),
                    "--auth-host", "scram-sha-256",
                    "--auth-local", "trust",
                    "--encoding", "UTF8",
                    "--locale", "C",
                ]
            ),
            timeout=START_TIMEOUT_SECONDS,
        )
        server_options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root}"
        _run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "--pgdata", str(data_dir),
                    "--options", server_options,
                    "--log", str(root / "server.log"),
                    "--wait",
                    "--timeout", str(START_TIMEOUT_SECONDS),
                    "start",
                ]
            ),
            timeout=START_TIMEOUT_SECONDS + 10,
        )
        started = True
        _run(
            _as_server_user([str(bin_dir / "createdb"), "--host", str(root), "--port", str(port), "--username", ROLE, DATABASE]),
            timeout=START_TIMEOUT_SECONDS,
        )
        yield PostgresServer(port=port, bin_dir=bin_dir)
    finally:
        if started:
            stop = _as_server_user([str(bin_dir / "pg_ctl"), "--pgdata", str(data_dir), "--mode", "fast", "--wait", "stop"])
            subprocess.run(stop, capture_output=True, timeout=START_TIMEOUT_SECONDS)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def staged_on_postgres(postgres_server, small_demo_dir, tmp_path_factory) -> Iterator[tuple[Path, subprocess.CompletedProcess]]:
    """Run part of main_job through `dagster job execute` (multiprocess executor) with the Postgres dagster.yaml."""
    work = tmp_path_factory.mktemp("postgres_storage")
    dagster_home = work / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(POSTGRES_DAGSTER_YAML, dagster_home / "dagster.yaml")
    environment = {
        **os.environ,
        **postgres_server.environment(),
        "DAGSTER_HOME": str(dagster_home),
        "MOMENTS_EXPORT_DIR": str(small_demo_dir),
        "MOMENTS_WAREHOUSE": str(work / "warehouse.duckdb"),
        "MOMENTS_ARTIFACTS_DIR": str(work / "artifacts"),
    }
    completed = subprocess.run(
        [str(DAGSTER_CLI), "job", "execute", "-m", "moment_pipelines", "-a", "defs", "-j", "main_job", "-o", SELECTION],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_SECONDS,
    )
    yield dagster_home, completed


@pytest.fixture
def instance(staged_on_postgres, postgres_server, monkeypatch) -> Iterator[DagsterInstance]:
    dagster_home, _ = staged_on_postgres
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    for name, value in postgres_server.environment().items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.get() as loaded:
        yield loaded


def test_job_succeeds(staged_on_postgres):
    _, completed = staged_on_postgres
    assert completed.returncode == 0, completed.stderr[-4000:]


def test_instance_uses_postgres(instance):
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"


def test_run_stored_in_postgres(instance):
    statuses = [run.status for run in instance.get_runs()]
    assert statuses == [DagsterRunStatus.SUCCESS]


def test_materializations_stored(instance):
    missing = [name for name in SELECTED_ASSETS if instance.get_latest_materialization_event(AssetKey(name)) is None]
    assert missing == []


def test_pool_steps_never_overlap(instance):
    (run,) = instance.get_runs()
    started, finished = {}, {}
    for entry in instance.all_logs(run.run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS}):
        times = started if entry.dagster_event.event_type == DagsterEventType.STEP_START else finished
        times[entry.step_key] = entry.timestamp
    intervals = sorted((started[step], finished[step], step) for step in started)
    overlapping = [
        (earlier[2], later[2]) for earlier, later in zip(intervals, intervals[1:]) if later[0] < earlier[1]
    ]
    assert overlapping == []


def test_no_sqlite_files(staged_on_postgres):
    dagster_home, _ = staged_on_postgres
    sqlite_files = sorted(str(path.relative_to(dagster_home)) for path in dagster_home.rglob("*.db"))
    assert sqlite_files == []


def test_pool_slots_in_postgres(instance):
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
