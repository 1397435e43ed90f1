"""Pooling over time (padding never changes the result) and the CRF against brute force."""

import itertools

import pytest
import torch

from rnnkit.data.conll import bio_to_bioes, bioes_to_bio
from rnnkit.layers import make_layer
from rnnkit.layers.crf import CRF, allowed_moves
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


def brute_force(crf, emissions, length):
    """log Z and the best path of one sequence by enumerating every tag sequence."""
    start, trans, end = crf.scores()
    K = emissions.shape[-1]
    scores = {}
    for path in itertools.product(range(K), repeat=length):
        s = start[path[0]] + end[path[-1]] + sum(emissions[t, path[t]] for t in range(length))
        s = s + sum(trans[path[t - 1], path[t]] for t in range(1, length))
        scores[path] = s
    values = torch.stack(list(scores.values()))
    return torch.logsumexp(values, 0), max(scores, key=lambda p: float(scores[p].detach())), scores


@pytest.mark.parametrize("constrained", [False, True])
def test_crf_likelihood_and_viterbi_match_brute_force(constrained, float64):
    tags = ["O", "B-X", "I-X"]
    crf = CRF(3, allowed_moves(tags, "bio") if constrained else None)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    lengths = torch.tensor([4, 1, 3])
    emissions = torch.randn(3, 4, 3)
    gold = torch.tensor([[1, 2, 0, 1], [0, 0, 0, 0], [0, 1, 2, 2]])
    ll = crf.log_likelihood(emissions, gold, lengths)
    paths = crf.decode(emissions, lengths)
    for b in range(3):
        n = int(lengths[b])
        log_z, best, scores = brute_force(crf, emissions[b, :n], n)
        torch.testing.assert_close(ll[b], scores[tuple(gold[b, :n].tolist())] - log_z)
        assert tuple(paths[b]) == best
        if constrained:
            assert tags[paths[b][0]] != "I-X"  # a decoded path never starts inside an entity
    # gradients flow to every parameter
    ll.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in crf.parameters())


def test_allowed_moves_follow_the_schemes():
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    bio = allowed_moves(tags, "bio")
    t = {tag: i for i, tag in enumerate(tags)}
    assert not bio["start"][t["I-PER"]] and bio["start"][t["B-LOC"]]
    assert bio["transitions"][t["B-PER"], t["I-PER"]]
    assert not bio["transitions"][t["O"], t["I-PER"]]
    assert not bio["transitions"][t["B-LOC"], t["I-PER"]]
    tags = ["O", "B-X", "I-X", "E-X", "S-X"]
    bioes = allowed_moves(tags, "bioes")
    t = {tag: i for i, tag in enumerate(tags)}
    assert bioes["transitions"][t["B-X"], t["E-X"]] and not bioes["transitions"][t["B-X"], t["O"]]
    assert not bioes["transitions"][t["E-X"], t["I-X"]] and bioes["transitions"][t["S-X"], t["B-X"]]
    assert not bioes["end"][t["B-X"]] and bioes["end"][t["E-X"]]


def test_bio_bioes_round_trip():
    bio = ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "I-ORG"]
    bioes = bio_to_bioes(bio)
    assert bioes == ["B-PER", "I-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC", "O", "S-ORG"]
    assert bioes_to_bio(bioes) == bio[:-1] + ["B-ORG"]
