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


def autocorrelations(values: np.ndarray, lags) -> np.ndarray:
    """The sample autocorrelation of `values` (gaps dropped) at each lag (nan past its end)."""
    values = values[~np.isnan(values)] - np.nanmean(values)
    denom = float((values**2).sum()) or 1.0
    return np.array([float((values[:-k] * values[k:]).sum()) / denom if 0 < k < len(values)
                     else math.nan for k in lags])


def infer_season(values: np.ndarray, max_lag: int | None = None) -> int | None:
    """The lag of the highest autocorrelation peak (a lag whose ACF beats its neighbours, the
    lag at half of it, and 0.3), or None."""
    n = int((~np.isnan(values)).sum())
    max_lag = min(max_lag or n // 3, n // 3)
    if max_lag < 3:
        return None
    acf = autocorrelations(values, range(1, max_lag + 1))
    peaks = [k + 1 for k in range(1, len(acf) - 1) if acf[k] > acf[k - 1] and acf[k] >= acf[k + 1]
             and acf[k] > 0.3 and acf[k] > acf[(k + 1) // 2 - 1]]  # (above its anti-phase)
    return max(peaks, key=lambda lag: acf[lag - 1]) if peaks else None


def detect_seasons(values: np.ndarray, candidates, max_lag: int | None = None) -> list[int]:
    """The seasons a series shows: each candidate (the frequency's usual seasons) kept where the
    history holds two full seasons and its autocorrelation exceeds 0.3 and the one at half the
    season (a season's anti-phase: a smooth series without one, say daily temperatures at a
    week, correlates more at half the lag), and the lag of the highest autocorrelation peak
    (`infer_season`); ordered best first, by the error of the in-sample seasonal naive forecast
    (so half-hourly demand, with a daily and a weekly season, puts the week first when
    weekends differ from weekdays)."""
    n = int((~np.isnan(values)).sum())
    found = set()
    for s in candidates:
        if 2 * s <= n:
            at_season, at_half = autocorrelations(values, (s, max(s // 2, 1)))
            if at_season > 0.3 and at_season > at_half:
                found.add(s)
    peak = infer_season(values, max_lag)
    if peak is not None:
        found.add(peak)
    return sorted(found, key=lambda s: (mase_scale(values[~np.isnan(values)], s), s))


def baselines(history: np.ndarray, horizon: int, season: int | None,
              others=()) -> dict[str, np.ndarray]:
    """Naive forecasts from the history before the origin: persistence (last value), seasonal
    naive (the value one season back), mean of the history, and drift (the line through the
    first and last values, extended); `seasonal_naive_S` for each of the `others` seasons."""
    last = history[-1]
    steps = np.arange(1, horizon + 1)
    out = {"persistence": np.full(horizon, last), "mean": np.full(horizon, history.mean())}
    slope = (history[-1] - history[0]) / max(len(history) - 1, 1)
    out["drift"] = last + slope * steps
    for name, length in (("seasonal_naive", season),
                         *((f"seasonal_naive_{s}", s) for s in others if s != season)):
        if length and len(history) >= length:
            out[name] = history[len(history) - length + (steps - 1) % length]
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
        out["quantile_loss"] = quantile_loss(actual, lower, predicted, upper)
    return out


def quantile_loss(actual, lower, median, upper) -> float:
    """The mean pinball loss of the 10%, 50% and 90% quantiles (the interval's ends and the
    point), in the series' units: a proper score of the whole forecast distribution (it falls
    only when the quantiles move towards the truth), the discrete form of the CRPS."""
    total = 0.0
    for q, guess in ((0.1, lower), (0.5, median), (0.9, upper)):
        diff = np.asarray(actual, float) - np.asarray(guess, float)
        total += float(np.maximum(q * diff, (q - 1) * diff).mean())
    return total / 3


def conformal_margins(point, lower, upper, actual, level: float = 0.8,
                      pooled_below: int = 20) -> np.ndarray:
    """Split-conformal corrections of intervals (conformalized quantile regression, Romano et
    al. 2019): for windows (N, H) of intervals [lower, upper] and outcomes, per horizon step the
    margin m_h such that [lower - m_h, upper + m_h] covers `level` of the outcomes (the
    ceil((N+1)·level)-th smallest of max(lower - y, y - upper)); negative where the
    intervals were too wide. Below `pooled_below` windows one margin serves every step."""
    scores = np.maximum(np.asarray(lower) - actual, np.asarray(actual) - upper)  # (N, H)
    n = scores.shape[0]
    if n < pooled_below:
        scores = scores.reshape(1, -1).repeat(scores.shape[1], 0).T  # every step: all scores
        n = scores.shape[0]
    k = min(n, math.ceil((n + 1) * level))  # the k-th smallest score of each step
    return np.sort(scores, axis=0)[k - 1]
