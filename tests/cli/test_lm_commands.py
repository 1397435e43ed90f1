"""The language-model commands end to end: bad input is one line and exit 2; the README's
commands run (short versions); a short training beats the n-gram baseline."""

import json
import subprocess
import sys

import pytest

from rnnkit.cli.main import main

TINY = ["--hidden-size", "16", "--num-layers", "1", "--embedding-size", "8", "--batch-size", "4",
        "--bptt", "10", "--eval-every", "5"]


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("It is a truth universally acknowledged, that a single man in possession "
                    "of a good fortune, must be in want of a wife.\n" * 30)
    return path


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error:"), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    (b"na\xefve text " * 50, "byte 0xef at offset 2; pass --encoding"),
    (b"too short", "fewer than one window"),
])
def test_bad_training_data_exits_2_with_one_line(tmp_path, capsys, content, expected):
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run_cli(["train", "lm", "--data", str(path), "--out", str(tmp_path / "run"),
                              *TINY], capsys)
    assert code == 2 and expected in one_error_line(err)
    assert not (tmp_path / "run" / "last.safetensors").exists()


@pytest.mark.parametrize("flags, expected", [
    (["--lr", "-1"], "lr must be >= 0.0"),
    (["--dataset", "shakespeare", "--data", "x.txt"], "exactly one of"),
    (["--precision", "bf16", "--device", "cpu"], "needs a GPU"),
])
def test_impossible_flag_values_exit_2(corpus, tmp_path, capsys, flags, expected):
    code, _, err = run_cli(["train", "lm", "--data", str(corpus), "--out", str(tmp_path / "r"),
                            *TINY, *flags], capsys)
    assert code == 2 and expected in one_error_line(err)


def test_corrupt_or_missing_run_exits_2(tmp_path, capsys):
    code, _, err = run_cli(["generate", str(tmp_path / "nothing")], capsys)
    assert code == 2 and "no such run folder" in one_error_line(err)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "best.safetensors").write_bytes(b"not a checkpoint at all")
    code, _, err = run_cli(["generate", str(run_dir)], capsys)
    assert code == 2 and "not a readable rnnkit checkpoint" in one_error_line(err)


def test_unknown_prime_character_exits_2(corpus, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert run_cli(["train", "lm", "--data", str(corpus), "--out", str(run_dir), *TINY,
                    "--max-steps", "5", "--ngram-order", "0"], capsys)[0] == 0
    code, _, err = run_cli(["generate", str(run_dir), "--prime", "Zebra"], capsys)
    assert code == 2 and "'Z'" in one_error_line(err)


def test_readme_commands_short_versions(corpus, tmp_path, capsys):
    run_dir = tmp_path / "runs" / "my"
    config = tmp_path / "lm.toml"
    config.write_text("hidden_size = 16\nnum_layers = 1\nembedding_size = 8\n")
    code, out, _ = run_cli(["train", "lm", "--data", str(corpus), "--cell", "lstm", "--config",
                            str(config), "--batch-size", "4", "--bptt", "10", "--max-steps", "10",
                            "--eval-every", "5", "--out", str(run_dir), "--format", "json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["steps"] == 10 and summary["baseline"]["order"] == 5
    assert (run_dir / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((run_dir / "config.json").read_text())["hidden_size"] == 16
    code, out, _ = run_cli(["generate", str(run_dir), "--prime", "It is", "--length", "30",
                            "--temperature", "0.8", "--top-k", "5", "--seed", "1"], capsys)
    assert code == 0 and out.startswith("It is") and len(out.rstrip("\n")) == len("It is") + 30
    code, out, _ = run_cli(["evaluate", str(run_dir), "--data", str(corpus), "--format", "json"],
                           capsys)
    figures = json.loads(out)
    assert code == 0 and figures["perplexity"] > 1 and figures["unknown_tokens"] == 0
    # resuming the finished run continues from its checkpoint; overwriting needs asking
    code, _, err = run_cli(["train", "lm", "--data", str(corpus), "--out", str(run_dir), *TINY],
                           capsys)
    assert code == 2 and "--resume" in one_error_line(err)


def test_traceback_never_reaches_the_user(tmp_path):
    result = subprocess.run([sys.executable, "-m", "rnnkit", "train", "lm", "--data",
                             str(tmp_path / "missing.txt")], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("rnnkit: error:")


@pytest.mark.slow
def test_short_training_beats_the_ngram_baseline(tmp_path, capsys):
    """Counting to ten is beyond a 5-gram's context; the LSTM learns it."""
    path = tmp_path / "count.txt"
    path.write_text(("0" * 9 + "1") * 1500)
    code, out, _ = run_cli(["train", "lm", "--data", str(path), "--hidden-size", "32",
                            "--num-layers", "1", "--embedding-size", "8", "--batch-size", "16",
                            "--bptt", "40", "--max-steps", "150", "--eval-every", "50",
                            "--out", str(tmp_path / "run"), "--format", "json"], capsys)
    summary = json.loads(out)
    assert code == 0
    assert summary["valid"]["loss"] < summary["baseline"]["loss"]
