"""Forecasting results (docs/results.md): `python -m benchmarks.forecast_results`.

For every bundled series: train through the command line with the last `folds x horizon` steps
held out (`--test-size`), then `rnnkit backtest` over exactly those steps: rolling origins one
horizon apart, the model beside persistence and seasonal naive on the same windows. Writes
docs/results/forecast.json and prints the Markdown table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("docs/results")
RUNS = Path("runs/results-forecast")
# name: (folds, flags)
SETS = {
    "airline": (1, ["--lookback", "24", "--horizon", "12", "--scaling", "log", "--epochs", "300",
                    "--hidden-size", "32", "--relative", "season", "--eval-every", "50"]),
    "sunspots-yearly": (5, ["--lookback", "40", "--horizon", "10", "--epochs", "100", "--season", "11",
                            "--relative", "season", "--head", "quantile", "--hidden-size", "128",
                            "--eval-every", "100"]),
    "sunspots-monthly": (5, ["--lookback", "132", "--horizon", "12", "--epochs", "8",
                             "--eval-every", "200"]),
    "taylor": (7, ["--lookback", "336", "--horizon", "48", "--known-future", "timeofday,weekday",
                   "--epochs", "24", "--eval-every", "100", "--scaling", "log", "--stride", "2",
                   "--season", "336", "--relative", "season"]),
    "seattle-weather": (10, ["--lookback", "60", "--horizon", "7", "--season", "365", "--epochs", "20",
                             "--known-future", "dayofyear", "--eval-every", "100"]),
    "msft": (5, ["--lookback", "60", "--horizon", "5", "--scaling", "log", "--epochs", "3",
                 "--eval-every", "200"]),
}


def cli(*args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "rnnkit", *args, "--format", "json"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, (folds, flags) in SETS.items():
        horizon = int(flags[flags.index("--horizon") + 1])
        run = RUNS / name
        start = time.monotonic()
        cli("train", "forecast", "--dataset", name, "--test-size", str(folds * horizon), *flags,
            "--out", str(run), "--overwrite")
        minutes = (time.monotonic() - start) / 60
        backtest = cli("backtest", str(run), "--folds", str(folds))
        results[name] = {"folds": folds, "horizon": horizon, "flags": flags, "minutes": minutes,
                         "season": backtest["season"], "mean": backtest["mean"]}
        (OUT / "forecast.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


def table(results: dict) -> str:
    lines = ["| series (backtest) | model | MAE | MASE | MAPE % | 80% coverage |",
             "|---|---|---:|---:|---:|---:|"]
    for name, r in results.items():
        for model in ("model", "persistence", "seasonal_naive"):
            if model not in r["mean"]:
                continue
            m = r["mean"][model]
            cover = f"{m['coverage']:.2f}" if "coverage" in m else ""
            label = f"{name} ({r['folds']}x{r['horizon']}, season {r['season']})" if model == "model" else ""
            shown = "rnnkit LSTM" if model == "model" else model.replace("_", " ")
            lines.append(f"| {label} | {shown} | {m['mae']:.4g} | {m['mase']:.3f} | {m['mape']:.2f} "
                         f"| {cover} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
