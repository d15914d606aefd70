"""MultiModalClassifier: predicts a moment's type from its text and its pictures.

The architecture is the one the README's scenario table names: an image
branch (a torchvision ResNet without its last layer), a text branch (a GRU
over token embeddings) and a fusion MLP over the two concatenated feature
vectors. What this version adds to that two-branch sketch, and why:

- A moment has 0 to 9 pictures. The image branch encodes each picture and
  averages the features of the pictures that exist (`picture_mask`). A
  moment with no usable picture gets a learned `missing_image` vector
  instead, so "no picture" is an input the classifier can learn from.
- The image branch can take precomputed features (a frozen backbone, the
  default, which makes CPU training fast) or pixels (`image_encoder` given,
  which fine-tunes the backbone).
- The GRU reads packed sequences, so padding never reaches its hidden state.
- `use_text` and `use_image` switch a branch off. The evaluation trains a
  text-only and an image-only model this way, to measure what fusion adds.
"""

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


@dataclass
class MultiModalConfig:
    vocab_size: int  # tokens in the vocabulary, special tokens included
    num_classes: int  # moment types the classifier chooses from
    image_feature_dim: int = 512  # width of one picture's feature vector: 512 for resnet18, 1280 for mobilenet_v2
    embedding_dim: int = 64  # width of a token embedding
    text_hidden_dim: int = 128  # GRU hidden state, the text feature width (256 in the usual sketch, 128 trains about 3 times faster on a CPU)
    fusion_hidden_dim: int = 128  # units in the fusion MLP's hidden layer
    dropout: float = 0.2  # share of fusion units zeroed on each training step
    use_text: bool = True  # False: an image-only model (ablation)
    use_image: bool = True  # False: a text-only model (ablation, or data without pictures)
    pad_id: int = 0  # token id that fills short sequences


class MultiModalClassifier(nn.Module):
    def __init__(self, config: MultiModalConfig, image_encoder: nn.Module | None = None) -> None:
        super().__init__()
        if not (config.use_text or config.use_image):
            raise ValueError("at least one of use_text and use_image must be True")
        self.config = config

        # Image branch: None means the inputs are already backbone features.
        self.image_encoder = image_encoder
        self.image_norm = nn.LayerNorm(config.image_feature_dim)
        self.missing_image = nn.Parameter(torch.zeros(config.image_feature_dim))

        # Text branch.
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_id)
        self.text_encoder = nn.GRU(config.embedding_dim, config.text_hidden_dim, batch_first=True)

        fused_dim = config.image_feature_dim * config.use_image + config.text_hidden_dim * config.use_text
        self.classifier = nn.Sequential(
            nn.Linear(fused_dim, config.fusion_hidden_dim),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.fusion_hidden_dim, config.num_classes),
        )

    def encode_images(self, pictures: torch.Tensor, picture_mask: torch.Tensor) -> torch.Tensor:
        """Map pictures (B, K, D) features or (B, K, 3, H, W) pixels and a (B, K) mask to (B, D) image features."""
        if self.image_encoder is not None:
            batch, slots = picture_mask.shape
            features = pictures.new_zeros(batch, slots, self.config.image_feature_dim)
            features[picture_mask] = self.image_encoder(pictures[picture_mask])  # (M, D) for the M real pictures
        else:
            features = pictures  # (B, K, D)

        weights = picture_mask.unsqueeze(-1).to(features.dtype)  # (B, K, 1)
        count = weights.sum(dim=1)  # (B, 1)
        mean = (features * weights).sum(dim=1) / count.clamp(min=1)  # (B, D)

        return torch.where(count > 0, self.image_norm(mean), self.missing_image)  # (B, D)

    def encode_text(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Map token ids (B, T) and lengths (B,) to the GRU's last hidden state (B, text_hidden_dim)."""
        embedded = self.embedding(token_ids)  # (B, T, E)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, hidden = self.text_encoder(packed)  # (1, B, H)

        return hidden.squeeze(0)  # (B, H)

    def forward(
        self,
        token_ids: torch.Tensor,
        lengths: torch.Tensor,
        pictures: torch.Tensor | None,
        picture_mask: torch.Tensor,
    ) -> torch.Tensor:
        """Return class logits (B, num_classes); `pictures` may be None for a text-only model."""
        parts = []
        if self.config.use_image:
            assert pictures is not None, "an image model needs pictures (features or pixels)"
            parts.append(self.encode_images(pictures, picture_mask))
        if self.config.use_text:
            parts.append(self.encode_text(token_ids, lengths))

        fused = torch.cat(parts, dim=1)  # (B, D + H), or one of them

        return self.classifier(fused)  # (B, num_classes)
