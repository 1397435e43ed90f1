"""The confusion matrix of a classifier as a picture."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import pyplot


def plot_confusion(confusion: list[list[int]], labels: list[str], path: Path, title: str = "") -> None:
    """The confusion matrix: rows the true class, columns the predicted one, counts in cells."""
    import numpy as np

    plt = pyplot()
    data = np.array(confusion)
    side = max(4.0, 0.5 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(side + 1, side), dpi=110)
    image = axes.imshow(data, cmap="Blues")
    figure.colorbar(image, ax=axes, label="examples")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    if len(labels) <= 20:
        for (row, col), value in np.ndenumerate(data):
            axes.text(col, row, str(value), ha="center", va="center", fontsize=7,
                      color="white" if value > data.max() / 2 else "black")
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title or "confusion matrix")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
