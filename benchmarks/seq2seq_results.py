"""Encoder-decoder results (docs/results.md): `python -m benchmarks.seq2seq_results [NAME...]`.

Trains through the command line, each run's settings in examples/ or below, and scores the
best checkpoint with `rnnkit evaluate` (greedy and beam 5, beside copying the source):
- g2p, g2p-none: CMUdict grapheme-to-phoneme with attention, and the same network without it
  (cut after `NO_ATTENTION_MINUTES`: its schedule is the full run's, so the two compare step
  for step in their metrics.jsonl);
- bible, bible-none: Spanish to English on held-out books, with and without attention;
- caption: shapes-captions with the task's defaults.
Writes docs/results/seq2seq.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("docs/results")
RUNS = Path("runs/results-seq2seq")
NO_ATTENTION_MINUTES = "25"
RUNS_TO_TRAIN = {
    "g2p": ["seq2seq", "--config", "examples/g2p.toml"],
    "g2p-none": ["seq2seq", "--config", "examples/g2p.toml", "--attention", "none",
                 "--max-minutes", NO_ATTENTION_MINUTES],
    "bible": ["seq2seq", "--config", "examples/bible.toml"],
    "bible-none": ["seq2seq", "--config", "examples/bible.toml", "--attention", "none"],
    "caption": ["caption"],
}


def cli(*args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "rnnkit", *args, "--format", "json"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.splitlines()[-1])


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "seq2seq.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for name in names or list(RUNS_TO_TRAIN):
        run = RUNS / name
        start = time.monotonic()
        summary = cli("train", *RUNS_TO_TRAIN[name], "--out", str(run), "--overwrite")
        results[name] = {"command": ["rnnkit", "train", *RUNS_TO_TRAIN[name]],
                         "minutes": (time.monotonic() - start) / 60, "steps": summary["steps"],
                         "valid": summary["valid"], "test": summary.get("test"),
                         "baseline": summary["baseline"]}
        path.write_text(json.dumps(results, indent=2) + "\n")
        print(name, json.dumps(results[name]["test"]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
