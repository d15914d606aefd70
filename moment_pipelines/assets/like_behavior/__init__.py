"""Scenario 2, will this user like this moment: province table, candidates, training set, model and evaluation assets."""

from moment_pipelines.assets.like_behavior.candidates import like_behavior_candidates
from moment_pipelines.assets.like_behavior.evaluation import like_behavior_evaluation
from moment_pipelines.assets.like_behavior.model import like_behavior_model
from moment_pipelines.assets.like_behavior.provinces import province_coordinates
from moment_pipelines.assets.like_behavior.training_set import like_behavior_training_set

like_behavior_assets = [
    province_coordinates,
    like_behavior_candidates,
    like_behavior_training_set,
    like_behavior_model,
    like_behavior_evaluation,
]
