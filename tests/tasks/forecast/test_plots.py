"""The forecast picture reads its axes: the series' dates (or steps) along x, the target up y."""

import datetime

import numpy as np

from rnnkit.diagnostics.plots import pyplot
from rnnkit.tasks.forecast.plots import forecast_figure


def result(times, history_times):
    return {"series": "load", "history": np.arange(10.0), "point": np.arange(3.0) + 10,
            "lower": np.arange(3.0) + 9, "upper": np.arange(3.0) + 11, "times": times,
            "history_times": history_times}


def test_dated_series_are_drawn_over_their_dates_with_the_target_named():
    start = datetime.datetime(2024, 1, 1)
    days = [start + datetime.timedelta(hours=i) for i in range(13)]
    figure = forecast_figure(result(days[10:], days[:10]), target="demand", time_column="ts")
    axes = figure.axes[0]
    assert axes.get_xlabel() == "ts" and axes.get_ylabel() == "demand"
    history, forecast = axes.lines[0], axes.lines[1]
    assert list(history.get_xdata(orig=True)) == days[:10]
    assert list(forecast.get_xdata(orig=True)) == days[10:]
    pyplot().close(figure)


def test_a_series_without_times_is_drawn_over_steps_from_the_origin():
    figure = forecast_figure(result([None] * 3, [None] * 10), target="y")
    axes = figure.axes[0]
    assert axes.get_xlabel() == "steps from the forecast origin" and axes.get_ylabel() == "y"
    assert list(axes.lines[0].get_xdata(orig=True)) == list(range(-10, 0))
    pyplot().close(figure)
