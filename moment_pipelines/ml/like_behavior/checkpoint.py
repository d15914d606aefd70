"""Save and load a trained LikeProbabilityModel: a checkpoint for Python and a TorchScript file for serving.

The checkpoint holds only tensors, numbers, strings, lists and dicts, so it
loads with `torch.load(..., weights_only=True)`. The TorchScript file is
self-contained: it takes raw features in the order stored as
`features.json` inside the file and returns like probabilities.
"""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from moment_pipelines.ml.like_behavior.classifier import LikeClassifier, LikeClassifierConfig, LikeProbabilityModel
from moment_pipelines.ml.preprocessing import FeatureEncoder, FeatureSpec

CHECKPOINT_FORMAT = "like_behavior_model/1"
FEATURES_ENTRY = "features.json"


def save_checkpoint(model: LikeProbabilityModel, config: LikeClassifierConfig, path: Path, extra: dict[str, Any]) -> None:
    """Write weights, fitted encoder, logit shift, feature list and `extra` (training settings, history) to `path`."""
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "features": [asdict(spec) for spec in model.encoder.specs],
        "encoder": model.encoder.fitted_state(),
        "classifier_config": asdict(config),
        "classifier_state": model.classifier.state_dict(),
        "logit_shift": float(model.logit_shift),
        **extra,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: Path) -> tuple[LikeProbabilityModel, dict[str, Any]]:
    """Rebuild the model from a checkpoint written by `save_checkpoint`; return it in eval mode with the raw dict."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint (format {checkpoint.get('format')!r})")
    specs = [FeatureSpec(**spec) for spec in checkpoint["features"]]
    encoder = FeatureEncoder(specs, **checkpoint["encoder"])
    classifier = LikeClassifier(LikeClassifierConfig(**checkpoint["classifier_config"]))
    classifier.load_state_dict(checkpoint["classifier_state"])
    model = LikeProbabilityModel(encoder, classifier, checkpoint["logit_shift"])
    model.eval()
    return model, checkpoint


def export_torchscript(model: LikeProbabilityModel, path: Path) -> None:
    """Compile the model with TorchScript and save it with its feature order embedded."""
    model.eval()
    scripted = torch.jit.script(model)
    features = json.dumps([asdict(spec) for spec in model.encoder.specs], ensure_ascii=False)
    torch.jit.save(scripted, str(path), _extra_files={FEATURES_ENTRY: features})


def load_torchscript(path: Path) -> tuple[torch.jit.ScriptModule, list[FeatureSpec]]:
    """Load a TorchScript export and the feature order it expects."""
    extra_files = {FEATURES_ENTRY: ""}
    module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra_files)
    specs = [FeatureSpec(**spec) for spec in json.loads(extra_files[FEATURES_ENTRY])]
    return module, specs
