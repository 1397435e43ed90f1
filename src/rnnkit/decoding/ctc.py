"""Decoders of connectionist temporal classification (Graves et al. 2006).

A CTC model gives, per frame t, log-probabilities over the labels and a blank (index 0). A
*path* picks one symbol per frame; collapsing it (merge repeats, then drop blanks) gives a
transcript, and P(y | x) sums the paths that collapse to y.

- `greedy`: the most likely path, collapsed (best path decoding).
- `prefix_beam_search`: the transcripts of highest score, where for a prefix y
      score(y) = log P_ctc(y… | x) + lm_weight · log P_lm(y) + bonus · |y|
  tracking per prefix the probability of its paths ending in a blank (p_b) and in its last
  label (p_nb) (Hannun et al. 2014), batched over utterances x beams: prefixes that become
  the same (prefix i extended by c equals prefix j) are merged before pruning, found by two
  rolling hashes of their labels. `reference_prefix_beam_search` is the same search written
  plainly with one dictionary of prefixes per frame: the oracle and the benchmark's baseline.
- `forced_align`: the most likely path that collapses to a given transcript (Viterbi), from
  which each label's frames (word timings) follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from rnnkit.decoding.ngram import BOUNDARY, CharNgram

BLANK = 0
NEGATIVE = -math.inf
_MODULI = (2_147_483_647, 2_147_483_629)  # two primes below 2^31: the products stay in int64
_BASES = (1_000_003, 999_983)


@dataclass(frozen=True)
class Transcript:
    labels: list[int]
    score: float


def greedy(log_probs: Tensor, lengths: Tensor | None = None) -> list[list[int]]:
    """Best path decoding of (B, T, C): the argmax of each frame, repeats merged, blanks dropped."""
    best = log_probs.argmax(-1).cpu()  # (B, T)
    lengths = _lengths(log_probs, lengths)
    decoded = []
    for b in range(best.shape[0]):
        path = best[b, : int(lengths[b])].tolist()
        decoded.append(collapse(path))
    return decoded


def collapse(path: list[int]) -> list[int]:
    """Merge repeated symbols, then drop blanks."""
    return [s for i, s in enumerate(path) if s != BLANK and (i == 0 or path[i - 1] != s)]


def _lengths(log_probs: Tensor, lengths: Tensor | None) -> Tensor:
    if lengths is None:
        return torch.full((log_probs.shape[0],), log_probs.shape[1], dtype=torch.long)
    return lengths.cpu().long()


def _check(beam: int, n_best: int) -> None:
    if not (isinstance(beam, int) and beam >= 1):
        raise ValueError(f"the beam holds at least 1 prefix, got {beam!r}")
    if not (isinstance(n_best, int) and 1 <= n_best <= beam):
        raise ValueError(f"n_best must be between 1 and the beam ({beam}), got {n_best!r}")


def prefix_beam_search(log_probs: Tensor, lengths: Tensor | None = None, beam: int = 16,
                       lm: CharNgram | None = None, lm_weight: float = 0.0, bonus: float = 0.0,
                       n_best: int = 1) -> list[list[Transcript]]:
    """The n-best transcripts of each utterance of (B, T, C) log-probabilities, best first.
    With an `lm`, each label added costs lm_weight · log P_lm(label | prefix) and earns
    `bonus`; the final score adds lm_weight · log P_lm(end | transcript)."""
    _check(beam, n_best)
    log_probs = log_probs.detach().cpu()
    if not log_probs.is_floating_point() or log_probs.dtype != torch.float64:
        log_probs = log_probs.float()  # float64 stays float64 (the oracle tests)
    B, T, C = log_probs.shape
    K, L = beam, C - 1  # beams, labels
    lengths = _lengths(log_probs, lengths)
    use_lm = lm is not None and lm_weight != 0.0
    rows = torch.arange(B)[:, None]
    # the beams: slot 0 of each utterance holds the empty prefix, the others are empty slots
    p_b = torch.full((B, K), NEGATIVE, dtype=log_probs.dtype)
    p_b[:, 0] = 0.0
    p_nb = torch.full((B, K), NEGATIVE, dtype=log_probs.dtype)
    extra = torch.zeros(B, K, dtype=log_probs.dtype)  # lm_weight · log P_lm(prefix) + bonus · |prefix|
    last = torch.zeros(B, K, dtype=torch.long)  # last label (0: empty prefix)
    size = torch.zeros(B, K, dtype=torch.long)
    hashes = torch.zeros(2, B, K, dtype=torch.long)
    parents = torch.full((2, B, K), -1, dtype=torch.long)  # hashes of the prefix minus its last label
    labels = torch.zeros(B, K, max(T, 1), dtype=torch.long)
    lm_state = lm.start((B, K)) if use_lm else None
    moduli = torch.tensor(_MODULI)[:, None, None]
    bases = torch.tensor(_BASES)[:, None, None]
    label_ids = torch.arange(1, C)  # (L,)
    for t in range(T):
        active = (t < lengths)[:, None]  # (B, 1)
        frame = log_probs[:, t]  # (B, C)
        total = torch.logaddexp(p_b, p_nb)
        stay_b = total + frame[:, :1]
        stay_nb = torch.where(size > 0, p_nb + frame.gather(1, last), NEGATIVE)
        # extending beam i by label c: from its blank-ending paths only when c repeats its last
        repeat = label_ids[None, None] == last[..., None]  # (B, K, L)
        ext = torch.where(repeat, p_b[..., None], total[..., None]) + frame[:, None, 1:]
        ext_extra = extra[..., None].expand(B, K, L)
        if use_lm:
            ext_extra = ext_extra + lm_weight * lm.log_probs(lm_state)[..., 1:].to(log_probs.dtype) + bonus
        elif bonus:
            ext_extra = ext_extra + bonus
        # merge: beam j's prefix is beam i's extended by last_j when i's hashes are j's parents'
        same = ((parents[:, :, :, None] == hashes[:, :, None, :]).all(0)
                & ((size > 0) & (total > NEGATIVE))[..., None]
                & (total > NEGATIVE)[:, None, :])  # (B, Kj, Ki): both beams in use
        has = same.any(-1)
        source = same.float().argmax(-1)  # (B, Kj)
        into = ext[rows, source, (last - 1).clamp_min(0)]
        stay_nb = torch.where(has, torch.logaddexp(stay_nb, into), stay_nb)
        ext[rows.expand(B, K)[has], source[has], (last - 1)[has]] = NEGATIVE
        # the candidates: every beam staying, every beam extended by every label
        scores = torch.cat([torch.logaddexp(stay_b, stay_nb) + extra,
                            (ext + ext_extra).flatten(1)], 1)  # (B, K + K·L)
        chosen = scores.topk(K, dim=1).indices  # (B, K)
        extended = chosen >= K
        beam_of = torch.where(extended, (chosen - K) // L, chosen)
        label_of = torch.where(extended, (chosen - K) % L + 1, last.gather(1, chosen.clamp_max(K - 1)))
        new_p_b = torch.where(extended, NEGATIVE, stay_b.gather(1, chosen.clamp_max(K - 1)))
        new_p_nb = torch.where(extended, ext.flatten(1).gather(1, (chosen - K).clamp_min(0)),
                               stay_nb.gather(1, chosen.clamp_max(K - 1)))
        new_p_b = torch.where(scores.gather(1, chosen) > NEGATIVE, new_p_b, NEGATIVE)
        new_p_nb = torch.where(scores.gather(1, chosen) > NEGATIVE, new_p_nb, NEGATIVE)
        new_extra = torch.where(extended, ext_extra.flatten(1).gather(1, (chosen - K).clamp_min(0)),
                                extra.gather(1, beam_of))
        new_size = size.gather(1, beam_of) + extended.long()
        new_labels = labels.gather(1, beam_of[..., None].expand(-1, -1, labels.shape[2])).clone()
        position = (new_size - 1).clamp_min(0)
        written = new_labels.gather(2, position[..., None])[..., 0]
        new_labels.scatter_(2, position[..., None],
                            torch.where(extended, label_of, written)[..., None])
        old_hash = hashes.gather(2, beam_of[None].expand(2, -1, -1))
        new_hash = torch.where(extended, (old_hash * bases + label_of) % moduli,
                               old_hash)
        new_parents = torch.where(extended, old_hash, parents.gather(2, beam_of[None].expand(2, -1, -1)))
        if use_lm:
            old_state = lm_state.gather(1, beam_of)
            new_state = torch.where(extended, lm.advance(old_state, label_of), old_state)
            lm_state = torch.where(active, new_state, lm_state)
        keep = active[..., None]
        p_b, p_nb = torch.where(active, new_p_b, p_b), torch.where(active, new_p_nb, p_nb)
        extra = torch.where(active, new_extra, extra)
        last = torch.where(active, label_of, last)
        size = torch.where(active, new_size, size)
        labels = torch.where(keep, new_labels, labels)
        hashes = torch.where(active[None], new_hash, hashes)
        parents = torch.where(active[None], new_parents, parents)
    final = torch.logaddexp(p_b, p_nb) + extra
    if use_lm:
        final = final + lm_weight * lm.log_probs(lm_state)[..., BOUNDARY].to(log_probs.dtype)
    results = []
    for b in range(B):
        order = final[b].argsort(descending=True)
        found = [Transcript(labels[b, k, : int(size[b, k])].tolist(), float(final[b, k]))
                 for k in order.tolist() if final[b, k] > NEGATIVE]
        results.append(found[:n_best])
    return results


def reference_prefix_beam_search(log_probs: Tensor, beam: int = 16, lm: CharNgram | None = None,
                                 lm_weight: float = 0.0, bonus: float = 0.0,
                                 n_best: int = 1) -> list[Transcript]:
    """The same search for one utterance (T, C), written plainly: a dictionary of prefixes."""
    _check(beam, n_best)
    frames = log_probs.detach().double().cpu().tolist()
    use_lm = lm is not None and lm_weight != 0.0

    table = lm.log_table.double().tolist() if use_lm else None
    order = lm.order if use_lm else 1

    def lm_row(prefix: tuple) -> list[float]:
        """lm_weight · log P_lm(· | prefix): the row of its last n - 1 labels."""
        state = 0
        for label in (BOUNDARY,) * (order - 1 - len(prefix)) + prefix[max(0, len(prefix) - order + 1):]:
            state = (state * lm.symbols + label) % lm.symbols ** (order - 1)
        return [lm_weight * p for p in table[state]]

    beams = {(): (0.0, NEGATIVE, 0.0)}  # prefix -> (log p_b, log p_nb, extra)
    for frame in frames:
        grown: dict[tuple, list] = {}
        for prefix, (p_b, p_nb, extra) in beams.items():
            total = _logaddexp(p_b, p_nb)
            _add(grown, prefix, total + frame[BLANK], NEGATIVE, extra)
            if prefix:
                _add(grown, prefix, NEGATIVE, p_nb + frame[prefix[-1]], extra)
            row = lm_row(prefix) if use_lm else None
            for label in range(1, len(frame)):
                base = p_b if prefix and label == prefix[-1] else total
                _add(grown, prefix + (label,), NEGATIVE, base + frame[label],
                     extra + (row[label] if use_lm else 0.0) + bonus)
        ranked = sorted(grown.items(), key=lambda item: -(_logaddexp(*item[1][:2]) + item[1][2]))
        beams = {prefix: tuple(values) for prefix, values in ranked[:beam]}
    finals = []
    for prefix, (p_b, p_nb, extra) in beams.items():
        score = _logaddexp(p_b, p_nb) + extra + (lm_row(prefix)[BOUNDARY] if use_lm else 0.0)
        if score > NEGATIVE:
            finals.append(Transcript(list(prefix), score))
    finals.sort(key=lambda found: -found.score)
    return finals[:n_best]


def _add(grown: dict, prefix: tuple, p_b: float, p_nb: float, extra: float) -> None:
    """Paths into `prefix`: their probabilities summed with those already there."""
    old = grown.get(prefix)
    if old is None:
        grown[prefix] = [p_b, p_nb, extra]
    else:
        old[0], old[1] = _logaddexp(old[0], p_b), _logaddexp(old[1], p_nb)


def _logaddexp(a: float, b: float) -> float:
    if a == NEGATIVE:
        return b
    if b == NEGATIVE:
        return a
    top = max(a, b)
    return top + math.log1p(math.exp(-abs(a - b)))


def forced_align(log_probs: Tensor, labels: list[int]) -> list[tuple[int, int]]:
    """Each label's frames, (first, last) inclusive, on the most likely path of (T, C) that
    collapses to `labels` (see `best_path`)."""
    spans: list[list[int]] = [[-1, -1] for _ in labels]
    for t, position in enumerate(best_path(log_probs, labels)[1]):
        if position >= 0:
            span = spans[position]
            span[0] = t if span[0] < 0 else span[0]
            span[1] = t
    return [tuple(span) for span in spans]


def best_path(log_probs: Tensor, labels: list[int]) -> tuple[list[int], list[int]]:
    """(symbol of each frame, position in `labels` of each frame or -1 on a blank): the most
    likely path of (T, C) that collapses to `labels` (Viterbi over blank, y1, blank, y2, ...,
    blank). ValueError when T frames cannot hold the labels."""
    T = log_probs.shape[0]
    needed = len(labels) + sum(a == b for a, b in zip(labels, labels[1:]))
    if needed > T:
        raise ValueError(f"{T} frames cannot hold {len(labels)} labels ({needed} frames needed)")
    if not labels:
        return [BLANK] * T, [-1] * T
    frames = log_probs.detach().double().cpu()
    states = [BLANK]
    for label in labels:
        states += [label, BLANK]  # blank, y1, blank, y2, ..., blank
    S = len(states)
    score = torch.full((S,), NEGATIVE, dtype=torch.float64)
    score[0], score[1] = frames[0, BLANK], frames[0, labels[0]]
    moves = torch.zeros(T, S, dtype=torch.long)  # 0: stayed, 1: from s-1, 2: from s-2
    symbols = torch.tensor(states)
    skip = torch.zeros(S, dtype=torch.bool)
    skip[2:] = (symbols[2:] != BLANK) & (symbols[2:] != symbols[:-2])
    for t in range(1, T):
        from_one = torch.cat([torch.tensor([NEGATIVE], dtype=torch.float64), score[:-1]])
        from_two = torch.cat([torch.tensor([NEGATIVE, NEGATIVE], dtype=torch.float64), score[:-2]])
        from_two = torch.where(skip, from_two, NEGATIVE)
        options = torch.stack([score, from_one, from_two])  # (3, S)
        best, moves[t] = options.max(0)
        score = best + frames[t, symbols]
    state = S - 1 if score[S - 1] >= score[S - 2] else S - 2
    path = [0] * T
    for t in range(T - 1, -1, -1):
        path[t] = state
        state -= int(moves[t, state])
    return [states[s] for s in path], [s // 2 if s % 2 == 1 else -1 for s in path]
