"""Fine-tuning a local Hugging Face model: pair encoding, training, saving and sanitised generation."""

import pytest
import torch

from moment_pipelines.ml.comment_generation.decoding import DecodingConfig
from moment_pipelines.ml.comment_generation.pretrained import (
    IGNORED_LABEL,
    FineTuneConfig,
    PretrainedCommentGenerator,
    PretrainedCommentModel,
    comment_nll,
    fine_tune,
)
from moment_pipelines_tests.comment_generation.tiny_models import write_tiny_bart, write_tiny_gpt2

MOMENTS = ["今天天气真好", "周末去爬山", "晚上吃火锅", "我家猫睡觉", "下雨了", "新年快乐"]
PAIRS = [(moment, "电话13812345678") for moment in MOMENTS]
CORPUS = [*MOMENTS, "电话0123456789"]
FAST = FineTuneConfig(epochs=30, batch_size=6, learning_rate=1e-2, weight_decay=0.0, max_source_tokens=16, max_target_tokens=16)
WRITERS = {"causal": write_tiny_gpt2, "encoder_decoder": write_tiny_bart}


@pytest.fixture(scope="module", params=sorted(WRITERS))
def fine_tuned(request, tmp_path_factory):
    """A tiny model fine-tuned until it writes the phone-number comment, with its perplexity before training."""
    torch.manual_seed(0)
    directory = WRITERS[request.param](tmp_path_factory.mktemp(request.param), CORPUS)
    model = PretrainedCommentModel.load(directory)
    before = comment_nll(model, PAIRS, FAST)
    result = fine_tune(model, PAIRS, PAIRS, FAST)
    return model, before, result


def test_causal_labels_score_only_the_comment(tmp_path):
    model = PretrainedCommentModel.load(write_tiny_gpt2(tmp_path, CORPUS))
    tokenizer = model.tokenizer
    moment_ids = tokenizer("今天", add_special_tokens=False)["input_ids"]
    comment_ids = tokenizer("真好", add_special_tokens=False)["input_ids"]

    inputs, labels = model.encode_pair("今天", "真好", FAST)

    assert inputs == [*moment_ids, tokenizer.sep_token_id, *comment_ids, tokenizer.sep_token_id]
    assert labels == [IGNORED_LABEL] * 3 + [*comment_ids, tokenizer.sep_token_id]


def test_fine_tuning_lowers_perplexity(fine_tuned):
    model, (nll_before, _), result = fine_tuned
    nll_after, _ = comment_nll(model, PAIRS, FAST)

    assert nll_after < nll_before / 4
    assert result.best_validation_perplexity < 1.5
    assert result.best_epoch >= 1


def test_generation_is_sanitized(fine_tuned):
    model, _, _ = fine_tuned
    number_ids = model.tokenizer("13812345678", add_special_tokens=False)["input_ids"]
    # The tokenizer can spell the number, so without the sanitiser the output would contain it.
    assert model.tokenizer.decode(number_ids) == "13812345678"
    for strategy in ("greedy", "beam"):
        generator = PretrainedCommentGenerator(model, DecodingConfig(strategy=strategy, max_length=20), 16)

        # The model learned "电话13812345678"; the sanitiser removes the number.
        assert generator.generate("今天天气真好") == "电话"


def test_save_and_load_keep_weights(fine_tuned, tmp_path):
    model, _, _ = fine_tuned
    model.save(tmp_path)

    reloaded = PretrainedCommentModel.load(tmp_path)

    assert comment_nll(reloaded, PAIRS, FAST)[0] == pytest.approx(comment_nll(model, PAIRS, FAST)[0], rel=1e-5)


def test_too_long_sequences_are_rejected(tmp_path):
    model = PretrainedCommentModel.load(write_tiny_gpt2(tmp_path, CORPUS))

    with pytest.raises(ValueError, match="exceeds the model's 128 positions"):
        fine_tune(model, PAIRS, PAIRS, FineTuneConfig(max_source_tokens=100, max_target_tokens=100))
