"""Training loop for MultiModalClassifier: class-weighted cross-entropy, early stopping on validation macro-F1."""

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from moment_pipelines.ml.moment_type.data import MomentTypeSplit, PictureTable, ordered_batches, shuffled_batches
from moment_pipelines.ml.moment_type.metrics import accuracy, macro_f1
from moment_pipelines.ml.moment_type.model import MultiModalClassifier
from moment_pipelines.ml.train import set_seed

logger = logging.getLogger(__name__)


@dataclass
class MomentTypeTrainConfig:
    epochs: int = 6  # maximum passes over the training split
    batch_size: int = 256  # moments per gradient step
    learning_rate: float = 2e-3  # Adam learning rate of the text branch and the fusion MLP
    backbone_learning_rate: float = 1e-4  # Adam learning rate of a fine-tuned backbone
    weight_decay: float = 1e-5  # L2 penalty in Adam
    patience: int = 2  # epochs without a better validation macro-F1 before training stops
    balance_classes: bool = True  # weight each class by N / (num_classes * its count) in the loss
    max_grad_norm: float = 5.0  # gradients are clipped to this norm, which keeps the GRU stable
    num_threads: int = 1  # torch intra-op threads; the GRU steps are small, so more threads mostly add synchronisation
    seed: int = 42  # seeds torch, numpy, random and the shuffling order


@dataclass
class EpochMetrics:
    epoch: int  # 1-based
    train_loss: float  # mean weighted cross-entropy over the training rows while the weights changed
    validation_loss: float  # weighted cross-entropy on the validation rows after the epoch
    validation_accuracy: float
    validation_macro_f1: float
    samples_per_second: float  # training rows per second in this epoch


@dataclass
class TrainingResult:
    history: list[EpochMetrics] = field(default_factory=list)
    best_epoch: int = 0  # epoch whose weights the model contains after training
    best_validation_macro_f1: float = float("nan")
    stopped_early: bool = False
    class_weights: list[float] = field(default_factory=list)  # loss weight of each class

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def class_weights(label: torch.Tensor, num_classes: int, balance: bool) -> torch.Tensor:
    """Return N / (num_classes * count) per class when balancing (1 for an absent class), else all ones."""
    if not balance:
        return torch.ones(num_classes)
    counts = torch.bincount(label, minlength=num_classes).float()
    weights = len(label) / (num_classes * counts.clamp(min=1))
    return torch.where(counts > 0, weights, torch.ones_like(weights))


def _inputs(batch: MomentTypeSplit, pictures: PictureTable | None, model: MultiModalClassifier):
    if model.config.use_image and pictures is not None:
        picture_input, mask = pictures.gather(batch.picture_index)
    else:
        picture_input, mask = None, batch.picture_index >= 0
    return batch.token_ids, batch.lengths, picture_input, mask


@torch.no_grad()
def predict_logits(
    model: MultiModalClassifier, split: MomentTypeSplit, pictures: PictureTable | None, batch_size: int = 512
) -> torch.Tensor:
    """Run the model in eval mode over the split, in order, and return (N, num_classes) logits."""
    model.eval()
    outputs = [model(*_inputs(batch, pictures, model)) for batch in ordered_batches(split, batch_size)]
    return torch.cat(outputs) if outputs else torch.empty(0, model.config.num_classes)


def train_classifier(
    model: MultiModalClassifier,
    train: MomentTypeSplit,
    validation: MomentTypeSplit,
    pictures: PictureTable | None,
    config: MomentTypeTrainConfig,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> TrainingResult:
    """Train `model` and keep the weights of the epoch with the best validation macro-F1.

    `pictures` is the table that the splits' picture indices point into; it
    may be None for a text-only model. The model ends in eval mode.
    """
    if len(train) == 0 or len(validation) == 0:
        raise ValueError(f"need rows in both splits, got {len(train)} training and {len(validation)} validation rows")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads)
    try:
        return _train(model, train, validation, pictures, config, on_epoch)
    finally:
        torch.set_num_threads(previous_threads)


def _optimizer(model: MultiModalClassifier, config: MomentTypeTrainConfig) -> torch.optim.Optimizer:
    """Adam with a smaller learning rate for a fine-tuned backbone, so its pretrained features change slowly."""
    backbone = list(model.image_encoder.parameters()) if model.image_encoder is not None else []
    backbone_ids = {id(parameter) for parameter in backbone}
    others = [parameter for parameter in model.parameters() if id(parameter) not in backbone_ids]
    groups = [{"params": others, "lr": config.learning_rate}]
    if backbone and model.config.use_image:
        groups.append({"params": backbone, "lr": config.backbone_learning_rate})
    return torch.optim.Adam(groups, weight_decay=config.weight_decay)


def _train(
    model: MultiModalClassifier,
    train: MomentTypeSplit,
    validation: MomentTypeSplit,
    pictures: PictureTable | None,
    config: MomentTypeTrainConfig,
    on_epoch: Callable[[EpochMetrics], None] | None,
) -> TrainingResult:
    set_seed(config.seed)
    num_classes = model.config.num_classes
    weights = class_weights(train.label, num_classes, config.balance_classes)
    loss_function = nn.CrossEntropyLoss(weight=weights)
    optimizer = _optimizer(model, config)
    generator = torch.Generator().manual_seed(config.seed)

    result = TrainingResult(class_weights=[round(float(weight), 6) for weight in weights])
    best_state = copy.deepcopy(model.state_dict())
    best_f1 = -np.inf
    epochs_without_improvement = 0

    for epoch in range(1, config.epochs + 1):
        model.train()
        summed_loss = 0.0
        started = time.perf_counter()
        for batch in shuffled_batches(train, config.batch_size, generator):
            optimizer.zero_grad()
            loss = loss_function(model(*_inputs(batch, pictures, model)), batch.label)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            summed_loss += loss.item() * len(batch)
        seconds = time.perf_counter() - started

        validation_logits = predict_logits(model, validation, pictures)
        predicted = validation_logits.argmax(dim=1)
        metrics = EpochMetrics(
            epoch=epoch,
            train_loss=summed_loss / len(train),
            validation_loss=float(loss_function(validation_logits, validation.label)),
            validation_accuracy=accuracy(predicted, validation.label),
            validation_macro_f1=macro_f1(predicted, validation.label, num_classes),
            samples_per_second=len(train) / max(seconds, 1e-9),
        )
        if not np.isfinite(metrics.validation_loss):
            raise FloatingPointError(
                f"validation loss is {metrics.validation_loss} after epoch {epoch}; lower the learning rate"
            )
        result.history.append(metrics)
        if on_epoch is not None:
            on_epoch(metrics)
        else:
            logger.info(
                "epoch %d: train loss %.4f, validation loss %.4f, validation macro-F1 %.4f",
                epoch,
                metrics.train_loss,
                metrics.validation_loss,
                metrics.validation_macro_f1,
            )

        if metrics.validation_macro_f1 > best_f1:
            best_f1 = metrics.validation_macro_f1
            result.best_epoch = epoch
            result.best_validation_macro_f1 = metrics.validation_macro_f1
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
