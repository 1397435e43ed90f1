"""Data-parallel training on several processes (gloo, CPU): the averaged gradients, the oracle
(2 processes x batch B == 1 process x batch 2B), exact resume, a killed rank, and bad starts.

Every process test bounds its time; the processes are torchrun's (`rnnkit train --nproc`)."""

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

from helpers import tiny_task_data
from http_helpers import free_port
from rnnkit.cli.train import without_launcher_flags
from rnnkit.run import open_run
from rnnkit.tasks.base import TaskBase
from rnnkit.train.distributed import DistributedError, agree, first_words, join

LIMIT = 240  # seconds any multi-process command may take here before the test fails
LM = ["--hidden-size", "16", "--embedding-size", "8", "--bptt", "12", "--eval-every", "10",
      "--eval-windows", "4", "--ngram-order", "0", "--device", "cpu", "--lr", "0.01"]


def rnnkit(*args, env=None, timeout=LIMIT) -> subprocess.CompletedProcess:
    """`python -m rnnkit ARGS` in a new process (its own environment), bounded in time."""
    return subprocess.run([sys.executable, "-m", "rnnkit", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def errors(stderr: str) -> list[str]:
    """The lines a command printed that are not progress records; no traceback among them."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("{")]


def model_weights(run_dir: Path, name: str = "last") -> dict:
    return {k: v for k, v in load_file(str(run_dir / f"{name}.safetensors")).items()
            if k.startswith("model.")}


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    root = tmp_path_factory.mktemp("text")
    return tiny_task_data(root).text


@pytest.fixture(scope="module")
def two_processes(text, tmp_path_factory):
    """A 2-process LM run of 20 steps, batch 4 per process, dropout on."""
    out = tmp_path_factory.mktemp("runs") / "two"
    done = rnnkit("train", "lm", "--data", text, *LM, "--batch-size", 4, "--max-steps", 20,
                  "--dropout", 0.2, "--nproc", 2, "--out", out)
    assert done.returncode == 0, done.stderr
    return out


# --- the oracle and exact resume -------------------------------------------------------------

def test_two_processes_of_batch_b_equal_one_process_of_batch_2b(text, tmp_path):
    two, one = tmp_path / "two", tmp_path / "one"
    common = ["--data", text, *LM, "--max-steps", 20, "--dropout", 0]
    assert rnnkit("train", "lm", *common, "--batch-size", 4, "--nproc", 2, "--out", two,
                  ).returncode == 0
    assert rnnkit("train", "lm", *common, "--batch-size", 8, "--out", one,
                  env={"OMP_NUM_THREADS": "1"}).returncode == 0
    a, b = model_weights(two), model_weights(one)
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-5, rtol=0, msg=name)
    # the validation figures are sums over both blocks: the one-process figure
    va = [json.loads(line)["valid_loss"] for line in open(two / "metrics.jsonl")]
    vb = [json.loads(line)["valid_loss"] for line in open(one / "metrics.jsonl")]
    assert va == pytest.approx(vb, abs=1e-5)
    # the carried state of both ranks is saved in rank order: the one-process state
    sa, sb = load_file(str(two / "last.safetensors")), load_file(str(one / "last.safetensors"))
    torch.testing.assert_close(sa["state.0"], sb["state.0"], atol=1e-5, rtol=0)
    assert json.loads((two / "summary.json").read_text())["processes"] == 2


def test_an_interrupted_run_resumed_equals_the_uninterrupted_one(two_processes, text, tmp_path):
    out = tmp_path / "resumed"
    common = ["--data", text, *LM, "--batch-size", 4, "--dropout", 0.2, "--nproc", 2, "--out", out]
    assert rnnkit("train", "lm", *common, "--max-steps", 10).returncode == 0
    again = rnnkit("train", "lm", *common, "--max-steps", 20, "--resume")
    assert again.returncode == 0, again.stderr
    whole, resumed = (load_file(str(d / "last.safetensors")) for d in (two_processes, out))
    assert whole.keys() == resumed.keys() and "rng.rank.1" in whole
    for name in whole:  # weights, optimiser, state and both ranks' random streams: bit for bit
        assert torch.equal(whole[name], resumed[name]), name
    assert (two_processes / "steps.jsonl").read_text() == (out / "steps.jsonl").read_text()


def test_only_rank_0_writes_and_the_run_reopens_in_one_process(two_processes, text):
    names = sorted(p.name for p in two_processes.iterdir())
    assert names.count("steps.jsonl") == 1 and not any(".1" in n or "rank" in n for n in names)
    steps = [json.loads(line)["step"] for line in open(two_processes / "steps.jsonl")]
    assert steps == list(range(1, 21))  # one record per step, not one per process
    # the figure reduced over the ranks during training is the one process's figure of the
    # best checkpoint, reopened after training
    summary = json.loads((two_processes / "summary.json").read_text())
    during = min(json.loads(line)["valid_loss"] for line in open(two_processes / "metrics.jsonl"))
    assert summary["valid"]["loss"] == pytest.approx(during, rel=1e-6)
    run = open_run(two_processes, device="cpu")
    assert run.evaluate(str(text))["loss"] < math.log(len(run.task.vocab))  # beats uniform
    assert run.generate("It is", length=20, seed=1).startswith("It is")


def test_a_one_process_run_starts_a_two_process_one_and_resume_keeps_the_count(
        two_processes, text, tmp_path):
    one = tmp_path / "one"
    assert rnnkit("train", "lm", "--data", text, *LM, "--batch-size", 4, "--max-steps", 10,
                  "--out", one).returncode == 0
    onward = rnnkit("train", "lm", "--data", text, *LM, "--batch-size", 4, "--max-steps", 10,
                    "--nproc", 2, "--start-from", one, "--out", tmp_path / "onward")
    assert onward.returncode == 0, onward.stderr
    refused = rnnkit("train", "lm", "--data", text, *LM, "--batch-size", 4, "--max-steps", 30,
                     "--dropout", 0.2, "--out", two_processes, "--resume")
    assert refused.returncode == 2
    (line,) = errors(refused.stderr)
    assert "trained on 2 process(es)" in line


# --- other tasks ------------------------------------------------------------------------------

@pytest.mark.parametrize("task,flags", [
    ("tag", ["--hidden-size", 8, "--word-embedding-size", 6, "--char-hidden-size", 4,
             "--batch-size", 2]),
    ("forecast", ["--time-column", "t", "--target", "y", "--lookback", 12, "--horizon", 4,
                  "--hidden-size", 8, "--batch-size", 8]),
])
def test_other_tasks_train_on_two_processes_into_one_run_folder(task, flags, tmp_path):
    data = tiny_task_data(tmp_path)
    source = {"tag": data.conll, "forecast": data.series}[task]
    out = tmp_path / "run"
    done = rnnkit("train", task, "--data", source, *flags, "--max-steps", 6, "--eval-every", 3,
                  "--device", "cpu", "--nproc", 2, "--out", out)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["steps"] == 6
    records = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert [r["step"] for r in records] == [3, 6]  # rank 0's records only
    run = open_run(out, device="cpu")  # the same files as a one-process run's
    figures = run.evaluate(str(source)) if task == "tag" else run.forecast(str(source))
    assert figures and all(math.isfinite(v) for v in numbers(figures))


def numbers(tree) -> list[float]:
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in numbers(v)]
    if isinstance(tree, list):
        return [x for v in tree for x in numbers(v)]
    return [float(tree)] if isinstance(tree, (int, float)) and not isinstance(tree, bool) else []


class Batches(TaskBase):
    def __init__(self, count):
        self.count = count

    def epoch_windows(self):
        return self.count

    def window_loss(self, model, epoch, window, state):
        return window, None, 1


def test_every_rank_gets_as_many_disjoint_windows():
    shares = []
    for rank in range(3):
        task = Batches(11)
        task.shard(rank, 3)
        shares.append([task.train_loss(None, 0, w, None)[0] for w in range(task.windows_per_epoch())])
    assert [len(s) for s in shares] == [3, 3, 3]
    flat = sorted(w for s in shares for w in s)
    assert flat == sorted(set(flat)) and set(flat) <= set(range(11))
    with pytest.raises(ValueError, match="fewer than the 12 processes"):
        Batches(11).shard(0, 12)


# --- the collectives, in two processes of this test ------------------------------------------

def _rank_main(rank, port, results):
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    world = join(30.0, cuda=False)
    torch.manual_seed(rank)  # different weights on each rank: broadcast_parameters fixes that
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    unused = torch.nn.Parameter(torch.ones(2))
    world.broadcast_parameters(model)
    params = [*model.parameters(), unused]
    inputs = [torch.arange(6.0).view(2, 3), -torch.arange(6.0).view(2, 3) / 3]
    expected = []
    for x in inputs:  # the oracle: both ranks' gradients, computed here, averaged
        model.zero_grad()
        model(x).square().mean().backward()
        expected.append([p.grad.clone() for p in model.parameters()])
    model.zero_grad()
    loss = model(inputs[rank]).square().mean()
    loss.backward()
    mean_loss, tokens, finite = world.average_gradients(params, float(loss), 2 + rank, True)
    for p, a, b in zip(model.parameters(), *expected):
        torch.testing.assert_close(p.grad, (a + b) / 2)
    assert unused.grad is None and finite and tokens == 5
    # a rank whose loss is not finite makes every rank skip the step
    _, _, finite = world.average_gradients(params, float("nan") if rank else 1.0, 1, rank == 0)
    assert not finite and all(p.grad is None for p in params)
    assert world.any(rank == 1) and not world.any(False)
    assert world.gather(rank * 10) == [0, 10] and world.broadcast(rank + 7) == 7
    try:
        agree(world, None, {"lr": 0.1 * (rank + 1), "seed": 1})
    except DistributedError as error:
        results.put((rank, str(error)))
    world.close()


def test_averaged_gradients_skipped_steps_and_settings_checks_across_two_ranks():
    context = mp.get_context("spawn")
    results = context.SimpleQueue()
    procs = mp.start_processes(_rank_main, args=(free_port(), results), nprocs=2, join=False,
                               start_method="spawn")
    deadline = time.monotonic() + LIMIT
    while not procs.join(timeout=5):
        assert time.monotonic() < deadline, "the two ranks did not finish"
    said = dict(results.get() for _ in range(2))
    assert set(said) == {0, 1}
    assert all("lr: rank 0 0.1, rank 1 0.2" in line for line in said.values())


# --- failures: one line each, bounded in time, nothing of the user's changed -----------------

def rank_of(pid: int) -> str | None:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    return next((v[5:].decode() for v in environ if v.startswith(b"RANK=")), None)


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def test_a_killed_rank_stops_every_process_and_the_run_resumes(text, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "rnnkit", "train", "lm", "--data", str(text), *map(str, LM),
               "--batch-size", "4", "--max-steps", "100000", "--nproc", "2", "--out", str(out)]
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + LIMIT
        while not (out / "metrics.jsonl").exists() or len((out / "metrics.jsonl").read_text()
                                                           .splitlines()) < 2:
            assert time.monotonic() < deadline and launcher.poll() is None, "no checkpoint came"
            time.sleep(0.2)
        ranks = {rank_of(child): child for child in children_of(launcher.pid)}
        os.kill(ranks["1"], 9)
        _, stderr = launcher.communicate(timeout=60)  # everyone stops, no hang
    finally:
        launcher.kill()
    assert launcher.returncode not in (0, None)
    lines = errors(stderr)
    assert lines and all(line.startswith("rnnkit: error:") for line in lines), stderr
    assert any("process 1 of 2 was killed (SIGKILL)" in line for line in lines), stderr
    assert not [p for p in children_of(launcher.pid)]
    weights = model_weights(out)  # the last checkpoint is intact
    assert weights and all(torch.isfinite(w).all() for w in weights.values())
    step = json.loads(load_file_meta(out / "last.safetensors"))["progress"]["step"]
    onward = rnnkit("train", "lm", "--data", text, *LM, "--batch-size", 4, "--max-steps",
                    step + 10, "--nproc", 2, "--out", out, "--resume")
    assert onward.returncode == 0, onward.stderr
    assert json.loads((out / "summary.json").read_text())["steps"] == step + 10


def load_file_meta(path: Path) -> str:
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata()["meta"]


def by_hand(rank: int, port: int, *args) -> subprocess.Popen:
    """Rank `rank` of 2 started by hand (as one machine of a multi-node run would be)."""
    env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_RANK": str(rank),
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "rnnkit", "train", "lm", *map(str, args)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_ranks_started_with_different_flags_are_named_and_nothing_is_written(text, tmp_path):
    out, port = tmp_path / "run", free_port()
    common = ["--data", text, *LM, "--batch-size", 4, "--max-steps", 5, "--out", out]
    procs = [by_hand(0, port, *common, "--clip-norm", 1), by_hand(1, port, *common)]
    said = [p.communicate(timeout=LIMIT)[1] for p in procs]
    assert [p.returncode for p in procs] == [2, 2]
    for stderr in said:
        (line,) = errors(stderr)
        assert "different settings" in line and "clip_norm: rank 0 1.0, rank 1 5.0" in line
    assert not out.exists()


def test_a_rendezvous_that_never_completes_times_out_with_one_line(text, tmp_path):
    out = tmp_path / "run"
    started = time.monotonic()
    alone = by_hand(0, free_port(), "--data", text, *LM, "--max-steps", 5, "--out", out,
                    "--dist-timeout", 2)
    _, stderr = alone.communicate(timeout=LIMIT)
    assert alone.returncode == 2 and time.monotonic() - started < 60
    (line,) = errors(stderr)
    assert "did not all meet" in line and "within 2 s" in line
    assert not out.exists()


def test_more_processes_than_streams_is_refused(tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("to be or not to be, that is the question\n")
    out = tmp_path / "run"
    done = rnnkit("train", "lm", "--data", short, *LM, "--valid-fraction", 0, "--test-fraction", 0,
                  "--bptt", 8, "--batch-size", 3, "--nproc", 2, "--out", out)
    assert done.returncode == 2
    lines = errors(done.stderr)
    assert len(lines) == 1 and "2 processes x --batch-size 3 = 6 streams" in lines[0]  # once
    assert not out.exists()


def test_the_launcher_flags_are_taken_out_of_the_command_each_process_runs():
    assert without_launcher_flags(["train", "lm", "--nproc", "2", "--lr", "1"]) == [
        "train", "lm", "--lr", "1"]
    assert without_launcher_flags(["train", "lm", "--nproc=4", "--nnodes", "2",
                                   "--rdzv-endpoint=h:1"]) == ["train", "lm"]


def test_two_machines_meet_at_a_rendezvous_and_train_as_one_run(text, tmp_path):
    """Two launchers (`--nnodes 2 --rdzv-endpoint`), as two machines would run them, each with
    one process: one run, trained by both; different settings are one line, no traceback."""
    def machines(*extra_per_machine):
        port = free_port()
        common = ["--data", text, *LM, "--batch-size", 4, "--max-steps", 5, "--nproc", 1,
                  "--nnodes", 2, "--rdzv-endpoint", f"127.0.0.1:{port}"]
        procs = [subprocess.Popen([sys.executable, "-m", "rnnkit", "train", "lm",
                                   *map(str, common), *map(str, extra)], text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for extra in extra_per_machine]
        return procs, [p.communicate(timeout=LIMIT) for p in procs]

    out = tmp_path / "run"
    procs, said = machines(["--out", out], ["--out", out])
    assert [p.returncode for p in procs] == [0, 0], said
    assert json.loads((out / "summary.json").read_text())["steps"] == 5
    procs, said = machines(["--out", tmp_path / "bad", "--clip-norm", 1],
                           ["--out", tmp_path / "bad"])
    assert sorted(p.returncode for p in procs) == [2, 2]
    lines = [errors(stderr) for _, stderr in said]
    assert sorted(map(len, lines)) == [1, 1], said
    assert any("clip_norm: rank 0" in line[0] for line in lines)
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("flags, says", [
    (["--nnodes", "2"], "needs --rdzv-endpoint HOST:PORT"),
    (["--nnodes", "2", "--rdzv-endpoint", "nohostport"], "needs --rdzv-endpoint HOST:PORT"),
    (["--rdzv-endpoint", "h:1"], "give --nnodes too"),
    (["--nnodes", "0"], "--nnodes: must be from 1 to 4096, got 0"),
])
def test_a_rendezvous_without_its_flags_is_one_line(text, tmp_path, flags, says):
    done = rnnkit("train", "lm", "--data", text, *LM, "--out", tmp_path / "run", *flags)
    assert done.returncode == 2 and says in errors(done.stderr)[0]
    assert not (tmp_path / "run").exists()


def test_the_gist_of_a_gloo_error():
    error = RuntimeError("[/x/gloo/pair.cc:537] Read error [127.0.0.1]:2436: Connection reset by "
                         "peer. This is typically caused by a remote worker hanging")
    assert first_words(error) == "Read error [127.0.0.1]:2436: Connection reset by peer"
