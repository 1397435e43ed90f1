"""Greedy decoding: at every step each sentence takes its likeliest next token, until it ends
or reaches `max_length`. The same step protocol as beam search, so any model that can be beam
searched can be decoded greedily, and beam search with a beam of 1 finds the same output."""

from __future__ import annotations

from collections.abc import Callable

import torch

from rnnkit.checks import check_size
from rnnkit.decoding.beam import Hypothesis


def greedy_search(step: Callable, state, batch: int, *, bos: int, eos: int,
                  max_length: int = 100) -> list[Hypothesis]:
    """One hypothesis per sentence. `step(tokens (batch,), state) -> (log-probabilities
    (batch, V), state)`; the score is the log-probability (end token included)."""
    max_length = check_size("max_length", max_length)
    tokens = torch.full((batch,), bos, dtype=torch.long)
    scores = torch.zeros(batch, dtype=torch.float64)
    outputs: list[list[int]] = [[] for _ in range(batch)]
    ended = torch.zeros(batch, dtype=torch.bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)  # (batch, V)
        best, chosen = log_probs.float().max(dim=1)
        best, chosen = best.cpu(), chosen.cpu()
        scores += torch.where(ended, torch.zeros_like(best), best).double()
        for b in torch.nonzero(~ended & (chosen != eos)).flatten().tolist():
            outputs[b].append(int(chosen[b]))
        ended |= chosen == eos
        if bool(ended.all()):
            break
        tokens = chosen
    return [Hypothesis(outputs[b], float(scores[b]), float(scores[b]), bool(ended[b]))
            for b in range(batch)]
