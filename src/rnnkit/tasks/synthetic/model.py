"""The network of the long-range benchmarks: inputs (real vectors, or token ids one-hot
encoded) -> rnnkit layer -> linear head, read at the last step or at every step."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.layers.config import RecurrentConfig


class SequenceModel(nn.Module):
    """Inputs (real vectors, or token ids one-hot encoded) -> rnnkit layer -> linear head,
    read at the last step (many-to-one) or at every step (many-to-many)."""

    def __init__(self, input_size: int, output_size: int, network: RecurrentConfig, *,
                 tokens: bool, every_step: bool, steps: int | None = None) -> None:
        """`steps`: the sequences' length (the dependency --chrono -1 initialises for)."""
        super().__init__()
        self.input_size, self.tokens, self.every_step = input_size, tokens, every_step
        self.rnn = network.build(input_size, steps)
        self.head = nn.Linear(self.rnn.output_size, output_size)

    def features(self, x: Tensor) -> Tensor:
        return F.one_hot(x, self.input_size).float() if self.tokens else x

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(self.features(x))
        return self.head(out if self.every_step else out[:, -1])
