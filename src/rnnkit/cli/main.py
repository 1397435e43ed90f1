"""`rnnkit` command: dispatches to one module per command. The project's own user-facing
errors become one line and exit code 2; any other exception is a bug and shows its traceback
with a hint to report it."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
import traceback
import warnings

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
from rnnkit.train.distributed import launched

COMMANDS = (train, generate, evaluate, predict, translate, caption, transcribe, forecast, backtest,
            diagnose, search, prune, export, serve)
# A process other than rank 0 that meets bad input waits this long before it exits, so that rank 0
# (which prints the one error line) ends first and the launcher reports its exit code, not ours.
OTHER_RANK_GRACE_S = 10.0
REPORT = ("rnnkit: internal error (a bug, not your input): please report it with the "
          "traceback above and the command you ran")


class Parser(argparse.ArgumentParser):
    """argparse whose errors (an unknown flag, a value of the wrong type or range) are one
    line and exit code 2, as every other bad input is; its subcommands' parsers are the same."""

    def error(self, message: str):
        raise UserError(f"{message} (see `{self.prog} --help`)")


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


def other_rank() -> bool:
    """Whether this process is one of the processes > 0 that torchrun (or `--nproc`, through
    it) started on this machine: they share its terminal with process 0, which says it. Ranks
    started by hand each have their own and each says it."""
    try:
        started = launched()
    except UserError:
        return False
    return started is not None and started["local_rank"] != 0 and "TORCHELASTIC_RUN_ID" in os.environ


@contextlib.contextmanager
def notices():
    """rnnkit's notices of long waits (a build, a synthesis, features of many recordings) as
    `rnnkit: ...` lines on stderr while a command runs."""
    logger = logging.getLogger("rnnkit")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("rnnkit: %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def own_warnings_only() -> None:
    """rnnkit's own warnings as one line each (`rnnkit: warning: ...`); the warnings of the
    libraries beneath it (deprecations, experimental features) are theirs to fix, not the
    user's, and would stand beside an error line as if they explained it."""
    warnings.simplefilter("ignore")
    warnings.filterwarnings("default", module=r"rnnkit(\.|$)")
    warnings.showwarning = lambda message, *rest, **named: print(
        f"rnnkit: warning: {str(message).removeprefix('rnnkit: ')}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UserError as error:
        print(f"rnnkit: error: {error}", file=sys.stderr)
        return 2
    args.argv = list(sys.argv[1:] if argv is None else argv)  # (rnnkit train --nproc reruns it)
    if args.command is None:
        parser.print_help(sys.stdout)
        return 0
    try:
        with warnings.catch_warnings(), notices():
            own_warnings_only()
            return args.run_command(args)
    except UserError as error:
        if other_rank():  # every process of a training meets the same input: rank 0 says it,
            time.sleep(OTHER_RANK_GRACE_S)  # and ends first (the launcher then stops this one)
            return 2
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
