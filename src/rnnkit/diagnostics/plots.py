"""Pictures of the diagnosis: gradient flow through time, gate saturation, and the gradient
through time over training as a heat map. Drawn with matplotlib's Agg backend (no display)."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_gradient_flow(flow: dict, path: Path, title: str = "") -> None:
    """‖∂L_T/∂s_t‖ against t, log scale, one curve per layer / direction / state."""
    plt = pyplot()
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
    plt = pyplot()
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
    axes.set_title("gate saturation\n(σ < 0.01 or > 0.99, |tanh| > 0.99, relu = 0)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def flow_heatmap(records: list[dict], key: str):
    """A matplotlib figure: log10 ‖∂L_T/∂s_t‖ over training (rows: diagnosis steps; columns: t)."""
    import numpy as np

    plt = pyplot()
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
    return figure


def plot_flow_heatmap(records: list[dict], key: str, path: Path) -> None:
    """`flow_heatmap` saved as a PNG."""
    figure = flow_heatmap(records, key)
    figure.savefig(path)
    pyplot().close(figure)
