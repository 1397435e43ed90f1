"""CTC decoders against brute force: every path of a tiny input enumerated, collapsed and
summed per transcript (float64)."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from rnnkit.decoding.ctc import (
    best_path,
    collapse,
    forced_align,
    greedy,
    prefix_beam_search,
    reference_prefix_beam_search,
)
from rnnkit.decoding.ngram import CharNgram


def all_paths(log_probs):
    T, C = log_probs.shape
    for path in itertools.product(range(C), repeat=T):
        yield list(path), float(sum(log_probs[t, s] for t, s in enumerate(path)))


def brute_force(log_probs, lm=None, weight=0.0, bonus=0.0):
    """Every transcript with its score log P(y|x) + weight log P_lm(y) + bonus |y|, best first."""
    sums = {}
    for path, score in all_paths(log_probs):
        y = tuple(collapse(path))
        sums[y] = float(torch.logaddexp(torch.tensor(sums.get(y, -math.inf)), torch.tensor(score)))
    scored = {y: s + (weight * lm.score(list(y)) if lm is not None else 0.0) + bonus * len(y)
              for y, s in sums.items()}
    return sorted(scored.items(), key=lambda item: -item[1])


def tiny(seed, T=5, C=3):
    torch.manual_seed(seed)
    return (2 * torch.randn(T, C, dtype=torch.float64)).log_softmax(-1)


LM = CharNgram.train(3, 3, [[1, 2, 1], [2, 2], [1], [2, 1, 1, 2]])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weight,bonus", [(0.0, 0.0), (0.8, 0.4), (1.5, -0.3)])
def test_prefix_beam_search_with_a_full_beam_is_exact(seed, weight, bonus):
    log_probs = tiny(seed)
    expected = brute_force(log_probs, LM, weight, bonus)[:5]
    reference = reference_prefix_beam_search(log_probs, 64, LM, weight, bonus, n_best=5)
    batched = prefix_beam_search(log_probs[None], None, 64, LM, weight, bonus, n_best=5)[0]
    for found in (reference, batched):
        assert [tuple(h.labels) for h in found] == [y for y, _ in expected]
        for h, (_, score) in zip(found, expected):
            assert h.score == pytest.approx(score, abs=1e-4)


def test_without_a_language_model_the_score_is_ctcs_log_likelihood():
    log_probs = tiny(7, T=6)
    for h in prefix_beam_search(log_probs[None], None, 64, n_best=4)[0]:
        loss = F.ctc_loss(log_probs, torch.tensor(h.labels or [1])[None] if h.labels else
                          torch.zeros(1, 0, dtype=torch.long), [6], [len(h.labels)],
                          reduction="sum")
        assert h.score == pytest.approx(-float(loss), abs=1e-4)


@pytest.mark.parametrize("seed", range(3))
def test_batched_search_equals_the_plain_one_on_a_ragged_batch(seed):
    torch.manual_seed(seed)
    log_probs = (3 * torch.randn(5, 40, 7)).log_softmax(-1)
    lengths = torch.tensor([40, 33, 2, 1, 25])
    lm = CharNgram.train(seed + 2, 7, [torch.randint(1, 7, (12,)).tolist() for _ in range(20)])
    batched = prefix_beam_search(log_probs, lengths, 6, lm, 0.6, 0.5, n_best=3)  # orders 2-4
    for b in range(5):
        plain = reference_prefix_beam_search(log_probs[b, : lengths[b]], 6, lm, 0.6, 0.5, n_best=3)
        assert [h.labels for h in batched[b]] == [h.labels for h in plain]
        for ours, theirs in zip(batched[b], plain):
            assert ours.score == pytest.approx(theirs.score, abs=1e-3)


@pytest.mark.parametrize("seed", range(3))
def test_greedy_collapses_the_single_most_likely_path(seed):
    log_probs = tiny(seed)
    best_path_found, _ = max(all_paths(log_probs), key=lambda p: p[1])
    assert greedy(log_probs[None]) == [collapse(best_path_found)]
    padded = torch.cat([log_probs, tiny(seed + 10, T=3)])[None]
    assert greedy(padded, torch.tensor([5])) == [collapse(best_path_found)]


@pytest.mark.parametrize("labels", [[1], [2, 1], [1, 1], [2, 2, 1]])
def test_forced_alignment_is_the_best_path_collapsing_to_the_labels(labels):
    log_probs = tiny(3, T=6)
    candidates = [(p, s) for p, s in all_paths(log_probs) if collapse(p) == labels]
    expected, _ = max(candidates, key=lambda p: p[1])
    symbols, positions = best_path(log_probs, labels)
    assert symbols == expected
    spans = forced_align(log_probs, labels)
    assert len(spans) == len(labels)
    for k, (first, last) in enumerate(spans):
        assert all(positions[t] == k for t in range(first, last + 1))
    with pytest.raises(ValueError, match="cannot hold"):
        forced_align(log_probs[:2], [1, 1])


def test_search_arguments_are_checked():
    with pytest.raises(ValueError, match="at least 1"):
        prefix_beam_search(tiny(0)[None], beam=0)
    with pytest.raises(ValueError, match="n_best"):
        prefix_beam_search(tiny(0)[None], beam=2, n_best=3)
