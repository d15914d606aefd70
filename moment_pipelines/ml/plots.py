"""Loss-curve plot for a finished training run, drawn with matplotlib's Agg canvas (no display needed)."""

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from moment_pipelines.ml.train import TrainingResult


def plot_loss_curve(result: TrainingResult, path: Path, title: str = "LikePredictor") -> None:
    """Write a PNG of training and validation loss per epoch, marking the epoch whose weights were kept."""
    epochs = [entry.epoch for entry in result.history]
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(epochs, [entry.train_loss for entry in result.history], label="train")
    axes.plot(epochs, [entry.validation_loss for entry in result.history], label="validation")
    if result.best_epoch:
        axes.axvline(result.best_epoch, color="grey", linestyle="--", label=f"best epoch {result.best_epoch}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("MSE on log1p(like_count)")
    axes.set_title(title)
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png")
