"""The recogniser's graph for `rnnkit export`: padded feature frames (B, T, M) with their
lengths -> log-probabilities over the alphabet and blank (B, T // stack, C), the output
lengths, and the final recurrent state."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.state import state_leaves
from rnnkit.tasks.base import Graph, sample_lengths


class Acoustic(nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: Tensor, lengths: Tensor):
        log_probs, out_lengths, state = self.model(features, lengths)
        return (log_probs, out_lengths, *state_leaves(state))


def graphs(run) -> list[Graph]:
    model = run.model
    size = model.mean.shape[0]
    leaves = len(state_leaves(model.rnn.initial_state(1, like=model.head.weight)))

    def sample(batch: int, time: int, generator: torch.Generator):
        frames = time * model.stack  # `time` steps of the network
        features = torch.randn(batch, frames, size, generator=generator)
        return features, sample_lengths(batch, time, generator) * model.stack

    return [Graph("model", Acoustic(model), ("features", "lengths"),
                  ("log_probs", "output_lengths", *("h", "c")[:leaves]),
                  {"features": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}, sample)]
