"""Cases 1, 2, 7, 8, 17, 18, 21, 25 of the hostile-use report: the run folder. Nothing of the
user's is changed or lost; a finished run resumed does nothing; logs hold each step once."""

import json
import os

import pytest

from helpers import TINY_LM, hashes, one_error_line, run_cli, sha256
from rnnkit.train.checkpoint import TEMPORARY_PREFIX


def train_args(text, out, *extra):
    return ["train", "lm", "--data", text, *TINY_LM, "--out", out, *extra]


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_folder_that_is_not_a_run_is_never_written_into(tmp_path, trained_run, capsys, overwrite):
    _, text = trained_run
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("config.json", "vocab.json", "curves.png", "metrics.jsonl"):
        (folder / name).write_text(f"the user's own {name}\n")
    before = hashes(folder)
    code, _, err = run_cli(train_args(text, folder, *overwrite), capsys)
    assert code == 2 and "is not an rnnkit run folder" in one_error_line(err)
    assert hashes(folder) == before


def test_an_empty_out_and_an_out_that_is_a_file_are_refused(tmp_path, trained_run, capsys,
                                                            monkeypatch):
    _, text = trained_run
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(train_args(text, ""), capsys)
    assert code == 2 and "--out must name a folder" in one_error_line(err)
    assert not any(tmp_path.iterdir())
    (tmp_path / "a-file").write_text("keep me")
    for target in (tmp_path / "a-file", "/dev/null"):
        code, _, err = run_cli(train_args(text, target), capsys)
        assert code == 2 and "exists and is not a folder" in one_error_line(err)
    assert (tmp_path / "a-file").read_text() == "keep me"


def test_overwrite_removes_only_what_rnnkit_wrote_and_says_so(run_copy, capsys):
    run, text = run_copy
    (run / "notes.txt").write_text("mine")
    (run / "labels.json").write_text("{}")  # an older classification run's
    (run / "confusion.png").write_bytes(b"png")
    code, _, err = run_cli(train_args(text, run, "--overwrite"), capsys)
    assert code == 0, err
    assert (run / "notes.txt").read_text() == "mine"
    assert not (run / "labels.json").exists() and not (run / "confusion.png").exists()
    start = json.loads(err.splitlines()[0])  # not a terminal: progress is JSON lines
    assert start["event"] == "start" and {"labels.json", "confusion.png"} <= set(start["removed"])


def test_a_finished_run_resumed_does_nothing(run_copy, capsys):
    run, text = run_copy
    before = hashes(run)
    code, out, _ = run_cli(train_args(text, run, "--resume", "--format", "json"), capsys)
    summary = json.loads(out)
    assert code == 0 and summary["steps"] == 5 and "already finished" in summary["stop_reason"]
    for name in ("last.safetensors", "best.safetensors", "steps.jsonl", "metrics.jsonl"):
        assert sha256(run / name) == before[name]


def test_resume_with_other_settings_names_them_and_touches_nothing(run_copy, capsys):
    run, text = run_copy
    before = hashes(run)
    code, _, err = run_cli(train_args(text, run, "--resume", "--hidden-size", "16",
                                      "--optimizer", "sgd"), capsys)
    line = one_error_line(err)
    assert code == 2 and "hidden_size 8 -> 16" in line and "optimizer 'adam' -> 'sgd'" in line
    assert hashes(run) == before
    code, _, err = run_cli(["train", "tag", "--data", text, "--out", run, "--resume"], capsys)
    assert code == 2 and "holds a lm run; it cannot be resumed as tag" in one_error_line(err)
    assert hashes(run) == before


def test_resume_truncates_the_logs_to_the_checkpoint(run_copy, capsys):
    """Records written after the last checkpoint (a kill came before the next) are redone once."""
    run, text = run_copy
    with open(run / "steps.jsonl", "a") as log:
        log.write(json.dumps({"step": 6, "loss": 1.0, "lr": 0.1, "grad_norm": 1.0}) + "\n")
    with open(run / "metrics.jsonl", "a") as log:
        log.write(json.dumps({"step": 6, "valid_loss": 1.0}) + "\n")
    code, _, err = run_cli(train_args(text, run, "--resume", "--max-steps", "8"), capsys)
    assert code == 0, err
    steps = [json.loads(line)["step"] for line in (run / "steps.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))
    evaluated = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert evaluated == [5, 8]


def test_a_run_killed_before_its_first_checkpoint_is_not_trained_into_again(run_copy, capsys):
    run, text = run_copy
    for name in ("last.safetensors", "best.safetensors"):
        (run / name).unlink()
    before = hashes(run)
    code, _, err = run_cli(train_args(text, run), capsys)
    assert code == 2 and "unfinished run with no checkpoint" in one_error_line(err)
    assert hashes(run) == before
    assert run_cli(train_args(text, run, "--overwrite"), capsys)[0] == 0


def test_temporary_files_a_kill_left_are_removed_on_the_next_start(run_copy, capsys):
    run, text = run_copy
    leftover = run / f"{TEMPORARY_PREFIX}last.safetensors.x1y2"
    leftover.write_bytes(b"\0" * 1000)
    assert run_cli(train_args(text, run, "--resume", "--max-steps", "6"), capsys)[0] == 0
    assert not leftover.exists()


def test_a_folder_that_cannot_be_written_is_one_line(run_copy, capsys, monkeypatch):
    """(Run as root, a read-only folder is writable all the same: the check is simulated.)"""
    run, text = run_copy
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(run)
                        else real(path, mode))
    before = hashes(run)
    code, _, err = run_cli(train_args(text, run, "--resume", "--max-steps", "6"), capsys)
    assert code == 2 and "cannot write in" in one_error_line(err)
    code, _, err = run_cli(["diagnose", run], capsys)
    assert code == 2 and "cannot write in" in one_error_line(err)
    assert hashes(run) == before


def test_a_run_of_an_older_rnnkit_without_the_marker_is_still_a_run(run_copy, capsys):
    run, text = run_copy
    (run / "rnnkit-run.json").unlink()
    code, _, err = run_cli(train_args(text, run), capsys)
    assert code == 2 and "already holds a run" in one_error_line(err)
    assert run_cli(train_args(text, run, "--resume", "--max-steps", "6"), capsys)[0] == 0
    assert (run / "rnnkit-run.json").exists()
