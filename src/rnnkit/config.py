"""Typed, frozen configs with a help string per field; defaults < TOML file < flags.

Each field is declared with `option(default, help, group=..., choices=..., low=..., high=...)`.
Loading checks every key: an unknown key, a value of the wrong type, or one outside its range
is a ConfigError that names the key, what was expected and what came. `group` ("data",
"model", "training", "run") is where the command line lists the field's flag.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import field
from pathlib import Path
from typing import Any

from rnnkit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GROUPS = ("data", "model", "training", "run")
SEED_LIMIT = 2**63 - 1  # PyTorch's generators take a signed 64-bit seed
INT_LIMIT = 2**63 - 1  # every int setting fits a C long: none can overflow where it is used


def option(default, help: str, *, group: str = "data", choices: tuple | None = None, low=None,
           high=None):
    """A config field: its default, one line of help, its flag group, what values it allows."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
    return field(default=default, metadata={"help": help, "group": group, "choices": choices,
                                             "low": low, "high": high})


def with_default(base, name: str, default):
    """Field `name` of config class `base` with another default (its help and checks kept):
    how a task config sets its own defaults for the fields it composes."""
    found = {f.name: f for f in dataclasses.fields(base)}[name]
    return field(default=default, metadata=found.metadata)


def type_of(f: dataclasses.Field) -> type:
    """int, float, str or bool: a field's type, `| None` removed."""
    hints = {"int": int, "float": float, "str": str, "bool": bool}
    annotation = f.type if isinstance(f.type, str) else f.type.__name__
    return hints[annotation.replace(" | None", "").strip()]


def nullable(f: dataclasses.Field) -> bool:
    return isinstance(f.type, str) and "None" in f.type


def coerce(cls, name: str, value: Any):
    """The value checked (and ints widened to floats) for field `name` of config `cls`."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        raise ConfigError(f"unknown config key {name!r}; known keys: {', '.join(sorted(fields))}")
    f = fields[name]
    if value is None and nullable(f):
        return None
    kind = type_of(f)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{name} must be {kind.__name__}, got {type(value).__name__} {value!r}")
    meta = f.metadata
    if kind is float and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value}")
    if meta.get("choices") and value not in meta["choices"]:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, meta['choices']))}, "
                          f"got {value!r}")
    if meta.get("low") is not None and value < meta["low"]:
        raise ConfigError(f"{name} must be >= {meta['low']}, got {value!r}")
    if meta.get("high") is not None and value > meta["high"]:
        raise ConfigError(f"{name} must be <= {meta['high']}, got {value!r}")
    if kind is int and not -INT_LIMIT <= value <= INT_LIMIT:
        raise ConfigError(f"{name} must be within ±{INT_LIMIT} (a 64-bit integer), got {value}")
    return value


def read_toml(path: str | Path) -> dict:
    """The keys of a TOML config file, dashes read as underscores; a key given twice (as
    `hidden_size` and `hidden-size`) is an error."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    values: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name in values:
            raise ConfigError(f"{path}: {name!r} is given twice (as {spelled[name]} and {key})")
        values[name], spelled[name] = value, key
    return values


def load_config(cls, path: str | Path | None = None, overrides: dict | None = None):
    """Defaults, then the TOML file's keys, then `overrides` (e.g. the flags given)."""
    values = read_toml(path) if path is not None else {}
    values.update(overrides or {})
    return build_config(cls, values)


def build_config(cls, values: dict):
    """`cls(**values)`, every key checked; what the config's own `check()` finds is an error.
    A class's `fitted_defaults(values)`, if it has one, gives defaults that depend on what was
    given (a model sized to the time budget); a key given itself always wins."""
    checked = {key: coerce(cls, key, value) for key, value in values.items()}
    fitted = getattr(cls, "fitted_defaults", None)
    if fitted is not None:  # reads the given values checked, never raw ones
        checked = {**{k: coerce(cls, k, v) for k, v in fitted(checked).items()}, **checked}
    config = cls(**checked)
    check = getattr(config, "check", None)
    if check is not None:
        check()
    return config


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def from_dict(cls, data: dict):
    """A config from a saved dict (keys checked as for a TOML file)."""
    if not isinstance(data, dict):
        raise ConfigError(f"a saved config must be a JSON object, got {type(data).__name__}")
    return build_config(cls, data)


class Config:
    """Base of every config class: `check()` holds the checks that read several fields (each
    class adds its own and calls `super().check()`); raises ConfigError."""

    def check(self) -> None:
        return None
