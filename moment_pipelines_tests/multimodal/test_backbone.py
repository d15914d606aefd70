"""The backbone loader: weights from the torch cache or a file, never a download, random init when missing."""

import logging
import os
from pathlib import Path

import pytest
import torch
from PIL import Image
from torchvision import models

from moment_pipelines.ml.moment_type.backbone import (
    PRETRAINED_CACHE,
    PRETRAINED_FILE,
    RANDOM_INIT,
    cache_path,
    imagenet_weights,
    load_backbone,
)
from moment_pipelines_tests.conftest import REALDATA_DIR


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    """An empty TORCH_HOME, so the machine's own cache never leaks into a test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return tmp_path / "torch_home"


def test_cache_path_follows_torch_home(torch_home):
    assert cache_path("resnet18") == torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert cache_path("mobilenet_v2").name == "mobilenet_v2-b0353104.pth"


def test_cached_weights_are_loaded(torch_home):
    torch.manual_seed(123)
    saved = models.resnet18(weights=None).state_dict()
    path = cache_path("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(saved, path)

    network, info = load_backbone("resnet18", seed=0)

    assert info.weights_source == PRETRAINED_CACHE
    assert info.weights_path == str(path)
    assert info.feature_dim == 512
    # A file this test wrote cannot carry torchvision's hash, and the loader reports that.
    assert info.hash_matches_name is False
    assert "sha256" in info.message
    assert torch.equal(network.conv1.weight, saved["conv1.weight"])
    assert isinstance(network.fc, torch.nn.Identity)


def test_configured_file_wins_over_cache(torch_home, tmp_path):
    torch.manual_seed(5)
    saved = models.resnet18(weights=None).state_dict()
    path = tmp_path / "my-weights.pth"
    torch.save(saved, path)

    network, info = load_backbone("resnet18", weights_path=path)

    assert info.weights_source == PRETRAINED_FILE
    assert info.hash_matches_name is None
    assert torch.equal(network.layer1[0].conv1.weight, saved["layer1.0.conv1.weight"])


def test_missing_configured_file_raises(torch_home, tmp_path):
    with pytest.raises(FileNotFoundError, match="找不到配置的预训练权重文件"):
        load_backbone("resnet18", weights_path=tmp_path / "absent.pth")


def test_missing_cache_falls_back_to_random(torch_home, caplog):
    with caplog.at_level(logging.WARNING, logger="moment_pipelines.ml.moment_type.backbone"):
        network, info = load_backbone("mobilenet_v2", seed=3)
    again, _ = load_backbone("mobilenet_v2", seed=3)

    assert info.weights_source == RANDOM_INIT
    assert info.weights_path is None
    assert info.identity == "mobilenet_v2:random_init"
    assert "随机初始化" in info.message
    assert "不会联网下载" in caplog.text
    assert not cache_path("mobilenet_v2").exists()
    features = network.eval()(torch.zeros(2, 3, 64, 64))
    assert features.shape == (2, 1280)
    assert torch.equal(network.features[0][0].weight, again.features[0][0].weight)


def test_unknown_backbone_rejected():
    with pytest.raises(ValueError, match="unknown backbone"):
        load_backbone("vgg16")


def real_photo() -> Path:
    """A photograph of a Chinese palace that scikit-learn ships as sample data."""
    import sklearn

    path = Path(sklearn.__file__).parent / "datasets" / "images" / "china.jpg"
    if not path.is_file():
        pytest.skip(f"scikit-learn sample photo not found at {path}")
    return path


@pytest.mark.realdata
def test_real_weights_classify_photo(torch_home):
    weights_file = REALDATA_DIR / "weights" / "mobilenet_v2-b0353104.pth"
    if not weights_file.is_file():
        pytest.skip(f"pretrained weights not found at {weights_file}")
    cached = cache_path("mobilenet_v2")
    cached.parent.mkdir(parents=True)
    os.symlink(weights_file, cached)

    network, info = load_backbone("mobilenet_v2")
    weights = imagenet_weights("mobilenet_v2")
    state = torch.load(cached, map_location="cpu", weights_only=True)
    with Image.open(real_photo()) as image:
        pixels = weights.transforms()(image.convert("RGB")).unsqueeze(0)  # (1, 3, 224, 224)
    with torch.no_grad():
        features = network.eval()(pixels)  # (1, 1280)
        logits = features @ state["classifier.1.weight"].T + state["classifier.1.bias"]  # the removed ImageNet head
    top5 = [weights.meta["categories"][index] for index in logits[0].topk(5).indices.tolist()]

    assert info.weights_source == PRETRAINED_CACHE
    assert info.hash_matches_name is True
    assert top5[0] == "palace"
    assert "monastery" in top5
