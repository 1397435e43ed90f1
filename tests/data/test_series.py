"""Numeric series: long-format tables ordered by time, UCR/UEA .ts files, the bundled sets'
official splits."""


import pytest

from rnnkit.data.series import from_long_table, load_ucr, read_ts
from rnnkit.data.tables import read_table
from rnnkit.errors import DataError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_long_format_orders_by_time_and_checks_cells(tmp_path):
    text = "id,t,x,y,label\nb,2,5,6,B\na,1,1,2,A\nb,1,3,4,B\na,0,0,0,A\na,2,2,4,A\n"
    table = read_table(write(tmp_path, "s.csv", text))
    series, labels, ids, columns = from_long_table(table, "id", "t", None, "label")
    assert ids == ["b", "a"] and labels == ["B", "A"] and columns == ["x", "y"]
    assert series[0].tolist() == [[3, 4], [5, 6]]
    assert series[1].tolist() == [[0, 0], [1, 2], [2, 4]]
    gap = read_table(write(tmp_path, "g.csv", "id,t,x,label\na,0,1,A\na,1,,A\n"))
    with pytest.raises(DataError, match=r"g.csv line 3: column 'x' holds an empty cell \(a gap\)"):
        from_long_table(gap, "id", "t", None, "label")
    word = read_table(write(tmp_path, "w.csv", "id,t,x,label\na,0,1,A\na,1,high,A\n"))
    with pytest.raises(DataError, match="w.csv line 3: column 'x' holds 'high', not a number"):
        from_long_table(word, "id", "t", None, "label")
    mixed = read_table(write(tmp_path, "m.csv", "id,t,x,label\na,0,1,A\na,1,2,B\n"))
    with pytest.raises(DataError, match="series 'a' has more than one label"):
        from_long_table(mixed, "id", "t", None, "label")


def test_ts_files_parse_multivariate_variable_length(tmp_path):
    path = write(tmp_path, "x.ts", "#comment\n@problemName x\n@classLabel true a b\n@data\n"
                 "1,2,3:4,5,6:a\n7,8:9,10:b\n")
    series, labels, _ = read_ts(path)
    assert labels == ["a", "b"]
    assert series[0].tolist() == [[1, 4], [2, 5], [3, 6]] and series[1].shape == (2, 2)
    bad = write(tmp_path, "bad.ts", "@data\n1,?,3:a\n")
    with pytest.raises(DataError, match="line 2"):
        read_ts(bad)


def test_bundled_ucr_sets_have_their_official_splits():
    gun = load_ucr("gunpoint")
    assert len(gun["train"][0]) == 50 and len(gun["test"][0]) == 150
    assert gun["train"][0][0].shape == (150, 1)
    vowels = load_ucr("japanesevowels")
    assert len(vowels["train"][0]) == 270 and vowels["train"][0][0].shape[1] == 12
    assert len({s.shape[0] for s in vowels["train"][0]}) > 1  # variable length
