"""The bundled CMUdict: stress removed, variants kept once, a fixed split by word."""

import re

from rnnkit.data.cmudict import dictionary_file, load_pronunciations, split_words


def test_pronunciations_have_no_stress_and_words_are_plain():
    words = load_pronunciations()
    assert len(words) > 100_000
    assert words["hello"][0] in ("HH AH L OW", "HH EH L OW")
    for word, variants in list(words.items())[::997]:
        assert re.fullmatch(r"[a-z]+('[a-z]+)*", word)
        assert len(set(variants)) == len(variants)
        assert all(not re.search(r"\d", v) for v in variants)
    raw = dictionary_file().read_text(encoding="utf-8")
    assert "read(2)" in raw and len(words["read"]) == 2  # R IY D and R EH D


def test_the_split_is_by_word_disjoint_and_fixed():
    words = list(load_pronunciations())
    first, again = split_words(words), split_words(list(reversed(words)))
    assert first == again
    parts = [set(first[p]) for p in ("train", "valid", "test")]
    assert sum(map(len, parts)) == len(words)
    assert not (parts[0] & parts[2]) and not (parts[0] & parts[1]) and not (parts[1] & parts[2])
    assert 0.04 < len(parts[2]) / len(words) < 0.06
