"""Benchmark: the point-in-time author-history features in DuckDB SQL against two pandas versions.

Three implementations of `author_history_features` (the definition is the
SQL file's header comment) run on the same stg_moments table:

- sql: moment_pipelines/features/author_history_features.sql in DuckDB, the
  code the feature asset runs, reading stg_moments from a DuckDB file and
  writing the feature table back to it;
- pandas: the same definition vectorised (sort, groupby, cumulative sums,
  expanding medians, and as-of joins for the "settled 3 days before"
  cut-off), on a DataFrame already in memory;
- per_row: the loop a newcomer writes, which filters the author's earlier
  moments and the platform's settled moments for each moment. It costs
  O(rows) per row, so it runs on a random sample and its time per row is
  multiplied by the row count (an extrapolation, printed as such).

Both pandas versions are checked against the SQL output on a random sample
(every column, NULLs included) before any time is printed.

Sizes: the demo export (stg_moments built from its moments file) and a
synthetic stg_moments with --synthetic-moments rows generated inside DuckDB.
The synthetic table has the demo's shape: about 6 moments per author, a few
very active authors, 181 days, and log-normal like counts with median 4 and
mean near 10. It has the four columns the SQL reads, with stg_moments' types.
--null-like-share leaves that share of like counts NULL (a document without
likeCount); the demo has none.

DuckDB uses every core; pandas runs on one.

Usage:
    .venv/bin/python bench/feature_build.py --export-dir /tmp/demo100k
    .venv/bin/python bench/feature_build.py                           # generates a 100k-moment demo first
    .venv/bin/python bench/feature_build.py --export-dir /tmp/demo100k --synthetic-moments 0   # demo only
"""

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from moment_pipelines.demo import generate
from moment_pipelines.features import AUTHOR_HISTORY
from moment_pipelines.ingest.load import load_collection
from moment_pipelines.ingest.schema import COLLECTIONS
from moment_pipelines.resources.export_files import find_export_file, read_export_file
from moment_pipelines.staging import staging_sql

SETTLED_AFTER = pd.Timedelta(days=3)
PRIOR_STRENGTH = 5  # moments; the shrinkage prior of the SQL definition

SQL_OVER_PANDAS_TARGET = 5  # at the synthetic size
SQL_OVER_PER_ROW_TARGET = 100  # at the demo size

INPUT_COLUMNS = ["moment_id", "uid", "create_time", "like_count"]
FEATURE_COLUMNS = AUTHOR_HISTORY.column_names
AGREEMENT_SAMPLE = 20_000
ABSOLUTE_TOLERANCE = 1e-9


@dataclass
class Timing:
    rows: int
    sql_seconds: float
    pandas_seconds: float
    per_row_seconds_each: float
    per_row_sample: int
    windows: dict[str, float]  # seconds of the WINDOW operators, from one profiled SQL run

    @property
    def per_row_seconds(self) -> float:
        """Extrapolated time of the per-row loop over every row."""
        return self.per_row_seconds_each * self.rows


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    return con


def build_demo_stg_moments(con: duckdb.DuckDBPyConnection, export_dir: Path) -> None:
    """Load the moments export into raw_moments and build stg_moments, as the raw and staging assets do."""
    spec = COLLECTIONS["moments"]
    load_collection(
        con,
        spec,
        read_export_file(find_export_file(export_dir, spec.name)),
        since=None,
        loaded_at=datetime.now(timezone.utc),
        run_id="bench",
    )
    con.execute(staging_sql("stg_moments"))


def build_synthetic_stg_moments(con: duckdb.DuckDBPyConnection, moments: int, null_like_share: float) -> None:
    """Create stg_moments with `moments` rows of generated authors, times and like counts.

    Every random draw is a hash of the row number, so the table is the same
    on every run and with any thread count.
    """
    authors = max(1, moments // 6)
    # hash(8 * i + k) gives independent draws for k = 1..5, but DuckDB's two-argument
    # hash(i, 'name') gives draws correlated across names.
    uniform = "(hash(8 * i + {k}) >> 11)::DOUBLE / 9007199254740992"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE stg_moments AS
        WITH draws AS (
            SELECT
                i,
                {uniform.format(k=1)} AS u_author,
                {uniform.format(k=2)} AS u_time,
                {uniform.format(k=3)} AS u_likes_a,
                {uniform.format(k=4)} AS u_likes_b,
                {uniform.format(k=5)} AS u_missing
            FROM range({moments}) AS t(i)
        )
        SELECT
            3700000000000 + i AS moment_id,
            -- A power of a uniform draw: a few authors post far more than most.
            1000000000 + floor({authors} * pow(u_author, 2.5))::BIGINT AS uid,
            TIMESTAMPTZ '2024-12-31 16:00:00+00'
                + to_microseconds((u_time * 181 * 86400 * 1e6)::BIGINT) AS create_time,
            -- Log-normal like counts (Box-Muller), median about 4 and mean about 10 as in the demo.
            CASE WHEN u_missing < {null_like_share} THEN NULL
                 ELSE floor(exp(1.5 + 1.3 * sqrt(-2 * ln(greatest(u_likes_a, 1e-12))) * cos(2 * pi() * u_likes_b)))::BIGINT
            END AS like_count
        FROM draws
        """
    )


def run_sql(con: duckdb.DuckDBPyConnection) -> float:
    started = time.perf_counter()
    con.execute(AUTHOR_HISTORY.sql)
    return time.perf_counter() - started


def _window_operators(node: dict) -> list[dict]:
    found = [node] if node.get("name") == "WINDOW" else []
    for child in node.get("children", []):
        found.extend(_window_operators(child))
    return found


def window_breakdown(con: duckdb.DuckDBPyConnection, work_dir: Path) -> dict[str, float]:
    """Run the SQL once under DuckDB's profiler; return seconds of the per-author and the platform-wide WINDOW operators."""
    output = work_dir / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{output}'")
    try:
        con.execute(AUTHOR_HISTORY.sql)
    finally:
        con.execute("PRAGMA disable_profiling")
    profile = json.loads(output.read_text(encoding="utf-8"))

    seconds = {"author": 0.0, "platform": 0.0}
    for root in profile["operator"]:
        for operator in _window_operators(root):
            projections = " ".join(operator.get("extra_info", {}).get("Projections", []))
            scope = "author" if "PARTITION BY uid" in projections else "platform"
            seconds[scope] += operator["timing"]
    return seconds


def _as_of(left: pd.DataFrame, right: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Attach to each left row the right row with the latest create_time at or before its cutoff."""
    return pd.merge_asof(
        left.sort_values("cutoff"),
        right.sort_values("create_time", kind="stable"),
        left_on="cutoff",
        right_on="create_time",
        by=by,
        direction="backward",
        allow_exact_matches=True,
    )


def shrunk(settled: np.ndarray, author_value: np.ndarray, platform_value: np.ndarray) -> np.ndarray:
    """Pull an author's value toward the platform's: an author with no settled moment gets the platform value."""
    return (settled * np.nan_to_num(author_value, nan=0.0) + PRIOR_STRENGTH * platform_value) / (settled + PRIOR_STRENGTH)


def pandas_author_history(moments: pd.DataFrame) -> pd.DataFrame:
    """Compute author_history_features with vectorised pandas; same definition and NULLs as the SQL."""
    frame = moments[INPUT_COLUMNS].sort_values(["uid", "create_time", "moment_id"], kind="stable").reset_index(drop=True)
    frame["like_count"] = frame["like_count"].astype("float64")
    by_author = frame.groupby("uid", sort=False)

    # Moments of the same author strictly before: ties at the same instant are excluded, as with EXCLUDE GROUP.
    frame["author_prior_moments"] = (by_author["create_time"].rank(method="min") - 1).astype("int64")
    first_time = by_author["create_time"].transform("min")
    frame["days_since_author_first_moment"] = (frame["create_time"] - first_time).dt.total_seconds() / 86400.0

    # Running statistics per author up to and including each row, in time order.
    frame["has_likes"] = frame["like_count"].notna().astype("int64")
    frame["likes_filled"] = frame["like_count"].fillna(0.0)
    author_running = pd.DataFrame(
        {
            "uid": frame["uid"],
            "create_time": frame["create_time"],
            "author_n": by_author["has_likes"].cumsum(),
            "author_sum": by_author["likes_filled"].cumsum(),
            "author_median": by_author["like_count"].expanding().median().reset_index(level=0, drop=True),
        }
    )

    # The same over the whole platform.
    platform = frame[["create_time", "like_count", "has_likes", "likes_filled"]].sort_values("create_time", kind="stable")
    platform_running = pd.DataFrame(
        {
            "create_time": platform["create_time"],
            "platform_n": platform["has_likes"].cumsum(),
            "platform_sum": platform["likes_filled"].cumsum(),
            "platform_median_likes": platform["like_count"].expanding().median(),
        }
    )

    # "Settled" means created at least 3 days before the row: read the running values at that cutoff.
    query = pd.DataFrame({"moment_id": frame["moment_id"], "uid": frame["uid"], "cutoff": frame["create_time"] - SETTLED_AFTER})
    author_settled = _as_of(query, author_running, by="uid").set_index("moment_id")
    platform_settled = _as_of(query.drop(columns="uid"), platform_running, by=None).set_index("moment_id")
    author_settled = author_settled.reindex(frame["moment_id"])
    platform_settled = platform_settled.reindex(frame["moment_id"])

    settled_n = author_settled["author_n"].fillna(0).to_numpy()
    author_mean = np.where(settled_n > 0, author_settled["author_sum"].to_numpy() / np.maximum(settled_n, 1), np.nan)
    author_median = author_settled["author_median"].to_numpy()
    platform_n = platform_settled["platform_n"].to_numpy()
    platform_mean = np.where(platform_n > 0, platform_settled["platform_sum"].to_numpy() / np.maximum(platform_n, 1), np.nan)
    platform_median = platform_settled["platform_median_likes"].to_numpy()

    return pd.DataFrame(
        {
            "moment_id": frame["moment_id"].to_numpy(),
            "author_prior_moments": frame["author_prior_moments"].to_numpy(),
            "author_settled_moments": settled_n.astype("int64"),
            "author_mean_likes": shrunk(settled_n, author_mean, platform_mean),
            "author_median_likes": shrunk(settled_n, author_median, platform_median),
            "platform_mean_likes": platform_mean,
            "platform_median_likes": platform_median,
            "days_since_author_first_moment": frame["days_since_author_first_moment"].to_numpy(),
        }
    )


def per_row_author_history(moments: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Compute the features one moment at a time by filtering the whole table, as a first attempt would."""
    rows = []
    for moment in tqdm(sample.itertuples(index=False), total=len(sample), desc="逐行过滤", unit="行", leave=False):
        cutoff = moment.create_time - SETTLED_AFTER
        same_author = moments[moments["uid"] == moment.uid]
        earlier = same_author[same_author["create_time"] < moment.create_time]
        settled_likes = same_author[same_author["create_time"] <= cutoff]["like_count"].dropna()
        platform_likes = moments[moments["create_time"] <= cutoff]["like_count"].dropna()

        n = len(settled_likes)
        platform_mean = platform_likes.mean() if len(platform_likes) else np.nan
        platform_median = platform_likes.median() if len(platform_likes) else np.nan
        author_mean = settled_likes.mean() if n else 0.0
        author_median = settled_likes.median() if n else 0.0
        first_time = same_author["create_time"].min()
        rows.append(
            {
                "moment_id": moment.moment_id,
                "author_prior_moments": len(earlier),
                "author_settled_moments": n,
                "author_mean_likes": (n * author_mean + PRIOR_STRENGTH * platform_mean) / (n + PRIOR_STRENGTH),
                "author_median_likes": (n * author_median + PRIOR_STRENGTH * platform_median) / (n + PRIOR_STRENGTH),
                "platform_mean_likes": platform_mean,
                "platform_median_likes": platform_median,
                "days_since_author_first_moment": (moment.create_time - first_time).total_seconds() / 86400.0,
            }
        )
    return pd.DataFrame(rows)


def assert_agree(name: str, expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    """Raise AssertionError unless `actual` has the SQL's value (or its NULL) in every column of every row it has."""
    merged = expected.merge(actual, on="moment_id", suffixes=("_sql", "_other"), validate="one_to_one")
    if len(merged) != len(actual):
        raise AssertionError(f"{name}：{len(actual)} 行中只有 {len(merged)} 行的 moment_id 出现在 SQL 结果里")
    for column in FEATURE_COLUMNS[1:]:
        left = merged[f"{column}_sql"].to_numpy(dtype="float64")
        right = merged[f"{column}_other"].to_numpy(dtype="float64")
        same = np.isclose(left, right, rtol=1e-9, atol=ABSOLUTE_TOLERANCE, equal_nan=True)
        if not same.all():
            first = int(np.flatnonzero(~same)[0])
            raise AssertionError(
                f"{name}：列 {column} 有 {int((~same).sum())} 行与 SQL 不一致，"
                f"例如 moment_id {merged['moment_id'].iloc[first]}：SQL {left[first]!r}，{name} {right[first]!r}"
            )


def timed(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Return the median wall time of `repeats` calls and the last call's result."""
    seconds = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def bench_size(
    con: duckdb.DuckDBPyConnection, work_dir: Path, label: str, repeats: int, per_row_sample: int, seed: int
) -> Timing:
    """Time the three implementations on the stg_moments of `con`, after checking that they agree."""
    rows = con.execute("SELECT count(*) FROM stg_moments").fetchone()[0]
    sql_seconds = statistics.median(run_sql(con) for _ in range(repeats))
    windows = window_breakdown(con, work_dir)
    expected = con.execute(f"SELECT {', '.join(FEATURE_COLUMNS)} FROM author_history_features").fetchdf()

    moments = con.execute(f"SELECT {', '.join(INPUT_COLUMNS)} FROM stg_moments").fetchdf()
    pandas_seconds, vectorised = timed(lambda: pandas_author_history(moments), repeats)
    assert_agree("pandas", expected, vectorised.sample(n=min(AGREEMENT_SAMPLE, rows), random_state=seed))

    sample = moments.sample(n=min(per_row_sample, rows), random_state=seed)
    started = time.perf_counter()
    per_row = per_row_author_history(moments, sample)
    per_row_each = (time.perf_counter() - started) / len(sample)
    assert_agree("per_row", expected, per_row)

    print(
        f"{label}：{rows} 行；SQL {sql_seconds:.2f} 秒，pandas 向量化 {pandas_seconds:.2f} 秒，"
        f"逐行过滤 {per_row_each * 1000:.1f} 毫秒/行（样本 {len(sample)} 行）；两种 pandas 实现与 SQL 在样本上一致"
    )
    print(
        f"{label}：SQL 中按作者分区的窗口算子 {windows['author']:.2f} 秒，全站窗口（不分区）算子 {windows['platform']:.2f} 秒"
        "（DuckDB profiler 记录的算子耗时，单独一次运行）"
    )
    return Timing(rows, sql_seconds, pandas_seconds, per_row_each, len(sample), windows)


def print_table(results: dict[str, Timing]) -> None:
    print("\n| 数据 | 动态数 | DuckDB SQL 秒 | pandas 向量化 秒 | 逐行过滤 秒（外推） | pandas / SQL | 逐行 / SQL |")
    print("|---|---|---|---|---|---|---|")
    for label, timing in results.items():
        print(
            f"| {label} | {timing.rows:,} | {timing.sql_seconds:.2f} | {timing.pandas_seconds:.2f} | "
            f"{timing.per_row_seconds:,.0f}（样本 {timing.per_row_sample} 行，{timing.per_row_seconds_each * 1000:.1f} 毫秒/行） | "
            f"{timing.pandas_seconds / timing.sql_seconds:.2f}× | {timing.per_row_seconds / timing.sql_seconds:,.0f}× |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="比较作者历史特征的三种实现：DuckDB SQL、pandas 向量化、逐行过滤（耗时与比值）")
    parser.add_argument("--export-dir", type=Path, help="已有的演示导出目录；不指定时在临时目录生成 --moments 条动态")
    parser.add_argument("--moments", type=int, default=100_000, help="生成演示数据时的动态条数")
    parser.add_argument("--synthetic-moments", type=int, default=2_000_000, help="合成 stg_moments 的行数；0 表示跳过")
    parser.add_argument(
        "--null-like-share", type=float, default=0.0, help="合成数据中 like_count 为 NULL 的比例（0–1，演示数据中为 0）"
    )
    parser.add_argument("--repeats", type=int, default=3, help="演示数据上 SQL 和 pandas 各运行几次，取中位数")
    parser.add_argument("--repeats-synthetic", type=int, default=1, help="合成数据上 SQL 和 pandas 各运行几次，取中位数")
    parser.add_argument("--per-row-sample", type=int, default=300, help="逐行过滤在演示数据上运行的样本行数")
    parser.add_argument("--per-row-sample-synthetic", type=int, default=30, help="逐行过滤在合成数据上运行的样本行数")
    parser.add_argument("--seed", type=int, default=7, help="抽样的随机种子")
    arguments = parser.parse_args()

    results: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory() as temporary:
        work_dir = Path(temporary)
        export_dir = arguments.export_dir
        if export_dir is None:
            export_dir = work_dir / "demo"
            generate(export_dir, n_moments=arguments.moments)

        con = connect(work_dir / "demo.duckdb")
        build_demo_stg_moments(con, export_dir)
        results["演示数据"] = bench_size(
            con, work_dir, "演示数据", arguments.repeats, arguments.per_row_sample, arguments.seed
        )
        con.close()

        if arguments.synthetic_moments > 0:
            con = connect(work_dir / "synthetic.duckdb")
            build_synthetic_stg_moments(con, arguments.synthetic_moments, arguments.null_like_share)
            label = "合成数据" if arguments.null_like_share == 0 else f"合成数据（like_count 为 NULL {arguments.null_like_share:.0%}）"
            results[label] = bench_size(
                con, work_dir, label, arguments.repeats_synthetic, arguments.per_row_sample_synthetic, arguments.seed
            )
            con.close()

    print_table(results)
    demo = results["演示数据"]
    print(
        f"\n演示数据：逐行 / SQL = {demo.per_row_seconds / demo.sql_seconds:,.0f}×（目标至少 {SQL_OVER_PER_ROW_TARGET}×）"
    )
    summary = {
        label: {
            "rows": timing.rows,
            "sql_seconds": round(timing.sql_seconds, 3),
            "pandas_seconds": round(timing.pandas_seconds, 3),
            "per_row_ms_each": round(timing.per_row_seconds_each * 1000, 3),
            "pandas_over_sql": round(timing.pandas_seconds / timing.sql_seconds, 2),
            "per_row_over_sql": round(timing.per_row_seconds / timing.sql_seconds),
            "sql_window_seconds": {scope: round(value, 3) for scope, value in timing.windows.items()},
        }
        for label, timing in results.items()
    }
    if len(results) > 1:
        synthetic = list(results.values())[1]
        print(f"合成数据：pandas / SQL = {synthetic.pandas_seconds / synthetic.sql_seconds:.2f}×（目标至少 {SQL_OVER_PANDAS_TARGET}×）")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
