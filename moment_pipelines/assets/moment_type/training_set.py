"""Scenario 4 training set: every moment with its type, jieba tokens, usable pictures and time split."""

import time
from collections.abc import Iterator

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from moment_pipelines.assets.moment_type.images import IMAGES_TABLE, MOMENT_TYPE_GROUP
from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.assets.tables import markdown_preview, scalar, skipped_check_results, table_schema
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.comment_generation.tokens import tokenize
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.versioning import definition_version

TRAINING_SET_TABLE = "moment_type_training_set"
FINGERPRINT_ORDER = "create_time, moment_id"
SPLITS = ("train", "validation", "test")

# Moments in time order; the oldest share is train, then validation, then test.
TRAINING_SET_SQL = f"""
CREATE OR REPLACE TEMP TABLE moment_type_base AS
WITH picture_rows AS (
    SELECT moment_id, unnest(pics) AS url, generate_subscripts(pics, 1) AS position
    FROM stg_moments
),
usable AS (
    SELECT p.moment_id, list(i.content_sha256 ORDER BY p.position) AS picture_hashes
    FROM picture_rows AS p
    JOIN {IMAGES_TABLE} AS i USING (url)
    WHERE i.status = 'ok'
    GROUP BY p.moment_id
),
ordered AS (
    SELECT
        m.moment_id,
        m.create_time,
        m.type,
        m.text,
        m.pic_count,
        coalesce(u.picture_hashes, []) AS picture_hashes,
        (row_number() OVER (ORDER BY m.create_time, m.moment_id) - 1) / count(*) OVER () AS time_rank
    FROM stg_moments AS m
    LEFT JOIN usable AS u USING (moment_id)
    WHERE m.type IS NOT NULL
)
SELECT
    * EXCLUDE (time_rank),
    len(picture_hashes) AS usable_pictures,
    pic_count > 0 AND len(picture_hashes) = 0 AS no_usable_picture,
    CASE
        WHEN time_rank < 1 - $validation_fraction - $test_fraction THEN 'train'
        WHEN time_rank < 1 - $test_fraction THEN 'validation'
        ELSE 'test'
    END AS split
FROM ordered
"""


class MomentTypeTrainingSetConfig(Config):
    """Time-split fractions of the training set."""

    validation_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="验证集占比（按发布时间排在训练集之后）")
    test_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="测试集占比（发布时间最新的一段）")


def _class_markdown(rows: list[tuple]) -> str:
    counts: dict[int, dict[str, int]] = {}
    for moment_type, split, count in rows:
        counts.setdefault(moment_type, {})[split] = count
    lines = ["| type | train | validation | test |", "|---|---|---|---|"]
    lines += [
        f"| {moment_type} | " + " | ".join(str(counts[moment_type].get(split, 0)) for split in SPLITS) + " |"
        for moment_type in sorted(counts)
    ]
    return "\n".join(lines)


@asset(
    name=TRAINING_SET_TABLE,
    deps=["stg_moments", IMAGES_TABLE],
    group_name=MOMENT_TYPE_GROUP,
    kinds={"duckdb", "sql", "python"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(TRAINING_SET_SQL, "jieba word tokens"),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": TRAINING_SET_TABLE},
    # With fewer than two types in the train split there is nothing to classify: the
    # asset is not materialized, so the model and evaluation steps are skipped.
    output_required=False,
    check_specs=[
        AssetCheckSpec(
            "splits_in_time_order",
            asset=TRAINING_SET_TABLE,
            description="train 的动态都早于 validation，validation 都早于 test（按发布时间划分，不随机打乱）",
        )
    ],
)
def moment_type_training_set(
    context: AssetExecutionContext, config: MomentTypeTrainingSetConfig, warehouse: Warehouse
) -> Iterator[MaterializeResult]:
    """场景 4（根据文本和图片预测动态类型）的训练集：每条动态一行，包含标签 type、jieba 分词结果、可用图片的内容哈希和时间划分。

    图片按 pics 中的顺序，只保留 moment_type_images 中能用的；有图但一张都不能用的动态标记 no_usable_picture，
    模型把它当作“没有图片”处理（不会报错）。按发布时间划分：最早的 80% 为 train，接下来 10% 为 validation，最新的 10% 为 test。
    train 中少于两种 type 时没有可分类的内容，本次跳过训练集、模型和评估，run 仍然成功。
    """
    if config.validation_fraction + config.test_fraction >= 1:
        raise Failure("validation_fraction 与 test_fraction 之和必须小于 1，训练集才有数据")

    with warehouse.get_connection() as con:
        con.execute(
            TRAINING_SET_SQL,
            {"validation_fraction": config.validation_fraction, "test_fraction": config.test_fraction},
        )
        texts = con.execute("SELECT moment_id, text FROM moment_type_base").fetchall()
        if not texts:
            raise Failure("stg_moments 中没有带 type 的动态，无法构造场景 4 的训练集")
        train_types = [
            row[0] for row in con.execute("SELECT DISTINCT type FROM moment_type_base WHERE split = 'train' ORDER BY 1").fetchall()
        ]
        if len(train_types) < 2:
            reason = f"train 中只有 {len(train_types)} 种 type（{'、'.join(map(str, train_types)) or '无'}），无法训练分类模型"
            context.log.warning(f"{TRAINING_SET_TABLE}：{reason}，本次跳过训练集、模型和评估。")
            yield from skipped_check_results(["splits_in_time_order"], reason)
            return

        started = time.perf_counter()
        tokens = pd.DataFrame(
            {
                "moment_id": [moment_id for moment_id, _ in texts],
                "tokens": [tokenize(text, "word") for _, text in texts],
            }
        )
        context.log.info(f"jieba 分词 {len(texts)} 条动态，用时 {time.perf_counter() - started:.1f} 秒")

        con.register("moment_tokens", tokens)
        con.execute(
            f"""
            CREATE OR REPLACE TABLE {TRAINING_SET_TABLE} AS
            SELECT b.moment_id, b.create_time, b.type, b.text, t.tokens, b.pic_count, b.picture_hashes,
                   b.usable_pictures, b.no_usable_picture, b.split
            FROM moment_type_base AS b JOIN moment_tokens AS t USING (moment_id)
            ORDER BY b.create_time, b.moment_id
            """
        )
        con.unregister("moment_tokens")

        split_rows = con.execute(
            f"SELECT split, count(*), min(create_time), max(create_time) FROM {TRAINING_SET_TABLE} "
            "GROUP BY split ORDER BY min(create_time)"
        ).fetchall()
        class_rows = con.execute(f"SELECT type, split, count(*) FROM {TRAINING_SET_TABLE} GROUP BY ALL").fetchall()
        picture_counts = con.execute(
            f"""
            SELECT count(*) FILTER (WHERE pic_count > 0), count(*) FILTER (WHERE usable_pictures > 0),
                   count(*) FILTER (WHERE no_usable_picture), count(*) FILTER (WHERE text = '')
            FROM {TRAINING_SET_TABLE}
            """
        ).fetchone()
        fingerprint = table_fingerprint(con, TRAINING_SET_TABLE, FINGERPRINT_ORDER)
        rows = scalar(con, f"SELECT count(*) FROM {TRAINING_SET_TABLE}")
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(con, TRAINING_SET_TABLE),
            "training_set_version": fingerprint,
            "classes_by_split": MetadataValue.md(_class_markdown(class_rows)),
            "preview": markdown_preview(
                con,
                f"SELECT moment_id, type, left(text, 20) AS text, len(tokens) AS tokens, pic_count, usable_pictures, split "
                f"FROM {TRAINING_SET_TABLE} ORDER BY create_time DESC LIMIT 5",
            ),
        }

    with_pictures, with_usable, without_usable, empty_text = picture_counts
    by_split = {split: (count, first, last) for split, count, first, last in split_rows}
    for split in SPLITS:
        metadata[f"rows_{split}"] = by_split.get(split, (0,))[0]
    metadata.update(
        {
            "classes": len({row[0] for row in class_rows}),
            "moments_with_pictures": with_pictures,
            "moments_with_usable_pictures": with_usable,
            "moments_flagged_no_usable_picture": without_usable,
            "moments_with_empty_text": empty_text,
        }
    )
    context.log.info(
        f"{TRAINING_SET_TABLE}：{rows} 行（train {metadata['rows_train']}，validation {metadata['rows_validation']}，"
        f"test {metadata['rows_test']}），{metadata['classes']} 个类型；{with_usable} 条有可用图片，"
        f"{without_usable} 条有图但没有一张可用"
    )
    ordered = [by_split[split] for split in SPLITS if split in by_split]
    in_order = all(earlier[2] <= later[1] for earlier, later in zip(ordered, ordered[1:]))
    check = AssetCheckResult(
        check_name="splits_in_time_order",
        passed=in_order,
        metadata={split: f"{first:%Y-%m-%d %H:%M} 至 {last:%Y-%m-%d %H:%M}" for split, (_, first, last) in by_split.items()},
    )
    yield MaterializeResult(metadata=metadata, check_results=[check], data_version=DataVersion(fingerprint))
