"""Text encoders (words, characters, BPE subwords): unknowns are id 0, JSON round trips."""


import pytest

from rnnkit.data.encoders import TextEncoder


@pytest.mark.parametrize("kind", ["word", "char", "subword"])
def test_encoders_map_unknowns_to_zero_and_round_trip(kind):
    texts = ["the cat sat on the mat", "a dog sat on a log"] * 5
    encoder = TextEncoder.build(texts, kind, vocab_size=60)
    ids = encoder.encode("The cat sat")
    assert ids and 0 not in ids
    assert 0 in encoder.encode("zzqx ψ")
    assert TextEncoder.from_json(encoder.to_json()).encode("the dog") == encoder.encode("the dog")
