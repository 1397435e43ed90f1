"""Each task with its defaults only and a time budget (docs/results.md "Defaults only"):
`python -m benchmarks.defaults [NAME ...]` (all cases: about 2.5 hours of one core each; two at
a time with OMP_NUM_THREADS=1 on this 2-core machine); `--table` prints the Markdown table of
the cases done.

Every case is the command a new user types — `rnnkit train TASK` with the data it names and
`--max-minutes`, nothing tuned — and its summary (best validation figures, steps, the
baseline rnnkit prints beside it) lands in docs/results/defaults.json, one entry per case,
merged with the entries already there (so cases can be run one at a time). The tanh-RNN's
run is diagnosed as well (`rnnkit diagnose`), to say why it stays at the baseline, and the
forecaster is backtested over its held-out week (`rnnkit backtest --folds 7`).
Set OMP_NUM_THREADS=1 to run two cases side by side on this 2-core machine (the figures in
docs/results.md say how they were run).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from rnnkit.train.run_folder import read_log

OUT = Path("docs/results")
RUNS = Path("runs/defaults")

CASES: dict[str, list[str]] = {
    "adding-100-lstm": ["adding", "--seq-len", "100", "--cell", "lstm", "--max-minutes", "5"],
    "adding-200-lstm": ["adding", "--seq-len", "200", "--cell", "lstm", "--max-minutes", "8"],
    "adding-200-gru": ["adding", "--seq-len", "200", "--cell", "gru", "--max-minutes", "8"],
    "adding-400-lstm": ["adding", "--seq-len", "400", "--cell", "lstm", "--max-minutes", "20"],
    "adding-400-gru": ["adding", "--seq-len", "400", "--cell", "gru", "--max-minutes", "20"],
    "adding-100-rnn": ["adding", "--seq-len", "100", "--cell", "rnn", "--max-minutes", "5"],
    "copy-100-lstm": ["copy", "--seq-len", "100", "--cell", "lstm", "--max-minutes", "15"],
    "lm-shakespeare-4": ["lm", "--dataset", "shakespeare", "--max-minutes", "4"],
    "lm-shakespeare-30": ["lm", "--dataset", "shakespeare", "--max-minutes", "30"],
    "classify-rotten": ["classify", "--dataset", "rotten-tomatoes", "--max-minutes", "8"],
    "tag-wnut": ["tag", "--dataset", "wnut16", "--folds", "5", "--fold", "0", "--max-minutes", "8"],
    "forecast-taylor": ["forecast", "--dataset", "taylor", "--lookback", "336", "--horizon", "48",
                        "--test-size", "336", "--max-minutes", "8"],
}
DIAGNOSE = ("adding-100-rnn",)
BACKTEST = {"forecast-taylor": 7}  # folds of the test part (7 x 48 = the held-out week)


def run_case(name: str) -> dict:
    run = RUNS / name
    command = [sys.executable, "-m", "rnnkit", "train", *CASES[name], "--out", str(run),
               "--overwrite", "--format", "json"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{name}: {result.stderr.strip()[-2000:]}")
    summary = json.loads(result.stdout)
    metrics = read_log(run, "metrics.jsonl")
    entry = {"command": "rnnkit train " + " ".join(CASES[name]),
             "minutes": round((time.perf_counter() - started) / 60, 2), "summary": summary,
             "evaluations": len(metrics)}
    if name in DIAGNOSE:
        diagnosis = subprocess.run([sys.executable, "-m", "rnnkit", "diagnose", str(run), "--out",
                                    str(OUT / f"diagnosis-defaults-{name}"), "--overwrite",
                                    "--format", "json"], capture_output=True, text=True, check=True)
        entry["diagnosis"] = json.loads(diagnosis.stdout)
    if name in BACKTEST:
        backtest = subprocess.run([sys.executable, "-m", "rnnkit", "backtest", str(run), "--folds",
                                   str(BACKTEST[name]), "--format", "json"],
                                  capture_output=True, text=True, check=True)
        entry["backtest"] = json.loads(backtest.stdout)["mean"]
    return entry


def figure(name: str, entry: dict) -> tuple[str, str]:
    """(the model's figure, the baseline's) of a case, as the table shows them."""
    s = entry["summary"]
    if name.startswith(("adding", "copy")):
        extra = f", accuracy {s['valid']['accuracy']:.3f}" if "accuracy" in s["valid"] else ""
        return f"MSE/CE {s['valid']['loss']:.5f}{extra}", f"{s['baseline']['loss']:.4f} (memoryless)"
    if name.startswith("lm"):
        return (f"{s['valid']['loss']:.3f} nats/char",
                f"{s['baseline']['loss']:.3f} ({s['baseline']['order']}-gram Kneser-Ney)")
    if name.startswith("classify"):
        return (f"test accuracy {s['test']['accuracy']:.4f}",
                f"{s['baseline']['majority']['accuracy']:.3f} (majority)")
    if name.startswith("tag"):
        return f"test entity F1 {s['test']['f1']:.4f}", "0 (all O)"
    mean = entry["backtest"]
    others = "".join(f", {k} {v['mase']:.3f}" for k, v in mean.items()
                     if k.startswith("seasonal_naive_"))
    return (f"backtest MASE {mean['model']['mase']:.3f}, MAPE {mean['model']['mape']:.2f} %",
            f"seasonal naive {mean['seasonal_naive']['mase']:.3f}{others}, persistence "
            f"{mean['persistence']['mase']:.3f}")


def table(done: dict) -> str:
    lines = ["| case | command | minutes | steps | model | baseline printed beside it |",
             "|---|---|---:|---:|---|---|"]
    for name in CASES:
        if name in done:
            entry = done[name]
            model, baseline = figure(name, entry)
            lines.append(f"| {name} | `{entry['command']}` | {entry['minutes']:.1f} | "
                         f"{entry['summary']['steps']} | {model} | {baseline} |")
    return "\n".join(lines)


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; cases: {', '.join(CASES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "defaults.json"
    for name in names or list(CASES):
        entry = run_case(name)
        done = json.loads(target.read_text()) if target.exists() else {}
        done[name] = entry
        target.write_text(json.dumps(done, indent=2) + "\n")
        print(name, json.dumps(entry["summary"])[:400], flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        print(table(json.loads((OUT / "defaults.json").read_text())))
    else:
        main(sys.argv[1:])
