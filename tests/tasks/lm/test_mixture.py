"""Mixing the network with the n-gram: at λ = 1 the mixture is the network's own validation
loss, at λ = 0 the n-gram's scored row by row (checked against its own cross-entropy), and the
λ chosen is never worse than either part."""

import math

import numpy as np
import pytest
import torch

from rnnkit.data.batching import StreamBatches
from rnnkit.tasks.lm.mixture import (
    WEIGHTS,
    choose_weight,
    mixed_loss,
    network_probabilities,
    ngram_probabilities,
)
from rnnkit.tasks.lm.model import LanguageModel, stream_sums
from rnnkit.tasks.lm.ngram import KneserNey
from rnnkit.tasks.lm.spec import LMConfig


@pytest.fixture
def pieces():
    torch.manual_seed(0)
    ids = torch.randint(0, 7, (400,))
    batches = StreamBatches(ids, torch.zeros(400, dtype=torch.bool), 4, 9)
    config = LMConfig(hidden_size=8, embedding_size=4, num_layers=1)
    model = LanguageModel(7, 4, config, False).eval()
    ngram = KneserNey(3, 7).fit(torch.randint(0, 7, (2000,)).tolist())
    return model, ngram, batches


def test_the_ends_of_the_mixture_are_its_parts(pieces):
    model, ngram, batches = pieces
    p_network, p_ngram = network_probabilities(model, batches), ngram_probabilities(ngram, batches)
    assert p_network.shape == p_ngram.shape == (4, batches.data.shape[1] - 1)
    total, count = stream_sums(model, batches)
    assert mixed_loss(p_network, p_ngram, 1.0) == pytest.approx(total / count, rel=1e-6)
    rows = [ngram.cross_entropy(row) * len(row) for row in batches.data.tolist()]
    first = sum(-math.log(ngram.probability((), row[0])) for row in batches.data.tolist())
    assert mixed_loss(p_network, p_ngram, 0.0) == pytest.approx(
        (sum(rows) - first) / p_ngram.size, rel=1e-9)  # (each row's first token is no target)


def test_the_chosen_weight_is_the_grids_best_and_beats_both_parts(pieces):
    model, ngram, batches = pieces
    p_network, p_ngram = network_probabilities(model, batches), ngram_probabilities(ngram, batches)
    weight, loss = choose_weight(p_network, p_ngram)
    assert weight in WEIGHTS
    assert loss == min(mixed_loss(p_network, p_ngram, w) for w in WEIGHTS)
    assert loss <= min(mixed_loss(p_network, p_ngram, 0.0), mixed_loss(p_network, p_ngram, 1.0))
    assert np.all((p_network > 0) & (p_network <= 1)) and np.all((p_ngram > 0) & (p_ngram <= 1))
