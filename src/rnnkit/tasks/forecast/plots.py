"""A forecast as a picture: the recent history, the forecast and its 80% interval."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import pyplot


def plot_forecast(result: dict, path: Path, history: int = 200, target: str = "value",
                  time_column: str | None = None) -> None:
    """`forecast_figure` saved at `path`."""
    figure = forecast_figure(result, history, target, time_column)
    figure.savefig(path)
    pyplot().close(figure)


def forecast_figure(result: dict, history: int = 200, target: str = "value",
                    time_column: str | None = None):
    """The last `history` observed values, the forecast, and its 80% interval band, over the
    series' own times where it has them (dates, numbers), else over steps from the origin;
    the y axis names the `target`."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(8, 4), dpi=110)
    count = min(history, len(result["history"]))
    past, future = list(result.get("history_times") or [])[-count:], list(result.get("times") or [])
    dated = len(past) == count and len(future) == len(result["point"]) and all(
        t is not None for t in past + future)
    seen = past if dated else list(range(-count, 0))
    axes.plot(seen, result["history"][len(result["history"]) - count :], color="tab:blue",
              label="history")
    ahead = future if dated else list(range(len(result["point"])))
    if "lower" in result:
        axes.fill_between(ahead, result["lower"], result["upper"], color="tab:orange", alpha=0.25,
                          label="80% interval")
    axes.plot(ahead, result["point"], color="tab:orange", label="forecast")
    if "actual" in result:
        axes.plot(ahead, result["actual"], color="black", linestyle=":", label="actual")
    axes.set_xlabel((time_column or "time") if dated else "steps from the forecast origin")
    axes.set_ylabel(target)
    if dated:
        figure.autofmt_xdate()
    axes.set_title(f"forecast of {result['series']}")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return figure
