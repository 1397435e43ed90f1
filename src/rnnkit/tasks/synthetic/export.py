"""The long-range benchmarks' graph for `rnnkit export`: a batch of sequences -> the head's
outputs (at the last step, or at every step)."""

from __future__ import annotations

import torch

from rnnkit.tasks.base import Graph


def graphs(run) -> list[Graph]:
    model = run.model

    def sample(batch: int, time: int, generator: torch.Generator):
        if model.tokens:
            return (torch.randint(0, model.input_size, (batch, time), generator=generator),)
        return (torch.randn(batch, time, model.input_size, generator=generator),)

    return [Graph("model", model, ("inputs",), ("outputs",), {"inputs": {0: "batch", 1: "time"}},
                  sample)]
