"""`rnnkit search TASK --space space.toml --trials N --out FOLDER [task flags]`: a
hyperparameter search (Optuna: TPE, random or grid; median, successive-halving or Hyperband
pruning) whose trials are ordinary runs. Run the same command in several processes, or on
several machines with one --storage URL, to share the study. `rnnkit search show FOLDER`
prints the trials best first and the settings' importances, draws the plots, and with
--export writes the best trial's settings as a config file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rnnkit.cli.options import add_config_flags, add_overwrite, given_flags, number, output_file
from rnnkit.cli.show import cell
from rnnkit.config import coerce, read_toml
from rnnkit.errors import ConfigError, UserError
from rnnkit.search.space import PRUNERS, SAMPLERS, read_space
from rnnkit.tasks.registry import TASKS


def add_parser(commands) -> None:
    parser = commands.add_parser("search", help="search hyperparameters (Optuna)",
                                 description=__doc__.split("\n", 1)[1].replace("\n", " "))
    subs = parser.add_subparsers(dest="task", title="tasks", metavar="TASK", required=True)
    show = subs.add_parser("show", help="the trials of a search, best first",
                           usage="rnnkit search show FOLDER [options]")
    show.add_argument("folder", metavar="FOLDER", help="a search folder")
    show.add_argument("--export", metavar="FILE.toml",
                      help="write the best trial's settings there (default: none)")
    show.add_argument("--top", type=number(int), default=20, help="rows of the table (default: 20)")
    show.add_argument("--format", choices=("text", "json"), default="text",
                      help="json: one JSON object (default: text)")
    add_overwrite(show)
    show.set_defaults(run_command=run_show)
    for name, spec in TASKS.items():
        sub = subs.add_parser(name, help=f"search {name}", usage=f"rnnkit search {name} [options]")
        section = sub.add_argument_group("search options")
        section.add_argument("--space", required=True, metavar="SPACE.toml",
                             help="the settings to vary and how, see the README (default: none; required)")
        section.add_argument("--trials", type=number(int), default=20,
                             help="trials in the study, all workers together (default: 20)")
        section.add_argument("--sampler", choices=SAMPLERS, default="tpe",
                             help="tpe (Bayesian), random, or grid (default: tpe)")
        section.add_argument("--pruner", choices=PRUNERS, default="halving",
                             help="stops trials whose evaluations fall behind: successive "
                             "halving, median, Hyperband or none (default: halving)")
        section.add_argument("--metric", default="loss",
                             help="validation figure to optimise (default: loss)")
        section.add_argument("--direction", choices=("minimize", "maximize"), default=None,
                             help="(default: maximize accuracy-like figures, else minimize)")
        section.add_argument("--study", default="rnnkit", help="study name (default: rnnkit)")
        section.add_argument("--storage", default=None, metavar="URL",
                             help="an Optuna storage URL shared by several machines "
                             "(default: a journal file in the search folder)")
        section.add_argument("--config", metavar="FILE.toml",
                             help="settings every trial shares (default: none)")
        section.add_argument("--format", choices=("text", "json"), default="text",
                             help="json: one JSON line per trial (default: text)")
        add_config_flags(sub, spec.config_class, skip=(*spec.fixed, "overwrite", "resume"))
        sub.set_defaults(run_command=run_search, config_class=spec.config_class)


def run_search(args: argparse.Namespace) -> int:
    import optuna  # here, not at the top: every other command starts without loading Optuna

    from rnnkit.search.study import SearchSettings, search

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = read_toml(args.config) if args.config else {}
    flags = given_flags(args, args.config_class)
    out = flags.pop("out", base.pop("out", None))
    if out is None:
        raise ConfigError("--out must name the search folder (e.g. --out searches/s1)")
    settings = SearchSettings(task=args.task, base={**base, **flags},
                              space=read_space(args.space, args.config_class), out=out,
                              sampler=args.sampler, pruner=args.pruner, metric=args.metric,
                              direction=args.direction, study=args.study, storage=args.storage,
                              seed=coerce(args.config_class, "seed",
                                          {**base, **flags}.get("seed", 0)))
    ran, failed = 0, []
    for event in search(settings, args.trials):
        if event["event"] == "trial":
            ran += 1
            if event["state"] == "failed":
                failed.append(event)
        if args.format == "json":
            print(json.dumps(event), flush=True)
        elif event["event"] == "start":
            print(f"search: {event['folder']} ({event['trials']} trials, {event['done']} done; "
                  f"{event['direction']} {args.metric})", file=sys.stderr)
            for number in event["failed_dead"]:
                print(f"trial {number}: its worker was killed; marked failed", file=sys.stderr)
        elif event["event"] == "trial":
            value = "" if event["value"] is None else f" {args.metric} {cell(event['value'])}"
            reason = f" ({event['reason']})" if event.get("reason") else ""
            print(f"trial {event['number']}: {event['state']}{value} after {event['steps']} steps "
                  f"{json.dumps(event['params'])}{reason}", flush=True)
        else:
            print("done: " + ", ".join(f"{n} {k}" for k, n in event["counts"].items() if n))
    if ran and len(failed) == ran:
        reason = failed[0].get("reason") or "see the trials' run folders"
        raise UserError(f"every trial this worker ran failed; the first: {reason}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import optuna

    from rnnkit.search.report import (
        best_config,
        importances,
        open_search,
        trial_rows,
        write_config,
        write_plots,
    )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    export = output_file(args.export, args.overwrite, "--export")
    settings, study = open_search(args.folder)
    rows = trial_rows(study)
    found = importances(study)
    plots = write_plots(study, Path(args.folder))
    if export is not None:
        write_config(best_config(settings, study), export, settings.task)
    if args.format == "json":
        print(json.dumps({"trials": rows, "importances": found, "plots": plots,
                          "direction": settings.resolved_direction(), "metric": settings.metric}))
        return 0
    print(f"search of {settings.task}: {len(rows)} trials, {settings.resolved_direction()} "
          f"valid {settings.metric}")
    names = [d.name for d in settings.space]
    print(f"  {'trial':>5} {'state':<9}{settings.metric:>10}{'steps':>8}  " + "  ".join(names))
    for row in rows[:args.top]:
        value = "-" if row["value"] is None else cell(row["value"])
        params = "  ".join(shown(row["params"][n]) if n in row["params"] else "-" for n in names)
        print(f"  {row['number']:>5} {row['state']:<9}{value:>10}{str(row['steps'] or '-'):>8}  "
              f"{params}")
    if found:
        print("importance: " + ", ".join(f"{k} {v:.2f}" for k, v in found.items()))
    for name in plots:
        print(f"wrote {Path(args.folder) / name}")
    if export is not None:
        print(f"wrote {export} (rnnkit train {settings.task} --config {export})")
    return 0


def shown(value) -> str:
    return cell(value) if isinstance(value, (int, float)) else str(value)
