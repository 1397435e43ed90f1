"""Tagging vocabularies: words by frequency and characters as `Vocabulary` objects, tags
sorted, unknown ids 0, JSON round trips, an unseen gold tag named."""

import pytest

from rnnkit.config import load_config
from rnnkit.data.conll import Sentence
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.tag.data import Vocabularies
from rnnkit.tasks.tag.spec import TagConfig

SENTENCES = [Sentence("John met John".split(), ["B-PER", "O", "B-PER"]),
             Sentence("in Rome".split(), ["O", "B-LOC"])]


def test_vocabularies_build_encode_and_round_trip():
    vocab = Vocabularies.build(SENTENCES, load_config(TagConfig, None, {}))
    assert vocab.words.tokens[:2] == ["<unk>", "john"] and vocab.tags == ["B-LOC", "B-PER", "O"]
    assert vocab.chars.tokens[1:] == sorted(set("JohnmetinRome"))
    words, spelled, tags = vocab.encode(Sentence(["JOHN", "Zed"], ["B-PER", "O"]), 3)
    assert words.tolist() == [vocab.words.index["john"], 0] and spelled[1].tolist()[0] == 0
    assert tags.tolist() == [1, 2] and len(spelled[0]) == 3  # words cut to 3 characters
    again = Vocabularies.from_json(vocab.to_json())
    assert again.words == vocab.words and again.chars == vocab.chars and again.tags == vocab.tags
    with pytest.raises(DataError, match="tag 'B-ORG' never seen in training"):
        vocab.encode(Sentence(["x"], ["B-ORG"]), 5, "dev.conll")


def test_bioes_needs_bio_tags():
    config = load_config(TagConfig, None, {"bioes": True, "scheme": "none"})
    with pytest.raises(ConfigError, match="--bioes converts BIO tags"):
        Vocabularies.build(SENTENCES, config)
