"""Scenario 5 evaluation: both LightGCN models against popularity baselines on the held-out test period."""

import dataclasses
import inspect
import math

import pandas as pd
import torch
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from moment_pipelines.assets.recommendation import report as report_module
from moment_pipelines.assets.recommendation.graph import GRAPH_ASSET
from moment_pipelines.assets.recommendation.lineage import RECOMMENDATION_GROUP, UpstreamArtifact, upstream_artifact
from moment_pipelines.assets.recommendation.models import GEO_MODEL_ASSET, LIGHTGCN_ASSET, distance_band_labels
from moment_pipelines.assets.recommendation.report import (
    GEO_MODEL,
    GEO_POPULAR,
    KS,
    LIGHTGCN,
    POPULARITY,
    RankerScores,
    TrainingFacts,
    build_report,
)
from moment_pipelines.automation import REBUILD_ON_CHANGE
from moment_pipelines.ml.recommendation import baselines, metrics, ranking
from moment_pipelines.ml.recommendation.baselines import geo_nearest_popular_scores, popularity_scores
from moment_pipelines.ml.recommendation.checkpoint import load_model
from moment_pipelines.ml.recommendation.geo import haversine_km
from moment_pipelines.ml.recommendation.graph import cutoff_ms, home_coordinates, load_graph, snapshot
from moment_pipelines.ml.recommendation.metrics import (
    catalogue_coverage,
    hit_rate_at_k,
    ndcg_at_k,
    paired_bootstrap_interval,
    recall_at_k,
    recall_per_user,
)
from moment_pipelines.ml.recommendation.model import MomentLightGCN, prepare_inputs
from moment_pipelines.ml.recommendation.ranking import RankingTask, ranking_task, top_k
from moment_pipelines.ml.recommendation.train import model_ranking
from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.versioning import definition_version

EVALUATION_ASSET = "recommendation_evaluation"
REPORT_FILE = "report.md"
CHECK_NAME = "geo_model_beats_popularity"

_EVALUATION_SOURCES = (report_module, baselines, metrics, ranking)


class RecommendationEvaluationConfig(Config):
    """Candidate age and the radius of the geo-nearest-popular baseline."""

    candidate_days: float = Field(default=3.0, gt=0, description="候选动态：测试期开始前这么多天内发布的动态（天）")
    near_km: float = Field(default=50.0, gt=0, description="附近热门基线的“附近”：离用户常驻地不超过这么多公里")


def _load_model(stored: UpstreamArtifact, graph_sha256: str, asset_name: str) -> MomentLightGCN:
    recommender, checkpoint = load_model(stored.path)
    if checkpoint["graph_sha256"] != graph_sha256:
        raise Failure(
            f"{asset_name} 是在另一版推荐图（sha256 {checkpoint['graph_sha256'][:12]}）上训练的，"
            f"与当前推荐图（{graph_sha256[:12]}）不一致。请先重新物化 {asset_name}。"
        )
    return recommender


def mean_distance_km(test_graph, task: RankingTask, positions: torch.Tensor, valid: torch.Tensor) -> float:
    """Mean km between each user's home and their recommended moments, over pairs where both places are known."""
    home_lat, home_lng = home_coordinates(test_graph)
    moments = task.candidates[positions]  # [n, k]
    distance = haversine_km(
        home_lat[task.users][:, None], home_lng[task.users][:, None], test_graph["moment"].lat[moments].float(), test_graph["moment"].lng[moments].float()
    )
    known = valid & ~torch.isnan(distance)
    return float(distance[known].mean()) if known.any() else math.nan


def score_ranking(test_graph, task: RankingTask, positions: torch.Tensor, valid: torch.Tensor) -> RankerScores:
    return RankerScores(
        recall={k: recall_at_k(positions, task.relevance, k) for k in KS},
        ndcg={k: ndcg_at_k(positions, task.relevance, k) for k in KS},
        hit_rate={k: hit_rate_at_k(positions, task.relevance, k) for k in KS},
        coverage=catalogue_coverage(positions[:, :20], valid[:, :20], len(task.candidates)),
        mean_distance_km=mean_distance_km(test_graph, task, positions[:, :20], valid[:, :20]),
    )


def _training_facts(stored: UpstreamArtifact) -> TrainingFacts:
    return TrainingFacts(
        training_seconds=stored.metadata["training_seconds"],
        samples_per_second=stored.metadata["samples_per_second"],
        best_epoch=stored.metadata["best_epoch"],
        epochs_run=stored.metadata["epochs_run"],
        model_path=str(stored.path),
        model_sha256=stored.sha256,
    )


def _metric_key(name: str) -> str:
    return {GEO_MODEL: "geo_model", LIGHTGCN: "lightgcn", POPULARITY: "popularity", GEO_POPULAR: "geo_nearest_popular"}[name]


@asset(
    name=EVALUATION_ASSET,
    deps=[GRAPH_ASSET, LIGHTGCN_ASSET, GEO_MODEL_ASSET],
    group_name=RECOMMENDATION_GROUP,
    kinds={"pytorch"},
    code_version=definition_version(*(inspect.getsource(module) for module in _EVALUATION_SOURCES)),
    automation_condition=REBUILD_ON_CHANGE,
    check_specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=EVALUATION_ASSET,
            description="测试期上，地理感知模型的 Recall@20 高于热门基线",
        )
    ],
)
def recommendation_evaluation(
    context: AssetExecutionContext, config: RecommendationEvaluationConfig, artifacts: ArtifactStore
) -> MaterializeResult:
    """场景 5 的评估报告（中文）：在测试期上比较地理感知 LightGCN、不看地理的 LightGCN、热门基线和附近热门基线。

    指标：K = 10 和 20 时的 Recall@K、NDCG@K、命中率，前 20 条的覆盖率，以及推荐动态离用户常驻地的平均距离。
    模型文件按上游物化记录的路径加载并校验 sha256。报告路径在元数据 report_path 中。
    """
    stored_graph = upstream_artifact(context, GRAPH_ASSET, "graph", artifacts)
    stored_models = {
        GEO_MODEL: upstream_artifact(context, GEO_MODEL_ASSET, "model", artifacts),
        LIGHTGCN: upstream_artifact(context, LIGHTGCN_ASSET, "model", artifacts),
    }
    graph = load_graph(stored_graph.path)
    models = {
        GEO_MODEL: _load_model(stored_models[GEO_MODEL], stored_graph.sha256, GEO_MODEL_ASSET),
        LIGHTGCN: _load_model(stored_models[LIGHTGCN], stored_graph.sha256, LIGHTGCN_ASSET),
    }

    test_ms, end_ms = cutoff_ms(graph, "test"), cutoff_ms(graph, "serving")
    task = ranking_task(graph, test_ms, end_ms, config.candidate_days)
    if len(task.users) == 0:
        raise Failure(
            f"测试期（{pd.Timestamp(test_ms, unit='ms', tz='UTC')} 之后）没有用户点赞或评论候选动态，无法评估。"
            "请导入更多数据，或调大推荐图的 test_days。"
        )
    test_graph = snapshot(graph, "test")
    context.log.info(f"测试任务：{len(task.users)} 个用户、{task.target_count} 次互动、{len(task.candidates)} 条候选动态")

    rankings = {}
    for name, recommender in models.items():
        inputs = prepare_inputs(test_graph, test_ms, recommender.config.history_days)
        positions, valid, _ = model_ranking(recommender, inputs, task.users, task.candidates, task.excluded, max(KS))
        rankings[name] = (positions, valid)
    rankings[POPULARITY] = top_k(popularity_scores(test_graph, task.users, task.candidates), task.excluded, max(KS))
    rankings[GEO_POPULAR] = top_k(
        geo_nearest_popular_scores(test_graph, task.users, task.candidates, config.near_km), task.excluded, max(KS)
    )
    order = (GEO_MODEL, LIGHTGCN, GEO_POPULAR, POPULARITY)
    scores = {name: score_ranking(test_graph, task, *rankings[name]) for name in order}
    geo_recall = recall_per_user(rankings[GEO_MODEL][0], task.relevance, 20)
    for name in order[1:]:
        interval = paired_bootstrap_interval(geo_recall, recall_per_user(rankings[name][0], task.relevance, 20))
        scores[name] = dataclasses.replace(scores[name], recall_interval=interval)
    for name in order:
        context.log.info(
            f"{name}：Recall@10 {scores[name].recall[10]:.4f}，Recall@20 {scores[name].recall[20]:.4f}，"
            f"NDCG@20 {scores[name].ndcg[20]:.4f}，覆盖率 {scores[name].coverage:.3f}，平均距离 {scores[name].mean_distance_km:.0f} 公里"
        )

    geo_model = models[GEO_MODEL]
    labels = distance_band_labels(geo_model.config.distance_bands_km)
    distance_bias = dict(zip(labels, geo_model.distance_bias.detach().tolist()))
    test_period = (
        f"{pd.Timestamp(test_ms, unit='ms', tz='UTC'):%Y-%m-%d %H:%M} 至 {pd.Timestamp(end_ms, unit='ms', tz='UTC'):%Y-%m-%d %H:%M} UTC"
    )
    report = build_report(
        scores=scores,
        near_km=config.near_km,
        users=len(task.users),
        targets=task.target_count,
        candidates=len(task.candidates),
        test_period=test_period,
        candidate_days=config.candidate_days,
        graph_sha256=stored_graph.sha256,
        training={name: _training_facts(stored_models[name]) for name in (GEO_MODEL, LIGHTGCN)},
        distance_bias=distance_bias,
    )
    stored_report = artifacts.write_text(EVALUATION_ASSET, context.run.run_id, REPORT_FILE, report)
    context.log.info(f"评估报告已写入 {stored_report.path}")

    metadata = {
        "report_path": MetadataValue.path(str(stored_report.path)),
        "report_sha256": stored_report.sha256,
        "report": MetadataValue.md(report),
        "graph_version": stored_graph.sha256,
        "test_users": len(task.users),
        "test_interactions": task.target_count,
        "candidates": len(task.candidates),
    }
    for name in order:
        key = _metric_key(name)
        for k in KS:
            metadata[f"{key}_recall_at_{k}"] = round(scores[name].recall[k], 4)
            metadata[f"{key}_ndcg_at_{k}"] = round(scores[name].ndcg[k], 4)
            metadata[f"{key}_hit_rate_at_{k}"] = round(scores[name].hit_rate[k], 4)
        metadata[f"{key}_coverage_at_20"] = round(scores[name].coverage, 4)
        distance = scores[name].mean_distance_km
        metadata[f"{key}_mean_distance_km"] = round(distance, 1) if distance == distance else None
        if scores[name].recall_interval is not None:
            low, high = scores[name].recall_interval
            metadata[f"geo_model_minus_{key}_recall_at_20_interval"] = f"[{low:+.4f}, {high:+.4f}]"

    geo_recall, popularity_recall = scores[GEO_MODEL].recall[20], scores[POPULARITY].recall[20]
    check = AssetCheckResult(
        check_name=CHECK_NAME,
        passed=geo_recall > popularity_recall,
        metadata={"geo_model_recall_at_20": round(geo_recall, 4), "popularity_recall_at_20": round(popularity_recall, 4)},
        description=None if geo_recall > popularity_recall else "地理感知模型的 Recall@20 没有超过热门基线",
    )
    return MaterializeResult(metadata={k: v for k, v in metadata.items() if v is not None}, check_results=[check])
