"""`rnnkit forecast RUN_DIR`: forecast past the end of a series, as CSV (and a picture)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from rnnkit.cli.options import add_run_arguments
from rnnkit.errors import UserError
from rnnkit.run import open_run
from rnnkit.tasks.forecast.plots import plot_forecast


def add_parser(commands) -> None:
    parser = commands.add_parser("forecast", help="forecast past the end of a series",
                                 description="The next --horizon values after the last known "
                                 "target of each series, with 80% intervals.")
    section = add_run_arguments(parser, run)
    section.add_argument("--data", help="CSV with the recent history; known-future columns need "
                         "future rows with an empty target (default: the run's bundled series)")
    section.add_argument("--horizon", type=int, help="steps ahead (default: the model's own)")
    section.add_argument("-o", "--output", help="write the forecast as CSV here (default: stdout)")
    section.add_argument("--plot", metavar="FILE.png",
                         help="draw history, forecast and interval (default: none)")
    section.add_argument("--overwrite", action="store_true",
                         help="replace an existing --output or --plot (default: off)")


def run(args: argparse.Namespace) -> int:
    for path in (args.output, args.plot):
        if path and Path(path).exists() and not args.overwrite:
            raise UserError(f"{path} exists; pass --overwrite to replace it")
    results = open_run(args.run, args.checkpoint, args.device).forecast(args.data, args.horizon)
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
