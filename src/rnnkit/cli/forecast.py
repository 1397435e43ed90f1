"""`rnnkit forecast RUN_DIR`: forecast past the end of a series, as CSV (and a picture)."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from rnnkit.cli.options import add_overwrite, add_run_arguments, number, output_file
from rnnkit.run import open_run
from rnnkit.tasks.forecast.plots import plot_forecast


def add_parser(commands) -> None:
    parser = commands.add_parser("forecast", help="forecast past the end of a series",
                                 description="The next --horizon values after the last known "
                                 "target of each series, with 80% intervals.")
    section = add_run_arguments(parser, run)
    section.add_argument("--data", help="CSV with the recent history; known-future columns need "
                         "future rows with an empty target (default: the run's bundled series)")
    section.add_argument("--horizon", type=number(int), help="steps ahead (default: the model's own)")
    section.add_argument("-o", "--output", help="write the forecast as CSV here (default: stdout)")
    section.add_argument("--plot", metavar="FILE.png",
                         help="draw history, forecast and interval (default: none)")
    add_overwrite(section)


def run(args: argparse.Namespace) -> int:
    output = output_file(args.output, args.overwrite, "--output")
    plot = output_file(args.plot, args.overwrite, "--plot")
    trained = open_run(args.run, args.checkpoint, args.device)
    results = trained.forecast(args.data, args.horizon)
    rows = []
    for r in results:
        for i, time in enumerate(r["times"]):
            row = {"series": r["series"], "time": "" if time is None else str(time),
                   "forecast": float(r["point"][i])}
            if "lower" in r:
                row["lower_80"], row["upper_80"] = float(r["lower"][i]), float(r["upper"][i])
            rows.append(row)
    if plot:
        plot_forecast(results[0], plot, target=trained.config.target or "value",
                      time_column=trained.config.time_column)
    if args.format == "json":
        print(json.dumps(rows))
        return 0
    handle = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    if output:
        handle.close()
    return 0
