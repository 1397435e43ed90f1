"""Beam search, batched over sentences and beams (as OpenNMT's and JoeyNMT's: one model step
for all batch x beam rows), with GNMT's length penalty, n-best lists, a maximum length and
end-of-sequence handling.

A hypothesis' score is its log-probability log p(y_1..y_n | x) (the end-of-sequence token
included once it ends), divided by the length penalty lp(n) = ((5 + n) / 6) ** alpha of Wu et
al. (2016); alpha = 0 ranks by log-probability alone. A sentence is done when it has `beam`
ended hypotheses, or (alpha = 0, where scores only fall as hypotheses grow) when its n-best
are ended and no live hypothesis can beat them; at `max_length` the live ones are returned
too, marked unfinished.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from rnnkit.checks import check_size
from rnnkit.state import map_state


@dataclass(frozen=True)
class Hypothesis:
    tokens: list[int]  # without the begin and end tokens
    score: float  # log-probability / length penalty: what ranks hypotheses
    log_probability: float
    finished: bool  # ended by the end-of-sequence token (not cut at max_length)


def length_penalty(length: int, alpha: float) -> float:
    """((5 + length) / 6) ** alpha (Wu et al. 2016); 1 for alpha = 0."""
    return ((5 + length) / 6) ** alpha


def select_rows(state, index: Tensor):
    """The rows `index` of every leaf of a state whose first dimension is the row."""
    return map_state(lambda leaf: leaf.index_select(0, index.to(leaf.device)), state)


def beam_search(step: Callable, state, batch: int, *, bos: int, eos: int, beam: int = 5,
                max_length: int = 100, alpha: float = 0.0, n_best: int = 1,
                reorder: Callable = select_rows) -> list[list[Hypothesis]]:
    """The `n_best` hypotheses of each of `batch` sentences, best first.

    `step(tokens (N,), state) -> (log-probabilities (N, V), state)` runs the model one step for
    N = batch x beam rows, row b·beam + k being beam k of sentence b; `state` starts with one
    row per sentence and `reorder(state, index)` picks rows of it (by default the first
    dimension of every leaf; a recurrent layer's (L·K, N, H) state needs its own).
    """
    beam, n_best, max_length = (check_size(n, v) for n, v in
                                (("beam", beam), ("n_best", n_best), ("max_length", max_length)))
    if n_best > beam:
        raise ValueError(f"n_best ({n_best}) cannot exceed the beam ({beam})")
    rows = batch * beam
    state = reorder(state, torch.arange(batch).repeat_interleave(beam))
    tokens = torch.full((rows,), bos, dtype=torch.long)
    scores = torch.full((batch, beam), -math.inf)
    scores[:, 0] = 0.0  # the beams of a sentence start as one
    prefixes: list[list[int]] = [[] for _ in range(rows)]
    ended: list[list[Hypothesis]] = [[] for _ in range(batch)]
    done = [False] * batch
    for _ in range(max_length):
        log_probs, state = step(tokens, state)  # (N, V)
        V = log_probs.shape[1]
        total = (scores.reshape(rows, 1).to(log_probs.device) + log_probs.float()).view(batch, -1)
        top, index = total.topk(min(2 * beam, beam * V), dim=1)  # (batch, 2·beam)
        origin, chosen = (index // V).tolist(), (index % V).tolist()
        next_rows, next_tokens, next_scores = [], [], torch.full((batch, beam), -math.inf)
        for b in range(batch):
            alive = []
            for score, o, token in zip(top[b].tolist(), origin[b], chosen[b]):
                if score == -math.inf or len(alive) == beam:
                    break
                row = b * beam + o
                if token == eos:
                    if not done[b]:
                        n = len(prefixes[row]) + 1
                        ended[b].append(Hypothesis(prefixes[row], score / length_penalty(n, alpha),
                                                   score, True))
                else:
                    alive.append((row, token, score))
            while len(alive) < beam:  # fewer live hypotheses than beams: dead rows
                alive.append((b * beam, eos, -math.inf))
            for k, (row, token, score) in enumerate(alive):
                next_rows.append(row)
                next_tokens.append(token)
                next_scores[b, k] = score
            done[b] = done[b] or finished_sentence(ended[b], next_scores[b], beam, n_best, alpha)
        if all(done):
            break
        index = torch.tensor(next_rows)
        prefixes = [prefixes[row] + [token] for row, token in zip(next_rows, next_tokens)]
        state = reorder(state, index)
        tokens, scores = torch.tensor(next_tokens), next_scores
    results = []
    for b in range(batch):
        candidates = list(ended[b])
        if len(candidates) < n_best:  # cut at max_length: the live ones count too
            for k in range(beam):
                score = float(scores[b, k])
                if score > -math.inf:
                    row = prefixes[b * beam + k]
                    candidates.append(Hypothesis(row, score / length_penalty(len(row), alpha),
                                                 score, False))
        results.append(sorted(candidates, key=lambda h: -h.score)[:n_best])
    return results


def finished_sentence(ended: list[Hypothesis], alive: Tensor, beam: int, n_best: int,
                      alpha: float) -> bool:
    """Done: `beam` ended hypotheses; or, without a length penalty, n-best ended ones that no
    live hypothesis can beat (its log-probability only falls as it grows)."""
    if len(ended) >= beam:
        return True
    if alpha != 0 or len(ended) < n_best:
        return False
    worst_kept = sorted(h.score for h in ended)[-n_best]
    return float(alive.max()) <= worst_kept
