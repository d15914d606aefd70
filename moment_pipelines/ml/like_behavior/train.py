"""Training loop for LikeClassifier: Adam, BCEWithLogitsLoss with a positive-class weight, early stopping on validation AUC.

`train_classifier` expects encoded features (see `FeatureEncoder`) and 0/1
labels. After it returns, the model contains the weights of the epoch with the
highest validation ROC-AUC, not those of the last epoch.
"""

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from moment_pipelines.ml.data import TabularSplit
from moment_pipelines.ml.like_behavior.metrics import roc_auc
from moment_pipelines.ml.train import set_seed

logger = logging.getLogger(__name__)


@dataclass
class ClassifierTrainConfig:
    epochs: int = 50  # maximum passes over the training split
    batch_size: int = 1024  # rows per gradient step
    learning_rate: float = 1e-3  # Adam step size
    weight_decay: float = 1e-5  # L2 penalty added by Adam on every weight
    patience: int = 5  # epochs without a better validation AUC before training stops
    min_improvement: float = 5e-4  # validation AUC must rise by more than this to count as better
    balance_classes: bool = True  # weight positives by negatives/positives of the training split
    num_threads: int = 1  # torch intra-op threads while training; see train_classifier
    seed: int = 42  # seeds torch, numpy, random and the shuffling order


@dataclass
class EpochMetrics:
    epoch: int  # 1-based
    train_loss: float  # mean weighted BCE over the training rows, measured while the weights changed
    validation_loss: float  # weighted BCE on the validation rows after the epoch
    validation_auc: float  # ROC-AUC on the validation rows after the epoch


@dataclass
class ClassifierTrainingResult:
    history: list[EpochMetrics] = field(default_factory=list)
    best_epoch: int = 0  # epoch whose weights the model contains after training
    best_validation_auc: float = float("nan")
    stopped_early: bool = False  # True when patience ran out before `epochs`
    pos_weight: float = 1.0  # weight of a positive row in the loss

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def positive_weight(labels: torch.Tensor, balance_classes: bool) -> float:
    """Return negatives/positives of `labels` when balancing, else 1."""
    positives = float(labels.sum())
    negatives = float(labels.numel()) - positives
    if positives == 0 or negatives == 0:
        raise ValueError(f"need both classes in the training labels, got {positives:.0f} positives and {negatives:.0f} negatives")
    return negatives / positives if balance_classes else 1.0


def shuffled_batches(split: TabularSplit, batch_size: int, generator: torch.Generator):
    """Yield (features, label) batches of a random permutation of the split.

    Slicing in-memory tensors by a permutation is much faster than a
    DataLoader, which indexes and collates one row at a time.
    """
    order = torch.randperm(len(split), generator=generator)
    for start in range(0, len(split), batch_size):
        rows = order[start : start + batch_size]
        yield split.features[rows], split.label[rows]


@torch.no_grad()
def predict_logits(model: nn.Module, features: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    """Run the model in eval mode over (N, n_features) in batches and return (N,) logits."""
    model.eval()
    outputs = [model(features[start : start + batch_size]) for start in range(0, features.shape[0], batch_size)]
    return torch.cat(outputs) if outputs else torch.empty(0)


def train_classifier(
    model: nn.Module,
    train: TabularSplit,
    validation: TabularSplit,
    config: ClassifierTrainConfig,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> ClassifierTrainingResult:
    """Train `model` (encoded features -> logits) and stop when validation AUC has not improved for `patience` epochs.

    `on_epoch` is called after every epoch with its metrics, for logging.
    The model ends with the best epoch's weights, in eval mode.

    The network is small, so each operation is tiny and several threads spend
    more time synchronising than computing. On a busy machine that made an
    epoch many times slower. Training therefore runs on `config.num_threads`
    threads and restores the previous setting afterwards.
    """
    if len(train) == 0 or len(validation) == 0:
        raise ValueError(f"need rows in both splits, got {len(train)} training and {len(validation)} validation rows")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads)
    try:
        return _train(model, train, validation, config, on_epoch)
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    model: nn.Module,
    train: TabularSplit,
    validation: TabularSplit,
    config: ClassifierTrainConfig,
    on_epoch: Callable[[EpochMetrics], None] | None,
) -> ClassifierTrainingResult:
    set_seed(config.seed)
    pos_weight = positive_weight(train.label, config.balance_classes)
    loss_function = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)

    result = ClassifierTrainingResult(pos_weight=pos_weight)
    best_state = copy.deepcopy(model.state_dict())
    best_auc = -np.inf
    epochs_without_improvement = 0

    for epoch in range(1, config.epochs + 1):
        model.train()
        summed_loss = 0.0
        for features, label in shuffled_batches(train, config.batch_size, generator):
            optimizer.zero_grad()
            loss = loss_function(model(features), label)
            loss.backward()
            optimizer.step()
            summed_loss += loss.item() * label.shape[0]

        validation_logits = predict_logits(model, validation.features)
        metrics = EpochMetrics(
            epoch=epoch,
            train_loss=summed_loss / len(train),
            validation_loss=float(loss_function(validation_logits, validation.label)),
            validation_auc=roc_auc(validation_logits, validation.label),
        )
        if not np.isfinite(metrics.validation_loss):
            raise FloatingPointError(
                f"validation loss is {metrics.validation_loss} after epoch {epoch}; "
                "lower the learning rate or check the features for extreme values"
            )
        result.history.append(metrics)
        if on_epoch is not None:
            on_epoch(metrics)
        else:
            logger.info(
                "epoch %d: train loss %.4f, validation loss %.4f, validation AUC %.4f",
                epoch,
                metrics.train_loss,
                metrics.validation_loss,
                metrics.validation_auc,
            )

        if metrics.validation_auc > best_auc + config.min_improvement:
            best_auc = metrics.validation_auc
            result.best_epoch = epoch
            result.best_validation_auc = metrics.validation_auc
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
