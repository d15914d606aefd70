"""Fixtures for the comment-generation tests: a tiny copy task the sequence model learns in seconds."""

import random
from dataclasses import dataclass

import pytest
import torch

from moment_pipelines.ml.comment_generation.data import CommentPairDataset
from moment_pipelines.ml.comment_generation.seq2seq import CommentSeq2Seq, Seq2SeqConfig
from moment_pipelines.ml.comment_generation.train import (
    Seq2SeqTrainConfig,
    Seq2SeqTrainingResult,
    evaluate_nll,
    perplexity,
    set_seed,
    train_seq2seq,
)
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary

COPY_TOKENS = ["猫", "狗", "山", "海", "花", "树", "鱼", "鸟", "云", "雨"]


@dataclass
class CopyTask:
    """Moments are 3-6 random tokens and each comment repeats the moment's first two tokens."""

    vocabulary: Vocabulary
    train: CommentPairDataset
    validation: CommentPairDataset
    validation_moments: list[list[str]]
    model: CommentSeq2Seq
    result: Seq2SeqTrainingResult
    perplexity_before: float


def make_pairs(count: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    generator = random.Random(seed)
    moments = [[generator.choice(COPY_TOKENS) for _ in range(generator.randint(3, 6))] for _ in range(count)]
    return moments, [moment[:2] for moment in moments]


@pytest.fixture(scope="session")
def copy_task() -> CopyTask:
    torch.set_num_threads(1)
    train_moments, train_comments = make_pairs(300, seed=1)
    validation_moments, validation_comments = make_pairs(40, seed=2)
    vocabulary = Vocabulary.build(train_moments, tokenization="char", min_frequency=1)
    train = CommentPairDataset(train_moments, train_comments, vocabulary, max_source_tokens=8, max_target_tokens=4)
    validation = CommentPairDataset(validation_moments, validation_comments, vocabulary, max_source_tokens=8)

    set_seed(0)
    model = CommentSeq2Seq(Seq2SeqConfig(len(vocabulary), vocabulary.pad_id, embedding_dim=32, hidden_dim=64, dropout=0.0))
    perplexity_before = perplexity(*evaluate_nll(model, validation))
    result = train_seq2seq(
        model, train, validation, Seq2SeqTrainConfig(epochs=25, batch_size=16, learning_rate=1e-2, patience=25)
    )
    return CopyTask(vocabulary, train, validation, validation_moments, model, result, perplexity_before)
