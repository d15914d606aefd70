"""Scenario 4 pictures: resolve every picture URL of every moment through the image store."""

import hashlib
import time
from collections import Counter
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from moment_pipelines.assets.tables import markdown_preview, scalar, table_schema
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.resources import WAREHOUSE_POOL, ImageStore, Warehouse
from moment_pipelines.resources import images as image_store_module
from moment_pipelines.resources.images import FAILURE_REASONS, OK, ResolvedImage
from moment_pipelines.versioning import definition_version

MOMENT_TYPE_GROUP = "moment_type"
IMAGES_TABLE = "moment_type_images"
# Above this share of failed URLs the check warns; the run still succeeds.
MAX_FAILED_SHARE = 0.1
NO_PICTURES_MESSAGE = "数据中没有任何图片 URL（所有动态的 pics 都为空），图像分支没有输入，场景 4 将只用文本训练。"

COLUMNS = (
    "url",
    "url_sha256",
    "status",
    "reason",
    "detail",
    "source",
    "content_sha256",
    "width",
    "height",
    "image_format",
    "resized_path",
)


def _frame(resolved: list[ResolvedImage]) -> pd.DataFrame:
    rows = [
        (
            item.url,
            hashlib.sha256(item.url.encode("utf-8")).hexdigest(),
            item.status,
            item.reason,
            item.detail,
            item.source,
            item.content_sha256,
            item.width,
            item.height,
            item.image_format,
            item.resized_path,
        )
        for item in resolved
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"width": "Int64", "height": "Int64"})


def _reason_markdown(reasons: Counter) -> str:
    if not reasons:
        return "（没有失败）"
    lines = ["| 原因 | URL 数 | 含义 |", "|---|---|---|"]
    lines += [f"| {reason} | {count} | {FAILURE_REASONS.get(reason, '')} |" for reason, count in reasons.most_common()]
    return "\n".join(lines)


@asset(
    name=IMAGES_TABLE,
    deps=["stg_moments"],
    group_name=MOMENT_TYPE_GROUP,
    kinds={"duckdb", "python"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(Path(image_store_module.__file__).read_text(encoding="utf-8"), str(COLUMNS)),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": IMAGES_TABLE},
    check_specs=[
        AssetCheckSpec(
            "failed_share",
            asset=IMAGES_TABLE,
            description=f"无法使用的图片 URL 占比不超过 {MAX_FAILED_SHARE:.0%}（超过只警告，失败原因见 metadata）",
        )
    ],
)
def moment_type_images(context: AssetExecutionContext, warehouse: Warehouse, images: ImageStore) -> MaterializeResult:
    """场景 4（动态类型分类）的图片表：stg_moments 中每个不同的图片 URL 一行，记录能否使用、来源和失败原因。

    先查本地镜像目录（演示数据生成在导出目录的 images/ 下，manifest.tsv 把 URL 映射到图片文件），再查下载缓存，
    最后在打开 HTTP 时下载（超时、重试、大小上限、Content-Type 检查）。能用 Pillow 解码的 WebP、JPEG、PNG
    居中裁成正方形、缩放后按内容哈希缓存为 PNG；失败的 URL 记下原因，不会让 run 失败。
    """
    with warehouse.get_connection() as con:
        urls = [row[0] for row in con.execute("SELECT DISTINCT unnest(pics) AS url FROM stg_moments ORDER BY url").fetchall()]
        moments_with_pictures = scalar(con, "SELECT count(*) FROM stg_moments WHERE has_pics")

    context.log.info(
        f"解析 {len(urls)} 个不同的图片 URL（来自 {moments_with_pictures} 条有图动态）；镜像目录 {images.mirror_dir}，"
        f"HTTP 下载{'已打开' if images.http_enabled else '已关闭'}"
    )
    started = time.perf_counter()
    resolved = images.resolve(urls, on_progress=lambda done, total: context.log.debug(f"已解析 {done}/{total} 个 URL"))
    seconds = time.perf_counter() - started
    frame = _frame(resolved)

    with warehouse.get_connection() as con:
        con.register("resolved_images", frame)
        con.execute(f"CREATE OR REPLACE TABLE {IMAGES_TABLE} AS SELECT * FROM resolved_images")
        con.unregister("resolved_images")
        moments_without_usable = scalar(
            con,
            f"""
            WITH usable AS (
                SELECT DISTINCT p.moment_id
                FROM (SELECT moment_id, unnest(pics) AS url FROM stg_moments) AS p
                JOIN {IMAGES_TABLE} AS i USING (url)
                WHERE i.status = '{OK}'
            )
            SELECT count(*) FROM stg_moments WHERE has_pics AND moment_id NOT IN (SELECT moment_id FROM usable)
            """,
        )
        metadata = {
            "dagster/row_count": len(frame),
            "dagster/column_schema": table_schema(con, IMAGES_TABLE),
            "preview": markdown_preview(
                con, f"SELECT url, status, reason, source, image_format, width, height FROM {IMAGES_TABLE} LIMIT 5"
            ),
        }

    ok = int((frame["status"] == OK).sum())
    failed = len(frame) - ok
    reasons = Counter(frame.loc[frame["status"] != OK, "reason"])
    sources = Counter(frame["source"].dropna())
    metadata.update(
        {
            "urls": len(frame),
            "urls_ok": ok,
            "urls_failed": failed,
            "failure_reasons": MetadataValue.md(_reason_markdown(reasons)),
            "sources": MetadataValue.json(dict(sources)),
            "distinct_pictures": int(frame.loc[frame["status"] == OK, "content_sha256"].nunique()),
            "moments_with_pictures": moments_with_pictures,
            "moments_without_usable_picture": moments_without_usable,
            "resolve_seconds": round(seconds, 2),
            "http_enabled": images.http_enabled,
            "mirror_dir": MetadataValue.path(str(images.mirror_dir)),
            "resized_cache_dir": MetadataValue.path(str(images.resized_dir())),
        }
    )
    for reason, count in reasons.items():
        metadata[f"failed_{reason}"] = count

    if not urls:
        context.log.warning(NO_PICTURES_MESSAGE)
        metadata["note"] = MetadataValue.md(NO_PICTURES_MESSAGE)
    else:
        context.log.info(
            f"{IMAGES_TABLE}：{ok} 个可用，{failed} 个失败（"
            + ("，".join(f"{reason} {count}" for reason, count in reasons.most_common()) or "无")
            + f"），用时 {seconds:.1f} 秒；{moments_without_usable} 条有图动态没有一张可用图片，标记为“无可用图片”"
        )
    failed_share = failed / len(frame) if len(frame) else 0.0
    check = AssetCheckResult(
        check_name="failed_share",
        passed=failed_share <= MAX_FAILED_SHARE,
        severity=AssetCheckSeverity.WARN,
        metadata={"failed_share": round(failed_share, 4), "max_share": MAX_FAILED_SHARE},
    )
    return MaterializeResult(metadata=metadata, check_results=[check])
