"""Numeric sequences for classification: long-format CSV, UCR/UEA `.ts` files, bundled sets.

A labelled set is `(series, labels, ids)`: `series` a list of float tensors (T_i, channels), one
per example, of equal or different lengths. Scaling is per channel, fitted on training data.
"""

from __future__ import annotations

import math
from importlib import metadata
from pathlib import Path

import torch

from rnnkit.data.tables import Table
from rnnkit.data.text import read_text
from rnnkit.errors import DataError

# Bundled UCR/UEA sets shipped inside the sktime package (official train/test splits).
UCR = {"gunpoint": "GunPoint", "italypowerdemand": "ItalyPowerDemand", "basicmotions": "BasicMotions",
       "japanesevowels": "JapaneseVowels", "arrowhead": "ArrowHead", "osuleaf": "OSULeaf"}


def from_long_table(table: Table, series_id: str, time_column: str | None,
                    value_columns: list[str] | None, label_column: str | None):
    """One sequence per value of `series_id`, rows ordered by `time_column` (numbers, or text
    such as ISO dates, compared as such); values from `value_columns` (default: every other
    column). A cell that is empty or not a number is an error naming its line and column."""
    ids = table.column(series_id, what="series-id column")
    skip = {series_id, time_column, label_column}
    values = value_columns or [c for c in table.columns if c not in skip]
    if not values:
        raise DataError(f"{table.path}: no value columns left; the columns are: {', '.join(table.columns)}")
    for name in values:
        table.column(name, allow_empty=True, what="value column")
    times = table.column(time_column, what="time column") if time_column else None
    labels = table.column(label_column, what="label column") if label_column else None
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(ids):
        groups.setdefault(key, []).append(i)
    series, out_labels = [], []
    for key, rows in groups.items():
        if times is not None:
            rows = sorted(rows, key=lambda i: _time_key(times[i]))
        matrix = [[_number(table, i, name) for name in values] for i in rows]
        series.append(torch.tensor(matrix, dtype=torch.float32))
        if labels is not None:
            found = {labels[i] for i in rows}
            if len(found) > 1:
                raise DataError(f"{table.path}: series {key!r} has more than one label: "
                                f"{', '.join(sorted(found))}")
            out_labels.append(found.pop())
    return series, out_labels, list(groups), values


def _time_key(value: str):
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def _number(table: Table, i: int, column: str) -> float:
    cell = table.rows[i][column]
    try:
        value = float(cell)
    except (TypeError, ValueError):
        value = math.nan
    if not cell or not cell.strip() or not math.isfinite(value):
        what = "an empty cell (a gap)" if not cell or not cell.strip() else f"{cell!r}, not a number"
        raise DataError(f"{table.path} line {table.lines[i]}: column {column!r} holds {what}")
    return value


def read_ts(path: str | Path):
    """A UCR/UEA `.ts` file: (series, labels, dimension names). Each case has its dimensions
    separated by ':' and the class label last; '?' (missing) is an error."""
    text = read_text(path)
    series, labels = [], []
    in_data, has_labels = False, True
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lowered = line.lower()
        if not in_data:
            if lowered.startswith("@classlabel"):
                words = lowered.split()
                if len(words) < 2 or words[1] not in ("true", "false"):
                    raise DataError(f"{path} line {number}: @classLabel needs true or false")
                has_labels = words[1] == "true"
            in_data = lowered == "@data"
            continue
        parts = line.split(":")
        if has_labels:
            label = parts.pop().strip() if len(parts) > 1 else ""
            if not label:
                raise DataError(f"{path} line {number}: a case without its class label")
            labels.append(label)
        try:
            dims = [[float(v) for v in part.split(",")] for part in parts]
        except ValueError:
            raise DataError(f"{path} line {number}: a value that is not a number") from None
        if len({len(d) for d in dims}) != 1:
            raise DataError(f"{path} line {number}: dimensions of different lengths")
        tensor = torch.tensor(dims, dtype=torch.float32).T
        if not torch.isfinite(tensor).all():
            raise DataError(f"{path} line {number}: missing or non-finite values")
        if series and tensor.shape[1] != series[0].shape[1]:
            raise DataError(f"{path} line {number}: {tensor.shape[1]} dimensions where the first "
                            f"case has {series[0].shape[1]}")
        series.append(tensor)
    if not series:
        raise DataError(f"{path}: no @data cases")
    return series, labels, [f"dim_{i}" for i in range(series[0].shape[1])]


def ucr_path(name: str, split: str) -> Path:
    """The `.ts` file of a bundled set, found inside the installed sktime package (not imported)."""
    folder = UCR[name]
    try:
        dist = metadata.distribution("sktime")
    except metadata.PackageNotFoundError:
        raise DataError(f"the bundled {folder} set ships inside the sktime package, which is not "
                        f"installed (pip install --no-deps sktime)") from None
    path = Path(dist.locate_file(f"sktime/datasets/data/{folder}/{folder}_{split.upper()}.ts"))
    if not path.is_file():
        raise DataError(f"{path}: not found in the installed sktime")
    return path


def load_ucr(name: str):
    """{"train": (series, labels), "test": (series, labels)} of a bundled UCR/UEA set."""
    out = {}
    for split in ("train", "test"):
        series, labels, _ = read_ts(ucr_path(name, split))
        out[split] = (series, labels)
    return out
