"""Pairs files: tab-separated lines or named columns; every ragged or empty line named."""

import pytest

from rnnkit.data.pairs import read_pairs, read_sources
from rnnkit.errors import DataError


def test_tab_separated_lines_and_named_columns_give_the_same_pairs(tmp_path):
    (tmp_path / "p.tsv").write_text("hola mundo\thello world\n\ngato\tcat\n", encoding="utf-8")
    (tmp_path / "p.csv").write_text("es,en\nhola mundo,hello world\ngato,cat\n", encoding="utf-8")
    (tmp_path / "p.jsonl").write_text('{"es": "hola mundo", "en": "hello world"}\n'
                                      '{"es": "gato", "en": "cat"}\n', encoding="utf-8")
    plain = read_pairs(tmp_path / "p.tsv")
    assert plain.sources == ["hola mundo", "gato"] and plain.references == [["hello world"], ["cat"]]
    assert plain.lines == [1, 3]
    for name in ("p.csv", "p.jsonl"):
        named = read_pairs(tmp_path / name, source_column="es", target_column="en")
        assert (named.sources, named.references) == (plain.sources, plain.references)


@pytest.mark.parametrize("text, message", [
    ("a\tb\nc\n", "line 2: 1 tab-separated fields"),
    ("a\tb\tc\n", "line 1: 3 tab-separated fields"),
    ("a\t \n", "line 1: an empty target"),
    ("\tb\n", "line 1: an empty source"),
    ("\n\n  \n", "empty"),
])
def test_ragged_or_empty_lines_are_named(tmp_path, text, message):
    path = tmp_path / "bad.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_pairs(path)


def test_a_missing_column_names_the_columns_there_are(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("source,translation\na,b\n", encoding="utf-8")
    with pytest.raises(DataError, match="no target column 'target'; the columns are: source, translation"):
        read_pairs(path)


def test_sources_to_translate_keep_blank_lines_but_need_some_text():
    assert read_sources("-", "uno\n\ndos\n", "utf-8") == (["uno", "", "dos"], "stdin")
    with pytest.raises(DataError, match="nothing to translate"):
        read_sources("-", "\n \n", "utf-8")
