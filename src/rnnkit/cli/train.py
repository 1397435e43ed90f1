"""`rnnkit train TASK`: one subcommand per registered task; its flags come from the task's
config class, grouped (data / model / training / run). Parse, call the run API, print."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.options import add_config_flags, given_flags
from rnnkit.cli.progress import Reporter
from rnnkit.cli.show import print_summary
from rnnkit.config import load_config
from rnnkit.run import train
from rnnkit.tasks.registry import TASKS


def add_parser(commands) -> None:
    parser = commands.add_parser("train", help="train a model", description="Train a model.")
    tasks = parser.add_subparsers(dest="task", title="tasks", metavar="TASK", required=True)
    for name, spec in TASKS.items():
        sub = tasks.add_parser(name, help=spec.help, usage=f"rnnkit train {name} [options]",
                               description=spec.description +
                               " Flags override --config, which overrides defaults.")
        sub.add_argument("--config", metavar="FILE.toml",
                         help="read settings from a TOML file (default: none)")
        sub.add_argument("--format", choices=("text", "json"), default="text",
                         help="json: one JSON object on stdout at the end (default: text)")
        add_config_flags(sub, spec.config_class, skip=tuple(spec.fixed))
        sub.set_defaults(run_command=run, config_class=spec.config_class, fixed=spec.fixed)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config_class, args.config,
                         {**given_flags(args, args.config_class), **args.fixed})
    summary = train(args.task, config, progress=Reporter())
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print_summary(summary)
    return 1 if summary["failed"] else 0
