"""Save and load a trained MultiModalClassifier with its vocabulary, classes and backbone description.

The checkpoint holds only tensors, numbers, strings, lists and dicts, so it
loads with `torch.load(..., weights_only=True)`. A model trained on
precomputed features stores no backbone weights; a fine-tuned model stores
them inside its state dict.
"""

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.ml.moment_type.backbone import BACKBONES, remove_head
from moment_pipelines.ml.moment_type.model import MultiModalClassifier, MultiModalConfig

CHECKPOINT_FORMAT = "moment_type_model/1"


def save_checkpoint(
    model: MultiModalClassifier,
    vocabulary: Vocabulary,
    classes: list[int],
    backbone_name: str | None,
    path: Path,
    extra: dict[str, Any],
) -> None:
    """Write weights, model config, vocabulary, class list (moment types) and `extra` to `path`.

    `backbone_name` is the torchvision backbone inside the model when it was
    fine-tuned, and None when the model reads precomputed features.
    """
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "model_config": asdict(model.config),
        "model_state": model.state_dict(),
        "vocabulary": vocabulary.to_dict(),
        "classes": list(classes),
        "backbone_in_model": backbone_name,
        **extra,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: Path) -> tuple[MultiModalClassifier, Vocabulary, dict[str, Any]]:
    """Rebuild the model from a `save_checkpoint` file; return it in eval mode with its vocabulary and the raw dict."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint (format {checkpoint.get('format')!r})")

    image_encoder = None
    backbone_name = checkpoint["backbone_in_model"]
    if backbone_name is not None:
        constructor = BACKBONES[backbone_name][0]
        image_encoder = constructor(weights=None)
        remove_head(backbone_name, image_encoder)
    model = MultiModalClassifier(MultiModalConfig(**checkpoint["model_config"]), image_encoder)
    model.load_state_dict(checkpoint["model_state"])
    model.eval()
    return model, Vocabulary.from_dict(checkpoint["vocabulary"]), checkpoint
