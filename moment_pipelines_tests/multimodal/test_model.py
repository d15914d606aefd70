"""MultiModalClassifier, its inputs and its metrics on small hand-made tensors."""

import numpy as np
import pytest
import torch
from torch import nn

from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.ml.moment_type.data import MomentTypeSplit, PictureFeatures, encode_texts, picture_slots
from moment_pipelines.ml.moment_type.metrics import confusion_matrix, macro_f1, per_class_f1
from moment_pipelines.ml.moment_type.model import MultiModalClassifier, MultiModalConfig
from moment_pipelines.ml.moment_type.train import MomentTypeTrainConfig, class_weights, predict_logits, train_classifier

FEATURE_DIM = 8


def small_config(**changes) -> MultiModalConfig:
    values = dict(vocab_size=20, num_classes=3, image_feature_dim=FEATURE_DIM, embedding_dim=6, text_hidden_dim=5, fusion_hidden_dim=7)
    values.update(changes)
    return MultiModalConfig(**values)


def test_forward_shapes_for_each_branch_set():
    tokens = torch.tensor([[3, 4, 0], [5, 0, 0]])
    lengths = torch.tensor([2, 1])
    pictures = torch.randn(2, 4, FEATURE_DIM)
    mask = torch.tensor([[True, True, False, False], [False, False, False, False]])

    for config in (small_config(), small_config(use_image=False), small_config(use_text=False)):
        logits = MultiModalClassifier(config)(tokens, lengths, pictures, mask)
        assert logits.shape == (2, 3)


def test_no_branch_rejected():
    with pytest.raises(ValueError, match="at least one"):
        MultiModalClassifier(small_config(use_text=False, use_image=False))


def test_moment_without_pictures_gets_missing_vector():
    model = MultiModalClassifier(small_config())
    with torch.no_grad():
        model.missing_image.fill_(7.0)
    mask = torch.tensor([[False, False], [True, False]])
    pictures = torch.randn(2, 2, FEATURE_DIM)

    encoded = model.encode_images(pictures, mask)

    assert torch.equal(encoded[0], torch.full((FEATURE_DIM,), 7.0))
    assert torch.allclose(encoded[1], model.image_norm(pictures[1, 0]))


def test_masked_slots_do_not_change_features():
    model = MultiModalClassifier(small_config())
    mask = torch.tensor([[True, True, False]])
    pictures = torch.randn(1, 3, FEATURE_DIM)
    changed = pictures.clone()
    changed[0, 2] = 1000.0

    assert torch.allclose(model.encode_images(pictures, mask), model.encode_images(changed, mask))


def test_pixel_input_runs_backbone_on_real_pictures_only():
    calls = []

    class CountingBackbone(nn.Module):
        def forward(self, pixels):
            calls.append(pixels.shape[0])
            return pixels.mean(dim=(2, 3)).repeat(1, 3)[:, :FEATURE_DIM]  # (M, 3) -> (M, 8)

    model = MultiModalClassifier(small_config(), image_encoder=CountingBackbone())
    pixels = torch.randn(2, 3, 3, 16, 16)
    mask = torch.tensor([[True, False, False], [True, True, False]])

    logits = model(torch.tensor([[1], [2]]), torch.tensor([1, 1]), pixels, mask)

    assert logits.shape == (2, 3)
    assert calls == [3]


def test_encode_texts_pads_and_truncates():
    vocabulary = Vocabulary.build([["我", "爱", "猫"], ["我", "爱"]], tokenization="word", min_frequency=1)
    token_ids, lengths = encode_texts([["我", "爱", "猫", "狗"], []], vocabulary, max_tokens=3)

    assert token_ids.shape == (2, 3)
    assert lengths.tolist() == [3, 1]
    assert token_ids[0].tolist() == vocabulary.encode(["我", "爱", "猫"])
    assert token_ids[1].tolist() == [vocabulary.pad_id] * 3


def test_picture_slots_skip_unusable():
    slots = picture_slots([["a", "x", "b", "c"], [], ["x"]], {"a": 0, "b": 1, "c": 2}, max_pictures=2)

    assert slots.tolist() == [[0, 1], [-1, -1], [-1, -1]]


def test_class_weights_balance_counts():
    weights = class_weights(torch.tensor([0, 0, 0, 1]), num_classes=3, balance=True)

    assert weights.tolist() == pytest.approx([4 / 9, 4 / 3, 1.0])
    assert class_weights(torch.tensor([0, 1]), 3, balance=False).tolist() == [1.0, 1.0, 1.0]


def test_macro_f1_ignores_absent_classes():
    predicted = np.array([0, 0, 1, 1])
    label = np.array([0, 0, 1, 0])

    assert per_class_f1(predicted, label, 3).tolist() == pytest.approx([0.8, 2 / 3, 0.0])
    assert macro_f1(predicted, label, 3) == pytest.approx((0.8 + 2 / 3) / 2)
    assert confusion_matrix(predicted, label, 3).tolist() == [[2, 1, 0], [0, 1, 0], [0, 0, 0]]


def test_training_learns_picture_signal():
    # The class is readable only from the picture features; the tokens are noise.
    generator = torch.Generator().manual_seed(0)
    rows = 300
    label = torch.randint(0, 3, (rows,), generator=generator)
    centres = torch.randn(3, FEATURE_DIM, generator=generator) * 3
    features = centres[label] + torch.randn(rows, FEATURE_DIM, generator=generator) * 0.5
    split = MomentTypeSplit(
        token_ids=torch.randint(1, 20, (rows, 4), generator=generator),
        lengths=torch.full((rows,), 4),
        picture_index=torch.arange(rows).unsqueeze(1),
        label=label,
    )
    table = PictureFeatures(features)
    train, validation = split.subset(torch.arange(200)), split.subset(torch.arange(200, 300))
    model = MultiModalClassifier(small_config())

    result = train_classifier(model, train, validation, table, MomentTypeTrainConfig(epochs=15, batch_size=32, patience=15))
    predicted = predict_logits(model, validation, table).argmax(dim=1)

    assert result.best_validation_macro_f1 > 0.9
    assert macro_f1(predicted, validation.label, 3) == pytest.approx(result.best_validation_macro_f1)
    assert not model.training
