"""Regression metrics as plain functions: tensors or arrays in, floats out."""

import numpy as np
import torch
from scipy.stats import spearmanr

ArrayLike = torch.Tensor | np.ndarray


def _as_float64(values: ArrayLike) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _pair(prediction: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    prediction, target = _as_float64(prediction), _as_float64(target)
    if prediction.shape != target.shape:
        raise ValueError(f"prediction has {prediction.shape[0]} values but target has {target.shape[0]}")
    if prediction.size == 0:
        raise ValueError("cannot compute a metric on zero values")
    return prediction, target


def mae(prediction: ArrayLike, target: ArrayLike) -> float:
    """Mean absolute error."""
    prediction, target = _pair(prediction, target)
    return float(np.mean(np.abs(prediction - target)))


def rmse(prediction: ArrayLike, target: ArrayLike) -> float:
    """Root mean squared error, which weighs large misses more than MAE does."""
    prediction, target = _pair(prediction, target)
    return float(np.sqrt(np.mean((prediction - target) ** 2)))


def spearman(prediction: ArrayLike, target: ArrayLike) -> float:
    """Spearman rank correlation (ties share their average rank); NaN when either side is constant."""
    prediction, target = _pair(prediction, target)
    if np.all(prediction == prediction[0]) or np.all(target == target[0]):
        return float("nan")
    return float(spearmanr(prediction, target).statistic)
