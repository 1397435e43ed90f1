"""The statistical peers (statsforecast) beside the model, conformal interval margins, the
quantile loss, calendar defaults, holidays and the validation origins."""

import math
import sys
from datetime import datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import mean_pinball_loss

from rnnkit.data.timeseries import Series
from rnnkit.errors import DataError
from rnnkit.tasks.forecast import peers
from rnnkit.tasks.forecast.data import calendar_defaults, read_holidays, validation_steps
from rnnkit.tasks.forecast.metrics import conformal_margins, errors, quantile_loss
from rnnkit.tasks.forecast.spec import ForecastConfig


def seasonal(n=240, season=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.2 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 0.5, n)


def test_every_peer_forecasts_a_seasonal_series_better_than_its_mean():
    values = seasonal()
    history, actual = values[:-12], values[-12:]
    found = peers.peer_forecasts(history, 12, [12])
    assert set(found) == {"auto_ets", "auto_theta", "mstl", "auto_arima"}
    mean_error = np.abs(actual - history.mean()).mean()
    for name, guess in found.items():
        assert guess.shape == (12,)
        assert np.abs(actual - guess).mean() < 0.25 * mean_error, name


def test_long_seasons_leave_out_what_cannot_fit_them():
    models = peers.peer_models(5000, [336, 48])
    assert "auto_arima" not in models  # too long a history for its search
    assert models["mstl"].season_length == [48, 336]
    assert models["auto_ets"].season_length == 1  # ETS takes no season past 24
    assert peers.peer_models(30, [24]).keys() == {"auto_ets", "auto_theta", "auto_arima"}  # < 2 seasons


def test_without_statsforecast_one_notice_and_no_peers(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "statsforecast.models", None)  # import fails
    peers._models.cache_clear()
    try:
        with caplog.at_level("INFO", logger="rnnkit"):
            assert peers.peer_forecasts(seasonal(), 12, [12]) == {}
            assert peers.peer_forecasts(seasonal(), 12, [12]) == {}
        notices = [r.message for r in caplog.records if "statsforecast" in r.message]
        assert len(notices) == 1 and "pip install 'rnnkit[forecast]'" in notices[0]
    finally:
        peers._models.cache_clear()


def test_quantile_loss_is_scikit_learns_pinball_loss_averaged():
    rng = np.random.default_rng(1)
    actual, lower, median, upper = (rng.normal(size=50) for _ in range(4))
    expected = np.mean([mean_pinball_loss(actual, guess, alpha=q)
                        for q, guess in ((0.1, lower), (0.5, median), (0.9, upper))])
    assert quantile_loss(actual, lower, median, upper) == pytest.approx(expected)
    assert "quantile_loss" in errors(actual, median, 1.0, lower, upper)


def test_conformal_margins_are_the_smallest_that_cover_the_level():
    rng = np.random.default_rng(2)
    n, h = 200, 3
    actual = rng.normal(0, [1.0, 2.0, 4.0], size=(n, h))  # the spread grows with the step
    point = np.zeros((n, h))
    lower, upper = point - 0.5, point + 0.5  # far too narrow everywhere
    margins = conformal_margins(point, lower, upper, actual)
    assert margins[0] < margins[1] < margins[2]  # per step
    for step in range(h):
        spread = np.abs(actual[:, step])
        assert np.mean(spread <= 0.5 + margins[step]) >= 0.8  # covers the level there...
        assert np.mean(spread <= 0.5 + margins[step] - 1e-6) < math.ceil(0.8 * (n + 1)) / n  # ...no less does
    wide = conformal_margins(point, point - 50, point + 50, actual)
    assert (wide < 0).all()  # too wide: the margins shrink them


def test_few_windows_share_one_margin():
    rng = np.random.default_rng(3)
    actual = rng.normal(size=(5, 4))
    margins = conformal_margins(np.zeros((5, 4)), -np.ones((5, 4)), np.ones((5, 4)), actual)
    assert len(set(margins.tolist())) == 1


@pytest.mark.parametrize("frequency, expected", [
    ("month", ["month"]), (timedelta(days=1), ["weekday", "dayofyear"]),
    (timedelta(hours=1), ["timeofday", "weekday"]), (timedelta(minutes=30), ["timeofday", "weekday"]),
    (timedelta(days=7), []), (None, []),
])
def test_calendar_defaults_follow_the_frequency(frequency, expected):
    times = [datetime(2020, 1, 1) + timedelta(hours=i) for i in range(3)]
    assert calendar_defaults(Series("s", times, {}, frequency)) == expected
    assert calendar_defaults(Series("s", [1.0, 2.0, 3.0], {}, 1.0)) == []  # numbered steps


def test_holidays_are_read_and_bad_lines_named(tmp_path):
    path = tmp_path / "holidays.txt"
    path.write_text("# bank holidays\n2000-08-28\n\n2000-12-25 christmas\n")
    assert read_holidays(str(path)) == {datetime(2000, 8, 28).date(), datetime(2000, 12, 25).date()}
    path.write_text("2000-08-28\nsoon\n")
    with pytest.raises(DataError, match="line 2: 'soon' is not a date"):
        read_holidays(str(path))


def test_validation_holds_several_horizons_where_the_series_allows():
    config = ForecastConfig(lookback=24, horizon=12, test_size=12)
    assert validation_steps(config, 1000) == 48  # four horizons
    assert validation_steps(config, 144) == 24  # airline: a third of what is left at most
    assert validation_steps(config, 60) == 12  # at least one
    assert validation_steps(ForecastConfig(horizon=12, valid_size=30), 1000) == 30
