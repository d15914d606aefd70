"""Scoring every comment generator the same way: perplexity where a model defines one, text metrics for all."""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from moment_pipelines.ml.comment_generation.cleaning import contains_personal_data
from moment_pipelines.ml.comment_generation.metrics import average_length, characters, corpus_bleu, distinct_n
from moment_pipelines.ml.comment_generation.ngram import BigramLanguageModel, UnigramLanguageModel


@dataclass
class PerplexityScore:
    name: str
    perplexity: float  # exp(mean -ln P) per token of the model's own vocabulary, <eos> included
    perplexity_per_character: float  # exp(total -ln P / (comment characters + 1)), comparable across tokenisers
    predicted_tokens: int
    pairs: int


def perplexity_score(name: str, total_nll: float, predicted_tokens: int, comments: Sequence[str]) -> PerplexityScore:
    """Turn a summed negative log-likelihood over `comments` into both perplexities.

    The per-character form divides by the number of non-space characters plus
    one per comment for the end token.
    """
    if predicted_tokens == 0:
        raise ValueError("cannot compute perplexity over zero tokens")
    character_count = sum(len(characters(comment)) + 1 for comment in comments)
    return PerplexityScore(
        name=name,
        perplexity=math.exp(total_nll / predicted_tokens),
        perplexity_per_character=math.exp(total_nll / character_count),
        predicted_tokens=predicted_tokens,
        pairs=len(comments),
    )


def ngram_nll(model: UnigramLanguageModel | BigramLanguageModel, comment_ids: Sequence[list[int]]) -> tuple[float, int]:
    """Return the summed -ln P of every comment (tokens and <eos>) and the number of predictions."""
    total, tokens = 0.0, 0
    for ids in comment_ids:
        nll, count = model.negative_log_likelihood(ids)
        total += nll
        tokens += count
    return total, tokens


@dataclass
class GenerationScores:
    name: str
    bleu1: float  # character-level corpus BLEU-1 against every reference comment of the moment
    bleu2: float  # character-level corpus BLEU-2
    distinct1: float  # distinct character unigrams / all character unigrams over the generations
    distinct2: float  # distinct character bigrams / all character bigrams
    average_length: float  # characters per generated comment
    empty: int  # generations that came out empty (for example, everything was sanitised away)
    with_personal_data: int  # generations with a URL, phone number or @handle; the sanitiser keeps it at 0
    seconds_per_comment: float
    generations: list[str] = field(repr=False, default_factory=list)


def score_generations(
    name: str, generate: Callable[[str], str], moments: Sequence[str], references: Sequence[Sequence[str]]
) -> GenerationScores:
    """Generate one comment per moment and score the comments against each moment's references."""
    started = time.perf_counter()
    generations = [generate(moment) for moment in moments]
    seconds = time.perf_counter() - started
    return GenerationScores(
        name=name,
        bleu1=corpus_bleu(generations, references, max_order=1),
        bleu2=corpus_bleu(generations, references, max_order=2),
        distinct1=distinct_n(generations, 1),
        distinct2=distinct_n(generations, 2),
        average_length=average_length(generations),
        empty=sum(1 for text in generations if not text),
        with_personal_data=sum(1 for text in generations if contains_personal_data(text)),
        seconds_per_comment=seconds / max(len(moments), 1),
        generations=generations,
    )
