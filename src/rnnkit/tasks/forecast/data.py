"""The series of a forecasting run: read and checked, and each prepared as the model sees
it (scaled on its own training part, with its known-future features)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from rnnkit.data.forecast_sets import FORECAST_SETS, load_forecast_set
from rnnkit.data.scaling import Scaler
from rnnkit.data.tables import Table, read_table
from rnnkit.data.text import read_text
from rnnkit.data.timeseries import CALENDAR, Series, calendar_features, read_series
from rnnkit.errors import DataError

VALID_HORIZONS = 4  # validation origins by default: up to this many horizons, one apart


class PreparedSeries:
    """One series as the model sees it: scaled inputs (T, features), known-future (T, K),
    scaled target (T,), the raw target, and the scalers fitted on its training part."""

    def __init__(self, series: Series, config, train_end: int, scalers=None,
                 holidays: set | None = None) -> None:
        """`holidays`: the dates of --holidays (`read_holidays`, read once for every series)."""
        self.series, self.name = series, series.name
        self.base = None  # (T + 1, H) base forecasts of the hybrid, when it is used
        self.raw = series.columns[config.target]
        covariates = config.names(config.covariates)
        future = config.names(config.known_future)
        self.scalers = scalers or {
            "target": Scaler.fit(self.raw[:train_end], config.scaling),
            **{c: Scaler.fit(series.columns[c][:train_end]) for c in covariates + future
               if c in series.columns}}
        self.target = self.scalers["target"](self.raw)
        past = [self.scalers[c](series.columns[c]) for c in covariates]
        self.known = self.known_future(series.times, future, series.columns, holidays)
        self.inputs = np.column_stack([self.target, *past, self.known]).astype(np.float32)

    def known_future(self, times, names: list[str], columns: dict, holidays=None) -> np.ndarray:
        calendar = [n for n in names if n not in columns]
        parts = [self.scalers[n](columns[n])[:, None] for n in names if n in columns]
        if calendar:
            parts.append(calendar_features(times, calendar))
        if holidays is not None:
            if not isinstance(times[0], datetime):
                raise DataError("--holidays needs dates in the time column")
            parts.append(np.array([[float(t.date() in holidays)] for t in times]))
        return np.column_stack(parts).astype(np.float32) if parts else np.zeros((len(times), 0),
                                                                                np.float32)


def calendar_defaults(series: Series) -> list[str]:
    """The calendar features a series' frequency makes useful, as GluonTS derives them: months
    the month; days the weekday and the day of the year; hours and shorter steps the time of day
    and the weekday; nothing for numbered steps or irregular dates."""
    if not series.times or not isinstance(series.times[0], datetime):
        return []
    if series.frequency == "month":
        return ["month"]
    if isinstance(series.frequency, timedelta):
        if series.frequency == timedelta(days=1):
            return ["weekday", "dayofyear"]
        if series.frequency < timedelta(days=1) and timedelta(days=1) % series.frequency == timedelta(0):
            return ["timeofday", "weekday"]
    return []


def read_holidays(path: str | None) -> set | None:
    """The dates of a --holidays file (YYYY-MM-DD, one a line; blank lines and # comments
    skipped), or None without one."""
    if path is None:
        return None
    days = set()
    for number, line in enumerate(read_text(path).splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            days.add(date.fromisoformat(line[:10]))
        except ValueError:
            raise DataError(f"{path} line {number}: {line[:40]!r} is not a date (YYYY-MM-DD)") from None
    if not days:
        raise DataError(f"{path}: no holiday dates in it")
    return days


def table_given(data) -> Table:
    """The table of a forecasting run's data given from Python: {"train": columns}, the columns
    a dict of equally long lists (name -> values) or a pandas DataFrame; the validation and test
    windows are cut from its end, as from a file's. Missing values are None or NaN; times are
    numbers, ISO strings, dates or datetimes."""
    if not isinstance(data, dict) or set(data) != {"train"}:
        raise DataError("a forecaster's data from Python is {\"train\": columns} (a dict of "
                        "lists or a DataFrame); validation and test are cut from its end")
    columns = data["train"]
    if hasattr(columns, "to_dict") and hasattr(columns, "columns"):  # a pandas DataFrame
        columns = columns.to_dict("list")
    if not isinstance(columns, dict) or not columns or not all(
            isinstance(values, (list, tuple, np.ndarray)) for values in columns.values()):
        raise DataError("data['train'] must be a dict of column name -> list of values, or a "
                        f"DataFrame; got {type(columns).__name__}")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise DataError(f"data['train']: the columns must be equally long and not empty; their "
                        f"lengths are {sorted(lengths)}")

    def cell(value) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    names = [str(name) for name in columns]
    rows = [dict(zip(names, (cell(v) for v in row))) for row in zip(*columns.values())]
    return Table("data['train']", names, rows, list(range(1, len(rows) + 1)))


def load_series(config, given: dict | None = None) -> list[Series]:
    """The series to train on (a file's, a bundled set, or `given` from Python: `table_given`),
    checked: columns exist, lengths suffice."""
    if given is None and config.dataset:
        series = [load_forecast_set(config.dataset)]
        target = FORECAST_SETS[config.dataset][0]
        if config.target not in (None, target):
            raise DataError(f"the {config.dataset} series is {target!r}, not {config.target!r}")
    elif given is not None or config.data:
        if not config.target:
            raise DataError("give --target: the column to forecast")
        table = table_given(given) if given is not None else read_table(config.data, config.encoding)
        series = read_series(table, config.time_column, columns_to_read(config, table),
                             config.series_id, config.fill)
    else:
        raise DataError(f"give --data FILE.csv or --dataset ({', '.join(FORECAST_SETS)})")
    need = config.lookback + config.horizon + (config.valid_size or config.horizon) + config.test_size
    for s in series:
        if len(s) < need:
            raise DataError(f"series {s.name!r} has {len(s)} steps; lookback + horizon + validation "
                            f"+ test need {need}")
    return series


def columns_to_read(config, table: Table) -> list[str]:
    """The target, the covariates and the known-future columns the table has (a known-future
    name that is neither a column nor a calendar feature is an error)."""
    names = [config.target, *config.names(config.covariates)]
    names += [n for n in config.names(config.known_future) if n in table.columns]
    unknown = [n for n in config.names(config.known_future) if n not in table.columns
               and n not in CALENDAR]
    if unknown:
        raise DataError(f"{table.path}: known-future {unknown[0]!r} is neither a column "
                        f"({', '.join(table.columns)}) nor a calendar feature ({', '.join(CALENDAR)})")
    return names


def target_name(config) -> str:
    return config.target or FORECAST_SETS[config.dataset][0]


def read_for_run(config, data: str | None, future_rows: bool = False) -> list[Series]:
    """The series of --data read as the run's config describes (or the run's bundled series)."""
    if data is None:
        if not config.dataset:
            raise DataError("give --data: a CSV in the format the run was trained on")
        return [load_forecast_set(config.dataset)]
    table = read_table(data, config.encoding)
    names = [config.target, *config.names(config.covariates)]
    names += [n for n in config.names(config.known_future) if n in table.columns]
    tail = (config.target, *config.names(config.covariates)) if future_rows else ()
    return read_series(table, config.time_column, names, config.series_id, config.fill, tail)


def matched(saved: dict, per_series: list, series: list[Series]) -> list:
    """The entries of `per_series` (one per training series) for each of `series`, matched by
    name (one series: whatever its name)."""
    by_name = dict(zip(saved["series"], per_series))
    out = []
    for s in series:
        found = by_name.get(s.name) if len(saved["series"]) > 1 or len(series) > 1 else per_series[0]
        if found is None:
            raise DataError(f"series {s.name!r} was not in the training run "
                            f"({', '.join(saved['series'])})")
        out.append(found)
    return out


def scalers_for(saved: dict, series: list[Series]) -> list[dict]:
    """The training scalers of each series, matched by name."""
    return [{k: Scaler.from_json(v) for k, v in found.items()}
            for found in matched(saved, saved["scalers"], series)]


def validation_steps(config, length: int) -> int:
    """The last steps before --test-size that validation holds out: --valid-size, or by default
    up to VALID_HORIZONS horizons (so checkpoints are chosen over several origins, not one
    day's luck), fewer where they would take more than a third of what is left to train on."""
    if config.valid_size:
        return config.valid_size
    room = length - config.test_size - config.lookback - config.horizon
    return config.horizon * max(1, min(VALID_HORIZONS, room // (3 * config.horizon)))
