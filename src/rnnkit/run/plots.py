"""The training curves of a run, drawn into its folder."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import pyplot


def plot_curves(history: list[dict], train_points: list[tuple[int, float]], path: Path,
                baseline: dict | None = None) -> None:
    """`curves_figure` saved at `path`."""
    figure = curves_figure(history, train_points, baseline)
    figure.savefig(path)
    pyplot().close(figure)


def curves_figure(history: list[dict], train_points: list[tuple[int, float]],
                  baseline: dict | None = None):
    """Training loss (per step, smoothed) and validation loss (per evaluation) against steps,
    and the baseline's validation loss as a line where it has one (the LM's n-gram)."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    if train_points:
        steps, losses = zip(*train_points)
        axes.plot(steps, losses, color="tab:blue", alpha=0.8, label="training (smoothed)")
    if history:
        axes.plot([h["step"] for h in history], [h["valid_loss"] for h in history], "o-",
                  color="tab:orange", label="validation")
    if baseline and isinstance(baseline.get("loss"), (int, float)):
        name = f"{baseline['order']}-gram" if "order" in baseline else "baseline"
        axes.axhline(baseline["loss"], color="tab:gray", linestyle="--",
                     label=f"{name} (validation)")
    axes.set_xlabel("step")
    axes.set_ylabel("loss (nats/token)")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return figure
