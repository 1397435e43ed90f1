"""Truncated backpropagation through time.

`detach_state` cuts the graph between windows: the state's values carry on, its gradient
does not. `windows(T, k1, k2)` plans Williams & Peng's BPTT(k1, k2): every k1 new steps, the
losses of those k1 steps are backpropagated through the window's k2 steps (k2 ≥ k1): the
window starts k2 − k1 steps before its first loss. With
k1 = k2 = k this is the common scheme of a language model's training loop: non-overlapping
windows of k steps with the state carried and detached.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from rnnkit.state import detach_state


class Window(NamedTuple):
    """One update of BPTT(k1, k2): run steps [start, end) from a detached state at `start`;
    the losses of steps [loss_start, end) are backpropagated; the state at `next_start` is
    where the next window begins."""

    start: int
    loss_start: int
    end: int
    next_start: int


def windows(steps: int, k1: int, k2: int | None = None) -> list[Window]:
    """Plan BPTT(k1, k2) over `steps` steps. k2 defaults to k1 (disjoint windows)."""
    k2 = k1 if k2 is None else k2
    for name, value in (("steps", steps), ("k1", k1), ("k2", k2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if k2 < k1:
        raise ValueError(f"k2 must be >= k1 (every loss gets at least its own window), got "
                         f"k1={k1}, k2={k2}")
    plan = []
    for loss_start in range(0, steps, k1):
        end = min(loss_start + k1, steps)
        start = max(0, loss_start - (k2 - k1))
        plan.append(Window(start, loss_start, end, max(0, end - (k2 - k1))))
    return plan


def truncated_bptt(layer, x: Tensor, loss_fn, k1: int, k2: int | None = None, state=None):
    """Run `layer` over x (B, T, D) by BPTT(k1, k2), calling backward() once per window.

    `loss_fn(outputs, loss_start, end)` gets the outputs of steps [loss_start, end) and returns
    a scalar loss. Gradients accumulate in the parameters (the caller steps the optimiser).
    Returns the list of window losses (floats) and the final state, detached.
    Overlapping steps (k2 > k1) are recomputed from the detached state at the window's start.
    """
    losses = []
    start_state, end_state = state, state
    for w in windows(x.shape[1], k1, k2):
        cuts = [w.end] if not w.start < w.next_start < w.end else [w.next_start, w.end]
        next_state = start_state if w.next_start == w.start else None
        pieces, position, end_state = [], w.start, start_state
        for cut in cuts:
            out, end_state = layer(x[:, position:cut], state=end_state)
            pieces.append(out)
            position = cut
            if cut == w.next_start:
                next_state = end_state
        outputs = torch.cat(pieces, dim=1)  # (B, end − start, ·)
        loss = loss_fn(outputs[:, w.loss_start - w.start :], w.loss_start, w.end)
        loss.backward()
        losses.append(float(loss.detach()))
        start_state = None if next_state is None else detach_state(next_state)
    return losses, None if end_state is None else detach_state(end_state)
