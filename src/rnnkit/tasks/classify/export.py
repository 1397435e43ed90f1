"""The classifier's graph for `rnnkit export`: padded token ids (texts) or channels (series)
with their lengths -> class scores."""

from __future__ import annotations

import torch

from rnnkit.tasks.base import Graph, sample_lengths


def graphs(run) -> list[Graph]:
    model = run.model

    def sample(batch: int, time: int, generator: torch.Generator):
        if model.text:
            x = torch.randint(0, model.embedding.num_embeddings, (batch, time), generator=generator)
        else:
            x = torch.randn(batch, time, model.rnn.input_size, generator=generator)
        return x, sample_lengths(batch, time, generator)

    return [Graph("model", model, ("inputs", "lengths"), ("logits",),
                  {"inputs": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}, sample)]
