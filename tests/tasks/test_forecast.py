"""Forecasting: no look-ahead in windows, scaling on train only, baselines and metrics by hand,
interval coverage on Gaussian data, backtest fold boundaries, CSV checks, round trips."""

import json

import numpy as np
import pytest
import torch

from rnnkit.cli.main import main
from rnnkit.config import load_config
from rnnkit.data.scaling import Scaler
from rnnkit.data.tables import read_table
from rnnkit.data.timeseries import Series, read_series
from rnnkit.errors import DataError
from rnnkit.run import open_run
from rnnkit.tasks.forecast.metrics import (
    baselines,
    errors,
    infer_season,
    mase_scale,
    window_origins,
)
from rnnkit.tasks.forecast.spec import ForecastConfig
from rnnkit.tasks.forecast.task import ForecastTask
from rnnkit.train.fit import fit

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


def test_gaussian_intervals_cover_about_80_percent_of_gaussian_data(tmp_path):
    rng = np.random.default_rng(0)
    values = 5 + rng.normal(0, 1, 3000)
    config, series = single(values, lookback=8, horizon=2, valid_size=400, epochs=2, lr=3e-3,
                            hidden_size=16, eval_every=1000, batch_size=64, relative="none",
                            out=str(tmp_path / "run"))
    task = ForecastTask(config, [series], CPU)
    model = task.build_model()
    (tmp_path / "run").mkdir()
    for _ in fit(model, task, config, tmp_path / "run", CPU):
        pass
    scored = task.score(model, task.valid_windows)
    assert 0.72 <= scored["model"]["coverage"] <= 0.88, scored["model"]


def write_csv(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_checks_name_the_first_bad_row(tmp_path):
    rows = ["ts,y", "2020-01-01,1", "2020-01-02,2", "2020-01-04,4"]
    table = read_table(write_csv(tmp_path, "gap.csv", rows))
    with pytest.raises(DataError, match="gap.csv line 4: a gap: time jumps from 2020-01-02"):
        read_series(table, "ts", ["y"])
    filled = read_series(table, "ts", ["y"], fill="linear")[0]
    assert filled.columns["y"].tolist() == [1, 2, 3, 4] and len(filled.times) == 4
    table = read_table(write_csv(tmp_path, "nan.csv", ["ts,y", "1,1", "2,", "3,3"]))
    with pytest.raises(DataError, match="nan.csv line 3: column 'y' is empty"):
        read_series(table, "ts", ["y"])
    assert read_series(table, "ts", ["y"], fill="ffill")[0].columns["y"].tolist() == [1, 1, 3]
    table = read_table(write_csv(tmp_path, "m.csv", ["ts,y", "2020-01-01,1", "2020-02-01,2",
                                                    "2020-03-01,3"]))
    assert read_series(table, "ts", ["y"])[0].frequency == "month"


@pytest.fixture
def load_csv(tmp_path):
    rows = ["ts,demand,temp"]
    start = np.datetime64("2021-03-01T00:00")
    for i in range(400):
        rows.append(f"{start + np.timedelta64(i, 'h')},{100 + 10 * np.sin(2 * np.pi * (i % 24) / 24):.3f},"
                    f"{20 + (i % 7):.1f}")
    return write_csv(tmp_path, "load.csv", rows)


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    return (code, *capsys.readouterr())


def test_train_forecast_backtest_round_trip(load_csv, tmp_path, capsys):
    run = tmp_path / "run"
    code, out, _ = run_cli(["train", "forecast", "--data", load_csv, "--time-column", "ts",
                            "--target", "demand", "--covariates", "temp", "--known-future",
                            "hour,weekday", "--lookback", 48, "--horizon", 12, "--test-size", 36,
                            "--epochs", 3, "--out", run, "--format", "json",
                            "--architecture", "seq2seq", "--head", "quantile", "--lr", "3e-3"], capsys)
    assert code == 0, out
    summary = json.loads(out)
    assert summary["season"] == 24 and "seasonal_naive" in summary["valid"]
    forecast_csv = tmp_path / "f.csv"
    code, _, err = run_cli(["forecast", run, "--data", load_csv, "-o", forecast_csv, "--plot",
                            tmp_path / "f.png"], capsys)
    assert code == 0, err
    lines = forecast_csv.read_text().splitlines()
    assert lines[0] == "series,time,forecast,lower_80,upper_80" and len(lines) == 13
    assert lines[1].split(",")[1] == "2021-03-17 16:00:00"  # the hour after the last row
    code, _, err = run_cli(["forecast", run, "--data", load_csv, "-o", forecast_csv], capsys)
    assert code == 2 and "exists; pass --overwrite" in err
    code, out, _ = run_cli(["backtest", run, "--data", load_csv, "--folds", 3, "--format", "json"],
                           capsys)
    result = json.loads(out)
    assert code == 0 and len(result["folds"]) == 3
    # fold origins: one horizon apart, the last fold ending with the series' last row
    assert [f["origin"][0] for f in result["folds"]] == [
        "2021-03-16 04:00:00", "2021-03-16 16:00:00", "2021-03-17 04:00:00"]
    with pytest.raises(DataError, match="too few for 40 folds"):
        open_run(run).backtest(str(load_csv), 40)


@pytest.mark.parametrize("flags, expected", [
    (["--target", "nope"], "no column 'nope'; the columns are: ts, demand, temp"),
    (["--target", "demand", "--lookback", 390], "series 'series' has 400 steps; lookback"),
    (["--target", "demand", "--known-future", "holiday"], "known-future 'holiday' is neither a column"),
    (["--target", "demand", "--horizon", 0], "horizon must be >= 1"),
])
def test_bad_forecast_input_is_one_line_exit_2(load_csv, tmp_path, capsys, flags, expected):
    code, _, err = run_cli(["train", "forecast", "--data", load_csv, "--time-column", "ts",
                            "--out", tmp_path / "run", *flags], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and expected in lines[0], err
    assert not (tmp_path / "run").exists()


def test_many_series_in_one_file_each_scaled_on_its_own(tmp_path, capsys):
    rows = ["shop,day,sales"]
    for shop, level in (("a", 10.0), ("b", 1000.0)):
        rows += [f"{shop},{day},{level + (day % 7)}" for day in range(80)]
    path = write_csv(tmp_path, "shops.csv", rows)
    run = tmp_path / "run"
    code, out, err = run_cli(["train", "forecast", "--data", path, "--series-id", "shop",
                              "--time-column", "day", "--target", "sales", "--lookback", 14,
                              "--horizon", 7, "--test-size", 14, "--epochs", 2, "--out", run,
                              "--format", "json"], capsys)
    assert code == 0, err
    saved = open_run(run).meta["task"]
    assert saved["series"] == ["a", "b"]
    means = [s["target"]["mean"] for s in saved["scalers"]]
    assert means[0] == pytest.approx(13, abs=0.5) and means[1] == pytest.approx(1003, abs=0.5)
    code, out, _ = run_cli(["forecast", run, "--data", path, "--format", "json"], capsys)
    rows = json.loads(out)
    assert code == 0 and [r["series"] for r in rows] == ["a"] * 7 + ["b"] * 7
    assert rows[0]["time"] == "80.0" and abs(rows[7]["forecast"] - 1003) < 50
