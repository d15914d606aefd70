"""Training loop for regression networks: Adam, MSE loss and early stopping on validation loss.

`train_regressor` expects encoded features (see `FeatureEncoder`). After it
returns, the model has the weights of the epoch with the lowest validation
loss, not those of the last epoch.
"""

import copy
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from moment_pipelines.ml.data import TabularSplit, make_loader

logger = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    epochs: int = 200  # maximum passes over the training split
    batch_size: int = 256  # rows per gradient step
    learning_rate: float = 1e-3  # Adam step size
    weight_decay: float = 1e-5  # L2 penalty added by Adam on every weight
    patience: int = 10  # epochs without a better validation loss before training stops
    min_improvement: float = 1e-4  # validation loss must drop by more than this to count as better
    # Seeds the batch order and dropout. Call set_seed(seed) before building the model
    # so the initial weights repeat too.
    seed: int = 42


@dataclass
class EpochLoss:
    epoch: int  # 1-based
    train_loss: float  # mean MSE over the training rows, measured while the weights changed
    validation_loss: float  # MSE on the validation rows after the epoch


@dataclass
class TrainingResult:
    history: list[EpochLoss] = field(default_factory=list)
    best_epoch: int = 0  # epoch whose weights the model has after training
    best_validation_loss: float = float("inf")
    stopped_early: bool = False  # True when patience ran out before `epochs`

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def set_seed(seed: int) -> None:
    """Seed every random number generator that training uses."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def predict(model: nn.Module, features: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Run the model in eval mode over (N, n_features) in batches and return (N,) predictions."""
    model.eval()
    outputs = [model(features[start : start + batch_size]) for start in range(0, features.shape[0], batch_size)]
    return torch.cat(outputs) if outputs else torch.empty(0)


def mse_loss(model: nn.Module, split: TabularSplit, batch_size: int = 4096) -> float:
    """Mean squared error of the model on a whole split, in eval mode."""
    prediction = predict(model, split.features, batch_size)
    return float(nn.functional.mse_loss(prediction, split.label))


def train_regressor(
    model: nn.Module,
    train: TabularSplit,
    validation: TabularSplit,
    config: TrainConfig,
    on_epoch: Callable[[EpochLoss], None] | None = None,
) -> TrainingResult:
    """Train `model` with Adam on MSE and stop when validation loss has not improved for `patience` epochs.

    `on_epoch` is called after every epoch with its losses, for logging. The
    model ends with the best epoch's weights.
    """
    if len(train) == 0 or len(validation) == 0:
        raise ValueError(f"need rows in both splits, got {len(train)} training and {len(validation)} validation rows")
    set_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    loss_function = nn.MSELoss()
    loader = make_loader(train, config.batch_size, shuffle=True, seed=config.seed)

    result = TrainingResult()
    best_state = copy.deepcopy(model.state_dict())
    epochs_without_improvement = 0

    for epoch in range(1, config.epochs + 1):
        model.train()
        summed_loss = 0.0
        for features, label in loader:
            optimizer.zero_grad()
            loss = loss_function(model(features), label)
            loss.backward()
            optimizer.step()
            summed_loss += loss.item() * label.shape[0]

        epoch_loss = EpochLoss(
            epoch=epoch, train_loss=summed_loss / len(train), validation_loss=mse_loss(model, validation)
        )
        if not np.isfinite(epoch_loss.validation_loss):
            raise FloatingPointError(
                f"validation loss is {epoch_loss.validation_loss} after epoch {epoch}; "
                "lower the learning rate or check the features for extreme values"
            )
        result.history.append(epoch_loss)
        if on_epoch is not None:
            on_epoch(epoch_loss)
        else:
            logger.info(
                "epoch %d: train loss %.4f, validation loss %.4f", epoch, epoch_loss.train_loss, epoch_loss.validation_loss
            )

        if epoch_loss.validation_loss < result.best_validation_loss - config.min_improvement:
            result.best_epoch = epoch
            result.best_validation_loss = epoch_loss.validation_loss
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
