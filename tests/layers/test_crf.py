"""The linear-chain CRF against brute-force enumeration in float64, and the moves each tag scheme forbids."""


import itertools

import pytest
import torch

from rnnkit.decoding.viterbi import viterbi
from rnnkit.layers.crf import CRF, allowed_moves


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
    paths = viterbi(emissions, lengths, *crf.scores())
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
