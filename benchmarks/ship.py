"""`python -m benchmarks.ship [--write]` (make bench-ship): tune-and-ship figures on the bundled
Shakespeare character LM (examples/demo.toml, ~5 minutes of training on 2 CPU cores).

1. Pruning while fine-tuning the trained model (`rnnkit prune`): magnitude 80 % and 90 %, and
   50 % of the units; bits per character before and after (the same validation text) and the
   inference speed of the pruned model against the original, timed in the same run.
2. Export: ONNX Runtime against PyTorch on the same model, as ratios measured in this run —
   batch-1 streaming steps (the step graph against the model's own one-step forward) and
   batch-32 sequences of 100 characters (the model graph against the fused forward); int8
   against float32 ONNX speed, and int8's cost in bits per character on held-out windows.

Writes docs/results/ship.json with --write. About 20 minutes.
"""

from __future__ import annotations

import gc
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch

from rnnkit.config import read_toml
from rnnkit.export import export_run
from rnnkit.run import open_run, train
from rnnkit.run.prune import prune
from rnnkit.tasks.lm.export import graphs

ROOT = Path(__file__).resolve().parents[1]
PRUNINGS = (("magnitude", 0.8), ("magnitude", 0.9), ("units", 0.5))
STEPS = 600


def timed(call, repeats: int) -> float:
    """The median seconds of `call()` over `repeats` calls after one warm-up."""
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def base_model(folder: Path) -> Path:
    """The demo's model, trained once into `folder/base` (kept for later runs)."""
    base = folder / "base"
    if not (base / "summary.json").is_file():
        train("lm", {**read_toml(ROOT / "examples" / "demo.toml"), "out": str(base),
                     "overwrite": True})
    return base


def pruning_rows(base: Path, folder: Path) -> list[dict]:
    rows = []
    for method, sparsity in PRUNINGS:
        summary = prune(base, {"prune": method, "sparsity": sparsity, "max_steps": STEPS,
                               "eval_every": STEPS // 6}, str(folder / f"{method}-{sparsity}"),
                        overwrite=True, lr_scale=0.25)
        report = summary["pruning"]
        before = report["before"]["valid"]["bits_per_char"]
        after = report["after"]["valid"]["bits_per_char"]
        rows.append({"method": method, "sparsity": sparsity, "steps": STEPS,
                     "bits_per_char_before": before, "bits_per_char_after": after,
                     "relative_cost": after / before - 1,
                     "parameters": report["after"]["parameters"],
                     "nonzero": report["after"]["nonzero"],
                     "speed_vs_original": report["before"]["seconds"] / report["after"]["seconds"]})
    return rows


def windows_of(run, count: int = 64, length: int = 256) -> torch.Tensor:
    """Held-out windows of the run's validation text (each read from the zero state)."""
    run.spec.attach_data(run.task)
    stream = run.task.streams["validation"].data.flatten()  # the held-out ids, in rows
    text = stream if stream.numel() >= count * length else stream.repeat(
        math.ceil(count * length / stream.numel()))
    return text[: count * length].view(count, length)


def bits_per_char(logits: np.ndarray, tokens: torch.Tensor) -> float:
    logits = torch.from_numpy(logits[:, :-1]).double()
    targets = tokens[:, 1:]
    nats = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             targets.reshape(-1))
    return float(nats) / math.log(2)


def runner(path: Path, graph):
    """ONNX Runtime with its default settings (as a deployment would run it)."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda *inputs: session.run(None, {n: t.numpy() for n, t in zip(graph.inputs, inputs)})


def export_rows(base: Path, folder: Path) -> dict:
    run = open_run(base, device="cpu")
    export_run(run, "onnx", folder / "fp32.onnx")
    export_run(run, "onnx", folder / "int8.onnx", int8=True)
    gc.collect()  # the quantiser's own sessions, whose threads would spin beside the timings
    sequence, step = graphs(run)
    fp32 = runner(folder / "fp32.onnx", sequence)
    int8 = runner(folder / "int8.onnx", sequence)
    fp32_step = runner(folder / "fp32.step.onnx", step)
    model = run.model.eval()

    tokens = torch.randint(0, model.head.out_features, (32, 100))
    lengths = torch.full((32,), 100)
    with torch.no_grad():
        torch_batch = timed(lambda: sequence.module(tokens, lengths), 10)
    onnx_batch = timed(lambda: fp32(tokens, lengths), 10)
    int8_batch = timed(lambda: int8(tokens, lengths), 10)

    token = torch.randint(0, model.head.out_features, (1,))
    state = step.initial_state(1)
    with torch.no_grad():
        torch_step = timed(lambda: step.module(token, *state), 200)
    onnx_step = timed(lambda: fp32_step(token, *state), 200)

    held_out = windows_of(run)
    full = torch.full((held_out.shape[0],), held_out.shape[1])
    fp32_bits = bits_per_char(fp32(held_out, full)[0], held_out)
    int8_bits = bits_per_char(int8(held_out, full)[0], held_out)
    sizes = {name: (folder / f"{name}.onnx").stat().st_size for name in ("fp32", "int8")}
    return {"batch32_seconds": {"pytorch": torch_batch, "onnxruntime": onnx_batch,
                                "onnxruntime_int8": int8_batch},
            "step_seconds": {"pytorch": torch_step, "onnxruntime": onnx_step},
            "onnx_vs_pytorch_batch32": torch_batch / onnx_batch,
            "onnx_vs_pytorch_step": torch_step / onnx_step,
            "int8_vs_fp32_speed": onnx_batch / int8_batch,
            "bits_per_char": {"fp32": fp32_bits, "int8": int8_bits},
            "int8_relative_cost": int8_bits / fp32_bits - 1, "bytes": sizes}


def main() -> None:
    torch.manual_seed(0)
    folder = ROOT / "runs" / "bench-ship"  # the runs stay, for a look (runs/ is not tracked)
    base = base_model(folder)
    result = {"base": json.loads((base / "summary.json").read_text())["valid"]}
    result["pruning"] = pruning_rows(base, folder)
    (folder / "pruning.json").write_text(json.dumps(result["pruning"], indent=2))
    with tempfile.TemporaryDirectory() as scratch:
        result["export"] = export_rows(base, Path(scratch))
    print("| pruning | sparsity | bits/char before | after | relative cost | non-zero "
          "parameters | inference speed vs original |")
    print("|---|---|---|---|---|---|---|")
    for row in result["pruning"]:
        print(f"| {row['method']} | {row['sparsity']:.0%} | {row['bits_per_char_before']:.4f} | "
              f"{row['bits_per_char_after']:.4f} | {row['relative_cost']:+.2%} | "
              f"{row['nonzero']:,} | {row['speed_vs_original']:.2f}x |")
    e = result["export"]
    print(f"\nONNX Runtime vs PyTorch: batch 32 x 100 {e['onnx_vs_pytorch_batch32']:.2f}x, "
          f"batch-1 step {e['onnx_vs_pytorch_step']:.2f}x; int8 vs float32 ONNX "
          f"{e['int8_vs_fp32_speed']:.2f}x, cost {e['int8_relative_cost']:+.2%} bits/char "
          f"({e['bits_per_char']['fp32']:.4f} -> {e['bits_per_char']['int8']:.4f}); "
          f"files {e['bytes']['fp32']:,} -> {e['bytes']['int8']:,} bytes")
    if "--write" in sys.argv:
        (ROOT / "docs" / "results" / "ship.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
