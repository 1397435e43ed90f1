"""What the hand-derived backward passes share: the parameter gradients, computed once
for all steps after the reverse loop, and the per-step bookkeeping of masks and norms."""

from __future__ import annotations

import torch
from torch import Tensor


def shifted(s0: Tensor, S: Tensor) -> Tensor:
    """The previous states s_{t−1} for t = 1..T: s0 followed by S without its last step."""
    return torch.cat([s0.unsqueeze(1), S[:, :-1]], dim=1)  # (B, T, ·)


def parameter_grads(needs, dA_ih: Tensor, dA_hh: Tensor, x: Tensor, S_prev: Tensor, weight_ih):
    """Gradients of the input, weights and biases from the pre-activation gradients.

    With a_t = W_ih x_t + b_ih + W_hh s_{t−1} + b_hh for every step t:
        ∂L/∂x_t  = W_ihᵀ δa_t
        ∂L/∂W_ih = Σ_t δa_t x_tᵀ        ∂L/∂b_ih = Σ_t δa_t
        ∂L/∂W_hh = Σ_t δa_t s_{t−1}ᵀ    ∂L/∂b_hh = Σ_t δa_t
    dA_ih, dA_hh (B, T, G·H) differ only for the GRU, whose reset gate scales part of W_hh h.
    Each sum over t is one matrix product over all B·T rows. `needs` says, for (x, W_ih, W_hh,
    b_ih, b_hh), which gradients are wanted. Returns them in that order, None where not wanted.
    """
    flat_ih = dA_ih.reshape(-1, dA_ih.shape[-1])  # (B·T, G·H)
    flat_hh = dA_hh.reshape(-1, dA_hh.shape[-1])
    dx = dA_ih @ weight_ih if needs[0] else None
    dW_ih = flat_ih.t() @ x.reshape(-1, x.shape[-1]) if needs[1] else None
    dW_hh = flat_hh.t() @ S_prev.reshape(-1, S_prev.shape[-1]) if needs[2] else None
    db_ih = flat_ih.sum(0) if needs[3] else None
    db_hh = flat_hh.sum(0) if needs[4] else None
    return dx, dW_ih, dW_hh, db_ih, db_hh


def input_preactivations(x: Tensor, weight_ih, bias_ih, bias_hh) -> Tensor:
    """W_ih x_t + b_ih + b_hh for all steps at once: the part of a_t that does not recur."""
    a = torch.nn.functional.linear(x, weight_ih, bias_ih)  # (B, T, G·H)
    return a if bias_hh is None else a + bias_hh


def step_norm(delta: Tensor) -> Tensor:
    """‖δ‖ over units for each sequence: (B, ·) -> (B,)."""
    return torch.linalg.vector_norm(delta, dim=1)
