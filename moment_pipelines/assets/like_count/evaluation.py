"""Scenario 1 evaluation: the trained model against three baselines on the newest moments."""

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from sklearn.ensemble import HistGradientBoostingRegressor

from moment_pipelines.assets.like_count import report
from moment_pipelines.assets.like_count.inputs import FEATURE_NAMES, FEATURE_SPECS, LABEL_COLUMN, TRAINING_SET_TABLE
from moment_pipelines.assets.like_count.model import MODEL_ASSET, read_training_set
from moment_pipelines.assets.like_count.report import AUTHOR_MEAN, GLOBAL_MEAN, GRADIENT_BOOSTING, MLP, BucketRow, Scores
from moment_pipelines.assets.like_count.training_set import LIKE_COUNT_GROUP
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml import metrics
from moment_pipelines.ml.checkpoint import load_checkpoint
from moment_pipelines.ml.train import predict
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

EVALUATION_ASSET = "like_count_evaluation"
REPORT_FILE = "report.md"
AUTHOR_MEAN_FEATURE = "author_mean_likes"
CHECK_NAME = "mlp_beats_author_mean"

# Bucket edges on the actual like count: [0, 1), [1, 3), [3, 10), ...
BUCKET_EDGES = (0, 1, 3, 10, 30, 100, 1_000)

_SEED = 42


def _bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return f"≥{low}"
    if high - low == 1:
        return str(low)
    return f"{low}–{high - 1}"


def score(predicted_counts: np.ndarray, actual_counts: np.ndarray) -> Scores:
    """Compute every report metric for one predictor. Log-scale metrics use log1p of both sides."""
    predicted_log, actual_log = np.log1p(predicted_counts), np.log1p(actual_counts)
    return Scores(
        mae_log=metrics.mae(predicted_log, actual_log),
        rmse_log=metrics.rmse(predicted_log, actual_log),
        mae_raw=metrics.mae(predicted_counts, actual_counts),
        rmse_raw=metrics.rmse(predicted_counts, actual_counts),
        spearman=metrics.spearman(predicted_counts, actual_counts),
    )


def bucket_errors(predictions: dict[str, np.ndarray], actual_counts: np.ndarray) -> list[BucketRow]:
    """Return log-scale MAE per predictor for each like-count bucket that has test moments."""
    rows = []
    edges = [*BUCKET_EDGES, None]
    for low, high in zip(edges[:-1], edges[1:]):
        mask = actual_counts >= low if high is None else (actual_counts >= low) & (actual_counts < high)
        if not mask.any():
            continue
        mae_log = {
            name: metrics.mae(np.log1p(predicted[mask]), np.log1p(actual_counts[mask]))
            for name, predicted in predictions.items()
        }
        rows.append(BucketRow(label=_bucket_label(low, high), rows=int(mask.sum()), mae_log=mae_log))
    return rows


def fit_gradient_boosting(train: pd.DataFrame) -> HistGradientBoostingRegressor:
    """Fit the gradient-boosting baseline on the same features and log label as the MLP."""
    model = HistGradientBoostingRegressor(random_state=_SEED, categorical_features="from_dtype")
    model.fit(_tree_features(train), train[LABEL_COLUMN].to_numpy())
    return model


def _tree_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the model inputs with category columns as pandas categoricals, as the trees expect."""
    features = frame[FEATURE_NAMES].copy()
    for spec in FEATURE_SPECS:
        if spec.kind == "category":
            features[spec.name] = features[spec.name].astype("category")
    return features


def _recorded_model(context: AssetExecutionContext) -> tuple[str, str, str]:
    """Return path, sha256 and run id of the model materialization this evaluation depends on."""
    event = context.instance.get_latest_materialization_event(AssetKey(MODEL_ASSET))
    if event is None or event.asset_materialization is None:
        raise Failure(f"{MODEL_ASSET} 还没有物化记录，请先物化模型再评估")
    metadata = event.asset_materialization.metadata
    if "model_path" not in metadata or "model_sha256" not in metadata:
        raise Failure(f"{MODEL_ASSET} 最近一次物化的 metadata 中没有 model_path 或 model_sha256，请重新物化模型")
    return str(metadata["model_path"].value), str(metadata["model_sha256"].value), event.run_id


@asset(
    name=EVALUATION_ASSET,
    deps=[MODEL_ASSET, TRAINING_SET_TABLE],
    group_name=LIKE_COUNT_GROUP,
    kinds={"pytorch", "scikitlearn", "markdown"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(
        Path(__file__).read_text(encoding="utf-8"), inspect.getsource(report), inspect.getsource(metrics)
    ),
    automation_condition=REBUILD_ON_CHANGE,
    check_specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=EVALUATION_ASSET,
            description="在测试集上，MLP 的 MAE（对数尺度）低于“作者历史平均点赞数”基线；不通过说明模型还不值得上线",
        )
    ],
)
def like_count_evaluation(
    context: AssetExecutionContext, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 1 的评估报告：在测试集（时间最新的 10%）上比较 MLP 与三个基线（全局均值、作者历史均值、梯度提升树）。

    加载的是 like_count_model 最近一次物化记录的模型文件，并校验 sha256；报告（中文 markdown）写入产物目录并显示在 metadata 中，
    包括 MAE、RMSE（对数尺度和点赞数）、Spearman 和按点赞数分桶的误差。
    """
    model_path, model_sha256, model_run_id = _recorded_model(context)
    model, checkpoint = load_checkpoint(artifacts.verified_path(model_path, model_sha256))
    frame, training_set_version = read_training_set(warehouse)
    if checkpoint["training_set_version"] != training_set_version:
        raise Failure(
            f"模型（run {model_run_id}）训练时的训练集版本是 {checkpoint['training_set_version']}，"
            f"而当前 {TRAINING_SET_TABLE} 的版本是 {training_set_version}。请先重新物化 {MODEL_ASSET}，再评估。"
        )

    train = frame[frame["split"] == "train"]
    test = frame[frame["split"] == "test"]
    if test.empty:
        raise Failure(f"{TRAINING_SET_TABLE} 的 test 划分为空，无法评估")
    actual = test["like_count"].to_numpy(dtype=np.float64)
    test_features = torch.tensor(test[FEATURE_NAMES].to_numpy(dtype=np.float32))

    gradient_boosting = fit_gradient_boosting(train)
    predictions = {
        MLP: predict(model, test_features).numpy().astype(np.float64),
        GLOBAL_MEAN: np.full(len(test), np.expm1(train[LABEL_COLUMN].mean())),
        AUTHOR_MEAN: test[AUTHOR_MEAN_FEATURE].to_numpy(dtype=np.float64),
        GRADIENT_BOOSTING: np.clip(np.expm1(gradient_boosting.predict(_tree_features(test))), 0.0, None),
    }
    scores = {name: score(predicted, actual) for name, predicted in predictions.items()}
    buckets = bucket_errors(predictions, actual)
    beats_author_mean, conclusion = report.verdict(scores)

    test_period = f"{test['create_time'].min():%Y-%m-%d %H:%M} 至 {test['create_time'].max():%Y-%m-%d %H:%M}（UTC）"
    markdown = report.build_report(
        scores=scores,
        buckets=buckets,
        test_rows=len(test),
        test_period=test_period,
        model_path=model_path,
        model_sha256=model_sha256,
        model_run_id=model_run_id,
        training_set_version=training_set_version,
        best_epoch=int(checkpoint["best_epoch"]),
    )
    stored_report = artifacts.write_text(EVALUATION_ASSET, context.run.run_id, REPORT_FILE, markdown)

    for name, scored in scores.items():
        context.log.info(
            f"{name}：MAE(对数) {scored.mae_log:.4f}，RMSE(对数) {scored.rmse_log:.4f}，"
            f"MAE(点赞数) {scored.mae_raw:.2f}，RMSE(点赞数) {scored.rmse_raw:.2f}，Spearman {scored.spearman:.4f}"
        )
    log = context.log.info if beats_author_mean else context.log.warning
    log(conclusion.replace("**", ""))
    context.log.info(f"评估报告已写入 {stored_report.path}")

    metadata = {
        "report": MetadataValue.md(markdown),
        **stored_report.metadata("report"),
        "evaluated_model_path": MetadataValue.path(model_path),
        "evaluated_model_sha256": model_sha256,
        "evaluated_model_run_id": model_run_id,
        "training_set_version": training_set_version,
        "test_rows": len(test),
    }
    prefixes = {MLP: "mlp", GLOBAL_MEAN: "global_mean", AUTHOR_MEAN: "author_mean", GRADIENT_BOOSTING: "gradient_boosting"}
    for name, scored in scores.items():
        for metric, value in vars(scored).items():
            metadata[f"{prefixes[name]}_{metric}"] = MetadataValue.float(value)

    check = AssetCheckResult(
        check_name=CHECK_NAME,
        passed=beats_author_mean,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "mlp_mae_log": scores[MLP].mae_log,
            "author_mean_mae_log": scores[AUTHOR_MEAN].mae_log,
            "conclusion": conclusion.replace("**", ""),
        },
    )
    return MaterializeResult(metadata=metadata, check_results=[check])
