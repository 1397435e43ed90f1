"""Forecasting arithmetic: windows without look-ahead, scaling, naive baselines, season
inference and error metrics (MAE, RMSE, MAPE, sMAPE, MASE, interval coverage)."""

from __future__ import annotations

import math

import numpy as np

Z80 = 1.2815515655446004  # the 90% normal quantile: mean ± Z80·σ is the central 80% interval


def window_origins(start: int, end: int, lookback: int, horizon: int, stride: int = 1) -> list[int]:
    """Forecast origins o (the first forecast step) with o − lookback ≥ start and o + horizon ≤ end."""
    return list(range(max(start, lookback), end - horizon + 1, stride))


def window(values: np.ndarray, origin: int, lookback: int, horizon: int):
    """(history values[o−L : o], future values[o : o+H]): the history ends before the origin."""
    return values[origin - lookback : origin], values[origin : origin + horizon]


def infer_season(values: np.ndarray, max_lag: int | None = None) -> int | None:
    """The lag of the highest autocorrelation peak (a lag whose ACF beats its neighbours and
    exceeds 0.3), or None: the season when none is given."""
    values = values[~np.isnan(values)] - np.nanmean(values)
    n = len(values)
    max_lag = min(max_lag or n // 3, n // 3)
    if max_lag < 3:
        return None
    denom = float((values**2).sum()) or 1.0
    acf = np.array([float((values[:-k] * values[k:]).sum()) / denom for k in range(1, max_lag + 1)])
    peaks = [k + 1 for k in range(1, len(acf) - 1) if acf[k] > acf[k - 1] and acf[k] >= acf[k + 1]
             and acf[k] > 0.3]
    return max(peaks, key=lambda lag: acf[lag - 1]) if peaks else None


def baselines(history: np.ndarray, horizon: int, season: int | None) -> dict[str, np.ndarray]:
    """Naive forecasts from the history before the origin: persistence (last value), seasonal
    naive (the value one season back), mean of the history, and drift (the line through the
    first and last values, extended)."""
    last = history[-1]
    steps = np.arange(1, horizon + 1)
    out = {"persistence": np.full(horizon, last), "mean": np.full(horizon, history.mean())}
    slope = (history[-1] - history[0]) / max(len(history) - 1, 1)
    out["drift"] = last + slope * steps
    if season and len(history) >= season:
        out["seasonal_naive"] = history[len(history) - season + (steps - 1) % season]
    return out


def mase_scale(history: np.ndarray, season: int | None) -> float:
    """Mean absolute error of the in-sample (seasonal) naive forecast on the training history."""
    m = season or 1
    diffs = np.abs(history[m:] - history[:-m])
    return float(diffs.mean()) if len(diffs) else math.nan


def errors(actual: np.ndarray, predicted: np.ndarray, scale: float, lower=None, upper=None) -> dict:
    """MAE, RMSE, MAPE (%), sMAPE (%), MASE and, with an interval, its coverage."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    e = actual - predicted
    nonzero = actual != 0
    out = {"mae": float(np.abs(e).mean()), "rmse": float(np.sqrt((e**2).mean())),
           "mape": float(100 * np.abs(e[nonzero] / actual[nonzero]).mean()) if nonzero.any() else math.nan,
           "smape": float(100 * (2 * np.abs(e) / np.maximum(np.abs(actual) + np.abs(predicted),
                                                           1e-12)).mean()),
           "mase": float(np.abs(e).mean() / scale) if scale and scale > 0 else math.nan}
    if lower is not None and upper is not None:
        out["coverage"] = float(((actual >= lower) & (actual <= upper)).mean())
    return out
