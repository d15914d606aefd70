"""Dagster assets, one module per layer."""

from moment_pipelines.assets.comment_generation import comment_generation_assets
from moment_pipelines.assets.features import feature_assets
from moment_pipelines.assets.like_behavior import like_behavior_assets
from moment_pipelines.assets.like_count import like_count_assets
from moment_pipelines.assets.moment_type import moment_type_assets
from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.assets.recommendation import recommendation_assets
from moment_pipelines.assets.staging import staging_assets

all_assets = [*raw_assets, *staging_assets, *feature_assets, *like_count_assets, *like_behavior_assets, *comment_generation_assets, *moment_type_assets, *recommendation_assets]
