"""`rnnkit` command: dispatches to one module per command and turns errors into one line."""

from __future__ import annotations

import argparse
import os
import sys

import rnnkit
from rnnkit.cli import diagnose, evaluate, forecast, generate, predict, train
from rnnkit.data.text import DataError
from rnnkit.train.checkpoint import CheckpointError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnkit",
        description="Recurrent neural networks (Elman RNN, LSTM, GRU) with explicit BPTT, "
        "on PyTorch.",
    )
    parser.add_argument("--version", action="version", version=f"rnnkit {rnnkit.__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    train.add_parser(commands)
    generate.add_parser(commands)
    evaluate.add_parser(commands)
    predict.add_parser(commands)
    forecast.add_parsers(commands)
    diagnose.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stdout)
        return 0
    command = getattr(args, "run_command", None) or args.run
    try:
        return command(args)
    except (DataError, CheckpointError, ValueError, TypeError) as error:
        print(f"rnnkit: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("rnnkit: interrupted; the last checkpoint is intact", file=sys.stderr)
        return 130
