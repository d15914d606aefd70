"""Scenario 1, like-count prediction: training set, model and evaluation assets."""

from moment_pipelines.assets.like_count.evaluation import like_count_evaluation
from moment_pipelines.assets.like_count.model import like_count_model
from moment_pipelines.assets.like_count.training_set import like_count_training_set

like_count_assets = [like_count_training_set, like_count_model, like_count_evaluation]
