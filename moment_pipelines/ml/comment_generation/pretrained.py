"""Fine-tune a pretrained Hugging Face language model to write comments, and generate comments with it.

Two model families work:

- causal language models (GPT-2 style): moment and comment become one
  sequence `moment <sep> comment <end>` and the loss counts only the comment
  and `<end>` tokens, so the model learns to continue a moment with a comment;
- encoder-decoder models (BART and T5 style): the moment is the encoder input
  and the comment the decoder target.

The model and its tokenizer are read from a local directory written by
`save_pretrained` (for example a Chinese GPT-2 downloaded once); nothing is
downloaded. Chinese GPT-2 checkpoints often ship a BERT tokenizer without an
end-of-text token, so `[SEP]` serves as both separator and end when needed.
"""

import copy
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from moment_pipelines.ml.comment_generation.cleaning import clean_text, sanitize_comment
from moment_pipelines.ml.comment_generation.decoding import DecodingConfig

logger = logging.getLogger(__name__)

IGNORED_LABEL = -100  # label value that PyTorch's cross-entropy and Hugging Face models skip

Pair = tuple[str, str]  # (moment text, comment text), both cleaned


@dataclass
class FineTuneConfig:
    epochs: int = 1  # passes over the training pairs
    batch_size: int = 8  # pairs per gradient step
    learning_rate: float = 5e-5  # AdamW step size; pretrained weights need a much smaller one than training from scratch
    weight_decay: float = 0.01  # AdamW decoupled weight decay
    max_source_tokens: int = 48  # moment tokens kept (the model tokenizer's tokens)
    max_target_tokens: int = 32  # comment tokens kept for training
    max_grad_norm: float = 1.0  # gradients are rescaled when their global L2 norm exceeds this
    seed: int = 42  # seeds torch, numpy, random and the batch order


@dataclass
class FineTuneEpoch:
    epoch: int  # 1-based
    train_loss: float  # mean cross-entropy per comment token while the weights changed
    validation_perplexity: float  # per comment token of the model's own tokenizer
    seconds: float


@dataclass
class FineTuneResult:
    history: list[FineTuneEpoch] = field(default_factory=list)
    best_epoch: int = 0  # epoch whose weights the model has after fine-tuning
    best_validation_perplexity: float = float("inf")


class PretrainedCommentModel:
    """A Hugging Face model and tokenizer plus the special-token ids the pair format needs."""

    def __init__(self, model: nn.Module, tokenizer):
        self.model = model
        self.tokenizer = tokenizer
        self.is_encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
        separator = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        end = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
        if separator is None or end is None:
            raise ValueError("the tokenizer defines neither sep_token nor eos_token, so a comment cannot be delimited")
        self.separator_id = separator
        self.end_id = end
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else end

    @classmethod
    def load(cls, directory: Path) -> "PretrainedCommentModel":
        """Load a causal or encoder-decoder model and its tokenizer from a local `save_pretrained` directory."""
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        directory = Path(directory)
        config = AutoConfig.from_pretrained(directory, local_files_only=True)
        model_class = AutoModelForSeq2SeqLM if getattr(config, "is_encoder_decoder", False) else AutoModelForCausalLM
        model = model_class.from_pretrained(directory, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        return cls(model, tokenizer)

    def save(self, directory: Path) -> None:
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)

    @property
    def max_positions(self) -> int | None:
        """Maximum sequence length the model accepts, when its config states one."""
        config = self.model.config
        return getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None)

    @property
    def parameter_count(self) -> int:
        return sum(parameter.numel() for parameter in self.model.parameters())

    def _token_ids(self, text: str, limit: int) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"][:limit]

    def prompt_ids(self, moment: str, max_source_tokens: int) -> list[int]:
        """Return the prompt ids: `moment <sep>` for a causal model, `moment <end>` for an encoder-decoder."""
        source = self._token_ids(moment, max_source_tokens)
        return [*source, self.separator_id] if not self.is_encoder_decoder else [*source, self.end_id]

    def encode_pair(self, moment: str, comment: str, config: FineTuneConfig) -> tuple[list[int], list[int]]:
        """Return (input ids, label ids) for one pair; labels are IGNORED_LABEL where nothing is scored."""
        prompt = self.prompt_ids(moment, config.max_source_tokens)
        target = [*self._token_ids(comment, config.max_target_tokens), self.end_id]
        if self.is_encoder_decoder:
            return prompt, target
        return [*prompt, *target], [IGNORED_LABEL] * len(prompt) + target

    def collate(self, encoded: list[tuple[list[int], list[int]]]) -> dict[str, torch.Tensor]:
        """Right-pad a list of encoded pairs into model keyword arguments."""
        input_length = max(len(inputs) for inputs, _ in encoded)
        label_length = max(len(labels) for _, labels in encoded)
        input_ids = torch.full((len(encoded), input_length), self.pad_id)
        attention_mask = torch.zeros_like(input_ids)
        labels = torch.full((len(encoded), label_length), IGNORED_LABEL)
        for row, (inputs, row_labels) in enumerate(encoded):
            input_ids[row, : len(inputs)] = torch.tensor(inputs)
            attention_mask[row, : len(inputs)] = 1
            labels[row, : len(row_labels)] = torch.tensor(row_labels)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}

    def summed_nll(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
        """Return the summed -ln P of the scored label tokens and their count."""
        labels = batch["labels"]
        if self.is_encoder_decoder:
            # The model builds its decoder inputs by shifting the labels right.
            logits = self.model(**batch).logits  # [batch, steps, vocabulary]
        else:
            logits = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            # A causal model's logits at position t predict the token at t + 1.
            logits, labels = logits[:, :-1], labels[:, 1:]
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORED_LABEL, reduction="sum"
        )
        return loss, int((labels != IGNORED_LABEL).sum())


def _batches(pretrained: PretrainedCommentModel, pairs: Sequence[Pair], config: FineTuneConfig, order: list[int]):
    for start in range(0, len(order), config.batch_size):
        chunk = [pairs[index] for index in order[start : start + config.batch_size]]
        yield pretrained.collate([pretrained.encode_pair(moment, comment, config) for moment, comment in chunk])


@torch.no_grad()
def comment_nll(pretrained: PretrainedCommentModel, pairs: Sequence[Pair], config: FineTuneConfig) -> tuple[float, int]:
    """Return the summed -ln P of every comment token and the end token, and the token count, in eval mode.

    Comments are scored up to `max_target_tokens`, so set it high enough to cover them when measuring perplexity.
    """
    pretrained.model.eval()
    total, tokens = 0.0, 0
    for batch in _batches(pretrained, pairs, config, list(range(len(pairs)))):
        loss, count = pretrained.summed_nll(batch)
        total += float(loss)
        tokens += count
    return total, tokens


def fine_tune(
    pretrained: PretrainedCommentModel,
    train: Sequence[Pair],
    validation: Sequence[Pair],
    config: FineTuneConfig,
    on_epoch: Callable[[FineTuneEpoch], None] | None = None,
) -> FineTuneResult:
    """Fine-tune with AdamW and gradient clipping; afterwards the model has the weights of the best validation epoch."""
    if not train or not validation:
        raise ValueError(f"need pairs in both splits, got {len(train)} training and {len(validation)} validation pairs")
    limit = pretrained.max_positions
    if limit is not None and config.max_source_tokens + config.max_target_tokens + 2 > limit:
        raise ValueError(
            f"max_source_tokens + max_target_tokens + 2 = {config.max_source_tokens + config.max_target_tokens + 2} "
            f"exceeds the model's {limit} positions"
        )
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    shuffler = random.Random(config.seed)
    optimizer = torch.optim.AdamW(
        pretrained.model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )

    result = FineTuneResult()
    best_state = copy.deepcopy(pretrained.model.state_dict())
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        pretrained.model.train()
        order = list(range(len(train)))
        shuffler.shuffle(order)
        summed_loss, scored_tokens = 0.0, 0
        for batch in _batches(pretrained, train, config, order):
            optimizer.zero_grad()
            loss, count = pretrained.summed_nll(batch)
            (loss / count).backward()
            nn.utils.clip_grad_norm_(pretrained.model.parameters(), config.max_grad_norm)
            optimizer.step()
            summed_loss += loss.item()
            scored_tokens += count

        validation_nll, validation_tokens = comment_nll(pretrained, validation, config)
        epoch_result = FineTuneEpoch(
            epoch=epoch,
            train_loss=summed_loss / scored_tokens,
            validation_perplexity=math.exp(validation_nll / validation_tokens),
            seconds=time.perf_counter() - started,
        )
        result.history.append(epoch_result)
        if on_epoch is not None:
            on_epoch(epoch_result)
        else:
            logger.info(
                "epoch %d: train loss %.4f, validation perplexity %.2f",
                epoch,
                epoch_result.train_loss,
                epoch_result.validation_perplexity,
            )
        if epoch_result.validation_perplexity < result.best_validation_perplexity:
            result.best_epoch = epoch
            result.best_validation_perplexity = epoch_result.validation_perplexity
            best_state = copy.deepcopy(pretrained.model.state_dict())

    pretrained.model.load_state_dict(best_state)
    pretrained.model.eval()
    return result


def _generation_config(pretrained: PretrainedCommentModel, decoding: DecodingConfig):
    from transformers import GenerationConfig

    settings = {
        "max_new_tokens": decoding.max_length + 1,  # + 1 leaves room for the end token
        "min_new_tokens": decoding.min_length,
        "repetition_penalty": decoding.repetition_penalty,
        "eos_token_id": pretrained.end_id,
        "pad_token_id": pretrained.pad_id,
    }
    if decoding.strategy == "beam":
        settings.update(num_beams=decoding.beam_size, length_penalty=decoding.length_penalty, early_stopping=True)
    elif decoding.strategy == "sample":
        settings.update(do_sample=True, temperature=decoding.temperature, top_k=decoding.top_k, top_p=decoding.top_p)
    return GenerationConfig(**settings)


def _join_decoded(text: str) -> str:
    """Remove the spaces a BERT-style tokenizer puts between Chinese characters when decoding."""
    pieces = text.split()
    joined = pieces[:1]
    for piece in pieces[1:]:
        if joined[-1][-1].isascii() and piece[0].isascii():
            joined.append(" ")
        joined.append(piece)
    return "".join(joined)


class PretrainedCommentGenerator:
    """Cleans a moment, lets the fine-tuned model continue it with a comment, and sanitises the result."""

    name = "pretrained"

    def __init__(self, pretrained: PretrainedCommentModel, decoding: DecodingConfig, max_source_tokens: int, seed: int = 0):
        self.pretrained = pretrained
        self.decoding = decoding
        self.max_source_tokens = max_source_tokens
        self.generation_config = _generation_config(pretrained, decoding)
        self.seed = seed
        self.calls = 0

    @torch.no_grad()
    def generate(self, moment_text: str) -> str:
        moment = clean_text(moment_text)
        if not moment:
            return ""
        prompt = torch.tensor([self.pretrained.prompt_ids(moment, self.max_source_tokens)])
        self.pretrained.model.eval()
        # Hugging Face samples from torch's global generator; a forked one keeps each call reproducible.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + self.calls)
            output = self.pretrained.model.generate(
                prompt, attention_mask=torch.ones_like(prompt), generation_config=self.generation_config
            )
        self.calls += 1
        new_ids = output[0] if self.pretrained.is_encoder_decoder else output[0, prompt.shape[1] :]
        text = self.pretrained.tokenizer.decode(new_ids, skip_special_tokens=True)
        return sanitize_comment(_join_decoded(text))
