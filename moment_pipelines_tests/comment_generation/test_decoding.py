"""Greedy search, beam search and sampling on the trained copy-task model."""

import pytest
import torch

from moment_pipelines.ml.comment_generation.checkpoint import Seq2SeqCommentGenerator
from moment_pipelines.ml.comment_generation.decoding import (
    DecodingConfig,
    apply_repetition_penalty,
    filter_top_k_top_p,
    generate_ids,
)


@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_search_copies_first_two_tokens(copy_task, strategy):
    config = DecodingConfig(strategy=strategy, max_length=6)
    correct = 0
    for moment in copy_task.validation_moments:
        ids = generate_ids(copy_task.model, copy_task.vocabulary.encode(moment), copy_task.vocabulary, config)
        correct += copy_task.vocabulary.decode(ids) == moment[:2]

    assert correct >= 0.9 * len(copy_task.validation_moments)


def test_max_length_limits_output(copy_task):
    source = copy_task.vocabulary.encode(copy_task.validation_moments[0])
    for strategy in ("greedy", "beam", "sample"):
        ids = generate_ids(copy_task.model, source, copy_task.vocabulary, DecodingConfig(strategy=strategy, max_length=1))

        assert len(ids) == 1


def test_min_length_blocks_end(copy_task):
    source = copy_task.vocabulary.encode(copy_task.validation_moments[0])
    for strategy in ("greedy", "beam"):
        config = DecodingConfig(strategy=strategy, min_length=4, max_length=6)

        assert len(generate_ids(copy_task.model, source, copy_task.vocabulary, config)) >= 4


def test_sampling_never_emits_special_tokens(copy_task):
    vocabulary = copy_task.vocabulary
    config = DecodingConfig(strategy="sample", temperature=3.0, max_length=10)
    generator = torch.Generator().manual_seed(0)
    special = {vocabulary.pad_id, vocabulary.bos_id, vocabulary.eos_id, vocabulary.unk_id}
    for moment in copy_task.validation_moments:
        ids = generate_ids(copy_task.model, vocabulary.encode(moment), vocabulary, config, generator)

        assert special.isdisjoint(ids)


def test_sampling_is_reproducible_with_seed(copy_task):
    vocabulary = copy_task.vocabulary
    config = DecodingConfig(strategy="sample", temperature=2.0, max_length=8)
    source = vocabulary.encode(copy_task.validation_moments[0])

    first = generate_ids(copy_task.model, source, vocabulary, config, torch.Generator().manual_seed(5))
    second = generate_ids(copy_task.model, source, vocabulary, config, torch.Generator().manual_seed(5))

    assert first == second


def test_top_k_one_equals_greedy(copy_task):
    vocabulary = copy_task.vocabulary
    for moment in copy_task.validation_moments[:10]:
        source = vocabulary.encode(moment)
        greedy = generate_ids(copy_task.model, source, vocabulary, DecodingConfig(strategy="greedy"))
        sampled = generate_ids(
            copy_task.model, source, vocabulary, DecodingConfig(strategy="sample", top_k=1), torch.Generator().manual_seed(0)
        )

        assert sampled == greedy


def test_repetition_penalty_lowers_seen_tokens():
    logits = torch.tensor([2.0, -1.0, 0.5])

    penalized = apply_repetition_penalty(logits, [0, 1], penalty=2.0)

    torch.testing.assert_close(penalized, torch.tensor([1.0, -2.0, 0.5]))


def test_top_p_keeps_smallest_nucleus():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))

    remaining = torch.isfinite(filter_top_k_top_p(logits, top_k=0, top_p=0.75))

    assert remaining.tolist() == [True, True, False, False]


def test_top_k_keeps_k_tokens():
    remaining = torch.isfinite(filter_top_k_top_p(torch.tensor([0.1, 3.0, 2.0, -1.0]), top_k=2, top_p=1.0))

    assert remaining.tolist() == [False, True, True, False]


def test_invalid_decoding_config_is_rejected():
    with pytest.raises(ValueError, match="strategy"):
        DecodingConfig(strategy="nucleus")
    with pytest.raises(ValueError, match="min_length"):
        DecodingConfig(min_length=5, max_length=3)
    with pytest.raises(ValueError, match="repetition_penalty"):
        DecodingConfig(repetition_penalty=0.5)


def test_generator_text_for_moment(copy_task):
    generator = Seq2SeqCommentGenerator(copy_task.model, copy_task.vocabulary, 8, DecodingConfig(strategy="greedy"))

    assert generator.generate("猫山海鱼") == "猫山"
