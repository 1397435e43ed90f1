"""The text of a language-model run: a contiguous split that keeps document starts, streams
that fill their windows, and a held-out text's unknown tokens counted."""

import pytest

from rnnkit.data.vocab import Vocabulary
from rnnkit.errors import DataError
from rnnkit.tasks.lm.data import check_corpus, split_documents, streams, text_stream


def test_the_split_is_contiguous_and_cuts_documents_where_it_falls():
    parts = split_documents(["abcdef", "ghij"], valid=0.2, test=0.2)
    assert parts == [["abcdef"], ["gh"], ["ij"]]
    assert "".join(sum(parts, [])) == "abcdefghij"
    assert split_documents(["abcdefghij"], 0.5, 0.0) == [["abcde"], ["fghij"], []]


def test_a_text_too_short_for_one_window_per_row_is_named():
    with pytest.raises(DataError, match="the training text has 20 tokens, fewer than one window"):
        check_corpus(20, batch_size=4, bptt=9, name="training")


def test_streams_and_a_held_out_texts_unknown_tokens():
    vocab = Vocabulary.build(["abc" * 50], "char")
    found = streams([["abc" * 40], ["abc" * 10], []], vocab, batch_size=4, bptt=5)
    assert set(found) == {"training", "validation"} and found["training"].batch_size == 4
    stream, tokens, unknown = text_stream(["abz" * 10], vocab, batch_size=4, bptt=5)
    assert tokens == 30 and unknown == 10 and stream.batch_size == 4
    with pytest.raises(DataError, match="no training text"):
        streams([[], ["abc" * 10], []], vocab, 4, 5)
