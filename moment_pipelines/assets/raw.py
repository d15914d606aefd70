"""Raw layer: one typed DuckDB row per source document, plus the quarantine."""

from datetime import datetime, timedelta, timezone

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from moment_pipelines.ingest.load import LoadStats, load_collection, read_watermark
from moment_pipelines.ingest.schema import COLLECTIONS, CollectionSpec
from moment_pipelines.ingest.validate import validation_sql
from moment_pipelines.resources import WAREHOUSE_POOL, MomentSource, Warehouse
from moment_pipelines.versioning import definition_version

RAW_GROUP = "raw"

_DESCRIPTIONS = {
    "moments": "动态原始表：每条源文档一行，字段按类型校验（id 为 BIGINT、时间为 TIMESTAMPTZ、pics 为列表）。"
    "按水位线增量抽取，重复运行不会产生重复行；不合格的文档连同原因写入 quarantine 表。",
    "likes": "点赞原始表：每条点赞文档一行，按 actionTime 水位线增量抽取；不合格的文档写入 quarantine 表。",
    "comments": "评论原始表：每条评论文档一行，按 updateTime（缺失时用 publishTime）水位线增量抽取；"
    "不合格的文档写入 quarantine 表。",
}

_PROGRESS_EVERY = 200_000


class ExtractionConfig(Config):
    """Extraction window settings, editable in the launchpad."""

    full_refresh: bool = Field(default=False, description="忽略水位线，重新读取全部文档（已有行按 _id 更新，不会重复）")
    overlap_hours: float = Field(
        default=48.0,
        description="水位线回看窗口（小时）：读取变更时间不早于“水位线减去该值”的文档，以接住迟到的文档",
    )


def _logged(batches, context: AssetExecutionContext, collection: str):
    """Pass batches through, logging the running count every _PROGRESS_EVERY documents."""
    total = 0
    next_report = _PROGRESS_EVERY
    for batch in batches:
        total += len(batch.documents)
        if total >= next_report:
            context.log.info(f"{collection}：已读取 {total} 条文档")
            next_report += _PROGRESS_EVERY
        yield batch


def _reconciliation_text(stats: LoadStats) -> str:
    return (
        f"读取 {stats.read} = 新增 {stats.inserted} + 更新 {stats.updated} + 未变 {stats.unchanged}"
        f" + 过期版本 {stats.stale} + 同批旧版本 {stats.superseded}"
        f" + 早于水位线 {stats.before_watermark} + 隔离 {stats.quarantined}"
    )


def _reasons_markdown(reasons: dict[str, int]) -> str:
    if not reasons:
        return "无隔离文档"
    rows = "\n".join(f"| {code} | {count} |" for code, count in reasons.items())
    return "| reason_code | 文档数 |\n|---|---|\n" + rows


def _metadata(stats: LoadStats, source: MomentSource, since: datetime | None) -> dict:
    metadata = {
        "source": source.describe(),
        "documents_read": stats.read,
        "rows_inserted": stats.inserted,
        "rows_updated": stats.updated,
        "rows_upserted": stats.upserted,
        "rows_unchanged": stats.unchanged,
        "rows_stale": stats.stale,
        "rows_superseded": stats.superseded,
        "rows_before_watermark": stats.before_watermark,
        "rows_quarantined": stats.quarantined,
        "rows_quarantined_new": stats.quarantined_new,
        "dagster/row_count": stats.rows_in_table,
        "reconciliation": _reconciliation_text(stats),
        "quarantine_reasons": MetadataValue.md(_reasons_markdown(stats.quarantine_reasons)),
        "extraction_since": since.isoformat() if since else "全量",
        "watermark": stats.watermark_after.isoformat() if stats.watermark_after else "无",
    }
    if stats.read == 0:
        metadata["warning"] = "本次读取到 0 条文档（集合为空或没有新变更）"
    return metadata


def build_raw_asset(spec: CollectionSpec) -> AssetsDefinition:
    """Create the extraction asset for one collection."""
    check_name = "documents_reconcile"

    @asset(
        name=spec.raw_table,
        group_name=RAW_GROUP,
        description=_DESCRIPTIONS[spec.name],
        kinds={"duckdb", "python"},
        pool=WAREHOUSE_POOL,
        code_version=definition_version(validation_sql(spec, "landing", datetime(2000, 1, 1, tzinfo=timezone.utc))),
        check_specs=[
            AssetCheckSpec(
                check_name,
                asset=spec.raw_table,
                description="读取的文档数 = 写入、未变、跳过与隔离的文档数之和，没有文档无声丢失",
            )
        ],
    )
    def raw_asset(
        context: AssetExecutionContext, config: ExtractionConfig, source: MomentSource, warehouse: Warehouse
    ) -> MaterializeResult:
        loaded_at = datetime.now(timezone.utc)
        with warehouse.get_connection() as con:
            watermark = read_watermark(con, spec)
            since = None
            if watermark is not None and not config.full_refresh:
                since = watermark - timedelta(hours=config.overlap_hours)
            context.log.info(
                f"{spec.name}：从{source.describe()}抽取，"
                + (f"变更时间不早于 {since.isoformat()}" if since else "全量读取")
            )
            batches = _logged(source.read_documents(spec, since), context, spec.name)
            stats = load_collection(con, spec, batches, since=since, loaded_at=loaded_at, run_id=context.run.run_id)

        context.log.info(f"{spec.name}：{_reconciliation_text(stats)}；表中共 {stats.rows_in_table} 行")
        if stats.quarantined:
            context.log.warning(f"{spec.name}：{stats.quarantined} 条文档被隔离，原因统计 {stats.quarantine_reasons}")
        if stats.read == 0:
            context.log.warning(f"{spec.name}：本次读取到 0 条文档")
        if not stats.reconciles():
            raise Failure(f"{spec.name}：文档计数对不上（{_reconciliation_text(stats)}，合计 {stats.accounted}）")

        return MaterializeResult(
            metadata=_metadata(stats, source, since),
            check_results=[
                AssetCheckResult(
                    check_name=check_name,
                    passed=stats.reconciles(),
                    severity=AssetCheckSeverity.ERROR,
                    metadata={"reconciliation": _reconciliation_text(stats)},
                )
            ],
        )

    return raw_asset


raw_assets = [build_raw_asset(spec) for spec in COLLECTIONS.values()]
