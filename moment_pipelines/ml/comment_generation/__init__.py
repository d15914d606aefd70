"""Comment generation in plain Python and PyTorch: no Dagster imports, usable from a notebook.

Given lists of (moment text, comment text) pairs split into train and validation:

    from moment_pipelines.ml.comment_generation import (
        CommentPairDataset, CommentSeq2Seq, DecodingConfig, Seq2SeqCommentGenerator, Seq2SeqConfig,
        Seq2SeqTrainConfig, Vocabulary, clean_text, tokenize, train_seq2seq,
    )

    def prepare(pairs):
        moments = [tokenize(clean_text(moment), "word") for moment, _ in pairs]
        comments = [tokenize(clean_text(comment), "word") for _, comment in pairs]
        return moments, comments

    train_moments, train_comments = prepare(train_pairs)
    validation_moments, validation_comments = prepare(validation_pairs)
    vocabulary = Vocabulary.build(train_moments + train_comments, tokenization="word", min_frequency=2)
    train_set = CommentPairDataset(train_moments, train_comments, vocabulary, max_source_tokens=48, max_target_tokens=30)
    validation_set = CommentPairDataset(validation_moments, validation_comments, vocabulary, max_source_tokens=48)

    model = CommentSeq2Seq(Seq2SeqConfig(vocabulary_size=len(vocabulary), pad_id=vocabulary.pad_id))
    train_seq2seq(model, train_set, validation_set, Seq2SeqTrainConfig(epochs=5))
    generator = Seq2SeqCommentGenerator(model, vocabulary, 48, DecodingConfig(strategy="beam"))
    generator.generate("今天天气真好")
"""

from moment_pipelines.ml.comment_generation.checkpoint import (
    Seq2SeqCommentGenerator,
    load_checkpoint,
    save_checkpoint,
)
from moment_pipelines.ml.comment_generation.cleaning import clean_text, contains_personal_data, sanitize_comment
from moment_pipelines.ml.comment_generation.data import CommentPairDataset, PairBatch, collate_pairs, make_loader
from moment_pipelines.ml.comment_generation.decoding import DecodingConfig, generate_ids
from moment_pipelines.ml.comment_generation.metrics import average_length, corpus_bleu, distinct_n
from moment_pipelines.ml.comment_generation.ngram import BigramLanguageModel, UnigramLanguageModel
from moment_pipelines.ml.comment_generation.retrieval import FrequencyBaseline, TfidfRetrieval
from moment_pipelines.ml.comment_generation.seq2seq import CommentSeq2Seq, Seq2SeqConfig
from moment_pipelines.ml.comment_generation.tokens import detokenize, tokenize
from moment_pipelines.ml.comment_generation.train import (
    EpochResult,
    Seq2SeqTrainConfig,
    Seq2SeqTrainingResult,
    evaluate_nll,
    perplexity,
    train_seq2seq,
)
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary

__all__ = [
    "BigramLanguageModel",
    "CommentPairDataset",
    "CommentSeq2Seq",
    "DecodingConfig",
    "EpochResult",
    "FrequencyBaseline",
    "PairBatch",
    "Seq2SeqCommentGenerator",
    "Seq2SeqConfig",
    "Seq2SeqTrainConfig",
    "Seq2SeqTrainingResult",
    "TfidfRetrieval",
    "UnigramLanguageModel",
    "Vocabulary",
    "average_length",
    "clean_text",
    "collate_pairs",
    "contains_personal_data",
    "corpus_bleu",
    "detokenize",
    "distinct_n",
    "evaluate_nll",
    "generate_ids",
    "load_checkpoint",
    "make_loader",
    "perplexity",
    "sanitize_comment",
    "save_checkpoint",
    "tokenize",
    "train_seq2seq",
]
