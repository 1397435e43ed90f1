"""The character n-gram model: a distribution for every context, counts as written, and a
JSON round trip."""

import math

import pytest
import torch

from rnnkit.decoding.ngram import DISCOUNT, CharNgram

CORPUS = [[1, 2, 3], [1, 2, 2], [3, 1], [2]]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_context_gives_a_distribution(order):
    lm = CharNgram.train(order, 4, CORPUS)
    totals = lm.log_table.exp().sum(-1)
    torch.testing.assert_close(totals, torch.ones_like(totals), atol=1e-5, rtol=0)


def test_a_bigram_is_absolute_discounting_over_the_unigram():
    lm = CharNgram.train(2, 4, CORPUS)
    # symbols read: each sequence, then the boundary 0: unigram counts 0:4, 1:3, 2:4, 3:2
    unigram = {s: (max(c - DISCOUNT, 0) + DISCOUNT * 4 / 4) / 13 for s, c in
               {0: 4, 1: 3, 2: 4, 3: 2}.items()}
    # after 1: 2 twice (of 3); seen after it: {2, 0}
    after_one = (2 - DISCOUNT) / 3 + DISCOUNT * 2 / 3 * unigram[2]
    state = lm.advance(lm.start(()), torch.tensor(1))
    assert float(lm.log_probs(state)[2].exp()) == pytest.approx(after_one, rel=1e-5)
    never = DISCOUNT * 2 / 3 * unigram[3]  # 3 never followed 1
    assert float(lm.log_probs(state)[3].exp()) == pytest.approx(never, rel=1e-5)


def test_scores_favour_the_training_text_and_survive_json():
    lm = CharNgram.train(3, 4, CORPUS * 5)
    assert lm.score([1, 2, 3]) > lm.score([3, 2, 1])
    again = CharNgram.from_json(lm.to_json())
    assert again.score([1, 2, 3]) == pytest.approx(lm.score([1, 2, 3]))
    assert math.isfinite(lm.score([3, 3, 3, 3]))


def test_a_table_too_large_is_refused():
    with pytest.raises(ValueError, match="choose a lower order"):
        CharNgram(8, 40, {})
