"""Viterbi decoding of a linear-chain CRF (layers/crf.py gives its scores): the tag sequence y
of the highest score(y) = start[y_1] + Σ_t emission[t, y_t] + Σ_{t>1} transition[y_{t−1}, y_t]
+ end[y_T], found by dynamic programming over the steps of each sequence's own length."""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.state import length_mask


@torch.no_grad()
def viterbi(emissions: Tensor, lengths: Tensor, start: Tensor, transitions: Tensor,
            end: Tensor) -> list[list[int]]:
    """Best tag ids of each sequence: emissions (B, T, K), lengths (B,), start and end (K,),
    transitions (K, K) (row: the tag before)."""
    B, T, _ = emissions.shape
    lengths = lengths.to(emissions.device)
    valid = length_mask(lengths, T)
    best = start + emissions[:, 0]  # (B, K): the best score of a path ending in each tag
    pointers = []
    for t in range(1, T):
        step, back = (best[:, :, None] + transitions).max(dim=1)
        best = torch.where(valid[:, t, None], step + emissions[:, t], best)
        pointers.append(back)
    last = (best + end).argmax(1).tolist()
    paths = []
    for b in range(B):
        path = [last[b]]
        for t in range(int(lengths[b]) - 1, 0, -1):
            path.append(int(pointers[t - 1][b, path[-1]]))
        paths.append(path[::-1])
    return paths
