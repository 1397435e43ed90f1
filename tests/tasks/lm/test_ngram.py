"""Interpolated Kneser-Ney: a distribution that sums to one, better than uniform and than a unigram."""


import math

from rnnkit.tasks.lm.ngram import KneserNey


def test_kneser_ney_is_normalised_and_beats_uniform():
    tokens = [1, 2, 3, 1, 2, 4, 1, 2, 3, 3, 2, 1] * 20
    model = KneserNey(3, 6).fit(tokens)
    for context in [(1, 2), (3, 3), (5, 5), ()]:
        assert math.isclose(sum(model.probability(context, w) for w in range(6)), 1.0,
                            rel_tol=1e-9)
    assert model.cross_entropy(tokens) < math.log(6)
    assert KneserNey(1, 6).fit(tokens).cross_entropy(tokens) > model.cross_entropy(tokens)
