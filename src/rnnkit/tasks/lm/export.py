"""The language model's graphs for `rnnkit export`: the whole model over padded token ids with
their lengths, and one step `(token, state) -> (logits, state)` for generation and streaming."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.state import state_from_leaves, state_leaves
from rnnkit.tasks.base import Graph, sample_lengths


class Sequence(nn.Module):
    """tokens (B, T), lengths (B,) -> logits (B, T, V) (zero-state outputs past each end give
    the head's bias there), final state at each sequence's own end."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, tokens: Tensor, lengths: Tensor):
        out, state = self.model.rnn(self.model.embedding(tokens), lengths)  # (B, T, R)
        return (self.model.head(out), *state_leaves(state))


class Step(nn.Module):
    """token (B,), h (L, B, R) [, c (L, B, H) for an LSTM] -> logits (B, V), the next state."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, token: Tensor, h: Tensor, c: Tensor | None = None):
        leaves = (h,) if c is None else (h, c)
        template = self.model.rnn.initial_state(1, like=self.model.head.weight)
        out, state = self.model.rnn(self.model.embedding(token[:, None]),
                                    state=state_from_leaves(template, leaves))
        return (self.model.head(out[:, 0]), *state_leaves(state))


def state_names(model) -> tuple[str, ...]:
    template = model.rnn.initial_state(1, like=model.head.weight)
    return ("h", "c")[: len(state_leaves(template))]


def sample_tokens(vocab_size: int):
    def sample(batch: int, time: int, generator: torch.Generator):
        tokens = torch.randint(0, vocab_size, (batch, time), generator=generator)
        return tokens, sample_lengths(batch, time, generator)
    return sample


def graphs(run) -> list[Graph]:
    model = run.model
    names = state_names(model)
    vocab_size = model.head.out_features

    def initial_state(batch: int):
        with torch.no_grad():
            return tuple(state_leaves(model.rnn.initial_state(batch, like=model.head.weight)))

    def sample_step(batch: int, time: int, generator: torch.Generator):
        token = torch.randint(0, vocab_size, (batch,), generator=generator)
        return (token, *(leaf + 0.1 * torch.randn(leaf.shape, generator=generator)
                         for leaf in initial_state(batch)))

    state_axes = {name: {1: "batch"} for name in names}
    return [
        Graph("model", Sequence(model), ("tokens", "lengths"), ("logits", *names),
              {"tokens": {0: "batch", 1: "time"}, "lengths": {0: "batch"}},
              sample_tokens(vocab_size)),
        Graph("step", Step(model), ("token", *names), ("logits", *(f"{n}_next" for n in names)),
              {"token": {0: "batch"}, **state_axes}, sample_step, steps_of="model",
              initial_state=initial_state, step_input=lambda inputs, t: (inputs[0][:, t],)),
    ]
