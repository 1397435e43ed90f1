"""Multi-seasonal exponential smoothing, the hybrid forecaster's base: against statsmodels'
ETS(A,N,A), a plain reference loop for two seasons, causality, the fit, and auto's choice."""

import numpy as np
import pytest
import torch
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from rnnkit.config import load_config
from rnnkit.data.timeseries import Series
from rnnkit.tasks.forecast import smoothing
from rnnkit.tasks.forecast.spec import ForecastConfig
from rnnkit.tasks.forecast.task import ForecastTask


def noisy(n=400, seasons=(4, 12), seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 10 + 0.01 * t + rng.normal(0, 0.3, n)
    for k, m in enumerate(seasons):
        values += (2 + k) * np.sin(2 * np.pi * t / m + k)
    return values


def test_one_season_is_statsmodels_ets_ana():
    y = noisy(60, (4,))
    level, profile = 10.0, np.array([0.5, 2.0, -0.3, -2.2])
    model = ETSModel(y, error="add", trend=None, seasonal="add", seasonal_periods=4,
                     initialization_method="known", initial_level=level, initial_seasonal=profile)
    oracle = model.smooth([0.3, 0.2, level, *profile]).fittedvalues
    levels, states = smoothing.filtered_states(y, [4], 0.3, [0.2], (level, [profile]))
    ours = smoothing.base_forecasts(levels, states, [4], np.arange(1, 60), 1)[:, 0]
    np.testing.assert_allclose(ours, oracle[1:], rtol=0, atol=1e-10)


def reference(values, seasons, alpha, gammas, initial, origin, horizon):
    """The recursion written out step by step, states kept by time."""
    level, profiles = initial
    seasonal = [{t - m: p[t] for t in range(m)} for m, p in zip(seasons, profiles)]
    for t in range(origin):
        error = values[t] - level - sum(s[t - m] for m, s in zip(seasons, seasonal))
        for m, s, g in zip(seasons, seasonal, gammas):
            s[t] = s[t - m] + g * error
        level += alpha * error
    out = []
    for h in range(horizon):
        t = origin + h
        total = level
        for m, s in zip(seasons, seasonal):
            back = t
            while back >= origin:
                back -= m
            total += s[back]
        out.append(total)
    return np.array(out)


def test_two_seasons_forecast_as_the_reference_loop():
    y = noisy(120)
    seasons, alpha, gammas = [4, 12], 0.2, [0.3, 0.1]
    initial = smoothing.initial_states(y, seasons)
    levels, states = smoothing.filtered_states(y, seasons, alpha, gammas)
    origins = np.array([1, 5, 13, 50, 100])
    ours = smoothing.base_forecasts(levels, states, seasons, origins, 30)
    for row, o in enumerate(origins):
        np.testing.assert_allclose(ours[row], reference(y, seasons, alpha, gammas, initial, o, 30),
                                   atol=1e-10)


def test_a_base_forecast_never_reads_its_origin_or_after():
    y = noisy(200)
    weights = {"alpha": 0.2, "gammas": [0.3, 0.1]}
    base = smoothing.smoothed_base(y, [4, 12], weights, 8)
    changed = y.copy()
    changed[150:] += 100
    # (the initial states read the first two longest seasons: origins are compared after them)
    np.testing.assert_array_equal(smoothing.smoothed_base(changed, [4, 12], weights, 8)[:151], base[:151])
    unknown = y.copy()
    unknown[180:] = np.nan  # future rows: bases up to the last known value only
    partial = smoothing.smoothed_base(unknown, [4, 12], weights, 8)
    assert np.isfinite(partial[1:181]).all() and np.isnan(partial[181:]).all() and np.isnan(partial[0]).all()


def test_the_fit_beats_every_starting_point_and_the_seasonal_naive():
    y = noisy(400)
    train, horizon = y[:300], 12
    weights = smoothing.fit(train, [4, 12], horizon, start=24)
    origins = np.arange(24, 300 - horizon + 1)
    targets = train[origins[:, None] + np.arange(horizon)]

    def error(alpha, gammas):
        levels, states = smoothing.filtered_states(train, [4, 12], alpha, gammas)
        return np.abs(smoothing.base_forecasts(levels, states, [4, 12], origins, horizon) - targets).mean()

    fitted = error(weights["alpha"], weights["gammas"])
    assert all(fitted <= error(a, [g, g]) + 1e-9 for a in smoothing.GRID for g in smoothing.GRID)
    naive = np.abs(train[origins[:, None] - 12 + np.arange(horizon)] - targets).mean()
    assert fitted < 0.8 * naive


@pytest.mark.parametrize("relative", ["auto", "smoothing", "season"])
def test_auto_takes_the_base_that_forecasts_validation_better(relative):
    values = noisy(600)
    config = load_config(ForecastConfig, None, {"target": "y", "lookback": 24, "horizon": 12,
                                                "season": 12, "relative": relative, "valid_size": 48})
    task = ForecastTask(config, [Series("s", list(range(600)), {"y": values}, 1)], "cpu")
    if relative == "season":
        assert task.relative == "season" and task.smoothing is None
        return
    errors = {"smoothing": task.base_error("smoothing"), "season": task.base_error("season")}
    assert errors["smoothing"] < errors["season"]  # this noisy series: smoothing's weights win
    assert task.relative == "smoothing" and task.smoothing["seasons"] == [12]
    windows = task.valid_windows[:3]
    np.testing.assert_allclose(task.levels(windows), [task.prepared[0].base[o] for _, o in windows])


class Fixed(torch.nn.Module):
    """A 'model' whose outputs are given: (N, H, 2) gaussian outputs for the validation windows."""

    def __init__(self, outputs):
        super().__init__()
        self.fixed = outputs

    def forward(self, x, future):
        return self.fixed[: x.shape[0]]


def test_validation_weighs_the_correction_a_useless_network_adds_nothing():
    config = load_config(ForecastConfig, None, {"target": "y", "lookback": 24, "horizon": 12,
                                                "season": 12, "relative": "smoothing", "valid_size": 48})
    task = ForecastTask(config, [Series("s", list(range(600)), {"y": noisy(600)}, 1)], "cpu")
    _, _, y = task.batch(task.valid_windows)  # the targets relative to the base
    perfect = torch.stack([y, torch.zeros_like(y)], -1)
    task.evaluate(Fixed(perfect))
    assert task.correction_weight == 1.0
    noise = torch.stack([torch.randn_like(y) * 5, torch.zeros_like(y)], -1)
    task.evaluate(Fixed(noise))
    assert task.correction_weight == 0.0
    point = task.forecast(Fixed(noise), task.valid_windows)["point"]
    base = [task.prepared[0].scalers["target"].inverse(task.prepared[0].base[o])
            for _, o in task.valid_windows]
    np.testing.assert_allclose(point, base, rtol=1e-5)  # the smoothing alone
    assert task.meta()["correction_weight"] == 0.0
