"""The forecasting competition (docs/results.md): `python -m benchmarks.forecast_results`.

Every bundled series is trained through the command line with the task's defaults, a fixed
time budget and only the shape of the problem given (--lookback, --horizon, and the last
`folds x horizon` steps held out with --test-size); then `rnnkit backtest` forecasts exactly
those held-out steps from rolling origins one horizon apart, with the naive forecasts and
statsforecast's AutoETS, AutoTheta, MSTL and AutoARIMA on the same origins and scale. Writes
docs/results/forecast.json and prints the Markdown tables: MASE and sMAPE per series, and the
M4 summary across series (OWA: the mean of sMAPE and MASE, each relative to a reference
forecaster's, as the M4 competition scored against Naive2; here against Theta and the
seasonal naive forecast).

    python -m benchmarks.forecast_results [NAME ...] [--seeds N] [--minutes M]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path("docs/results")
RUNS = Path("runs/results-forecast")
# name: (folds, horizon, lookback, minutes): the problem's shape and the budget, nothing tuned
SETS = {
    "airline": (2, 12, 24, 2),
    "wineind": (2, 12, 24, 2),
    "ausbeer": (3, 8, 16, 2),
    "woolyrnq": (2, 8, 16, 2),
    "sunspots-yearly": (5, 10, 40, 2),
    "sunspots-monthly": (5, 12, 132, 2),
    "seattle-weather": (10, 7, 60, 2),
    "msft": (5, 5, 60, 2),
    "taylor": (7, 48, 336, 8),
}
PEERS = ("seasonal_naive", "persistence", "auto_ets", "auto_theta", "mstl", "auto_arima")
SHOWN = {"model": "rnnkit (hybrid LSTM)", "seasonal_naive": "seasonal naive",
         "persistence": "naive (last value)", "auto_ets": "AutoETS", "auto_theta": "AutoTheta",
         "mstl": "MSTL", "auto_arima": "AutoARIMA"}


def cli(*args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "rnnkit", *args, "--format", "json"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout)


def run_one(name: str, seed: int, minutes: float | None) -> dict:
    folds, horizon, lookback, budget = SETS[name]
    budget = minutes or budget
    run = RUNS / f"{name}-{seed}"
    start = time.monotonic()
    summary = cli("train", "forecast", "--dataset", name, "--lookback", str(lookback),
                  "--horizon", str(horizon), "--test-size", str(folds * horizon),
                  "--max-minutes", str(budget), "--seed", str(seed), "--out", str(run),
                  "--overwrite")
    minutes_taken = (time.monotonic() - start) / 60
    backtest = cli("backtest", str(run), "--folds", str(folds))
    return {"folds": folds, "horizon": horizon, "lookback": lookback, "budget": budget,
            "seed": seed, "minutes": minutes_taken, "season": backtest["season"],
            "relative": summary.get("relative"), "held_out": backtest["held_out"],
            "mean": backtest["mean"]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"series to run (default: all of {', '.join(SETS)})")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per series (default: 1)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="one budget for every series (default: each series' own)")
    parser.add_argument("--tables", action="store_true",
                        help="only print the tables of docs/results/forecast.json")
    args = parser.parse_args(argv)
    if args.tables:
        print(tables(json.loads((OUT / "forecast.json").read_text())))
        return
    unknown = [n for n in args.names if n not in SETS]
    if unknown:
        parser.error(f"unknown series {unknown[0]!r}; choose from {', '.join(SETS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "forecast.json"
    results = json.loads(path.read_text()) if path.exists() and args.names else {}
    for name in args.names or SETS:
        runs = [run_one(name, seed, args.minutes) for seed in range(1, args.seeds + 1)]
        results[name] = {**runs[0], "seeds": [r["mean"]["model"] for r in runs]}
        if len(runs) > 1:  # the model's mean over seeds; the peers are the same every seed
            results[name]["mean"]["model"] = {
                m: float(np.mean([r["mean"]["model"][m] for r in runs])) for m in runs[0]["mean"]["model"]}
        path.write_text(json.dumps(results, indent=2) + "\n")
    print(tables(results))


def tables(results: dict) -> str:
    lines = ["| series (folds x horizon, season, budget) | forecaster | MASE | sMAPE % | 80% coverage "
             "| quantile loss |", "|---|---|---:|---:|---:|---:|"]
    for name, r in results.items():
        rows = ["model", *[p for p in PEERS if p in r["mean"]]]
        best = min(rows, key=lambda n: r["mean"][n]["mase"])
        for k, row in enumerate(rows):
            m = r["mean"][row]
            spread = ""
            if row == "model" and len(r.get("seeds", [])) > 1:
                values = [s["mase"] for s in r["seeds"]]
                spread = f" ({min(values):.3f}-{max(values):.3f} over {len(values)} seeds)"
            label = (f"{name} ({r['folds']}x{r['horizon']}, {r['season']}, {r['budget']:g} min)"
                     if k == 0 else "")
            mase = f"**{m['mase']:.3f}**" if row == best else f"{m['mase']:.3f}"
            cover = f"{m['coverage']:.2f}" if "coverage" in m else ""
            loss = f"{m['quantile_loss']:.4g}" if "quantile_loss" in m else ""
            lines.append(f"| {label} | {SHOWN[row]} | {mase}{spread} | {m['smape']:.2f} | {cover} | {loss} |")
    lines += ["", summary(results)]
    return "\n".join(lines)


def summary(results: dict) -> str:
    """Mean MASE and sMAPE across series per forecaster (over the series every one of them
    forecast), and OWA against AutoTheta and the seasonal naive forecast."""
    names = ["model", *PEERS]

    def scores(r: dict) -> dict:  # a series without a season: its seasonal naive is the naive
        return {"seasonal_naive": r["mean"]["persistence"], **r["mean"]}

    common = [n for n in names if all(n in scores(r) for r in results.values())]
    mean = {n: {m: float(np.mean([scores(r)[n][m] for r in results.values()]))
                for m in ("mase", "smape")} for n in common}
    lines = ["| forecaster (all series) | mean MASE | mean sMAPE % | OWA vs AutoTheta "
             "| OWA vs seasonal naive |", "|---|---:|---:|---:|---:|"]

    def owa(n, ref):
        if ref not in mean:
            return ""
        return f"{0.5 * (mean[n]['smape'] / mean[ref]['smape'] + mean[n]['mase'] / mean[ref]['mase']):.3f}"

    for n in common:
        lines.append(f"| {SHOWN[n]} | {mean[n]['mase']:.3f} | {mean[n]['smape']:.2f} | "
                     f"{owa(n, 'auto_theta')} | {owa(n, 'seasonal_naive')} |")
    for n in [n for n in names if n not in common]:  # a peer not fitted on every series
        where = [r for r in results.values() if n in r["mean"]]
        ours, theirs = (float(np.mean([r["mean"][k]["mase"] for r in where])) for k in ("model", n))
        lines.append(f"| {SHOWN[n]}, on the {len(where)} series it forecast (rnnkit there: "
                     f"{ours:.3f}) | {theirs:.3f} | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
