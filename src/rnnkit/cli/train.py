"""`rnnkit train TASK`: one subcommand per registered task; its flags come from the task's
config class, grouped (data / model / training / run). Parse, call the run API, print.
`--nproc N` runs the same command as N processes through torchrun's launcher (`--nnodes M
--rdzv-endpoint HOST:PORT`: on each of M machines); under torchrun (or --nproc) only rank 0
prints."""

from __future__ import annotations

import argparse
import json
import os
import sys

from rnnkit.cli.options import add_config_flags, given_flags, number
from rnnkit.cli.progress import Reporter
from rnnkit.cli.show import print_summary
from rnnkit.config import read_toml
from rnnkit.run import make_config, train
from rnnkit.tasks.registry import TASKS
from rnnkit.train.distributed import launch_here, launched


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
        sub.add_argument("--nproc", type=number(int, low=1, high=1024), default=1, metavar="N",
                         help="train on N processes of this machine (data-parallel, through "
                         "torchrun's launcher) (default: 1)")
        sub.add_argument("--nnodes", type=number(int, low=1, high=4096), default=1, metavar="M",
                         help="with --nproc: this machine is one of M, each running this "
                         "command (default: 1)")
        sub.add_argument("--rdzv-endpoint", metavar="HOST:PORT",
                         help="with --nnodes: where the machines meet (torchrun's c10d "
                         "rendezvous; the same on each) (default: none)")
        add_config_flags(sub, spec.config_class, skip=tuple(spec.fixed))
        sub.set_defaults(run_command=run, config_class=spec.config_class)


def run(args: argparse.Namespace) -> int:
    settings = {**(read_toml(args.config) if args.config else {}),
                **given_flags(args, args.config_class)}
    config = make_config(args.task, settings)  # (--resume alone: the run's own settings)
    if args.nproc != 1 or args.nnodes != 1 or args.rdzv_endpoint:
        quiet_native_warnings(args.argv)
        return launch_here(args.nproc, without_launcher_flags(args.argv), args.nnodes,
                           args.rdzv_endpoint)
    writer = (launched() or {"rank": 0})["rank"] == 0
    summary = train(args.task, config, progress=Reporter() if writer else None)
    if not writer:
        return 1 if summary["failed"] else 0
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print_summary(summary)
    return 1 if summary["failed"] else 0


def quiet_native_warnings(argv: list[str]) -> None:
    """Start this command afresh with PyTorch's C++ warnings off (TORCH_CPP_LOG_LEVEL=ERROR,
    read only when torch is imported), unless the user set the level: when a machine of a
    multi-machine run stops, the others' launchers warn with a C++ stack trace about the
    rendezvous store it took with it, after the one line that says why. Only for the command
    this process was started with (never for a call of `main` from Python)."""
    if "TORCH_CPP_LOG_LEVEL" in os.environ or list(sys.argv[1:]) != list(argv):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "rnnkit", *argv],
              {**os.environ, "TORCH_CPP_LOG_LEVEL": "ERROR"})


LAUNCHER_FLAGS = ("--nproc", "--nnodes", "--rdzv-endpoint")


def without_launcher_flags(argv: list[str]) -> list[str]:
    """The command line without --nproc, --nnodes and --rdzv-endpoint (and their values): what
    each process runs."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item in LAUNCHER_FLAGS:
            skip = True
        elif not item.startswith(tuple(f"{flag}=" for flag in LAUNCHER_FLAGS)):
            out.append(item)
    return out
