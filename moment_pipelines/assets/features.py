"""Feature layer: one DuckDB-table asset per feature group in `moment_pipelines.features`."""

from collections.abc import Iterable

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableColumnDep,
    TableColumnLineage,
    TableSchema,
    asset,
)

from moment_pipelines.assets.tables import markdown_preview, scalar
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.features import FEATURE_GROUPS, FeatureGroup
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.versioning import definition_version

FEATURES_GROUP = "features"
KEY_TABLE = "stg_moments"  # default key table: one row per moment


def column_lineage(group: FeatureGroup) -> TableColumnLineage:
    """Map each feature column to the upstream columns its registry entry names."""
    deps_by_column = {}
    for column in group.columns:
        deps = []
        for source in column.sources:
            table, source_column = source.split(".", 1)
            deps.append(TableColumnDep(asset_key=AssetKey(table), column_name=source_column))
        deps_by_column[column.name] = deps
    return TableColumnLineage(deps_by_column=deps_by_column)


def _column_schema(con, group: FeatureGroup) -> TableSchema:
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {group.name})").fetchall())
    return TableSchema(
        columns=[TableColumn(name=column.name, type=types[column.name], description=column.description) for column in group.columns]
    )


def _check_columns(con, group: FeatureGroup) -> None:
    """Raise Failure unless the table has exactly the registry's columns, in order."""
    actual = [row[0] for row in con.execute(f"SELECT column_name FROM (DESCRIBE {group.name})").fetchall()]
    if actual != group.column_names:
        raise Failure(
            f"{group.name}：SQL 生成的列 {actual} 与特征注册表 moment_pipelines/features/__init__.py 中声明的列 "
            f"{group.column_names} 不一致。修改 SQL 后请同步更新注册表里的列和说明。"
        )


def _summary_markdown(con, group: FeatureGroup) -> str:
    """Return a markdown table with NULL count, minimum, mean and maximum of every feature column."""
    rows = ["| 列 | NULL 数 | 最小值 | 平均值 | 最大值 |", "|---|---|---|---|---|"]
    for name in group.column_names:
        if name in group.key_columns:
            continue
        nulls, minimum, mean, maximum = con.execute(
            f"SELECT count(*) - count({name}), min({name}::DOUBLE), avg({name}::DOUBLE), max({name}::DOUBLE) "
            f"FROM {group.name}"
        ).fetchone()
        cells = ["" if value is None else f"{value:.4g}" for value in (minimum, mean, maximum)]
        rows.append(f"| {name} | {nulls} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _check_name(group: FeatureGroup) -> str:
    return "one_row_per_moment" if group.key_table == KEY_TABLE else "one_row_per_key"


def _preview_query(group: FeatureGroup) -> str:
    """Return the preview query of the five rows with the largest keys."""
    columns = ", ".join(group.column_names)
    order = ", ".join(f"{name} DESC" for name in group.key_columns)
    return f"SELECT {columns} FROM {group.name} ORDER BY {order} LIMIT 5"


def _register_functions(con, group: FeatureGroup) -> None:
    for function in group.functions:
        con.create_function(
            function.name, function.function, list(function.parameters), function.return_type, side_effects=False
        )


def _check_metadata(group: FeatureGroup, rows: int, key_rows: int, distinct_keys: int, unmatched: int) -> dict:
    if group.key_table == KEY_TABLE:
        return {"rows": rows, "moments": key_rows, "distinct_keys": distinct_keys, "keys_not_in_moments": unmatched}
    return {
        "rows": rows,
        "key_table": group.key_table,
        "key_table_rows": key_rows,
        "distinct_keys": distinct_keys,
        "keys_not_in_key_table": unmatched,
    }


def feature_code_version(group: FeatureGroup) -> str:
    """Hash the group's SQL and, when it calls Python functions, their definitions."""
    return definition_version(group.sql, *(function.definition() for function in group.functions))


def build_feature_asset(group: FeatureGroup) -> AssetsDefinition:
    """Create the asset that runs one feature group's SQL and checks it has one row per key of its key table."""
    check_name = _check_name(group)
    keys = ", ".join(group.key_columns)

    @asset(
        name=group.name,
        deps=list(group.upstream),
        group_name=FEATURES_GROUP,
        description=group.description,
        kinds={"duckdb", "sql"},
        pool=WAREHOUSE_POOL,
        code_version=feature_code_version(group),
        automation_condition=REBUILD_ON_CHANGE,
        metadata={"dagster/table_name": group.name},
        check_specs=[
            AssetCheckSpec(
                check_name,
                asset=group.name,
                description=f"{keys} 唯一，且与 {group.key_table} 的行一一对应（不多不少）",
            )
        ],
    )
    def feature_asset(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
        with warehouse.get_connection() as con:
            _register_functions(con, group)
            con.execute(group.sql)
            _check_columns(con, group)
            rows = scalar(con, f"SELECT count(*) FROM {group.name}")
            key_rows = scalar(con, f"SELECT count(*) FROM {group.key_table}")
            distinct_keys = scalar(con, f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {group.name})")
            unmatched = scalar(
                con,
                f"SELECT count(*) FROM {group.name} AS f ANTI JOIN {group.key_table} AS m USING ({keys})",
            )
            metadata = {
                "dagster/row_count": rows,
                "dagster/column_schema": _column_schema(con, group),
                "dagster/column_lineage": column_lineage(group),
                "summary": MetadataValue.md(_summary_markdown(con, group)),
                "preview": markdown_preview(con, _preview_query(group)),
                "sql": MetadataValue.md(f"```sql\n{group.sql.strip()}\n```"),
            }

        context.log.info(f"{group.name}：写入 {rows} 行（{group.key_table} 共 {key_rows} 行）")
        check = AssetCheckResult(
            check_name=check_name,
            passed=rows == key_rows and distinct_keys == rows and unmatched == 0,
            metadata=_check_metadata(group, rows, key_rows, distinct_keys, unmatched),
        )
        return MaterializeResult(metadata=metadata, check_results=[check])

    return feature_asset


def build_feature_assets(groups: Iterable[FeatureGroup]) -> list[AssetsDefinition]:
    return [build_feature_asset(group) for group in groups]


feature_assets = build_feature_assets(FEATURE_GROUPS.values())
