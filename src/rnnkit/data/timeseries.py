"""Time series from CSV for forecasting: a time column, targets and covariates, checked.

The time column holds numbers (e.g. years) or ISO dates/times. The frequency is inferred (the
most common step: a number, a fixed duration, or one calendar month) and every step is checked:
a gap, an empty or non-numeric cell is an error naming its line, unless `fill` says how to fill
it ("linear" interpolation, "ffill" the last value, "zero"). Without a time column, rows are
equally spaced steps (e.g. trading days).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from rnnkit.data.tables import Table
from rnnkit.errors import DataError

FILLS = ("none", "linear", "ffill", "zero")
CALENDAR = ("hour", "weekday", "month", "dayofyear", "timeofday")


@dataclass
class Series:
    """One series: its times, its columns as float arrays (NaN where a future value is not
    known yet), the source lines, and the frequency."""

    name: str
    times: list
    columns: dict[str, np.ndarray]
    frequency: object  # a number, a timedelta, or "month", or None (row steps)

    def __len__(self) -> int:
        return len(self.times)


def parse_times(values: list[str], table: Table, column: str, rows: list[int]) -> list:
    """Numbers, or ISO dates and times (all with a time zone or none), as the first value is;
    DataError naming the line of the first value that is not of that kind."""
    numeric = _number_or_none(values[0]) is not None
    out = []
    for value, i in zip(values, rows):
        where = f"{table.path} line {table.lines[i]}: time {value!r} in column {column!r}"
        if numeric:
            number = _number_or_none(value)
            if number is None:
                raise DataError(f"{where} is not a finite number like the times before it")
            out.append(number)
            continue
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DataError(f"{where} is neither a number nor an ISO date") from None
        if out and (moment.tzinfo is None) != (out[0].tzinfo is None):
            raise DataError(f"{where} mixes times with and without a time zone")
        out.append(moment)
    return out


def _number_or_none(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def months(a: datetime, b: datetime) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def infer_frequency(times: list):
    """The most common step between times: a number, a timedelta, or "month"."""
    if len(times) < 2:
        return None
    if isinstance(times[0], datetime) and all(t.day == times[0].day for t in times[:50]):
        steps = [months(a, b) for a, b in zip(times, times[1:])]
        if max(set(steps), key=steps.count) in (1,):
            return "month"
    steps = [b - a for a, b in zip(times, times[1:])]
    if isinstance(times[0], float):  # 0.1 + 0.2 is not 0.3: steps are compared to 12 digits
        steps = [float(f"{step:.12g}") for step in steps]
    return max(set(steps), key=steps.count)


def step_after(time, frequency, k: int = 1):
    if frequency == "month":
        index = time.year * 12 + time.month - 1 + k
        return time.replace(year=index // 12, month=index % 12 + 1)
    return time + frequency * k


def read_series(table: Table, time_column: str | None, value_columns: list[str],
                series_id: str | None = None, fill: str = "none",
                allow_missing_tail: tuple[str, ...] = ()) -> list[Series]:
    """The series of a table (one per `series_id` value, or one), checked as described above.
    Columns in `allow_missing_tail` may be empty in the last rows (future rows to forecast)."""
    for name in value_columns + ([time_column] if time_column else []) + (
            [series_id] if series_id else []):
        table.column(name, allow_empty=True, what="column")
    ids = table.column(series_id) if series_id else ["series"] * len(table)
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(ids):
        groups.setdefault(key, []).append(i)
    out = []
    for key, rows in groups.items():
        if time_column:
            times = parse_times([table.rows[i][time_column] for i in rows], table, time_column, rows)
            order = sorted(range(len(rows)), key=lambda j: times[j])
            rows, times = [rows[j] for j in order], [times[j] for j in order]
            for a, b, i in zip(times, times[1:], rows[1:]):
                if a == b:
                    raise DataError(f"{table.path} line {table.lines[i]}: time {b} appears twice")
            frequency = infer_frequency(times)
        else:
            times, frequency = list(range(len(rows))), 1
        columns = {name: _numbers(table, rows, name, fill, name in allow_missing_tail)
                   for name in value_columns}
        series = Series(key, times, columns, frequency)
        out.append(_regularise(series, table, rows, fill) if time_column else series)
    return out


def _numbers(table: Table, rows: list[int], name: str, fill: str, tail_ok: bool) -> np.ndarray:
    values = np.full(len(rows), np.nan)
    for j, i in enumerate(rows):
        cell = (table.rows[i].get(name) or "").strip()
        number = _number_or_none(cell) if cell else np.nan
        if number is None:
            raise DataError(f"{table.path} line {table.lines[i]}: column {name!r} holds {cell!r}, "
                            f"not a finite number")
        values[j] = number
    known = np.flatnonzero(~np.isnan(values))
    last_known = known[-1] if len(known) else -1
    missing = np.flatnonzero(np.isnan(values[: last_known + 1] if tail_ok else values))
    if len(missing) and fill == "none":
        i = rows[missing[0]]
        raise DataError(f"{table.path} line {table.lines[i]}: column {name!r} is empty (a gap); "
                        f"pass --fill linear, ffill or zero to fill gaps")
    return _fill(values, fill, upto=last_known + 1 if tail_ok else len(values))


def _fill(values: np.ndarray, fill: str, upto: int) -> np.ndarray:
    head = values[:upto].copy()
    gaps = np.isnan(head)
    if not gaps.any():
        return values
    if fill == "zero":
        head[gaps] = 0.0
    elif fill == "ffill":
        for i in range(len(head)):
            if gaps[i]:
                head[i] = head[i - 1] if i else np.nanmean(head)
    else:
        index = np.arange(len(head))
        head[gaps] = np.interp(index[gaps], index[~gaps], head[~gaps])
    return np.concatenate([head, values[upto:]])


def _regularise(series: Series, table: Table, rows: list[int], fill: str) -> Series:
    """Insert the missing time steps (filled as `fill` says) or report the first gap."""
    times, freq = series.times, series.frequency
    if freq is None:
        return series
    full, where = [times[0]], [0]
    for j in range(1, len(times)):
        expected = step_after(full[-1], freq)
        if not same_time(times[j], expected, freq):
            ahead = expected
            while ahead < times[j] and not same_time(ahead, times[j], freq):
                full.append(ahead)
                where.append(-1)
                ahead = step_after(ahead, freq)
            if not same_time(ahead, times[j], freq):
                raise DataError(f"{table.path} line {table.lines[rows[j]]}: time {times[j]} is off "
                                f"the series' step ({_show(freq)}) after {times[j - 1]}")
            if fill == "none":
                raise DataError(f"{table.path} line {table.lines[rows[j]]}: a gap: time jumps from "
                                f"{times[j - 1]} to {times[j]} (step {_show(freq)}); pass --fill "
                                f"linear, ffill or zero to fill gaps")
        full.append(times[j])
        where.append(j)
    if len(full) == len(times):
        return series
    columns = {}
    for name, values in series.columns.items():
        spread = np.full(len(full), np.nan)
        spread[[k for k, w in enumerate(where) if w >= 0]] = values
        columns[name] = _fill(spread, fill, len(full))
    return Series(series.name, full, columns, freq)


def same_time(a, b, frequency) -> bool:
    """Equal, or for numbers equal up to rounding (a millionth of a step)."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-6 * abs(frequency)
    return a == b


def _show(frequency) -> str:
    return "1 month" if frequency == "month" else str(frequency)


def calendar_features(times: list, names: list[str]) -> np.ndarray:
    """(T, 2·len(names)) sine/cosine encodings of calendar positions of datetime times."""
    if names and not isinstance(times[0], datetime):
        raise DataError(f"calendar features ({', '.join(names)}) need dates in the time column")
    periods = {"hour": (lambda t: t.hour, 24), "weekday": (lambda t: t.weekday(), 7),
               "month": (lambda t: t.month - 1, 12), "dayofyear": (lambda t: t.timetuple().tm_yday - 1, 366),
               "timeofday": (lambda t: t.hour * 60 + t.minute, 1440)}
    out = np.zeros((len(times), 2 * len(names)))
    for k, name in enumerate(names):
        position, period = periods[name]
        angle = np.array([2 * math.pi * position(t) / period for t in times])
        out[:, 2 * k], out[:, 2 * k + 1] = np.sin(angle), np.cos(angle)
    return out


def seasons_of(frequency) -> tuple[int, ...]:
    """The usual seasons of a frequency, shortest first: months 12; days 7 and 365; hours 24
    and 168 (a week); half hours 48 and 336; quarter hours 96 and 672; none otherwise."""
    if frequency == "month":
        return (12,)
    if isinstance(frequency, timedelta):
        return {timedelta(days=1): (7, 365), timedelta(hours=1): (24, 168),
                timedelta(minutes=30): (48, 336),
                timedelta(minutes=15): (96, 672)}.get(frequency, ())
    return ()


def future_times(series: Series, horizon: int) -> list:
    return [step_after(series.times[-1], series.frequency, k) for k in range(1, horizon + 1)]
