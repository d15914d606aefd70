"""Scenario 2 evaluation: the trained classifier against three baselines on the newest likes."""

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

from moment_pipelines.assets.like_behavior import report
from moment_pipelines.assets.like_behavior.inputs import (
    CANDIDATES_TABLE,
    FEATURE_NAMES,
    FEATURE_SPECS,
    LABEL_COLUMN,
    POPULARITY_FEATURE,
    TRAINING_SET_TABLE,
)
from moment_pipelines.assets.like_behavior.model import MODEL_ASSET, image_markdown, read_training_set
from moment_pipelines.assets.like_behavior.provinces import LIKE_BEHAVIOR_GROUP
from moment_pipelines.assets.like_behavior.report import GRADIENT_BOOSTING, LOGISTIC, MLP, POPULARITY, Scores
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.like_behavior import baselines, metrics
from moment_pipelines.ml.like_behavior.checkpoint import load_checkpoint
from moment_pipelines.ml.like_behavior.classifier import LikeProbabilityModel
from moment_pipelines.ml.like_behavior.plots import plot_reliability
from moment_pipelines.resources import WAREHOUSE_POOL, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

EVALUATION_ASSET = "like_behavior_evaluation"
REPORT_FILE = "report.md"
RELIABILITY_FILE = "reliability.png"
CHECK_NAME = "mlp_beats_popularity"
THRESHOLD_NOTE = (
    "每个模型各自在 validation 上选使 F1（精确率与召回率的调和平均）最大的阈值，再原样用到 test 上，"
    "所以 test 上的精确率和召回率没有“偷看”测试集。"
)

# Permutation importance shuffles each column PERMUTATION_REPEATS times on at
# most PERMUTATION_ROWS test rows, which keeps it to seconds on a million candidates.
PERMUTATION_ROWS = 50_000
PERMUTATION_REPEATS = 3
_SEED = 42


def _recorded_model(context: AssetExecutionContext) -> tuple[str, str, str]:
    """Return path, sha256 and run id of the model materialization this evaluation depends on."""
    event = context.instance.get_latest_materialization_event(AssetKey(MODEL_ASSET))
    if event is None or event.asset_materialization is None:
        raise Failure(f"{MODEL_ASSET} 还没有物化记录，请先物化模型再评估")
    metadata = event.asset_materialization.metadata
    if "model_path" not in metadata or "model_sha256" not in metadata:
        raise Failure(f"{MODEL_ASSET} 最近一次物化的 metadata 中没有 model_path 或 model_sha256，请重新物化模型")
    return str(metadata["model_path"].value), str(metadata["model_sha256"].value), event.run_id


def _sampling_summary(context: AssetExecutionContext) -> str:
    """Describe the negative sampling recorded on the candidates' latest materialization."""
    event = context.instance.get_latest_materialization_event(AssetKey(CANDIDATES_TABLE))
    if event is None or event.asset_materialization is None or "sampling" not in event.asset_materialization.metadata:
        return "（候选表的抽样配置没有记录）"
    sampling = event.asset_materialization.metadata["sampling"].value
    return (
        f"每个点赞配 {sampling['negatives_per_positive']} 个负样本：最多 {sampling['engaged_author_negatives']} 个来自互动过的作者"
        f"（点赞前 {sampling['window_hours']:g} 小时内的动态），最多 {sampling['same_province_negatives']} 个来自同省动态，"
        f"其余来自全站；负样本的“年龄”按真实点赞的年龄分布匹配，种子 {sampling['seed']}，最多 {sampling['max_positives']} 个正样本。"
    )


def _raw_features(frame: pd.DataFrame) -> np.ndarray:
    # copy=True returns a writable array, which torch.from_numpy needs; pandas may otherwise return a read-only view.
    return frame[FEATURE_NAMES].to_numpy(dtype=np.float32, copy=True)


@torch.no_grad()
def _mlp_probability(model: LikeProbabilityModel, raw: np.ndarray) -> np.ndarray:
    model.eval()
    features = torch.from_numpy(np.array(raw, dtype=np.float32))  # a writable copy of a possibly shuffled view
    return model(features).numpy().astype(np.float64)


@torch.no_grad()
def _encoded(model: LikeProbabilityModel, frame: pd.DataFrame) -> np.ndarray:
    return model.encoder(torch.from_numpy(_raw_features(frame))).numpy()


def fit_baselines(model: LikeProbabilityModel, train: pd.DataFrame) -> dict:
    """Fit the popularity, logistic-regression and gradient-boosting baselines on the training split."""
    label = train[LABEL_COLUMN].to_numpy()
    return {
        POPULARITY: baselines.fit_popularity(train[POPULARITY_FEATURE].to_numpy(dtype=np.float64), label),
        LOGISTIC: baselines.fit_logistic_regression(_encoded(model, train), label, _SEED),
        GRADIENT_BOOSTING: baselines.fit_gradient_boosting(baselines.tree_features(train, FEATURE_SPECS), label, _SEED),
    }


def predict_all(model: LikeProbabilityModel, fitted: dict, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return every predictor's like probabilities for the rows of `frame`."""
    return {
        MLP: _mlp_probability(model, _raw_features(frame)),
        POPULARITY: baselines.predict_popularity(fitted[POPULARITY], frame[POPULARITY_FEATURE].to_numpy(dtype=np.float64)),
        LOGISTIC: fitted[LOGISTIC].predict_proba(_encoded(model, frame))[:, 1],
        GRADIENT_BOOSTING: fitted[GRADIENT_BOOSTING].predict_proba(baselines.tree_features(frame, FEATURE_SPECS))[:, 1],
    }


def score(probability: np.ndarray, label: np.ndarray, threshold: float) -> Scores:
    return Scores(
        roc_auc=metrics.roc_auc(probability, label),
        pr_auc=metrics.pr_auc(probability, label),
        log_loss=metrics.log_loss(probability, label),
        calibration_error=metrics.expected_calibration_error(metrics.calibration_bins(probability, label)),
        at_threshold=metrics.scores_at(probability, label, threshold),
    )


def auc_by_source(test: pd.DataFrame, probability: np.ndarray) -> dict[str, tuple[int, float]]:
    """Return, per negative source, the number of test negatives and the ROC-AUC of positives against them."""
    result = {}
    positives = (test[LABEL_COLUMN] == 1).to_numpy()
    for source in sorted(test.loc[~positives, "sample_source"].unique()):
        negatives = (test["sample_source"] == source).to_numpy() & ~positives
        mask = positives | negatives
        result[source] = (int(negatives.sum()), metrics.roc_auc(probability[mask], test[LABEL_COLUMN].to_numpy()[mask]))
    return result


def mlp_permutation_importance(model: LikeProbabilityModel, test: pd.DataFrame) -> dict[str, float]:
    sample = test.sample(n=min(len(test), PERMUTATION_ROWS), random_state=_SEED)
    return metrics.permutation_importance(
        lambda raw: _mlp_probability(model, raw),
        _raw_features(sample),
        sample[LABEL_COLUMN].to_numpy(),
        FEATURE_NAMES,
        repeats=PERMUTATION_REPEATS,
        seed=_SEED,
    )


@asset(
    name=EVALUATION_ASSET,
    deps=[MODEL_ASSET, TRAINING_SET_TABLE],
    group_name=LIKE_BEHAVIOR_GROUP,
    kinds={"pytorch", "scikitlearn", "markdown"},
    pool=WAREHOUSE_POOL,
    code_version=definition_version(
        Path(__file__).read_text(encoding="utf-8"),
        inspect.getsource(report),
        inspect.getsource(metrics),
        inspect.getsource(baselines),
    ),
    automation_condition=REBUILD_ON_CHANGE,
    check_specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=EVALUATION_ASSET,
            description="在测试集上，MLP 的 ROC-AUC 高于热度基线（按动态已有点赞数排序）；不通过说明模型还不值得上线",
        )
    ],
)
def like_behavior_evaluation(
    context: AssetExecutionContext, warehouse: Warehouse, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 2 的评估报告：在测试集（时间最新的 10%）上比较 MLP 与热度、逻辑回归、梯度提升树三个基线。

    加载 like_behavior_model 最近一次物化记录的模型并校验 sha256。指标包括 ROC-AUC、PR-AUC、log loss、校准误差、
    在 validation 上选定阈值后的精确率和召回率、可靠性图（reliability.png）和 MLP 的排列重要性；中文报告写入产物目录并显示在 metadata 中。
    """
    model_path, model_sha256, model_run_id = _recorded_model(context)
    model, checkpoint = load_checkpoint(artifacts.verified_path(model_path, model_sha256))
    frame, training_set_version = read_training_set(warehouse)
    if checkpoint["training_set_version"] != training_set_version:
        raise Failure(
            f"模型（run {model_run_id}）训练时的训练集版本是 {checkpoint['training_set_version']}，"
            f"而当前 {TRAINING_SET_TABLE} 的版本是 {training_set_version}。请先重新物化 {MODEL_ASSET}，再评估。"
        )

    train, validation, test = (frame[frame["split"] == split] for split in ("train", "validation", "test"))
    if test.empty or test[LABEL_COLUMN].nunique() < 2:
        raise Failure(f"{TRAINING_SET_TABLE} 的 test 划分为空或只有一种标签，无法计算 AUC")
    context.log.info(f"拟合基线：train {len(train)} 行；评估 test {len(test)} 行")
    fitted = fit_baselines(model, train)
    validation_probability = predict_all(model, fitted, validation)
    test_probability = predict_all(model, fitted, test)
    validation_label, test_label = validation[LABEL_COLUMN].to_numpy(), test[LABEL_COLUMN].to_numpy()

    thresholds = {
        name: metrics.best_f1_threshold(probability, validation_label).threshold
        for name, probability in validation_probability.items()
    }
    scores = {name: score(test_probability[name], test_label, thresholds[name]) for name in test_probability}
    calibration = {name: metrics.calibration_bins(probability, test_label) for name, probability in test_probability.items()}
    stored_plot = artifacts.write(
        EVALUATION_ASSET, context.run.run_id, RELIABILITY_FILE, lambda path: plot_reliability({report.PLOT_LABELS[name]: bins for name, bins in calibration.items()}, path)
    )
    context.log.info(f"计算 MLP 的排列重要性（最多 {PERMUTATION_ROWS} 行，每列打乱 {PERMUTATION_REPEATS} 次）")
    importance = mlp_permutation_importance(model, test)
    source_auc = auc_by_source(test, test_probability[MLP])
    beats_popularity, conclusion = report.verdict(scores)

    test_period = f"{test['event_time'].min():%Y-%m-%d %H:%M} 至 {test['event_time'].max():%Y-%m-%d %H:%M}（UTC）"
    markdown = report.build_report(
        scores=scores,
        threshold_note=THRESHOLD_NOTE,
        importance=importance,
        source_auc=source_auc,
        test_rows=len(test),
        test_positives=int(test_label.sum()),
        test_period=test_period,
        sampling=_sampling_summary(context),
        model_path=model_path,
        model_sha256=model_sha256,
        model_run_id=model_run_id,
        training_set_version=training_set_version,
        best_epoch=int(checkpoint["best_epoch"]),
        pos_weight=float(checkpoint["pos_weight"]),
        reliability_path=RELIABILITY_FILE,
    )
    stored_report = artifacts.write_text(EVALUATION_ASSET, context.run.run_id, REPORT_FILE, markdown)

    for name, scored in scores.items():
        context.log.info(
            f"{name}：ROC-AUC {scored.roc_auc:.4f}，PR-AUC {scored.pr_auc:.4f}，log loss {scored.log_loss:.4f}，"
            f"ECE {scored.calibration_error:.4f}，阈值 {scored.at_threshold.threshold:.3f} 时精确率 "
            f"{scored.at_threshold.precision:.3f}、召回率 {scored.at_threshold.recall:.3f}"
        )
    log = context.log.info if beats_popularity else context.log.warning
    log(conclusion.replace("**", ""))
    context.log.info(f"评估报告已写入 {stored_report.path}")

    metadata = {
        "report": MetadataValue.md(markdown.replace(f"]({RELIABILITY_FILE})", f"]({stored_plot.path})")),
        **stored_report.metadata("report"),
        **stored_plot.metadata("reliability_plot"),
        "reliability_diagram": image_markdown(stored_plot.path.read_bytes(), "可靠性图"),
        "evaluated_model_path": MetadataValue.path(model_path),
        "evaluated_model_sha256": model_sha256,
        "evaluated_model_run_id": model_run_id,
        "training_set_version": training_set_version,
        "test_rows": len(test),
        "test_positives": int(test_label.sum()),
        "permutation_importance": MetadataValue.json({name: round(drop, 5) for name, drop in importance.items()}),
    }
    for name, scored in scores.items():
        prefix = report.METADATA_PREFIXES[name]
        metadata[f"{prefix}_roc_auc"] = MetadataValue.float(scored.roc_auc)
        metadata[f"{prefix}_pr_auc"] = MetadataValue.float(scored.pr_auc)
        metadata[f"{prefix}_log_loss"] = MetadataValue.float(scored.log_loss)
        metadata[f"{prefix}_calibration_error"] = MetadataValue.float(scored.calibration_error)
        metadata[f"{prefix}_threshold"] = MetadataValue.float(scored.at_threshold.threshold)
        metadata[f"{prefix}_precision"] = MetadataValue.float(scored.at_threshold.precision)
        metadata[f"{prefix}_recall"] = MetadataValue.float(scored.at_threshold.recall)

    check = AssetCheckResult(
        check_name=CHECK_NAME,
        passed=beats_popularity,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "mlp_roc_auc": MetadataValue.float(scores[MLP].roc_auc),
            "popularity_roc_auc": MetadataValue.float(scores[POPULARITY].roc_auc),
        },
    )
    return MaterializeResult(metadata=metadata, check_results=[check])
