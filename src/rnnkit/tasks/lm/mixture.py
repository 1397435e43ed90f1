"""The network and the n-gram together (Mikolov et al. 2011): their next-token probabilities
interpolated, P(w | h) = λ·P_rnn(w | h) + (1 − λ)·P_kn(w | h), with λ chosen on the validation
text and then applied, unchanged, to the test text. The mixture beats both parts most where
the n-gram is strong: short budgets, rare words, exact repetitions.

Both models score every token of a held-out stream laid out as training lays it out (rows of
contiguous text, the state carried from window to window): the n-gram reads each token's
context from its own row, as the network does.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from rnnkit.data.batching import StreamBatches
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.lm.ngram import KneserNey

WEIGHTS = tuple(round(0.05 * k, 2) for k in range(21))  # λ's grid, 0 (n-gram alone) to 1


@torch.no_grad()
def network_probabilities(model, batches: StreamBatches, device=None) -> np.ndarray:
    """P_rnn of every target of the stream, (B, L − 1), state carried as in training."""
    state, columns = None, []
    with evaluating(model):
        for i in range(len(batches)):
            x, y, resets = (t.to(device) for t in batches.window(i))
            logits, state = model(x, state, resets)
            chosen = F.log_softmax(logits.float(), -1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
            columns.append(chosen.exp().cpu().numpy())
    return np.concatenate(columns, axis=1).astype(np.float64)


def ngram_probabilities(ngram: KneserNey, batches: StreamBatches) -> np.ndarray:
    """P_kn of every target of the stream, (B, L − 1), each from the tokens before it in its
    row (up to order − 1 of them)."""
    data = batches.data.tolist()
    width = ngram.order - 1
    return np.array([[ngram.probability(tuple(row[max(0, j - width) : j]), row[j])
                      for j in range(1, len(row))] for row in data], dtype=np.float64)


def mixed_loss(p_network: np.ndarray, p_ngram: np.ndarray, weight: float) -> float:
    """Mean −ln(λ·P_rnn + (1 − λ)·P_kn), nats/token."""
    mixed = weight * p_network + (1.0 - weight) * p_ngram
    return float(-np.log(np.maximum(mixed, 1e-300)).mean())


def choose_weight(p_network: np.ndarray, p_ngram: np.ndarray) -> tuple[float, float]:
    """(λ, its loss): the grid's best on the given (validation) probabilities."""
    losses = {w: mixed_loss(p_network, p_ngram, w) for w in WEIGHTS}
    best = min(losses, key=lambda w: (losses[w], -w))
    return best, losses[best]


def mixture_figures(model, ngram: KneserNey, streams: dict, metrics, device=None) -> dict:
    """{"weight", "validation": figures, "test": figures (if there is a test text)}: λ chosen
    on the validation stream, then the same λ on the test stream. `metrics(loss)` turns a
    loss in nats/token into the task's figures."""
    validation = streams["validation"]
    weight, loss = choose_weight(network_probabilities(model, validation, device),
                                 ngram_probabilities(ngram, validation))
    found = {"weight": weight, "validation": metrics(loss)}
    if "test" in streams:
        test = streams["test"]
        found["test"] = metrics(mixed_loss(network_probabilities(model, test, device),
                                           ngram_probabilities(ngram, test), weight))
    return found
