"""The language model: document resets, tied weights, generation from the carried state equals re-
reading the history."""


import pytest
import torch

from rnnkit.data.vocab import Vocabulary
from rnnkit.errors import ConfigError
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.lm.model import LanguageModel, generate


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


def test_generation_rejects_unknown_prime_characters():
    vocab = Vocabulary.build(["abc"], "char")
    model = LanguageModel(len(vocab), 3, network(4))
    with pytest.raises(ValueError, match="'z'"):
        generate(model, vocab, "az", 5)


def test_the_unknown_token_is_never_generated():
    """Even a model that puts almost all its mass on the unknown token writes only text."""
    vocab = Vocabulary.build(["abcabc"], "char")
    model = LanguageModel(len(vocab), 3, network(4)).eval()
    with torch.no_grad():
        model.head.bias.zero_()
        model.head.bias[vocab.unknown_id] = 30.0
    text = generate(model, vocab, "", 50, temperature=1.0, seed=0)
    assert len(text) == 50 and "\ufffd" not in text
    assert "\ufffd" not in generate(model, vocab, "ab", 20, greedy=True)


def test_a_language_model_is_not_bidirectional():
    with pytest.raises(ConfigError, match="reads left to right"):
        LanguageModel(5, 3, RecurrentConfig(hidden_size=4, bidirectional=True))
