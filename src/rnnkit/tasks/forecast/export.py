"""The forecaster's graph for `rnnkit export`: a window of scaled history and the horizon's
known future inputs -> the head's outputs per horizon step, in scaled units (the run's
description file holds the scalers)."""

from __future__ import annotations

import torch

from rnnkit.tasks.base import Graph


def graphs(run) -> list[Graph]:
    model = run.model
    inputs = model.encoder.rnn.input_size

    def sample(batch: int, time: int, generator: torch.Generator):
        return (torch.randn(batch, time, inputs, generator=generator),
                torch.randn(batch, model.horizon, model.future, generator=generator))

    return [Graph("model", model, ("history", "future"), ("outputs",),
                  {"history": {0: "batch", 1: "time"}, "future": {0: "batch"}}, sample)]
