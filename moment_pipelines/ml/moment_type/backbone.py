"""The image branch's backbone: torchvision resnet18 or mobilenet_v2, with ImageNet weights from local files only.

torchvision's weights API names each checkpoint by its URL, for example
`ResNet18_Weights.IMAGENET1K_V1.url` ends in `resnet18-f37072fd.pth`, and
`weights.get_state_dict()` downloads that file into
`torch.hub.get_dir()/checkpoints/` (`$TORCH_HOME/hub/checkpoints/`) unless it
is already there. A machine without internet access cannot download, so
`load_backbone` never does: it uses a configured file, else that cache file
if it exists, else random initialisation, and records which in `BackboneInfo`.

The classification head is replaced by `nn.Identity()`, so the backbone maps
(B, 3, H, W) pictures normalised with the ImageNet mean and standard
deviation to (B, feature_dim) features: 512 for resnet18, 1280 for mobilenet_v2.
"""

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torchvision import models
from torchvision.models import MobileNet_V2_Weights, ResNet18_Weights, WeightsEnum

logger = logging.getLogger(__name__)

BACKBONES: dict[str, tuple] = {
    # name -> (constructor, ImageNet weights, feature width)
    "resnet18": (models.resnet18, ResNet18_Weights.IMAGENET1K_V1, 512),
    "mobilenet_v2": (models.mobilenet_v2, MobileNet_V2_Weights.IMAGENET1K_V1, 1280),
}

# The mean and standard deviation of ImageNet's RGB channels, which the pretrained weights expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

PRETRAINED_FILE = "file"
PRETRAINED_CACHE = "torch_cache"
RANDOM_INIT = "random_init"


@dataclass(frozen=True)
class BackboneInfo:
    """The source of the backbone's weights."""

    name: str  # "resnet18" or "mobilenet_v2"
    feature_dim: int  # width of the feature vector per picture
    weights_source: str  # PRETRAINED_FILE, PRETRAINED_CACHE or RANDOM_INIT
    weights_path: str | None  # the loaded file, or None for random initialisation
    weights_sha256: str | None
    hash_matches_name: bool | None  # torchvision file names end in the first 8 hex digits of the file's sha256
    message: str  # one Chinese sentence for logs and metadata

    @property
    def identity(self) -> str:
        """A short id of backbone and weights, so embeddings from different weights are never mixed."""
        weights = self.weights_sha256[:12] if self.weights_sha256 else RANDOM_INIT
        return f"{self.name}:{weights}"


def imagenet_weights(name: str) -> WeightsEnum:
    return _backbone_entry(name)[1]


def cache_path(name: str) -> Path:
    """Return the file that torchvision's weights API would download the ImageNet weights of `name` to."""
    filename = imagenet_weights(name).url.rsplit("/", 1)[-1]
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def load_backbone(name: str, weights_path: str | Path | None = None, seed: int = 0) -> tuple[nn.Module, BackboneInfo]:
    """Build the backbone without its classification head and load the best weights available locally.

    `weights_path` takes precedence over the torch cache. A configured file
    that does not exist raises FileNotFoundError, because the caller asked
    for it explicitly. A missing cache file falls back to random
    initialisation with `seed` and logs a warning.
    """
    constructor, _, feature_dim = _backbone_entry(name)
    torch.manual_seed(seed)
    network = constructor(weights=None)

    if weights_path is not None:
        path = Path(weights_path)
        if not path.is_file():
            raise FileNotFoundError(f"找不到配置的预训练权重文件 {path}，请检查路径，或不配置它以使用 torch 缓存")
        source = PRETRAINED_FILE
    else:
        path = cache_path(name)
        source = PRETRAINED_CACHE if path.is_file() else RANDOM_INIT

    if source == RANDOM_INIT:
        message = (
            f"没有找到 {name} 的 ImageNet 预训练权重（{path} 不存在，不会联网下载），图像分支使用随机初始化；"
            f"把 {path.name} 放进该目录，或配置 weights_path 后重新物化即可使用预训练权重"
        )
        logger.warning(message)
        remove_head(name, network)
        return network, BackboneInfo(name, feature_dim, RANDOM_INIT, None, None, None, message)

    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    network.load_state_dict(state_dict)
    remove_head(name, network)
    sha256 = _file_sha256(path)
    hash_matches = _hash_matches_name(path, sha256)
    message = f"{name} 加载了预训练权重 {path}（sha256 {sha256[:12]}）"
    if hash_matches is False:
        message += "；注意：文件的 sha256 与文件名中的哈希前缀不一致，可能不是 torchvision 发布的原文件"
    logger.info(message)
    return network, BackboneInfo(name, feature_dim, source, str(path), sha256, hash_matches, message)


def _backbone_entry(name: str) -> tuple:
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; expected one of {sorted(BACKBONES)}")
    return BACKBONES[name]


def remove_head(name: str, network: nn.Module) -> None:
    """Replace the ImageNet classifier with Identity, so the network returns pooled features."""
    if name == "resnet18":
        network.fc = nn.Identity()
    else:
        network.classifier = nn.Identity()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_matches_name(path: Path, sha256: str) -> bool | None:
    """Compare the hash prefix in a torchvision file name (`resnet18-f37072fd.pth`) with the file's sha256."""
    stem = path.stem
    if "-" not in stem:
        return None
    prefix = stem.rsplit("-", 1)[-1]
    return sha256.startswith(prefix) if len(prefix) >= 8 and all(c in "0123456789abcdef" for c in prefix) else None


def normalize_pictures(pictures: torch.Tensor) -> torch.Tensor:
    """Map uint8 pictures (..., 3, H, W) to float tensors normalised with the ImageNet mean and std."""
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (pictures.float() / 255.0 - mean) / std
