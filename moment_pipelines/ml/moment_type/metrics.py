"""Multi-class metrics as plain functions: predicted and true class indices in, floats out."""

import numpy as np
import torch
from sklearn import metrics as sk_metrics

ArrayLike = torch.Tensor | np.ndarray


def _as_int64(values: ArrayLike) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.int64).reshape(-1)


def accuracy(predicted: ArrayLike, label: ArrayLike) -> float:
    predicted, label = _as_int64(predicted), _as_int64(label)
    if predicted.size == 0:
        raise ValueError("cannot compute accuracy on zero rows")
    return float(np.mean(predicted == label))


def per_class_f1(predicted: ArrayLike, label: ArrayLike, num_classes: int) -> np.ndarray:
    """F1 of each class 0..num_classes-1; a class never predicted and never present scores 0."""
    return sk_metrics.f1_score(
        _as_int64(label), _as_int64(predicted), labels=list(range(num_classes)), average=None, zero_division=0
    )


def macro_f1(predicted: ArrayLike, label: ArrayLike, num_classes: int) -> float:
    """Unweighted mean of the per-class F1 over the classes present in `label`, so rare types count as much as common ones."""
    label_array = _as_int64(label)
    present = np.unique(label_array)
    return float(per_class_f1(predicted, label_array, num_classes)[present].mean())


def confusion_matrix(predicted: ArrayLike, label: ArrayLike, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    return sk_metrics.confusion_matrix(_as_int64(label), _as_int64(predicted), labels=list(range(num_classes)))
