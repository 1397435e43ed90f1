"""`rnnkit forecast` and `rnnkit backtest` on saved runs: CSV and picture out, fold origins, many
series each scaled on its own, bad input one line."""


import json

import numpy as np
import pytest

from helpers import run_cli
from rnnkit.errors import DataError
from rnnkit.run import open_run


def write_csv(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def load_csv(tmp_path):
    rows = ["ts,demand,temp"]
    start = np.datetime64("2021-03-01T00:00")
    for i in range(400):
        rows.append(f"{start + np.timedelta64(i, 'h')},{100 + 10 * np.sin(2 * np.pi * (i % 24) / 24):.3f},"
                    f"{20 + (i % 7):.1f}")
    return write_csv(tmp_path, "load.csv", rows)


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
    result = open_run(run).backtest(str(path), 2, peers=False)  # per series and on average
    assert set(result["series"]) == {"a", "b"} and result["held_out"] == [1, 2]
    assert result["mean"]["model"]["mae"] == pytest.approx(
        np.mean([result["series"][s]["model"]["mae"] for s in "ab"]))
    code, out, _ = run_cli(["backtest", run, "--data", path, "--folds", 2, "--no-peers"], capsys)
    assert code == 0 and "series a" in out and "series b" in out


def train_hourly(load_csv, run, capsys, *flags):
    code, out, err = run_cli(["train", "forecast", "--data", load_csv, "--time-column", "ts",
                              "--target", "demand", "--lookback", 24, "--horizon", 12,
                              "--epochs", 2, "--out", run, "--format", "json", *flags], capsys)
    assert code == 0, err
    return json.loads(out)


def test_backtests_score_held_out_folds_only_unless_told(load_csv, tmp_path, capsys):
    run = tmp_path / "run"
    train_hourly(load_csv, run, capsys, "--test-size", 12, "--no-peers")
    code, out, err = run_cli(["backtest", run, "--data", load_csv, "--folds", 3, "--no-peers"], capsys)
    assert code == 0, err
    assert "held out: fold 3; folds 1, 2 left out" in out
    notice = [line for line in err.splitlines() if "overlap" in line]
    assert len(notice) == 1 and "scored the 1 held-out fold only (--allow-seen" in notice[0]
    result = open_run(run).backtest(str(load_csv), 3, peers=False)
    assert result["held_out"] == [3] and result["seen"] == [1, 2] and len(result["folds"]) == 1
    everything = open_run(run).backtest(str(load_csv), 3, allow_seen=True, peers=False)
    assert [f["held_out"] for f in everything["folds"]] == [False, False, True]
    assert everything["folds"][2]["model"]["mae"] == result["folds"][0]["model"]["mae"]
    # without --test-size every fold was trained or validated on: one line, exit 2
    other = tmp_path / "other"
    train_hourly(load_csv, other, capsys, "--no-peers")
    code, _, err = run_cli(["backtest", other, "--data", load_csv, "--folds", 2, "--no-peers"], capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "train with --test-size 24" in lines[0], err


def test_the_summary_and_backtest_print_the_statistical_peers(load_csv, tmp_path, capsys):
    run = tmp_path / "run"
    summary = train_hourly(load_csv, run, capsys, "--test-size", 24)
    assert summary["valid"]["origins"] == 4  # four validation origins one horizon apart
    assert {"auto_ets", "auto_theta", "mstl", "model", "seasonal_naive"} <= set(summary["valid"])
    code, out, err = run_cli(["backtest", run, "--data", load_csv, "--folds", 2], capsys)
    assert code == 0, err
    names = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert {"model", "auto_ets", "auto_theta", "mstl", "seasonal_naive"} <= set(names)
    assert "quantile loss" in out


def test_calendar_inputs_by_default_and_kept_with_the_run(load_csv, tmp_path, capsys):
    run = tmp_path / "run"
    train_hourly(load_csv, run, capsys, "--test-size", 12, "--no-peers")
    saved = open_run(run).meta["task"]
    assert saved["known_future"] == "timeofday,weekday" and saved["future"] == 4  # sin/cos pairs
    assert len(saved["calibration"]) == 12  # a conformal margin per horizon step
    rows = open_run(run).forecast(str(load_csv))
    assert rows[0]["point"].shape == (12,)
    plain = tmp_path / "plain"
    train_hourly(load_csv, plain, capsys, "--known-future", "none", "--no-peers")
    assert open_run(plain).meta["task"]["future"] == 0


def test_holidays_are_a_known_future_input(load_csv, tmp_path, capsys):
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("2021-03-08\n")
    run = tmp_path / "run"
    train_hourly(load_csv, run, capsys, "--holidays", holidays, "--known-future", "none",
                 "--no-peers")
    assert open_run(run).meta["task"]["future"] == 1
    holidays.write_text("next monday\n")
    code, _, err = run_cli(["train", "forecast", "--data", load_csv, "--time-column", "ts",
                            "--target", "demand", "--holidays", holidays, "--out", tmp_path / "x"],
                           capsys)
    assert code == 2 and "is not a date" in err
