"""Save and load a trained LikeCountModel: a checkpoint for Python and a TorchScript file for serving.

The checkpoint holds only tensors, numbers, strings, lists and dicts, so it
loads with `torch.load(..., weights_only=True)` and never runs pickled code.
The TorchScript file is self-contained: it needs no Python class to load
(Java can load it through DJL), takes raw features in the order stored as
`features.json` inside the file, and returns predicted like counts.
"""

import json
import warnings
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from moment_pipelines.ml.like_predictor import LikeCountModel, LikePredictor, LikePredictorConfig
from moment_pipelines.ml.preprocessing import FeatureEncoder, FeatureSpec

CHECKPOINT_FORMAT = "like_count_model/1"
FEATURES_ENTRY = "features.json"


@contextmanager
def _torchscript_deprecation_silenced():
    # NOTE: torch 2.14 warns that torch.jit is deprecated in favour of torch.export,
    # but DJL's PyTorch engine, the usual way to run a PyTorch model from Java,
    # loads TorchScript files. Keep this format until the Java side can load torch.export archives.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated", category=FutureWarning)
        yield


def save_checkpoint(model: LikeCountModel, config: LikePredictorConfig, path: Path, extra: dict[str, Any]) -> None:
    """Write weights, fitted encoder, feature list and `extra` (training settings, history) to `path`."""
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "features": [asdict(spec) for spec in model.encoder.specs],
        "encoder": model.encoder.fitted_state(),
        "predictor_config": asdict(config),
        "predictor_state": model.predictor.state_dict(),
        **extra,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: Path) -> tuple[LikeCountModel, dict[str, Any]]:
    """Rebuild the model from a `save_checkpoint` file and return it in eval mode, with the raw checkpoint dict."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint (format {checkpoint.get('format')!r})")
    specs = [FeatureSpec(**spec) for spec in checkpoint["features"]]
    encoder = FeatureEncoder(specs, **checkpoint["encoder"])
    config = LikePredictorConfig(**checkpoint["predictor_config"])
    predictor = LikePredictor(config)
    predictor.load_state_dict(checkpoint["predictor_state"])
    model = LikeCountModel(encoder, predictor)
    model.eval()
    return model, checkpoint


def export_torchscript(model: LikeCountModel, path: Path) -> None:
    """Compile the model with TorchScript and save it with its feature order embedded."""
    model.eval()
    features = json.dumps([asdict(spec) for spec in model.encoder.specs], ensure_ascii=False)
    with _torchscript_deprecation_silenced():
        scripted = torch.jit.script(model)
        torch.jit.save(scripted, str(path), _extra_files={FEATURES_ENTRY: features})


def load_torchscript(path: Path) -> tuple[torch.jit.ScriptModule, list[FeatureSpec]]:
    """Load a TorchScript export and the feature order it expects."""
    extra_files = {FEATURES_ENTRY: ""}
    with _torchscript_deprecation_silenced():
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra_files)
    specs = [FeatureSpec(**spec) for spec in json.loads(extra_files[FEATURES_ENTRY])]
    return module, specs
