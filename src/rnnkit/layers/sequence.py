"""Shared sequence mechanics: state trees, masks from lengths, reversal within lengths.

A cell's state is a tensor (Elman, GRU) or a named tuple of tensors (LSTM's `(h, c)`); the
helpers here treat both alike, so the time loop and the stacks are written once.
"""

from __future__ import annotations

import torch
from torch import Tensor


def map_state(fn, *states):
    """Apply `fn` leafwise to one or more states of the same structure."""
    first = states[0]
    if isinstance(first, tuple):
        return type(first)(*(fn(*leaves) for leaves in zip(*states)))
    return fn(*states)


def where_state(mask: Tensor, new, old):
    """Per sequence: `new` where `mask` (B, 1) is True, else `old`."""
    return map_state(lambda n, o: torch.where(mask, n, o), new, old)


def stack_states(states: list):
    """Per-cell states (B, ·) -> the layer layout (L·K, B, ·)."""
    return map_state(lambda *leaves: torch.stack(leaves, 0), *states)


def unstack_states(state) -> list:
    """The layer layout (L·K, B, ·) -> a list of L·K per-cell states (B, ·)."""
    leaves = state if isinstance(state, tuple) else (state,)
    count = leaves[0].shape[0]
    return [map_state(lambda leaf, k=k: leaf[k], state) for k in range(count)]


def step_mask(lengths: Tensor, steps: int) -> Tensor:
    """(B, T, 1) bool: True where step t < lengths[b], i.e. inside the sequence."""
    return (torch.arange(steps, device=lengths.device) < lengths[:, None])[:, :, None]


def reverse_within_lengths(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each sequence of x (B, T, ...) in time within its own length; padding stays put.

    Its own inverse. Without `lengths` it is a plain flip of the time axis.
    """
    if lengths is None:
        return x.flip(1)
    T = x.shape[1]
    t = torch.arange(T, device=x.device)
    lengths = lengths.to(x.device)
    index = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # (B, T)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)
