"""Backpropagation through time for the GRU cell (PyTorch's variant), derived by hand.

Forward (as `rnnkit.cells.GRUCell`, gate order r, z, n):
    gi = W_ih x_t + b_ih = [gi_r | gi_z | gi_n],   gh = W_hh h_{t−1} + b_hh = [gh_r | gh_z | gh_n]
    r = σ(gi_r + gh_r),   z = σ(gi_z + gh_z),   n = tanh(gi_n + r ⊙ gh_n)
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
The forward keeps only h_t (the output); the backward recomputes each step's r, z, n and
gh_n from x_t and h_{t−1}.

Backward, from t = T down to 1, with δh_t = ∂L/∂h_t (own output and step t+1):
    δn = δh_t ⊙ (1 − z),      δz = δh_t ⊙ (h_{t−1} − n)
    δa_n = δn ⊙ (1 − n²),     δgh_n = δa_n ⊙ r,     δr = δa_n ⊙ gh_n
    δa_r = δr ⊙ r(1 − r),     δa_z = δz ⊙ z(1 − z)
    δgi = [δa_r | δa_z | δa_n],   δgh = [δa_r | δa_z | δgh_n]
    δh_{t−1} = z ⊙ δh_t + W_hhᵀ δgh
    ∂L/∂W_ih = Σ_t δgi_t x_tᵀ,   ∂L/∂W_hh = Σ_t δgh_t h_{t−1}ᵀ,   ∂L/∂b_ih = Σ δgi,   ∂L/∂b_hh = Σ δgh
The direct path z ⊙ δh_t is the GRU's gradient highway: with z near 1 the gradient is carried
back almost unchanged. Past a sequence's end (m_t = 0) h is held and δh passes through.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from rnnkit.bptt.common import ParameterGrads, input_steps, previous, step_norm


def gates(gi_t, h_prev, weight_hh, bias_hh):
    """r, z, n and gh_n = W_hn h_{t−1} + b_hn from gi_t (B, 3H) and h_{t−1}."""
    gi_r, gi_z, gi_n = gi_t.chunk(3, dim=1)
    gh_r, gh_z, gh_n = F.linear(h_prev, weight_hh, bias_hh).chunk(3, dim=1)
    r = torch.sigmoid(gi_r + gh_r)
    z = torch.sigmoid(gi_z + gh_z)
    n = torch.tanh(gi_n + r * gh_n)
    return r, z, n, gh_n


class GRUBPTT(torch.autograd.Function):
    """GRU layer, one direction: (x, h0, mask, W_ih, W_hh, b_ih, b_hh) -> (outputs, h_T)."""

    @staticmethod
    def forward(ctx, x, h0, mask, weight_ih, weight_hh, bias_ih, bias_hh, on_backward):
        h = h0
        hiddens = []
        for t, gi_t in enumerate(input_steps(x, weight_ih, bias_ih, None)):
            r, z, n, _ = gates(gi_t, h, weight_hh, bias_hh)
            h_new = (1 - z) * n + z * h
            h = h_new if mask is None else torch.where(mask[:, t], h_new, h)
            hiddens.append(h)
        Hs = torch.stack(hiddens, dim=1)  # (B, T, H)
        ctx.save_for_backward(x, h0, mask, weight_ih, weight_hh, bias_ih, bias_hh, Hs)
        ctx.on_backward = on_backward
        out = Hs if mask is None else Hs * mask
        return out, h.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT):
        x, h0, mask, weight_ih, weight_hh, bias_ih, bias_hh, Hs = ctx.saved_tensors
        grads = ParameterGrads(weight_ih, weight_hh, bias_ih is not None)
        dx = torch.empty_like(x)
        norms = []
        delta_h = d_hT.clone()
        for t in reversed(range(x.shape[1])):
            m_t = None if mask is None else mask[:, t]
            delta_h = delta_h + (d_out[:, t] if m_t is None else d_out[:, t] * m_t)
            norms.append(step_norm(delta_h))
            h_prev = previous(Hs, h0, t)
            r, z, n, gh_n = gates(F.linear(x[:, t], weight_ih, bias_ih), h_prev, weight_hh, bias_hh)
            dh = delta_h if m_t is None else delta_h * m_t  # the part that enters this step
            delta_n = dh * (1 - z)
            delta_z = dh * (h_prev - n)
            delta_a_n = delta_n * (1 - n * n)
            delta_gh_n = delta_a_n * r
            delta_r = delta_a_n * gh_n
            delta_a_r = delta_r * r * (1 - r)
            delta_a_z = delta_z * z * (1 - z)
            d_gi = torch.cat([delta_a_r, delta_a_z, delta_a_n], dim=1)
            d_gh = torch.cat([delta_a_r, delta_a_z, delta_gh_n], dim=1)
            grads.add(d_gi, d_gh, x[:, t], h_prev)
            dx[:, t] = d_gi @ weight_ih  # W_ihᵀ δgi_t
            through = dh * z + d_gh @ weight_hh  # z ⊙ δh_t + W_hhᵀ δgh_t
            delta_h = through if m_t is None else through + delta_h * ~m_t
        if ctx.on_backward is not None:
            ctx.on_backward({"h": torch.stack(norms[::-1], dim=1)})
        return (dx, delta_h, None, *grads.as_tuple(), None)
