"""Forecasting windows: no look-ahead, seasonal levels from before the origin, scaling on the
training part only, 80% intervals that cover about 80%."""


import numpy as np
import pytest
import torch

from rnnkit.config import load_config
from rnnkit.data.scaling import Scaler
from rnnkit.data.timeseries import Series
from rnnkit.errors import DataError
from rnnkit.tasks.forecast.metrics import (
    window_origins,
)
from rnnkit.tasks.forecast.spec import ForecastConfig
from rnnkit.tasks.forecast.task import ForecastTask, output_base
from rnnkit.train.fit import fit
from rnnkit.train.run_folder import RunFolder

CPU = torch.device("cpu")


def single(values, **flags):
    config = load_config(ForecastConfig, None, {"target": "y", **flags})
    series = Series("s", list(range(len(values))), {"y": np.asarray(values, float)}, 1)
    return config, series


def test_windows_never_show_the_future_to_the_model():
    """Poison every value from the origin on: the inputs of that window must not change."""
    values = np.arange(60, dtype=float)
    config, series = single(values, lookback=5, horizon=3, relative="none", valid_size=3)
    task = ForecastTask(config, [series], CPU)
    k, origin = task.train_windows[10]
    x, _, y = task.batch([(k, origin)])
    poisoned = values.copy()
    poisoned[origin:] = 1e6
    task.prepared[0].inputs[origin:, 0] = 1e6  # what the model could see of the future
    x_again, _, _ = task.batch([(k, origin)])
    assert torch.equal(x, x_again)
    scaler = task.prepared[0].scalers["target"]
    assert x[0, -1, 0].item() == pytest.approx(scaler(values[origin - 1]), rel=1e-6)
    assert y[0, 0].item() == pytest.approx(scaler(values[origin]), rel=1e-6)
    assert window_origins(0, 20, 5, 3) == list(range(5, 18))  # last window ends at step 19


def test_seasonal_levels_come_from_one_season_before_the_origin():
    values = np.arange(100, dtype=float) % 7 + 0.01 * np.arange(100)
    config, series = single(values, lookback=14, horizon=10, relative="season", season=7)
    task = ForecastTask(config, [series], CPU)
    z = task.prepared[0].target
    levels = task.levels([(0, 50)])[0]
    assert levels.tolist() == pytest.approx([z[43 + h % 7] for h in range(10)])
    with pytest.raises(DataError, match="lookback >= the season"):
        ForecastTask(single(values, lookback=5, horizon=3, relative="season", season=7)[0], [series], CPU)


def test_auto_adds_the_outputs_to_the_best_season_the_lookback_covers():
    assert output_base("auto", [336, 48], 48) == ("season", 48)
    assert output_base("auto", [336, 48], 336) == ("season", 336)
    assert output_base("auto", [], 48) == ("last", None)
    assert output_base("auto", [336], 48) == ("last", None)
    assert output_base("last", [336, 48], 400) == ("last", None)
    with pytest.raises(DataError, match="lookback >= the season"):
        output_base("season", [336], 48)
    values = np.arange(100, dtype=float) % 7  # exactly periodic: smoothing cannot do better
    config, series = single(values, lookback=14, horizon=10)  # defaults: detect, auto
    task = ForecastTask(config, [series], CPU)
    assert (task.seasons, task.relative, task.relative_season) == ([7], "season", 7)
    assert task.meta()["relative"] == ["season", 7]


def test_scaler_is_fitted_on_the_training_part_only():
    values = np.concatenate([np.ones(40), np.full(10, 1000.0)])  # the held-out end is huge
    config, series = single(values, lookback=4, horizon=2, valid_size=4, test_size=6)
    task = ForecastTask(config, [series], CPU)
    assert task.prepared[0].scalers["target"].mean == pytest.approx(1.0)
    assert all(o + 2 <= 40 for _, o in task.train_windows)
    log = Scaler.fit(np.array([1.0, np.e, np.e**2]), "log")
    assert log.inverse(log(np.array([5.0])))[0] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="positive"):
        Scaler.fit(np.array([1.0, -1.0]), "log")


def test_gaussian_intervals_cover_about_80_percent_of_gaussian_data(tmp_path):
    rng = np.random.default_rng(0)
    values = 5 + rng.normal(0, 1, 3000)
    config, series = single(values, lookback=8, horizon=2, valid_size=400, epochs=2, lr=3e-3,
                            hidden_size=16, eval_every=1000, batch_size=64, relative="none",
                            out=str(tmp_path / "run"))
    task = ForecastTask(config, [series], CPU)
    model = task.build_model()
    (tmp_path / "run").mkdir()
    for _ in fit(model, task, config, RunFolder(tmp_path / "run"), CPU):
        pass
    scored = task.score(model, task.valid_windows)
    assert 0.72 <= scored["model"]["coverage"] <= 0.88, scored["model"]
