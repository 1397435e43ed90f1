"""Choosing the next token from logits: greedy, or sampled with temperature, top-k, top-p."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from rnnkit.errors import ConfigError, DataError

GREEDY_BELOW = 1e-4  # a temperature this small is greedy choice (logits / T would overflow)


def check_sampling(temperature: float, top_k: int, top_p: float) -> None:
    """ConfigError naming the first sampling setting that cannot be used."""
    if not (math.isfinite(temperature) and temperature >= 0):
        raise ConfigError(f"--temperature must be a finite number >= 0, got {temperature}")
    if not top_k >= 0:
        raise ConfigError(f"--top-k must be >= 0, got {top_k}")
    if not (math.isfinite(top_p) and 0 < top_p <= 1):
        raise ConfigError(f"--top-p must be in (0, 1], got {top_p}")


def sample_next(logits: Tensor, *, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                greedy: bool = False, generator: torch.Generator | None = None,
                banned: tuple[int, ...] = ()) -> int:
    """One token id from logits (V,): greedy, or sampled with temperature, top-k and top-p.
    `banned` ids are never chosen (e.g. the unknown token, which has no text)."""
    check_sampling(temperature, top_k, top_p)
    logits = logits.float()
    if not bool(torch.isfinite(logits).all()):
        raise DataError("the model gives non-finite scores: its weights hold inf or nan")
    if banned:
        logits = logits.clone()
        logits[list(banned)] = float("-inf")
    if greedy or temperature < GREEDY_BELOW:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k and top_k < logits.shape[0]:
        threshold = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = logits.sort(descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        drop = cumulative - sorted_logits.softmax(-1) >= top_p  # keep the smallest prefix ≥ p
        logits = logits.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    probabilities = logits.softmax(-1)
    return int(torch.multinomial(probabilities, 1, generator=generator))
