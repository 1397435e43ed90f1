"""Training data given from Python (`train(task, config, data=...)`): a tagger, an
encoder-decoder and a forecaster trained on data given in memory train exactly as on the same
data read from its file (the same validation loss, seed for seed); malformed data is one
DataError naming what was expected."""

import csv
import re

import pytest

from helpers import tiny_task_data
from rnnkit.errors import ConfigError, DataError
from rnnkit.run import open_run, prepare, train
from rnnkit.tasks.base import given_splits

SMALL = {"hidden_size": 8, "batch_size": 4, "max_steps": 3, "eval_every": 3, "device": "cpu"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return tiny_task_data(tmp_path_factory.mktemp("given"))


def same_as_from_file(tmp_path, task, settings, data, file_settings):
    given = train(task, {**SMALL, **settings, "out": str(tmp_path / "given")}, data=data)
    from_file = train(task, {**SMALL, **settings, **file_settings, "out": str(tmp_path / "file")})
    assert not given["failed"] and given["steps"] == from_file["steps"] == 3
    figure = (lambda valid: valid["model"]["mae"]) if task == "forecast" else (
        lambda valid: valid["loss"])
    assert figure(given["valid"]) == pytest.approx(figure(from_file["valid"]), rel=1e-6)
    return open_run(tmp_path / "given", "best", "cpu")


def test_a_tagger_trains_on_sentences_given_from_python(files, tmp_path):
    blocks = files.conll.read_text().strip().split("\n\n")
    sentences = [tuple(map(list, zip(*(line.split() for line in block.splitlines()))))
                 for block in blocks]
    run = same_as_from_file(tmp_path, "tag", {"word_embedding_size": 6, "char_hidden_size": 4},
                            {"train": sentences}, {"data": str(files.conll)})
    assert len(run.predict(["John went home"])[0]["tags"]) == 3


def test_an_encoder_decoder_trains_on_pairs_given_from_python(files, tmp_path):
    pairs = [tuple(line.split("\t")) for line in files.pairs.read_text().splitlines()]
    run = same_as_from_file(tmp_path, "seq2seq", {"embedding_size": 6},
                            {"train": pairs}, {"data": str(files.pairs)})
    assert run.translate(["red cat"])[0]["source"] == "red cat"


def test_a_forecaster_trains_on_columns_given_from_python(files, tmp_path):
    with open(files.series) as handle:
        rows = list(csv.DictReader(handle))
    columns = {"t": [int(r["t"]) for r in rows], "y": [float(r["y"]) for r in rows]}
    settings = {"time_column": "t", "target": "y", "lookback": 12, "horizon": 4,
                "test_size": 8, "peers": False}
    same_as_from_file(tmp_path, "forecast", settings, {"train": columns},
                      {"data": str(files.series)})


def test_a_dataframe_and_dates_are_read_as_a_file_would_be(tmp_path):
    pandas = pytest.importorskip("pandas")
    days = pandas.date_range("2024-01-01", periods=120, freq="D")
    frame = pandas.DataFrame({"day": days, "sales": [float(i % 7 + i / 30) for i in range(120)]})
    (tmp_path / "sales.csv").write_text(frame.to_csv(index=False))
    settings = {"time_column": "day", "target": "sales", "lookback": 14, "horizon": 7,
                "test_size": 7, "peers": False}
    same_as_from_file(tmp_path, "forecast", settings, {"train": frame},
                      {"data": str(tmp_path / "sales.csv")})


@pytest.mark.parametrize("task, settings, bad, says", [
    ("tag", {}, {"train": [(["John"], ["B-PER", "O"])]}, "1 tokens and 2 tags"),
    ("tag", {}, {"train": "John B-PER"}, "list of (tokens, tags)"),
    ("tag", {}, {"train": [(["two words"], ["O"])]}, "without spaces"),
    ("tag", {}, {"valid": [(["a"], ["O"])]}, "data from Python is"),
    ("seq2seq", {}, {"train": [("red", "")]}, "two non-empty texts"),
    ("seq2seq", {}, {"train": [("red cat",)]}, "two non-empty texts"),
    ("forecast", {"target": "y"}, {"train": {"y": [1.0, 2.0], "t": [1]}}, "equally long"),
    ("forecast", {"target": "y"}, {"train": [1.0, 2.0]}, "dict of column name"),
    ("forecast", {"target": "y"}, {"train": {"y": [1.0]}, "test": {"y": [1.0]}}, "cut from its end"),
    ("forecast", {"target": "z"}, {"train": {"y": [1.0] * 50}}, "no column 'z'"),
])
def test_malformed_data_is_one_data_error(tmp_path, task, settings, bad, says):
    with pytest.raises(DataError, match=re.escape(says)):
        prepare(task, {**SMALL, **settings, "out": str(tmp_path / "run")}, data=bad)
    assert not (tmp_path / "run").exists()


def test_a_task_that_reads_only_files_names_those_that_take_data(tmp_path):
    with pytest.raises(ConfigError, match="works for: .*tag.*"):
        prepare("asr", {"out": str(tmp_path / "run")}, data={"train": []})


def test_given_splits_reads_each_part_given_and_leaves_the_rest_none():
    parts = given_splits({"train": 1, "test": 3}, lambda part, value: (part, value), "N")
    assert parts == {"train": ("train", 1), "valid": None, "test": ("test", 3)}
    for bad in ({"valid": 1}, {"train": 1, "extra": 2}, [1]):
        with pytest.raises(DataError, match=r'\{"train": N\}'):
            given_splits(bad, lambda part, value: value, "N")
