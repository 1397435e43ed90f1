"""A forecasting run: train it, reopen it, forecast past the end of a series, backtest it."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from rnnkit.data.forecast_sets import load_forecast_set
from rnnkit.data.tables import read_table
from rnnkit.data.text import DataError
from rnnkit.data.timeseries import Series, future_times, read_series
from rnnkit.tasks.forecast import ForecastConfig, Forecaster, ForecastTask, load_series, target_name
from rnnkit.tasks.forecast_math import Scaler
from rnnkit.train.checkpoint import split_prefix
from rnnkit.train.config import from_dict
from rnnkit.train.run_folder import open_checkpoint, open_run, start_run_folder


def prepare_run(config: ForecastConfig):
    run_dir, device = open_run(config)
    task = ForecastTask(config, load_series(config), device)
    model = task.build_model().to(device)
    start_run_folder(run_dir, config)
    return run_dir, task, model, device


def load_forecaster(run_dir, which: str = "best", device="cpu"):
    """(config, saved task meta, model) of a forecasting run."""
    path, tensors, meta = open_checkpoint(run_dir, which)
    if meta.get("task", {}).get("name") != "forecast":
        raise DataError(f"{path}: not a forecasting run")
    config = from_dict(ForecastConfig, meta["config"])
    config = dataclasses.replace(config, target=target_name(config))
    saved = meta["task"]
    model = Forecaster(config, saved["inputs"], saved["future"])
    model.load_state_dict(split_prefix(tensors, "model"))
    return config, saved, model.to(device).eval()


def read_for_run(config: ForecastConfig, data: str | None, future_rows: bool = False) -> list[Series]:
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


def scalers_for(saved: dict, series: list[Series]) -> list[dict]:
    """The training scalers of each series, matched by name (one series: whatever its name)."""
    by_name = dict(zip(saved["series"], saved["scalers"]))
    out = []
    for s in series:
        found = by_name.get(s.name) if len(saved["series"]) > 1 or len(series) > 1 else saved["scalers"][0]
        if found is None:
            raise DataError(f"series {s.name!r} was not in the training run "
                            f"({', '.join(saved['series'])})")
        out.append({k: Scaler.from_json(v) for k, v in found.items()})
    return out


def forecast_ahead(config, saved, model, series: list[Series], horizon: int, device="cpu") -> list[dict]:
    """The next `horizon` values after each series' last known target, with intervals."""
    if horizon != config.horizon:
        raise ValueError(f"the model forecasts --horizon {config.horizon} steps, got {horizon}")
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
    return ForecastTask(config, series, torch.device(device), scalers_for(saved, series),
                        saved["season"])


def backtest(config, saved, model, series: list[Series], folds: int, device="cpu") -> dict:
    """Rolling origin: `folds` forecasts of `horizon` steps ending at the series' end, each from
    the data before its origin; model and baselines on the same windows, per fold and mean."""
    if folds < 1:
        raise ValueError(f"--folds must be >= 1, got {folds}")
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
    return {"folds": per_fold, "mean": mean, "horizon": H, "season": task.season}
