"""Plots of a like-classifier run, drawn with matplotlib's Agg canvas (no display needed)."""

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from moment_pipelines.ml.like_behavior.metrics import CalibrationBin
from moment_pipelines.ml.like_behavior.train import ClassifierTrainingResult


def plot_training_curve(result: ClassifierTrainingResult, path: Path) -> None:
    """Write a PNG with training and validation loss, and validation AUC, per epoch."""
    epochs = [entry.epoch for entry in result.history]
    figure = Figure(figsize=(9.0, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    loss_axes, auc_axes = figure.subplots(1, 2)

    loss_axes.plot(epochs, [entry.train_loss for entry in result.history], label="train")
    loss_axes.plot(epochs, [entry.validation_loss for entry in result.history], label="validation")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel(f"weighted BCE (pos_weight {result.pos_weight:.2f})")
    loss_axes.legend()

    auc_axes.plot(epochs, [entry.validation_auc for entry in result.history], color="tab:green")
    auc_axes.set_xlabel("epoch")
    auc_axes.set_ylabel("validation ROC-AUC")

    for axes in (loss_axes, auc_axes):
        if result.best_epoch:
            axes.axvline(result.best_epoch, color="grey", linestyle="--", label=f"best epoch {result.best_epoch}")
        axes.grid(alpha=0.3)
    figure.suptitle("LikeClassifier")
    figure.tight_layout()
    figure.savefig(path, format="png")


def plot_reliability(calibration: dict[str, list[CalibrationBin]], path: Path) -> None:
    """Write a reliability diagram: observed like rate against mean predicted probability, one line per model."""
    figure = Figure(figsize=(6.0, 5.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    for name, bins in calibration.items():
        filled = [entry for entry in bins if entry.rows]
        axes.plot(
            np.array([entry.mean_predicted for entry in filled]),
            np.array([entry.observed_rate for entry in filled]),
            marker="o",
            label=name,
        )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("mean predicted probability")
    axes.set_ylabel("observed like rate")
    axes.set_title("Reliability diagram (test split)")
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png")
