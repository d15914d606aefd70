"""Scenario 5, location-aware moment recommendation: plain PyTorch and torch-geometric, no Dagster.

In a notebook, given the three frames the graph queries return and the province table:

    from moment_pipelines.ml.recommendation import (
        GraphConfig, GraphTables, MomentLightGCN, RecommenderConfig, TrainConfig,
        build_graph, train_recommender,
    )

    graph = build_graph(GraphTables(moments, interactions, comment_places, provinces), GraphConfig())
    model = MomentLightGCN(graph["user"].num_nodes, graph["cell"].num_nodes, RecommenderConfig(geo=True))
    result = train_recommender(model, graph, TrainConfig())
"""

from moment_pipelines.ml.recommendation.checkpoint import load_model, save_model
from moment_pipelines.ml.recommendation.graph import (
    CUTOFFS,
    GraphConfig,
    GraphTables,
    build_graph,
    cutoff_ms,
    graph_counts,
    interaction_pairs,
    load_graph,
    save_graph,
    snapshot,
)
from moment_pipelines.ml.recommendation.metrics import catalogue_coverage, hit_rate_at_k, ndcg_at_k, recall_at_k
from moment_pipelines.ml.recommendation.model import GraphInputs, MomentLightGCN, RecommenderConfig, prepare_inputs
from moment_pipelines.ml.recommendation.ranking import RankingTask, ranking_task, top_k
from moment_pipelines.ml.recommendation.train import EpochStats, TrainConfig, TrainingResult, model_ranking, train_recommender

__all__ = [
    "CUTOFFS",
    "EpochStats",
    "GraphConfig",
    "GraphInputs",
    "GraphTables",
    "MomentLightGCN",
    "RankingTask",
    "RecommenderConfig",
    "TrainConfig",
    "TrainingResult",
    "build_graph",
    "catalogue_coverage",
    "cutoff_ms",
    "graph_counts",
    "hit_rate_at_k",
    "interaction_pairs",
    "load_graph",
    "load_model",
    "model_ranking",
    "ndcg_at_k",
    "prepare_inputs",
    "ranking_task",
    "recall_at_k",
    "save_graph",
    "save_model",
    "snapshot",
    "top_k",
    "train_recommender",
]
