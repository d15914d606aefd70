"""Who is ranked against what: candidate moments, held-out targets, exclusions and top-K lists.

A ranking at a cutoff looks at the moments created in the `candidate_days`
before it, the moments a feed would still show. A user's own moments and the
moments they liked or commented on before the cutoff are excluded. The
targets are the candidates they liked or commented on from the cutoff on.
"""

from dataclasses import dataclass

import torch
from torch_geometric.data import HeteroData

from moment_pipelines.ml.recommendation.graph import MS_PER_DAY, interaction_pairs


@dataclass
class RankingTask:
    cutoff_ms: int
    candidates: torch.Tensor  # [N] moment indices created in [cutoff - candidate_days, cutoff)
    users: torch.Tensor  # [n] users with at least one target
    relevance: torch.Tensor  # bool [n, N]: liked or commented on in [cutoff, until)
    excluded: torch.Tensor  # bool [n, N]: own moments and those interacted with before the cutoff

    @property
    def target_count(self) -> int:
        return int(self.relevance.sum())


def candidate_moments(graph: HeteroData, cutoff_ms: int, candidate_days: float) -> torch.Tensor:
    """Return the indices of the moments created in [cutoff - candidate_days, cutoff)."""
    created = graph["moment"].time
    start = cutoff_ms - round(candidate_days * MS_PER_DAY)
    return torch.nonzero((created >= start) & (created < cutoff_ms)).flatten()


def _positions(indices: torch.Tensor, size: int) -> torch.Tensor:
    position = torch.full((size,), -1, dtype=torch.long)
    position[indices] = torch.arange(len(indices))
    return position


def pair_mask(pairs: tuple[torch.Tensor, torch.Tensor], users: torch.Tensor, candidates: torch.Tensor, graph: HeteroData) -> torch.Tensor:
    """Return bool [len(users), len(candidates)], True where (user, moment) is one of `pairs`."""
    user_position = _positions(users, graph["user"].num_nodes)[pairs[0]]
    candidate_position = _positions(candidates, graph["moment"].num_nodes)[pairs[1]]
    keep = (user_position >= 0) & (candidate_position >= 0)
    mask = torch.zeros(len(users), len(candidates), dtype=torch.bool)
    mask[user_position[keep], candidate_position[keep]] = True
    return mask


def excluded_mask(graph: HeteroData, users: torch.Tensor, candidates: torch.Tensor, cutoff_ms: int) -> torch.Tensor:
    """Return bool [len(users), len(candidates)]: the user's own moments and those they interacted with before cutoff."""
    user, moment, _ = interaction_pairs(graph, None, cutoff_ms)
    seen = pair_mask((user, moment), users, candidates, graph)
    own = graph["moment"].author[candidates][None, :] == users[:, None]
    return seen | own


def ranking_task(graph: HeteroData, cutoff_ms: int, until_ms: int, candidate_days: float) -> RankingTask:
    """Build the task of ranking the candidates at `cutoff_ms` for the interactions in [cutoff_ms, until_ms).

    `graph` must be the full graph, because only it contains the held-out interactions. A
    target that the user had already interacted with before the cutoff is
    not counted, because the ranking excludes it.
    """
    candidates = candidate_moments(graph, cutoff_ms, candidate_days)
    user, moment, _ = interaction_pairs(graph, cutoff_ms, until_ms)
    is_candidate = _positions(candidates, graph["moment"].num_nodes)[moment] >= 0
    users = torch.unique(user[is_candidate])
    excluded = excluded_mask(graph, users, candidates, cutoff_ms)
    relevance = pair_mask((user, moment), users, candidates, graph) & ~excluded
    with_target = relevance.any(dim=1)
    return RankingTask(
        cutoff_ms=cutoff_ms,
        candidates=candidates,
        users=users[with_target],
        relevance=relevance[with_target],
        excluded=excluded[with_target],
    )


def top_k(scores: torch.Tensor, excluded: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the positions [n, k'] of the k best-scoring allowed candidates per row and a bool mask of valid entries.

    k' = min(k, number of candidates). A row with fewer than k' allowed
    candidates has invalid entries at its end.
    """
    k = min(k, scores.shape[1])
    masked = scores.masked_fill(excluded, float("-inf"))
    values, positions = torch.topk(masked, k, dim=1)
    return positions, torch.isfinite(values)
