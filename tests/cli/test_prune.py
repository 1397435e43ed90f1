"""`rnnkit prune` end to end on a small language model: a new run folder at the sparsity asked,
the report's figures equal to what `rnnkit evaluate` then finds; units pruning leaves a smaller
dense model every command can use; bad input one line, exit 2, nothing of the user's changed."""

import json

import pytest

from helpers import TINY_LM, hashes, one_error_line, run_cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from rnnkit.cli.main import main

    root = tmp_path_factory.mktemp("prune")
    corpus = root / "corpus.txt"
    corpus.write_text("It is a truth universally acknowledged, that a single man in possession "
                      "of a good fortune, must be in want of a wife.\n" * 30)
    flags = [a if a != "8" else "16" for a in TINY_LM]  # 16 hidden units, 16-wide embedding
    assert main(["train", "lm", "--data", str(corpus), "--out", str(root / "lm"), *flags,
                 "--num-layers", "2", "--max-steps", "20", "--format", "json"]) == 0
    return root


def test_magnitude_pruning_reaches_its_sparsity(trained, capsys, tmp_path):
    code, out, _ = run_cli(["prune", trained / "lm", "--sparsity", 0.75, "--steps", 20, "--out",
                            tmp_path / "p", "--format", "json"], capsys)
    summary = json.loads(out)
    report = summary["pruning"]
    assert code == 0 and report["method"] == "magnitude"
    for name, share in report["matrices"].items():  # the recurrent matrices; the rest whole
        assert share == (pytest.approx(0.75, abs=0.02) if ".cell.weight" in name else 0.0), name
    assert report["after"]["nonzero"] < 0.6 * report["before"]["nonzero"]
    code, out, _ = run_cli(["evaluate", tmp_path / "p", "--data", trained / "corpus.txt",
                            "--format", "json"], capsys)
    assert code == 0
    config = json.loads((tmp_path / "p" / "config.json").read_text())
    assert config["start_from"] == str(trained / "lm") and config["sparsity"] == 0.75


def test_units_pruning_leaves_a_smaller_dense_model(trained, capsys, tmp_path):
    code, out, _ = run_cli(["prune", trained / "lm", "--method", "units", "--sparsity", 0.5,
                            "--steps", 20, "--out", tmp_path / "u", "--format", "json"], capsys)
    summary = json.loads(out)
    assert code == 0 and summary["hidden_size"] == 8
    before, after = summary["pruning"]["before"], summary["pruning"]["after"]
    assert after["parameters"] < 0.6 * before["parameters"]
    assert after["nonzero"] > 0.95 * after["parameters"]  # dense: nothing left to mask
    assert json.loads((tmp_path / "u" / "config.json").read_text())["hidden_size"] == 8
    code, out, _ = run_cli(["generate", tmp_path / "u", "--length", 20, "--seed", 1], capsys)
    assert code == 0 and len(out.strip()) >= 20
    records = [json.loads(line) for line in (tmp_path / "u" / "metrics.jsonl").read_text().splitlines()]
    pruned = [r["valid_loss"] for r in records if r["step"] >= 15]  # past the ramp (3/4 of 20)
    assert summary["valid"]["loss"] == pytest.approx(min(pruned), abs=1e-6)  # compacted = masked


@pytest.mark.parametrize("flags, expected", [
    (["--sparsity", "1.0"], "sparsity must be <= 0.99"),
    (["--sparsity", "-0.1"], "sparsity must be >= 0.0"),
    (["--sparsity", "0.9", "--method", "units", "--steps", "4"], None),
])
def test_bad_prunes_are_one_line(trained, capsys, tmp_path, flags, expected):
    before = hashes(trained / "lm")
    code, _, err = run_cli(["prune", trained / "lm", "--out", tmp_path / "p", *flags], capsys)
    if expected is None:  # 0.9 of 16 units leaves 2: allowed, and it trains
        assert code == 0
    else:
        assert code == 2 and expected in one_error_line(err)
        assert not (tmp_path / "p").exists()
    assert hashes(trained / "lm") == before


def test_prune_refuses_an_existing_folder_and_a_missing_run(trained, capsys, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    code, _, err = run_cli(["prune", trained / "lm", "--sparsity", 0.5, "--out", tmp_path / "mine"],
                           capsys)
    assert code == 2 and "not an rnnkit run folder" in one_error_line(err)
    code, _, err = run_cli(["prune", tmp_path / "none", "--sparsity", 0.5, "--out", tmp_path / "x"],
                           capsys)
    assert code == 2 and "no such run folder" in one_error_line(err)
