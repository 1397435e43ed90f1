"""The long short-term memory cell."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.cells.base import RecurrentCell
from rnnkit.checks import check_probability, check_size


class LSTMState(NamedTuple):
    """LSTM state: `h` (…, B, R) and `c` (…, B, H), R = proj_size or H."""

    h: Tensor
    c: Tensor


class LSTMCell(RecurrentCell):
    """Long short-term memory step, gate order i, f, g, o (as PyTorch and cuDNN).

    Equations:
        i   = σ(W_ii x_t + b_ii + W_hi h_prev + b_hi [+ w_ci ⊙ c_prev])
        f   = σ(W_if x_t + b_if + W_hf h_prev + b_hf [+ w_cf ⊙ c_prev])
        g   = tanh(W_ig x_t + b_ig + W_hg h_prev + b_hg)
        c_t = f ⊙ c_prev + i ⊙ g
        o   = σ(W_io x_t + b_io + W_ho h_prev + b_ho [+ w_co ⊙ c_t])
        h_t = o ⊙ tanh(c_t)                          [h_t = W_hr (o ⊙ tanh(c_t)) with proj_size]
    Bracketed terms are the peephole connections (Gers & Schmidhuber 2000), `peephole_weight`
    rows [w_ci | w_cf | w_co]. Layer normalisation (Ba et al. 2016) normalises the two
    projections and the cell: LN(W_i· x_t) + b_i·, LN(W_h· h_prev) + b_h·, h_t = o ⊙ tanh(LN(c_t)).

    Shapes: x_t (B, D); h (B, R); c (B, H); weight_ih (4H, D) rows [i | f | g | o];
    weight_hh (4H, R); weight_hr (R, H); R = proj_size if set, else H.
    `forget_bias` sets the total forget-gate bias b_if + b_hf (Jozefowicz et al. 2015); None keeps
    the scheme's own. `chrono` = T_max > 1 instead draws the chrono initialisation (Tallec &
    Ollivier 2018): b_f ~ log U(1, T_max − 1) per unit and b_i = −b_f, so that the units' memory
    times spread over 1 .. T_max steps (a forget gate σ(b_f) remembers for about e^{b_f} steps).
    """

    num_gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        proj_size: int = 0,
        peephole: bool = False,
        forget_bias: float | None = 1.0,
        chrono: int = 0,
        zoneout: float | tuple[float, float] = 0.0,
        **options,
    ) -> None:
        zoneout_h, zoneout_c = zoneout if isinstance(zoneout, tuple) else (zoneout, zoneout)
        self.proj_size = check_size("proj_size", proj_size, minimum=0)
        if proj_size >= hidden_size:
            raise ValueError(f"proj_size must be < hidden_size ({hidden_size}), got {proj_size}")
        super().__init__(
            input_size, hidden_size, recurrent_size=proj_size or None, zoneout=zoneout_h, **options
        )
        self.zoneout_c = check_probability("zoneout (cell)", zoneout_c)
        self.peephole = bool(peephole)
        self.forget_bias = forget_bias
        self.chrono = check_size("chrono", chrono, minimum=0)
        if self.chrono == 1:
            raise ValueError("chrono is the longest dependency in steps, > 1 (0: off), got 1")
        if self.proj_size:
            self.weight_hr = nn.Parameter(torch.empty(proj_size, hidden_size))
        if self.peephole:
            self.peephole_weight = nn.Parameter(torch.empty(3 * hidden_size))
        if self.layer_norm:
            self.ln_c = nn.LayerNorm(hidden_size)
        if self.learn_init:
            self.initial_c = nn.Parameter(torch.zeros(hidden_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        H = self.hidden_size
        with torch.no_grad():
            if self.proj_size:
                nn.init.uniform_(self.weight_hr, -(H**-0.5), H**-0.5)
            if self.peephole:
                self.peephole_weight.zero_()
            if self.bias and self.chrono:
                b_f = torch.empty(H).uniform_(1.0, self.chrono - 1.0).log_()
                self.bias_ih[H : 2 * H].copy_(b_f)
                self.bias_ih[:H].copy_(-b_f)
                self.bias_hh[: 2 * H].zero_()
            elif self.bias and self.forget_bias is not None:
                self.bias_ih[H : 2 * H].fill_(float(self.forget_bias))
                self.bias_hh[H : 2 * H].zero_()

    def init_state(self, batch: int, like: Tensor | None = None) -> LSTMState:
        like = self.weight_hh if like is None else like
        h = self.init_h(batch, like)
        if self.learn_init:
            c = self.initial_c.to(like.dtype).expand(batch, -1)
        else:
            c = like.new_zeros(batch, self.hidden_size)
        return LSTMState(h, c)

    def unfusable_reason(self) -> str | None:
        if self.peephole:
            return "peephole"
        if self.zoneout_c:
            return "zoneout"
        return super().unfusable_reason()

    squashing = {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o": "sigmoid", "tanh_c": "tanh"}

    def activations(self, gi_t: Tensor, state: LSTMState, noise: Tensor | None = None) -> dict:
        """The step's named quantities before zoneout: i, f, g, o, c (c_t), tanh_c, h (h_t)."""
        h_prev, c_prev = state
        h_in = h_prev if noise is None else h_prev * noise  # recurrent dropout
        gates = gi_t + self.recurrent_projection(h_in)  # (B, 4H)
        a_i, a_f, a_g, a_o = gates.chunk(4, dim=1)
        if self.peephole:
            w_ci, w_cf, w_co = self.peephole_weight.chunk(3)
            a_i = a_i + w_ci * c_prev
            a_f = a_f + w_cf * c_prev
        i = torch.sigmoid(a_i)
        f = torch.sigmoid(a_f)
        g = torch.tanh(a_g)
        c_t = f * c_prev + i * g
        if self.peephole:
            a_o = a_o + w_co * c_t
        o = torch.sigmoid(a_o)
        tanh_c = torch.tanh(self.ln_c(c_t) if self.layer_norm else c_t)
        h_t = o * tanh_c
        if self.proj_size:
            h_t = F.linear(h_t, self.weight_hr)  # (B, R)
        return {"i": i, "f": f, "g": g, "o": o, "c": c_t, "tanh_c": tanh_c, "h": h_t}

    def step(self, gi_t: Tensor, state: LSTMState, noise: Tensor | None = None):
        """One step from the input projection gi_t = W_ih x_t + b_ih (see `forward`)."""
        a = self.activations(gi_t, state, noise)
        c_t = self.zone(a["c"], state.c, self.zoneout_c)
        h_t = self.zone(a["h"], state.h, self.zoneout)
        return h_t, LSTMState(h_t, c_t)
