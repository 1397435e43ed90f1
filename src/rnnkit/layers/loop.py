"""The reference path: a cell run step by step over time (any cell, any variant; autograd
does the gradients). Every other path (layers/backends.py) is checked against it."""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.cells.base import RecurrentCell
from rnnkit.state import where_state


def run_loop(cell: RecurrentCell, x: Tensor, state, mask: Tensor | None, observe=None):
    """The reference path: call the cell once per step.

    The input projections of all steps are one matrix product (`cell.input_projection`), then
    `cell.step` runs each step: the same computation as calling the cell on every x_t.
    x (B, T, D); mask (B, T, 1) bool or None. Past a sequence's end its state is held and its
    output is zero, so the final state is the state at the sequence's own last step.
    `observe(gi_t, state, m_t)`, if given, sees each step's input projection and the state it
    starts from (m_t (B, 1): which sequences are inside their length), e.g. for the diagnosis.
    A cell that obeys only the cell contract (no `step`) is called once per step instead.
    Returns outputs (B, T, R) and the final state.
    """
    B, T, _ = x.shape
    if hasattr(cell, "step"):  # ours: the input side of every step at once
        noise = cell.draw_noise(B, x)  # one recurrent-dropout mask for the whole sequence
        gi = cell.input_projection(x).unbind(1)  # T × (B, G·H); unbind: one gradient buffer

        def step_at(t: int, state):
            if observe is not None:
                observe(gi[t], state, None if mask is None else mask[:, t])
            return cell.step(gi[t], state, noise)
    else:  # a cell of the bare contract: forward(x_t, state) -> (h_t, state)

        def step_at(t: int, state):
            return cell(x[:, t], state)

    outputs = []
    for t in range(T):
        h_t, new_state = step_at(t, state)
        if mask is not None:
            m_t = mask[:, t]  # (B, 1)
            new_state = where_state(m_t, new_state, state)
            h_t = h_t * m_t
        state = new_state
        outputs.append(h_t)
    return torch.stack(outputs, dim=1), state
