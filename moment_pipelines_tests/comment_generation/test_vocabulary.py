"""The Counter-built vocabulary shared by the sequence model and the n-gram baselines."""

import json

import pytest

from moment_pipelines.ml.comment_generation.vocabulary import SPECIAL_TOKENS, UNK, Vocabulary

TOKENS = [["好", "棒"], ["好", "哈哈"], ["好", "棒", "棒"], ["稀有"]]


def test_special_tokens_come_first():
    vocabulary = Vocabulary.build(TOKENS, tokenization="word", min_frequency=1)

    assert vocabulary.tokens[:4] == SPECIAL_TOKENS
    assert (vocabulary.pad_id, vocabulary.bos_id, vocabulary.eos_id, vocabulary.unk_id) == (0, 1, 2, 3)


def test_min_frequency_drops_rare_tokens():
    vocabulary = Vocabulary.build(TOKENS, tokenization="word", min_frequency=2)

    assert vocabulary.tokens[4:] == ("好", "棒")
    assert vocabulary.encode(["好", "稀有"]) == [4, vocabulary.unk_id]


def test_ties_break_by_token_text():
    vocabulary = Vocabulary.build([["b", "a"], ["a", "b"]], tokenization="char", min_frequency=1)

    assert vocabulary.tokens[4:] == ("a", "b")


def test_max_size_counts_special_tokens():
    vocabulary = Vocabulary.build(TOKENS, tokenization="word", min_frequency=1, max_size=5)

    assert len(vocabulary) == 5
    assert vocabulary.tokens[4] == "好"


def test_decode_drops_padding_and_markers():
    vocabulary = Vocabulary.build(TOKENS, tokenization="word", min_frequency=1)
    ids = [vocabulary.bos_id, *vocabulary.encode(["好", "未知"]), vocabulary.eos_id, vocabulary.pad_id]

    assert vocabulary.decode(ids) == ["好", UNK]


def test_dict_round_trip_through_json():
    vocabulary = Vocabulary.build(TOKENS, tokenization="char", min_frequency=1)
    restored = Vocabulary.from_dict(json.loads(json.dumps(vocabulary.to_dict(), ensure_ascii=False)))

    assert restored == vocabulary
    assert restored.tokenization == "char"
    assert restored.counts["好"] == 3


def test_from_dict_rejects_other_formats():
    with pytest.raises(ValueError, match="comment_vocabulary/1"):
        Vocabulary.from_dict({"format": "something/1", "tokens": list(SPECIAL_TOKENS), "tokenization": "word", "counts": {}})
