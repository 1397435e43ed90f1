"""The alignment of a translation: the attention weights as a heat map, source tokens across and
output tokens down."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import pyplot


def plot_attention(weights: list[list[float]], source: list[str], output: list[str], path: Path,
                   title: str = "") -> None:
    """`weights[t][s]`: how much output token t read source token s."""
    import numpy as np

    plt = pyplot()
    data = np.array(weights, dtype=float).reshape(len(output), len(source))
    width = min(24.0, max(4.0, 0.35 * len(source) + 2))
    height = min(24.0, max(3.0, 0.35 * len(output) + 1.5))
    figure, axes = plt.subplots(figsize=(width + 1, height), dpi=110)
    image = axes.imshow(data, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    figure.colorbar(image, ax=axes, label="attention")
    axes.set_xticks(range(len(source)), source, rotation=70, ha="right", fontsize=8)
    axes.set_yticks(range(len(output)), output, fontsize=8)
    axes.set_xlabel("source")
    axes.set_ylabel("output")
    axes.set_title(title or "attention")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
