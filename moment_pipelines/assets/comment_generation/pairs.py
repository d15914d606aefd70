"""Scenario 3 training data: (moment text, comment) pairs, cleaned, tokenised and split by comment time."""

import inspect
from collections.abc import Iterator
from typing import Literal

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableColumnDep,
    TableColumnLineage,
    TableSchema,
    asset,
)
from pydantic import Field

from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.assets.tables import markdown_preview, scalar, skipped_check_results
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation import cleaning, tokens
from moment_pipelines.ml.comment_generation.cleaning import clean_text, contains_personal_data
from moment_pipelines.ml.comment_generation.tokens import tokenize
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.versioning import definition_version

COMMENT_GENERATION_GROUP = "comment_generation"
PAIRS_TABLE = "comment_pairs"
SPLITS = ("train", "validation", "test")

# Comments that can become pairs: not orphaned (the join drops those), not
# published before their moment, and with `$top_level_only` neither written by
# the moment's author nor a reply to another commenter.
_CANDIDATES_SQL = """
SELECT
    comments.comment_id,
    comments.moment_id,
    comments.publish_time,
    moments.create_time AS moment_create_time,
    moments.text AS moment_text,
    comments.content AS comment_text
FROM stg_comments AS comments
JOIN stg_moments AS moments USING (moment_id)
WHERE NOT comments.is_before_moment
    AND NOT (
        $top_level_only
        AND (comments.uid = moments.uid OR coalesce(comments.to_uid <> moments.uid, false))
    )
"""

_EXCLUSION_COUNTS_SQL = """
SELECT
    count(*) AS comments,
    count(*) FILTER (WHERE comments.is_orphan) AS orphans,
    count(*) FILTER (WHERE NOT comments.is_orphan AND comments.is_before_moment) AS before_moment,
    count(*) FILTER (WHERE NOT comments.is_before_moment AND comments.uid = moments.uid) AS by_author,
    count(*) FILTER (
        WHERE NOT comments.is_before_moment AND comments.uid <> moments.uid AND comments.to_uid <> moments.uid
    ) AS replies_to_commenters
FROM stg_comments AS comments
LEFT JOIN stg_moments AS moments USING (moment_id)
"""

# `cleaned` is the pandas frame of cleaned, tokenised texts registered by the asset.
_PAIRS_SQL = f"""
CREATE OR REPLACE TABLE {PAIRS_TABLE} AS
WITH kept AS (
    SELECT
        candidates.comment_id,
        candidates.moment_id,
        candidates.publish_time,
        candidates.moment_create_time,
        cleaned.moment_text,
        cleaned.comment_text,
        CAST(cleaned.moment_tokens AS VARCHAR[]) AS moment_tokens,
        CAST(cleaned.comment_tokens AS VARCHAR[]) AS comment_tokens,
        row_number() OVER (ORDER BY candidates.publish_time, candidates.comment_id) AS position,
        count(*) OVER () AS kept_rows
    FROM ({_CANDIDATES_SQL}) AS candidates
    JOIN cleaned USING (comment_id)
)
SELECT
    comment_id,
    moment_id,
    publish_time,
    moment_create_time,
    CASE
        WHEN position <= kept_rows * (1 - $validation_fraction - $test_fraction) THEN 'train'
        WHEN position <= kept_rows * (1 - $test_fraction) THEN 'validation'
        ELSE 'test'
    END AS split,
    moment_text,
    comment_text,
    moment_tokens,
    comment_tokens
FROM kept
ORDER BY position
"""

_COLUMNS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "comment_id": ("评论 id（主键）", [("stg_comments", "comment_id")]),
    "moment_id": ("被评论的动态 id", [("stg_comments", "moment_id")]),
    "publish_time": ("评论发布时间（UTC），用来按时间划分", [("stg_comments", "publish_time")]),
    "moment_create_time": ("动态发布时间（UTC）", [("stg_moments", "create_time")]),
    "split": (
        "数据集划分：按评论发布时间，最早的为 train，其次 validation，最新的为 test",
        [("stg_comments", "publish_time"), ("stg_comments", "comment_id")],
    ),
    "moment_text": ("清洗后的动态文本（去掉链接、@提及、电话号码，连续重复字符压缩）", [("stg_moments", "text")]),
    "comment_text": ("清洗后的评论文本（同上）", [("stg_comments", "content")]),
    "moment_tokens": ("动态文本的分词结果（jieba 词或单字，见 tokenization 元数据）", [("stg_moments", "text")]),
    "comment_tokens": ("评论文本的分词结果", [("stg_comments", "content")]),
}


class CommentPairsConfig(Config):
    """Selection, tokenisation and split settings of the pairs."""

    tokenization: Literal["word", "char"] = Field(
        default="word",
        description="分词方式：word 用 jieba 分词；char 逐字切分（连续的英文字母或数字保持为一个词）",
    )
    top_level_only: bool = Field(
        default=True,
        description="只保留写给动态作者的评论：去掉作者自己发的评论，以及回复其他评论者的评论",
    )
    validation_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="验证集占比（按评论时间排在训练集之后）")
    test_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="测试集占比（评论时间最新的一段）")


def column_lineage() -> TableColumnLineage:
    return TableColumnLineage(
        deps_by_column={
            name: [TableColumnDep(asset_key=AssetKey(table), column_name=column) for table, column in sources]
            for name, (_, sources) in _COLUMNS.items()
        }
    )


def _column_schema(con) -> TableSchema:
    rows = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {PAIRS_TABLE})").fetchall()
    return TableSchema(
        columns=[TableColumn(name=name, type=data_type, description=_COLUMNS[name][0]) for name, data_type in rows]
    )


def clean_and_tokenize(candidates: pd.DataFrame, tokenization: str) -> pd.DataFrame:
    """Return comment_id with cleaned texts and tokens; each distinct text is cleaned and tokenised once.

    Cleaning runs in Python next to jieba so that training texts and the text
    a user types into the generator go through the same function.
    """
    processed: dict[str, tuple[str, list[str]]] = {}
    for text in pd.unique(pd.concat([candidates["moment_text"], candidates["comment_text"]]).fillna("")):
        cleaned = clean_text(text)
        processed[text] = (cleaned, tokenize(cleaned, tokenization))

    moments = candidates["moment_text"].fillna("").map(processed.__getitem__)
    comments = candidates["comment_text"].fillna("").map(processed.__getitem__)
    return pd.DataFrame(
        {
            "comment_id": candidates["comment_id"].to_numpy(),
            "moment_text": [text for text, _ in moments],
            "comment_text": [text for text, _ in comments],
            "moment_tokens": [token_list for _, token_list in moments],
            "comment_tokens": [token_list for _, token_list in comments],
        }
    )


def _split_summary(con) -> list[tuple]:
    return con.execute(
        f"""
        SELECT split, count(*), min(publish_time), max(publish_time),
               avg(len(moment_tokens)), avg(len(comment_tokens)), count(DISTINCT moment_id)
        FROM {PAIRS_TABLE}
        GROUP BY split
        ORDER BY min(publish_time)
        """
    ).fetchall()


def _split_markdown(summary: list[tuple]) -> str:
    rows = [
        "| split | 对数 | 最早评论 (UTC) | 最晚评论 (UTC) | 动态平均词数 | 评论平均词数 | 不同动态数 |",
        "|---|---|---|---|---|---|---|",
    ]
    for split, count, first, last, moment_tokens, comment_tokens, moments in summary:
        rows.append(
            f"| {split} | {count} | {first:%Y-%m-%d %H:%M} | {last:%Y-%m-%d %H:%M} | "
            f"{moment_tokens:.1f} | {comment_tokens:.1f} | {moments} |"
        )
    return "\n".join(rows)


def _splits_in_time_order(summary: list[tuple]) -> bool:
    by_split = {row[0]: row for row in summary}
    ordered = [by_split[split] for split in SPLITS if split in by_split]
    return all(earlier[3] <= later[2] for earlier, later in zip(ordered, ordered[1:]))


NO_COMMENTS_MESSAGE = "stg_comments 中没有评论（数据不含评论集合，或评论为空），无法组成（动态，评论）对。"


@asset(
    name=PAIRS_TABLE,
    deps=["stg_comments", "stg_moments"],
    group_name=COMMENT_GENERATION_GROUP,
    kinds={"duckdb", "sql", "python"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(
        _CANDIDATES_SQL, _PAIRS_SQL, inspect.getsource(cleaning), inspect.getsource(tokens)
    ),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": PAIRS_TABLE},
    # Data without comments has nothing to learn from: the asset is not materialized,
    # so the vocabulary, the models and the evaluation are skipped and the run succeeds.
    output_required=False,
    check_specs=[
        AssetCheckSpec(
            "splits_in_time_order",
            asset=PAIRS_TABLE,
            description="train 的评论都不晚于 validation，validation 都不晚于 test（按评论发布时间划分）",
        ),
        AssetCheckSpec(
            "no_personal_data",
            asset=PAIRS_TABLE,
            description="清洗后的动态和评论文本中没有链接、电话号码和 @用户名",
        ),
    ],
)
def comment_pairs(
    context: AssetExecutionContext, config: CommentPairsConfig, warehouse: Warehouse
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """场景 3（评论生成）的训练数据：每条评论一行，配上它所评论的动态文本。

    文本经过清洗（去掉链接、@提及和电话号码，连续重复的字符压缩为 3 个，例如“哈哈哈哈哈”→“哈哈哈”），
    再用 jieba 分词（或逐字切分，见配置）。按评论发布时间划分：最早的 80% 为 train，接下来 10% 为 validation，
    最新的 10% 为 test，评估时模型面对的都是“未来”的评论。
    数据中没有任何评论时，本次跳过训练数据、词表、模型和评估，并给出警告。
    """
    if config.validation_fraction + config.test_fraction >= 1:
        raise Failure("validation_fraction 与 test_fraction 之和必须小于 1，训练集才有数据")

    with warehouse.get_connection() as con:
        comments, orphans, before_moment, by_author, replies = con.execute(_EXCLUSION_COUNTS_SQL).fetchone()
        candidates = con.execute(_CANDIDATES_SQL, {"top_level_only": config.top_level_only}).fetchdf()
    if comments == 0:
        context.log.warning(f"{PAIRS_TABLE}：{NO_COMMENTS_MESSAGE}本次跳过训练数据、词表、模型和评估。")
        yield from skipped_check_results(["splits_in_time_order", "no_personal_data"], NO_COMMENTS_MESSAGE)
        return
    if not config.top_level_only:
        by_author = replies = 0
    context.log.info(f"读取 {comments} 条评论，其中 {len(candidates)} 条可以组成（动态，评论）对；DuckDB 连接已关闭，开始清洗和分词")

    cleaned = clean_and_tokenize(candidates, config.tokenization)
    has_text = cleaned["moment_tokens"].map(len).gt(0) & cleaned["comment_tokens"].map(len).gt(0)
    empty_after_cleaning = int((~has_text).sum())
    cleaned = cleaned[has_text]
    leaked = int(
        cleaned["moment_text"].map(contains_personal_data).sum() + cleaned["comment_text"].map(contains_personal_data).sum()
    )
    context.log.info(
        f"清洗后保留 {len(cleaned)} 对；排除 {orphans} 条孤儿评论、{before_moment} 条早于动态的评论、"
        + (f"{by_author} 条作者自评、{replies} 条回复其他评论者的评论、" if config.top_level_only else "")
        + f"{empty_after_cleaning} 条清洗后动态或评论为空的评论"
    )
    if cleaned.empty:
        raise Failure(
            "没有可用的（动态，评论）对：评论表为空，或评论都被过滤掉了。"
            f"共读取 {comments} 条评论（孤儿 {orphans}，早于动态 {before_moment}，清洗后为空 {empty_after_cleaning}）。"
            "请导入包含评论的数据，或把 top_level_only 设为 false。"
        )

    parameters = {"validation_fraction": config.validation_fraction, "test_fraction": config.test_fraction}
    with warehouse.get_connection() as con:
        con.register("cleaned", cleaned)
        con.execute(_PAIRS_SQL, {**parameters, "top_level_only": config.top_level_only})
        con.unregister("cleaned")
        summary = _split_summary(con)
        test_moments_seen = scalar(
            con,
            f"""
            SELECT count(*) FILTER (WHERE moment_id IN (SELECT moment_id FROM {PAIRS_TABLE} WHERE split = 'train'))
                   / greatest(count(*), 1)
            FROM {PAIRS_TABLE} WHERE split = 'test'
            """,
        )
        fingerprint = table_fingerprint(con, PAIRS_TABLE, "comment_id")
        metadata = {
            "dagster/row_count": scalar(con, f"SELECT count(*) FROM {PAIRS_TABLE}"),
            "dagster/column_schema": _column_schema(con),
            "dagster/column_lineage": column_lineage(),
            "training_set_version": fingerprint,
            "tokenization": config.tokenization,
            "splits": MetadataValue.md(_split_markdown(summary)),
            "comments_in_staging": comments,
            "excluded_orphans": orphans,
            "excluded_before_moment": before_moment,
            "excluded_by_author": by_author,
            "excluded_replies_to_commenters": replies,
            "excluded_empty_after_cleaning": empty_after_cleaning,
            "test_pairs_with_moment_in_train": round(float(test_moments_seen), 4),
            "preview": markdown_preview(
                con,
                f"SELECT split, left(moment_text, 30) AS moment_text, comment_text, "
                f"array_to_string(comment_tokens, ' / ') AS comment_tokens "
                f"FROM {PAIRS_TABLE} ORDER BY publish_time DESC LIMIT 5",
            ),
        }

    counts = {row[0]: row[1] for row in summary}
    for split in SPLITS:
        metadata[f"rows_{split}"] = counts.get(split, 0)
    context.log.info(
        f"{PAIRS_TABLE}：写入 {metadata['dagster/row_count']} 对（train {metadata['rows_train']}，"
        f"validation {metadata['rows_validation']}，test {metadata['rows_test']}），分词方式 {config.tokenization}"
    )
    missing = [split for split in SPLITS if counts.get(split, 0) == 0]
    if missing:
        raise Failure(
            f"{PAIRS_TABLE}：划分 {missing} 没有数据（共 {metadata['dagster/row_count']} 对）。请导入更多评论，或调整划分比例。"
        )

    checks = [
        AssetCheckResult(
            check_name="splits_in_time_order",
            passed=_splits_in_time_order(summary),
            metadata={"splits": MetadataValue.md(_split_markdown(summary))},
        ),
        AssetCheckResult(check_name="no_personal_data", passed=leaked == 0, metadata={"texts_with_personal_data": leaked}),
    ]
    yield MaterializeResult(metadata=metadata, check_results=checks, data_version=DataVersion(fingerprint))
