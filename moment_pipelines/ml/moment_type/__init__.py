"""Scenario 4, moment type from text and pictures: plain PyTorch code, no Dagster imports.

In a notebook, given token lists, picture lists and labels per split:

    from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
    from moment_pipelines.ml.moment_type import (
        MomentTypeSplit, MomentTypeTrainConfig, MultiModalClassifier, MultiModalConfig, PictureFeatures,
        encode_texts, load_backbone, picture_slots, train_classifier,
    )

    vocabulary = Vocabulary.build(train_tokens, tokenization="word")
    token_ids, lengths = encode_texts(train_tokens, vocabulary, max_tokens=64)
    train = MomentTypeSplit(token_ids, lengths, picture_slots(train_pictures, rows_by_hash, 4), train_labels)
    model = MultiModalClassifier(MultiModalConfig(vocab_size=len(vocabulary), num_classes=5))
    train_classifier(model, train, validation, PictureFeatures(embeddings), MomentTypeTrainConfig())
"""

from moment_pipelines.ml.moment_type.backbone import BackboneInfo, load_backbone
from moment_pipelines.ml.moment_type.data import (
    MomentTypeSplit,
    PictureFeatures,
    PictureFiles,
    encode_texts,
    picture_slots,
)
from moment_pipelines.ml.moment_type.model import MultiModalClassifier, MultiModalConfig
from moment_pipelines.ml.moment_type.train import (
    EpochMetrics,
    MomentTypeTrainConfig,
    TrainingResult,
    predict_logits,
    train_classifier,
)

__all__ = [
    "BackboneInfo",
    "EpochMetrics",
    "MomentTypeSplit",
    "MomentTypeTrainConfig",
    "MultiModalClassifier",
    "MultiModalConfig",
    "PictureFeatures",
    "PictureFiles",
    "TrainingResult",
    "encode_texts",
    "load_backbone",
    "picture_slots",
    "predict_logits",
    "train_classifier",
]
