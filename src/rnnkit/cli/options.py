"""Flags from a config dataclass, grouped as the config declares (data / model / training /
run), and the arguments every command on a saved run takes.

Config flags default to "not given", so only what the user typed overrides the TOML file,
which overrides the defaults; each flag's help line shows the default.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
from pathlib import Path

from rnnkit.config import GROUPS, INT_LIMIT, SEED_LIMIT, type_of
from rnnkit.data.text import decode_text
from rnnkit.errors import UserError

DEVICES = ("auto", "cpu", "cuda")
DEVICE_HELP = "where to compute: auto picks a GPU when PyTorch sees one (default: auto)"


def number(kind: type, low: float | None = None, high: float | None = None):
    """An argparse type for a flag's number: an int (or a finite float) in [low, high], so no
    command takes NaN, infinity, a seed past 64 bits or a beam of a hundred thousand. Ints are
    bounded by a 64-bit integer's range in any case."""
    floor = -INT_LIMIT if kind is int and low is None else low
    ceiling = INT_LIMIT if kind is int and high is None else high
    if low is not None and high is not None:
        bounds = f"from {low:g} to {high:g}" if kind is float else f"from {low} to {high}"
    elif low is not None or high is not None:
        bounds = f">= {low}" if low is not None else f"<= {high}"
    else:
        bounds = f"within ±{INT_LIMIT}"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if (floor is not None and value < floor) or (ceiling is not None and value > ceiling):
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


SEED = number(int, 0, SEED_LIMIT)


def add_config_flags(parser: argparse.ArgumentParser, cls, skip: tuple = ()) -> None:
    """One `--flag-name` per field of config class `cls`, in its group's section of the help."""
    sections = {name: parser.add_argument_group(f"{name} options") for name in GROUPS}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    # a task that trains on --data or a bundled --dataset and has neither by default needs one
    needs_one = "data" in fields and "dataset" in fields and fields["dataset"].default is None
    for f in fields.values():
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        meta = f.metadata
        required = ("; this or --dataset is required" if f.name == "data" else
                    "; this or --data is required" if f.name == "dataset" else "") if needs_one else ""
        help_text = f"{meta['help']} (default: {shown_default(f.default)}{required})"
        kind = type_of(f)
        section = sections[meta["group"]]
        if kind is bool:
            section.add_argument(flag, action=argparse.BooleanOptionalAction,
                                 default=argparse.SUPPRESS, help=help_text)
        else:
            section.add_argument(flag, type=kind, default=argparse.SUPPRESS, help=help_text,
                                 choices=meta.get("choices"),
                                 metavar=None if meta.get("choices") else f.name.upper())


def shown_default(value) -> str:
    """A default as every help page writes it: none, on, off, or the value."""
    return {None: "none", True: "on", False: "off"}.get(value, str(value)) if (
        value is None or isinstance(value, bool)) else str(value)


def given_flags(args: argparse.Namespace, cls) -> dict:
    """The config fields the user gave as flags."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names}


def add_run_arguments(parser: argparse.ArgumentParser, run_command) -> argparse._ArgumentGroup:
    """What every command on a saved run takes: RUN_DIR, --checkpoint, --device, --format.
    Returns the "data options" section for the command's own flags."""
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder made by `rnnkit train`")
    data = parser.add_argument_group("data options")
    section = parser.add_argument_group("run options")
    section.add_argument("--checkpoint", choices=("best", "last"), default="best",
                         help="which checkpoint to load (default: best)")
    section.add_argument("--device", choices=DEVICES, default="auto", help=DEVICE_HELP)
    section.add_argument("--format", choices=("text", "json"), default="text",
                         help="json: machine-readable output (default: text)")
    parser.set_defaults(run_command=run_command)
    return data


def output_file(path: str | None, overwrite: bool, flag: str) -> Path | None:
    """A file the user named for output, checked before any work: not a folder, in a folder
    that exists and can be written, and not replaced without --overwrite."""
    if path is None:
        return None
    target = Path(path)
    if target.is_dir():
        raise UserError(f"{flag} {path} is a folder; give a file name")
    if not target.parent.is_dir():
        raise UserError(f"{flag} {path}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise UserError(f"{flag} {path}: cannot write in {target.parent} (permission denied)")
    if target.exists() and not overwrite:
        raise UserError(f"{path} exists; pass --overwrite to replace it")
    return target


def read_stdin(encoding: str) -> str:
    """Standard input as text in `encoding`: one error line for binary or undecodable bytes."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream handed in by a caller (tests, notebooks)
        return sys.stdin.read()
    return decode_text(stream.read(), "standard input", encoding)


def add_encoding(section, what: str = "the input's, a file's or standard input's") -> None:
    section.add_argument("--encoding", default="utf-8",
                         help=f"text encoding of {what} (default: utf-8)")


def add_overwrite(section) -> None:
    section.add_argument("--overwrite", action="store_true",
                         help="replace output files that exist (default: off)")
