"""The search space: which config fields a search varies, and how.

A space file is TOML; each key is a field of the task's config, each value one of

    cell = ["lstm", "gru"]                      # a fixed list: one of these values
    hidden_size = { choice = [128, 256, 512] }  # the same, spelled out
    num_layers = { int = [1, 3] }               # an integer in [1, 3]; `step = 2` for a lattice
    dropout = { float = [0.0, 0.5] }            # a float in [0.0, 0.5]; `step` allowed
    lr = { log = [1e-4, 1e-2] }                 # a float drawn uniformly in log space

Every bound and value is checked against the field (its type, its range, its choices) before a
trial starts, so a space a training would refuse is one error that names the field.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from rnnkit.config import coerce, read_toml, type_of
from rnnkit.errors import ConfigError

KINDS = ("choice", "int", "float", "log")
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "halving", "hyperband")
LARGEST_GRID = 100_000  # points a grid may hold: more is a search no one will finish
FIXED_BY_SEARCH = ("out", "overwrite", "resume")  # each trial's run folder is the search's own


@dataclass(frozen=True)
class Dimension:
    """One field the search varies: `kind` one of KINDS; `values` for a choice, else
    (`low`, `high`) and an optional `step`."""

    name: str
    kind: str
    values: tuple = ()
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None

    def suggest(self, trial):
        """This dimension's value for an Optuna trial."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.values))
        if self.kind == "int":
            return trial.suggest_int(self.name, self.low, self.high, step=self.step or 1)
        return trial.suggest_float(self.name, self.low, self.high, step=self.step,
                                   log=self.kind == "log")

    def grid_count(self) -> int:
        """How many values `grid()` holds, counted without making them."""
        if self.kind == "choice":
            return len(self.values)
        if self.kind == "int":
            return len(range(self.low, self.high + 1, self.step or 1))
        if self.step is not None:
            return int(round((self.high - self.low) / self.step)) + 1
        raise ConfigError(f"space: {self.name} is a continuous range; a grid search needs a list "
                          f"of values, an int range, or a float range with a step")

    def grid(self) -> list:
        """Every value, for the grid sampler: a choice, or an integer range."""
        count = self.grid_count()
        if count > LARGEST_GRID:
            raise ConfigError(f"space: {self.name} has {count:,} grid values; a grid may hold at "
                              f"most {LARGEST_GRID:,} points (use a larger step, or --sampler tpe)")
        if self.kind == "choice":
            return list(self.values)
        if self.kind == "int":
            return list(range(self.low, self.high + 1, self.step or 1))
        if self.step is not None:
            return [self.low + i * self.step for i in range(count)]
        raise ConfigError(f"space: {self.name} is a continuous range; a grid search needs a list "
                          f"of values, an int range, or a float range with a step")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items() if v not in ((), None)}


def read_space(path: str | Path, config_class) -> tuple[Dimension, ...]:
    """The dimensions of space file `path` for a task whose config is `config_class`."""
    table = read_toml(path)
    if not table:
        raise ConfigError(f"{path}: the space names no field to search")
    return tuple(parse_dimension(name, value, config_class, path) for name, value in table.items())


def space_from_dicts(records: list, config_class) -> tuple[Dimension, ...]:
    """The dimensions saved by `Dimension.to_dict` (a search folder's search.json), checked."""
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ConfigError("the saved space must be a list of objects")
    found = []
    for record in records:
        name, kind = record.get("name"), record.get("kind")
        if kind == "choice":
            value = {"choice": record.get("values")}
        else:
            value = {kind: [record.get("low"), record.get("high")]}
            if record.get("step") is not None:
                value["step"] = record["step"]
        found.append(parse_dimension(str(name), value, config_class, "search.json"))
    return tuple(found)


def parse_dimension(name: str, value, config_class, path) -> Dimension:
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    if name not in fields:
        raise ConfigError(f"{path}: {name!r} is not a setting of this task; known settings: "
                          f"{', '.join(sorted(set(fields) - set(FIXED_BY_SEARCH)))}")
    if name in FIXED_BY_SEARCH:
        raise ConfigError(f"{path}: {name} cannot be searched (the search sets each trial's run "
                          f"folder)")
    kind = type_of(fields[name])
    if isinstance(value, list):
        value = {"choice": value}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {name} must be a list of values or a table with one of "
                          f"{', '.join(KINDS)}, got {value!r}")
    given = [k for k in value if k in KINDS]
    extra = set(value) - set(KINDS) - {"step"}
    if len(given) != 1 or extra:
        raise ConfigError(f"{path}: {name} needs exactly one of {', '.join(KINDS)} (and an optional "
                          f"step), got keys {', '.join(sorted(value)) or 'none'}")
    how = given[0]
    if how == "choice":
        values = value["choice"]
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}: {name}: choice needs a non-empty list of values")
        if len(set(map(repr, values))) != len(values):
            raise ConfigError(f"{path}: {name}: a choice lists a value twice")
        checked = tuple(checked_value(config_class, name, v, path) for v in values)
        if "step" in value:
            raise ConfigError(f"{path}: {name}: step goes with int, float or log, not choice")
        return Dimension(name, "choice", values=checked)
    bounds = value[how]
    if not (isinstance(bounds, list) and len(bounds) == 2):
        raise ConfigError(f"{path}: {name}: {how} needs [low, high], got {bounds!r}")
    if how == "int" and kind is not int:
        raise ConfigError(f"{path}: {name} is a {kind.__name__} setting; int ranges are for "
                          f"integer settings")
    if how in ("float", "log") and kind is not float:
        raise ConfigError(f"{path}: {name} is a {kind.__name__} setting; {how} ranges are for "
                          f"float settings")
    low, high = (checked_value(config_class, name, b, path) for b in bounds)
    if not low < high:
        raise ConfigError(f"{path}: {name}: the range needs low < high, got [{low}, {high}]")
    if how == "log" and low <= 0:
        raise ConfigError(f"{path}: {name}: a log range needs low > 0, got {low}")
    step = value.get("step")
    if step is not None:
        if how == "log":
            raise ConfigError(f"{path}: {name}: a log range takes no step")
        wanted = int if how == "int" else (int, float)
        if isinstance(step, bool) or not isinstance(step, wanted) or not step > 0:
            raise ConfigError(f"{path}: {name}: step must be a positive {how}, got {step!r}")
        if how == "float":
            step = float(step)
            span = (high - low) / step
            if not math.isclose(span, round(span), abs_tol=1e-9):
                raise ConfigError(f"{path}: {name}: the range [{low}, {high}] is not a whole "
                                  f"number of steps of {step}")
    return Dimension(name, how, low=low, high=high, step=step)


def checked_value(config_class, name: str, value, path):
    try:
        return coerce(config_class, name, value)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def grid_size(space: tuple[Dimension, ...]) -> int:
    """The grid's points, counted without making them; ConfigError past LARGEST_GRID."""
    size = math.prod(d.grid_count() for d in space)
    if size > LARGEST_GRID:
        raise ConfigError(f"the grid holds {size:,} points; a grid may hold at most "
                          f"{LARGEST_GRID:,} (use larger steps or fewer values, or --sampler tpe)")
    return size


def grid_points(space: tuple[Dimension, ...]) -> dict:
    """The grid sampler's search space: field -> its values."""
    return {d.name: d.grid() for d in space}


def all_points(space: tuple[Dimension, ...]) -> list[dict]:
    """Every point of a grid, as dicts (for tests and reports)."""
    grid = grid_points(space)
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
