"""`python -m benchmarks.search_pruning` (make bench-search): does pruning pay on the bundled
Shakespeare? TPE searches over the same space with the same sampler seed: without pruning,
with the median pruner and with successive halving; each trial a character LM of at most 400
steps, evaluated every 50. Prints the best validation loss of each, the training steps each
spent, and their ratios to the unpruned search; writes docs/results/search.json. About 35
minutes on 2 CPU cores."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import optuna

from rnnkit.search.space import Dimension
from rnnkit.search.study import SearchSettings, search

SPACE = (Dimension("hidden_size", "choice", values=(64, 128, 256)),
         Dimension("num_layers", "int", low=1, high=2),
         Dimension("lr", "log", low=5e-4, high=1e-2),
         Dimension("dropout", "float", low=0.0, high=0.3))
BASE = {"dataset": "shakespeare", "max_steps": 400, "eval_every": 50, "eval_windows": 20,
        "batch_size": 32, "bptt": 64, "embedding_size": 32, "ngram_order": 0, "device": "cpu",
        "schedule": "cosine", "warmup_steps": 20}
TRIALS = 16


def one(pruner: str, folder: Path) -> dict:
    settings = SearchSettings(task="lm", base=BASE, space=SPACE, out=str(folder / pruner),
                              sampler="tpe", pruner=pruner, seed=0)
    started = time.monotonic()
    trials = [e for e in search(settings, TRIALS) if e["event"] == "trial"]
    best = min(e["value"] for e in trials if e["value"] is not None)
    return {"pruner": pruner, "best_valid_loss": best, "steps": sum(e["steps"] for e in trials),
            "pruned": sum(e["state"] == "pruned" for e in trials), "trials": len(trials),
            "minutes": (time.monotonic() - started) / 60}


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch:
        rows = [one(pruner, Path(scratch)) for pruner in ("none", "median", "halving")]
    plain = rows[0]
    for row in rows:
        row["loss_ratio"] = row["best_valid_loss"] / plain["best_valid_loss"]
        row["steps_ratio"] = row["steps"] / plain["steps"]
    result = {"space": [d.to_dict() for d in SPACE], "base": BASE, "trials": TRIALS, "rows": rows}
    print("| pruner | best valid loss (nats/char) | x unpruned | training steps | x unpruned | "
          "pruned trials | minutes |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['pruner']} | {row['best_valid_loss']:.4f} | {row['loss_ratio']:.4f} | "
              f"{row['steps']} | {row['steps_ratio']:.3f} | {row['pruned']}/{row['trials']} | "
              f"{row['minutes']:.1f} |")
    if "--write" in sys.argv:
        path = Path(__file__).resolve().parents[1] / "docs" / "results" / "search.json"
        path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
