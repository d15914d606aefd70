"""Unigram and bigram language models over vocabulary ids: perplexity baselines that never look at the moment.

Both predict each comment token, then `<eos>`, from the same vocabulary as the
sequence model, so their perplexities compare directly with its perplexity.
A sequence model that reads the moment should beat them; if it does not, it
has learned no more than "which words are common in comments".

The bigram model uses interpolated Kneser-Ney smoothing (Chen & Goodman,
"An Empirical Study of Smoothing Techniques for Language Modeling", 1998):

    P(w | v) = max(c(v, w) - d, 0) / c(v) + d * N1+(v, *) / c(v) * P_cont(w)

where N1+(v, *) is the number of different tokens seen after v, and
P_cont(w) is proportional to the number of different tokens seen before w.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable


class UnigramLanguageModel:
    """Add-k smoothed token frequencies; k = 1 is Laplace smoothing."""

    def __init__(self, vocabulary_size: int, bos_id: int, eos_id: int, excluded_ids: Iterable[int] = (), k: float = 1.0):
        if k <= 0:
            raise ValueError(f"k must be positive so that unseen tokens keep some probability, got {k}")
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.k = k
        # Tokens the model can predict: everything except padding and <bos>.
        self.excluded_ids = frozenset(excluded_ids) | {bos_id}
        self.predictable = vocabulary_size - len(self.excluded_ids)
        self.counts: Counter[int] = Counter()
        self.total = 0

    def fit(self, sequences: Iterable[list[int]]) -> "UnigramLanguageModel":
        """Count the tokens of comment id sequences (without <bos>/<eos>; each gets one <eos>)."""
        for ids in sequences:
            targets = [*ids, self.eos_id]
            self.counts.update(targets)
            self.total += len(targets)
        return self

    def probability(self, previous: int, token: int) -> float:
        """Return P(token); `previous` is ignored and exists so both models share one interface."""
        if token in self.excluded_ids:
            return 0.0
        return (self.counts[token] + self.k) / (self.total + self.k * self.predictable)

    def negative_log_likelihood(self, ids: list[int]) -> tuple[float, int]:
        """Return the summed -ln P of the tokens and <eos>, and how many predictions that is."""
        return _sequence_nll(self, ids)


class BigramLanguageModel:
    """Interpolated Kneser-Ney bigram model with an add-one smoothed continuation distribution."""

    def __init__(
        self, vocabulary_size: int, bos_id: int, eos_id: int, excluded_ids: Iterable[int] = (), discount: float = 0.75
    ):
        if not 0 < discount < 1:
            raise ValueError(f"discount must lie strictly between 0 and 1, got {discount}")
        self.bos_id = bos_id
        self.eos_id = eos_id
        self.discount = discount
        self.excluded_ids = frozenset(excluded_ids) | {bos_id}
        self.predictable = vocabulary_size - len(self.excluded_ids)
        self.bigram_counts: dict[int, Counter[int]] = defaultdict(Counter)
        self.context_totals: Counter[int] = Counter()
        self.continuation_counts: Counter[int] = Counter()  # N1+(*, w): distinct tokens seen before w
        self.bigram_types = 0  # N1+(*, *): distinct (v, w) pairs

    def fit(self, sequences: Iterable[list[int]]) -> "BigramLanguageModel":
        """Count bigrams of comment id sequences, each framed as <bos> ids <eos>."""
        for ids in sequences:
            framed = [self.bos_id, *ids, self.eos_id]
            for previous, token in zip(framed, framed[1:]):
                if self.bigram_counts[previous][token] == 0:
                    self.continuation_counts[token] += 1
                    self.bigram_types += 1
                self.bigram_counts[previous][token] += 1
                self.context_totals[previous] += 1
        return self

    def continuation_probability(self, token: int) -> float:
        if token in self.excluded_ids:
            return 0.0
        return (self.continuation_counts[token] + 1) / (self.bigram_types + self.predictable)

    def probability(self, previous: int, token: int) -> float:
        """Return P(token | previous); a context never seen in training falls back to P_cont(token)."""
        continuation = self.continuation_probability(token)
        context_total = self.context_totals[previous]
        if context_total == 0:
            return continuation
        followers = self.bigram_counts[previous]
        discounted = max(followers[token] - self.discount, 0.0) / context_total
        backoff_weight = self.discount * len(followers) / context_total
        return discounted + backoff_weight * continuation

    def negative_log_likelihood(self, ids: list[int]) -> tuple[float, int]:
        """Return the summed -ln P of the tokens and <eos>, and how many predictions that is."""
        return _sequence_nll(self, ids)


def _sequence_nll(model: UnigramLanguageModel | BigramLanguageModel, ids: list[int]) -> tuple[float, int]:
    framed = [model.bos_id, *ids, model.eos_id]
    total = 0.0
    for previous, token in zip(framed, framed[1:]):
        total -= math.log(model.probability(previous, token))
    return total, len(framed) - 1
