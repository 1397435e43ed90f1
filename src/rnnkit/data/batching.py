"""Streaming batches for truncated BPTT (the "batchify" layout of language-model training).

The token stream is cut into B contiguous rows; window i of every row continues window i−1 of
the same row, so the recurrent state carries from one window to the next. Where a new document
begins, the state is reset: `resets` marks those input positions.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor


def batchify(stream: Tensor, batch_size: int) -> Tensor:
    """(N,) -> (B, N // B): row b holds tokens [b·L, (b+1)·L); the tail that does not fill a
    row is dropped."""
    length = stream.shape[0] // batch_size
    return stream[: length * batch_size].view(batch_size, length)


def concatenate(documents: list[list[int]]) -> tuple[Tensor, Tensor]:
    """Token ids of the documents end to end, and a bool flag where each document (but the
    first) begins."""
    ids = torch.tensor([token for doc in documents for token in doc], dtype=torch.long)
    starts = torch.zeros_like(ids, dtype=torch.bool)
    position = 0
    for doc in documents[:-1]:
        position += len(doc)
        if position < len(starts):
            starts[position] = True
    return ids, starts


class StreamBatches:
    """Windows of `bptt` steps over a batchified stream: inputs, next-token targets, resets.

    Window i covers columns [i·bptt, i·bptt + k) of the rows, k ≤ bptt (the last may be short).
    """

    def __init__(self, ids: Tensor, starts: Tensor, batch_size: int, bptt: int) -> None:
        if ids.shape[0] < batch_size * 2:
            raise ValueError(f"{ids.shape[0]} tokens cannot fill {batch_size} rows of 2 tokens")
        self.data = batchify(ids, batch_size)  # (B, L)
        self.starts = batchify(starts, batch_size)
        self.bptt = bptt
        self.batch_size = batch_size

    def __len__(self) -> int:
        return -(-(self.data.shape[1] - 1) // self.bptt)

    @property
    def tokens_per_pass(self) -> int:
        return self.batch_size * (self.data.shape[1] - 1)

    def block(self, rank: int, world_size: int) -> StreamBatches | None:
        """The same windows over one process's block of contiguous rows, the blocks as even as
        the rows allow (equal when B divides by world_size), in rank order this stream's rows;
        None for a rank left without a row (fewer rows than processes)."""
        start, end = (self.batch_size * r // world_size for r in (rank, rank + 1))
        if start == end:
            return None
        share = copy.copy(self)
        share.data, share.starts = self.data[start:end], self.starts[start:end]
        share.batch_size = end - start
        return share

    def window(self, i: int) -> tuple[Tensor, Tensor, Tensor]:
        """(x, y, resets), each (B, k): y is x shifted by one token."""
        start = i * self.bptt
        end = min(start + self.bptt, self.data.shape[1] - 1)
        return (self.data[:, start:end], self.data[:, start + 1 : end + 1],
                self.starts[:, start:end])
