"""Baselines that need no training, scored on the same candidates as the models.

- popularity: the candidates with the most likes before the cutoff, the same
  list for every user;
- geo-nearest-popular: the same, but candidates within `near_km` of the
  user's home come first; users without a known home get the popularity list.

Ties go to the newer moment.
"""

import torch
from torch_geometric.data import HeteroData

from moment_pipelines.ml.recommendation.geo import haversine_km
from moment_pipelines.ml.recommendation.graph import home_coordinates


def like_counts(snapshot: HeteroData, candidates: torch.Tensor) -> torch.Tensor:
    """Return the number of likes [N] each candidate has in `snapshot` (its likes before the cutoff)."""
    liked = snapshot["user", "likes", "moment"].edge_index[1]
    return torch.bincount(liked, minlength=snapshot["moment"].num_nodes)[candidates].double()


def _with_recency(counts: torch.Tensor, snapshot: HeteroData, candidates: torch.Tensor) -> torch.Tensor:
    """Add less than one like's worth of score that grows with creation time, so ties go to newer moments."""
    created = snapshot["moment"].time[candidates].double()
    if len(created) == 0:
        return counts
    span = (created.max() - created.min()).clamp(min=1.0)
    return counts + 0.5 * (created - created.min()) / span


def popularity_scores(snapshot: HeteroData, users: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """Return scores [len(users), N]: every user gets the candidates' like counts."""
    scores = _with_recency(like_counts(snapshot, candidates), snapshot, candidates)
    return scores.expand(len(users), -1)


def geo_nearest_popular_scores(
    snapshot: HeteroData, users: torch.Tensor, candidates: torch.Tensor, near_km: float
) -> torch.Tensor:
    """Return scores [len(users), N]: popularity, with every candidate within near_km of the user's home ranked first."""
    popularity = _with_recency(like_counts(snapshot, candidates), snapshot, candidates)
    home_lat, home_lng = home_coordinates(snapshot)
    moment_lat = snapshot["moment"].lat[candidates].float()
    moment_lng = snapshot["moment"].lng[candidates].float()
    distance = haversine_km(home_lat[users][:, None], home_lng[users][:, None], moment_lat[None, :], moment_lng[None, :])
    near = distance <= near_km  # NaN (unknown place) compares False
    bonus = popularity.max() + 1.0 if len(popularity) else 1.0
    return popularity[None, :] + near.double() * bonus
