"""Training loop for CommentSeq2Seq: Adam, cross-entropy, teacher forcing, gradient clipping, early stopping.

Validation perplexity decides the best epoch; after `train_seq2seq` returns,
the model has that epoch's weights, not the last epoch's. An epoch that
does not improve it multiplies the learning rate by `learning_rate_decay`.
"""

import copy
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from moment_pipelines.ml.comment_generation.data import CommentPairDataset, PairBatch, make_loader
from moment_pipelines.ml.comment_generation.seq2seq import CommentSeq2Seq

logger = logging.getLogger(__name__)


@dataclass
class Seq2SeqTrainConfig:
    epochs: int = 8  # maximum passes over the training pairs
    batch_size: int = 32  # pairs per gradient step
    learning_rate: float = 3e-3  # initial Adam step size
    teacher_forcing_ratio: float = 1.0  # share of batches that feed the reference token as the next input
    max_grad_norm: float = 5.0  # gradients are rescaled when their global L2 norm exceeds this
    patience: int = 3  # epochs without a lower validation perplexity before training stops
    learning_rate_decay: float = 0.5  # learning rate factor after an epoch without improvement, in (0, 1)
    seed: int = 42  # seeds torch, numpy, random and the batch order


@dataclass
class EpochResult:
    epoch: int  # 1-based
    train_loss: float  # mean cross-entropy per predicted token while the weights changed
    validation_loss: float  # mean cross-entropy per token on validation, teacher forcing, eval mode
    validation_perplexity: float  # exp(validation_loss)
    learning_rate: float  # Adam step size used during the epoch
    seconds: float  # wall time of the epoch, validation included


@dataclass
class Seq2SeqTrainingResult:
    history: list[EpochResult] = field(default_factory=list)
    best_epoch: int = 0  # epoch whose weights the model has after training
    best_validation_perplexity: float = float("inf")
    stopped_early: bool = False  # True when patience ran out before `epochs`

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def perplexity(total_nll: float, predicted_tokens: int) -> float:
    """exp(mean negative log-likelihood per token); inf when nothing was predicted."""
    if predicted_tokens == 0:
        return float("inf")
    return math.exp(total_nll / predicted_tokens)


def _summed_loss(log_probs: torch.Tensor, batch: PairBatch, pad_id: int) -> torch.Tensor:
    """Summed cross-entropy (-ln P of each reference token) over the batch; padding positions count 0."""
    return nn.functional.nll_loss(
        log_probs.reshape(-1, log_probs.shape[-1]), batch.target_output.reshape(-1), ignore_index=pad_id, reduction="sum"
    )


def _free_running_log_probs(model: CommentSeq2Seq, batch: PairBatch) -> torch.Tensor:
    """Decode step by step, feeding back the model's own most likely token instead of the reference."""
    encoded = model.encode(batch.source, batch.source_lengths)
    state = encoded.state
    token = batch.target_input[:, :1]  # [batch, 1] <bos>
    steps = []
    for _ in range(batch.target_input.shape[1]):
        log_probs, state = model.decode(token, encoded, state)  # [batch, 1, vocabulary]
        steps.append(log_probs)
        token = log_probs.argmax(dim=-1)
    return torch.cat(steps, dim=1)  # [batch, steps, vocabulary]


@torch.no_grad()
def evaluate_nll(model: CommentSeq2Seq, dataset: CommentPairDataset, batch_size: int = 256) -> tuple[float, int]:
    """Return the summed -ln P of every comment token and <eos> under teacher forcing, and the token count."""
    model.eval()
    total, tokens = 0.0, 0
    for batch in make_loader(dataset, batch_size, shuffle=False):
        log_probs = model(batch.source, batch.source_lengths, batch.target_input, batch.target_lengths)
        total += float(_summed_loss(log_probs, batch, model.config.pad_id))
        tokens += batch.predicted_tokens
    return total, tokens


def train_seq2seq(
    model: CommentSeq2Seq,
    train: CommentPairDataset,
    validation: CommentPairDataset,
    config: Seq2SeqTrainConfig,
    on_epoch: Callable[[EpochResult], None] | None = None,
) -> Seq2SeqTrainingResult:
    """Train until validation perplexity has not improved for `patience` epochs; `on_epoch` receives each epoch's losses."""
    if len(train) == 0 or len(validation) == 0:
        raise ValueError(f"need pairs in both splits, got {len(train)} training and {len(validation)} validation pairs")
    set_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=config.learning_rate_decay, patience=0)
    loader = make_loader(train, config.batch_size, shuffle=True, seed=config.seed)
    # A separate generator so the teacher-forcing draws do not shift dropout masks or the batch order.
    forcing_draws = random.Random(config.seed)

    result = Seq2SeqTrainingResult()
    best_state = copy.deepcopy(model.state_dict())
    epochs_without_improvement = 0

    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        model.train()
        summed_loss, predicted_tokens = 0.0, 0
        for batch in loader:
            optimizer.zero_grad()
            if forcing_draws.random() < config.teacher_forcing_ratio:
                log_probs = model(batch.source, batch.source_lengths, batch.target_input, batch.target_lengths)
            else:
                log_probs = _free_running_log_probs(model, batch)
            loss = _summed_loss(log_probs, batch, model.config.pad_id)
            (loss / batch.predicted_tokens).backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            summed_loss += loss.item()
            predicted_tokens += batch.predicted_tokens

        validation_nll, validation_tokens = evaluate_nll(model, validation)
        validation_loss = validation_nll / validation_tokens
        epoch_result = EpochResult(
            epoch=epoch,
            train_loss=summed_loss / predicted_tokens,
            validation_loss=validation_loss,
            validation_perplexity=math.exp(validation_loss),
            learning_rate=optimizer.param_groups[0]["lr"],
            seconds=time.perf_counter() - started,
        )
        if not math.isfinite(validation_loss):
            raise FloatingPointError(
                f"validation loss is {validation_loss} after epoch {epoch}; lower the learning rate"
            )
        result.history.append(epoch_result)
        scheduler.step(validation_loss)
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
            best_state = copy.deepcopy(model.state_dict())
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
            if epochs_without_improvement >= config.patience:
                result.stopped_early = True
                break

    model.load_state_dict(best_state)
    model.eval()
    return result
