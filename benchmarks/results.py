"""Long-range results table (docs/results.md): `python -m benchmarks.results [--quick]`.

Adding problem at T = 50, 100, 200, 400 and copy task at T = 50, 100 for tanh-RNN, IRNN (relu,
identity init), LSTM and GRU: 128 hidden, RMSprop lr 1e-3, norm clip 1, batch 50, a fixed step
budget of 1000 steps; the LSTM again with Adam lr 3e-3 (1500 steps), where it learns within
the budget; an IRNN trained by SGD with and without clipping; and the diagnosis of a failing
tanh-RNN beside a succeeding LSTM. Writes results.json and the diagnosis PNGs to docs/results/
and prints the Markdown tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rnnkit.train.run_folder import read_log

MODELS = {
    "tanh-RNN": ["--cell", "rnn"],
    "IRNN": ["--cell", "rnn", "--nonlinearity", "relu", "--init", "identity"],
    "LSTM": ["--cell", "lstm"],
    "GRU": ["--cell", "gru"],
}
OUT = Path("docs/results")
# RMSprop's first steps are about 10x the learning rate (its average of squared gradients
# starts at 0); without a warm-up that alone pushes an identity W_hh past spectral radius 2.
WARMUP = 100


def train(task: str, T: int, flags: list[str], steps: int, run: Path, extra=()) -> dict:
    command = [sys.executable, "-m", "rnnkit", "train", task, "--seq-len", str(T), *flags,
               "--max-steps", str(steps), "--eval-every", str(max(steps // 6, 1)),
               "--warmup-steps", str(WARMUP), "--max-bad-steps", "1000000",
               "--out", str(run), "--overwrite", "--format", "json", *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise RuntimeError(result.stderr)
    summary = json.loads(result.stdout)
    metrics = read_log(run, "metrics.jsonl")
    summary["best_loss"] = min(m["valid_loss"] for m in metrics) if metrics else float("nan")
    summary["final_loss"] = metrics[-1]["valid_loss"] if metrics else float("nan")  # the last evaluation
    norms = [record["grad_norm"] for record in read_log(run, "steps.jsonl")]
    summary["max_grad_norm"] = max(norms) if norms else float("nan")
    summary["finite_steps"] = len(norms)
    return summary


def main(quick: bool = False) -> None:
    steps = 100 if quick else 1000
    OUT.mkdir(parents=True, exist_ok=True)
    runs = Path("runs/results")
    rows = []
    for task, lengths in (("adding", (50, 100, 200, 400)), ("copy", (50, 100))):
        for T in lengths:
            for name, flags in MODELS.items():
                s = train(task, T, flags, steps, runs / f"{task}-{T}-{name}")
                rows.append({"task": task, "T": T, "model": name, "final": s["final_loss"],
                             "best": s["best_loss"], "baseline": s["baseline"]["loss"],
                             "max_grad_norm": s["max_grad_norm"]})
                print(json.dumps(rows[-1]), flush=True)
    adam = []
    for T in (50, 100):
        s = train("adding", T, MODELS["LSTM"], int(1.5 * steps), runs / f"adding-{T}-LSTM-adam",
                  extra=("--optimizer", "adam", "--lr", "3e-3", "--epochs", "100"))
        adam.append({"task": "adding", "T": T, "model": "LSTM, Adam lr 3e-3", "best": s["best_loss"],
                     "baseline": s["baseline"]["loss"]})
        print(json.dumps(adam[-1]), flush=True)
    clipping = []
    for clip in ("1.0", "0"):
        s = train("adding", 100, MODELS["IRNN"], steps, runs / f"explode-clip{clip}",
                  extra=("--lr", "1e-2", "--clip-norm", clip, "--optimizer", "sgd"))
        clipping.append({"model": "IRNN, SGD lr 1e-2", "clip_norm": float(clip),
                         "final": s["final_loss"], "best": s["best_loss"],
                         "max_grad_norm": s["max_grad_norm"], "stop": s["stop_reason"],
                         "finite_steps": s["finite_steps"]})
        print(json.dumps(clipping[-1]), flush=True)
    for name in ("adding-50-tanh-RNN", "adding-50-LSTM-adam", "adding-100-tanh-RNN",
                 "adding-100-LSTM"):
        subprocess.run([sys.executable, "-m", "rnnkit", "diagnose", str(runs / name), "--out",
                        str(OUT / f"diagnosis-{name}"), "--format", "json"], check=True,
                       capture_output=True)
    (OUT / "results.json").write_text(json.dumps({"rows": rows, "adam": adam,
                                                  "clipping": clipping}, indent=2))
    print(table(rows, clipping))


def table(rows, clipping) -> str:
    lines = ["| task | T | baseline | tanh-RNN | IRNN | LSTM | GRU |", "|---|---|---|---|---|---|---|"]
    keys = sorted({(r["task"], r["T"]) for r in rows}, key=lambda k: (k[0] != "adding", k[1]))
    for task, T in keys:
        cells = {r["model"]: r for r in rows if (r["task"], r["T"]) == (task, T)}
        base = next(iter(cells.values()))["baseline"]
        lines.append(f"| {task} | {T} | {base:.4f} | " + " | ".join(
            f"{cells[m]['best']:.4f}" for m in MODELS) + " |")
    lines += ["", "| run | clip norm | best valid loss | max pre-clip grad norm | stop |",
              "|---|---|---|---|---|"]
    for c in clipping:
        lines.append(f"| {c['model']} | {c['clip_norm']:g} | {c['best']:.4g} | "
                     f"{c['max_grad_norm']:.3g} | {c['stop']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main("--quick" in sys.argv)
