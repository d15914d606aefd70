"""Lexicon sentiment: negation, degree words, merged jieba tokens and the jieba cache location."""

import tempfile
from pathlib import Path

import pytest

from moment_pipelines.text.sentiment import hownet_lexicon, score_text, sentiment_struct
from moment_pipelines.text.tokenize import JIEBA_CACHE_FILE, jieba_tokenizer


@pytest.mark.parametrize("text", ["开心", "今天很幸福", "我喜欢这部电影"])
def test_positive_text_scores_positive(text):
    assert score_text(text).score > 0


@pytest.mark.parametrize("text", ["难过", "太失望了", "讨厌下雨"])
def test_negative_text_scores_negative(text):
    assert score_text(text).score < 0


@pytest.mark.parametrize("text", ["不开心", "今天不开心", "我不喜欢这样", "没有开心的事"])
def test_negation_flips_positive(text):
    assert score_text(text).score < 0


def test_negation_flips_negative():
    assert score_text("一点都不难过").score > 0


def test_degree_word_strengthens():
    assert score_text("非常开心").positive > score_text("开心").positive


def test_merged_token_is_split():
    # jieba keeps "非常高兴" as one token that no word list contains.
    result = score_text("非常高兴")

    assert result.sentiment_words == 1
    assert result.positive == pytest.approx(2.0)


def test_clauses_scope_negation():
    # The comma ends the clause, so the negation does not reach "开心".
    assert score_text("不，我很开心").score > 0


def test_empty_text_scores_zero():
    result = score_text("")

    assert result.score == 0.0
    assert result.tokens == 0


def test_none_text_scores_zero():
    assert sentiment_struct(None)["score"] == 0.0


def test_lexicon_from_package():
    lexicon = hownet_lexicon()

    assert len(lexicon.positive) > 5000
    assert len(lexicon.negative) > 5000
    assert "不" in lexicon.negations
    assert lexicon.positive.isdisjoint(lexicon.negative)


def test_jieba_cache_outside_temp_dir(tmp_path):
    # The first call in the process decides the directory, so `tmp_path` may be ignored here.
    tokenizer = jieba_tokenizer(tmp_path)

    assert tokenizer.initialized
    assert tokenizer.tmp_dir != tempfile.gettempdir()
    assert (Path(tokenizer.tmp_dir) / JIEBA_CACHE_FILE).is_file()
