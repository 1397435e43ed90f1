"""Every bundled series loads whole: finite values, times in order, the length it has."""

import numpy as np
import pytest

from rnnkit.data.forecast_sets import FORECAST_SETS, load_forecast_set

LENGTHS = {"sunspots-yearly": 309, "airline": 144, "sunspots-monthly": 2820, "taylor": 4032,
           "seattle-weather": 1461, "wineind": 176, "ausbeer": 211, "woolyrnq": 119}


@pytest.mark.parametrize("name", sorted(FORECAST_SETS))
def test_a_bundled_series_is_finite_and_in_order(name):
    series = load_forecast_set(name)
    values = series.columns[FORECAST_SETS[name][0]]
    assert np.isfinite(values).all()  # (ausbeer's source ends with an unobserved quarter)
    assert all(a < b for a, b in zip(series.times, series.times[1:]))
    if name in LENGTHS:
        assert len(series) == LENGTHS[name]
