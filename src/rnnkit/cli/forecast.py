"""`rnnkit train forecast`, `rnnkit forecast RUN_DIR`, `rnnkit backtest RUN_DIR`."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from rnnkit.cli.options import add_run_arguments, add_train_task, given_flags
from rnnkit.cli.plots import plot_curves, plot_forecast
from rnnkit.cli.progress import Reporter, follow
from rnnkit.tasks.forecast import ForecastConfig
from rnnkit.tasks.forecast_run import backtest, forecast_ahead, load_forecaster, prepare_run, read_for_run
from rnnkit.tasks.lm_run import read_metrics
from rnnkit.train.config import load_config
from rnnkit.train.fit import fit
from rnnkit.train.run_folder import choose_device

BASELINES = ("persistence", "seasonal_naive", "drift", "mean")


def add_train_parser(tasks) -> None:
    add_train_task(tasks, "forecast", ForecastConfig, run_train, "time-series forecasting",
                   "Train a multi-horizon forecaster on a CSV with a time column (or a bundled "
                   "series); validation beside naive baselines.")


def add_parsers(commands) -> None:
    parser = commands.add_parser("forecast", help="forecast past the end of a series")
    add_run_arguments(parser, run_forecast)
    parser.add_argument("--data", help="CSV with the recent history (default: the run's bundled "
                        "series); known-future columns need future rows with an empty target")
    parser.add_argument("--horizon", type=int, help="steps ahead (the model's own by default)")
    parser.add_argument("-o", "--output", help="write the forecast as CSV here (default: stdout)")
    parser.add_argument("--plot", metavar="FILE.png", help="draw history, forecast and interval")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    parser = commands.add_parser("backtest", help="rolling-origin backtest of a forecasting run")
    add_run_arguments(parser, run_backtest)
    parser.add_argument("--data", help="CSV in the run's format (default: the run's bundled series)")
    parser.add_argument("--folds", type=int, default=5, help="forecast origins, one horizon apart")


def run_train(args: argparse.Namespace) -> int:
    config = load_config(ForecastConfig, args.config, given_flags(args, ForecastConfig))
    run_dir, task, model, device = prepare_run(config)
    say = Reporter()
    say.line(f"rnnkit: forecasting {len(task.prepared)} series ({len(task.train_windows)} training "
             f"windows, lookback {config.lookback}, horizon {config.horizon}, season "
             f"{task.season}) with a {config.architecture} {config.cell.upper()} and a "
             f"{config.head} head on {device.type} -> {run_dir}")
    stop, points = follow(fit(model, task, config, run_dir, device), say)
    plot_curves(read_metrics(run_dir), points, run_dir / "curves.png")
    model.eval()
    scores = task.score(model, task.valid_windows)
    summary = {"run": str(run_dir), "steps": stop["step"], "stop_reason": stop["reason"],
               "season": task.season, "valid": scores}
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print(f"run: {run_dir} ({stop['step']} steps; {stop['reason']})")
        print_scores("validation (last checkpoint)", scores)
    return 1 if stop.get("failed") else 0


def print_scores(title: str, scores: dict) -> None:
    print(f"{title}:")
    print(f"{'':<16}{'MAE':>12}{'RMSE':>12}{'MAPE %':>9}{'sMAPE %':>9}{'MASE':>8}{'cover':>7}")
    for name in ("model", *BASELINES):
        if name in scores:
            m = scores[name]
            cover = f"{m['coverage']:>7.2f}" if "coverage" in m else ""
            print(f"{name:<16}{m['mae']:>12.4g}{m['rmse']:>12.4g}{m['mape']:>9.2f}{m['smape']:>9.2f}"
                  f"{m['mase']:>8.3f}{cover}")


def run_forecast(args: argparse.Namespace) -> int:
    device = choose_device(args.device)
    config, saved, model = load_forecaster(args.run, args.checkpoint, device)
    if args.output and Path(args.output).exists() and not args.overwrite:
        raise ValueError(f"{args.output} exists; pass --overwrite to replace it")
    series = read_for_run(config, args.data, future_rows=True)
    results = forecast_ahead(config, saved, model, series, args.horizon or config.horizon, device)
    rows = []
    for r in results:
        for i, time in enumerate(r["times"]):
            row = {"series": r["series"], "time": "" if time is None else str(time),
                   "forecast": float(r["point"][i])}
            if "lower" in r:
                row["lower_80"], row["upper_80"] = float(r["lower"][i]), float(r["upper"][i])
            rows.append(row)
    if args.plot:
        plot_forecast(results[0], Path(args.plot))
    if args.format == "json":
        print(json.dumps(rows))
        return 0
    handle = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    if args.output:
        handle.close()
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    device = choose_device(args.device)
    config, saved, model = load_forecaster(args.run, args.checkpoint, device)
    series = read_for_run(config, args.data)
    result = backtest(config, saved, model, series, args.folds, device)
    if args.format == "json":
        print(json.dumps(result))
    else:
        print_scores(f"rolling-origin backtest, {args.folds} folds of {config.horizon} steps "
                     f"(season {result['season']})", result["mean"])
    return 0
