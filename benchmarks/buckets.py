"""Length buckets vs plain shuffled batches (issue: classify and tag), same run, same model.

Training steps (forward, backward, Adam) of a 1x128 BiLSTM classifier on the bundled Rotten
Tomatoes snippets, the first `steps` batches of an epoch each way, interleaved; reports real
(non-padding) tokens per second and the share of padded positions.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time

import torch

from rnnkit.data.buckets import padding_share
from rnnkit.run import prepare
from rnnkit.tasks.classify.spec import ClassifyConfig


def measure(task, model, steps: int) -> tuple[float, float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens, start = 0, time.perf_counter()
    for window in range(steps):
        loss, _, n = task.train_loss(model, 0, window, None)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        tokens += n
    lengths = [x.shape[0] for x in task.parts["train"][0]]
    return tokens / (time.perf_counter() - start), padding_share(task.batches(0)[:steps],
                                                                 lengths)


def run(quick: bool = False) -> str:
    steps = 20 if quick else 60
    with tempfile.TemporaryDirectory() as folder:
        base = ClassifyConfig(dataset="rotten-tomatoes", out=folder, overwrite=True, batch_size=64,
                              hidden_size=128)
        results = {}
        for buckets in (True, False, True, False):
            config = dataclasses.replace(base, buckets=buckets)
            setup = prepare("classify", config)
            task, model = setup.task, setup.model
            torch.manual_seed(0)
            speed, padding = measure(task, model, steps)
            results.setdefault(buckets, []).append((speed, padding))
    rows = ["| batches | real tokens/s | padded positions |", "|---|---:|---:|"]
    best = {k: max(v) for k, v in results.items()}
    for buckets, (speed, padding) in best.items():
        rows.append(f"| {'length buckets' if buckets else 'shuffled'} | {speed:,.0f} | "
                    f"{padding:.1%} |")
    ratio = best[True][0] / best[False][0]
    return ("### Length buckets (Rotten Tomatoes, 1x128 BiLSTM, batch 64, "
            f"{steps} steps, best of 2)\n\n" + "\n".join(rows) +
            f"\n\nbuckets / shuffled throughput: **{ratio:.2f}x**")


if __name__ == "__main__":
    print(run())
