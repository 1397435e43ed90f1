"""`rnnkit train seq2seq`, `rnnkit translate`, `rnnkit evaluate` on a small run: outputs equal
the reloaded model's, n-best lists are ranked, and bad input is one line, exit 2, nothing
written."""

import json

import pytest

from helpers import hashes, one_error_line, run_cli
from rnnkit.run import open_run

TINY = ["--source-tokens", "char", "--target-tokens", "char", "--hidden-size", "16",
        "--embedding-size", "8", "--max-steps", "6", "--eval-every", "6", "--beam", "2"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seq2seq")
    pairs = folder / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in
                             ["abc", "bca", "cab", "aabb", "abab", "ccba", "bbca", "acab"] * 5))
    from rnnkit.cli.main import main

    assert main(["train", "seq2seq", "--data", str(pairs), "--out", str(folder / "run"), *TINY,
                 "--format", "json"]) == 0
    return folder


def test_translate_writes_one_line_per_input_and_json_has_n_best(trained, capsys, monkeypatch):
    run = trained / "run"
    code, out, _ = run_cli(["translate", run, "--beam", "3"], capsys, stdin="abc\n\nbca\n",
                           monkeypatch=monkeypatch)
    assert code == 0
    lines = out.split("\n")[:-1]
    assert len(lines) == 3 and lines[1] == ""
    direct = open_run(run).translate(texts=["abc", "bca"], beam=3)
    assert [lines[0], lines[2]] == [r["translation"] for r in direct]
    code, out, _ = run_cli(["translate", run, "--beam", "3", "--n-best", "3", "--format", "json"],
                           capsys, stdin="abc\n", monkeypatch=monkeypatch)
    record = json.loads(out)
    scores = [h["score"] for h in record["n_best"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert len(record["attention"]) == len(record["output_tokens"])
    assert all(abs(sum(row) - 1) < 1e-4 for row in record["attention"])


def test_evaluate_and_plot_attention(trained, capsys, monkeypatch, tmp_path):
    code, out, _ = run_cli(["evaluate", trained / "run", "--data", trained / "pairs.tsv",
                            "--format", "json", "--beam", "2"], capsys)
    figures = json.loads(out)
    assert code == 0 and {"bleu", "chrf", "greedy_chrf", "copy_source"} <= set(figures)
    plot = tmp_path / "alignment.png"
    code, _, _ = run_cli(["translate", trained / "run", "--plot-attention", plot], capsys,
                         stdin="abc\n", monkeypatch=monkeypatch)
    assert code == 0 and plot.stat().st_size > 0


@pytest.mark.parametrize("stdin, flags, message", [
    ("abc\n", ["--beam", "0"], "--beam must be an integer >= 1"),
    ("abc\n", ["--beam", "2", "--n-best", "3"], "--n-best must be between 1 and --beam"),
    ("abz\n", ["--strict"], "stdin line 1: not in the model's source vocabulary: 'z'"),
    ("\n\n", [], "nothing to translate"),
])
def test_bad_translate_input_is_one_line(trained, capsys, monkeypatch, stdin, flags, message):
    before = hashes(trained)
    code, out, err = run_cli(["translate", trained / "run", *flags], capsys, stdin=stdin,
                             monkeypatch=monkeypatch)
    assert code == 2 and out == ""
    assert message in one_error_line(err)
    assert hashes(trained) == before


def test_every_line_is_translated_and_unseen_tokens_are_counted(trained, capsys, monkeypatch):
    """Unseen words are the normal case in translation: by default each line gets its
    translation, the unseen tokens read as the unknown token and counted in one stderr line."""
    code, out, err = run_cli(["translate", trained / "run"], capsys, stdin="abz\nabc\nzzb\n",
                             monkeypatch=monkeypatch)
    assert code == 0 and len(out.splitlines()) == 3
    assert err.splitlines() == ["rnnkit: 3 source token(s) on 2 of 3 lines were not in the "
                                "model's vocabulary and were read as the unknown token "
                                "(--strict stops instead)"]
    code, out, _ = run_cli(["translate", trained / "run", "--allow-unknown"], capsys,
                           stdin="abz\n", monkeypatch=monkeypatch)  # (an old script's flag)
    assert code == 0 and len(out.splitlines()) == 1


@pytest.mark.parametrize("text, flags, message", [
    ("abc\tcba\nabc\n", [], "line 2: 1 tab-separated fields"),
    ("", [], "the file is empty"),
    ("abcdef\tfedcba\nab\tba\n" * 3, ["--max-length", "3", "--too-long", "error"],
     "line 1: 6 tokens, more than --max-length 3"),
    ("ab\tba\n" * 3, ["--shared-vocab", "--target-tokens", "word"], "--shared-vocab needs the same"),
])
def test_bad_training_input_is_one_line_and_no_run_folder(tmp_path, capsys, text, flags, message):
    data = tmp_path / "pairs.tsv"
    data.write_text(text)
    code, _, err = run_cli(["train", "seq2seq", "--data", data, "--out", tmp_path / "run",
                            *TINY, *flags], capsys)
    assert code == 2 and message in one_error_line(err)
    assert not (tmp_path / "run").exists()


def test_a_missing_column_is_one_line(tmp_path, capsys):
    data = tmp_path / "pairs.csv"
    data.write_text("es,en\nuno,one\n")
    code, _, err = run_cli(["train", "seq2seq", "--data", data, "--out", tmp_path / "run", *TINY],
                           capsys)
    assert code == 2 and "no source column 'source'; the columns are: es, en" in one_error_line(err)
