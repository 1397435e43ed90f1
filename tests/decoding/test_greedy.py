"""Greedy decoding against the plain argmax loop it stands for, and beam search of 1."""

import pytest
import torch

from rnnkit.decoding import beam_search, greedy_search

V, BOS, EOS = 6, 0, 1


def toy_step(table):
    """A model whose next-token scores depend on the last token only: log_softmax(table[token])."""
    def step(tokens, state):
        return table[tokens].log_softmax(-1), state
    return step


def plain_loop(table, max_length):
    token, out, total = BOS, [], 0.0
    for _ in range(max_length):
        log_probs = table[token].log_softmax(-1)
        token = int(log_probs.argmax())
        total += float(log_probs[token])
        if token == EOS:
            return out, total, True
        out.append(token)
    return out, total, False


@pytest.mark.parametrize("seed", range(5))
def test_greedy_is_the_argmax_loop_and_beam_one(seed):
    torch.manual_seed(seed)
    table = torch.randn(V, V) * 3
    found = greedy_search(toy_step(table), None, 3, bos=BOS, eos=EOS, max_length=7)
    tokens, total, ended = plain_loop(table, 7)
    for hypothesis in found:  # every row of the batch reads the same model
        assert hypothesis.tokens == tokens and hypothesis.finished == ended
        assert hypothesis.log_probability == pytest.approx(total, abs=1e-5)
    beam = beam_search(toy_step(table), None, 3, bos=BOS, eos=EOS, beam=1, max_length=7,
                       reorder=lambda state, index: state)
    assert [h[0].tokens for h in beam] == [tokens] * 3


def test_rows_stop_at_their_own_end():
    table = torch.full((V, V), -5.0)
    table[BOS, 2], table[2, EOS], table[3, 3] = 5.0, 5.0, 5.0

    def step(tokens, state):  # row 1 starts on a token that loops forever
        tokens = tokens.clone()
        if state == 0:
            tokens[1] = 3
        return table[tokens].log_softmax(-1), state + 1

    found = greedy_search(step, 0, 2, bos=BOS, eos=EOS, max_length=4)
    assert found[0].tokens == [2] and found[0].finished
    assert found[1].tokens == [3, 3, 3, 3] and not found[1].finished


def test_a_max_length_below_one_is_refused():
    with pytest.raises(ValueError, match="max_length"):
        greedy_search(toy_step(torch.zeros(V, V)), None, 1, bos=BOS, eos=EOS, max_length=0)
