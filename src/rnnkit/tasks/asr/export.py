"""The recogniser's graphs for `rnnkit export`: the whole model over padded feature frames
(B, T, M) with their lengths -> log-probabilities over the alphabet and blank
(B, T // stack, C), the output lengths and the final recurrent state. A unidirectional model
also gets its network over stacked steps (`steps`: what the model reads after stacking and
lookahead, (B, T', D)) and one step of it, `(x_t, state) -> (log_probs_t, state)`, for
streaming (the caller stacks frames as `AcousticModel.steps` and `with_lookahead` do)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.state import state_from_leaves, state_leaves
from rnnkit.tasks.base import Graph, sample_lengths


class Acoustic(nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: Tensor, lengths: Tensor):
        log_probs, out_lengths, state = self.model(features, lengths)
        return (log_probs, out_lengths, *state_leaves(state))


class Steps(nn.Module):
    """Stacked steps (B, T', D) with lengths -> log-probabilities (B, T', C), final state."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, steps: Tensor, lengths: Tensor):
        log_probs, _, state = self.model.recur(steps, lengths)
        return (log_probs, *state_leaves(state))


class Step(nn.Module):
    """One stacked step (B, D), h [, c] -> log-probabilities (B, C), the next state."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, step: Tensor, h: Tensor, c: Tensor | None = None):
        template = self.model.rnn.initial_state(1, like=self.model.head.weight)
        state = state_from_leaves(template, (h,) if c is None else (h, c))
        log_probs, _, state = self.model.recur(step[:, None], None, state)
        return (log_probs[:, 0], *state_leaves(state))


def graphs(run) -> list[Graph]:
    model = run.model
    size = model.mean.shape[0]
    width = model.rnn.input_size  # a stacked step with its lookahead
    names = ("h", "c")[: len(state_leaves(model.rnn.initial_state(1, like=model.head.weight)))]

    def sample(batch: int, time: int, generator: torch.Generator):
        frames = time * model.stack  # `time` steps of the network
        features = torch.randn(batch, frames, size, generator=generator)
        return features, sample_lengths(batch, time, generator) * model.stack

    found = [Graph("model", Acoustic(model), ("features", "lengths"),
                   ("log_probs", "output_lengths", *names),
                   {"features": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}, sample)]
    if model.rnn.bidirectional:
        return found  # it reads the whole recording: nothing to stream

    def initial_state(batch: int):
        with torch.no_grad():
            return tuple(state_leaves(model.rnn.initial_state(batch, like=model.head.weight)))

    def sample_steps(batch: int, time: int, generator: torch.Generator):
        return (torch.randn(batch, time, width, generator=generator),
                sample_lengths(batch, time, generator))

    def sample_step(batch: int, time: int, generator: torch.Generator):
        return (torch.randn(batch, width, generator=generator), *initial_state(batch))

    return found + [
        Graph("steps", Steps(model), ("steps", "lengths"), ("log_probs", *names),
              {"steps": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}, sample_steps),
        Graph("step", Step(model), ("step", *names),
              ("log_probs", *(f"{n}_next" for n in names)),
              {"step": {0: "batch"}, **{n: {1: "batch"} for n in names}}, sample_step,
              steps_of="steps", initial_state=initial_state,
              step_input=lambda inputs, t: (inputs[0][:, t],)),
    ]
