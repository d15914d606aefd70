"""Scenario 4 evaluation: the fused model against text-only and image-only ablations on the newest moments."""

import dataclasses
import inspect
import time
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from moment_pipelines.assets.moment_type import report
from moment_pipelines.assets.moment_type.embeddings import EMBEDDINGS_TABLE
from moment_pipelines.assets.moment_type.images import MOMENT_TYPE_GROUP
from moment_pipelines.assets.moment_type.inputs import build_splits, picture_table, read_training_set, recorded_metadata
from moment_pipelines.assets.moment_type.model import MODEL_ASSET, image_markdown
from moment_pipelines.assets.moment_type.report import FUSED, IMAGE_ONLY, TEXT_ONLY, ModelScores
from moment_pipelines.assets.moment_type.training_set import TRAINING_SET_TABLE
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.moment_type import metrics
from moment_pipelines.ml.moment_type.backbone import load_backbone
from moment_pipelines.ml.moment_type.checkpoint import load_checkpoint
from moment_pipelines.ml.moment_type.data import MomentTypeSplit, PictureTable
from moment_pipelines.ml.moment_type.model import MultiModalClassifier, MultiModalConfig
from moment_pipelines.ml.moment_type.plots import plot_confusion_matrix
from moment_pipelines.ml.moment_type.train import MomentTypeTrainConfig, predict_logits, train_classifier
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

EVALUATION_ASSET = "moment_type_evaluation"
REPORT_FILE = "report.md"
CONFUSION_FILE = "confusion_matrix.png"
CHECK_NAME = "fused_at_least_ablations"


def score(
    model: MultiModalClassifier, split: MomentTypeSplit, table: PictureTable | None, classes: list[int], seconds: float | None
) -> ModelScores:
    predicted = predict_logits(model, split, table).argmax(dim=1)
    per_class = metrics.per_class_f1(predicted, split.label, len(classes))
    return ModelScores(
        accuracy=metrics.accuracy(predicted, split.label),
        macro_f1=metrics.macro_f1(predicted, split.label, len(classes)),
        per_class_f1={moment_type: float(value) for moment_type, value in zip(classes, per_class)},
        training_seconds=seconds,
    )


def train_ablation(
    context: AssetExecutionContext,
    name: str,
    model_config: MultiModalConfig,
    checkpoint: dict,
    splits: dict[str, MomentTypeSplit],
    table: PictureTable | None,
    backbone: dict,
) -> tuple[MultiModalClassifier, float]:
    """Train one branch alone with the fused model's data split, hyper-parameters and seed."""
    image_encoder = None
    if model_config.use_image and checkpoint["backbone_in_model"] is not None:
        image_encoder, _ = load_backbone(backbone["backbone"], backbone["weights_path"] or None)
    ablation = MultiModalClassifier(model_config, image_encoder)
    train_config = MomentTypeTrainConfig(**checkpoint["train_config"])

    def log_epoch(entry) -> None:
        context.log.info(
            f"{name}，第 {entry.epoch}/{train_config.epochs} 轮：训练损失 {entry.train_loss:.4f}，"
            f"验证 macro-F1 {entry.validation_macro_f1:.4f}"
        )

    pictures = table if model_config.use_image else None
    started = time.perf_counter()
    train_classifier(ablation, splits["train"], splits["validation"], pictures, train_config, log_epoch)
    return ablation, time.perf_counter() - started


@asset(
    name=EVALUATION_ASSET,
    deps=[MODEL_ASSET, TRAINING_SET_TABLE, EMBEDDINGS_TABLE],
    group_name=MOMENT_TYPE_GROUP,
    kinds={"pytorch", "markdown"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(
        Path(__file__).read_text(encoding="utf-8"), inspect.getsource(report), inspect.getsource(metrics)
    ),
    automation_condition=REBUILD_ON_CHANGE,
    check_specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=EVALUATION_ASSET,
            description="在测试集上，融合模型的 macro-F1 不低于只用文本和只用图片的消融模型（不通过只警告）",
        )
    ],
)
def moment_type_evaluation(context: AssetExecutionContext, warehouse: Warehouse, artifacts: ArtifactStore) -> MaterializeResult:
    """场景 4 的评估报告：在测试集（发布时间最新的 10%）上计算融合模型的准确率、macro-F1、每个类型的 F1 和混淆矩阵，
    并用相同的数据划分和超参数训练“只用文本”和“只用图片”两个消融模型作对比。

    加载 moment_type_model 最近一次物化记录的模型并校验 sha256；中文报告和混淆矩阵图写入产物目录并显示在 metadata 中。
    """
    recorded = recorded_metadata(context, MODEL_ASSET, "model_path", "model_sha256")
    model_path, model_sha256 = str(recorded["model_path"]), str(recorded["model_sha256"])
    model, vocabulary, checkpoint = load_checkpoint(artifacts.verified_path(model_path, model_sha256))
    frame, training_set_version = read_training_set(warehouse)
    if checkpoint["training_set_version"] != training_set_version:
        raise Failure(
            f"模型（run {recorded['run_id']}）训练时的训练集版本是 {checkpoint['training_set_version']}，"
            f"而当前 {TRAINING_SET_TABLE} 的版本是 {training_set_version}。请先重新物化 {MODEL_ASSET}，再评估。"
        )
    embeddings = recorded_metadata(context, EMBEDDINGS_TABLE, "backbone", "weights_path", "weights_note")
    classes = [int(value) for value in checkpoint["classes"]]
    model_config = model.config
    table, table_rows = picture_table(
        warehouse, checkpoint["freeze_backbone"], checkpoint["backbone_identity"], checkpoint["image_size"]
    )
    if model_config.use_image and table is None:
        raise Failure(
            f"模型使用的图片 embedding（{checkpoint['backbone_identity']}）已不在 {EMBEDDINGS_TABLE} 中，"
            f"请先重新物化 {MODEL_ASSET}，再评估"
        )
    splits = build_splits(frame, vocabulary, classes, table_rows, checkpoint["max_tokens"], checkpoint["max_pictures"]).by_name
    test = splits["test"]
    if len(test) == 0:
        raise Failure(f"{TRAINING_SET_TABLE} 的 test 中没有 train 里出现过的 type，无法评估")

    # The fused model was trained by moment_type_model, whose metadata records its training time.
    scores = {FUSED: score(model, test, table, classes, None)}
    predicted = predict_logits(model, test, table).argmax(dim=1)
    confusion = metrics.confusion_matrix(predicted, test.label, len(classes))

    note = None
    if model_config.use_image:
        for name, config in (
            (TEXT_ONLY, dataclasses.replace(model_config, use_image=False)),
            (IMAGE_ONLY, dataclasses.replace(model_config, use_text=False)),
        ):
            context.log.info(f"训练消融模型：{name}")
            ablation, seconds = train_ablation(context, name, config, checkpoint, splits, table, embeddings)
            scores[name] = score(ablation, test, table, classes, seconds)
    else:
        note = "数据中没有可用图片（例如所有动态的 pics 都为空），模型只用了文本分支；没有训练“只用图片”的消融模型，融合与消融的比较不适用。"
        context.log.warning(note)

    fused_at_least, conclusion = report.verdict(scores)
    labels = [f"type {moment_type}" for moment_type in classes]
    stored_plot = artifacts.write(
        EVALUATION_ASSET, context.run.run_id, CONFUSION_FILE, lambda path: plot_confusion_matrix(confusion, labels, path, "fused model, test split")
    )
    test_frame = frame[(frame["split"] == "test") & frame["type"].isin(classes)]
    markdown = report.build_report(
        scores=scores,
        classes=classes,
        confusion=confusion,
        test_rows=len(test),
        test_period=f"{test_frame['create_time'].min():%Y-%m-%d %H:%M} 至 {test_frame['create_time'].max():%Y-%m-%d %H:%M}（UTC）",
        test_without_pictures=int((test.picture_index < 0).all(dim=1).sum()),
        model_path=model_path,
        model_sha256=model_sha256,
        model_run_id=recorded["run_id"],
        training_set_version=training_set_version,
        backbone_identity=checkpoint["backbone_identity"],
        weights_note=str(embeddings["weights_note"]),
        class_weights=list(checkpoint["class_weights"]),
        confusion_path=CONFUSION_FILE,
        note=note,
    )
    stored_report = artifacts.write_text(EVALUATION_ASSET, context.run.run_id, REPORT_FILE, markdown)

    for name, value in scores.items():
        context.log.info(f"{name}：准确率 {value.accuracy:.4f}，macro-F1 {value.macro_f1:.4f}")
    (context.log.info if fused_at_least else context.log.warning)(conclusion.replace("**", ""))
    context.log.info(f"评估报告已写入 {stored_report.path}")

    metadata = {
        "report": MetadataValue.md(markdown.replace(f"]({CONFUSION_FILE})", f"]({stored_plot.path})")),
        **stored_report.metadata("report"),
        **stored_plot.metadata("confusion_matrix_plot"),
        "confusion_matrix": image_markdown(stored_plot.path.read_bytes(), "混淆矩阵"),
        "evaluated_model_path": MetadataValue.path(model_path),
        "evaluated_model_sha256": model_sha256,
        "evaluated_model_run_id": recorded["run_id"],
        "training_set_version": training_set_version,
        "test_rows": len(test),
        "classes": MetadataValue.json(classes),
    }
    for name, value in scores.items():
        prefix = report.METADATA_PREFIXES[name]
        metadata[f"{prefix}_accuracy"] = MetadataValue.float(value.accuracy)
        metadata[f"{prefix}_macro_f1"] = MetadataValue.float(value.macro_f1)
        metadata[f"{prefix}_per_class_f1"] = MetadataValue.json({str(key): round(f1, 4) for key, f1 in value.per_class_f1.items()})
        if value.training_seconds is not None:
            metadata[f"{prefix}_training_seconds"] = round(value.training_seconds, 2)
    if note:
        metadata["note"] = MetadataValue.md(note)

    check = AssetCheckResult(
        check_name=CHECK_NAME,
        passed=fused_at_least,
        severity=AssetCheckSeverity.WARN,
        metadata={
            f"{report.METADATA_PREFIXES[name]}_macro_f1": MetadataValue.float(value.macro_f1) for name, value in scores.items()
        }
        | ({"skipped": note} if note else {}),
    )
    return MaterializeResult(metadata=metadata, check_results=[check])
