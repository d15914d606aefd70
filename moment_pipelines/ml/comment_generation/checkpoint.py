"""Save and load a trained CommentSeq2Seq together with its vocabulary, and write comments with it.

The checkpoint holds only tensors, numbers, strings, lists and dicts, so it
loads with `torch.load(..., weights_only=True)` and never runs pickled code.
"""

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from moment_pipelines.ml.comment_generation.cleaning import clean_text, sanitize_comment
from moment_pipelines.ml.comment_generation.decoding import DecodingConfig, generate_ids
from moment_pipelines.ml.comment_generation.seq2seq import CommentSeq2Seq, Seq2SeqConfig
from moment_pipelines.ml.comment_generation.tokens import detokenize, tokenize
from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary

CHECKPOINT_FORMAT = "comment_seq2seq/1"


def save_checkpoint(
    model: CommentSeq2Seq, vocabulary: Vocabulary, max_source_tokens: int, path: Path, extra: dict[str, Any]
) -> None:
    """Write weights, model config, vocabulary and `extra` (training settings, history) to `path`."""
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "model_config": asdict(model.config),
            "model_state": model.state_dict(),
            "vocabulary": vocabulary.to_dict(),
            "max_source_tokens": max_source_tokens,
            **extra,
        },
        path,
    )


def load_checkpoint(path: Path) -> tuple[CommentSeq2Seq, Vocabulary, dict[str, Any]]:
    """Rebuild the model (in eval mode) and vocabulary from `save_checkpoint` output; also return the raw dict."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {CHECKPOINT_FORMAT} checkpoint (format {checkpoint.get('format')!r})")
    model = CommentSeq2Seq(Seq2SeqConfig(**checkpoint["model_config"]))
    model.load_state_dict(checkpoint["model_state"])
    model.eval()
    return model, Vocabulary.from_dict(checkpoint["vocabulary"]), checkpoint


class Seq2SeqCommentGenerator:
    """Cleans and tokenises a moment like the training data, decodes a comment and sanitises it."""

    name = "seq2seq"

    def __init__(
        self,
        model: CommentSeq2Seq,
        vocabulary: Vocabulary,
        max_source_tokens: int,
        decoding: DecodingConfig,
        seed: int = 0,
    ):
        self.model = model.eval()
        self.vocabulary = vocabulary
        self.max_source_tokens = max_source_tokens
        self.decoding = decoding
        # One generator for the object's lifetime: repeated calls draw different samples, reproducibly.
        self.random = torch.Generator().manual_seed(seed)

    @classmethod
    def from_checkpoint(cls, path: Path, decoding: DecodingConfig, seed: int = 0) -> "Seq2SeqCommentGenerator":
        model, vocabulary, checkpoint = load_checkpoint(path)
        return cls(model, vocabulary, checkpoint["max_source_tokens"], decoding, seed)

    def moment_ids(self, moment_text: str) -> list[int]:
        """Return the encoder input ids of a moment text; empty when cleaning leaves no token."""
        tokens = tokenize(clean_text(moment_text), self.vocabulary.tokenization)
        return self.vocabulary.encode(tokens[: self.max_source_tokens])

    def generate(self, moment_text: str) -> str:
        source_ids = self.moment_ids(moment_text)
        if not source_ids:
            return ""
        ids = generate_ids(self.model, source_ids, self.vocabulary, self.decoding, self.random)
        return sanitize_comment(detokenize(self.vocabulary.decode(ids)))
