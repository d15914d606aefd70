"""LikePredictor: a small fully connected network that predicts how many likes a moment gets.

The architecture is input -> 64 -> 32 -> 1 with ReLU. The network takes
encoded features, that is standardised numbers and one-hot categories from
`FeatureEncoder`, and predicts `log1p(like_count)`: like counts are
heavy-tailed, and on the log scale an error of 0.1 means "about 10 % off"
for a moment with 5 likes and for one with 5,000 alike.

`LikeCountModel` chains the fitted encoder, the network and the inverse of the
log transform. It takes raw feature values and returns like counts, which is
the form a serving process (for example a Java service loading the TorchScript
export through DJL) needs.
"""

from dataclasses import dataclass

import torch
from torch import nn

from moment_pipelines.ml.preprocessing import FeatureEncoder


@dataclass
class LikePredictorConfig:
    input_dim: int  # width of the encoded feature vector (FeatureEncoder.output_dim)
    hidden_dim_1: int = 64  # units in the first hidden layer
    hidden_dim_2: int = 32  # units in the second hidden layer


class LikePredictor(nn.Module):
    def __init__(self, config: LikePredictorConfig) -> None:
        super().__init__()
        self.input_dim = config.input_dim
        self.fc1 = nn.Linear(config.input_dim, config.hidden_dim_1)
        self.fc2 = nn.Linear(config.hidden_dim_1, config.hidden_dim_2)
        self.output = nn.Linear(config.hidden_dim_2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map encoded features (B, input_dim) to predicted log1p(like_count) (B,)."""
        assert x.dim() == 2, "expected encoded features of shape (B, input_dim)"
        assert x.shape[1] == self.input_dim, "encoded feature width differs from input_dim"

        x = torch.relu(self.fc1(x))  # (B, 64)

        x = torch.relu(self.fc2(x))  # (B, 32)

        # Drop the size-1 output axis: comparing (B, 1) with a (B,) label would
        # broadcast to (B, B) and silently train on the wrong loss.
        return self.output(x).squeeze(1)  # (B,)


class LikeCountModel(nn.Module):
    """Raw features in, predicted like counts out: encoder, network and expm1 in one module."""

    def __init__(self, encoder: FeatureEncoder, predictor: LikePredictor) -> None:
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor

    def forward(self, raw_features: torch.Tensor) -> torch.Tensor:
        """Map raw features (B, n_features), in the encoder's column order, to like counts (B,)."""
        encoded = self.encoder(raw_features)  # (B, input_dim)

        log_likes = self.predictor(encoded)  # (B,)

        # A count is never negative, whatever the network extrapolates.
        return torch.expm1(log_likes).clamp(min=0.0)
