"""CoNLL reading and writing, ragged lines named, BIO and BIOES converted both ways."""


import pytest

from rnnkit.data.conll import bio_to_bioes, bioes_to_bio, detect_scheme, format_conll, read_conll
from rnnkit.errors import DataError


def test_bio_bioes_round_trip():
    bio = ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "I-ORG"]
    bioes = bio_to_bioes(bio)
    assert bioes == ["B-PER", "I-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC", "O", "S-ORG"]
    assert bioes_to_bio(bioes) == bio[:-1] + ["B-ORG"]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_conll_reading_writing_and_ragged_lines(tmp_path):
    path = write(tmp_path, "a.conll", "-DOCSTART- O\n\nJohn NNP B-PER\nruns VBZ O\n\t\n"
                 "Paris NNP B-LOC\n")
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [["John", "runs"], ["Paris"]]
    assert sentences[0].tags == ["B-PER", "O"] and sentences[0].extra == [["NNP"], ["VBZ"]]
    assert format_conll(sentences, [["B-PER", "O"], ["O"]]).splitlines()[0] == "John\tNNP\tB-PER"
    ragged = write(tmp_path, "r.conll", "John B-PER\nruns\n")
    with pytest.raises(DataError, match="r.conll line 2: 1 columns where the file's lines have 2"):
        read_conll(ragged)
    assert detect_scheme([["B-PER", "I-PER", "O"]]) == "bio"
    assert detect_scheme([["S-PER", "O"]]) == "bioes"
    assert detect_scheme([["NN", "VB"]]) == "none"
