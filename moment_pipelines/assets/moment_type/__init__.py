"""Scenario 4, moment type from text and pictures: pictures, image embeddings, training set, model and evaluation assets."""

from moment_pipelines.assets.moment_type.embeddings import moment_type_image_embeddings
from moment_pipelines.assets.moment_type.evaluation import moment_type_evaluation
from moment_pipelines.assets.moment_type.images import moment_type_images
from moment_pipelines.assets.moment_type.model import moment_type_model
from moment_pipelines.assets.moment_type.training_set import moment_type_training_set

moment_type_assets = [
    moment_type_images,
    moment_type_image_embeddings,
    moment_type_training_set,
    moment_type_model,
    moment_type_evaluation,
]
