"""`python -m benchmarks.threads`: the demo's LSTM training step (1x512, batch 32, bptt 100,
Adam) in tokens/s on 1 and on 2 threads, on a quiet machine and beside one busy process (a
Python loop holding a core), interleaved, median of 5 runs of 4 s each. What the thread fitting
of `rnnkit/train/threads.py` rests on: two threads on one free core run slower than one.
Run it with nothing else on the machine."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import torch

from rnnkit import LSTM

SECONDS, REPEATS = 4.0, 5


def tokens_per_second(threads: int) -> float:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    embedding, rnn, head = torch.nn.Embedding(65, 64), LSTM(64, 512), torch.nn.Linear(512, 65)
    parameters = [*embedding.parameters(), *rnn.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(parameters, 3e-3)
    x, y = torch.randint(0, 65, (32, 100)), torch.randint(0, 65, (32, 100))

    def step() -> None:
        out, _ = rnn(embedding(x))
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, 65), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < SECONDS:
        step()
        steps += 1
    return steps * x.numel() / (time.perf_counter() - started)


def measure() -> dict[str, dict[int, float]]:
    found: dict[str, dict[int, list[float]]] = {"quiet": {1: [], 2: []}, "one core busy": {1: [], 2: []}}
    for _ in range(REPEATS):
        for machine in found:
            neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"]) \
                if machine != "quiet" else None
            try:
                time.sleep(0.5 if neighbour else 0.0)
                for threads in (1, 2):
                    found[machine][threads].append(tokens_per_second(threads))
            finally:
                if neighbour:
                    neighbour.kill()
                    neighbour.wait()
    return {m: {t: statistics.median(v) for t, v in runs.items()} for m, runs in found.items()}


def table(found: dict) -> str:
    rows = ["| machine | 1 thread (tokens/s) | 2 threads (tokens/s) | 2 threads / 1 |",
            "|---|---:|---:|---:|"]
    for machine, by in found.items():
        rows.append(f"| {machine} | {by[1]:,.0f} | {by[2]:,.0f} | {by[2] / by[1]:.2f}x |")
    return "\n".join(rows)


if __name__ == "__main__":
    if "--help" in sys.argv[1:] or "-h" in sys.argv[1:]:
        print(__doc__)
        sys.exit(0)
    print(table(measure()))
