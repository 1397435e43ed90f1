"""Typed, frozen configs with a help string per field; defaults < TOML file < flags.

Each field is declared with `option(default, help, choices=..., low=..., high=...)`. Loading
checks every key: an unknown key, a value of the wrong type, or one outside its range is a
ValueError that names the key, what was expected and what came.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def option(default, help: str, *, choices: tuple | None = None, low=None, high=None):
    """A config field: its default, one line of help, and what values it allows."""
    return field(default=default, metadata={"help": help, "choices": choices, "low": low, "high": high})


def _type_of(cls, f: dataclasses.Field) -> type:
    hints = {"int": int, "float": float, "str": str, "bool": bool}
    annotation = f.type if isinstance(f.type, str) else f.type.__name__
    return hints[annotation.replace(" | None", "").strip()]


def _nullable(f: dataclasses.Field) -> bool:
    return isinstance(f.type, str) and "None" in f.type


def coerce(cls, name: str, value: Any):
    """The value checked (and ints widened to floats) for field `name` of config `cls`."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        raise ValueError(f"unknown config key {name!r}; known keys: {', '.join(sorted(fields))}")
    f = fields[name]
    if value is None and _nullable(f):
        return None
    kind = _type_of(cls, f)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{name} must be {kind.__name__}, got {type(value).__name__} {value!r}")
    meta = f.metadata
    if meta.get("choices") and value not in meta["choices"]:
        raise ValueError(f"{name} must be one of {', '.join(map(str, meta['choices']))}, got {value!r}")
    if meta.get("low") is not None and value < meta["low"]:
        raise ValueError(f"{name} must be >= {meta['low']}, got {value!r}")
    if meta.get("high") is not None and value > meta["high"]:
        raise ValueError(f"{name} must be <= {meta['high']}, got {value!r}")
    return value


def load_config(cls, path: str | Path | None = None, overrides: dict | None = None):
    """Defaults, then the TOML file's keys, then `overrides` (e.g. the flags given)."""
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"{path}: no such config file")
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: not valid TOML ({error})") from None
        for key, value in table.items():
            values[key.replace("-", "_")] = coerce(cls, key.replace("-", "_"), value)
    for key, value in (overrides or {}).items():
        values[key] = coerce(cls, key, value)
    return cls(**values)


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def from_dict(cls, data: dict):
    """A config from a saved dict (keys checked as for a TOML file)."""
    return cls(**{key: coerce(cls, key, value) for key, value in data.items()})


@dataclass(frozen=True)
class TrainConfig:
    """What every training run shares: optimiser, schedule, budgets, checkpoints, device."""

    out: str = option("runs/run", "run folder for checkpoints, metrics and plots")
    overwrite: bool = option(False, "replace an existing run folder (otherwise an error)")
    resume: bool = option(False, "continue the run in --out from its last checkpoint")
    seed: int = option(1234, "random seed (CPU runs are fully deterministic)", low=0)
    device: str = option("auto", "auto picks a GPU when there is one", choices=("auto", "cpu", "cuda"))
    precision: str = option("fp32", "autocast precision on GPU", choices=("fp32", "bf16", "fp16"))
    batch_size: int = option(64, "sequences per batch", low=1)
    optimizer: str = option("adam", "optimiser", choices=("sgd", "adam", "adamw", "rmsprop"))
    lr: float = option(2e-3, "learning rate", low=0.0)
    momentum: float = option(0.0, "momentum (sgd, rmsprop)", low=0.0, high=1.0)
    weight_decay: float = option(0.0, "weight decay (L2 for sgd/adam/rmsprop, decoupled for adamw)",
                                 low=0.0)
    clip_norm: float = option(5.0, "clip the global gradient norm to this (0: off)", low=0.0)
    clip_value: float = option(0.0, "clip each gradient entry to ±this (0: off)", low=0.0)
    schedule: str = option("constant", "learning-rate schedule",
                           choices=("constant", "step", "cosine", "plateau"))
    warmup_steps: int = option(0, "linear warm-up steps (cosine, constant)", low=0)
    step_every: int = option(1000, "steps between decays (step schedule)", low=1)
    gamma: float = option(0.5, "decay factor (step and plateau schedules)", low=0.0, high=1.0)
    plateau_patience: int = option(2, "evaluations without improvement before a plateau decay", low=1)
    epochs: int = option(10, "passes over the training data", low=1)
    max_steps: int = option(0, "stop after this many steps (0: no limit)", low=0)
    max_minutes: float = option(0.0, "stop after this many minutes (0: no limit)", low=0.0)
    eval_every: int = option(200, "steps between evaluations and checkpoints", low=1)
    patience: int = option(0, "stop after this many evaluations without improvement (0: off)",
                           low=0)
    max_bad_steps: int = option(5, "stop after this many non-finite steps in a row", low=1)
    diagnose_every: int = option(0, "steps between gradient diagnoses during training (0: off)",
                                 low=0)
