"""Cases 3, 18, 25 of the hostile-use report, with real processes: `kill -9` at random moments
of training and of a large checkpoint write, and two trainings into one folder at once. The
last checkpoint always loads; resuming until done equals the run never interrupted; every log
holds each step once; the second training is refused."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from helpers import one_error_line, run_cli
from rnnkit.train.checkpoint import load_checkpoint, save_checkpoint, split_prefix

TRAIN = ["--hidden-size", "32", "--embedding-size", "16", "--num-layers", "1", "--bptt", "20",
         "--batch-size", "8", "--max-steps", "120", "--eval-every", "10", "--device", "cpu",
         "--ngram-order", "0", "--lr", "0.01"]


def command(text, out, *extra):
    return [sys.executable, "-m", "rnnkit", "train", "lm", "--data", str(text), *TRAIN, "--out",
            str(out), "--format", "json", *extra]


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("It was the best of times, it was the worst of times, it was the age of "
                    "wisdom, it was the age of foolishness. " * 60)
    return path


def weights(run):
    return split_prefix(load_checkpoint(run / "last.safetensors")[0], "model")


def steps_logged(run, name):
    return [json.loads(line)["step"] for line in (run / name).read_text().splitlines()]


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_equals_the_uninterrupted_run(text, tmp_path):
    whole = tmp_path / "whole"
    started = time.monotonic()
    subprocess.run(command(text, whole), check=True, capture_output=True, timeout=300)
    duration = time.monotonic() - started  # imports included
    killed = tmp_path / "killed"

    def again():
        if (killed / "last.safetensors").exists():
            return ["--resume"]
        return ["--overwrite"] if killed.exists() else []

    rng = random.Random(7)
    kills = 0
    for _ in range(6):
        process = subprocess.Popen(command(text, killed, *again()), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.4, 1.0) * duration)  # anywhere: imports, steps, saves
        if process.poll() is not None:
            break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        kills += 1
        if (killed / "last.safetensors").exists():
            load_checkpoint(killed / "last.safetensors")  # always whole
    assert kills >= 1
    final = subprocess.run(command(text, killed, *again()), capture_output=True, text=True,
                           timeout=300)
    assert final.returncode == 0, final.stderr
    for name, tensor in weights(whole).items():
        assert torch.equal(tensor, weights(killed)[name]), name
    assert steps_logged(killed, "steps.jsonl") == list(range(1, 121))
    assert steps_logged(killed, "metrics.jsonl") == list(range(10, 121, 10))
    assert steps_logged(killed, "steps.jsonl") == steps_logged(whole, "steps.jsonl")
    losses = [json.loads(line)["loss"] for line in (whole / "steps.jsonl").read_text().splitlines()]
    assert losses == [json.loads(line)["loss"]
                      for line in (killed / "steps.jsonl").read_text().splitlines()]


WRITER = """
import sys, torch
from pathlib import Path
from rnnkit.train.checkpoint import save_checkpoint
path = Path(sys.argv[1])
big = torch.zeros(40_000_000)  # 160 MB
for i in range(1000):
    big[0] = i
    save_checkpoint(path, {"big": big}, {"format": "rnnkit-checkpoint", "config": {},
                                          "task": {"name": "test"}, "i": i})
    print(i, flush=True)
"""


@pytest.mark.slow
def test_kill_9_during_a_large_checkpoint_write_leaves_a_whole_checkpoint(tmp_path):
    path = tmp_path / "last.safetensors"
    save_checkpoint(path, {"big": torch.zeros(4)}, {"format": "rnnkit-checkpoint", "config": {},
                                                   "task": {"name": "test"}, "i": -1})
    rng = random.Random(3)
    for _ in range(4):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(3.0, 6.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        tensors, meta = load_checkpoint(path)  # the old file or the new one, never half
        assert tensors["big"][0] == meta["i"] or meta["i"] == -1


@pytest.mark.slow
def test_two_trainings_into_one_folder_the_second_is_refused(text, tmp_path, capsys):
    run = tmp_path / "run"
    first = subprocess.Popen(command(text, run, "--max-steps", "400"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (run / ".rnnkit.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (run / ".rnnkit.lock").exists()
        for flags in ([], ["--overwrite"]):  # --overwrite would remove the first one's files
            code, _, err = run_cli(["train", "lm", "--data", text, *TRAIN, "--out", run, *flags],
                                   capsys)
            assert code == 2 and f"in use by another training (pid {first.pid})" in (
                one_error_line(err))
    finally:
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    steps = json.loads(out)["steps"]
    assert steps > 300 and steps_logged(run, "steps.jsonl") == list(range(1, steps + 1))
    assert not (run / ".rnnkit.lock").exists()  # released at the end
    assert json.loads((run / "config.json").read_text())["max_steps"] == 400


def test_a_stale_lock_of_a_dead_process_is_taken_over(text, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run / ".rnnkit.lock").write_text(str(dead.pid))
    assert os.path.exists(run / ".rnnkit.lock")
    code, _, err = run_cli(["train", "lm", "--data", text, *TRAIN, "--max-steps", "2", "--out",
                            run], capsys)
    assert code == 0, err
