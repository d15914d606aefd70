"""Ranking metrics as plain functions: a top-K list and the relevant items in, floats out.

`ranking` [n_users, k] contains candidate positions, best first; `relevance`
[n_users, n_candidates] is True where a user interacted with a candidate in
the held-out period. Users without any relevant candidate are not counted.
"""

import math

import torch


def _hits(ranking: torch.Tensor, relevance: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    counted = relevance.any(dim=1)
    if not counted.any():
        raise ValueError("no user has a relevant item; a ranking metric needs at least one")
    hits = relevance[counted].gather(1, ranking[counted, :k])  # [n_counted, min(k, width)]
    return hits, relevance[counted].sum(dim=1)


def recall_per_user(ranking: torch.Tensor, relevance: torch.Tensor, k: int) -> torch.Tensor:
    """Return (relevant items in the top k) / (relevant items) for each user with a relevant item."""
    hits, relevant = _hits(ranking, relevance, k)
    return hits.sum(dim=1) / relevant


def recall_at_k(ranking: torch.Tensor, relevance: torch.Tensor, k: int) -> float:
    """Mean over users of (relevant items in the top k) / (relevant items)."""
    return float(recall_per_user(ranking, relevance, k).mean())


def paired_bootstrap_interval(
    first: torch.Tensor, second: torch.Tensor, resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Return the percentile bootstrap interval of mean(first - second) over users resampled with replacement.

    `first` and `second` are per-user values of two rankers on the same users.
    """
    if first.shape != second.shape or first.numel() == 0:
        raise ValueError(f"need two equal, non-empty per-user vectors, got {tuple(first.shape)} and {tuple(second.shape)}")
    generator = torch.Generator().manual_seed(seed)
    difference = (first - second).double()
    samples = torch.randint(len(difference), (resamples, len(difference)), generator=generator)
    means = difference[samples].mean(dim=1)
    tail = (1 - level) / 2
    return float(torch.quantile(means, tail)), float(torch.quantile(means, 1 - tail))


def ndcg_at_k(ranking: torch.Tensor, relevance: torch.Tensor, k: int) -> float:
    """Mean over users of DCG@k / ideal DCG@k, with gain 1 / log2(rank + 1) for a relevant item at rank 1, 2, ..."""
    hits, relevant = _hits(ranking, relevance, k)
    discount = 1.0 / torch.log2(torch.arange(2, hits.shape[1] + 2, dtype=torch.float64))  # [k]
    dcg = (hits.double() * discount).sum(dim=1)
    ideal_cumulative = torch.cumsum(discount, dim=0)
    ideal = ideal_cumulative[relevant.clamp(max=hits.shape[1]) - 1]
    return float((dcg / ideal).mean())


def hit_rate_at_k(ranking: torch.Tensor, relevance: torch.Tensor, k: int) -> float:
    """Share of users with at least one relevant item in their top k."""
    hits, _ = _hits(ranking, relevance, k)
    return float(hits.any(dim=1).double().mean())


def catalogue_coverage(ranking: torch.Tensor, valid: torch.Tensor, num_candidates: int) -> float:
    """Share of the candidates that appear in at least one user's list."""
    if num_candidates == 0:
        return math.nan
    return len(torch.unique(ranking[valid])) / num_candidates
