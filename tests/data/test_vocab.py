"""Vocabularies: characters and words, id 0 unknown, JSON round trips, the size limit."""


import pytest

from rnnkit.data import DataError, Vocabulary


def test_vocab_round_trip_char_and_word(tmp_path):
    text = "To be, or not to be: that is the question.\nWhether 'tis nobler"
    for level in ("char", "word"):
        vocab = Vocabulary.build([text], level)
        again = Vocabulary.from_json(vocab.to_json())
        assert again == vocab and again.tokens[0] == vocab.tokens[0]
        ids = vocab.encode(text)
        assert 0 not in ids
        decoded = vocab.decode(ids)
        assert decoded == text if level == "char" else vocab.encode(decoded) == ids
    vocab = Vocabulary.build([text], "char")
    assert vocab.encode("Z") == [0]
    with pytest.raises(DataError, match="'Z'"):
        vocab.encode("Zebra", strict=True)


def test_word_vocab_limit_keeps_most_frequent():
    vocab = Vocabulary.build(["a a a b b c"], "word", max_size=3)
    assert vocab.tokens == ["<unk>", "a", "b"]
    assert vocab.encode("c a") == [0, 1]
