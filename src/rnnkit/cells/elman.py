"""The Elman recurrent cell: the textbook RNN step."""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.cells.base import RecurrentCell
from rnnkit.checks import check_choice

NONLINEARITIES = ("tanh", "relu")


class ElmanCell(RecurrentCell):
    """Elman RNN step, `s_t = f(U x_t + W s_{t−1} + b)`, f = tanh or relu.

    Equations (U = `weight_ih`, W = `weight_hh`, b = `bias_ih` + `bias_hh`):
        a_t = U x_t + b_ih + W s_prev + b_hh          (LN variant: LN(U x_t) + b_ih + LN(W s_prev) + b_hh)
        s_t = f(a_t)
    The output layer `o_t = g(V s_t)` belongs to the model head, not to the cell.

    Shapes: x_t (B, D); s_prev, s_t (B, H); weight_ih (H, D); weight_hh (H, H).
    Same parameters as `torch.nn.RNNCell`. `init="identity"` with `nonlinearity="relu"` is the
    IRNN of Le et al. (2015).
    """

    num_gates = 1

    def __init__(
        self, input_size: int, hidden_size: int, *, nonlinearity: str = "tanh", **options
    ) -> None:
        super().__init__(input_size, hidden_size, **options)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        self.f = torch.tanh if nonlinearity == "tanh" else torch.relu
        self.reset_parameters()

    @property
    def squashing(self) -> dict:
        return {"s": "tanh"} if self.nonlinearity == "tanh" else {"s": "relu"}

    def activations(self, gi_t: Tensor, state: Tensor, noise: Tensor | None = None) -> dict:
        """The step's named quantities before zoneout: s (s_t = f(a_t))."""
        s_prev = state
        s_in = s_prev if noise is None else s_prev * noise  # recurrent dropout
        a_t = gi_t + self.recurrent_projection(s_in)  # (B, H)
        return {"s": self.f(a_t)}

    def step(self, gi_t: Tensor, state: Tensor, noise: Tensor | None = None):
        """One step from the input projection gi_t = U x_t + b_ih (see `forward`)."""
        s_t = self.zone(self.activations(gi_t, state, noise)["s"], state, self.zoneout)
        return s_t, s_t
