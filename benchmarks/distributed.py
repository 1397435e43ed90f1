"""`python -m benchmarks.distributed [--write]` (make bench-distributed): tokens/s of the
language model on 1 process against 2 processes of this machine, and the share of each step
the 2 processes spend in the gradient all-reduce (communication, and waiting for the slower
rank).

The model is the demo's (examples/demo.toml: a 1x512 character LSTM, batch 32 x 100 steps per
process) on the bundled Shakespeare. Each process has one thread (torchrun's default), so 2
processes hold 2 cores: the ideal is 2x; the single-process, single-thread run is the baseline
measured in the same run. Steps after a warm-up are timed from fit()'s own events; each
setting runs `ROUNDS` times, alternating, and the best round counts. Writes
docs/results/distributed.json with --write. About 5 minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS, WARMUP, ROUNDS = 40, 5, 2
SETTINGS = {"dataset": "shakespeare", "num_layers": 1, "hidden_size": 512, "embedding_size": 64,
            "dropout": 0.1, "batch_size": 32, "bptt": 100, "lr": 3e-3, "max_steps": STEPS,
            "eval_every": 10_000, "eval_windows": 1, "ngram_order": 0, "device": "cpu"}


def worker(folder: str) -> None:
    """One process of a measured run (1, or several under torchrun) in `folder`: train STEPS
    steps, time every step after the warm-up and the all-reduce inside it; rank 0 writes the
    figures to FOLDER/figures.json."""
    import torch

    from rnnkit.run import make_config, prepare
    from rnnkit.train.distributed import World, join
    from rnnkit.train.fit import fit

    class Timed(World):
        """A World that adds up the seconds its gradient all-reduce takes."""

        seconds: float = 0.0

        def average_gradients(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return super().average_gradients(*args, **kwargs)
            finally:
                Timed.seconds += time.perf_counter() - started

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    config = make_config("lm", {**SETTINGS, "out": str(Path(folder) / "run")})
    world = join(config.dist_timeout, cuda=False)
    timed = Timed(world.rank, world.world_size, world.local_rank, world.device)
    setup = prepare("lm", config, world=world)
    stamps, comm = [], []
    for event in fit(setup.model, setup.task, config, setup.folder, setup.device, timed):
        if event["event"] == "step":
            stamps.append(time.perf_counter())
            comm.append(Timed.seconds)
    setup.close()
    world.close()
    if world.writer:
        seconds = stamps[-1] - stamps[WARMUP]
        steps = len(stamps) - 1 - WARMUP
        tokens = steps * SETTINGS["batch_size"] * SETTINGS["bptt"] * world.world_size
        (Path(folder) / "figures.json").write_text(json.dumps({
            "processes": world.world_size, "steps_timed": steps,
            "seconds_per_step": seconds / steps, "tokens_per_s": tokens / seconds,
            "allreduce_share": (comm[-1] - comm[WARMUP]) / seconds}))


def measure(processes: int, threads: int = 1) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "benchmarks.distributed", "--worker", folder]
        if processes > 1:
            command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                       f"--nproc-per-node={processes}", *command[1:]]
        subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True)
        return {**json.loads((Path(folder) / "figures.json").read_text()), "threads": threads}


def main(write: bool) -> dict:
    settings = {"1": (1, 1), "2": (2, 1), "1x2threads": (1, 2)}
    rounds = {name: [] for name in settings}
    for _ in range(ROUNDS):
        for name, (processes, threads) in settings.items():
            rounds[name].append(measure(processes, threads))
            print(json.dumps(rounds[name][-1]), flush=True)
    best = {n: max(found, key=lambda r: r["tokens_per_s"]) for n, found in rounds.items()}
    figures = {"model": "1x512 LSTM, batch 32 x bptt 100 per process, one thread per process",
               "one_process": best["1"], "two_processes": best["2"],
               "one_process_two_threads": best["1x2threads"],
               "speedup": best["2"]["tokens_per_s"] / best["1"]["tokens_per_s"],
               "against_two_threads": best["2"]["tokens_per_s"] / best["1x2threads"]["tokens_per_s"],
               "rounds": rounds}
    print(f"2 processes: {figures['speedup']:.2f}x the tokens/s of 1 "
          f"({best['1']['tokens_per_s']:.0f} -> {best['2']['tokens_per_s']:.0f}); all-reduce "
          f"{100 * best['2']['allreduce_share']:.1f} % of each step; "
          f"{figures['against_two_threads']:.2f}x one process of 2 threads")
    if write:
        target = ROOT / "docs" / "results" / "distributed.json"
        target.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2])
    else:
        main("--write" in sys.argv[1:])
