"""LikePredictor, FeatureEncoder, the training loop and checkpoints, on small synthetic data."""

import numpy as np
import pandas as pd
import pytest
import torch

from moment_pipelines.ml import (
    FeatureEncoder,
    FeatureSpec,
    LikeCountModel,
    LikePredictor,
    LikePredictorConfig,
    TrainConfig,
    encode,
    export_torchscript,
    load_checkpoint,
    load_torchscript,
    predict,
    save_checkpoint,
    set_seed,
    split_from_frame,
    train_regressor,
)
from moment_pipelines.ml.train import mse_loss

SPECS = [
    FeatureSpec("text_length", "log_numeric"),
    FeatureSpec("has_pics", "numeric"),
    FeatureSpec("type", "category"),
]
NAMES = [spec.name for spec in SPECS]


def synthetic_frame(rows: int, seed: int) -> pd.DataFrame:
    """Rows whose label depends on all three features, plus a little noise."""
    generator = np.random.default_rng(seed)
    text_length = generator.integers(0, 300, rows)
    has_pics = generator.integers(0, 2, rows)
    moment_type = generator.choice([1, 2, 5], rows)
    label = 0.5 * np.log1p(text_length) + 1.2 * has_pics + (moment_type == 5) * 1.5 + generator.normal(0, 0.1, rows)
    return pd.DataFrame({"text_length": text_length, "has_pics": has_pics, "type": moment_type, "label": label})


@pytest.fixture(scope="module")
def splits():
    return (
        split_from_frame(synthetic_frame(800, seed=1), NAMES, "label"),
        split_from_frame(synthetic_frame(200, seed=2), NAMES, "label"),
    )


@pytest.fixture(scope="module")
def trained(splits):
    """A LikeCountModel trained for a few epochs, with its config and training result."""
    train, validation = splits
    encoder = FeatureEncoder.fit(SPECS, train.features)
    config = LikePredictorConfig(input_dim=encoder.output_dim)
    predictor = LikePredictor(config)
    result = train_regressor(
        predictor, encode(encoder, train), encode(encoder, validation), TrainConfig(epochs=30, batch_size=64, seed=3)
    )
    return LikeCountModel(encoder, predictor), config, result


def test_predictor_returns_one_value_per_row():
    predictor = LikePredictor(LikePredictorConfig(input_dim=7))

    assert predictor(torch.zeros(5, 7)).shape == (5,)


def test_predictor_rejects_wrong_width():
    predictor = LikePredictor(LikePredictorConfig(input_dim=7))

    with pytest.raises(AssertionError, match="input_dim"):
        predictor(torch.zeros(5, 6))


def test_predictor_layer_sizes_follow_config():
    predictor = LikePredictor(LikePredictorConfig(input_dim=10))

    assert [tuple(layer.weight.shape) for layer in (predictor.fc1, predictor.fc2, predictor.output)] == [
        (64, 10),
        (32, 64),
        (1, 32),
    ]


def test_encoder_standardises_with_training_statistics():
    train = torch.tensor([[0.0, 1.0, 2.0], [99.0, 3.0, 5.0], [9.0, 5.0, 2.0]])
    encoder = FeatureEncoder.fit(SPECS, train)

    encoded = encoder(train)

    log_lengths = torch.log1p(train[:, 0])
    assert encoder.mean[0] == pytest.approx(log_lengths.mean().item())
    assert encoded[:, :2].mean(dim=0).abs().max() < 1e-6
    assert encoded[:, :2].std(dim=0, unbiased=False) == pytest.approx(torch.ones(2), abs=1e-5)


def test_encoder_one_hot_and_unseen_category():
    train = torch.tensor([[0.0, 1.0, 2.0], [99.0, 3.0, 5.0], [9.0, 5.0, 2.0]])
    encoder = FeatureEncoder.fit(SPECS, train)

    encoded = encoder(torch.tensor([[1.0, 1.0, 5.0], [1.0, 1.0, 4.0]]))

    assert encoder.output_dim == 4  # two numeric columns, categories {2, 5}
    assert encoded[0, 2:].tolist() == [0.0, 1.0]
    assert encoded[1, 2:].tolist() == [0.0, 0.0]


def test_encoder_constant_column_encodes_to_zero():
    train = torch.tensor([[5.0, 1.0, 2.0], [7.0, 1.0, 2.0]])
    encoder = FeatureEncoder.fit(SPECS, train)

    assert encoder(train)[:, 1].tolist() == [0.0, 0.0]


def test_split_from_frame_rejects_null_feature():
    frame = synthetic_frame(4, seed=0).astype({"text_length": "float64"})
    frame.loc[1, "text_length"] = np.nan

    with pytest.raises(ValueError, match="text_length"):
        split_from_frame(frame, NAMES, "label")


def test_training_lowers_validation_loss(trained):
    _, _, result = trained

    assert result.best_validation_loss < result.history[0].validation_loss / 2
    assert result.history[-1].train_loss < result.history[0].train_loss


def test_training_keeps_best_epoch_weights(trained, splits):
    model, _, result = trained
    _, validation = splits

    reached = mse_loss(model.predictor, encode(model.encoder, validation))

    assert reached == pytest.approx(result.best_validation_loss, rel=1e-5)
    assert result.best_validation_loss == min(entry.validation_loss for entry in result.history)


def test_early_stopping_after_patience(splits):
    train, validation = splits
    encoder = FeatureEncoder.fit(SPECS, train.features)
    predictor = LikePredictor(LikePredictorConfig(input_dim=encoder.output_dim))
    # A learning rate this small cannot improve the loss by min_improvement.
    config = TrainConfig(epochs=50, learning_rate=1e-12, patience=2)

    result = train_regressor(predictor, encode(encoder, train), encode(encoder, validation), config)

    assert result.stopped_early
    assert result.best_epoch == 1
    assert result.epochs_run == 3


def test_same_seed_same_history(splits):
    train, validation = splits
    histories = []
    for _ in range(2):
        set_seed(11)
        encoder = FeatureEncoder.fit(SPECS, train.features)
        predictor = LikePredictor(LikePredictorConfig(input_dim=encoder.output_dim))
        config = TrainConfig(epochs=3, batch_size=64, seed=11)
        histories.append(train_regressor(predictor, encode(encoder, train), encode(encoder, validation), config).history)

    assert histories[0] == histories[1]


def test_checkpoint_reload_predicts_identically(trained, splits, tmp_path):
    model, config, _ = trained
    _, validation = splits
    save_checkpoint(model, config, tmp_path / "model.pt", {"note": "test"})

    reloaded, checkpoint = load_checkpoint(tmp_path / "model.pt")

    assert torch.equal(predict(reloaded, validation.features), predict(model, validation.features))
    assert checkpoint["note"] == "test"
    assert [spec["name"] for spec in checkpoint["features"]] == NAMES


def test_torchscript_matches_eager_model(trained, splits, tmp_path):
    model, _, _ = trained
    _, validation = splits
    export_torchscript(model, tmp_path / "model_torchscript.pt")

    scripted, specs = load_torchscript(tmp_path / "model_torchscript.pt")

    with torch.no_grad():
        torch.testing.assert_close(scripted(validation.features), model(validation.features), rtol=0, atol=1e-6)
    assert specs == SPECS


def test_like_count_model_never_predicts_negative(trained):
    model, _, _ = trained

    with torch.no_grad():
        counts = model(torch.tensor([[0.0, 0.0, 1.0], [1e6, 1.0, 99.0]]))

    assert (counts >= 0).all()
