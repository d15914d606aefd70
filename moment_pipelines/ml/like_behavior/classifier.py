"""LikeClassifier: a fully connected network that scores how likely a user is to like a moment.

The architecture is input -> 128 -> 64 -> 1 with ReLU and a Dropout of 0.3
after the first hidden layer. Dropout zeroes a random 30 % of those units on every training step, so the network cannot
lean on any single one. In `model.eval()` it is switched off.

The textbook version of this network ends with `nn.Sigmoid()` and trains
with `nn.BCELoss`. Here the network returns the logit (the value before the
sigmoid) and training uses `nn.BCEWithLogitsLoss`, which computes sigmoid and
log loss in one step with the log-sum-exp trick. With a separate Sigmoid, a
confident wrong prediction rounds to exactly 0 or 1 in float32, the log loss
becomes log(0) and the gradient vanishes. The combined loss stays finite.
The sigmoid moved into `LikeProbabilityModel`, which is what inference and
the TorchScript export run.

`LikeProbabilityModel` chains the fitted `FeatureEncoder` (standardisation
fitted on the training split only), the classifier, a fixed logit shift that
undoes the class weighting used in training (see `prior_shift`), and the
sigmoid. It takes raw feature values and returns probabilities.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from moment_pipelines.ml.preprocessing import FeatureEncoder


@dataclass
class LikeClassifierConfig:
    input_dim: int  # width of the encoded feature vector (FeatureEncoder.output_dim)
    hidden_dim_1: int = 128  # units in the first hidden layer
    hidden_dim_2: int = 64  # units in the second hidden layer
    dropout: float = 0.3  # share of first-layer units zeroed on each training step


class LikeClassifier(nn.Module):
    def __init__(self, config: LikeClassifierConfig) -> None:
        super().__init__()
        self.input_dim = config.input_dim
        self.layers = nn.Sequential(
            nn.Linear(config.input_dim, config.hidden_dim_1),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden_dim_1, config.hidden_dim_2),
            nn.ReLU(),
            nn.Linear(config.hidden_dim_2, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map encoded features (B, input_dim) to like logits (B,)."""
        assert x.dim() == 2, f"expected encoded features of shape (B, input_dim), got {x.dim()} dimensions"
        assert x.shape[1] == self.input_dim, f"expected {self.input_dim} encoded features, got {x.shape[1]}"

        logits = self.layers(x)  # (B, 1)

        # A (B, 1) output against a (B,) label would broadcast to (B, B) in the loss.
        return logits.squeeze(1)  # (B,)


def prior_shift(pos_weight: float) -> float:
    """Return the logit shift that undoes training with `BCEWithLogitsLoss(pos_weight=w)`.

    Weighting positives by w moves the loss minimum from logit(p) to
    logit(p) + ln(w), so the calibrated logit is the trained logit - ln(w).
    """
    if pos_weight <= 0:
        raise ValueError(f"pos_weight must be positive, got {pos_weight}")
    return -math.log(pos_weight)


class LikeProbabilityModel(nn.Module):
    """Raw features in, like probabilities out: encoder, classifier, logit shift and sigmoid in one module."""

    def __init__(self, encoder: FeatureEncoder, classifier: LikeClassifier, logit_shift: float = 0.0) -> None:
        super().__init__()
        self.encoder = encoder
        self.classifier = classifier
        self.register_buffer("logit_shift", torch.tensor(float(logit_shift)))

    def logits(self, raw_features: torch.Tensor) -> torch.Tensor:
        """Map raw features (B, n_features) to calibrated logits (B,)."""
        encoded = self.encoder(raw_features)  # (B, input_dim)

        return self.classifier(encoded) + self.logit_shift  # (B,)

    def forward(self, raw_features: torch.Tensor) -> torch.Tensor:
        """Map raw features (B, n_features), in the encoder's column order, to like probabilities (B,)."""
        return torch.sigmoid(self.logits(raw_features))
