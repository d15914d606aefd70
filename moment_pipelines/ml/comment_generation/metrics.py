"""Text metrics for generated comments, all on characters so every model is measured the same way.

Word-level scores would depend on each model's tokeniser (jieba words,
single characters, or a pretrained model's own vocabulary); characters do
not. Whitespace is ignored.
"""

import math
from collections import Counter
from collections.abc import Sequence


def characters(text: str) -> list[str]:
    return [character for character in text if not character.isspace()]


def _ngrams(units: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(units[start : start + n]) for start in range(len(units) - n + 1))


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]], max_order: int) -> float:
    """Character-level corpus BLEU with uniform weights up to `max_order` (Papineni et al., 2002).

    Each hypothesis may have several references (all comments on the same
    moment). An n-gram counts as matched at most as often as it occurs in the
    reference that contains it most often. The brevity penalty uses, for each
    hypothesis, the reference length closest to its own.
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference lists")
    if not hypotheses:
        raise ValueError("cannot compute BLEU on zero hypotheses")
    matched = [0] * max_order
    total = [0] * max_order
    hypothesis_length = 0
    reference_length = 0
    for hypothesis, reference_texts in zip(hypotheses, references):
        hypothesis_units = characters(hypothesis)
        reference_units = [characters(reference) for reference in reference_texts]
        if not reference_units:
            raise ValueError(f"hypothesis {hypothesis!r} has no reference")
        hypothesis_length += len(hypothesis_units)
        reference_length += min((abs(len(units) - len(hypothesis_units)), len(units)) for units in reference_units)[1]
        for order in range(1, max_order + 1):
            counts = _ngrams(hypothesis_units, order)
            max_reference_counts: Counter[tuple[str, ...]] = Counter()
            for units in reference_units:
                max_reference_counts |= _ngrams(units, order)
            matched[order - 1] += sum(min(count, max_reference_counts[gram]) for gram, count in counts.items())
            total[order - 1] += sum(counts.values())

    if min(matched) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matched, total)) / max_order
    brevity_penalty = 1.0 if hypothesis_length > reference_length else math.exp(1 - reference_length / max(hypothesis_length, 1))
    return brevity_penalty * math.exp(log_precision)


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct character n-grams divided by all character n-grams over `texts` (Li et al., 2016); 0 when there are none."""
    counts: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        counts.update(_ngrams(characters(text), n))
    total = sum(counts.values())
    return len(counts) / total if total else 0.0


def average_length(texts: Sequence[str]) -> float:
    """Mean number of non-space characters per text."""
    if not texts:
        raise ValueError("cannot average the length of zero texts")
    return sum(len(characters(text)) for text in texts) / len(texts)
