"""Ranking metrics on hand-computed examples."""

import math

import pytest
import torch

from moment_pipelines.ml.recommendation.metrics import (
    catalogue_coverage,
    hit_rate_at_k,
    ndcg_at_k,
    paired_bootstrap_interval,
    recall_at_k,
)
from moment_pipelines.ml.recommendation.ranking import top_k

# User 0 ranks candidates 0, 1, 2 and liked 1 and 3; user 1 ranks 3, 0, 1 and liked 3.
RANKING = torch.tensor([[0, 1, 2], [3, 0, 1]])
RELEVANCE = torch.tensor([[False, True, False, True], [False, False, False, True]])


def test_recall_at_k():
    assert recall_at_k(RANKING, RELEVANCE, 1) == pytest.approx((0 + 1) / 2)
    assert recall_at_k(RANKING, RELEVANCE, 3) == pytest.approx((1 / 2 + 1) / 2)


def test_ndcg_at_k():
    # User 0: one hit at rank 2, two relevant items, so DCG = 1/log2(3) and ideal DCG = 1 + 1/log2(3).
    user_0 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    user_1 = 1.0  # its only relevant item is ranked first
    assert ndcg_at_k(RANKING, RELEVANCE, 3) == pytest.approx((user_0 + user_1) / 2)


def test_ndcg_ideal_capped_at_k():
    ranking = torch.tensor([[0]])
    relevance = torch.tensor([[True, True, True]])
    assert ndcg_at_k(ranking, relevance, 1) == pytest.approx(1.0)


def test_hit_rate_at_k():
    assert hit_rate_at_k(RANKING, RELEVANCE, 1) == pytest.approx(0.5)
    assert hit_rate_at_k(RANKING, RELEVANCE, 2) == pytest.approx(1.0)


def test_users_without_targets_skipped():
    ranking = torch.cat([RANKING, torch.tensor([[0, 1, 2]])])
    relevance = torch.cat([RELEVANCE, torch.zeros(1, 4, dtype=torch.bool)])
    assert recall_at_k(ranking, relevance, 3) == pytest.approx(recall_at_k(RANKING, RELEVANCE, 3))


def test_no_targets_rejected():
    with pytest.raises(ValueError):
        recall_at_k(RANKING, torch.zeros(2, 4, dtype=torch.bool), 3)


def test_catalogue_coverage():
    valid = torch.ones_like(RANKING, dtype=torch.bool)
    assert catalogue_coverage(RANKING, valid, 8) == pytest.approx(4 / 8)


def test_top_k_skips_excluded():
    scores = torch.tensor([[0.9, 0.8, 0.1], [0.2, 0.5, 0.7]])
    excluded = torch.tensor([[True, False, False], [False, True, True]])
    positions, valid = top_k(scores, excluded, 2)
    assert positions[0].tolist() == [1, 2]
    assert positions[1, 0].item() == 0
    assert valid.tolist() == [[True, True], [True, False]]


def test_bootstrap_interval_brackets_difference():
    first = torch.tensor([1.0, 0.5, 0.0, 1.0])
    second = torch.tensor([0.0, 0.5, 0.0, 0.0])
    low, high = paired_bootstrap_interval(first, second)
    assert low <= 0.5 <= high
    assert low >= 0.0


def test_bootstrap_interval_zero_for_equal():
    values = torch.tensor([0.2, 0.4, 0.6])
    assert paired_bootstrap_interval(values, values) == (0.0, 0.0)
