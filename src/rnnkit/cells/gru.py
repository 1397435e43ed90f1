"""The gated recurrent unit."""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.cells.base import RecurrentCell


class GRUCell(RecurrentCell):
    """Gated recurrent unit, PyTorch's variant (reset gate applied after the matmul).

    Equations:
        r   = σ(W_ir x_t + b_ir + W_hr h_prev + b_hr)
        z   = σ(W_iz x_t + b_iz + W_hz h_prev + b_hz)
        n   = tanh(W_in x_t + b_in + r ⊙ (W_hn h_prev + b_hn))
        h_t = (1 − z) ⊙ n + z ⊙ h_prev
    Cho et al. (2014) apply r before the matmul, `W_hn (r ⊙ h_prev)`; cuDNN and PyTorch apply it
    after, as here, so a trained cell runs on their fused kernels unchanged.
    With layer normalisation the two projections become LN(W_i· x_t) + b_i· and LN(W_h· h) + b_h·.

    Shapes: x_t (B, D); h_prev, h_t (B, H); weight_ih (3H, D) rows [r | z | n]; weight_hh (3H, H).
    """

    num_gates = 3

    def __init__(self, input_size: int, hidden_size: int, **options) -> None:
        super().__init__(input_size, hidden_size, **options)
        self.reset_parameters()

    squashing = {"r": "sigmoid", "z": "sigmoid", "n": "tanh"}

    def activations(self, gi: Tensor, state: Tensor, noise: Tensor | None = None) -> dict:
        """The step's named quantities before zoneout: r, z, n and h (h_t)."""
        h_prev = state
        h_in = h_prev if noise is None else h_prev * noise  # recurrent dropout
        gh = self.recurrent_projection(h_in)  # (B, 3H)
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h_t = (1 - z) * n + z * h_prev
        return {"r": r, "z": z, "n": n, "h": h_t}

    def step(self, gi: Tensor, state: Tensor, noise: Tensor | None = None):
        """One step from the input projection gi = W_ih x_t + b_ih (see `forward`)."""
        h_t = self.zone(self.activations(gi, state, noise)["h"], state, self.zoneout)
        return h_t, h_t
