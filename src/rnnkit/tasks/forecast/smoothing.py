"""Multi-seasonal exponential smoothing: the statistical half of the hybrid forecaster.

Smyl's ES-RNN (M4 winner, 2018) lets exponential smoothing carry each series' level and
seasonality and an LSTM forecast what is left. Here the smoothing is Holt-Winters' additive
level with one seasonal state per season (Taylor's double seasonal method for half-hourly
demand, 2003, without its trend), run over the (scaled) series as a filter: the states after
step t read only steps up to t, so a window's base forecast never sees past its origin:

    fitted_t = l_{t-1} + sum_j s_j[t - m_j]       e_t = y_t - fitted_t
    l_t = l_{t-1} + alpha e_t                      s_j[t] = s_j[t - m_j] + gamma_j e_t

and the forecast of step o+h from an origin o is l_{o-1} + sum_j s_j[latest step of the same
phase before o]. Its smoothing weights are fitted per series on the training part by the mean
absolute error of whole-horizon forecasts (what the base is used for), not one-step errors
(which let the level chase the daily cycle).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

GRID = (0.02, 0.1, 0.3)  # starting points for each weight; the best start is refined
MAX_ORIGINS = 400  # fitting scores at most this many origins of the training part


def initial_states(values: np.ndarray, seasons: list[int]) -> tuple[float, list[np.ndarray]]:
    """(level, a profile per season): the mean of the first of the longest season, and the mean
    deviation at each phase over the first two of it (one where the series is shorter), shorter
    seasons first, each from what the ones before left."""
    longest = max(seasons, default=1)
    start = values[: min(len(values), 2 * longest)]
    level = float(start[: min(len(start), longest)].mean())
    rest = start - level
    profiles = []
    for m in seasons:
        profile = np.array([rest[p::m].mean() if len(rest[p::m]) else 0.0 for p in range(m)])
        rest = rest - np.resize(profile, len(rest))
        profiles.append(profile)
    return level, profiles


def filtered_states(values: np.ndarray, seasons: list[int], alpha: float, gammas,
                    initial: tuple | None = None) -> tuple:
    """(level (T,), seasonal states [(m + T,)]: m initial values then one per step) after each
    step of `values` (finite, in order), from `initial` (level, profiles) or `initial_states`."""
    T = len(values)
    level, profiles = initial or initial_states(values, seasons)
    states = [np.concatenate([np.asarray(profile, float), np.zeros(T)]) for profile in profiles]
    levels = np.empty(T)
    for t in range(T):
        fitted = level
        for s in states:
            fitted += s[t]  # (index t is step t - m: the first m entries are the initial profile)
        error = values[t] - fitted
        level += alpha * error
        levels[t] = level
        for m, s, gamma in zip(seasons, states, gammas):
            s[t + m] = s[t] + gamma * error
    return levels, states


def base_forecasts(levels: np.ndarray, states, seasons: list[int], origins: np.ndarray,
                   horizon: int) -> np.ndarray:
    """(len(origins), horizon): each origin o's forecast of steps o..o+H-1 from the states
    after step o-1 (every origin >= 1 and <= the number of filtered steps)."""
    h = np.arange(horizon)
    out = np.repeat(levels[origins - 1][:, None], horizon, 1)
    for m, s in zip(seasons, states):
        latest = origins[:, None] - 1 - (m - 1 - h) % m  # the same phase, at or before o - 1
        out += s[latest + m]
    return out


def fit(values: np.ndarray, seasons: list[int], horizon: int, start: int) -> dict:
    """The weights {"alpha", "gammas"} minimising the whole-horizon mean absolute error of the
    base forecasts from origins in values[start:] (each scored on steps it had not seen)."""
    T = len(values)
    stride = max(1, math.ceil((T - horizon - start) / MAX_ORIGINS))
    origins = np.arange(max(start, 1), T - horizon + 1, stride)
    if len(origins) == 0:
        return {"alpha": 0.1, "gammas": [0.1] * len(seasons)}
    targets = values[origins[:, None] + np.arange(horizon)]

    def loss(weights) -> float:
        weights = np.clip(weights, 0.0, 1.0)
        levels, states = filtered_states(values, seasons, weights[0], weights[1:])
        return float(np.abs(base_forecasts(levels, states, seasons, origins, horizon) - targets).mean())

    starts = [np.array([a, *([g] * len(seasons))]) for a in GRID for g in GRID]
    best = min(starts, key=loss)
    found = minimize(loss, best, method="Nelder-Mead",
                     options={"maxfev": 60 * (1 + len(seasons)), "xatol": 1e-3, "fatol": 1e-6})
    weights = np.clip(found.x if found.fun <= loss(best) else best, 0.0, 1.0)
    return {"alpha": float(weights[0]), "gammas": [float(g) for g in weights[1:]]}


def smoothed_base(values: np.ndarray, seasons: list[int], weights: dict, horizon: int) -> np.ndarray:
    """(T + 1, horizon): row o holds origin o's base forecast for every origin 1..K after the
    K finite leading values of `values` (later rows, and row 0, are NaN)."""
    finite = np.isfinite(values)
    known = len(values) if finite.all() else int(np.argmin(finite))
    out = np.full((len(values) + 1, horizon), np.nan, dtype=np.float64)
    if known == 0:
        return out
    levels, states = filtered_states(values[:known], seasons, weights["alpha"], weights["gammas"])
    origins = np.arange(1, known + 1)
    out[origins] = base_forecasts(levels, states, seasons, origins, horizon)
    return out
