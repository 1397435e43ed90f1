"""Backpropagation through time for the LSTM cell, derived by hand.

Forward (as `rnnkit.cells.LSTMCell`, gate order i, f, g, o):
    a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh = [a_i | a_f | a_g | a_o]
    i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g,    h_t = o ⊙ tanh(c_t)
The forward keeps only i, f, g, o, c_t and h_t per step (6H numbers); tanh(c_t) is recomputed.

Backward, from t = T down to 1, with δh_t = ∂L/∂h_t and δc_t = ∂L/∂c_t (totals: own output
and step t+1):
    δo    = δh_t ⊙ tanh(c_t)
    δc_t  = δc_t + δh_t ⊙ o ⊙ (1 − tanh²(c_t))
    δi    = δc_t ⊙ g,    δg = δc_t ⊙ i,    δf = δc_t ⊙ c_{t−1}
    δa_t  = [δi ⊙ i(1 − i) | δf ⊙ f(1 − f) | δg ⊙ (1 − g²) | δo ⊙ o(1 − o)]
    δh_{t−1} = W_hhᵀ δa_t   (+ ∂L_{t−1}/∂h_{t−1} at the next iteration)
    δc_{t−1} = δc_t ⊙ f
    ∂L/∂W_ih = Σ_t δa_t x_tᵀ,   ∂L/∂W_hh = Σ_t δa_t h_{t−1}ᵀ,   ∂L/∂b = Σ_t δa_t
Past a sequence's end (m_t = 0) h and c are held: δh and δc pass through, δa_t = 0.
The slow decay of δc through the product of forget gates, Π f, instead of through W_hh and
a squashing derivative, is why the LSTM keeps gradients alive over long spans.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from rnnkit.bptt.common import input_preactivations, parameter_grads, shifted, step_norm


class LSTMBPTT(torch.autograd.Function):
    """LSTM layer, one direction: (x, h0, c0, mask, W_ih, W_hh, b_ih, b_hh) -> (out, h_T, c_T)."""

    @staticmethod
    def forward(ctx, x, h0, c0, mask, weight_ih, weight_hh, bias_ih, bias_hh, on_backward):
        a_in = input_preactivations(x, weight_ih, bias_ih, bias_hh)  # (B, T, 4H)
        h, c = h0, c0
        gates, cells, hiddens = [], [], []
        for t in range(x.shape[1]):
            a_t = torch.addmm(a_in[:, t], h, weight_hh.t())
            a_i, a_f, a_g, a_o = a_t.chunk(4, dim=1)
            i, f, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o)
            g = torch.tanh(a_g)
            c_new = f * c + i * g
            h_new = o * torch.tanh(c_new)
            if mask is not None:
                c_new = torch.where(mask[:, t], c_new, c)
                h_new = torch.where(mask[:, t], h_new, h)
            h, c = h_new, c_new
            gates.append(torch.cat([i, f, g, o], dim=1))
            cells.append(c)
            hiddens.append(h)
        G = torch.stack(gates, dim=1)  # (B, T, 4H) post-activation gates
        C = torch.stack(cells, dim=1)  # (B, T, H)
        Hs = torch.stack(hiddens, dim=1)  # (B, T, H)
        ctx.save_for_backward(x, h0, c0, mask, weight_ih, weight_hh, G, C, Hs)
        ctx.on_backward = on_backward
        out = Hs if mask is None else Hs * mask
        return out, h.clone(), c.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT, d_cT):
        x, h0, c0, mask, weight_ih, weight_hh, G, C, Hs = ctx.saved_tensors
        T = x.shape[1]
        C_prev = shifted(c0, C)
        dA = torch.empty_like(G)  # δa_t, (B, T, 4H)
        norms_h, norms_c = [], []
        delta_h, delta_c = d_hT.clone(), d_cT.clone()
        for t in reversed(range(T)):
            m_t = None if mask is None else mask[:, t]
            delta_h = delta_h + (d_out[:, t] if m_t is None else d_out[:, t] * m_t)
            norms_h.append(step_norm(delta_h))
            norms_c.append(step_norm(delta_c))
            i, f, g, o = G[:, t].chunk(4, dim=1)
            tanh_c = torch.tanh(C[:, t])
            dh = delta_h if m_t is None else delta_h * m_t  # the part that enters this step
            dc = delta_c if m_t is None else delta_c * m_t
            delta_o = dh * tanh_c
            dc = dc + dh * o * (1 - tanh_c * tanh_c)
            delta_i = dc * g
            delta_g = dc * i
            delta_f = dc * C_prev[:, t]
            da = torch.cat(
                [delta_i * i * (1 - i), delta_f * f * (1 - f), delta_g * (1 - g * g),
                 delta_o * o * (1 - o)],
                dim=1,
            )
            dA[:, t] = da
            through_h = da @ weight_hh  # W_hhᵀ δa_t
            through_c = dc * f
            if m_t is None:
                delta_h, delta_c = through_h, through_c
            else:
                delta_h = through_h + delta_h * ~m_t
                delta_c = through_c + delta_c * ~m_t
        if ctx.on_backward is not None:
            ctx.on_backward(
                {"h": torch.stack(norms_h[::-1], dim=1), "c": torch.stack(norms_c[::-1], dim=1)}
            )
        needs = [ctx.needs_input_grad[k] for k in (0, 4, 5, 6, 7)]
        grads = parameter_grads(needs, dA, dA, x, shifted(h0, Hs), weight_ih)
        dx, dW_ih, dW_hh, db_ih, db_hh = grads
        return dx, delta_h, delta_c, None, dW_ih, dW_hh, db_ih, db_hh, None

