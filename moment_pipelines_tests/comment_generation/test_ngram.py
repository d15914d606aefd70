"""Unigram and bigram language-model baselines: proper distributions and the expected ranking."""

import math

import pytest

from moment_pipelines.ml.comment_generation.ngram import BigramLanguageModel, UnigramLanguageModel

VOCABULARY_SIZE = 8  # ids 0-3 special (pad, bos, eos, unk), 4-7 tokens
PAD, BOS, EOS = 0, 1, 2
TRAIN = [[4, 5], [4, 5], [4, 6], [7]]


def models():
    settings = dict(bos_id=BOS, eos_id=EOS, excluded_ids=[PAD])
    return [
        UnigramLanguageModel(VOCABULARY_SIZE, **settings).fit(TRAIN),
        BigramLanguageModel(VOCABULARY_SIZE, **settings).fit(TRAIN),
    ]


@pytest.mark.parametrize("previous", [BOS, 4, 5, 7, 3])
def test_probabilities_sum_to_one(previous):
    for model in models():
        total = sum(model.probability(previous, token) for token in range(VOCABULARY_SIZE))

        assert total == pytest.approx(1.0)


def test_padding_and_bos_are_never_predicted():
    for model in models():
        assert model.probability(4, PAD) == 0.0
        assert model.probability(4, BOS) == 0.0


def test_unseen_tokens_keep_probability():
    for model in models():
        assert model.probability(4, 3) > 0


def test_bigram_beats_unigram_on_seen_pattern():
    unigram, bigram = models()
    unigram_nll, count = unigram.negative_log_likelihood([4, 5])
    bigram_nll, _ = bigram.negative_log_likelihood([4, 5])

    assert count == 3
    assert bigram_nll < unigram_nll


def test_unigram_is_laplace_smoothed():
    unigram, _ = models()
    # 11 training predictions (7 tokens + 4 <eos>), 6 predictable ids, k = 1.
    assert unigram.probability(0, 4) == pytest.approx((3 + 1) / (11 + 6))


def test_bigram_kneser_ney_by_hand():
    _, bigram = models()
    # After token 4: c(4,5)=2, c(4,6)=1, c(4)=3, two distinct followers; 7 distinct bigram types, 6 predictable ids.
    continuation_5 = (1 + 1) / (7 + 6)
    expected = (2 - 0.75) / 3 + 0.75 * 2 / 3 * continuation_5

    assert bigram.probability(4, 5) == pytest.approx(expected)
    assert math.isfinite(bigram.negative_log_likelihood([6, 6, 6])[0])
