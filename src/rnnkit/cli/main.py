"""`rnnkit` command: dispatches to one module per command. The project's own user-facing
errors become one line and exit code 2; any other exception is a bug and shows its traceback
with a hint to report it."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

import rnnkit
from rnnkit.cli import (
    backtest,
    caption,
    diagnose,
    evaluate,
    export,
    forecast,
    generate,
    predict,
    prune,
    search,
    serve,
    train,
    transcribe,
    translate,
)
from rnnkit.errors import UserError

COMMANDS = (train, generate, evaluate, predict, translate, caption, transcribe, forecast, backtest,
            diagnose, search, prune, export, serve)
REPORT = ("rnnkit: internal error (a bug, not your input): please report it with the "
          "traceback above and the command you ran")


class Parser(argparse.ArgumentParser):
    """argparse whose errors (an unknown flag, a value of the wrong type or range) are one
    line and exit code 2, as every other bad input is; its subcommands' parsers are the same."""

    def error(self, message: str):
        self.exit(2, f"rnnkit: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rnnkit",
        description="Recurrent neural networks (Elman RNN, LSTM, GRU) with explicit BPTT, "
        "on PyTorch.",
    )
    parser.add_argument("--version", action="version", version=f"rnnkit {rnnkit.__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # (rnnkit train --nproc reruns it)
    if args.command is None:
        parser.print_help(sys.stdout)
        return 0
    try:
        return args.run_command(args)
    except UserError as error:
        print(f"rnnkit: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("rnnkit: interrupted; the last checkpoint is intact", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(REPORT, file=sys.stderr)
        return 1
