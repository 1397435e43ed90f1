"""What every cell shares: options, initialisation, initial state and the noise of the variants.

A cell computes one time step. The subclasses (`ElmanCell`, `LSTMCell`, `GRUCell`) hold the
equations; this module holds the mechanics they have in common, once:

- parameters named and shaped as PyTorch's cells: `weight_ih` (G·H, D), `weight_hh` (G·H, R),
  `bias_ih`, `bias_hh` (G·H,), where G is the number of gate blocks and R the size of the
  recurrent state `h` (H, or the projection size P for a projected LSTM);
- initialisation schemes (`INIT_SCHEMES`);
- layer normalisation of the two projections: `LN(W_ih x_t) + b_ih` and `LN(W_hh h) + b_hh`;
- recurrent (variational) dropout: one mask per sequence on `h_prev` before `W_hh`, drawn by
  `draw_noise` once and passed to every step;
- zoneout: `h_t = d ⊙ h_prev + (1 − d) ⊙ h_new`, d ~ Bernoulli(p) per unit and step in training,
  the expectation `p h_prev + (1 − p) h_new` in evaluation (Krueger et al. 2016);
- a learnable initial state.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.checks import check_choice, check_probability, check_size

INIT_SCHEMES = ("default", "xavier", "orthogonal", "identity")


class RecurrentCell(nn.Module):
    """Base of the cells: parameters, initialisation, state and variant noise.

    Subclasses set `num_gates` (G) and implement `step(gi_t, state, noise=None)`, returning
    `(h_t, state_t)` from the input projection gi_t = W_ih x_t + b_ih. `forward(x_t, state,
    noise)` is the cell's step from x_t; the time loop projects all steps' inputs at once
    (one matrix product) and calls `step`, which is the same computation.
    """

    num_gates: int = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        bias: bool = True,
        recurrent_size: int | None = None,
        init: str = "default",
        layer_norm: bool = False,
        recurrent_dropout: float = 0.0,
        zoneout: float = 0.0,
        learn_init: bool = False,
    ) -> None:
        super().__init__()
        self.input_size = check_size("input_size", input_size)
        self.hidden_size = check_size("hidden_size", hidden_size)
        self.recurrent_size = recurrent_size or hidden_size  # R: the size of h
        self.bias = bool(bias)
        self.init = check_choice("init", init, INIT_SCHEMES)
        self.layer_norm = bool(layer_norm)
        self.recurrent_dropout = check_probability("recurrent_dropout", recurrent_dropout)
        self.zoneout = check_probability("zoneout", zoneout)
        self.learn_init = bool(learn_init)

        gates = self.num_gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gates, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates, self.recurrent_size))
        if self.bias:
            self.bias_ih = nn.Parameter(torch.empty(gates))
            self.bias_hh = nn.Parameter(torch.empty(gates))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        if self.layer_norm:
            self.ln_ih = nn.LayerNorm(gates, elementwise_affine=True, bias=False)
            self.ln_hh = nn.LayerNorm(gates, elementwise_affine=True, bias=False)
        if self.learn_init:
            self.initial_h = nn.Parameter(torch.zeros(self.recurrent_size))

    # ----------------------------------------------------------------- initialisation
    def reset_parameters(self) -> None:
        """Initialise by `self.init`; subclasses add their own (e.g. the forget-gate bias)."""
        H = self.hidden_size
        bound = 1.0 / math.sqrt(H)
        with torch.no_grad():
            if self.init == "default":  # PyTorch's: U(−1/√H, 1/√H) for every weight and bias
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    param = getattr(self, name)
                    if param is not None:
                        param.uniform_(-bound, bound)
            else:
                for block in self.weight_ih.split(H):
                    if self.init == "identity":  # Le et al. 2015: small Gaussian input weights
                        block.normal_(0.0, 1e-3)
                    else:
                        nn.init.xavier_uniform_(block)
                for block in self.weight_hh.split(H):
                    if self.init == "xavier":
                        nn.init.xavier_uniform_(block)
                    elif self.init == "orthogonal":
                        nn.init.orthogonal_(block)
                    else:  # identity recurrent matrix (IRNN)
                        block.copy_(torch.eye(H, self.recurrent_size))
                if self.bias:
                    self.bias_ih.zero_()
                    self.bias_hh.zero_()

    def forward(self, x_t: Tensor, state, noise: Tensor | None = None):
        """One step: x_t (B, D) and the previous state -> (h_t, state_t)."""
        return self.step(self.input_projection(x_t), state, noise)

    def step(self, gi_t: Tensor, state, noise: Tensor | None = None):
        raise NotImplementedError

    def activations(self, gi_t: Tensor, state, noise: Tensor | None = None) -> dict:
        """Every named quantity of one step (gates, candidate states), for the diagnosis;
        `squashing` names the ones that saturate and how ("sigmoid", "tanh", "relu")."""
        raise NotImplementedError

    # ----------------------------------------------------------------- projections
    def input_projection(self, x: Tensor) -> Tensor:
        """`W_ih x + b_ih`, or `LN(W_ih x) + b_ih`; any leading shape, last dim D -> G·H."""
        if not self.layer_norm:
            return F.linear(x, self.weight_ih, self.bias_ih)
        out = self.ln_ih(F.linear(x, self.weight_ih))
        return out if self.bias_ih is None else out + self.bias_ih

    def recurrent_projection(self, h: Tensor) -> Tensor:
        """`W_hh h + b_hh`, or `LN(W_hh h) + b_hh`; (B, R) -> (B, G·H)."""
        if not self.layer_norm:
            return F.linear(h, self.weight_hh, self.bias_hh)
        out = self.ln_hh(F.linear(h, self.weight_hh))
        return out if self.bias_hh is None else out + self.bias_hh

    # ----------------------------------------------------------------- state and noise
    def init_h(self, batch: int, like: Tensor) -> Tensor:
        """Initial `h`: zeros, or the learned vector repeated over the batch.  # (B, R)"""
        if self.learn_init:
            return self.initial_h.to(like.dtype).expand(batch, -1)
        return like.new_zeros(batch, self.recurrent_size)

    def init_state(self, batch: int, like: Tensor | None = None):
        """The state before the first step, for a batch of `batch` sequences."""
        return self.init_h(batch, self.weight_hh if like is None else like)

    def draw_noise(self, batch: int, like: Tensor) -> Tensor | None:
        """Recurrent-dropout mask for one sequence batch (constant over time), or None.

        Inverted dropout: kept units are scaled by 1/(1 − p), so evaluation needs no mask.
        """
        if not (self.training and self.recurrent_dropout > 0.0):
            return None
        keep = 1.0 - self.recurrent_dropout
        mask = like.new_empty(batch, self.recurrent_size).bernoulli_(keep)
        return mask / keep  # (B, R)

    def zone(self, new: Tensor, prev: Tensor, p: float) -> Tensor:
        """Zoneout: keep each unit's previous value with probability `p`."""
        if p == 0.0:
            return new
        if self.training:
            keep_prev = torch.empty_like(new).bernoulli_(p)
            return torch.lerp(new, prev, keep_prev)
        return torch.lerp(new, prev, p)

    def unfusable_reason(self) -> str | None:
        """Why PyTorch's fused kernels cannot compute this cell now, or None if they can.

        Recurrent dropout is the identity in evaluation, so it only blocks while training.
        """
        if self.layer_norm:
            return "layer_norm"
        if self.zoneout:
            return "zoneout"
        if self.recurrent_dropout and self.training:
            return "recurrent_dropout (while training)"
        return None

    def extra_repr(self) -> str:
        parts = [f"{self.input_size}, {self.hidden_size}"]
        for name in ("layer_norm", "recurrent_dropout", "zoneout", "learn_init"):
            if getattr(self, name):
                parts.append(f"{name}={getattr(self, name)}")
        if not self.bias:
            parts.append("bias=False")
        return ", ".join(parts)


def output_size(cell) -> int:
    """The size of a cell's output h: `recurrent_size` (ours: the projection's size when it
    has one), or the `hidden_size` of a cell that obeys only the cell contract."""
    size = getattr(cell, "recurrent_size", None)
    return size if size is not None else cell.hidden_size
