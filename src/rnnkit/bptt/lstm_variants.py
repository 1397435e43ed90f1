"""BPTT for the LSTM variants: layer norm, recurrent dropout and zoneout, derived by hand.

This is the fast path of those variants: PyTorch's fused kernels cannot run them, and an
autograd loop records some forty small operations per step. Here the input side,
gx_t = LN(W_ih x_t) + b_ih for all t, is one batched operation left to autograd; the recurrence
runs without a graph. The backward recomputes every step's gates at once from the saved
states (batched over T), precomputes the local derivative factors, and leaves in the reverse
loop only what truly recurs: about fifteen operations per step. Weight gradients are
batched matrix products after the loop.

Forward (as `rnnkit.cells.LSTMCell` with layer_norm, recurrent_dropout, zoneout):
    u     = h_{t−1} ⊙ m                        m: the sequence's recurrent-dropout mask (or 1)
    v     = W_hh u,     v̂ = (v − μ_v)/σ_v      (no LN: the hat is the identity, γ_hh = 1)
    a_t   = gx_t + γ_hh ⊙ v̂ + b_hh = [a_i | a_f | a_g | a_o]
    i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
    c̃     = f ⊙ c_{t−1} + i ⊙ g,    ĉ = (c̃ − μ_c)/σ_c,    h̃ = o ⊙ tanh(γ_c ⊙ ĉ + β_c)
    c_t   = (1 − d^c_t) ⊙ c̃ + d^c_t ⊙ c_{t−1},    h_t = (1 − d^h_t) ⊙ h̃ + d^h_t ⊙ h_{t−1}
d_t: zoneout's Bernoulli(p) masks in training, the constant p in evaluation.
The forward keeps h_t, c_t and gx; the backward recomputes v, a_t and c̃ of all steps at once.

Backward, from t = T down to 1, with δh_t, δc_t the totals reaching h_t and c_t:
    δh̃ = (1 − d^h) ⊙ δh_t,   δc̃ = (1 − d^c) ⊙ δc_t,   δh_{t−1} ∋ d^h ⊙ δh_t,   δc_{t−1} ∋ d^c ⊙ δc_t
    δo = δh̃ ⊙ tanh(ĉ′),   δĉ′ = δh̃ ⊙ o ⊙ (1 − tanh²(ĉ′))           (ĉ′ = γ_c ⊙ ĉ + β_c)
    δγ_c += Σ δĉ′ ⊙ ĉ,   δβ_c += Σ δĉ′,   δc̃ += (1/σ_c)(δĉ − mean(δĉ) − ĉ ⊙ mean(δĉ ⊙ ĉ)),  δĉ = γ_c ⊙ δĉ′
    δi = δc̃ ⊙ g,   δg = δc̃ ⊙ i,   δf = δc̃ ⊙ c_{t−1},   δc_{t−1} ∋ δc̃ ⊙ f
    δa_t = [δi i(1−i) | δf f(1−f) | δg (1−g²) | δo o(1−o)]  = ∂L/∂gx_t,   δb_hh += Σ δa_t
    δγ_hh += Σ δa_t ⊙ v̂,   δv = (1/σ_v)(δv̂ − mean(δv̂) − v̂ ⊙ mean(δv̂ ⊙ v̂)),  δv̂ = γ_hh ⊙ δa_t
    δW_hh += δv uᵀ,   δh_{t−1} ∋ m ⊙ (W_hhᵀ δv)
The layer-norm lines are PyTorch's own fused kernels (`native_layer_norm` and its backward),
which compute exactly these formulas. Past a sequence's end (length mask 0) h and c are held.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from rnnkit.bptt.common import step_norm

_EPS = 1e-5
_layer_norm = torch.native_layer_norm
_layer_norm_backward = torch.ops.aten.native_layer_norm_backward


def _at(zone, t: int):
    """Zoneout weight at step t: None, the float itself, or the (B, H) mask of step t."""
    return zone if zone is None or isinstance(zone, float) else zone[t]


class LSTMVariantBPTT(torch.autograd.Function):
    """LSTM with LN / recurrent dropout / zoneout, one direction.

    (gx, h0, c0, length_mask, W_hh, b_hh, γ_hh, γ_c, β_c, drop_mask, zone_h, zone_c, on_backward)
    -> (outputs, h_T, c_T). γ_hh, γ_c, β_c are None without layer norm; zone_h, zone_c are None,
    a float (evaluation) or time-major (T, B, H) masks (training). Inside, every sequence tensor
    is time-major, so each step's slice is contiguous memory.
    """

    @staticmethod
    def forward(ctx, gx, h0, c0, mask, weight_hh, bias_hh, ln_hh, ln_c_w, ln_c_b, drop, zone_h,
                zone_c, on_backward):
        H = c0.shape[1]
        gxb = (gx if bias_hh is None else gx + bias_hh).transpose(0, 1).contiguous()  # (T, B, 4H)
        w_t = weight_hh.t()
        h, c = h0, c0
        cells, hiddens = [], []
        for t in range(gxb.shape[0]):
            v = (h if drop is None else h * drop).mm(w_t)  # (B, 4H)
            if ln_hh is not None:
                v = _layer_norm(v, (4 * H,), ln_hh, None, _EPS)[0]
            a_t = gxb[t] + v
            s = a_t.sigmoid()
            i, f, o = s[:, :H], s[:, H : 2 * H], s[:, 3 * H :]
            g = a_t[:, 2 * H : 3 * H].tanh()
            c_new = torch.addcmul(f * c, i, g)
            c_out = c_new if ln_c_w is None else _layer_norm(c_new, (H,), ln_c_w, ln_c_b, _EPS)[0]
            h_new = o * c_out.tanh()
            if zone_c is not None:
                c_new = torch.lerp(c_new, c, _at(zone_c, t))
            if zone_h is not None:
                h_new = torch.lerp(h_new, h, _at(zone_h, t))
            if mask is not None:
                c_new = torch.where(mask[:, t], c_new, c)
                h_new = torch.where(mask[:, t], h_new, h)
            h, c = h_new, c_new
            cells.append(c)
            hiddens.append(h)
        C, Hs = torch.stack(cells), torch.stack(hiddens)  # (T, B, H) each
        ctx.save_for_backward(gxb, h0, c0, mask, weight_hh, ln_hh, ln_c_w, ln_c_b, drop, C, Hs)
        ctx.zone, ctx.bias, ctx.on_backward = (zone_h, zone_c), bias_hh is not None, on_backward
        out = Hs.transpose(0, 1) if mask is None else Hs.transpose(0, 1) * mask
        return out.contiguous(), h.clone(), c.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hT, d_cT):
        gxb, h0, c0, mask, weight_hh, ln_hh, ln_c_w, ln_c_b, drop, C, Hs = ctx.saved_tensors
        zone_h, zone_c = ctx.zone
        T, B, H = C.shape
        d_out = d_out.transpose(0, 1).contiguous()  # (T, B, H)
        mask = None if mask is None else mask.transpose(0, 1).contiguous()  # (T, B, 1)
        dA = torch.empty_like(gxb)  # δa_t = ∂L/∂gx_t
        grads = {"W_hh": torch.zeros_like(weight_hh)}
        if ln_hh is not None:
            grads["ln_hh"] = torch.zeros_like(ln_hh)
        if ln_c_w is not None:
            grads["ln_c_w"], grads["ln_c_b"] = torch.zeros_like(ln_c_w), torch.zeros_like(ln_c_b)
        norms_h, norms_c = [], []
        delta_h, delta_c = d_hT.clone(), d_cT.clone()
        for start in reversed(range(0, T, _CHUNK)):
            end = min(start + _CHUNK, T)
            k = _Recomputed(gxb, h0, c0, C, Hs, weight_hh, ln_hh, ln_c_w, ln_c_b, drop, start, end)
            dV = torch.empty_like(k.V) if ln_hh is not None else dA[start:end]
            dC_out = torch.empty_like(k.C_new) if ln_c_w is not None else None
            for t in reversed(range(start, end)):
                j = t - start  # index inside the chunk
                m_t = None if mask is None else mask[t]
                delta_h = delta_h + (d_out[t] if m_t is None else d_out[t] * m_t)
                norms_h.append(step_norm(delta_h))
                dh = delta_h if m_t is None else delta_h * m_t
                dc = delta_c if m_t is None else delta_c * m_t
                keep_h, keep_c = _at(zone_h, t), _at(zone_c, t)
                dh_new = dh if keep_h is None else dh * (1 - keep_h)
                dc_new = dc if keep_c is None else dc * (1 - keep_c)
                d_c_out = dh_new * k.Q[j]
                if ln_c_w is not None:
                    dC_out[j] = d_c_out
                    d_c_out = _layer_norm_backward(d_c_out, k.C_new[j], (H,), k.c_mean[j],
                                                   k.c_rstd[j], ln_c_w, ln_c_b, _INPUT_ONLY)[0]
                dc_new = dc_new + d_c_out
                norms_c.append(step_norm(dc_new if m_t is None else dc_new + delta_c * ~m_t))
                da = torch.cat([dc_new, dc_new, dc_new, dh_new], dim=1).mul_(k.P[j])
                dA[t] = da
                if ln_hh is not None:
                    dV[j] = _layer_norm_backward(da, k.V[j], (4 * H,), k.v_mean[j], k.v_rstd[j],
                                                 ln_hh, None, _INPUT_ONLY)[0]
                through_h = dV[j].mm(weight_hh)
                if drop is not None:
                    through_h = through_h * drop
                through_c = dc_new * k.F[j]
                if keep_h is not None:
                    through_h = through_h + dh * keep_h
                if keep_c is not None:
                    through_c = through_c + dc * keep_c
                if m_t is not None:
                    through_h = through_h + delta_h * ~m_t
                    through_c = through_c + delta_c * ~m_t
                delta_h, delta_c = through_h, through_c
            grads["W_hh"].addmm_(dV.reshape(-1, 4 * H).t(), k.U.reshape(-1, H))
            if ln_hh is not None:
                grads["ln_hh"] += (dA[start:end] * (k.V - k.v_mean) * k.v_rstd).sum((0, 1))
            if ln_c_w is not None:
                grads["ln_c_w"] += (dC_out * (k.C_new - k.c_mean) * k.c_rstd).sum((0, 1))
                grads["ln_c_b"] += dC_out.sum((0, 1))
        if ctx.on_backward is not None:
            ctx.on_backward(
                {"h": torch.stack(norms_h[::-1], dim=1), "c": torch.stack(norms_c[::-1], dim=1)}
            )
        d_b_hh = dA.sum((0, 1)) if ctx.bias else None
        return (dA.transpose(0, 1), delta_h, delta_c, None, grads["W_hh"], d_b_hh,
                grads.get("ln_hh"), grads.get("ln_c_w"), grads.get("ln_c_b"), None, None, None, None)


_CHUNK = 16  # steps recomputed together: large enough to batch, small enough to stay in cache
_INPUT_ONLY = [True, False, False]


class _Recomputed:
    """The forward of steps [start, end) again, batched, with the local derivative factors:
    δa = [δc̃ | δc̃ | δc̃ | δh̃] ⊙ P  and  δĉ′ = δh̃ ⊙ Q."""

    def __init__(self, gxb, h0, c0, C, Hs, weight_hh, ln_hh, ln_c_w, ln_c_b, drop, start, end):
        H = C.shape[2]
        H_prev = Hs[start - 1 : end - 1] if start else torch.cat([h0.unsqueeze(0), Hs[: end - 1]])
        C_prev = C[start - 1 : end - 1] if start else torch.cat([c0.unsqueeze(0), C[: end - 1]])
        self.U = H_prev if drop is None else H_prev * drop  # (k, B, H)
        self.V = self.U @ weight_hh.t()  # (k, B, 4H)
        V_out = self.V
        if ln_hh is not None:
            V_out, self.v_mean, self.v_rstd = _layer_norm(self.V, (4 * H,), ln_hh, None, _EPS)
        A = gxb[start:end] + V_out
        S = A.sigmoid()
        I, self.F, O = S[..., :H], S[..., H : 2 * H], S[..., 3 * H :]
        G = A[..., 2 * H : 3 * H].tanh()
        self.C_new = torch.addcmul(self.F * C_prev, I, G)
        C_out = self.C_new
        if ln_c_w is not None:
            C_out, self.c_mean, self.c_rstd = _layer_norm(self.C_new, (H,), ln_c_w, ln_c_b, _EPS)
        TC = C_out.tanh()
        self.P = torch.cat(
            [G * I * (1 - I), C_prev * self.F * (1 - self.F), I * (1 - G * G), TC * O * (1 - O)], -1
        )
        self.Q = O * (1 - TC * TC)
