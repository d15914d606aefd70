"""Save and load a trained MomentLightGCN as a checkpoint of tensors, numbers, strings, lists and dicts.

The file loads with `torch.load(..., weights_only=True)` and never runs pickled code.
"""

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from moment_pipelines.ml.recommendation.model import MomentLightGCN, RecommenderConfig

CHECKPOINT_FORMAT = "moment_lightgcn/1"


def save_model(model: MomentLightGCN, path: Path, extra: dict[str, Any]) -> None:
    """Write the weights, the sizes and config needed to rebuild the model, and `extra` (training history, graph hash)."""
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "num_users": model.user_embedding.num_embeddings,
        "num_cells": model.num_cells,
        "config": {**asdict(model.config), "distance_bands_km": list(model.config.distance_bands_km)},
        "state": model.state_dict(),
        **extra,
    }
    torch.save(checkpoint, path)


def load_model(path: Path) -> tuple[MomentLightGCN, dict[str, Any]]:
    """Rebuild a model written by `save_model`; return it in eval mode with the raw checkpoint dict."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint (format {checkpoint.get('format')!r})")
    stored = checkpoint["config"]
    config = RecommenderConfig(**{**stored, "distance_bands_km": tuple(stored["distance_bands_km"])})
    model = MomentLightGCN(checkpoint["num_users"], checkpoint["num_cells"], config)
    model.load_state_dict(checkpoint["state"])
    model.eval()
    return model, checkpoint
