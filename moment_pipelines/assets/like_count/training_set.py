"""Scenario 1 training set: matured like counts with their features, split by time."""

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

from moment_pipelines.assets.like_count.inputs import (
    INPUT_GROUPS,
    LABEL_COLUMN,
    LIKE_COUNT_INPUTS,
    SPLITS,
    TRAINING_SET_TABLE,
    exclusion_counts_sql,
    training_set_sql,
)
from moment_pipelines.assets.table_versions import table_fingerprint
from moment_pipelines.assets.tables import markdown_preview, scalar
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.features import FEATURE_GROUPS
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.versioning import definition_version

LIKE_COUNT_GROUP = "like_count"
LABEL_SOURCE = "stg_moments"

_SECONDS_PER_DAY = 86_400


class LikeCountTrainingSetConfig(Config):
    """Row selection and split sizes of the training set."""

    min_label_age_days: float = Field(
        default=3.0,
        ge=0,
        description="标签成熟期（天）：只保留发布时间比数据中最新一条动态早至少这么多天的动态，它们的点赞数已基本不再增长",
    )
    validation_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="验证集占比（按时间排在训练集之后）")
    test_fraction: float = Field(default=0.1, gt=0, lt=0.5, description="测试集占比（时间最新的一段）")


def _fixed_columns() -> dict[str, tuple[str, list[TableColumnDep]]]:
    """Return description and lineage of the columns that are not model inputs."""

    def stg(*columns: str) -> list[TableColumnDep]:
        return [TableColumnDep(asset_key=AssetKey(LABEL_SOURCE), column_name=column) for column in columns]

    return {
        "moment_id": ("动态 id", stg("moment_id")),
        "create_time": ("发布时间（UTC）", stg("create_time")),
        "split": ("数据集划分：train / validation / test，按发布时间先后", stg("create_time", "moment_id")),
        "like_count": ("点赞数（原始计数）", stg("like_count")),
        LABEL_COLUMN: ("训练标签 log1p(like_count) = ln(1 + 点赞数)", stg("like_count")),
    }


def column_lineage() -> TableColumnLineage:
    """Map every training-set column to the feature-group or staging columns it comes from."""
    deps_by_column = {name: deps for name, (_, deps) in _fixed_columns().items()}
    for model_input in LIKE_COUNT_INPUTS:
        deps_by_column[model_input.column] = [
            TableColumnDep(asset_key=AssetKey(model_input.group), column_name=model_input.column)
        ]
    return TableColumnLineage(deps_by_column=deps_by_column)


def _column_schema(con) -> TableSchema:
    descriptions = {name: description for name, (description, _) in _fixed_columns().items()}
    for model_input in LIKE_COUNT_INPUTS:
        group = FEATURE_GROUPS[model_input.group]
        column = next(column for column in group.columns if column.name == model_input.column)
        fill = f"；为 NULL 时填 {model_input.fill}" if model_input.fill else ""
        descriptions[model_input.column] = f"{column.description}（来自 {group.name}，编码方式 {model_input.kind}{fill}）"
    rows = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {TRAINING_SET_TABLE})").fetchall()
    return TableSchema(
        columns=[TableColumn(name=name, type=data_type, description=descriptions.get(name)) for name, data_type in rows]
    )


def _split_summary(con) -> list[tuple]:
    return con.execute(
        f"""
        SELECT split, count(*), min(create_time), max(create_time), avg(like_count), avg({LABEL_COLUMN})
        FROM {TRAINING_SET_TABLE}
        GROUP BY split
        ORDER BY min(create_time)
        """
    ).fetchall()


def _split_markdown(summary: list[tuple]) -> str:
    rows = ["| split | 行数 | 最早发布 (UTC) | 最晚发布 (UTC) | 平均点赞数 | 平均 log1p(点赞数) |", "|---|---|---|---|---|---|"]
    for split, count, first, last, mean_likes, mean_label in summary:
        rows.append(f"| {split} | {count} | {first:%Y-%m-%d %H:%M} | {last:%Y-%m-%d %H:%M} | {mean_likes:.2f} | {mean_label:.3f} |")
    return "\n".join(rows)


def _splits_in_time_order(summary: list[tuple]) -> bool:
    """True when each split's newest moment is no later than the next split's oldest."""
    by_split = {row[0]: row for row in summary}
    ordered = [by_split[split] for split in SPLITS if split in by_split]
    return all(earlier[3] <= later[2] for earlier, later in zip(ordered, ordered[1:]))


@asset(
    name=TRAINING_SET_TABLE,
    deps=[LABEL_SOURCE, *INPUT_GROUPS],
    group_name=LIKE_COUNT_GROUP,
    kinds={"duckdb", "sql"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(training_set_sql()),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": TRAINING_SET_TABLE},
    check_specs=[
        AssetCheckSpec(
            "splits_in_time_order",
            asset=TRAINING_SET_TABLE,
            description="train 的动态都不晚于 validation，validation 都不晚于 test（按发布时间划分，不随机打乱）",
        ),
        AssetCheckSpec(
            "labels_matured",
            asset=TRAINING_SET_TABLE,
            description="没有一行的发布时间晚于标签成熟截止时间（太新的动态点赞数还在增长，不能当标签）",
        ),
    ],
)
def like_count_training_set(
    context: AssetExecutionContext, config: LikeCountTrainingSetConfig, warehouse: Warehouse
) -> MaterializeResult:
    """场景 1（动态热度预测）的训练集：每条点赞数已成熟的动态一行，包含模型用到的特征、原始点赞数和标签 log1p(点赞数)。

    按发布时间划分（默认比例）：最早的 80% 为 train，接下来 10% 为 validation，最新的 10% 为 test，
    这样评估时模型面对的都是“未来”的动态。只依赖它用到的特征组。
    """
    parameters = {
        "label_age_seconds": config.min_label_age_days * _SECONDS_PER_DAY,
        "validation_fraction": config.validation_fraction,
        "test_fraction": config.test_fraction,
    }

    with warehouse.get_connection() as con:
        con.execute(training_set_sql(), parameters)
        moments, without_like_count, label_not_matured, features_incomplete = con.execute(
            exclusion_counts_sql(), {"label_age_seconds": parameters["label_age_seconds"]}
        ).fetchone()
        rows = scalar(con, f"SELECT count(*) FROM {TRAINING_SET_TABLE}")
        label_cutoff = scalar(
            con, "SELECT max(create_time) - to_seconds($1) FROM stg_moments", [parameters["label_age_seconds"]]
        )
        summary = _split_summary(con)
        too_young = scalar(con, f"SELECT count(*) FROM {TRAINING_SET_TABLE} WHERE create_time > $1", [label_cutoff])
        fingerprint = table_fingerprint(con, TRAINING_SET_TABLE, "moment_id")
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": _column_schema(con),
            "dagster/column_lineage": column_lineage(),
            "training_set_version": fingerprint,
            "splits": MetadataValue.md(_split_markdown(summary)),
            "label_cutoff_utc": str(label_cutoff),
            "moments_in_staging": moments,
            "excluded_without_like_count": without_like_count,
            "excluded_label_not_matured": label_not_matured,
            "excluded_features_incomplete": features_incomplete,
            "preview": markdown_preview(
                con, f"SELECT * EXCLUDE (moment_id) FROM {TRAINING_SET_TABLE} ORDER BY create_time DESC LIMIT 5"
            ),
        }

    counts = {row[0]: row[1] for row in summary}
    for split in SPLITS:
        metadata[f"rows_{split}"] = counts.get(split, 0)
    context.log.info(
        f"{TRAINING_SET_TABLE}：写入 {rows} 行（train {metadata['rows_train']}，validation {metadata['rows_validation']}，"
        f"test {metadata['rows_test']}）；排除 {without_like_count} 条无点赞数、{label_not_matured} 条标签未成熟"
        f"（晚于 {label_cutoff}）、{features_incomplete} 条特征不全（数据最初 3 天内没有可用的历史点赞统计）"
    )
    missing_splits = [split for split in SPLITS if counts.get(split, 0) == 0]
    if missing_splits:
        raise Failure(
            f"{TRAINING_SET_TABLE}：划分 {missing_splits} 没有数据（共 {rows} 行）。"
            "数据太少或 min_label_age_days 太大，请导入更多动态或调小该配置。"
        )

    checks = [
        AssetCheckResult(
            check_name="splits_in_time_order",
            passed=_splits_in_time_order(summary),
            metadata={"splits": MetadataValue.md(_split_markdown(summary))},
        ),
        AssetCheckResult(
            check_name="labels_matured",
            passed=too_young == 0,
            metadata={"rows_after_cutoff": too_young, "label_cutoff_utc": str(label_cutoff)},
        ),
    ]
    return MaterializeResult(metadata=metadata, check_results=checks, data_version=DataVersion(fingerprint))
