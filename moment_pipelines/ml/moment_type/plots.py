"""Plots of a moment-type run, drawn with matplotlib's Agg canvas (no display needed).

Labels are ASCII because matplotlib's default font has no CJK glyphs.
"""

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from moment_pipelines.ml.moment_type.train import TrainingResult


def plot_training_curve(result: TrainingResult, path: Path) -> None:
    """Write a PNG with training and validation loss, and validation macro-F1, per epoch."""
    epochs = [entry.epoch for entry in result.history]
    figure = Figure(figsize=(9.0, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    loss_axes, f1_axes = figure.subplots(1, 2)

    loss_axes.plot(epochs, [entry.train_loss for entry in result.history], label="train")
    loss_axes.plot(epochs, [entry.validation_loss for entry in result.history], label="validation")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("class-weighted cross-entropy")
    loss_axes.legend()

    f1_axes.plot(epochs, [entry.validation_macro_f1 for entry in result.history], color="tab:green")
    f1_axes.set_xlabel("epoch")
    f1_axes.set_ylabel("validation macro-F1")

    for axes in (loss_axes, f1_axes):
        if result.best_epoch:
            axes.axvline(result.best_epoch, color="grey", linestyle="--")
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png")


def plot_confusion_matrix(matrix: np.ndarray, class_labels: list[str], path: Path, title: str) -> None:
    """Write a PNG of a confusion matrix (rows = true type, columns = predicted), each row scaled to its total."""
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=np.float64), where=totals > 0)
    size = max(4.0, 0.55 * len(class_labels) + 2.0)
    figure = Figure(figsize=(size, size * 0.9), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, fraction=0.046, label="share of the true type's moments")
    ticks = np.arange(len(class_labels))
    axes.set_xticks(ticks, class_labels, rotation=45 if len(class_labels) > 6 else 0)
    axes.set_yticks(ticks, class_labels)
    axes.set_xlabel("predicted type")
    axes.set_ylabel("true type")
    axes.set_title(title)
    if len(class_labels) <= 8:
        for row in range(len(class_labels)):
            for column in range(len(class_labels)):
                colour = "white" if shares[row, column] > 0.5 else "black"
                axes.text(column, row, str(matrix[row, column]), ha="center", va="center", color=colour, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png")
