"""A forecast as a picture: the recent history, the forecast and its 80% interval."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import pyplot


def plot_forecast(result: dict, path: Path, history: int = 200) -> None:
    """The last `history` observed values, the forecast, and its 80% interval band."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(8, 4), dpi=110)
    seen = list(range(-min(history, len(result["history"])), 0))
    axes.plot(seen, result["history"][len(result["history"]) + seen[0] :], color="tab:blue",
              label="history")
    ahead = list(range(len(result["point"])))
    if "lower" in result:
        axes.fill_between(ahead, result["lower"], result["upper"], color="tab:orange", alpha=0.25,
                          label="80% interval")
    axes.plot(ahead, result["point"], color="tab:orange", label="forecast")
    if "actual" in result:
        axes.plot(ahead, result["actual"], color="black", linestyle=":", label="actual")
    axes.set_xlabel("steps from the forecast origin")
    axes.set_title(f"forecast of {result['series']}")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
