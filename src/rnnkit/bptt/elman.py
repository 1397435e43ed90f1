"""Backpropagation through time for the Elman cell, derived by hand.

Forward (as `rnnkit.cells.ElmanCell`, U = weight_ih, W = weight_hh):
    a_t = U x_t + W s_{t−1} + b,    s_t = f(a_t),    o_t = g(V s_t) in the model head.

Backward. Let δs_t = ∂L/∂s_t be the total gradient reaching s_t: from its own output and from
step t+1. Going from t = T down to 1:
    δs_t      = ∂L_t/∂s_t + Wᵀ δa_{t+1}              (the second term is δs_{t+1} ∂s_{t+1}/∂s_t)
    δa_t      = δs_t ⊙ f′(a_t),   f′ = 1 − s_t² (tanh) or [s_t > 0] (relu)
    ∂L/∂U     = Σ_t δa_t x_tᵀ,    ∂L/∂W = Σ_t δa_t s_{t−1}ᵀ,    ∂L/∂b = Σ_t δa_t
Unrolled, this is the textbook sum: ∂L/∂W = Σ_t Σ_{i≤t} ∂L_t/∂s_t (Π_{j=i}^{t−1} ∂s_{j+1}/∂s_j)
∂s_i/∂W with ∂s_{j+1}/∂s_j = diag(f′(a_{j+1})) W; the reverse loop computes it in O(T).
∂L/∂V = Σ_t δo_t s_tᵀ belongs to the head, whose gradient autograd computes.
Past a sequence's end (mask m_t = 0) the state is held: δ passes through unchanged, δa_t = 0.
The forward keeps only s_t: f′ is a function of s_t, so nothing is recomputed.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from rnnkit.bptt.common import ParameterGrads, input_steps, previous, step_norm


class ElmanBPTT(torch.autograd.Function):
    """Elman layer, one direction: (x, s0, mask, U, W, b_ih, b_hh) -> (outputs, s_T)."""

    @staticmethod
    def forward(ctx, x, s0, mask, weight_ih, weight_hh, bias_ih, bias_hh, relu, on_backward):
        f = torch.relu if relu else torch.tanh
        s = s0
        states = []
        for t, a_in in enumerate(input_steps(x, weight_ih, bias_ih, bias_hh)):
            s_new = f(torch.addmm(a_in, s, weight_hh.t()))  # s_t = f(a_t)
            s = s_new if mask is None else torch.where(mask[:, t], s_new, s)
            states.append(s)
        S = torch.stack(states, dim=1)  # (B, T, H)
        ctx.save_for_backward(x, s0, mask, weight_ih, weight_hh, S)
        ctx.relu, ctx.bias, ctx.on_backward = relu, bias_ih is not None, on_backward
        out = S if mask is None else S * mask
        return out, s.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_sT):
        x, s0, mask, weight_ih, weight_hh, S = ctx.saved_tensors
        grads = ParameterGrads(weight_ih, weight_hh, ctx.bias)
        dx = torch.empty_like(x)
        norms = []
        delta_s = d_sT.clone()  # δs_T from the final state
        for t in reversed(range(x.shape[1])):
            m_t = None if mask is None else mask[:, t]
            delta_s = delta_s + (d_out[:, t] if m_t is None else d_out[:, t] * m_t)
            norms.append(step_norm(delta_s))
            s_t = S[:, t]
            f_prime = (s_t > 0).to(s_t.dtype) if ctx.relu else 1 - s_t * s_t
            delta_a = delta_s * f_prime if m_t is None else delta_s * f_prime * m_t
            s_prev = previous(S, s0, t)
            grads.add(delta_a, delta_a, x[:, t], s_prev)
            dx[:, t] = delta_a @ weight_ih  # Uᵀ δa_t
            through = delta_a @ weight_hh  # Wᵀ δa_t: what reaches s_{t−1} from step t
            delta_s = through if m_t is None else through + delta_s * ~m_t
        if ctx.on_backward is not None:
            ctx.on_backward({"h": torch.stack(norms[::-1], dim=1)})
        return (dx, delta_s, None, *grads.as_tuple(), None, None)
