"""Scenario 3, comment generation: pairs, vocabulary, the three model stages and their evaluation."""

from moment_pipelines.assets.comment_generation.evaluation import comment_generation_evaluation
from moment_pipelines.assets.comment_generation.pairs import comment_pairs
from moment_pipelines.assets.comment_generation.pretrained import comment_pretrained_model
from moment_pipelines.assets.comment_generation.retrieval import comment_retrieval_model
from moment_pipelines.assets.comment_generation.seq2seq import comment_seq2seq_model
from moment_pipelines.assets.comment_generation.vocabulary import comment_vocabulary

comment_generation_assets = [
    comment_pairs,
    comment_vocabulary,
    comment_retrieval_model,
    comment_seq2seq_model,
    comment_pretrained_model,
    comment_generation_evaluation,
]
