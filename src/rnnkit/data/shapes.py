"""shapes-captions: a seeded generator of small images with one to three coloured shapes and
their captions, for image captioning (nothing is downloaded).

An image is 48 x 48 RGB on black, cut into a 3 x 3 grid; each shape sits in its own cell, a
little shifted and resized at random. The caption names the count, then each shape in reading
order (top row first, left to right): "two shapes: red circle top left, blue square middle
right". Some colour-shape pairs (HELD_OUT) never appear in training: the "test" split has
at least one of them in every image, so it measures whether the model composes a colour and a
shape it has only seen apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE, CELL = 48, 16
COLOURS = {"red": (1.0, 0.15, 0.1), "green": (0.1, 0.85, 0.2), "blue": (0.15, 0.3, 1.0),
           "yellow": (1.0, 0.9, 0.1), "magenta": (0.95, 0.2, 0.9), "cyan": (0.1, 0.9, 0.95)}
SHAPES = ("circle", "square", "triangle", "diamond")
HELD_OUT = (("red", "circle"), ("green", "square"), ("blue", "triangle"), ("yellow", "diamond"),
            ("cyan", "circle"))
ROWS, COLUMNS = ("top", "middle", "bottom"), ("left", "center", "right")
COUNTS = ("one shape", "two shapes", "three shapes")
SPLIT_SIZES = {"train": 16000, "valid": 800, "test": 800}
SPLIT_SEEDS = {"train": 1, "valid": 2, "test": 3}
_Y, _X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5  # pixel centres


@dataclass(frozen=True)
class Scene:
    image: np.ndarray  # (3, SIZE, SIZE) float32 in [0, 1]
    caption: str
    # per shape in caption order: (colour, shape, (x0, y0, x1, y1) pixel box, inclusive)
    shapes: tuple


def shape_mask(shape: str, half: float, cx: float, cy: float) -> np.ndarray:
    """(SIZE, SIZE) boolean mask of one shape centred at (cx, cy) with half-size `half`."""
    dx, dy = _X - cx, _Y - cy
    if shape == "circle":
        return dx * dx + dy * dy <= half * half
    if shape == "square":
        return (np.abs(dx) <= half * 0.85) & (np.abs(dy) <= half * 0.85)
    if shape == "diamond":
        return np.abs(dx) + np.abs(dy) <= half
    # triangle, apex up: inside when below the apex and within the widening sides
    return (dy <= half * 0.8) & (dy >= -half) & (np.abs(dx) <= (dy + half) * 0.6)


def make_scene(rng: np.random.Generator, allowed: list[tuple[str, str]],
               must: list[tuple[str, str]] | None = None) -> Scene:
    """One scene of 1-3 shapes drawn from `allowed` pairs; `must`: at least one from these."""
    count = int(rng.integers(1, 4))
    cells = sorted(rng.choice(9, size=count, replace=False).tolist())
    pairs = [allowed[int(rng.integers(len(allowed)))] for _ in range(count)]
    if must:
        pairs[int(rng.integers(count))] = must[int(rng.integers(len(must)))]
    image = np.zeros((3, SIZE, SIZE), dtype=np.float32)
    described, placed = [], []
    for cell, (colour, shape) in zip(cells, pairs):
        row, column = divmod(cell, 3)
        half = float(rng.uniform(4.5, 6.5))
        cx = column * CELL + CELL / 2 + float(rng.uniform(-1.5, 1.5))
        cy = row * CELL + CELL / 2 + float(rng.uniform(-1.5, 1.5))
        mask = shape_mask(shape, half, cx, cy)
        shade = np.array(COLOURS[colour], dtype=np.float32) * float(rng.uniform(0.8, 1.0))
        image[:, mask] = shade[:, None]
        ys, xs = np.nonzero(mask)
        placed.append((colour, shape, (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))))
        described.append(f"{colour} {shape} {ROWS[row]} {COLUMNS[column]}")
    image += rng.normal(0.0, 0.03, image.shape).astype(np.float32)
    caption = f"{COUNTS[count - 1]}: {', '.join(described)}"
    return Scene(np.clip(image, 0.0, 1.0), caption, tuple(placed))


def all_pairs() -> list[tuple[str, str]]:
    return [(c, s) for c in COLOURS for s in SHAPES]


def generate(split: str, n: int | None = None) -> list[Scene]:
    """The scenes of a split: "train" and "valid" never hold a held-out pair; every "test" scene
    holds at least one."""
    rng = np.random.default_rng(SPLIT_SEEDS[split])
    seen = [p for p in all_pairs() if p not in HELD_OUT]
    n = SPLIT_SIZES[split] if n is None else n
    if split == "test":
        return [make_scene(rng, all_pairs(), list(HELD_OUT)) for _ in range(n)]
    return [make_scene(rng, seen) for _ in range(n)]
