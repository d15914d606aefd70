"""Scenario 4 image embeddings: backbone features of every distinct usable picture, computed once per content."""

import inspect
import time

import numpy as np
import pandas as pd
import torch
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from moment_pipelines.assets.moment_type.images import IMAGES_TABLE, MOMENT_TYPE_GROUP, NO_PICTURES_MESSAGE
from moment_pipelines.assets.tables import scalar
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.moment_type import backbone, data
from moment_pipelines.ml.moment_type.backbone import BACKBONES, RANDOM_INIT, load_backbone
from moment_pipelines.ml.moment_type.data import embed_pictures
from moment_pipelines.resources import WAREHOUSE_POOL, ImageStore, Warehouse
from moment_pipelines.versioning import definition_version

EMBEDDINGS_TABLE = "moment_type_image_embeddings"


class ImageEmbeddingConfig(Config):
    """Backbone of the image branch, editable in the launchpad."""

    backbone: str = Field(default="resnet18", description=f"图像分支的 torchvision 骨干网络：{' 或 '.join(BACKBONES)}")
    weights_path: str | None = Field(
        default=None,
        description="预训练权重文件路径；不填时使用 torch 缓存 $TORCH_HOME/hub/checkpoints/ 中 torchvision 的 ImageNet 权重，"
        "缓存中也没有时随机初始化（不会联网下载）",
    )
    batch_size: int = Field(default=64, ge=1, description="每批送入骨干网络的图片数")
    num_threads: int = Field(default=2, ge=1, description="计算 embedding 时 torch 使用的线程数")
    seed: int = Field(default=0, description="随机初始化时的种子（只在没有预训练权重时起作用）")


def _existing_embeddings(con, identity: str) -> set[str]:
    exists = scalar(con, f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{EMBEDDINGS_TABLE}'")
    if not exists:
        return set()
    rows = con.execute(f"SELECT content_sha256 FROM {EMBEDDINGS_TABLE} WHERE backbone_identity = ?", [identity]).fetchall()
    return {row[0] for row in rows}


@asset(
    name=EMBEDDINGS_TABLE,
    deps=[IMAGES_TABLE],
    group_name=MOMENT_TYPE_GROUP,
    kinds={"pytorch", "duckdb"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(inspect.getsource(backbone), inspect.getsource(data)),
    automation_condition=REBUILD_ON_CHANGE,
    metadata={"dagster/table_name": EMBEDDINGS_TABLE},
)
def moment_type_image_embeddings(
    context: AssetExecutionContext, config: ImageEmbeddingConfig, warehouse: Warehouse, images: ImageStore
) -> MaterializeResult:
    """场景 4 的图片 embedding 表：每张不同内容（按内容哈希）的可用图片一行，是冻结骨干网络（默认 resnet18）输出的特征向量。

    相同内容的图片只算一次；骨干网络和权重不变时，上次已经算过的图片直接复用。预训练权重只从本地读取
    （配置的文件，或 torch 缓存中 torchvision 的 ImageNet 权重），没有时随机初始化并在日志和 metadata 中说明。
    冻结骨干网络时，模型训练直接读这张表，CPU 上也很快。
    """
    network, info = load_backbone(config.backbone, config.weights_path, seed=config.seed)
    if info.weights_source == RANDOM_INIT:
        context.log.warning(info.message)
    else:
        context.log.info(info.message)

    with warehouse.get_connection() as con:
        pictures = con.execute(
            f"""
            SELECT content_sha256, any_value(resized_path) AS resized_path
            FROM {IMAGES_TABLE} WHERE status = 'ok'
            GROUP BY content_sha256 ORDER BY content_sha256
            """
        ).fetchall()
        existing = _existing_embeddings(con, info.identity)

    todo = [(sha, path) for sha, path in pictures if sha not in existing]
    context.log.info(
        f"{len(pictures)} 张不同的可用图片：{len(pictures) - len(todo)} 张已有 {info.identity} 的 embedding，"
        f"需要计算 {len(todo)} 张（图片边长 {images.image_size} 像素）"
    )
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads)
    started = time.perf_counter()
    try:
        features = embed_pictures(network, [path for _, path in todo], images.image_size, config.batch_size)
    finally:
        torch.set_num_threads(previous_threads)
    seconds = time.perf_counter() - started

    new_rows = pd.DataFrame(
        {
            "content_sha256": [sha for sha, _ in todo],
            "backbone_identity": info.identity,
            "embedding": list(features.numpy().astype(np.float32)) if len(todo) else [],
        }
    )
    in_use = {sha for sha, _ in pictures}
    with warehouse.get_connection() as con:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {EMBEDDINGS_TABLE} "
            "(content_sha256 VARCHAR, backbone_identity VARCHAR, embedding FLOAT[])"
        )
        # Keep only the current backbone's rows of pictures that are still in use, then add the new ones.
        con.register("pictures_in_use", pd.DataFrame({"content_sha256": sorted(in_use)}, dtype="object"))
        con.execute(
            f"DELETE FROM {EMBEDDINGS_TABLE} WHERE backbone_identity <> ? "
            "OR content_sha256 NOT IN (SELECT content_sha256 FROM pictures_in_use)",
            [info.identity],
        )
        con.unregister("pictures_in_use")
        if len(new_rows):
            con.register("new_embeddings", new_rows)
            con.execute(f"INSERT INTO {EMBEDDINGS_TABLE} SELECT content_sha256, backbone_identity, embedding FROM new_embeddings")
            con.unregister("new_embeddings")
        rows = scalar(con, f"SELECT count(*) FROM {EMBEDDINGS_TABLE}")

    per_second = len(todo) / seconds if todo and seconds > 0 else 0.0
    if todo:
        context.log.info(f"计算了 {len(todo)} 张图片的 embedding，用时 {seconds:.1f} 秒（每秒 {per_second:.1f} 张）")
    metadata = {
        "dagster/row_count": rows,
        "backbone": info.name,
        "backbone_identity": info.identity,
        "feature_dim": info.feature_dim,
        "weights_source": info.weights_source,
        "weights_path": info.weights_path or "",
        "weights_sha256": info.weights_sha256 or "",
        "weights_note": MetadataValue.md(info.message),
        "distinct_pictures": len(pictures),
        "embedded_now": len(todo),
        "reused": len(pictures) - len(todo),
        "embedding_seconds": round(seconds, 2),
        "pictures_per_second": round(per_second, 1),
        "image_size": images.image_size,
    }
    if not pictures:
        context.log.warning(f"{EMBEDDINGS_TABLE}：没有可用图片。{NO_PICTURES_MESSAGE}")
        metadata["note"] = MetadataValue.md(NO_PICTURES_MESSAGE)
    return MaterializeResult(metadata=metadata)
