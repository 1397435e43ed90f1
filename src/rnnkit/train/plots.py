"""The training curves of a run, drawn into its folder."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import pyplot


def plot_curves(history: list[dict], train_points: list[tuple[int, float]], path: Path) -> None:
    """Training loss (per step, smoothed) and validation loss (per evaluation) against steps."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    if train_points:
        steps, losses = zip(*train_points)
        axes.plot(steps, losses, color="tab:blue", alpha=0.8, label="training (smoothed)")
    if history:
        axes.plot([h["step"] for h in history], [h["valid_loss"] for h in history], "o-",
                  color="tab:orange", label="validation")
    axes.set_xlabel("step")
    axes.set_ylabel("loss (nats/token)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
