"""Regression metrics against values worked out by hand."""

import math

import numpy as np
import pytest
import torch

from moment_pipelines.ml.metrics import mae, rmse, spearman


def test_mae_and_rmse_by_hand():
    prediction = torch.tensor([1.0, 2.0, 5.0])
    target = torch.tensor([1.0, 4.0, 1.0])

    assert mae(prediction, target) == pytest.approx((0 + 2 + 4) / 3)
    assert rmse(prediction, target) == pytest.approx(math.sqrt((0 + 4 + 16) / 3))


def test_spearman_uses_ranks_only():
    target = np.array([1.0, 10.0, 100.0, 1000.0])

    assert spearman(np.array([0.1, 0.2, 0.3, 0.4]), target) == pytest.approx(1.0)
    assert spearman(np.array([4.0, 3.0, 2.0, 1.0]), target) == pytest.approx(-1.0)


def test_spearman_averages_tied_ranks():
    # Ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4]; Pearson of those with [1, 2, 3, 4] is 0.9486...
    assert spearman(np.array([1.0, 2.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(0.9486833)


def test_spearman_of_constant_prediction_is_nan():
    assert math.isnan(spearman(np.array([2.0, 2.0, 2.0]), np.array([1.0, 2.0, 3.0])))


def test_metrics_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="3 values but target has 2"):
        mae(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0]))
