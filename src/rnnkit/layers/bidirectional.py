"""`Bidirectional(forward_rnn, backward_rnn, merge)`: two directions built by composition."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.cells.base import output_size
from rnnkit.checks import check_choice
from rnnkit.layers.recurrent import Recurrent

MERGES = ("concat", "sum", "mean")


def merge_directions(forward_out: Tensor, backward_out: Tensor, merge: str) -> Tensor:
    """(B, T, R) twice -> (B, T, 2R) for "concat", (B, T, R) for "sum" and "mean"."""
    if merge == "concat":
        return torch.cat([forward_out, backward_out], dim=-1)
    total = forward_out + backward_out
    return total if merge == "sum" else total * 0.5


class Bidirectional(nn.Module):
    """Runs `forward_rnn` left to right and `backward_rnn` right to left, merges the outputs.

    `forward(x, lengths, state=(forward_state, backward_state), ...)` -> merged outputs and the
    pair of final states. The backward direction starts at each sequence's own last valid step.
    """

    def __init__(self, forward_rnn: Recurrent, backward_rnn: Recurrent, merge: str = "concat"):
        super().__init__()
        if forward_rnn.reverse or not backward_rnn.reverse:
            raise ValueError("Bidirectional needs a forward Recurrent and a reverse=True Recurrent")
        self.forward_rnn = forward_rnn
        self.backward_rnn = backward_rnn
        self.merge = check_choice("merge", merge, MERGES)

    @property
    def output_size(self) -> int:
        size = output_size(self.forward_rnn.cell)
        return 2 * size if self.merge == "concat" else size

    def forward(self, x: Tensor, lengths=None, state=(None, None), *, key: str = "", **options):
        out_f, final_f = self.forward_rnn(x, lengths, state[0], key=f"{key}.forward", **options)
        out_b, final_b = self.backward_rnn(x, lengths, state[1], key=f"{key}.backward", **options)
        return merge_directions(out_f, out_b, self.merge), (final_f, final_b)
