"""Where a captioner looked: the image once per output word, the attention over its grid laid
on top."""

from __future__ import annotations

from pathlib import Path

from rnnkit.diagnostics.plots import pyplot


def plot_image_attention(image, weights: list[list[float]], words: list[str], cell: int,
                         path: Path) -> None:
    """`image` (3, H, W); `weights[t]` the attention of word t over the (H/cell, W/cell) grid."""
    import numpy as np

    plt = pyplot()
    picture = np.asarray(image).transpose(1, 2, 0)
    H, W = picture.shape[:2]
    columns = min(len(words), 6)
    rows = -(-len(words) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.2 * rows), dpi=100,
                                squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for t, word in enumerate(words):
        ax = axes.flat[t]
        grid = np.array(weights[t]).reshape(H // cell, W // cell)
        ax.imshow(picture)
        ax.imshow(np.kron(grid, np.ones((cell, cell))), cmap="gray", alpha=0.6, vmin=0, vmax=max(
            float(grid.max()), 1e-6))
        ax.set_title(word, fontsize=9)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
