"""CommentSeq2Seq: shapes, packed padding, training on a copy task, and the checkpoint round trip."""

import itertools

import pytest
import torch

from moment_pipelines.ml.comment_generation.checkpoint import load_checkpoint, save_checkpoint
from moment_pipelines.ml.comment_generation.data import collate_pairs
from moment_pipelines.ml.comment_generation.seq2seq import ATTENTION_CLASSES, CommentSeq2Seq, Seq2SeqConfig
from moment_pipelines.ml.comment_generation.train import Seq2SeqTrainConfig, evaluate_nll, perplexity, train_seq2seq
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary

VOCABULARY_SIZE = 12
PAD = 0


def batch_of(examples):
    vocabulary = Vocabulary(tokens=("<pad>", "<bos>", "<eos>", "<unk>", *"abcdefgh"), tokenization="char")
    return collate_pairs(examples, vocabulary)


@pytest.mark.parametrize(("rnn", "attention", "copy_source"), list(itertools.product(["gru", "lstm"], sorted(ATTENTION_CLASSES), [True, False])))
def test_output_is_distribution(rnn, attention, copy_source):
    torch.manual_seed(0)
    model = CommentSeq2Seq(
        Seq2SeqConfig(VOCABULARY_SIZE, PAD, embedding_dim=8, hidden_dim=16, rnn=rnn, attention=attention, copy_source=copy_source)
    ).eval()
    batch = batch_of([([4, 5, 6], [7, 8]), ([9], [10, 11, 4])])

    log_probs = model(batch.source, batch.source_lengths, batch.target_input, batch.target_lengths)

    assert log_probs.shape == (2, 4, VOCABULARY_SIZE)
    torch.testing.assert_close(log_probs.exp().sum(dim=-1), torch.ones(2, 4))


@pytest.mark.parametrize("rnn", ["gru", "lstm"])
def test_padding_does_not_change_output(rnn):
    torch.manual_seed(0)
    model = CommentSeq2Seq(Seq2SeqConfig(VOCABULARY_SIZE, PAD, embedding_dim=8, hidden_dim=16, rnn=rnn)).eval()
    short = ([4, 5], [6])
    alone = batch_of([short])
    padded = batch_of([short, ([4, 5, 6, 7, 8, 9], [10, 11, 4, 5])])

    log_probs_alone = model(alone.source, alone.source_lengths, alone.target_input, alone.target_lengths)
    log_probs_padded = model(padded.source, padded.source_lengths, padded.target_input, padded.target_lengths)

    torch.testing.assert_close(log_probs_padded[0, :2], log_probs_alone[0])


def test_invalid_config_is_rejected():
    with pytest.raises(ValueError, match="hidden_dim must be even"):
        Seq2SeqConfig(VOCABULARY_SIZE, PAD, hidden_dim=15)
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2SeqConfig(VOCABULARY_SIZE, PAD, attention="cosine")


def test_training_lowers_perplexity(copy_task):
    assert copy_task.result.best_validation_perplexity < copy_task.perplexity_before / 3
    assert copy_task.result.best_validation_perplexity < 1.5
    assert copy_task.result.best_epoch >= 1


def test_model_keeps_best_epoch_weights(copy_task):
    restored = perplexity(*evaluate_nll(copy_task.model, copy_task.validation))

    assert restored == pytest.approx(copy_task.result.best_validation_perplexity, rel=1e-5)


def test_free_running_batches_train(copy_task):
    torch.manual_seed(0)
    model = CommentSeq2Seq(Seq2SeqConfig(len(copy_task.vocabulary), PAD, embedding_dim=16, hidden_dim=32))
    before = perplexity(*evaluate_nll(model, copy_task.validation))

    result = train_seq2seq(
        model,
        copy_task.train,
        copy_task.validation,
        Seq2SeqTrainConfig(epochs=2, batch_size=32, learning_rate=1e-2, teacher_forcing_ratio=0.0),
    )

    assert result.best_validation_perplexity < before


def test_checkpoint_round_trip(copy_task, tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(copy_task.model, copy_task.vocabulary, 8, path, {"note": "test"})

    model, vocabulary, checkpoint = load_checkpoint(path)

    assert vocabulary == copy_task.vocabulary
    assert checkpoint["max_source_tokens"] == 8
    assert checkpoint["note"] == "test"
    assert perplexity(*evaluate_nll(model, copy_task.validation)) == pytest.approx(
        perplexity(*evaluate_nll(copy_task.model, copy_task.validation)), rel=1e-6
    )
