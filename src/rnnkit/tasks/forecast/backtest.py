"""A trained forecaster at work: forecasts past the end of a series, and a rolling-origin
backtest against the naive baselines on the same windows."""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np

from rnnkit.data.timeseries import Series, future_times
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.forecast.data import matched, scalers_for
from rnnkit.tasks.forecast.peers import available
from rnnkit.tasks.forecast.task import ForecastTask

log = logging.getLogger(__name__)


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
    task = ForecastTask(config, series, device, scalers_for(saved, series), saved["season"],
                        saved.get("seasons"), tuple(relative) if relative else None)
    task.calibration = saved.get("calibration")
    task.correction_weight = saved.get("correction_weight", 1.0)
    if saved.get("smoothing"):  # the base of the hybrid, or the smoothing baseline beside it
        task.smoothing = {"seasons": saved["smoothing"]["seasons"],
                          "weights": matched(saved, saved["smoothing"]["weights"], series)}
        task.attach_bases()
    return task


def backtest(config, saved, model, series: list[Series], folds: int, device="cpu",
             allow_seen: bool = False, peers: bool = True) -> dict:
    """Rolling origin: `folds` forecasts of `horizon` steps ending at the series' end, each from
    the data before its origin; the model, the naive baselines and the statistical peers on the
    same windows, per fold, per series and on average. A fold whose steps the run trained or
    validated on is left out of the scores (and said so) unless `allow_seen`."""
    if folds < 1:
        raise ConfigError(f"--folds must be >= 1, got {folds}")
    H, L = config.horizon, config.lookback
    task = reopened_task(config, saved, series, device)
    if peers and available():
        log.info(f"fitting the statistical peers (statsforecast) on the history before each of "
                 f"{folds} fold{'s' if folds > 1 else ''} x {len(series)} series")
    per_fold, per_series, held_out = [], {s.name: [] for s in series}, []
    for fold in range(folds):
        windows = []
        for k, s in enumerate(series):
            origin = len(s) - H * (folds - fold)
            if origin < L:
                raise DataError(f"series {s.name!r}: {len(s)} steps are too few for {folds} folds of "
                                f"{H} after a lookback of {L}")
            windows.append((k, origin))
        unseen = all(not was_seen(saved, s, o) for (_, o), s in zip(windows, series))
        held_out.append(unseen)
        if not (unseen or allow_seen):
            continue
        scores = [task.score(model, [window], peers=peers) for window in windows]
        for s, score in zip(series, scores):
            per_series[s.name].append(score)
        per_fold.append({"fold": fold + 1, "held_out": unseen,
                         "origin": [str(series[k].times[o]) for k, o in windows],
                         **average(scores)})
    seen = [fold + 1 for fold, unseen in enumerate(held_out) if not unseen]
    held_out = [fold + 1 for fold, unseen in enumerate(held_out) if unseen]
    if seen and not allow_seen:
        if len(seen) == folds:
            raise DataError(f"every fold of this backtest overlaps the data the run trained and "
                            f"validated on{seen_until(saved)}: train with --test-size "
                            f"{folds * H} (folds x horizon) to hold them out, or pass --allow-seen "
                            f"to score them anyway")
        log.info(f"fold{'s' if len(seen) > 1 else ''} {', '.join(map(str, seen))} of {folds} "
                 f"overlap{'' if len(seen) > 1 else 's'} the data the run trained and validated "
                 f"on{seen_until(saved)}: scored the {folds - len(seen)} held-out fold"
                 f"{'s' if folds - len(seen) > 1 else ''} only (--allow-seen scores every fold)")
    return {"folds": per_fold, "mean": average(per_fold),
            "series": {name: average(scores) for name, scores in per_series.items()},
            "held_out": held_out, "seen": seen, "horizon": H, "season": task.season, "seasons": task.seasons}


def average(scores: list[dict]) -> dict:
    """The mean of each forecaster's errors over `scores` (one dict per window or fold); a
    forecaster missing from one of them is left out, so every row covers the same windows."""
    names = [n for n in scores[0] if n not in ("fold", "held_out", "origin")
             and all(n in s for s in scores)]
    return {n: {m: float(np.mean([s[n][m] for s in scores])) for m in scores[0][n]} for n in names}


def was_seen(saved: dict, series: Series, origin: int) -> bool:
    """Whether the forecast window starting at `origin` overlaps what the run read: the times
    (or, without a time column, the steps) up to the end of its validation part."""
    seen = saved.get("seen")
    if not seen:  # a run saved before this was recorded: nothing to go by
        return False
    by_name = dict(zip(saved["series"], seen))
    part = by_name.get(series.name, seen[0] if len(seen) == 1 else None)
    if part is None:
        return False
    when = series.times[origin]
    if part["last"] is None or when is None:
        return origin < part["steps"]
    last = (datetime.fromisoformat(part["last"]) if isinstance(when, datetime)
            else float(part["last"]))
    return when <= last


def seen_until(saved: dict) -> str:
    lasts = [part["last"] for part in saved.get("seen") or [] if part["last"] is not None]
    return f" (up to {max(lasts)})" if len(set(lasts)) == 1 else ""
