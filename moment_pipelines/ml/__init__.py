"""Plain PyTorch code for the project's models: no Dagster imports, usable from a notebook.

Scenario 1 (like-count regression) in a notebook, given a pandas frame with
the training set's columns:

    from moment_pipelines.ml import (
        FeatureEncoder, FeatureSpec, LikeCountModel, LikePredictor, LikePredictorConfig,
        TrainConfig, split_from_frame, train_regressor,
    )

    specs = [FeatureSpec("text_length", "log_numeric"), FeatureSpec("type", "category"), ...]
    names = [spec.name for spec in specs]
    train = split_from_frame(frame[frame.split == "train"], names, "label")
    validation = split_from_frame(frame[frame.split == "validation"], names, "label")

    encoder = FeatureEncoder.fit(specs, train.features)
    predictor = LikePredictor(LikePredictorConfig(input_dim=encoder.output_dim))
    train_regressor(predictor, encode(encoder, train), encode(encoder, validation), TrainConfig())
    model = LikeCountModel(encoder, predictor)  # raw features in, like counts out
"""

from moment_pipelines.ml.checkpoint import export_torchscript, load_checkpoint, load_torchscript, save_checkpoint
from moment_pipelines.ml.data import TabularSplit, make_loader, split_from_frame
from moment_pipelines.ml.like_predictor import LikeCountModel, LikePredictor, LikePredictorConfig
from moment_pipelines.ml.metrics import mae, rmse, spearman
from moment_pipelines.ml.preprocessing import FeatureEncoder, FeatureSpec, encode
from moment_pipelines.ml.train import EpochLoss, TrainConfig, TrainingResult, predict, set_seed, train_regressor

__all__ = [
    "EpochLoss",
    "FeatureEncoder",
    "FeatureSpec",
    "LikeCountModel",
    "LikePredictor",
    "LikePredictorConfig",
    "TabularSplit",
    "TrainConfig",
    "TrainingResult",
    "encode",
    "export_torchscript",
    "load_checkpoint",
    "load_torchscript",
    "mae",
    "make_loader",
    "predict",
    "rmse",
    "save_checkpoint",
    "set_seed",
    "spearman",
    "split_from_frame",
    "train_regressor",
]
