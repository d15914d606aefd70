"""Scenario 2 candidates: likes as positives and sampled moments the user saw but did not like as negatives."""

from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from moment_pipelines.assets.like_behavior.inputs import CANDIDATES_TABLE
from moment_pipelines.assets.like_behavior.provinces import LIKE_BEHAVIOR_GROUP
from moment_pipelines.assets.tables import markdown_preview, scalar, table_schema
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.versioning import definition_version

CANDIDATES_SQL = (Path(__file__).parent / "candidates.sql").read_text(encoding="utf-8")
NO_LIKES_MESSAGE = (
    "数据中没有可用的点赞（排除了孤儿点赞、自赞和早于动态发布的点赞后为 0 条），"
    "无法构造“是否点赞”的正样本。请导入包含点赞记录的数据（例如 likes 集合不为空的导出）。"
)


class LikeCandidatesConfig(Config):
    """Positive sampling and negative-sampling settings."""

    max_positives: int = Field(
        default=200_000, ge=1, description="最多使用多少条点赞作为正样本；超过时按 (uid, moment_id, seed) 的哈希确定性抽样"
    )
    negatives_per_positive: int = Field(default=4, ge=1, description="每个正样本配多少个负样本（负样本:正样本 的比例）")
    engaged_author_negatives: int = Field(
        default=1, ge=0, description="其中最多几个来自用户此前点赞或评论过的作者的动态（“关注的人发的、但没点赞”）"
    )
    same_province_negatives: int = Field(
        default=1, ge=0, description="其中最多几个来自用户所在省份（ipLocation）发布的动态；不足的名额由全站动态补齐"
    )
    window_hours: float = Field(
        default=72.0, gt=0, description="互动作者的负样本只取点赞前多少小时内发布的动态（小时）"
    )
    draws_per_source: int = Field(
        default=8, ge=1, description="每个来源每个正样本抽几次；抽到已点赞、自己的或重复的动态会丢弃，所以要多抽几次"
    )
    seed: int = Field(default=42, description="随机种子：数据和配置相同时，抽到的样本完全相同")

    def sql_parameters(self) -> dict:
        return {
            "max_positives": self.max_positives,
            "negatives_per_positive": self.negatives_per_positive,
            "engaged_author_negatives": self.engaged_author_negatives,
            "same_province_negatives": self.same_province_negatives,
            "window_hours": self.window_hours,
            "draws_per_source": self.draws_per_source,
            "seed": self.seed,
        }


def _source_markdown(rows: list[tuple]) -> str:
    lines = ["| 来源 | 标签 | 行数 |", "|---|---|---|"]
    lines += [f"| {source} | {label} | {count} |" for source, label, count in rows]
    return "\n".join(lines)


@asset(
    name=CANDIDATES_TABLE,
    deps=["stg_likes", "stg_moments", "stg_comments"],
    group_name=LIKE_BEHAVIOR_GROUP,
    kinds={"duckdb", "sql"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(CANDIDATES_SQL),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": CANDIDATES_TABLE},
    check_specs=[
        AssetCheckSpec(
            "no_liked_negatives",
            asset=CANDIDATES_TABLE,
            description="没有一个负样本是该用户点赞过的动态（不论点赞发生在什么时候）",
        ),
        AssetCheckSpec(
            "negatives_before_event",
            asset=CANDIDATES_TABLE,
            description="每个负样本动态都发布于事件时间之前（用户那时可能看到它）",
        ),
    ],
)
def like_behavior_candidates(
    context: AssetExecutionContext, config: LikeCandidatesConfig, warehouse: Warehouse
) -> MaterializeResult:
    """场景 2（点赞行为预测）的候选样本：每行是 (用户, 动态, 事件时间) 和标签，1 = 点赞，0 = 抽样的负样本。

    数据里没有曝光日志，负样本是“用户当时可能看到但没有点赞”的动态：发布在该次点赞之前、不是用户自己发的、
    用户任何时候都没点赞过。来源依次是用户互动过的作者、用户所在省份、全站，比例可在配置中调整；
    每次抽样都按真实点赞时动态的“年龄”分布匹配，避免模型只靠动态新旧区分正负样本。抽样全部在 DuckDB 中按哈希确定性完成。
    """
    if config.engaged_author_negatives + config.same_province_negatives > config.negatives_per_positive:
        raise Failure(
            "engaged_author_negatives 与 same_province_negatives 之和不能超过 negatives_per_positive，"
            f"当前为 {config.engaged_author_negatives} + {config.same_province_negatives} > {config.negatives_per_positive}"
        )

    with warehouse.get_connection() as con:
        con.execute(CANDIDATES_SQL, config.sql_parameters())
        rows = scalar(con, f"SELECT count(*) FROM {CANDIDATES_TABLE}")
        positives = scalar(con, f"SELECT count(*) FROM {CANDIDATES_TABLE} WHERE label = 1")
        by_source = con.execute(
            f"SELECT sample_source, label, count(*) FROM {CANDIDATES_TABLE} GROUP BY ALL ORDER BY label DESC, sample_source"
        ).fetchall()
        liked_negatives = scalar(
            con,
            f"SELECT count(*) FROM {CANDIDATES_TABLE} AS c JOIN stg_likes AS l USING (uid, moment_id) WHERE c.label = 0",
        )
        late_negatives = scalar(
            con,
            f"SELECT count(*) FROM {CANDIDATES_TABLE} AS c JOIN stg_moments AS m USING (moment_id) "
            "WHERE c.label = 0 AND m.create_time >= c.event_time",
        )
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(con, CANDIDATES_TABLE),
            "positives": positives,
            "negatives": rows - positives,
            "negatives_per_positive_actual": round((rows - positives) / positives, 3) if positives else 0.0,
            "rows_by_source": MetadataValue.md(_source_markdown(by_source)),
            "sampling": MetadataValue.json(config.sql_parameters()),
            "preview": markdown_preview(
                con,
                f"SELECT uid, moment_id, event_time, label, sample_source "
                f"FROM {CANDIDATES_TABLE} ORDER BY event_time DESC, label DESC LIMIT 5",
            ),
        }

    if positives == 0:
        context.log.warning(NO_LIKES_MESSAGE)
        metadata["note"] = MetadataValue.md(NO_LIKES_MESSAGE)
    else:
        context.log.info(
            f"{CANDIDATES_TABLE}：{positives} 个正样本，{rows - positives} 个负样本（"
            + "，".join(f"{source} {count}" for source, label, count in by_source if label == 0)
            + "）"
        )
    checks = [
        AssetCheckResult(check_name="no_liked_negatives", passed=liked_negatives == 0, metadata={"liked_negatives": liked_negatives}),
        AssetCheckResult(
            check_name="negatives_before_event", passed=late_negatives == 0, metadata={"negatives_not_before_event": late_negatives}
        ),
    ]
    return MaterializeResult(metadata=metadata, check_results=checks)
