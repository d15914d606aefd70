"""Random helpers on top of numpy's Generator that keep the output deterministic."""

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


class UniformStream:
    """Uniform [0, 1) floats drawn from a Generator in blocks, for per-item Python loops.

    Calling the Generator once per word would dominate the run time of text
    building. The stream consumes its Generator in a fixed order, so the same
    seed yields the same sequence of choices.
    """

    def __init__(self, rng: np.random.Generator, block_size: int = 65_536) -> None:
        self._rng = rng
        self._block_size = block_size
        self._block: list[float] = []
        self._position = 0

    def uniform(self) -> float:
        if self._position == len(self._block):
            self._block = self._rng.random(self._block_size).tolist()
            self._position = 0
        value = self._block[self._position]
        self._position += 1
        return value

    def chance(self, probability: float) -> bool:
        return self.uniform() < probability

    def integer(self, low: int, high: int) -> int:
        """Return an integer in [low, high], both ends included."""
        return low + int(self.uniform() * (high - low + 1))

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.uniform() * len(items))]


class GroupedSampler:
    """Draws a member of a given group with probability proportional to its weight.

    Members are sorted by group so each group is one contiguous run of a single
    cumulative-weight array. A draw for group g is a uniform number in g's slice
    of that array, located with searchsorted. This handles millions of draws
    across thousands of groups in one vectorised call.
    """

    def __init__(self, group: np.ndarray, member: np.ndarray, weight: np.ndarray, n_groups: int) -> None:
        if np.any(weight <= 0):
            raise ValueError(f"GroupedSampler weights must be positive, got a minimum of {weight.min()}")

        order = np.argsort(group, kind="stable")
        self._members = member[order]
        self._cumulative = np.cumsum(weight[order])

        self._counts = np.bincount(group, minlength=n_groups)
        self._ends = np.cumsum(self._counts)
        self._starts = self._ends - self._counts

        padded = np.concatenate([[0.0], self._cumulative])
        self._low = padded[self._starts]
        self._high = padded[self._ends]

    def draw(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """Return one member per entry of groups, or -1 where that group is empty."""
        low = self._low[groups]
        high = self._high[groups]
        target = low + rng.random(len(groups)) * (high - low)
        position = np.searchsorted(self._cumulative, target, side="right")

        # Rounding can land a target on a group boundary, so clamp into the group.
        last = np.maximum(self._ends[groups] - 1, 0)
        position = np.clip(position, self._starts[groups], last)

        if len(self._members) == 0:
            return np.full(len(groups), -1, dtype=np.int64)

        drawn = self._members[np.minimum(position, len(self._members) - 1)]
        return np.where(self._counts[groups] > 0, drawn, -1)
