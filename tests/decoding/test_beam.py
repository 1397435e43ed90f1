"""Beam search against brute-force enumeration of every sequence of a small Markov model;
batched equals one sentence at a time; beam 1 is greedy."""

import itertools
import math

import pytest
import torch

from rnnkit.decoding.beam import beam_search, length_penalty

BOS, EOS = 0, 1


def markov(seed: int, V: int = 4):
    """log P(next | last) of a random Markov chain that never emits the begin token."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(V, V, generator=generator) * 2
    logits[:, BOS] = -math.inf
    return torch.log_softmax(logits, dim=1)


def stepper(chains):
    """step() over rows whose state is (sentence index, last token)."""
    def step(tokens, state):
        sentence = state[:, 0]
        log_probs = torch.stack([chains[int(s)][int(t)] for s, t in zip(sentence, tokens)])
        return log_probs, torch.stack([sentence, tokens], dim=1)
    return step


def brute_force(chain, max_length, alpha):
    """Every sequence that ends within max_length steps, scored as beam search scores it."""
    V = chain.shape[0]
    best = []
    for n in range(0, max_length):
        for body in itertools.product(range(2, V), repeat=n):
            sequence, last, logp = list(body), BOS, 0.0
            for token in [*body, EOS]:
                logp += float(chain[last, token])
                last = token
            best.append((logp / length_penalty(n + 1, alpha), sequence))
    return sorted(best, key=lambda x: -x[0])


@pytest.mark.parametrize("alpha", [0.0, 0.8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_exhaustive_beam_finds_the_best_sequences(seed, alpha):
    chain = markov(seed)
    state = torch.tensor([[0, BOS]])
    found = beam_search(stepper([chain]), state, 1, bos=BOS, eos=EOS, beam=40, max_length=5,
                        alpha=alpha, n_best=3)[0]
    expected = brute_force(chain, 5, alpha)[:3]
    assert [h.tokens for h in found] == [seq for _, seq in expected]
    assert [h.score for h in found] == pytest.approx([score for score, _ in expected])
    assert all(h.finished for h in found)


def test_batched_equals_one_sentence_at_a_time():
    chains = [markov(seed) for seed in range(4)]
    state = torch.tensor([[i, BOS] for i in range(4)])
    together = beam_search(stepper(chains), state, 4, bos=BOS, eos=EOS, beam=3, max_length=8,
                           n_best=2)
    for i in range(4):
        alone = beam_search(stepper(chains), state[i : i + 1], 1, bos=BOS, eos=EOS, beam=3,
                            max_length=8, n_best=2)[0]
        assert [h.tokens for h in together[i]] == [h.tokens for h in alone]
        assert [h.score for h in together[i]] == pytest.approx([h.score for h in alone])


def test_beam_one_is_greedy_and_max_length_cuts():
    chain = markov(5)
    chain[:, EOS] = -20.0  # it almost never ends: the length limit does
    chain = torch.log_softmax(chain, dim=1)
    found = beam_search(stepper([chain]), torch.tensor([[0, BOS]]), 1, bos=BOS, eos=EOS, beam=1,
                        max_length=6)[0]
    greedy, last = [], BOS
    for _ in range(6):
        last = int(chain[last].argmax())
        greedy.append(last)
    assert found[0].tokens == greedy and not found[0].finished


def test_impossible_settings_are_named():
    with pytest.raises(ValueError, match="n_best .* cannot exceed the beam"):
        beam_search(stepper([markov(0)]), torch.tensor([[0, BOS]]), 1, bos=BOS, eos=EOS, beam=2,
                    n_best=3)
    with pytest.raises(ValueError, match="beam must be >= 1"):
        beam_search(stepper([markov(0)]), torch.tensor([[0, BOS]]), 1, bos=BOS, eos=EOS, beam=0)
