"""The token vocabulary shared by the moment encoder, the comment decoder and the n-gram baselines.

Built with collections.Counter from the training split only, so validation and
test tokens that never occur in training map to `<unk>` exactly as unseen
words would in production.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

PAD = "<pad>"  # fills short sequences in a batch; the loss ignores it
BOS = "<bos>"  # first decoder input, "begin of sequence"
EOS = "<eos>"  # the model predicts it to end a comment
UNK = "<unk>"  # every token missing from the vocabulary
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)

VOCABULARY_FORMAT = "comment_vocabulary/1"


@dataclass(frozen=True)
class Vocabulary:
    tokens: tuple[str, ...]  # index -> token; the special tokens come first, in SPECIAL_TOKENS order
    tokenization: str  # "word" (jieba) or "char"; texts must be tokenised the same way before `encode`
    counts: dict[str, int] = field(default_factory=dict, repr=False)  # training-split frequency of each kept token
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokens[: len(SPECIAL_TOKENS)] != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary must start with {SPECIAL_TOKENS}, got {self.tokens[:4]}")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("vocabulary tokens repeat")
        object.__setattr__(self, "_index", {token: index for index, token in enumerate(self.tokens)})

    @classmethod
    def build(
        cls, token_lists: Iterable[list[str]], tokenization: str, min_frequency: int = 2, max_size: int | None = None
    ) -> "Vocabulary":
        """Count tokens and keep those seen at least `min_frequency` times, most frequent first.

        `max_size` caps the vocabulary including the four special tokens; ties in
        frequency are broken by the token text so the result is deterministic.
        """
        if min_frequency < 1:
            raise ValueError(f"min_frequency must be at least 1, got {min_frequency}")
        counter: Counter[str] = Counter()
        for tokens in token_lists:
            counter.update(tokens)
        for special in SPECIAL_TOKENS:
            counter.pop(special, None)

        kept = sorted(
            (token for token, count in counter.items() if count >= min_frequency),
            key=lambda token: (-counter[token], token),
        )
        if max_size is not None:
            kept = kept[: max(0, max_size - len(SPECIAL_TOKENS))]
        return cls(
            tokens=(*SPECIAL_TOKENS, *kept),
            tokenization=tokenization,
            counts={token: counter[token] for token in kept},
        )

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._index

    @property
    def pad_id(self) -> int:
        return self._index[PAD]

    @property
    def bos_id(self) -> int:
        return self._index[BOS]

    @property
    def eos_id(self) -> int:
        return self._index[EOS]

    @property
    def unk_id(self) -> int:
        return self._index[UNK]

    def encode(self, tokens: list[str]) -> list[int]:
        """Map tokens to ids; unknown tokens become the `<unk>` id."""
        unk_id = self.unk_id
        return [self._index.get(token, unk_id) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Map ids back to tokens, dropping special tokens except `<unk>`."""
        hidden = {self.pad_id, self.bos_id, self.eos_id}
        return [self.tokens[index] for index in ids if index not in hidden]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form; `from_dict` rebuilds the same vocabulary."""
        return {
            "format": VOCABULARY_FORMAT,
            "tokenization": self.tokenization,
            "tokens": list(self.tokens),
            "counts": self.counts,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Vocabulary":
        if data.get("format") != VOCABULARY_FORMAT:
            raise ValueError(f"not a {VOCABULARY_FORMAT} vocabulary (format {data.get('format')!r})")
        return cls(tokens=tuple(data["tokens"]), tokenization=data["tokenization"], counts=dict(data["counts"]))
