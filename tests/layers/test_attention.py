"""Attention against its equations written out position by position, in float64; padding past
a source's length never changes the context or the weights."""

import math

import pytest
import torch

from rnnkit.layers.attention import KINDS, Attention


@torch.no_grad()
def naive(attention: Attention, query, keys, length):
    """The equations of one sentence, a loop over its valid positions."""
    scores = []
    for s in range(length):
        k = keys[s]
        if attention.kind == "additive":
            hidden = torch.tanh(attention.query_projection(query) + attention.key_projection(k))
            scores.append(float(attention.v(hidden)))
        elif attention.kind == "dot":
            scores.append(float(query @ k))
        else:
            scores.append(float(query @ attention.key_projection(k)))
    top = max(scores)
    exps = [math.exp(e - top) for e in scores]
    weights = [x / sum(exps) for x in exps]
    context = sum(w * keys[s] for s, w in enumerate(weights))
    return context, weights


@pytest.mark.parametrize("kind", KINDS)
def test_attention_matches_its_equations(kind, float64):
    size = 5
    attention = Attention(kind, size, size, hidden_size=4)
    query, keys = torch.randn(3, size), torch.randn(3, 6, size)
    lengths = torch.tensor([6, 2, 4])
    context, weights = attention(query, keys, lengths)
    for b in range(3):
        n = int(lengths[b])
        expected_context, expected_weights = naive(attention, query[b], keys[b], n)
        torch.testing.assert_close(context[b], expected_context)
        torch.testing.assert_close(weights[b, :n], torch.tensor(expected_weights))
        assert weights[b, n:].abs().sum() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_padding_never_changes_the_context(kind, float64):
    attention = Attention(kind, 4, 4)
    query, keys = torch.randn(1, 4), torch.randn(1, 3, 4)
    alone = attention(query, keys, torch.tensor([3]))
    padded_keys = torch.cat([keys, 100 * torch.randn(1, 5, 4)], dim=1)
    padded = attention(query, padded_keys, torch.tensor([3]))
    torch.testing.assert_close(padded[0], alone[0])
    torch.testing.assert_close(padded[1][:, :3], alone[1])


def test_projected_keys_computed_once_give_the_same_answer(float64):
    attention = Attention("additive", 3, 5, hidden_size=7)
    query, keys = torch.randn(2, 3), torch.randn(2, 4, 5)
    once = attention.project_keys(keys)
    torch.testing.assert_close(attention(query, keys, projected=once)[0], attention(query, keys)[0])


def test_dot_attention_needs_equal_sizes():
    with pytest.raises(ValueError, match="query_size == key_size"):
        Attention("dot", 3, 4)
