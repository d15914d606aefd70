"""Loss curve of a sequence-model training run, drawn with matplotlib's Agg canvas (no display needed)."""

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from moment_pipelines.ml.comment_generation.train import Seq2SeqTrainingResult


def plot_loss_curve(result: Seq2SeqTrainingResult, path: Path, title: str = "CommentSeq2Seq") -> None:
    """Write a PNG of training and validation cross-entropy per token, marking the epoch whose weights were kept."""
    epochs = [entry.epoch for entry in result.history]
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(epochs, [entry.train_loss for entry in result.history], marker="o", label="train")
    axes.plot(epochs, [entry.validation_loss for entry in result.history], marker="o", label="validation")
    if result.best_epoch:
        axes.axvline(result.best_epoch, color="grey", linestyle="--", label=f"best epoch {result.best_epoch}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("cross-entropy per token (ln perplexity)")
    axes.set_title(title)
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png")
