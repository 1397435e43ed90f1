import math

import pytest
import torch

from rnnkit.data.vocab import Vocabulary
from rnnkit.decoding import sample_next
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.lm.model import LanguageModel, generate
from rnnkit.tasks.lm.ngram import KneserNey


def network(hidden_size, num_layers=1, cell="lstm"):
    return RecurrentConfig(cell=cell, hidden_size=hidden_size, num_layers=num_layers)


def test_resets_return_rows_to_the_initial_state():
    torch.manual_seed(0)
    model = LanguageModel(7, 4, network(6, 2, "gru")).eval()
    tokens = torch.randint(0, 7, (2, 9))
    resets = torch.zeros(2, 9, dtype=torch.bool)
    resets[1, 4] = True
    logits, _ = model(tokens, None, resets)
    fresh, _ = model(tokens[1:, 4:])  # row 1 from step 4 on, as a new sequence
    torch.testing.assert_close(logits[1:, 4:], fresh)
    whole, _ = model(tokens[:1])
    torch.testing.assert_close(logits[:1], whole)  # row 0 unaffected


def test_tied_weights_share_storage_and_check_sizes():
    model = LanguageModel(11, 8, network(8), tie_weights=True)
    assert model.head.weight is model.embedding.weight
    with pytest.raises(ValueError, match="tie_weights"):
        LanguageModel(11, 8, network(16), tie_weights=True)


def test_incremental_generation_equals_full_recompute():
    """Generating with the carried state gives what re-reading the whole history gives."""
    torch.manual_seed(1)
    vocab = Vocabulary.build(["abcdefgh\n"], "char")
    model = LanguageModel(len(vocab), 5, network(7, 2)).eval()
    text = generate(model, vocab, "abc", 12, greedy=True)
    ids = vocab.encode("abc")
    for _ in range(12):
        logits, _ = model(torch.tensor([ids]))
        ids.append(int(logits[0, -1].argmax()))
    assert text == vocab.decode(ids)


def test_sampling_controls():
    logits = torch.tensor([0.0, 3.0, 1.0, 2.0])
    assert sample_next(logits, greedy=True) == 1
    g = torch.Generator().manual_seed(0)
    draws = {sample_next(logits, top_k=2, generator=g) for _ in range(200)}
    assert draws == {1, 3}
    draws = {sample_next(logits, top_p=0.5, generator=g) for _ in range(200)}
    assert draws == {1}  # the likeliest token alone holds more than half the mass
    seeded = [sample_next(logits, temperature=1.5, generator=torch.Generator().manual_seed(5))
              for _ in range(3)]
    assert len(set(seeded)) == 1


def test_generation_rejects_unknown_prime_characters():
    vocab = Vocabulary.build(["abc"], "char")
    model = LanguageModel(len(vocab), 3, network(4))
    with pytest.raises(ValueError, match="'z'"):
        generate(model, vocab, "az", 5)


def test_kneser_ney_is_normalised_and_beats_uniform():
    tokens = [1, 2, 3, 1, 2, 4, 1, 2, 3, 3, 2, 1] * 20
    model = KneserNey(3, 6).fit(tokens)
    for context in [(1, 2), (3, 3), (5, 5), ()]:
        assert math.isclose(sum(model.probability(context, w) for w in range(6)), 1.0,
                            rel_tol=1e-9)
    assert model.cross_entropy(tokens) < math.log(6)
    assert KneserNey(1, 6).fit(tokens).cross_entropy(tokens) > model.cross_entropy(tokens)
