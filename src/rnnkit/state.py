"""State trees and length masks: the mechanics every recurrent path shares, written once.

A cell's state is a tensor (Elman, GRU) or a named tuple of tensors (LSTM's `(h, c)`); the
helpers here treat both alike. Lengths (B,) say where each sequence of a padded batch ends.
"""

from __future__ import annotations

import torch
from torch import Tensor


def state_leaves(state) -> tuple:
    """The tensors of a state, in order: (h,) or (h, c); () for None."""
    if state is None:
        return ()
    return tuple(state) if isinstance(state, tuple) else (state,)


def state_from_leaves(template, leaves):
    """A state of `template`'s structure (its type, or a plain tensor) holding `leaves`."""
    if isinstance(template, tuple):
        return type(template)(*leaves)
    (leaf,) = leaves
    return leaf


def map_state(fn, *states):
    """Apply `fn` leafwise to one or more states of the same structure."""
    first = states[0]
    if isinstance(first, tuple):
        return type(first)(*(fn(*leaves) for leaves in zip(*states)))
    return fn(*states)


def detach_state(state):
    """The same state values with no gradient history (a tensor or a tuple of tensors)."""
    return map_state(lambda leaf: leaf.detach(), state)


def flatten_state(state) -> Tensor:
    """All of a state's values as one vector (B·H, or B·H + B·H for (h, c))."""
    return torch.cat([leaf.reshape(-1) for leaf in state_leaves(state)])


def unflatten_state(vector: Tensor, template):
    """The inverse of `flatten_state`, shaped like `template`."""
    leaves, offset = [], 0
    for leaf in state_leaves(template):
        leaves.append(vector[offset : offset + leaf.numel()].view_as(leaf))
        offset += leaf.numel()
    return state_from_leaves(template, leaves)


def where_state(mask: Tensor, new, old):
    """Per sequence: `new` where `mask` (B, 1) is True, else `old`."""
    return map_state(lambda n, o: torch.where(mask, n, o), new, old)


def stack_states(states: list):
    """Per-cell states (B, ·) -> the layer layout (L·K, B, ·)."""
    return map_state(lambda *leaves: torch.stack(leaves, 0), *states)


def unstack_states(state) -> list:
    """The layer layout (L·K, B, ·) -> a list of L·K per-cell states (B, ·)."""
    count = state_leaves(state)[0].shape[0]
    return [map_state(lambda leaf, k=k: leaf[k], state) for k in range(count)]


def length_mask(lengths: Tensor, steps: int) -> Tensor:
    """(B, T) bool: True where step t < lengths[b], i.e. inside the sequence."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]


def step_mask(lengths: Tensor, steps: int) -> Tensor:
    """(B, T, 1) bool: `length_mask` with a trailing axis, to broadcast over features."""
    return length_mask(lengths, steps)[:, :, None]


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
