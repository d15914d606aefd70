"""Character-level BLEU, distinct-n and average length."""

import math

import pytest

from moment_pipelines.ml.comment_generation.metrics import average_length, corpus_bleu, distinct_n


def test_bleu_of_exact_match_is_one():
    assert corpus_bleu(["今天真好"], [["今天真好"]], max_order=2) == pytest.approx(1.0)


def test_bleu_by_hand():
    # Unigrams: 好 matched, 棒 not -> 1/2. Bigrams: 好棒 not in 好的 -> 0/1.
    assert corpus_bleu(["好棒"], [["好的"]], max_order=1) == pytest.approx(0.5)
    assert corpus_bleu(["好棒"], [["好的"]], max_order=2) == 0.0


def test_bleu_uses_best_reference_per_ngram():
    # 哈 occurs three times in the second reference, so all three count.
    assert corpus_bleu(["哈哈哈"], [["哈", "哈哈哈"]], max_order=1) == pytest.approx(1.0)


def test_bleu_brevity_penalty():
    # Hypothesis of 2 characters against a closest reference of 4: BP = exp(1 - 4/2).
    assert corpus_bleu(["今天"], [["今天真好"]], max_order=1) == pytest.approx(math.exp(1 - 2))


def test_bleu_ignores_whitespace():
    assert corpus_bleu(["今 天"], [["今天"]], max_order=2) == pytest.approx(1.0)


def test_distinct_counts_unique_ngrams():
    assert distinct_n(["哈哈哈", "哈哈哈"], 1) == pytest.approx(1 / 6)
    assert distinct_n(["好棒", "真棒"], 2) == pytest.approx(1.0)
    assert distinct_n(["", "好"], 2) == 0.0


def test_average_length_in_characters():
    assert average_length(["好棒", "哈哈哈", ""]) == pytest.approx(5 / 3)
