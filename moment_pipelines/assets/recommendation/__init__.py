"""Scenario 5, location-aware moment recommendation: graph, models, evaluation and recommendation table."""

from moment_pipelines.assets.recommendation.evaluation import recommendation_evaluation
from moment_pipelines.assets.recommendation.graph import recommendation_graph
from moment_pipelines.assets.recommendation.models import recommendation_geo_model, recommendation_lightgcn_model
from moment_pipelines.assets.recommendation.recommendations import moment_recommendations

recommendation_assets = [
    recommendation_graph,
    recommendation_lightgcn_model,
    recommendation_geo_model,
    recommendation_evaluation,
    moment_recommendations,
]
