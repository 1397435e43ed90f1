"""Hand-derived backpropagation through time for each cell, and truncation.

`run_bptt(cell, x, state, mask, on_backward)` runs one direction of one layer with the cell's
own `torch.autograd.Function`, whose backward is the reverse loop written out in
`bptt/elman.py`, `bptt/lstm.py` and `bptt/gru.py`. It serves the plain cells, and the LSTM with
layer norm, recurrent dropout and zoneout (`bptt/lstm_variants.py`, the fast path of those
variants). Not served: peepholes, projections, and variants of the Elman and GRU cells (their
recurrent dropout only in evaluation, where it is the identity).
"""

from __future__ import annotations

from torch import Tensor

from rnnkit.bptt.elman import ElmanBPTT
from rnnkit.bptt.gru import GRUBPTT
from rnnkit.bptt.lstm import LSTMBPTT
from rnnkit.bptt.lstm_variants import LSTMVariantBPTT
from rnnkit.bptt.truncation import Window, detach_state, truncated_bptt, windows
from rnnkit.cells import ElmanCell, GRUCell, LSTMCell, LSTMState

__all__ = [
    "ElmanBPTT",
    "GRUBPTT",
    "LSTMBPTT",
    "LSTMVariantBPTT",
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
    if isinstance(cell, LSTMCell):
        if cell.proj_size:
            return "proj_size"
        return "peephole" if cell.peephole else None
    reason = cell.unfusable_reason()
    return None if reason is None else f"{reason} (the bptt backend serves variants of the LSTM only)"


def _zoneout_weights(p: float, cell, like: Tensor):
    """Zoneout's keep-previous weights: None, time-major Bernoulli masks (T, B, ·) in training,
    p in evaluation."""
    if p == 0.0:
        return None
    return like.bernoulli(p) if cell.training else p


def run_bptt(cell, x: Tensor, state, mask: Tensor | None, on_backward=None):
    """x (B, T, D), the cell's state, mask (B, T, 1) bool or None -> (outputs, final state).

    `on_backward`, if given, is called during backward() with {"h": (B, T)} (and "c" for an
    LSTM): the norm of ∂L/∂state at every step.
    """
    reason = bptt_unsupported_reason(cell)
    if reason is not None:
        raise ValueError(f"backend='bptt' cannot serve this cell: {reason}")
    weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    if isinstance(cell, LSTMCell) and cell.unfusable_reason() is not None:
        gx = cell.input_projection(x)  # (B, T, 4H), autograd's part: one batched operation
        B, T, _ = x.shape
        ln = (cell.ln_hh.weight, cell.ln_c.weight, cell.ln_c.bias) if cell.layer_norm else (None,) * 3
        out, h, c = LSTMVariantBPTT.apply(
            gx, state.h, state.c, mask, cell.weight_hh, cell.bias_hh, *ln, cell.draw_noise(B, x),
            _zoneout_weights(cell.zoneout, cell, state.h.new_empty(T, B, cell.hidden_size)),
            _zoneout_weights(cell.zoneout_c, cell, state.c.new_empty(T, B, cell.hidden_size)),
            on_backward,
        )
        return out, LSTMState(h, c)
    if isinstance(cell, LSTMCell):
        out, h, c = LSTMBPTT.apply(x, state.h, state.c, mask, *weights, on_backward)
        return out, LSTMState(h, c)
    if isinstance(cell, GRUCell):
        return GRUBPTT.apply(x, state, mask, *weights, on_backward)
    relu = cell.nonlinearity == "relu"
    return ElmanBPTT.apply(x, state, mask, *weights, relu, on_backward)
