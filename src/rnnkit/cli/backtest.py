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
    section.add_argument("--folds", type=number(int, 1), default=5,
                         help="forecast origins, one horizon apart (default: 5)")
    section.add_argument("--allow-seen", action="store_true",
                         help="also score folds that overlap the data the run trained and "
                         "validated on (default: off; held-out folds only)")
    section.add_argument("--no-peers", dest="peers", action="store_false",
                         help="leave out statsforecast's models (AutoETS, AutoTheta, MSTL, "
                         "AutoARIMA), printed beside the model (default: off: they are printed)")


def run(args: argparse.Namespace) -> int:
    result = open_run(args.run, args.checkpoint, args.device).backtest(
        args.data, args.folds, allow_seen=args.allow_seen, peers=args.peers)
    if args.format == "json":
        print(json.dumps(result))
        return 0
    seen, held = result["seen"], result["held_out"]
    listed = lambda folds: f"fold{'s' if len(folds) > 1 else ''} {', '.join(map(str, folds))}"  # noqa: E731
    which = ("every fold held out" if not seen
             else f"{listed(seen)} overlap{'s' if len(seen) == 1 else ''} the run's training "
                  f"data, scored anyway: optimistic"
             if args.allow_seen else f"held out: {listed(held)}; {listed(seen)} left out")
    count = len(result["folds"])
    print(f"rolling-origin backtest, {count} fold{'s' if count > 1 else ''} of "
          f"{result['horizon']} steps (season {result['season']}; {which}):")
    print_table("mean", result["mean"])
    if len(result["series"]) > 1:
        for name, scores in result["series"].items():
            print_table(f"series {name}", scores)
    return 0
