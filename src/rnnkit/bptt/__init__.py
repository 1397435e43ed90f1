"""Hand-derived backpropagation through time for each cell, and truncation.

`run_bptt(cell, x, state, mask, on_backward)` runs one direction of one layer with the cell's
own `torch.autograd.Function`, whose backward is the reverse loop written out in
`bptt/elman.py`, `bptt/lstm.py` and `bptt/gru.py`. It serves the plain cells (no layer norm,
zoneout, peepholes or projection; recurrent dropout only in evaluation, where it is the identity).
"""

from __future__ import annotations

from torch import Tensor

from rnnkit.bptt.elman import ElmanBPTT
from rnnkit.bptt.gru import GRUBPTT
from rnnkit.bptt.lstm import LSTMBPTT
from rnnkit.bptt.truncation import Window, detach_state, truncated_bptt, windows
from rnnkit.cells import ElmanCell, GRUCell, LSTMCell, LSTMState

__all__ = [
    "ElmanBPTT",
    "GRUBPTT",
    "LSTMBPTT",
    "Window",
    "bptt_unsupported_reason",
    "detach_state",
    "run_bptt",
    "truncated_bptt",
    "windows",
]


def bptt_unsupported_reason(cell) -> str | None:
    """Why the hand-derived backward pass cannot serve this cell, or None if it can."""
    if not isinstance(cell, (ElmanCell, LSTMCell, GRUCell)):
        return f"no hand-derived backward for {type(cell).__name__}"
    if isinstance(cell, LSTMCell) and cell.proj_size:
        return "proj_size"
    return cell.unfusable_reason()


def run_bptt(cell, x: Tensor, state, mask: Tensor | None, on_backward=None):
    """x (B, T, D), the cell's state, mask (B, T, 1) bool or None -> (outputs, final state).

    `on_backward`, if given, is called during backward() with {"h": (B, T)} (and "c" for an
    LSTM): the norm of ∂L/∂state at every step.
    """
    reason = bptt_unsupported_reason(cell)
    if reason is not None:
        raise ValueError(f"backend='bptt' cannot serve this cell: {reason}")
    weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    if isinstance(cell, LSTMCell):
        out, h, c = LSTMBPTT.apply(x, state.h, state.c, mask, *weights, on_backward)
        return out, LSTMState(h, c)
    if isinstance(cell, GRUCell):
        return GRUBPTT.apply(x, state, mask, *weights, on_backward)
    relu = cell.nonlinearity == "relu"
    return ElmanBPTT.apply(x, state, mask, *weights, relu, on_backward)
