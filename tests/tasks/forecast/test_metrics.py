"""Forecast baselines and error metrics, by hand; season inference."""


import numpy as np
import pytest

from rnnkit.tasks.forecast.metrics import (
    baselines,
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
