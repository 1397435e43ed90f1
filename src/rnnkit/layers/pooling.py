"""Pooling a recurrent layer's outputs over time into one vector per sequence (many-to-one).

Modes: "last" (the final state of the last layer: for a bidirectional layer the forward
direction's state at each sequence's own last step beside the backward direction's state at its
first step), "mean" and "max" over the valid steps only, and "attention" (a learned additive
score per step, softmax over the valid steps, Bahdanau/Yang et al. style). Padding never changes
the result.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.checks import check_choice
from rnnkit.state import length_mask, state_leaves

POOLING = ("last", "mean", "max", "attention")


class Pooling(nn.Module):
    def __init__(self, mode: str, layer) -> None:
        super().__init__()
        self.mode = check_choice("pooling", mode, POOLING)
        self.directions = layer.num_directions
        if mode == "last":
            self.output_size = self.directions * layer.cells()[-1].recurrent_size
        else:
            self.output_size = layer.output_size
        if mode == "attention":
            self.score = nn.Sequential(nn.Linear(layer.output_size, layer.output_size), nn.Tanh(),
                                       nn.Linear(layer.output_size, 1, bias=False))
        self.weights: Tensor | None = None  # the last attention weights (B, T), for inspection

    def forward(self, outputs: Tensor, lengths: Tensor, final_state) -> Tensor:
        """outputs (B, T, F) zero past each length; lengths (B,); the layer's final state."""
        if self.mode == "last":
            h = state_leaves(final_state)[0]
            return h[-self.directions :].transpose(0, 1).reshape(h.shape[1], -1)
        valid = length_mask(lengths.to(outputs.device), outputs.shape[1])  # (B, T)
        if self.mode == "mean":
            total = (outputs * valid[..., None]).sum(1)
            return total / lengths.to(outputs.device, outputs.dtype)[:, None]
        if self.mode == "max":
            return outputs.masked_fill(~valid[..., None], float("-inf")).amax(1)
        scores = self.score(outputs).squeeze(-1).masked_fill(~valid, float("-inf"))
        self.weights = torch.softmax(scores, dim=1)
        return torch.einsum("bt,btf->bf", self.weights, outputs)
