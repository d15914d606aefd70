"""Tokenisation for comment generation: jieba words or single characters, and the way back to text."""

import re
from typing import Literal, get_args

from moment_pipelines.text.tokenize import tokenize as jieba_tokenize

Tokenization = Literal["word", "char"]
TOKENIZATIONS: tuple[str, ...] = get_args(Tokenization)

# Character level keeps a run of ASCII letters or digits together ("ok", "2025"), as Chinese BERT vocabularies do.
_CHARACTER_TOKEN = re.compile(r"[A-Za-z0-9]+|\S")


def tokenize(text: str, tokenization: Tokenization) -> list[str]:
    """Split cleaned text into jieba words ("word") or characters ("char"); whitespace is dropped."""
    if tokenization == "word":
        return [token for token in jieba_tokenize(text) if token.strip()]
    if tokenization == "char":
        return _CHARACTER_TOKEN.findall(text)
    raise ValueError(f"unknown tokenization {tokenization!r}; expected one of {TOKENIZATIONS}")


def detokenize(tokens: list[str]) -> str:
    """Join tokens into text, with a space only between two tokens that both end and start in ASCII letters or digits."""
    pieces: list[str] = []
    for token in tokens:
        if pieces and _is_ascii_word_edge(pieces[-1][-1]) and _is_ascii_word_edge(token[0]):
            pieces.append(" ")
        pieces.append(token)
    return "".join(pieces)


def _is_ascii_word_edge(character: str) -> bool:
    return character.isascii() and character.isalnum()
