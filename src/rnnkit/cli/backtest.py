"""`rnnkit backtest RUN_DIR`: rolling-origin backtest of a forecasting run."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_run_arguments, number
from rnnkit.cli.show import print_table
from rnnkit.run import open_run


def add_parser(commands) -> None:
    parser = commands.add_parser("backtest", help="rolling-origin backtest of a forecasting run",
                                 description="Forecasts from --folds origins one horizon apart, "
                                 "ending at the series' end, beside the naive baselines.")
    section = add_run_arguments(parser, run)
    section.add_argument("--data", help="CSV in the run's format (default: the run's bundled "
                         "series)")
    section.add_argument("--folds", type=number(int), default=5,
                         help="forecast origins, one horizon apart (default: 5)")


def run(args: argparse.Namespace) -> int:
    result = open_run(args.run, args.checkpoint, args.device).backtest(args.data, args.folds)
    if args.format == "json":
        print(json.dumps(result))
    else:
        print(f"rolling-origin backtest, {args.folds} folds of {result['horizon']} steps "
              f"(season {result['season']}):")
        print_table("mean", result["mean"])
    return 0
