"""A trained forecaster at work: forecasts past the end of a series, and a rolling-origin
backtest against the naive baselines on the same windows."""

from __future__ import annotations

import numpy as np

from rnnkit.data.timeseries import Series, future_times
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.forecast.data import scalers_for
from rnnkit.tasks.forecast.task import ForecastTask


def forecast_ahead(config, saved, model, series: list[Series], horizon: int, device="cpu") -> list[dict]:
    """The next `horizon` values after each series' last known target, with intervals."""
    if horizon != config.horizon:
        raise ConfigError(f"the model forecasts --horizon {config.horizon} steps, got {horizon}")
    columns_needed = [n for n in config.names(config.known_future) if n in series[0].columns]
    results = []
    for s in series:
        target = s.columns[config.target]
        known = int(np.flatnonzero(~np.isnan(target))[-1]) + 1
        if known < config.lookback:
            raise DataError(f"series {s.name!r}: {known} known steps, the model reads {config.lookback}")
        missing = known + horizon - len(s)
        if missing > 0:
            if columns_needed:
                raise DataError(f"series {s.name!r}: the known-future columns "
                                f"({', '.join(columns_needed)}) need {horizon} future rows with an "
                                f"empty target; found {horizon - missing}")
            extra = future_times(s, missing) if s.frequency is not None else [None] * missing
            s = Series(s.name, s.times + extra,
                       {k: np.concatenate([v, np.full(missing, np.nan)]) for k, v in s.columns.items()},
                       s.frequency)
        results.append((s, known))
    extended = [s for s, _ in results]
    task = reopened_task(config, saved, extended, device)
    windows = [(k, known) for k, (_, known) in enumerate(results)]
    predicted = task.forecast(model, windows)
    out = []
    for k, (s, known) in enumerate(results):
        out.append({"series": s.name, "times": s.times[known : known + horizon],
                    "history_times": s.times[:known], "history": s.columns[config.target][:known],
                    **{name: values[k] for name, values in predicted.items()}})
    return out


def reopened_task(config, saved, series, device) -> ForecastTask:
    """The run's task over new series, with the run's scalers and season."""
    relative = saved.get("relative")
    return ForecastTask(config, series, device, scalers_for(saved, series), saved["season"],
                        saved.get("seasons"), tuple(relative) if relative else None)


def backtest(config, saved, model, series: list[Series], folds: int, device="cpu") -> dict:
    """Rolling origin: `folds` forecasts of `horizon` steps ending at the series' end, each from
    the data before its origin; model and baselines on the same windows, per fold and mean."""
    if folds < 1:
        raise ConfigError(f"--folds must be >= 1, got {folds}")
    H, L = config.horizon, config.lookback
    task = reopened_task(config, saved, series, device)
    per_fold = []
    for fold in range(folds):
        windows = []
        for k, s in enumerate(series):
            origin = len(s) - H * (folds - fold)
            if origin < L:
                raise DataError(f"series {s.name!r}: {len(s)} steps are too few for {folds} folds of "
                                f"{H} after a lookback of {L}")
            windows.append((k, origin))
        per_fold.append({"origin": [str(series[k].times[o]) for k, o in windows],
                         **task.score(model, windows)})
    names = [n for n in per_fold[0] if n != "origin"]
    mean = {n: {m: float(np.mean([f[n][m] for f in per_fold])) for m in per_fold[0][n]} for n in names}
    return {"folds": per_fold, "mean": mean, "horizon": H, "season": task.season,
            "seasons": task.seasons}
