"""Binary-classification metrics as plain functions: probabilities or logits and 0/1 labels in, floats out."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from sklearn import metrics as sk_metrics

ArrayLike = torch.Tensor | np.ndarray

# Probabilities are clipped to [EPSILON, 1 - EPSILON] before log loss, so a
# baseline that outputs exactly 0 or 1 gets a large but finite loss.
EPSILON = 1e-7


def _as_float64(values: ArrayLike) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _pair(score: ArrayLike, label: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    score, label = _as_float64(score), _as_float64(label)
    if score.shape != label.shape:
        raise ValueError(f"score has {score.shape[0]} values but label has {label.shape[0]}")
    if score.size == 0:
        raise ValueError("cannot compute a metric on zero values")
    return score, label


def roc_auc(score: ArrayLike, label: ArrayLike) -> float:
    """ROC-AUC of any score where higher means "more likely positive"; NaN when only one class is present."""
    score, label = _pair(score, label)
    if label.min() == label.max():
        return float("nan")
    return float(sk_metrics.roc_auc_score(label, score))


def pr_auc(score: ArrayLike, label: ArrayLike) -> float:
    """Area under the precision-recall curve (average precision); NaN without positives."""
    score, label = _pair(score, label)
    if label.max() == 0:
        return float("nan")
    return float(sk_metrics.average_precision_score(label, score))


def log_loss(probability: ArrayLike, label: ArrayLike) -> float:
    """Mean binary cross-entropy of probabilities, in nats."""
    probability, label = _pair(probability, label)
    probability = np.clip(probability, EPSILON, 1 - EPSILON)
    return float(-np.mean(label * np.log(probability) + (1 - label) * np.log(1 - probability)))


@dataclass(frozen=True)
class ThresholdScores:
    threshold: float  # predict "like" when the probability is at or above this
    precision: float
    recall: float
    f1: float


def scores_at(probability: ArrayLike, label: ArrayLike, threshold: float) -> ThresholdScores:
    """Precision, recall and F1 when predicting positive at probability >= threshold."""
    probability, label = _pair(probability, label)
    predicted = probability >= threshold
    true_positives = float(np.sum(predicted & (label == 1)))
    precision = true_positives / predicted.sum() if predicted.any() else 0.0
    recall = true_positives / label.sum() if label.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThresholdScores(threshold=threshold, precision=float(precision), recall=float(recall), f1=float(f1))


def best_f1_threshold(probability: ArrayLike, label: ArrayLike) -> ThresholdScores:
    """Return the threshold with the highest F1 on these rows (meant for the validation split)."""
    probability, label = _pair(probability, label)
    precision, recall, thresholds = sk_metrics.precision_recall_curve(label, probability)
    # The last precision/recall pair has no threshold (it is the "predict nothing" end).
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, EPSILON), 0.0)[:-1]
    best = int(np.argmax(f1))
    return scores_at(probability, label, float(thresholds[best]))


@dataclass(frozen=True)
class CalibrationBin:
    lower: float  # bin edges on the predicted probability
    upper: float
    rows: int
    mean_predicted: float  # NaN for an empty bin
    observed_rate: float  # share of positives among the bin's rows; NaN for an empty bin


def calibration_bins(probability: ArrayLike, label: ArrayLike, bins: int = 10) -> list[CalibrationBin]:
    """Group rows into equal-width probability bins and compare mean prediction with the observed positive rate."""
    probability, label = _pair(probability, label)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    result = []
    for position in range(bins):
        mask = index == position
        rows = int(mask.sum())
        result.append(
            CalibrationBin(
                lower=float(edges[position]),
                upper=float(edges[position + 1]),
                rows=rows,
                mean_predicted=float(probability[mask].mean()) if rows else float("nan"),
                observed_rate=float(label[mask].mean()) if rows else float("nan"),
            )
        )
    return result


def expected_calibration_error(calibration: list[CalibrationBin]) -> float:
    """Row-weighted mean |mean prediction - observed rate| over the non-empty bins."""
    total = sum(entry.rows for entry in calibration)
    if total == 0:
        return float("nan")
    return float(
        sum(entry.rows * abs(entry.mean_predicted - entry.observed_rate) for entry in calibration if entry.rows) / total
    )


def permutation_importance(
    score_function: Callable[[np.ndarray], np.ndarray],
    features: np.ndarray,
    label: np.ndarray,
    feature_names: list[str],
    repeats: int = 3,
    seed: int = 0,
) -> dict[str, float]:
    """Return, per feature, the mean drop in ROC-AUC when that column is shuffled.

    `score_function` maps a (N, n_features) array of raw features to (N,)
    scores. Shuffling a column breaks its link to the label while keeping its
    distribution; a large drop means the model relies on the feature.
    """
    if features.shape[1] != len(feature_names):
        raise ValueError(f"features have {features.shape[1]} columns but {len(feature_names)} names were given")
    generator = np.random.default_rng(seed)
    baseline = roc_auc(score_function(features), label)
    importance = {}
    for column, name in enumerate(feature_names):
        drops = []
        for _ in range(repeats):
            shuffled = features.copy()
            shuffled[:, column] = generator.permutation(shuffled[:, column])
            drops.append(baseline - roc_auc(score_function(shuffled), label))
        importance[name] = float(np.mean(drops))
    return importance
