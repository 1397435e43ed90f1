"""The acoustic model: frames stacked `stack` at a time (the frame rate divided by `stack`,
as low-frame-rate CTC models do), each step beside the next `lookahead` steps (a
unidirectional model's look into the future: its latency, lookahead x stack x 10 ms), an
rnnkit recurrent layer (any cell, deep, bidirectional or not), and a linear layer to the
characters and CTC's blank. With global normalisation, the training set's mean and spread of
each feature are buffers of the model, so a stream of audio is normalised the same way as a
whole file."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AcousticModel(nn.Module):
    def __init__(self, config, input_size: int, labels: int) -> None:
        super().__init__()
        self.stack, self.lookahead = config.stack, config.lookahead
        self.global_normalisation = config.normalise == "global"
        self.register_buffer("mean", torch.zeros(input_size))
        self.register_buffer("spread", torch.ones(input_size))
        self.rnn = config.build(input_size * config.stack * (1 + config.lookahead))
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.rnn.output_size, labels)

    def output_lengths(self, lengths: Tensor) -> Tensor:
        return torch.div(lengths, self.stack, rounding_mode="floor")

    def steps(self, features: Tensor, lengths: Tensor | None = None) -> Tensor:
        """(B, T, M) -> (B, T // stack, stack·M): normalised (globally, if so), zero past each
        recording's end, stacked; the frames left over at the end are dropped."""
        if self.global_normalisation:
            features = (features - self.mean) / self.spread
            if lengths is not None:
                valid = torch.arange(features.shape[1], device=features.device)[None] < lengths[:, None]
                features = features * valid[..., None]
        B, T, M = features.shape
        steps = T // self.stack
        return features[:, : steps * self.stack].reshape(B, steps, self.stack * M)

    def with_lookahead(self, steps: Tensor) -> Tensor:
        """(B, T', S) -> (B, T', (1 + lookahead)·S): step t beside steps t+1 .. t+lookahead
        (zeros past the end)."""
        if not self.lookahead:
            return steps
        padded = torch.cat([steps, steps.new_zeros(steps.shape[0], self.lookahead, steps.shape[2])], 1)
        return torch.cat([padded[:, k : k + steps.shape[1]] for k in range(1 + self.lookahead)], -1)

    def forward(self, features: Tensor, lengths: Tensor | None = None, state=None):
        """features (B, T, M) -> (log-probabilities (B, T', C), lengths (B,), final state),
        T' = T // stack."""
        x = self.with_lookahead(self.steps(features, lengths))
        return self.recur(x, None if lengths is None else self.output_lengths(lengths), state)

    def recur(self, x: Tensor, lengths: Tensor | None = None, state=None):
        """Steps with their lookahead (B, T', D) -> (log-probabilities, lengths, final state);
        `state`: the recurrent state to start from (streaming)."""
        outputs, final = self.rnn(self.dropout(x), lengths, state)  # (B, T', K·H)
        logits = self.head(self.dropout(outputs))  # (B, T', C)
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)
        return logits.float().log_softmax(-1), lengths, final
