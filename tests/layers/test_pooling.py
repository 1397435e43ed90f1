"""Pooling over time: each mode is its definition over the valid steps; padding never changes it."""


import pytest
import torch

from rnnkit.layers import make_layer
from rnnkit.layers.pooling import POOLING, Pooling


def pooled(layer, pool, x, lengths):
    outputs, final = layer(x, lengths)
    return pool(outputs, lengths, final)


@pytest.mark.parametrize("mode", POOLING)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_pooling_ignores_padding(mode, bidirectional, float64):
    layer = make_layer("lstm", 3, 4, 2, bidirectional=bidirectional).eval()
    pool = Pooling(mode, layer)
    lengths = torch.tensor([5, 2, 7])
    x = torch.randn(3, 7, 3)
    batch = pooled(layer, pool, x, lengths)
    for b in range(3):
        alone = pooled(layer, pool, x[b : b + 1, : lengths[b]], lengths[b : b + 1])
        torch.testing.assert_close(batch[b : b + 1], alone)
    # garbage in the padded positions changes nothing either
    noisy = x.clone()
    noisy[1, 2:] = 1e3
    torch.testing.assert_close(pooled(layer, pool, noisy, lengths), batch)
    assert batch.shape == (3, pool.output_size)


def test_pooling_modes_match_their_definitions(float64):
    layer = make_layer("gru", 2, 3).eval()
    lengths = torch.tensor([4, 2])
    x = torch.randn(2, 4, 2)
    outputs, _ = layer(x, lengths)
    last = pooled(layer, Pooling("last", layer), x, lengths)
    torch.testing.assert_close(last[1], outputs[1, 1])
    torch.testing.assert_close(pooled(layer, Pooling("mean", layer), x, lengths)[1],
                               outputs[1, :2].mean(0))
    torch.testing.assert_close(pooled(layer, Pooling("max", layer), x, lengths)[1],
                               outputs[1, :2].amax(0))
    attention = Pooling("attention", layer)
    result = pooled(layer, attention, x, lengths)
    weights = attention.weights
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    assert torch.all(weights[1, 2:] == 0)
    torch.testing.assert_close(result[1], (weights[1, :2, None] * outputs[1, :2]).sum(0))


def test_bidirectional_last_is_forward_end_and_backward_start(float64):
    layer = make_layer("rnn", 2, 3, bidirectional=True).eval()
    lengths = torch.tensor([3, 5])
    x = torch.randn(2, 5, 2)
    outputs, _ = layer(x, lengths)
    last = pooled(layer, Pooling("last", layer), x, lengths)
    torch.testing.assert_close(last[0], torch.cat([outputs[0, 2, :3], outputs[0, 0, 3:]]))
