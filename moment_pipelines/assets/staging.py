"""Staging layer: deduplicated, cleaned tables with Asia/Shanghai local times."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from moment_pipelines.assets.tables import markdown_preview, scalar, table_schema
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.staging import staging_sql
from moment_pipelines.versioning import definition_version

STAGING_GROUP = "staging"

# Above these shares a check warns; the run still succeeds.
MAX_ORPHAN_SHARE = 0.01
MAX_LIKE_DRIFT_SHARE = 0.05


def _unique_check(con, table: str, key: str) -> AssetCheckResult:
    duplicates = scalar(con, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}")
    return AssetCheckResult(
        check_name=f"unique_{key}",
        passed=duplicates == 0,
        metadata={"duplicate_rows": duplicates},
    )


def _not_null_check(con, table: str, columns: list[str]) -> AssetCheckResult:
    condition = " OR ".join(f"{column} IS NULL" for column in columns)
    null_rows = scalar(con, f"SELECT count(*) FROM {table} WHERE {condition}")
    return AssetCheckResult(
        check_name="keys_not_null",
        passed=null_rows == 0,
        metadata={"rows_with_null_key": null_rows, "columns": ", ".join(columns)},
    )


def _orphan_check(con, table: str) -> AssetCheckResult:
    total = scalar(con, f"SELECT count(*) FROM {table}")
    orphans = scalar(con, f"SELECT count(*) FROM {table} WHERE is_orphan")
    share = orphans / total if total else 0.0
    return AssetCheckResult(
        check_name="orphan_share",
        passed=share <= MAX_ORPHAN_SHARE,
        severity=AssetCheckSeverity.WARN,
        metadata={"orphan_rows": orphans, "orphan_share": round(share, 6), "max_share": MAX_ORPHAN_SHARE},
    )


@asset(
    deps=["raw_moments"],
    group_name=STAGING_GROUP,
    kinds={"duckdb", "sql"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(staging_sql("stg_moments")),
    check_specs=[
        AssetCheckSpec("unique_moment_id", asset="stg_moments", description="moment_id 唯一"),
        AssetCheckSpec("keys_not_null", asset="stg_moments", description="moment_id、uid、create_time 非空"),
        AssetCheckSpec("like_count_non_negative", asset="stg_moments", description="likeCount 不为负"),
    ],
)
def stg_moments(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """动态清洗表：每条动态一行，文本去空白、图片去重，加上 Asia/Shanghai 本地时间、小时和星期；不含原始 IP。"""
    with warehouse.get_connection() as con:
        con.execute(staging_sql("stg_moments"))
        rows = scalar(con, "SELECT count(*) FROM stg_moments")
        negative = scalar(con, "SELECT count(*) FROM stg_moments WHERE like_count < 0")
        checks = [
            _unique_check(con, "stg_moments", "moment_id"),
            _not_null_check(con, "stg_moments", ["moment_id", "uid", "create_time"]),
            AssetCheckResult(
                check_name="like_count_non_negative",
                passed=negative == 0,
                metadata={"negative_rows": negative},
            ),
        ]
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(con, "stg_moments"),
            "authors": scalar(con, "SELECT count(DISTINCT uid) FROM stg_moments"),
            "with_pictures": scalar(con, "SELECT count(*) FROM stg_moments WHERE has_pics"),
            "with_location": scalar(con, "SELECT count(*) FROM stg_moments WHERE has_location"),
            "like_count_missing": scalar(con, "SELECT count(*) FROM stg_moments WHERE like_count IS NULL"),
            "first_create_time": str(scalar(con, "SELECT min(create_time) FROM stg_moments")),
            "last_create_time": str(scalar(con, "SELECT max(create_time) FROM stg_moments")),
            "preview": markdown_preview(
                con,
                f"SELECT moment_id, uid, type, left(text, 30) AS text, pic_count, "
                "create_time_local, like_count FROM stg_moments ORDER BY create_time DESC LIMIT 5",
            ),
        }
    context.log.info(f"stg_moments：写入 {rows} 行")
    return MaterializeResult(metadata=metadata, check_results=checks)


@asset(
    deps=["raw_likes", stg_moments],
    group_name=STAGING_GROUP,
    kinds={"duckdb", "sql"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(staging_sql("stg_likes")),
    check_specs=[
        AssetCheckSpec("unique_like_id", asset="stg_likes", description="like_id 唯一"),
        AssetCheckSpec("keys_not_null", asset="stg_likes", description="like_id、moment_id、uid、action_time 非空"),
        AssetCheckSpec("orphan_share", asset="stg_likes", description="指向不存在动态的点赞占比不超过 1%"),
        AssetCheckSpec(
            "like_count_drift",
            asset="stg_likes",
            description="动态的 likeCount 与点赞表计数不一致的动态占比不超过 5%（反规范化计数器的漂移）",
        ),
    ],
)
def stg_likes(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """点赞清洗表：同一用户对同一动态只保留最早的一次点赞；指向不存在动态的点赞保留并标记 is_orphan。"""
    with warehouse.get_connection() as con:
        con.execute(staging_sql("stg_likes"))
        rows = scalar(con, "SELECT count(*) FROM stg_likes")
        raw_rows = scalar(con, "SELECT count(*) FROM raw_likes")
        drift = con.execute(
            """
            WITH counted AS (
                SELECT moment_id, count(*) AS liked FROM stg_likes WHERE NOT is_orphan GROUP BY moment_id
            )
            SELECT count(*) AS moments,
                   count(*) FILTER (WHERE m.like_count <> coalesce(c.liked, 0)) AS drifting,
                   coalesce(avg(abs(m.like_count - coalesce(c.liked, 0))), 0) AS mean_abs_drift,
                   coalesce(max(m.like_count - coalesce(c.liked, 0)), 0) AS max_drift
            FROM stg_moments AS m LEFT JOIN counted AS c USING (moment_id)
            WHERE m.like_count IS NOT NULL
            """
        ).fetchone()
        moments, drifting, mean_abs_drift, max_drift = drift
        drift_share = drifting / moments if moments else 0.0
        checks = [
            _unique_check(con, "stg_likes", "like_id"),
            _not_null_check(con, "stg_likes", ["like_id", "moment_id", "uid", "action_time"]),
            _orphan_check(con, "stg_likes"),
            AssetCheckResult(
                check_name="like_count_drift",
                passed=drift_share <= MAX_LIKE_DRIFT_SHARE,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "moments_with_drift": drifting,
                    "drift_share": round(drift_share, 6),
                    "mean_abs_drift": round(float(mean_abs_drift), 3),
                    "max_drift": int(max_drift),
                },
            ),
        ]
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(con, "stg_likes"),
            "duplicate_likes_removed": raw_rows - rows,
            "orphan_likes": scalar(con, "SELECT count(*) FROM stg_likes WHERE is_orphan"),
            "likes_before_moment": scalar(con, "SELECT count(*) FROM stg_likes WHERE is_before_moment"),
            "self_likes": scalar(con, "SELECT count(*) FROM stg_likes WHERE is_self_like"),
            "likers": scalar(con, "SELECT count(DISTINCT uid) FROM stg_likes"),
        }
    context.log.info(f"stg_likes：写入 {rows} 行，去掉重复点赞 {raw_rows - rows} 条，孤儿点赞 {metadata['orphan_likes']} 条")
    return MaterializeResult(metadata=metadata, check_results=checks)


@asset(
    deps=["raw_comments", stg_moments],
    group_name=STAGING_GROUP,
    kinds={"duckdb", "sql"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(staging_sql("stg_comments")),
    check_specs=[
        AssetCheckSpec("unique_comment_id", asset="stg_comments", description="comment_id 唯一"),
        AssetCheckSpec(
            "keys_not_null", asset="stg_comments", description="comment_id、moment_id、uid、publish_time 非空"
        ),
        AssetCheckSpec("orphan_share", asset="stg_comments", description="指向不存在动态的评论占比不超过 1%"),
    ],
)
def stg_comments(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """评论清洗表：评论文本（content 缺失时用 publicationContent.text）、本地时间；指向不存在动态的评论标记 is_orphan。"""
    with warehouse.get_connection() as con:
        con.execute(staging_sql("stg_comments"))
        rows = scalar(con, "SELECT count(*) FROM stg_comments")
        checks = [
            _unique_check(con, "stg_comments", "comment_id"),
            _not_null_check(con, "stg_comments", ["comment_id", "moment_id", "uid", "publish_time"]),
            _orphan_check(con, "stg_comments"),
        ]
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(con, "stg_comments"),
            "orphan_comments": scalar(con, "SELECT count(*) FROM stg_comments WHERE is_orphan"),
            "comments_before_moment": scalar(con, "SELECT count(*) FROM stg_comments WHERE is_before_moment"),
            "commenters": scalar(con, "SELECT count(DISTINCT uid) FROM stg_comments"),
            "preview": markdown_preview(
                con,
                f"SELECT comment_id, moment_id, uid, left(content, 30) AS content, "
                "publish_time_local FROM stg_comments ORDER BY publish_time DESC LIMIT 5",
            ),
        }
    context.log.info(f"stg_comments：写入 {rows} 行，孤儿评论 {metadata['orphan_comments']} 条")
    return MaterializeResult(metadata=metadata, check_results=checks)


staging_assets = [stg_moments, stg_likes, stg_comments]
