"""Long-range benchmark tasks, generated: the problems on which recurrent networks are judged.

Every generator takes a `torch.Generator`, so a batch is fixed by its seed, and states its
analytic baseline: the score of the best model that remembers nothing.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

COPY_SYMBOLS = 8  # data symbols 1..8; 0 is the blank, 9 the delimiter
COPY_LENGTH = 10


def adding_problem(batch: int, T: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Arjovsky et al. (2016): x (B, T, 2), channel 0 values in U(0, 1), channel 1 two markers,
    one in each half; y (B, 1) the sum of the two marked values.
    Baseline: always predicting 1 (the mean of the sum) has MSE Var(u1 + u2) = 1/6."""
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2, got {T}")
    values = torch.rand(batch, T, generator=generator)
    half = T // 2
    first = torch.randint(0, half, (batch,), generator=generator)
    second = torch.randint(half, T, (batch,), generator=generator)
    markers = torch.zeros(batch, T)
    rows = torch.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)
    y = (values[rows, first] + values[rows, second]).unsqueeze(1)
    return x, y


ADDING_BASELINE_MSE = 1 / 6


def copy_task(batch: int, T: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Copy/memory task (Arjovsky et al. 2016): 10 symbols from {1..8}, T − 1 blanks, the
    delimiter 9, then 10 blanks during which the 10 symbols must be reproduced.
    x, y (B, T + 20) token ids; y is blank (0) everywhere but the last 10 steps."""
    if T < 1:
        raise ValueError(f"the copy task needs a delay T >= 1, got {T}")
    symbols = torch.randint(1, COPY_SYMBOLS + 1, (batch, COPY_LENGTH), generator=generator)
    x = torch.zeros(batch, T + 2 * COPY_LENGTH, dtype=torch.long)
    y = torch.zeros_like(x)
    x[:, :COPY_LENGTH] = symbols
    x[:, COPY_LENGTH + T - 1] = COPY_SYMBOLS + 1
    y[:, -COPY_LENGTH:] = symbols
    return x, y


def copy_baseline(T: int) -> float:
    """Cross-entropy per step of the memoryless strategy: blanks surely, then uniform over
    the 8 symbols for the last 10 steps: 10 ln 8 / (T + 20)."""
    return COPY_LENGTH * math.log(COPY_SYMBOLS) / (T + 2 * COPY_LENGTH)


def temporal_order(batch: int, T: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Temporal order (Hochreiter & Schmidhuber 1997, task 6a): a start marker B, an end
    marker E, distractors from {a, b, c, d}, and two relevant symbols, each X or Y, at random
    steps in [0.1T, 0.2T] and [0.5T, 0.6T]. The class (XX, XY, YX, YY) is their order.
    x (B, T) ids: 0 B, 1 E, 2-5 a-d, 6 X, 7 Y; y (B,) in 0..3. Baseline: chance, ln 4."""
    if T < 10:
        raise ValueError(f"temporal order needs T >= 10, got {T}")
    x = torch.randint(2, 6, (batch, T), generator=generator)
    x[:, 0], x[:, -1] = 0, 1
    rows = torch.arange(batch)
    t1 = torch.randint(max(1, T // 10), max(2, T // 5) + 1, (batch,), generator=generator)
    t2 = torch.randint(T // 2, max(T // 2 + 1, 6 * T // 10) + 1, (batch,), generator=generator)
    first = torch.randint(0, 2, (batch,), generator=generator)
    second = torch.randint(0, 2, (batch,), generator=generator)
    x[rows, t1] = 6 + first
    x[rows, t2.clamp(max=T - 2)] = 6 + second
    return x, 2 * first + second


TEMPORAL_ORDER_TOKENS = 8
TEMPORAL_ORDER_CLASSES = 4


def digits(mode: str = "rows", seed: int = 0) -> dict[str, tuple[Tensor, Tensor]]:
    """scikit-learn's bundled 8x8 digits read as sequences, split 80/20 by a fixed seed.

    mode "rows": T = 8 steps of 8 pixels; "pixels": T = 64 steps of 1 pixel; "permuted": the
    pixels in a fixed random order (seed 0). Values scaled to [0, 1]. Baseline: the majority
    class's accuracy, and ln 10 loss."""
    from sklearn.datasets import load_digits

    if mode not in ("rows", "pixels", "permuted"):
        raise ValueError(f"digits mode must be rows, pixels or permuted, got {mode!r}")
    data = load_digits()
    x = torch.tensor(data.data, dtype=torch.float32) / 16.0  # (N, 64)
    y = torch.tensor(data.target, dtype=torch.long)
    if mode == "rows":
        x = x.view(-1, 8, 8)
    else:
        if mode == "permuted":
            x = x[:, torch.randperm(64, generator=torch.Generator().manual_seed(0))]
        x = x.unsqueeze(-1)  # (N, 64, 1)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    cut = int(0.8 * len(y))
    train, test = order[:cut], order[cut:]
    return {"train": (x[train], y[train]), "test": (x[test], y[test])}
