"""Backpropagation through time for the GRU cell (PyTorch's variant), derived by hand.

Forward (as `rnnkit.cells.GRUCell`, gate order r, z, n):
    gi = W_ih x_t + b_ih = [gi_r | gi_z | gi_n],   gh = W_hh h_{t−1} + b_hh = [gh_r | gh_z | gh_n]
    r = σ(gi_r + gh_r),   z = σ(gi_z + gh_z),   n = tanh(gi_n + r ⊙ gh_n)
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
The forward keeps r, z, n, gh_n and h_t per step (5H numbers).

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

from rnnkit.bptt.common import parameter_grads, shifted, step_norm


class GRUBPTT(torch.autograd.Function):
    """GRU layer, one direction: (x, h0, mask, W_ih, W_hh, b_ih, b_hh) -> (outputs, h_T)."""

    @staticmethod
    def forward(ctx, x, h0, mask, weight_ih, weight_hh, bias_ih, bias_hh, on_backward):
        gi_all = F.linear(x, weight_ih, bias_ih)  # (B, T, 3H)
        h = h0
        cache, hiddens = [], []
        for t in range(x.shape[1]):
            gi_r, gi_z, gi_n = gi_all[:, t].chunk(3, dim=1)
            gh_r, gh_z, gh_n = F.linear(h, weight_hh, bias_hh).chunk(3, dim=1)
            r = torch.sigmoid(gi_r + gh_r)
            z = torch.sigmoid(gi_z + gh_z)
            n = torch.tanh(gi_n + r * gh_n)
            h_new = (1 - z) * n + z * h
            h = h_new if mask is None else torch.where(mask[:, t], h_new, h)
            cache.append(torch.cat([r, z, n, gh_n], dim=1))
            hiddens.append(h)
        K = torch.stack(cache, dim=1)  # (B, T, 4H): r, z, n, gh_n
        Hs = torch.stack(hiddens, dim=1)  # (B, T, H)
        ctx.save_for_backward(x, h0, mask, weight_ih, weight_hh, K, Hs)
        ctx.on_backward = on_backward
        out = Hs if mask is None else Hs * mask
        return out, h.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT):
        x, h0, mask, weight_ih, weight_hh, K, Hs = ctx.saved_tensors
        B, T, H = Hs.shape
        H_prev = shifted(h0, Hs)
        dGI = x.new_empty(B, T, 3 * H)  # δgi_t
        dGH = x.new_empty(B, T, 3 * H)  # δgh_t
        norms = []
        delta_h = d_hT.clone()
        for t in reversed(range(T)):
            m_t = None if mask is None else mask[:, t]
            delta_h = delta_h + (d_out[:, t] if m_t is None else d_out[:, t] * m_t)
            norms.append(step_norm(delta_h))
            r, z, n, gh_n = K[:, t].chunk(4, dim=1)
            dh = delta_h if m_t is None else delta_h * m_t  # the part that enters this step
            delta_n = dh * (1 - z)
            delta_z = dh * (H_prev[:, t] - n)
            delta_a_n = delta_n * (1 - n * n)
            delta_gh_n = delta_a_n * r
            delta_r = delta_a_n * gh_n
            delta_a_r = delta_r * r * (1 - r)
            delta_a_z = delta_z * z * (1 - z)
            dGI[:, t] = torch.cat([delta_a_r, delta_a_z, delta_a_n], dim=1)
            dGH[:, t] = torch.cat([delta_a_r, delta_a_z, delta_gh_n], dim=1)
            through = dh * z + dGH[:, t] @ weight_hh  # z ⊙ δh_t + W_hhᵀ δgh_t
            delta_h = through if m_t is None else through + delta_h * ~m_t
        if ctx.on_backward is not None:
            ctx.on_backward({"h": torch.stack(norms[::-1], dim=1)})
        needs = [ctx.needs_input_grad[k] for k in (0, 3, 4, 5, 6)]
        dx, dW_ih, dW_hh, db_ih, db_hh = parameter_grads(needs, dGI, dGH, x, H_prev, weight_ih)
        return dx, delta_h, None, dW_ih, dW_hh, db_ih, db_hh, None
