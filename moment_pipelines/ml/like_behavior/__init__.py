"""Scenario 2, will this user like this moment: plain PyTorch and scikit-learn code, no Dagster imports.

In a notebook, given a pandas frame with the training set's columns:

    from moment_pipelines.ml.data import split_from_frame
    from moment_pipelines.ml.preprocessing import FeatureEncoder, FeatureSpec, encode
    from moment_pipelines.ml.like_behavior import (
        ClassifierTrainConfig, LikeClassifier, LikeClassifierConfig, LikeProbabilityModel, prior_shift, train_classifier,
    )

    specs = [FeatureSpec("likes_to_author", "log_numeric"), FeatureSpec("same_province", "numeric"), ...]
    names = [spec.name for spec in specs]
    train = split_from_frame(frame[frame.split == "train"], names, "label")
    validation = split_from_frame(frame[frame.split == "validation"], names, "label")

    encoder = FeatureEncoder.fit(specs, train.features)
    classifier = LikeClassifier(LikeClassifierConfig(input_dim=encoder.output_dim))
    result = train_classifier(classifier, encode(encoder, train), encode(encoder, validation), ClassifierTrainConfig())
    model = LikeProbabilityModel(encoder, classifier, prior_shift(result.pos_weight))  # raw features in, probabilities out
"""

from moment_pipelines.ml.like_behavior.classifier import (
    LikeClassifier,
    LikeClassifierConfig,
    LikeProbabilityModel,
    prior_shift,
)
from moment_pipelines.ml.like_behavior.train import (
    ClassifierTrainConfig,
    ClassifierTrainingResult,
    EpochMetrics,
    predict_logits,
    train_classifier,
)

__all__ = [
    "ClassifierTrainConfig",
    "ClassifierTrainingResult",
    "EpochMetrics",
    "LikeClassifier",
    "LikeClassifierConfig",
    "LikeProbabilityModel",
    "predict_logits",
    "prior_shift",
    "train_classifier",
]
