"""What the hand-derived backward passes share.

Memory: the forward passes keep only the state sequence (h_t, and c_t for the LSTM); each step
of the reverse loop recomputes that step's gates from x_t and h_{t−1}, uses them, and lets them
go. Parameter gradients are running sums over the loop, so no (B, T, G·H) buffer is ever held.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


class ParameterGrads:
    """Running sums of the parameter gradients over the reverse loop.

    With a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh at every step t:
        ∂L/∂W_ih = Σ_t δa_t x_tᵀ        ∂L/∂b_ih = Σ_t δa_t
        ∂L/∂W_hh = Σ_t δa_t h_{t−1}ᵀ    ∂L/∂b_hh = Σ_t δa_t
    (for the GRU the δa of the two projections differ in the n block: `add` takes both).
    """

    def __init__(self, weight_ih: Tensor, weight_hh: Tensor, bias: bool) -> None:
        self.weight_ih = torch.zeros_like(weight_ih)
        self.weight_hh = torch.zeros_like(weight_hh)
        self.bias_ih = weight_ih.new_zeros(weight_ih.shape[0]) if bias else None
        self.bias_hh = weight_ih.new_zeros(weight_ih.shape[0]) if bias else None

    def add(self, da_ih: Tensor, da_hh: Tensor, x_t: Tensor, h_prev: Tensor) -> None:
        self.weight_ih.addmm_(da_ih.t(), x_t)
        self.weight_hh.addmm_(da_hh.t(), h_prev)
        if self.bias_ih is not None:
            self.bias_ih += da_ih.sum(0)
            self.bias_hh += da_ih.sum(0) if da_hh is da_ih else da_hh.sum(0)

    def as_tuple(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


def previous(S: Tensor, s0: Tensor, t: int) -> Tensor:
    """s_{t−1}: the state before step t (s0 at t = 0)."""
    return s0 if t == 0 else S[:, t - 1]


def input_part(x_t: Tensor, weight_ih: Tensor, bias_ih, bias_hh) -> Tensor:
    """W_ih x_t + b_ih + b_hh: the part of a_t that does not recur. Any leading shape."""
    a = F.linear(x_t, weight_ih, bias_ih)
    return a if bias_hh is None else a + bias_hh


def input_steps(x: Tensor, weight_ih: Tensor, bias_ih, bias_hh, chunk: int = 32):
    """Yield W_ih x_t + b_ih (+ b_hh) for t = 0, 1, …, computed `chunk` steps at a time: one
    matrix product per chunk, and never the whole (B, T, G·H) in memory."""
    for start in range(0, x.shape[1], chunk):
        yield from input_part(x[:, start : start + chunk], weight_ih, bias_ih, bias_hh).unbind(1)


def step_norm(delta: Tensor) -> Tensor:
    """‖δ‖ over units for each sequence: (B, ·) -> (B,)."""
    return torch.linalg.vector_norm(delta, dim=1)
