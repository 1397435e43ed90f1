"""The tagger through the run API: sentences given from Python as strings or token lists get
the same tags as the same lines read from a file; a malformed item is one DataError."""

import pytest

from helpers import tiny_task_data
from rnnkit.errors import DataError
from rnnkit.run import open_run, train


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    root = tmp_path_factory.mktemp("tagger")
    data = tiny_task_data(root)
    train("tag", {"data": str(data.conll), "hidden_size": 8, "word_embedding_size": 6,
                  "char_hidden_size": 4, "batch_size": 4, "max_steps": 3, "eval_every": 3,
                  "device": "cpu", "out": str(root / "run")})
    return open_run(root / "run", "best", "cpu"), root


def test_a_python_list_is_tagged_as_the_same_lines_from_a_file(tagger):
    run, root = tagger
    lines = ["John lives in Paris", "Mary went home"]
    (root / "lines.txt").write_text("\n".join(lines) + "\n")
    from_file = run.predict(str(root / "lines.txt"))
    assert [r["tags"] for r in run.predict(lines)] == [r["tags"] for r in from_file]
    as_tokens = run.predict([line.split() for line in lines])
    assert [r["tokens"] for r in as_tokens] == [line.split() for line in lines]
    assert [r["tags"] for r in as_tokens] == [r["tags"] for r in from_file]


@pytest.mark.parametrize("items", [[], ["John", "  "], [["John", 5]], [42]])
def test_a_malformed_list_is_one_data_error(tagger, items):
    run, _ = tagger
    with pytest.raises(DataError, match="predict:"):
        run.predict(items)
