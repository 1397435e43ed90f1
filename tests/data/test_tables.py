"""CSV, TSV and JSON lines read alike; a missing column or a ragged row is named."""


import pytest

from rnnkit.data.tables import read_table
from rnnkit.errors import DataError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tables_in_three_formats(tmp_path):
    csv = read_table(write(tmp_path, "a.csv", 'text,label\n"good, really",pos\nbad,neg\n'))
    tsv = read_table(write(tmp_path, "a.tsv", "text\tlabel\ngood, really\tpos\nbad\tneg\n"))
    jsonl = read_table(write(tmp_path, "a.jsonl", '{"text": "good, really", "label": "pos"}\n'
                             '\n{"text": "bad", "label": "neg"}\n'))
    for table in (csv, tsv, jsonl):
        assert table.column("text") == ["good, really", "bad"]
        assert table.column("label") == ["pos", "neg"]


@pytest.mark.parametrize("name, text, column, expected", [
    ("a.csv", "review,label\nok,pos\n", "text", "no text column 'text'; the columns are: review, label"),
    ("a.csv", "text,label\nok,pos\nfine,\n", "label", "line 3: empty label column 'label'"),
    ("a.csv", "text,label\nok,pos,extra\n", "text", "line 2: 3 fields where the header has 2"),
    ("a.jsonl", '{"text": "a"}\nnot json\n', "text", "line 2: not valid JSON"),
    ("a.csv", "text,label\n", "text", "a header but no rows"),
])
def test_table_errors_name_the_problem(tmp_path, name, text, column, expected):
    with pytest.raises(DataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        table = read_table(write(tmp_path, name, text))
        table.column(column, what=f"{column} column")
