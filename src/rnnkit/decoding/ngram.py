"""A character n-gram language model for CTC beam search, trained on a run's transcripts.

Symbols are the acoustic model's output indices: 1..V are characters and 0, CTC's blank
(which never appears in text), stands for the sentence boundary: each transcript is read as
(n - 1) boundaries, its characters, one boundary. Probabilities are interpolated absolute
discounting (Ney et al. 1994), order by order down to the uniform distribution:

    P_k(c | h) = max(N(h c) - D, 0) / N(h) + D · T(h) / N(h) · P_{k-1}(c | h')     if N(h) > 0
               = P_{k-1}(c | h')                                                   otherwise

with N counts, T(h) the number of distinct symbols seen after h, h' = h without its first
symbol. The whole table is kept dense, (S^(n-1), S) with S = V + 1, so a batch of beams looks
up all their next-symbol probabilities at once; the state of a prefix is the index of its last
n - 1 symbols in base S.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

BOUNDARY = 0
DISCOUNT = 0.5
LARGEST_TABLE = 30_000_000  # entries of the dense table (120 MB of float32)


class CharNgram:
    def __init__(self, order: int, symbols: int, counts: dict[int, int]) -> None:
        """`counts`: flat index of an n-gram (its n symbols in base `symbols`) -> count."""
        if order < 1:
            raise ValueError(f"an n-gram's order is at least 1, got {order}")
        if symbols ** order > LARGEST_TABLE:
            raise ValueError(f"a {order}-gram table over {symbols} symbols has {symbols ** order} "
                             f"entries, more than {LARGEST_TABLE}: choose a lower order")
        self.order, self.symbols, self.counts = order, symbols, dict(counts)
        self.log_table = torch.from_numpy(np.log(self._table())).float()  # (S^(n-1), S)

    @classmethod
    def train(cls, order: int, symbols: int, sequences: list[list[int]]) -> CharNgram:
        counts: dict[int, int] = {}
        for sequence in sequences:
            padded = [BOUNDARY] * (order - 1) + list(sequence) + [BOUNDARY]
            for end in range(order - 1, len(padded)):
                index = 0
                for symbol in padded[end - order + 1 : end + 1]:
                    index = index * symbols + symbol
                counts[index] = counts.get(index, 0) + 1
        return cls(order, symbols, counts)

    def _table(self) -> np.ndarray:
        """P_n as a dense (S^(n-1), S) array; lower orders' counts are sums of the n-grams'
        (every k-gram ends an n-gram: transcripts are padded with n - 1 boundaries)."""
        S, n = self.symbols, self.order
        top = np.zeros(S ** n, dtype=np.float64)
        if self.counts:
            index = np.fromiter(self.counts.keys(), dtype=np.int64)
            top[index] = np.fromiter(self.counts.values(), dtype=np.float64)
        probability = np.full((1, S), 1.0 / S)  # order 0: uniform
        for k in range(1, n + 1):
            counts = top.reshape(S ** (n - k), S ** k).sum(0).reshape(S ** (k - 1), S)
            total = counts.sum(1, keepdims=True)
            types = (counts > 0).sum(1, keepdims=True)
            lower = probability[np.arange(S ** (k - 1)) % S ** max(k - 2, 0)]  # P_{k-1}(c | h')
            seen = np.maximum(counts - DISCOUNT, 0.0) / np.maximum(total, 1.0) \
                + DISCOUNT * types / np.maximum(total, 1.0) * lower
            probability = np.where(total > 0, seen, lower)
        return probability

    def start(self, batch_shape: tuple[int, ...]) -> Tensor:
        """The state of empty prefixes: n - 1 boundaries."""
        return torch.zeros(batch_shape, dtype=torch.long)

    def advance(self, state: Tensor, symbol: Tensor) -> Tensor:
        """The state after `symbol` (same shapes)."""
        return (state * self.symbols + symbol) % (self.symbols ** (self.order - 1))

    def log_probs(self, state: Tensor) -> Tensor:
        """(..., S) log P(next symbol | state)."""
        return self.log_table.to(state.device)[state]

    def score(self, sequence: list[int]) -> float:
        """log P(sequence, then the boundary) (natural log)."""
        state, total = torch.tensor(0), 0.0
        for symbol in [*sequence, BOUNDARY]:
            total += float(self.log_probs(state)[symbol])
            state = self.advance(state, torch.tensor(symbol))
        return total

    def to_json(self) -> dict:
        return {"order": self.order, "symbols": self.symbols,
                "counts": [[index, count] for index, count in sorted(self.counts.items())]}

    @classmethod
    def from_json(cls, data: dict) -> CharNgram:
        return cls(int(data["order"]), int(data["symbols"]),
                   {int(index): int(count) for index, count in data["counts"]})
