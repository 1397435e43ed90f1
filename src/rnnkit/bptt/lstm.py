"""Backpropagation through time for the LSTM cell, derived by hand.

Forward (as `rnnkit.cells.LSTMCell`, gate order i, f, g, o):
    a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh = [a_i | a_f | a_g | a_o]
    i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g,    h_t = o ⊙ tanh(c_t)
The forward keeps only h_t and c_t per step (h_t is the output, so c_t is the only extra);
the backward recomputes each step's gates from x_t and h_{t−1} (one more matrix product per
step), which halves the memory of autograd's loop for about a third more arithmetic.

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

from rnnkit.bptt.common import ParameterGrads, input_part, input_steps, previous, step_norm


def gates(a_t):
    """i, f, g, o from the pre-activation a_t (B, 4H)."""
    a_i, a_f, a_g, a_o = a_t.chunk(4, dim=1)
    return torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)


class LSTMBPTT(torch.autograd.Function):
    """LSTM layer, one direction: (x, h0, c0, mask, W_ih, W_hh, b_ih, b_hh) -> (out, h_T, c_T)."""

    @staticmethod
    def forward(ctx, x, h0, c0, mask, weight_ih, weight_hh, bias_ih, bias_hh, on_backward):
        h, c = h0, c0
        cells, hiddens = [], []
        for t, a_in in enumerate(input_steps(x, weight_ih, bias_ih, bias_hh)):
            i, f, g, o = gates(torch.addmm(a_in, h, weight_hh.t()))
            c_new = f * c + i * g
            h_new = o * torch.tanh(c_new)
            if mask is not None:
                c_new = torch.where(mask[:, t], c_new, c)
                h_new = torch.where(mask[:, t], h_new, h)
            h, c = h_new, c_new
            cells.append(c)
            hiddens.append(h)
        C = torch.stack(cells, dim=1)  # (B, T, H)
        Hs = torch.stack(hiddens, dim=1)  # (B, T, H)
        ctx.save_for_backward(x, h0, c0, mask, weight_ih, weight_hh, bias_ih, bias_hh, C, Hs)
        ctx.on_backward = on_backward
        out = Hs if mask is None else Hs * mask
        return out, h.clone(), c.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT, d_cT):
        x, h0, c0, mask, weight_ih, weight_hh, bias_ih, bias_hh, C, Hs = ctx.saved_tensors
        grads = ParameterGrads(weight_ih, weight_hh, bias_ih is not None)
        dx = torch.empty_like(x)
        norms_h, norms_c = [], []
        delta_h, delta_c = d_hT.clone(), d_cT.clone()
        for t in reversed(range(x.shape[1])):
            m_t = None if mask is None else mask[:, t]
            delta_h = delta_h + (d_out[:, t] if m_t is None else d_out[:, t] * m_t)
            norms_h.append(step_norm(delta_h))
            h_prev, c_prev = previous(Hs, h0, t), previous(C, c0, t)
            a_t = torch.addmm(input_part(x[:, t], weight_ih, bias_ih, bias_hh), h_prev, weight_hh.t())
            i, f, g, o = gates(a_t)  # recomputed
            tanh_c = torch.tanh(C[:, t])
            dh = delta_h if m_t is None else delta_h * m_t  # the part that enters this step
            dc = delta_c if m_t is None else delta_c * m_t
            delta_o = dh * tanh_c
            dc = dc + dh * o * (1 - tanh_c * tanh_c)
            norms_c.append(step_norm(dc if m_t is None else dc + delta_c * ~m_t))  # total ∂L/∂c_t
            delta_i = dc * g
            delta_g = dc * i
            delta_f = dc * c_prev
            da = torch.cat(
                [delta_i * i * (1 - i), delta_f * f * (1 - f), delta_g * (1 - g * g),
                 delta_o * o * (1 - o)],
                dim=1,
            )
            grads.add(da, da, x[:, t], h_prev)
            dx[:, t] = da @ weight_ih  # W_ihᵀ δa_t
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
        return (dx, delta_h, delta_c, None, *grads.as_tuple(), None)
