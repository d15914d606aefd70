"""Moments as tensors: padded token ids, picture slots and class labels, plus the two kinds of picture input.

A split stores, per moment, up to `max_pictures` indices into a picture
table (-1 for an empty slot). The table is either `PictureFeatures`
(backbone embeddings computed once, for a frozen backbone) or
`PictureFiles` (the cached resized PNGs, read per batch, for fine-tuning).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary
from moment_pipelines.ml.moment_type.backbone import normalize_pictures


@dataclass
class MomentTypeSplit:
    token_ids: torch.Tensor  # (N, T) int64, padded with the vocabulary's pad id
    lengths: torch.Tensor  # (N,) tokens per moment; an empty text counts as one pad token
    picture_index: torch.Tensor  # (N, K) int64 rows of the picture table, -1 for an empty slot
    label: torch.Tensor  # (N,) class index

    def __len__(self) -> int:
        return self.label.shape[0]

    def subset(self, rows: torch.Tensor) -> "MomentTypeSplit":
        lengths = self.lengths[rows]
        longest = int(lengths.max()) if len(rows) else 1
        return MomentTypeSplit(
            token_ids=self.token_ids[rows, :longest],  # trim padding beyond the batch's longest text
            lengths=lengths,
            picture_index=self.picture_index[rows],
            label=self.label[rows],
        )


def encode_texts(token_lists: Sequence[Sequence[str]], vocabulary: Vocabulary, max_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (N, T) padded token ids and (N,) lengths, keeping the first `max_tokens` tokens of each text."""
    encoded = [vocabulary.encode(list(tokens)[:max_tokens]) for tokens in token_lists]
    longest = max((len(ids) for ids in encoded), default=1) or 1
    token_ids = torch.full((len(encoded), longest), vocabulary.pad_id, dtype=torch.int64)
    lengths = torch.ones(len(encoded), dtype=torch.int64)
    for row, ids in enumerate(encoded):
        if ids:
            token_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
            lengths[row] = len(ids)
    return token_ids, lengths


def picture_slots(picture_lists: Sequence[Sequence[str]], table_rows: dict[str, int], max_pictures: int) -> torch.Tensor:
    """Return (N, max_pictures) table rows of each moment's usable pictures, in order, -1 where a slot is empty.

    Pictures missing from `table_rows` (unresolved or failed) are skipped.
    """
    index = np.full((len(picture_lists), max_pictures), -1, dtype=np.int64)
    for row, keys in enumerate(picture_lists):
        usable = [table_rows[key] for key in keys if key in table_rows][:max_pictures]
        index[row, : len(usable)] = usable
    return torch.from_numpy(index)


class PictureFeatures:
    """Precomputed backbone features, one row per distinct picture."""

    def __init__(self, features: torch.Tensor) -> None:
        self.features = features  # (U, D) float32

    def gather(self, picture_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Map (B, K) table rows to (B, K, D) features and a (B, K) mask of real pictures."""
        mask = picture_index >= 0
        pictures = self.features[picture_index.clamp(min=0)]  # (B, K, D)
        return pictures * mask.unsqueeze(-1), mask


class PictureFiles:
    """Cached square PNGs, read from disk when a batch needs them."""

    def __init__(self, paths: Sequence[str], image_size: int) -> None:
        self.paths = list(paths)
        self.image_size = image_size

    def gather(self, picture_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Map (B, K) table rows to (B, K, 3, H, W) normalised pixels and a (B, K) mask of real pictures."""
        mask = picture_index >= 0
        batch, slots = picture_index.shape
        pixels = torch.zeros(batch, slots, 3, self.image_size, self.image_size, dtype=torch.uint8)
        slots_used = mask.nonzero()  # (M, 2) pairs of (moment, slot)
        paths = [self.paths[int(picture_index[b, k])] for b, k in slots_used.tolist()]
        pixels[mask] = read_pictures(paths, self.image_size)
        return normalize_pictures(pixels), mask


def read_pictures(paths: Sequence[str], image_size: int) -> torch.Tensor:
    """Read image files into a (N, 3, image_size, image_size) uint8 tensor."""
    pixels = torch.zeros(len(paths), 3, image_size, image_size, dtype=torch.uint8)
    for row, path in enumerate(paths):
        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB").resize((image_size, image_size)))
        pixels[row] = torch.from_numpy(array.copy()).permute(2, 0, 1)  # (H, W, 3) -> (3, H, W)
    return pixels


@torch.no_grad()
def embed_pictures(backbone: torch.nn.Module, paths: Sequence[str], image_size: int, batch_size: int = 64) -> torch.Tensor:
    """Run the backbone in eval mode over image files and return (N, feature_dim) float32 features."""
    backbone.eval()
    outputs = []
    for start in range(0, len(paths), batch_size):
        pixels = read_pictures(paths[start : start + batch_size], image_size)
        outputs.append(backbone(normalize_pictures(pixels)))  # (B, D)
    return torch.cat(outputs) if outputs else torch.empty(0)


PictureTable = PictureFeatures | PictureFiles


def shuffled_batches(split: MomentTypeSplit, batch_size: int, generator: torch.Generator) -> Iterator[MomentTypeSplit]:
    order = torch.randperm(len(split), generator=generator)
    for start in range(0, len(split), batch_size):
        yield split.subset(order[start : start + batch_size])


def ordered_batches(split: MomentTypeSplit, batch_size: int) -> Iterator[MomentTypeSplit]:
    for start in range(0, len(split), batch_size):
        yield split.subset(torch.arange(start, min(start + batch_size, len(split))))
