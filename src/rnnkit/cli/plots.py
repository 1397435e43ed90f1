"""PNG plots drawn by the CLI from the data the library returns."""

from __future__ import annotations

from pathlib import Path


def plot_curves(history: list[dict], train_points: list[tuple[int, float]], path: Path) -> None:
    """Training loss (per step, smoothed) and validation loss (per evaluation) against steps."""
    plt = _pyplot()
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


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_gradient_flow(flow: dict, path: Path, title: str = "") -> None:
    """‖∂L_T/∂s_t‖ against t, log scale, one curve per layer / direction / state."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    for key, norms in flow.items():
        axes.semilogy(range(len(norms)), [max(n, 1e-30) for n in norms], label=key)
    axes.set_xlabel("time step t")
    axes.set_ylabel("‖∂L_T/∂s_t‖ (batch mean)")
    axes.set_title(title or "gradient of the last step's loss through time")
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_saturation(saturation: dict, path: Path) -> None:
    """Bars: fraction of saturated units per cell and gate."""
    plt = _pyplot()
    labels, values = [], []
    for key, gates in saturation.items():
        for gate, fraction in gates.items():
            labels.append(f"{key}\n{gate}")
            values.append(fraction)
    figure, axes = plt.subplots(figsize=(max(5, 0.6 * len(labels)), 4), dpi=110)
    axes.bar(range(len(values)), values, color="tab:red")
    axes.set_xticks(range(len(values)), labels, fontsize=7, rotation=90)
    axes.set_ylim(0, 1)
    axes.set_ylabel("fraction saturated")
    axes.set_title("gate saturation (σ < 0.01 or > 0.99, |tanh| > 0.99, relu = 0)")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_flow_heatmap(records: list[dict], key: str, path: Path) -> None:
    """log10 ‖∂L_T/∂s_t‖ over training (rows: diagnosis steps; columns: t)."""
    import numpy as np

    plt = _pyplot()
    rows = [r["flow"][key] for r in records if key in r["flow"]]
    width = min(len(row) for row in rows)
    data = np.log10(np.maximum(np.array([row[:width] for row in rows]), 1e-30))
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    image = axes.imshow(data, aspect="auto", cmap="viridis", origin="lower",
                        extent=(0, width, records[0]["step"], records[-1]["step"]))
    figure.colorbar(image, ax=axes, label="log10 ‖∂L_T/∂s_t‖")
    axes.set_xlabel("time step t")
    axes.set_ylabel("training step")
    axes.set_title(f"gradient through time over training ({key})")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_confusion(confusion: list[list[int]], labels: list[str], path: Path, title: str = "") -> None:
    """The confusion matrix: rows the true class, columns the predicted one, counts in cells."""
    import numpy as np

    plt = _pyplot()
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


def plot_forecast(result: dict, path: Path, history: int = 200) -> None:
    """The last `history` observed values, the forecast, and its 80% interval band."""
    plt = _pyplot()
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
