"""In-memory tabular data: feature and label tensors for one split, and their data loaders."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class TabularSplit:
    """One split of a training set as float32 tensors."""

    features: torch.Tensor  # (N, n_features) raw feature values, columns in feature-name order
    label: torch.Tensor  # (N,) regression target

    def __post_init__(self) -> None:
        if self.features.dim() != 2:
            raise ValueError(f"features must be 2-D (N, n_features), got shape {tuple(self.features.shape)}")
        if self.label.shape != (self.features.shape[0],):
            raise ValueError(
                f"label shape {tuple(self.label.shape)} does not match {self.features.shape[0]} feature rows"
            )

    def __len__(self) -> int:
        return int(self.label.shape[0])


def split_from_frame(frame: pd.DataFrame, feature_names: list[str], label: str) -> TabularSplit:
    """Copy the named columns of a pandas frame into a TabularSplit.

    Raises ValueError when a column is missing or contains NULL or non-finite
    values, because a NaN that reaches the network turns every loss into NaN.
    """
    missing = [name for name in [*feature_names, label] if name not in frame.columns]
    if missing:
        raise ValueError(f"columns missing from the frame: {missing}")
    features = frame[feature_names].to_numpy(dtype=np.float32, na_value=np.nan)
    target = frame[label].to_numpy(dtype=np.float32, na_value=np.nan)
    bad_columns = [name for name, ok in zip(feature_names, np.isfinite(features).all(axis=0)) if not ok]
    if bad_columns:
        raise ValueError(f"feature columns with NULL or non-finite values: {bad_columns}")
    if not np.isfinite(target).all():
        raise ValueError(f"label column {label!r} has NULL or non-finite values")
    # torch.tensor copies: pandas may hand out read-only arrays, which torch.from_numpy cannot own safely.
    return TabularSplit(features=torch.tensor(features), label=torch.tensor(target))


def make_loader(split: TabularSplit, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Return a DataLoader over (features, label) batches. Shuffling is seeded, so epochs repeat."""
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(
        TensorDataset(split.features, split.label), batch_size=batch_size, shuffle=shuffle, generator=generator
    )
