"""Scenario 2 training set: every candidate with its features, label and time split."""

from collections.abc import Iterator

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

from moment_pipelines.assets.like_behavior.candidates import NO_LIKES_MESSAGE
from moment_pipelines.assets.like_behavior.inputs import (
    CANDIDATES_TABLE,
    INPUT_GROUPS,
    LABEL_COLUMN,
    LIKE_BEHAVIOR_INPUTS,
    SPLITS,
    TRAINING_SET_TABLE,
    incomplete_rows_sql,
    training_set_sql,
)
from moment_pipelines.assets.like_behavior.provinces import LIKE_BEHAVIOR_GROUP
from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.assets.tables import markdown_preview, scalar, skipped_check_results
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.features import FEATURE_GROUPS
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.versioning import definition_version

FINGERPRINT_ORDER = "event_time, uid, moment_id"


class LikeBehaviorTrainingSetConfig(Config):
    """Time-split fractions of the training set."""

    validation_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="验证集占比（按点赞时间排在训练集之后）")
    test_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="测试集占比（时间最新的一段）")


def _fixed_columns() -> dict[str, tuple[str, list[TableColumnDep]]]:
    """Return description and lineage of the columns that are not model inputs."""

    def candidates(*columns: str) -> list[TableColumnDep]:
        return [TableColumnDep(asset_key=AssetKey(CANDIDATES_TABLE), column_name=column) for column in columns]

    return {
        "uid": ("用户 id", candidates("uid")),
        "moment_id": ("动态 id", candidates("moment_id")),
        "event_time": ("事件时间（UTC）：点赞时刻，负样本沿用对应正样本的时刻", candidates("event_time")),
        "positive_id": ("正样本编号：同一次点赞和为它抽的负样本编号相同", candidates("positive_id")),
        "sample_source": ("样本来源：like / engaged_author / same_province / feed", candidates("sample_source")),
        "split": ("数据集划分：train / validation / test，按正样本事件时间的分位数", candidates("event_time", "label")),
        LABEL_COLUMN: ("标签：1 = 点赞，0 = 抽样的未点赞动态", candidates("label")),
    }


def column_lineage() -> TableColumnLineage:
    """Map every training-set column to the candidate or feature-group column it comes from."""
    deps_by_column = {name: deps for name, (_, deps) in _fixed_columns().items()}
    for model_input in LIKE_BEHAVIOR_INPUTS:
        deps_by_column[model_input.column] = [
            TableColumnDep(asset_key=AssetKey(model_input.group), column_name=model_input.column)
        ]
    return TableColumnLineage(deps_by_column=deps_by_column)


def _column_schema(con) -> TableSchema:
    descriptions = {name: description for name, (description, _) in _fixed_columns().items()}
    for model_input in LIKE_BEHAVIOR_INPUTS:
        group = FEATURE_GROUPS[model_input.group]
        column = next(column for column in group.columns if column.name == model_input.column)
        descriptions[model_input.column] = f"{column.description}（来自 {group.name}，编码方式 {model_input.kind}）"
    rows = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {TRAINING_SET_TABLE})").fetchall()
    return TableSchema(
        columns=[TableColumn(name=name, type=data_type, description=descriptions.get(name)) for name, data_type in rows]
    )


def _split_summary(con) -> list[tuple]:
    return con.execute(
        f"""
        SELECT split, count(*), sum({LABEL_COLUMN}), min(event_time), max(event_time)
        FROM {TRAINING_SET_TABLE}
        GROUP BY split
        ORDER BY min(event_time)
        """
    ).fetchall()


def _split_markdown(summary: list[tuple]) -> str:
    rows = ["| split | 行数 | 正样本 | 正样本占比 | 最早事件 (UTC) | 最晚事件 (UTC) |", "|---|---|---|---|---|---|"]
    for split, count, positives, first, last in summary:
        rows.append(
            f"| {split} | {count} | {positives} | {positives / count:.3f} | {first:%Y-%m-%d %H:%M} | {last:%Y-%m-%d %H:%M} |"
        )
    return "\n".join(rows)


def _splits_in_time_order(summary: list[tuple]) -> bool:
    """True when each split's newest event is earlier than the next split's oldest."""
    by_split = {row[0]: row for row in summary}
    ordered = [by_split[split] for split in SPLITS if split in by_split]
    return all(earlier[4] < later[3] for earlier, later in zip(ordered, ordered[1:]))


CHECK_NAMES = ("splits_in_time_order", "every_candidate_has_features")


@asset(
    name=TRAINING_SET_TABLE,
    deps=[CANDIDATES_TABLE, *INPUT_GROUPS],
    group_name=LIKE_BEHAVIOR_GROUP,
    kinds={"duckdb", "sql"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(training_set_sql()),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": TRAINING_SET_TABLE},
    # Without likes (or with too few to split) the asset is not materialized, so
    # the model and evaluation steps are skipped and the rest of the run succeeds.
    output_required=False,
    check_specs=[
        AssetCheckSpec(
            "splits_in_time_order",
            asset=TRAINING_SET_TABLE,
            description="train 的事件都早于 validation，validation 都早于 test（按时间划分，不随机打乱）",
        ),
        AssetCheckSpec(
            "every_candidate_has_features",
            asset=TRAINING_SET_TABLE,
            description="每个候选样本在所有特征组中都有一行（特征组与候选表同步）",
        ),
    ],
)
def like_behavior_training_set(
    context: AssetExecutionContext, config: LikeBehaviorTrainingSetConfig, warehouse: Warehouse
) -> Iterator[MaterializeResult]:
    """场景 2（点赞行为预测）的训练集：每个候选样本一行，包含 16 个特征、标签（1 = 点赞）和时间划分。

    特征来自五个特征组：用户与作者的互动、用户对该类型动态的点赞占比、文本情感、动态被看到时的状态（年龄、已有点赞和评论）、
    用户与动态的地理距离。按点赞时间划分：最早的 80% 为 train，接下来 10% 为 validation，最新的 10% 为 test。
    """
    if config.validation_fraction + config.test_fraction >= 1:
        raise Failure("validation_fraction 与 test_fraction 之和必须小于 1，训练集才有数据")

    with warehouse.get_connection() as con:
        positives = scalar(con, f"SELECT count(*) FROM {CANDIDATES_TABLE} WHERE label = 1")
        if positives == 0:
            context.log.warning(f"{TRAINING_SET_TABLE}：{NO_LIKES_MESSAGE}本次跳过训练集、模型和评估。")
            yield from skipped_check_results(CHECK_NAMES, NO_LIKES_MESSAGE)
            return
        con.execute(
            training_set_sql(),
            {"validation_fraction": config.validation_fraction, "test_fraction": config.test_fraction},
        )
        rows = scalar(con, f"SELECT count(*) FROM {TRAINING_SET_TABLE}")
        incomplete = scalar(con, incomplete_rows_sql())
        summary = _split_summary(con)
        fingerprint = table_fingerprint(con, TRAINING_SET_TABLE, FINGERPRINT_ORDER)
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": _column_schema(con),
            "dagster/column_lineage": column_lineage(),
            "training_set_version": fingerprint,
            "splits": MetadataValue.md(_split_markdown(summary)),
            "excluded_features_incomplete": incomplete,
            "preview": markdown_preview(
                con,
                f"SELECT * EXCLUDE (uid, moment_id, positive_id) FROM {TRAINING_SET_TABLE} "
                "ORDER BY event_time DESC, label DESC LIMIT 5",
            ),
        }

    counts = {row[0]: row for row in summary}
    for split in SPLITS:
        metadata[f"rows_{split}"] = counts[split][1] if split in counts else 0
        metadata[f"positives_{split}"] = int(counts[split][2]) if split in counts else 0
    context.log.info(
        f"{TRAINING_SET_TABLE}：写入 {rows} 行（train {metadata['rows_train']}，validation {metadata['rows_validation']}，"
        f"test {metadata['rows_test']}）；{incomplete} 个候选因特征缺失被排除"
    )
    unusable = [
        split
        for split in SPLITS
        if metadata[f"positives_{split}"] == 0 or metadata[f"positives_{split}"] == metadata[f"rows_{split}"]
    ]
    if unusable:
        context.log.warning(
            f"{TRAINING_SET_TABLE}：划分 {unusable} 缺少正样本或负样本（共 {rows} 行，{positives} 个点赞）。"
            "数据太少，无法训练和评估二分类模型，本次跳过训练集、模型和评估；请导入更多点赞记录。"
        )
        yield from skipped_check_results(CHECK_NAMES, f"划分 {unusable} 缺少正样本或负样本")
        return

    checks = [
        AssetCheckResult(
            check_name="splits_in_time_order",
            passed=_splits_in_time_order(summary),
            metadata={"splits": MetadataValue.md(_split_markdown(summary))},
        ),
        AssetCheckResult(
            check_name="every_candidate_has_features", passed=incomplete == 0, metadata={"candidates_without_features": incomplete}
        ),
    ]
    yield MaterializeResult(metadata=metadata, check_results=checks, data_version=DataVersion(fingerprint))
