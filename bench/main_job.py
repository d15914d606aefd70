"""Benchmark: main_job on the demo export, then a daily incremental extraction after one more day of data.

1. Copies the export directory into a work directory, so the source is never
   changed, and creates a DAGSTER_HOME there holding the project's
   .dagster_home/dagster.yaml (SQLite storage, duckdb_warehouse pool limited
   to one step).
2. Runs `dagster job execute -m moment_pipelines -a defs -j main_job` as a
   subprocess with MOMENTS_EXPORT_DIR, MOMENTS_WAREHOUSE and
   MOMENTS_ARTIFACTS_DIR pointing into the work directory. Wall time is
   measured around the subprocess. Peak memory is the largest sum of
   proportional set sizes (PSS, from /proc/<pid>/smaps_rollup) over the
   process tree, sampled every 0.5 s. PSS splits a page shared by several
   processes among them, so the step processes forked from the forkserver do
   not count its libraries again. The largest resident set size (RSS) of a
   single process is reported too.
3. Reads the run's event log: seconds from STEP_START to STEP_SUCCESS (or
   STEP_FAILURE) per step, training throughput from each model's
   materialization metadata, and every number that each evaluation asset
   recorded.
4. Appends one more day of documents to the copied export (the last day's
   moments, with their likes and comments, moved 24 hours later under new
   ids) and runs the raw assets again through daily_retraining_job, which
   extracts incrementally from the watermark. With --daily-job the whole
   daily_retraining_job runs instead.

When a signal from outside interrupts a run (on a shared machine), the steps
that did not succeed run again in a new run, up to --max-attempts runs, and
the report says how many runs it took.

Usage:
    .venv/bin/python bench/main_job.py --export-dir /tmp/demo100k
    .venv/bin/python bench/main_job.py --export-dir /tmp/demo100k --work-dir /tmp/bench-main --keep
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import bson.json_util
import psutil
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import print_description  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_INSTANCE_YAML = REPO_ROOT / ".dagster_home" / "dagster.yaml"
DAGSTER_CLI = Path(sys.executable).parent / "dagster"
COLLECTIONS = ("moments", "likes", "comments")
RAW_STEPS = ("raw_moments", "raw_likes", "raw_comments")

WALL_TARGET_MINUTES = 15
MEMORY_TARGET_GIB = 4
SAMPLE_INTERVAL_SECONDS = 0.5
PROGRESS_INTERVAL_SECONDS = 10
ONE_DAY = timedelta(days=1)
INTERRUPTED_ERROR = "DagsterExecutionInterruptedError"

# Scenario groups in the order of the README; a group with no evaluation asset is "not built yet".
SCENARIOS = (
    ("1", "热度预测", "like_count"),
    ("2", "点赞行为预测", "like_behavior"),
    ("3", "评论生成", "comment_generation"),
    ("4", "图文动态分类", "moment_type"),
    ("5", "基于位置的推荐", "recommendation"),
)

_RELAXED = bson.json_util.JSONOptions(
    json_mode=bson.json_util.JSONMode.RELAXED, tz_aware=True, tzinfo=bson.json_util.utc
)


@dataclass
class JobRun:
    """One `dagster job execute` subprocess and what the instance recorded for it."""

    run_id: str
    status: str
    wall_seconds: float
    peak_tree_pss: int  # bytes, PSS summed over the process tree
    peak_process_rss: int  # bytes, the largest single process
    step_peak_rss: dict[str, int] = field(default_factory=dict)  # bytes, the largest RSS of each step's process
    step_seconds: dict[str, float] = field(default_factory=dict)  # in step start order
    failed_steps: list[str] = field(default_factory=list)
    metadata: dict[str, dict] = field(default_factory=dict)  # plain metadata values per asset materialized in the run
    succeeded_steps: set[str] = field(default_factory=set)
    interrupted: bool = False  # a SIGINT or SIGTERM from outside stopped the run, rather than an error in a step
    attempts: int = 1  # runs it took, counting re-runs of the steps an interruption stopped


def prepare_dagster_home(work_dir: Path) -> Path:
    dagster_home = work_dir / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_INSTANCE_YAML, dagster_home / "dagster.yaml")
    return dagster_home


def job_environment(dagster_home: Path, export_dir: Path, work_dir: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MOMENTS_MONGO")}
    environment.update(
        {
            "DAGSTER_HOME": str(dagster_home),
            "MOMENTS_EXPORT_DIR": str(export_dir),
            "MOMENTS_WAREHOUSE": str(work_dir / "warehouse.duckdb"),
            "MOMENTS_ARTIFACTS_DIR": str(work_dir / "artifacts"),
        }
    )
    return environment


def _proportional_set_size(process: psutil.Process) -> int:
    """Return the PSS of `process` in bytes, or its RSS where smaps_rollup cannot be read."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return process.memory_info().rss


def _tree_memory(root: psutil.Process) -> tuple[int, dict[int, int]]:
    """Return the summed PSS of `root` and all its descendants, and the RSS of each of them by process id."""
    proportional = []
    resident = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            proportional.append(_proportional_set_size(process))
            resident[process.pid] = process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return sum(proportional), resident


def _finished_steps(instance: DagsterInstance, earlier_runs: set[str]) -> int:
    """Count STEP_SUCCESS and STEP_FAILURE events of the newest run that is not in `earlier_runs`."""
    runs = [run for run in instance.get_runs(limit=1) if run.run_id not in earlier_runs]
    if not runs:
        return 0
    finished = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    return len(instance.all_logs(runs[0].run_id, of_type=finished))


def execute_job(
    instance: DagsterInstance,
    job: str,
    op_selection: str | None,
    environment: dict[str, str],
    log_path: Path,
    step_count: int,
    timeout_minutes: float,
) -> tuple[float, int, dict[int, int], int]:
    """Run `dagster job execute` and return (wall seconds, peak tree PSS, peak RSS by process id, exit code)."""
    command = [str(DAGSTER_CLI), "job", "execute", "-m", "moment_pipelines", "-a", "defs", "-j", job]
    if op_selection:
        command += ["-o", op_selection]

    earlier_runs = {run.run_id for run in instance.get_runs()}
    peak_tree = 0
    peak_by_process: dict[int, int] = {}
    last_progress = 0.0
    started = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        root = psutil.Process(process.pid)
        with tqdm(total=step_count, desc=job, unit="步") as progress:
            while process.poll() is None:
                if time.perf_counter() - started > timeout_minutes * 60:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    print(f"\n{job} 超过 {timeout_minutes} 分钟仍未结束，已终止；下面只列出已完成的步骤。日志见 {log_path}")
                    break
                tree, resident = _tree_memory(root)
                peak_tree = max(peak_tree, tree)
                for pid, rss in resident.items():
                    peak_by_process[pid] = max(peak_by_process.get(pid, 0), rss)
                if time.perf_counter() - last_progress > PROGRESS_INTERVAL_SECONDS:
                    progress.update(_finished_steps(instance, earlier_runs) - progress.n)
                    last_progress = time.perf_counter()
                time.sleep(SAMPLE_INTERVAL_SECONDS)
            progress.update(_finished_steps(instance, earlier_runs) - progress.n)
    return time.perf_counter() - started, peak_tree, peak_by_process, process.returncode


def import_seconds(environment: dict[str, str], repeats: int = 3) -> float:
    """Return the median wall time of a new Python process that imports the code location, as each step process does."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import moment_pipelines.definitions"],
            cwd=REPO_ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
        seconds.append(time.perf_counter() - started)
    return sorted(seconds)[len(seconds) // 2]


def read_run(instance: DagsterInstance, wall_seconds: float, peak_tree: int, peak_by_process: dict[int, int]) -> JobRun:
    """Build a JobRun from the newest run in `instance` and its STEP_START / STEP_SUCCESS / STEP_FAILURE events.

    STEP_START is written by the step's own process, so its process id ties
    the sampled memory to the step.
    """
    (run,) = instance.get_runs(limit=1)
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    failed = []
    succeeded = set()
    interrupted = False
    step_peak_rss: dict[str, int] = {}
    step_events = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    for entry in instance.all_logs(run.run_id, of_type=step_events):
        event_type = entry.dagster_event.event_type
        if event_type == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
            pid = entry.dagster_event.pid
            if pid in peak_by_process:
                step_peak_rss[entry.step_key] = peak_by_process[pid]
            continue
        ended[entry.step_key] = entry.timestamp
        if event_type == DagsterEventType.STEP_SUCCESS:
            succeeded.add(entry.step_key)
            continue
        failed.append(entry.step_key)
        error = entry.dagster_event.step_failure_data.error
        interrupted |= error is not None and error.cls_name == INTERRUPTED_ERROR

    step_seconds = {
        step: ended[step] - started[step] for step in sorted(started, key=started.get) if step in ended
    }
    metadata = {}
    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        metadata[materialization.asset_key.to_user_string()] = {
            key: getattr(value, "value", value) for key, value in materialization.metadata.items()
        }
    return JobRun(
        run_id=run.run_id,
        status=run.status.value,
        wall_seconds=wall_seconds,
        peak_tree_pss=peak_tree,
        peak_process_rss=max(peak_by_process.values(), default=0),
        step_peak_rss=step_peak_rss,
        step_seconds=step_seconds,
        failed_steps=failed,
        metadata=metadata,
        succeeded_steps=succeeded,
        interrupted=interrupted,
    )


def run_job(
    instance: DagsterInstance,
    job: str,
    op_selection: str | None,
    environment: dict[str, str],
    log_path: Path,
    step_count: int,
    timeout_minutes: float,
) -> JobRun:
    wall, peak_tree, peak_by_process, exit_code = execute_job(
        instance,
        job, op_selection, environment, log_path, step_count, timeout_minutes
    )
    result = read_run(instance, wall, peak_tree, peak_by_process)
    if exit_code != 0 or result.status != DagsterRunStatus.SUCCESS.value:
        print(f"{job}：退出码 {exit_code}，run 状态 {result.status}，失败的步骤 {result.failed_steps}；日志见 {log_path}")
    return result


def run_to_completion(
    instance: DagsterInstance,
    job: str,
    steps: set[str],
    environment: dict[str, str],
    log_prefix: Path,
    timeout_minutes: float,
    max_attempts: int,
    whole_job: bool,
) -> JobRun:
    """Run `steps` of `job`; after an interruption from outside, run the steps that did not succeed again.

    The result adds up the wall time of every attempt, keeps the peak memory
    of the worst one, and takes each step's time from the attempt in which
    it succeeded. A step that failed with an error of its own is not retried.
    """
    attempts: list[JobRun] = []
    remaining = set(steps)
    for attempt in range(1, max_attempts + 1):
        selection = None if whole_job and attempt == 1 else ",".join(sorted(remaining))
        log_path = log_prefix.with_name(f"{log_prefix.name}.{attempt}.log")
        run = run_job(instance, job, selection, environment, log_path, len(remaining), timeout_minutes)
        attempts.append(run)
        remaining -= run.succeeded_steps
        if not remaining or not run.interrupted:
            break
        # A run worker stopped by a signal can leave its pool slot claimed, and without
        # a daemon nothing frees it, so the next run would wait for the pool forever.
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        print(f"{job}：run {run.run_id} 被外部信号中断，重新运行尚未成功的 {len(remaining)} 个步骤（第 {attempt + 1} 次）")

    combined = JobRun(
        run_id=",".join(run.run_id for run in attempts),
        status=attempts[-1].status,
        wall_seconds=sum(run.wall_seconds for run in attempts),
        peak_tree_pss=max(run.peak_tree_pss for run in attempts),
        peak_process_rss=max(run.peak_process_rss for run in attempts),
        failed_steps=attempts[-1].failed_steps,
        interrupted=attempts[-1].interrupted,
        attempts=len(attempts),
    )
    for run in attempts:
        for step in run.succeeded_steps:
            combined.step_seconds[step] = run.step_seconds[step]
            if step in run.step_peak_rss:
                combined.step_peak_rss[step] = run.step_peak_rss[step]
            combined.metadata.update({step: run.metadata[step]} if step in run.metadata else {})
        combined.succeeded_steps |= run.succeeded_steps
    for step in attempts[-1].failed_steps:
        combined.step_seconds.setdefault(step, attempts[-1].step_seconds[step])
    return combined


def training_throughput(run: JobRun) -> list[tuple[str, int | None, int, float, float]]:
    """Return (asset, train rows, epochs, seconds, samples/s) for each step whose metadata records training_seconds.

    samples/s is rows_train × epochs_run / training_seconds. A model fitted in
    one pass records no epochs_run and counts as one epoch. An asset that
    records samples_per_second itself is reported with its own figure.
    """
    rows = []
    for step in run.step_seconds:
        metadata = run.metadata.get(step)
        if not metadata or "training_seconds" not in metadata:
            continue
        seconds = float(metadata["training_seconds"])
        train_rows = int(metadata["rows_train"]) if "rows_train" in metadata else None
        epochs = int(metadata.get("epochs_run") or 1)
        if "samples_per_second" in metadata:
            rate = float(metadata["samples_per_second"])
        else:
            rate = (train_rows or 0) * epochs / seconds if seconds > 0 else float("nan")
        rows.append((step, train_rows, epochs, seconds, rate))
    return rows


def evaluation_numbers(run: JobRun, asset_name: str) -> dict[str, float] | None:
    """Return every int or float that the evaluation asset recorded in this run, None when it did not materialize."""
    metadata = run.metadata.get(asset_name)
    if metadata is None:
        return None
    return {
        key: float(value)
        for key, value in metadata.items()
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and not key.startswith("dagster/")
        and not key.endswith("_size_bytes")
    }


def _shift_times(document: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if isinstance(document.get(name), datetime):
            document[name] += ONE_DAY


def append_next_day(export_dir: Path) -> dict[str, int]:
    """Append the last day's moments, likes and comments again, 24 hours later and under new ids.

    Likes and comments are copied when they belong to a copied moment, and
    point to its new id. Only JSON-lines exports (the demo's format) are
    supported. Returns the number of documents appended per collection.
    """
    documents = {}
    for name in COLLECTIONS:
        path = export_dir / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{export_dir} 中没有 {name}.json；追加一天数据只支持演示数据的 JSON lines 导出")
        with open(path, encoding="utf-8") as file:
            if file.read(1) != "{":
                raise ValueError(f"{path} 不是 JSON lines（每行一个文档），无法追加")
        with open(path, encoding="utf-8") as file:
            documents[name] = [bson.json_util.loads(line, json_options=_RELAXED) for line in file if line.strip()]

    last_time = max(moment["createTime"] for moment in documents["moments"])
    day = [moment for moment in documents["moments"] if moment["createTime"] > last_time - ONE_DAY]
    id_offset = {name: max(document["_id"] for document in documents[name]) + 1 for name in COLLECTIONS}
    first_id = min(moment["_id"] for moment in day)
    new_moment_id = {moment["_id"]: moment["_id"] - first_id + id_offset["moments"] for moment in day}

    appended = {"moments": [], "likes": [], "comments": []}
    for moment in day:
        moment["_id"] = new_moment_id[moment["_id"]]
        _shift_times(moment, ("createTime", "updateTime"))
        appended["moments"].append(moment)
    for name, time_fields in (("likes", ("actionTime",)), ("comments", ("publishTime", "updateTime"))):
        children = [document for document in documents[name] if document.get("momentId") in new_moment_id]
        first_child_id = min((document["_id"] for document in children), default=0)
        for document in children:
            document["_id"] = document["_id"] - first_child_id + id_offset[name]
            document["momentId"] = new_moment_id[document["momentId"]]
            _shift_times(document, time_fields)
            appended[name].append(document)

    for name, new_documents in appended.items():
        with open(export_dir / f"{name}.json", "a", encoding="utf-8") as file:
            for document in new_documents:
                file.write(bson.json_util.dumps(document, json_options=_RELAXED, ensure_ascii=False) + "\n")
    return {name: len(new_documents) for name, new_documents in appended.items()}


def gib(size: int) -> float:
    return size / 2**30


def print_job(title: str, run: JobRun) -> None:
    print(f"\n{title}：run {run.run_id}，状态 {run.status}")
    if run.attempts > 1:
        print(
            f"被外部信号中断后共运行了 {run.attempts} 次：墙钟时间是各次之和，"
            "含被中断时正在运行、随后重跑的步骤已花掉的时间"
        )
    print(
        f"墙钟时间 {run.wall_seconds / 60:.1f} 分钟（目标 {WALL_TARGET_MINUTES} 分钟以内），"
        f"进程树内存峰值（PSS 之和）{gib(run.peak_tree_pss):.2f} GiB（目标 {MEMORY_TARGET_GIB} GiB 以内），"
        f"单个进程 RSS 峰值 {gib(run.peak_process_rss):.2f} GiB"
    )
    total = sum(run.step_seconds.values())
    print(
        f"各步骤耗时之和 {total:.1f} 秒（{total / 60:.1f} 分钟）；"
        "其余是启动步骤进程和等待 duckdb_warehouse 池"
    )
    print("| 步骤（asset） | 秒 | 步骤进程 RSS 峰值 GiB |")
    print("|---|---|---|")
    for step, seconds in run.step_seconds.items():
        marker = "（失败）" if step in run.failed_steps else ""
        peak = f"{gib(run.step_peak_rss[step]):.2f}" if step in run.step_peak_rss else "—"
        print(f"| {step}{marker} | {seconds:.1f} | {peak} |")


def print_throughput(rows: list[tuple[str, int | None, int, float, float]]) -> None:
    print("\n训练吞吐量（样本数 × 轮数 ÷ 训练秒数，来自模型 asset 的物化 metadata）")
    print("| 模型 asset | 训练样本 | 轮数 | 训练秒数 | 样本/秒 |")
    print("|---|---|---|---|---|")
    for asset_name, train_rows, epochs, seconds, rate in rows:
        shown_rows = "—" if train_rows is None else f"{train_rows:,}"
        print(f"| {asset_name} | {shown_rows} | {epochs} | {seconds:.1f} | {rate:,.0f} |")


def print_quality(run: JobRun) -> dict:
    """Print each scenario's evaluation numbers, or that it is not built yet; return them for the JSON summary."""
    print("\n模型质量（评估 asset 的物化 metadata）")
    quality = {}
    for number, title, group in SCENARIOS:
        evaluations = [step for step in run.step_seconds if step.startswith(group) and step.endswith("_evaluation")]
        if not evaluations:
            print(f"场景 {number} {title}：尚未实现（本次 run 中没有 {group} 的评估 asset）")
            quality[group] = None
            continue
        for asset_name in evaluations:
            numbers = evaluation_numbers(run, asset_name)
            if numbers is None:
                print(f"场景 {number} {title}：{asset_name} 本次没有成功物化")
                quality[asset_name] = None
                continue
            print(f"场景 {number} {title}：{asset_name}")
            for key, value in numbers.items():
                print(f"  {key} = {value:.4g}")
            quality[asset_name] = numbers
    return quality


def extraction_rows(run: JobRun) -> dict[str, dict]:
    """Return documents read, inserted, skipped before the watermark, and step seconds per raw asset."""
    rows = {}
    for step in RAW_STEPS:
        metadata = run.metadata.get(step, {})
        rows[step] = {
            "documents_read": metadata.get("documents_read"),
            "rows_inserted": metadata.get("rows_inserted"),
            "rows_before_watermark": metadata.get("rows_before_watermark"),
            "seconds": run.step_seconds.get(step),
        }
    return rows


def print_extraction(full: dict[str, dict], daily: dict[str, dict]) -> None:
    print("\n原始层抽取：首次全量 vs 追加一天后的增量（导出文件是全量快照，增量运行仍读取全部文档，只写入水位线之后的）")
    print("| asset | 全量 读取 | 全量 写入 | 全量 秒 | 增量 读取 | 增量 写入 | 增量 早于水位线 | 增量 秒 | 增量/全量 秒 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for step in RAW_STEPS:
        first, second = full[step], daily[step]
        ratio = second["seconds"] / first["seconds"] if first["seconds"] and second["seconds"] else float("nan")
        print(
            f"| {step} | {first['documents_read']} | {first['rows_inserted']} | {first['seconds'] or 0:.1f} | "
            f"{second['documents_read']} | {second['rows_inserted']} | {second['rows_before_watermark']} | "
            f"{second['seconds'] or 0:.1f} | {ratio:.2f} |"
        )
    full_seconds = sum(row["seconds"] or 0 for row in full.values())
    daily_seconds = sum(row["seconds"] or 0 for row in daily.values())
    print(f"合计：全量 {full_seconds:.1f} 秒，增量 {daily_seconds:.1f} 秒，增量/全量 = {daily_seconds / full_seconds:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="测量 main_job 的耗时与内存峰值，以及追加一天数据后的增量抽取")
    parser.add_argument("--export-dir", type=Path, required=True, help="演示数据导出目录（会先复制，不会被修改）")
    parser.add_argument("--work-dir", type=Path, help="工作目录（DAGSTER_HOME、仓库、产物）；不指定时用临时目录")
    parser.add_argument("--keep", action="store_true", help="结束后保留工作目录，以便在 dagster dev 中查看这两次 run")
    parser.add_argument("--daily-job", action="store_true", help="追加一天后运行完整的 daily_retraining_job，而不只是原始层")
    parser.add_argument("--timeout-minutes", type=float, default=90, help="每次 run 的最长时间（分钟），超时即终止")
    parser.add_argument("--output", type=Path, help="把结果写成 JSON 文件")
    parser.add_argument(
        "--max-attempts", type=int, default=4, help="run 被外部信号中断时，最多运行几次（重跑尚未成功的步骤）"
    )
    arguments = parser.parse_args()

    print_description()
    work_dir = arguments.work_dir or Path(tempfile.mkdtemp(prefix="bench-main-job-"))
    try:
        export_dir = work_dir / "export"
        shutil.copytree(arguments.export_dir, export_dir, dirs_exist_ok=False)
        dagster_home = prepare_dagster_home(work_dir)
        environment = job_environment(dagster_home, export_dir, work_dir)
        instance = DagsterInstance.from_config(str(dagster_home))

        from moment_pipelines.definitions import defs

        all_steps = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
        startup = import_seconds(environment)
        print(
            f"新进程 import moment_pipelines.definitions 用时 {startup:.1f} 秒（中位数；"
            "forkserver 在每次 run 开始时付一次，spawn 方式下每个步骤进程都要付一次）"
        )
        full = run_to_completion(
            instance,
            "main_job",
            all_steps,
            environment,
            work_dir / "main_job",
            arguments.timeout_minutes,
            arguments.max_attempts,
            whole_job=True,
        )
        print_job("main_job（全量）", full)
        throughput = training_throughput(full)
        print_throughput(throughput)
        quality = print_quality(full)

        appended = append_next_day(export_dir)
        print(f"\n追加一天：{appended}")
        daily = run_to_completion(
            instance,
            "daily_retraining_job",
            all_steps if arguments.daily_job else set(RAW_STEPS),
            environment,
            work_dir / "daily",
            arguments.timeout_minutes,
            arguments.max_attempts,
            whole_job=arguments.daily_job,
        )
        print_job("daily_retraining_job（增量）", daily)
        full_extraction, daily_extraction = extraction_rows(full), extraction_rows(daily)
        print_extraction(full_extraction, daily_extraction)

        summary = {
            "import_seconds": round(startup, 1),
            "main_job": {
                "run_id": full.run_id,
                "status": full.status,
                "wall_seconds": round(full.wall_seconds, 1),
                "peak_tree_pss_gib": round(gib(full.peak_tree_pss), 3),
                "peak_process_rss_gib": round(gib(full.peak_process_rss), 3),
                "step_seconds": {step: round(seconds, 2) for step, seconds in full.step_seconds.items()},
                "step_peak_rss_gib": {step: round(gib(rss), 3) for step, rss in full.step_peak_rss.items()},
                "failed_steps": full.failed_steps,
                "attempts": full.attempts,
            },
            "throughput": [
                {"asset": name, "rows_train": rows, "epochs": epochs, "seconds": seconds, "samples_per_second": rate}
                for name, rows, epochs, seconds, rate in throughput
            ],
            "quality": quality,
            "appended": appended,
            "daily": {
                "run_id": daily.run_id,
                "status": daily.status,
                "wall_seconds": round(daily.wall_seconds, 1),
                "step_seconds": {step: round(seconds, 2) for step, seconds in daily.step_seconds.items()},
                "attempts": daily.attempts,
            },
            "extraction": {"full": full_extraction, "daily": daily_extraction},
        }
        if arguments.output:
            arguments.output.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\n工作目录 {work_dir}" + ("（已保留）" if arguments.keep else ""))
    finally:
        if not arguments.keep:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
