"""`rnnkit search` and `rnnkit search show` from the command line: a search, its table and
plots, the best settings exported as a config that `rnnkit train --config` takes; every bad
input one line and exit 2 with nothing of the user's changed."""

import json

import pytest

from helpers import one_error_line, run_cli

TINY = ["--seq-len", "10", "--hidden-size", "8", "--batch-size", "8", "--valid-size", "32",
        "--steps-per-epoch", "10", "--epochs", "1", "--eval-every", "5", "--device", "cpu"]


def space_file(tmp_path, text="hidden_size = [4, 8]\nlr = { log = [1e-3, 1e-2] }\n"):
    path = tmp_path / "space.toml"
    path.write_text(text)
    return path


def test_search_show_and_export_the_best_config(tmp_path, capsys):
    space = space_file(tmp_path)
    code, out, _ = run_cli(["search", "adding", "--space", space, "--trials", 3, "--sampler",
                            "random", "--pruner", "none", "--out", tmp_path / "s", *TINY], capsys)
    assert code == 0 and out.count("complete") >= 3
    code, out, _ = run_cli(["search", "show", tmp_path / "s", "--format", "json", "--export",
                            tmp_path / "best.toml"], capsys)
    shown = json.loads(out)
    values = [row["value"] for row in shown["trials"]]
    assert code == 0 and len(values) == 3 and values == sorted(values)
    assert set(shown["plots"]) == {"history.png", "slices.png"}
    assert (tmp_path / "s" / "history.png").stat().st_size > 1000
    best = shown["trials"][0]
    code, out, _ = run_cli(["train", "adding", "--config", tmp_path / "best.toml", "--out",
                            tmp_path / "again", "--format", "json"], capsys)
    again = json.loads(out)
    assert code == 0
    config = json.loads((tmp_path / "again" / "config.json").read_text())
    assert {k: config[k] for k in best["params"]} == best["params"]
    assert again["valid"]["loss"] == pytest.approx(best["value"])  # the same run, reproduced
    code, _, err = run_cli(["search", "show", tmp_path / "s", "--export", tmp_path / "best.toml"],
                           capsys)
    assert code == 2 and "exists; pass --overwrite" in one_error_line(err)


@pytest.mark.parametrize("space, flags, expected", [
    ("hiden_size = [4, 8]", [], "'hiden_size' is not a setting"),
    ("hidden_size = { int = [8, 4] }", [], "low < high"),
    ("dropout = { float = [0.0, 1.5] }", [], "dropout must be <= "),
    (None, [], "no such config file"),
    ("hidden_size = [4, 8]", ["--trials", "0"], "--trials must be"),
    ("hidden_size = [4, 8]", ["--seq-len", "1"], "--seq-len >= 2"),
])
def test_bad_searches_are_one_line(tmp_path, capsys, space, flags, expected):
    path = space_file(tmp_path, space) if space is not None else tmp_path / "missing.toml"
    code, _, err = run_cli(["search", "adding", "--space", path, "--out", tmp_path / "s", *TINY,
                            *flags], capsys)
    assert code == 2 and expected in one_error_line(err)
    assert not (tmp_path / "s" / "study.log").exists()


def test_show_refuses_what_is_not_a_search(tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    code, _, err = run_cli(["search", "show", tmp_path / "notes"], capsys)
    assert code == 2 and "not an rnnkit search folder" in one_error_line(err)
    (tmp_path / "notes" / "search.json").write_text("{broken")
    code, _, err = run_cli(["search", "show", tmp_path / "notes"], capsys)
    assert code == 2 and "not valid JSON" in one_error_line(err)


def test_a_run_folder_with_user_files_is_not_taken(tmp_path, capsys):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "mine.txt").write_text("keep")
    code, _, err = run_cli(["search", "adding", "--space", space_file(tmp_path), "--out",
                            tmp_path / "s", *TINY], capsys)
    assert code == 2 and "not an rnnkit search" in one_error_line(err)
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["mine.txt"]
