"""The acoustic model: frames stacked `stack` at a time (the frame rate divided by `stack`,
as low-frame-rate CTC models do), an rnnkit recurrent layer (any cell, deep, bidirectional or
not), and a linear layer to the characters and CTC's blank. With global normalisation, the
training set's mean and spread of each feature are buffers of the model, so a stream of
audio is normalised the same way as a whole file."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AcousticModel(nn.Module):
    def __init__(self, config, input_size: int, labels: int) -> None:
        super().__init__()
        self.stack = config.stack
        self.global_normalisation = config.normalise == "global"
        self.register_buffer("mean", torch.zeros(input_size))
        self.register_buffer("spread", torch.ones(input_size))
        self.rnn = config.build(input_size * config.stack)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.rnn.output_size, labels)

    def output_lengths(self, lengths: Tensor) -> Tensor:
        return torch.div(lengths, self.stack, rounding_mode="floor")

    def stacked(self, features: Tensor) -> Tensor:
        """(B, T, M) -> (B, T // stack, stack·M): the frames left over at the end are dropped."""
        B, T, M = features.shape
        steps = T // self.stack
        return features[:, : steps * self.stack].reshape(B, steps, self.stack * M)

    def forward(self, features: Tensor, lengths: Tensor | None = None, state=None):
        """features (B, T, M) -> (log-probabilities (B, T', C), lengths (B,), final state),
        T' = T // stack. `state`: the recurrent state to start from (streaming)."""
        if self.global_normalisation:
            features = (features - self.mean) / self.spread
        x = self.dropout(self.stacked(features))  # (B, T', stack·M)
        lengths = None if lengths is None else self.output_lengths(lengths)
        outputs, final = self.rnn(x, lengths, state)  # (B, T', K·H)
        logits = self.head(self.dropout(outputs))  # (B, T', C)
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)
        return logits.float().log_softmax(-1), lengths, final
