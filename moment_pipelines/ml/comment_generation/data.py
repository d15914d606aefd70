"""(moment, comment) token pairs as padded id tensors for the sequence model."""

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, Dataset

from moment_pipelines.ml.comment_generation.vocabulary import Vocabulary


@dataclass
class PairBatch:
    source: torch.Tensor  # [batch, source] moment ids, padded with <pad>
    source_lengths: torch.Tensor  # [batch] real moment tokens per row
    target_input: torch.Tensor  # [batch, steps] <bos> + comment ids, the decoder's inputs
    target_output: torch.Tensor  # [batch, steps] comment ids + <eos>, what the decoder must predict
    target_lengths: torch.Tensor  # [batch] comment tokens + 1

    @property
    def predicted_tokens(self) -> int:
        return int(self.target_lengths.sum())


class CommentPairDataset(Dataset):
    """Encoded pairs; moments longer than `max_source_tokens` keep their first tokens.

    `max_target_tokens` truncates comments for training. Leave it None when
    measuring perplexity, so every model is scored on the whole comment.
    """

    def __init__(
        self,
        moment_tokens: Sequence[Sequence[str]],
        comment_tokens: Sequence[Sequence[str]],
        vocabulary: Vocabulary,
        max_source_tokens: int,
        max_target_tokens: int | None = None,
    ):
        if len(moment_tokens) != len(comment_tokens):
            raise ValueError(f"{len(moment_tokens)} moments but {len(comment_tokens)} comments")
        self.vocabulary = vocabulary
        self.sources = [vocabulary.encode(list(tokens[:max_source_tokens])) for tokens in moment_tokens]
        self.targets = [vocabulary.encode(list(tokens[:max_target_tokens])) for tokens in comment_tokens]
        empty = sum(1 for ids in self.sources if not ids)
        if empty:
            raise ValueError(f"{empty} pairs have no moment tokens; the pairs table must drop them")

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> tuple[list[int], list[int]]:
        return self.sources[index], self.targets[index]


def collate_pairs(examples: list[tuple[list[int], list[int]]], vocabulary: Vocabulary) -> PairBatch:
    """Pad a list of (moment ids, comment ids) into one PairBatch."""
    pad, bos, eos = vocabulary.pad_id, vocabulary.bos_id, vocabulary.eos_id
    source_lengths = torch.tensor([len(source) for source, _ in examples])
    target_lengths = torch.tensor([len(target) + 1 for _, target in examples])

    source = torch.full((len(examples), int(source_lengths.max())), pad)
    target_input = torch.full((len(examples), int(target_lengths.max())), pad)
    target_output = torch.full_like(target_input, pad)
    for row, (source_ids, target_ids) in enumerate(examples):
        source[row, : len(source_ids)] = torch.tensor(source_ids)
        target_input[row, : len(target_ids) + 1] = torch.tensor([bos, *target_ids])
        target_output[row, : len(target_ids) + 1] = torch.tensor([*target_ids, eos])

    return PairBatch(source, source_lengths, target_input, target_output, target_lengths)


def make_loader(dataset: CommentPairDataset, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Batch the dataset; with `shuffle` the order depends only on `seed`."""
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=lambda examples: collate_pairs(examples, dataset.vocabulary),
    )
