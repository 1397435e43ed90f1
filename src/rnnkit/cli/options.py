"""Flags from a config dataclass: one `--flag-name` per field, its help from the field.

Flags default to "not given", so only what the user typed overrides the TOML file, which
overrides the defaults.
"""

from __future__ import annotations

import argparse
import dataclasses

from rnnkit.train.config import _type_of


def add_config_flags(parser: argparse.ArgumentParser, cls, skip: tuple = ()) -> None:
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        meta = f.metadata
        help_text = f"{meta['help']} (default: {f.default})"
        kind = _type_of(cls, f)
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction,
                                default=argparse.SUPPRESS, help=help_text)
        else:
            parser.add_argument(flag, type=kind, default=argparse.SUPPRESS, help=help_text,
                                choices=meta.get("choices"), metavar=None if meta.get("choices")
                                else f.name.upper())


def given_flags(args: argparse.Namespace, cls) -> dict:
    """The config fields the user gave as flags."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names}


def add_run_arguments(parser: argparse.ArgumentParser, run_command) -> None:
    """What every command on a saved run takes: RUN_DIR, --checkpoint, --device, --format."""
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder made by `rnnkit train`")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run_command=run_command)


def add_train_task(tasks, name: str, config_cls, run, help: str, description: str,
                   skip: tuple = ()) -> None:
    """One `rnnkit train NAME`: --config, --format, a flag per config field, its runner."""
    sub = tasks.add_parser(name, help=help, description=description +
                           " Flags override --config, which overrides defaults.")
    sub.add_argument("--config", metavar="FILE.toml", help="read settings from a TOML file")
    sub.add_argument("--format", choices=("text", "json"), default="text",
                     help="json: one JSON object on stdout at the end")
    add_config_flags(sub, config_cls, skip=skip)
    sub.set_defaults(run=run)
