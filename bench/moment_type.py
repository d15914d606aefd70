"""Benchmark: the scenario 4 chain (pictures to evaluation) on an export directory, CPU only.

Materializes moment_type_evaluation and everything upstream of it into a
temporary (or given) folder. From the materialization metadata it prints the
picture resolution counts and time, the embedding time and pictures per
second, and the training time and samples per second. It also prints the
test accuracy, macro-F1 and per-type F1 of the fused model and of the
text-only and image-only ablations. The load average is printed too, because
the machine may be shared.

Usage:
    .venv/bin/python -m moment_pipelines.demo --out /tmp/demo100k
    .venv/bin/python bench/moment_type.py --export-dir /tmp/demo100k
    .venv/bin/python bench/moment_type.py --export-dir /tmp/demo100k --backbone mobilenet_v2 --epochs 4
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from dagster import AssetSelection, instance_for_test, materialize

from moment_pipelines.assets import all_assets
from moment_pipelines.resources import ArtifactStore, ExportDirSource, ImageStore, Warehouse

REPORTED = {
    "moment_type_images": ("urls", "urls_ok", "urls_failed", "distinct_pictures", "moments_without_usable_picture", "resolve_seconds"),
    "moment_type_image_embeddings": ("backbone_identity", "weights_source", "embedded_now", "embedding_seconds", "pictures_per_second"),
    "moment_type_training_set": ("rows_train", "rows_validation", "rows_test", "moments_with_usable_pictures"),
    "moment_type_model": ("modalities", "epochs_run", "best_epoch", "best_validation_macro_f1", "training_seconds", "samples_per_second"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description="场景 4（图文动态分类）整条链路的 CPU 基准：图片解析、embedding、训练和评估")
    parser.add_argument("--export-dir", type=Path, required=True, help="导出目录，含 moments.json、likes.json、comments.json 和 images/")
    parser.add_argument("--out", type=Path, help="存放数据仓库、产物和图片缓存的目录；不指定时用临时目录")
    parser.add_argument("--backbone", default="resnet18", help="图像骨干网络：resnet18 或 mobilenet_v2")
    parser.add_argument("--epochs", type=int, default=6, help="每个模型最多训练的轮数")
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="moment_type_bench_"))
    selected = AssetSelection.assets("moment_type_evaluation").upstream().resolve(all_assets)
    resources = {
        "source": ExportDirSource(export_dir=str(args.export_dir)),
        "warehouse": Warehouse(database=str(out / "warehouse.duckdb")),
        "artifacts": ArtifactStore(root=str(out / "artifacts")),
        "images": ImageStore(mirror_dir=str(args.export_dir / "images"), cache_dir=str(out / "image_cache")),
    }
    run_config = {
        "ops": {
            "moment_type_model": {"config": {"epochs": args.epochs}},
            "moment_type_image_embeddings": {"config": {"backbone": args.backbone}},
        }
    }

    started = time.perf_counter()
    with instance_for_test() as instance:
        result = materialize(
            [asset for asset in all_assets if asset.keys & selected], instance=instance, resources=resources, run_config=run_config
        )
    print(f"success {result.success}, {time.perf_counter() - started:.0f} s in total, load average {os.getloadavg()}")
    print(f"output folder: {out}")

    for asset_name, keys in REPORTED.items():
        (materialization,) = result.asset_materializations_for_node(asset_name)
        metadata = {key: value.value for key, value in materialization.metadata.items()}
        print(asset_name + ": " + ", ".join(f"{key} {metadata[key]}" for key in keys if key in metadata))

    (materialization,) = result.asset_materializations_for_node("moment_type_evaluation")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    for prefix in ("fused", "text_only", "image_only"):
        if f"{prefix}_macro_f1" in metadata:
            print(
                f"{prefix}: accuracy {metadata[f'{prefix}_accuracy']:.4f}, macro-F1 {metadata[f'{prefix}_macro_f1']:.4f}, "
                f"per-type F1 {metadata[f'{prefix}_per_class_f1']}, training {metadata.get(f'{prefix}_training_seconds', '-')} s"
            )


if __name__ == "__main__":
    main()
