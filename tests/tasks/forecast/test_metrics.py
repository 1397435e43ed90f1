"""Forecast baselines and error metrics, by hand; season inference and detection."""


import numpy as np
import pytest

from rnnkit.tasks.forecast.metrics import (
    autocorrelations,
    baselines,
    detect_seasons,
    errors,
    infer_season,
    mase_scale,
)


def test_baselines_and_metrics_by_hand():
    history = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
    b = baselines(history, 4, season=3)
    assert b["persistence"].tolist() == [30, 30, 30, 30]
    assert b["seasonal_naive"].tolist() == [10, 20, 30, 10]
    assert b["mean"].tolist() == [11, 11, 11, 11]
    assert b["drift"].tolist() == pytest.approx([35.8, 41.6, 47.4, 53.2])
    assert mase_scale(history, 3) == pytest.approx((9 + 18 + 27) / 3)
    e = errors(np.array([10.0, 20.0]), np.array([12.0, 15.0]), scale=2.0,
               lower=np.array([9.0, 16.0]), upper=np.array([11.0, 19.0]))
    assert e["mae"] == 3.5 and e["rmse"] == pytest.approx(np.sqrt((4 + 25) / 2))
    assert e["mape"] == pytest.approx(100 * (0.2 + 0.25) / 2)
    assert e["smape"] == pytest.approx(100 * (4 / 22 + 10 / 35) / 2)
    assert e["mase"] == 1.75 and e["coverage"] == 0.5
    seasonal = np.sin(2 * np.pi * np.arange(240) / 12)
    assert infer_season(seasonal) == 12


def half_hourly_demand(weeks: int = 8, seed: int = 0) -> np.ndarray:
    """A daily shape of 48 half hours, lower at weekends (a weekly season of 336), and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks * 336)
    daily = np.sin(2 * np.pi * t / 48) + 0.5 * np.sin(4 * np.pi * t / 48)
    weekend = np.where((t // 48) % 7 >= 5, -1.5, 0.0)
    return 10 + daily + weekend + 0.1 * rng.standard_normal(len(t))


def test_detect_seasons_finds_the_day_and_the_week_and_puts_the_better_naive_first():
    values = half_hourly_demand()
    assert detect_seasons(values, (48, 336)) == [336, 48]
    # weekly naive beats daily naive in-sample (weekends), hence the order
    assert mase_scale(values, 336) < mase_scale(values, 48)
    # with no weekend effect both seasons are still there, and their naive errors are equal
    # up to the noise (a week is seven days)
    flat = values - np.where((np.arange(len(values)) // 48) % 7 >= 5, -1.5, 0.0)
    assert set(detect_seasons(flat, (48, 336))) == {48, 336}
    assert mase_scale(flat, 48) == pytest.approx(mase_scale(flat, 336), rel=0.05)


def test_a_smooth_series_without_a_season_has_none():
    """Daily values of an AR(1) process with phi = 0.97: its autocorrelation at 7 days is high
    (0.8) but lower than at 3 days — smoothness, not a week — so no season is found."""
    rng = np.random.default_rng(1)
    values = np.zeros(1500)
    for t in range(1, 1500):
        values[t] = 0.97 * values[t - 1] + rng.standard_normal()
    assert autocorrelations(values, [7])[0] > 0.3
    assert detect_seasons(values, (7, 365), max_lag=200) == []
    assert detect_seasons(values[:600], (7, 365), max_lag=200) == []  # (365: too short anyway)


def test_baselines_name_every_detected_season():
    history = np.arange(20, dtype=float)
    b = baselines(history, 3, season=6, others=[6, 4])
    assert b["seasonal_naive"].tolist() == [14, 15, 16]
    assert b["seasonal_naive_4"].tolist() == [16, 17, 18]
    assert "seasonal_naive_6" not in b
