"""Release runs whose process died before it could end them, and the pool slots they hold.

A run whose process is killed (SIGKILL, the out-of-memory killer, a power
loss) never records its end. The run stays STARTED and keeps its
duckdb_warehouse pool slot, and with the pool limited to one slot every
later warehouse step waits forever ("Step blocked by limit for pool").
In Dagster 1.13 the daemon frees only the slots of runs that ended, and the
default run launcher cannot check whether a run's process is still alive.

`release_orphaned_runs` marks such runs failed and frees their slots, and
frees the slots still claimed by runs that already ended. It decides whether
a run is alive from the id of the process that started it. That id means
something only when every run ran on this machine, so it accepts only
instances with SQLite run storage. `python -m moment_pipelines.recovery`
runs it on the instance that DAGSTER_HOME names, and `make run` calls it
before each run.
"""

import argparse
import sys
from dataclasses import dataclass

import psutil
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.runs.sqlite import SqliteRunStorage

UNFINISHED_STATUSES = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]

# Process creation times and event timestamps come from different clocks. A process
# created up to this many seconds after the run started still counts as the run's own.
_CLOCK_SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class ReleasedRun:
    run_id: str
    job_name: str
    pid: int | None  # process that started the run; None when the run had already ended
    marked_failed: bool  # False when the run had ended and only its slots were freed


def _require_local_storage(instance: DagsterInstance) -> None:
    if not isinstance(instance.run_storage, SqliteRunStorage):
        raise ValueError(
            f"实例的 run 存储是 {type(instance.run_storage).__name__}，不是 SQLite：run 可能在别的机器上运行，"
            "无法按进程号判断它是否还活着。请在 Dagster UI 的 run 页面强制终止该 run，并由 daemon 释放 pool 名额"
            "（见 deploy/postgres/dagster.yaml 的 run_monitoring）。"
        )


def _process_alive(pid: int, started_at: float) -> bool:
    """Return True when `pid` is a live process created no later than `started_at`.

    A process created later reuses the id of the dead one.
    """
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= started_at + _CLOCK_SLACK_SECONDS
    except psutil.NoSuchProcess:
        return False


def _run_process(instance: DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """Return the pid and time of the RUN_START event of a run, or None when the run has not started."""
    records = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
    if not records or records[0].dagster_event is None or records[0].dagster_event.pid is None:
        return None
    return records[0].dagster_event.pid, records[0].timestamp


def find_orphaned_runs(instance: DagsterInstance) -> list[tuple[str, int]]:
    """Return (run id, pid) of every unfinished run whose starting process no longer exists."""
    _require_local_storage(instance)
    orphaned = []
    for run in instance.get_runs(filters=RunsFilter(statuses=UNFINISHED_STATUSES)):
        started = _run_process(instance, run.run_id)
        if started is None:
            # A launched run that has not started yet has no process to check.
            continue
        pid, started_at = started
        if not _process_alive(pid, started_at):
            orphaned.append((run.run_id, pid))
    return orphaned


def release_orphaned_runs(instance: DagsterInstance) -> list[ReleasedRun]:
    """Mark orphaned runs failed and free the pool slots of every run that is no longer running."""
    released = []
    for run_id, pid in find_orphaned_runs(instance):
        run = instance.get_run_by_id(run_id)
        instance.report_run_failed(
            run, message=f"启动该 run 的进程（pid {pid}）已不存在，run 没有正常结束；已标记为失败并释放它占用的 pool 名额"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        released.append(ReleasedRun(run_id=run_id, job_name=run.job_name, pid=pid, marked_failed=True))

    for run_id in sorted(instance.event_log_storage.get_concurrency_run_ids()):
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        job_name = run.job_name if run is not None else "（run 记录已删除）"
        released.append(ReleasedRun(run_id=run_id, job_name=job_name, pid=None, marked_failed=False))
    return released


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m moment_pipelines.recovery",
        description="找出进程已经不存在却仍处于运行状态的 run（例如被 kill -9），把它们标记为失败，"
        "并释放它们占用的 duckdb_warehouse pool 名额，让后续 run 不再一直等待。读取 DAGSTER_HOME 指向的实例，"
        "只支持 SQLite 存储（所有 run 都在本机运行）。",
    )
    parser.parse_args()

    with DagsterInstance.get() as instance:
        try:
            released = release_orphaned_runs(instance)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 1

    if not released:
        print("没有需要释放的 run：没有进程已退出却未结束的 run，也没有被已结束的 run 占用的 pool 名额")
    for run in released:
        if run.marked_failed:
            print(f"run {run.run_id}（{run.job_name}）：进程 {run.pid} 已不存在，已标记为失败并释放 pool 名额")
        else:
            print(f"run {run.run_id}（{run.job_name}）已结束，已释放它仍占用的 pool 名额")
    return 0


if __name__ == "__main__":
    sys.exit(main())
