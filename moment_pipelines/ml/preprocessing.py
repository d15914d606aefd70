"""FeatureEncoder: turns raw feature columns into the numbers a neural network trains well on.

Three kinds of column are supported:

- `numeric`: standardised to mean 0 and standard deviation 1;
- `log_numeric`: `log1p` first, then standardised, for heavy-tailed counts
  such as text length or an author's mean likes;
- `category`: one-hot encoded, for codes whose numeric order means nothing
  (moment type, hour of day, weekday).

The encoder is fitted on the training split only, so nothing about the
validation or test rows leaks into the training. It is an `nn.Module` with
its fitted values as buffers, so it is saved with the model and runs inside
the TorchScript export: a caller passes raw values in `FeatureEncoder.names`
order and never re-implements the scaling.
"""

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from moment_pipelines.ml.data import TabularSplit

FeatureKind = Literal["numeric", "log_numeric", "category"]
FEATURE_KINDS: tuple[str, ...] = ("numeric", "log_numeric", "category")

# Standard deviations below this are treated as 1 so a constant column
# encodes to 0 instead of dividing by zero.
_MIN_STD = 1e-6


@dataclass(frozen=True)
class FeatureSpec:
    name: str  # column name in the training set
    kind: FeatureKind  # how FeatureEncoder turns it into network inputs


class FeatureEncoder(nn.Module):
    """Standardisation and one-hot encoding with values fitted on the training split."""

    # Python-side helpers that TorchScript must not try to compile.
    __jit_unused_properties__ = ["specs", "output_dim"]

    def __init__(
        self,
        specs: list[FeatureSpec],
        mean: torch.Tensor,
        std: torch.Tensor,
        category_column: torch.Tensor,
        category_value: torch.Tensor,
    ) -> None:
        """Build an encoder from fitted values, which `FeatureEncoder.fit` computes.

        `mean` and `std` have one entry per numeric column (after log1p for
        `log_numeric`). Output one-hot column j is 1 where raw column
        `category_column[j]` equals `category_value[j]`.
        """
        super().__init__()
        for spec in specs:
            if spec.kind not in FEATURE_KINDS:
                raise ValueError(f"feature {spec.name!r} has kind {spec.kind!r}; expected one of {FEATURE_KINDS}")
        self.names = [spec.name for spec in specs]
        self.kinds = [spec.kind for spec in specs]

        numeric = [index for index, spec in enumerate(specs) if spec.kind != "category"]
        if mean.shape != (len(numeric),) or std.shape != (len(numeric),):
            raise ValueError(f"mean and std need {len(numeric)} entries, got {tuple(mean.shape)} and {tuple(std.shape)}")
        self.register_buffer("numeric_column", torch.tensor(numeric, dtype=torch.long))
        self.register_buffer(
            "log_mask", torch.tensor([specs[index].kind == "log_numeric" for index in numeric], dtype=torch.bool)
        )
        self.register_buffer("mean", mean.to(torch.float32))
        self.register_buffer("std", std.to(torch.float32))
        self.register_buffer("category_column", category_column.to(torch.long))
        self.register_buffer("category_value", category_value.to(torch.float32))

    @classmethod
    def fit(cls, specs: list[FeatureSpec], train_features: torch.Tensor) -> "FeatureEncoder":
        """Fit means, standard deviations and category lists on the training features (N, n_features)."""
        if train_features.dim() != 2 or train_features.shape[1] != len(specs):
            raise ValueError(f"expected training features of shape (N, {len(specs)}), got {tuple(train_features.shape)}")
        if train_features.shape[0] == 0:
            raise ValueError("cannot fit a FeatureEncoder on an empty training split")
        if not torch.isfinite(train_features).all():
            raise ValueError("training features contain NaN or infinite values, fill them before encoding")

        numeric = [index for index, spec in enumerate(specs) if spec.kind != "category"]
        values = train_features[:, numeric]  # (N, n_numeric)
        log_mask = torch.tensor([specs[index].kind == "log_numeric" for index in numeric], dtype=torch.bool)
        values = torch.where(log_mask, torch.log1p(values.clamp(min=0.0)), values)
        mean = values.mean(dim=0)
        std = values.std(dim=0, unbiased=False)
        std = torch.where(std < _MIN_STD, torch.ones_like(std), std)

        columns: list[int] = []
        categories: list[float] = []
        for index, spec in enumerate(specs):
            if spec.kind == "category":
                seen = torch.unique(train_features[:, index]).tolist()
                columns.extend([index] * len(seen))
                categories.extend(seen)

        return cls(
            specs,
            mean=mean,
            std=std,
            category_column=torch.tensor(columns, dtype=torch.long),
            category_value=torch.tensor(categories, dtype=torch.float32),
        )

    @property
    def specs(self) -> list[FeatureSpec]:
        return [FeatureSpec(name, kind) for name, kind in zip(self.names, self.kinds)]

    @property
    def output_dim(self) -> int:
        return int(self.mean.shape[0] + self.category_value.shape[0])

    def fitted_state(self) -> dict[str, torch.Tensor]:
        """Return the fitted tensors, the keyword arguments that rebuild this encoder with its specs."""
        return {
            "mean": self.mean,
            "std": self.std,
            "category_column": self.category_column,
            "category_value": self.category_value,
        }

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        """Encode raw features (B, n_features) into (B, output_dim). Unseen categories encode to all zeros."""
        numeric = raw[:, self.numeric_column]  # (B, n_numeric)
        numeric = torch.where(self.log_mask, torch.log1p(numeric.clamp(min=0.0)), numeric)
        numeric = (numeric - self.mean) / self.std

        one_hot = (raw[:, self.category_column] == self.category_value).to(raw.dtype)  # (B, n_categories)

        return torch.cat([numeric, one_hot], dim=1)  # (B, output_dim)


@torch.no_grad()
def encode(encoder: FeatureEncoder, split: TabularSplit) -> TabularSplit:
    """Return a copy of the split with encoded features and the same label."""
    return TabularSplit(features=encoder(split.features), label=split.label)
