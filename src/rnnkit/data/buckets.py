"""Batches of variable-length sequences: length buckets so padding is small, and padding.

`bucket_batches` shuffles the examples, cuts them into pools of `pool` batches, sorts each pool
by length and cuts it into batches, then shuffles the batch order: batches hold sequences of
similar length while every epoch still sees a fresh mix (the way torchtext's BucketIterator and
AllenNLP's bucket sampler do it).
"""

from __future__ import annotations

import torch
from torch import Tensor


def bucket_batches(lengths: list[int], batch_size: int, generator: torch.Generator,
                   buckets: bool = True, pool: int = 50) -> list[list[int]]:
    """Index lists, one per batch, covering every example once."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    if not buckets:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    batches = []
    span = batch_size * pool
    for start in range(0, len(order), span):
        chunk = sorted(order[start : start + span], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    shuffled = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffled]


def in_order_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Batches for evaluation: sorted by length (little padding); results go back by index."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def pad(sequences: list[Tensor], value=0) -> tuple[Tensor, Tensor]:
    """(padded batch (B, T_max, ...), lengths (B,)) from tensors of shape (T_i, ...)."""
    lengths = torch.tensor([s.shape[0] for s in sequences], dtype=torch.long)
    shape = (len(sequences), int(lengths.max()), *sequences[0].shape[1:])
    out = torch.full(shape, value, dtype=sequences[0].dtype)
    for row, s in enumerate(sequences):
        out[row, : s.shape[0]] = s
    return out, lengths


def padding_share(batches: list[list[int]], lengths: list[int]) -> float:
    """Fraction of the batches' padded positions that are padding."""
    total = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    return 1.0 - sum(lengths[i] for b in batches for i in b) / max(total, 1)


class EpochBatches:
    """Every epoch's batches of a training set: `bucket_batches` drawn once per epoch from
    (seed, epoch), so a resumed run sees the same batches as an uninterrupted one."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int, buckets: bool = True) -> None:
        self.lengths, self.batch_size, self.seed, self.buckets = lengths, batch_size, seed, buckets
        self._epoch, self._batches = -1, []

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __call__(self, epoch: int) -> list[list[int]]:
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed * 7919 + epoch)
            self._epoch = epoch
            self._batches = bucket_batches(self.lengths, self.batch_size, generator, self.buckets)
        return self._batches
