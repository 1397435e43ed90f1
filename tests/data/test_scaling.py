import numpy as np
import pytest
import torch

from rnnkit.data.scaling import Scaler
from rnnkit.errors import DataError


def test_scaler_is_per_channel():
    series = [torch.tensor([[0.0, 10.0], [2.0, 30.0]]), torch.tensor([[4.0, 20.0]])]
    scaler = Scaler.fit_channels(series)
    torch.testing.assert_close(scaler.mean, torch.tensor([2.0, 20.0]))
    scaled = scaler(torch.cat(series))
    torch.testing.assert_close(scaled.mean(0), torch.zeros(2), atol=1e-6, rtol=0)
    torch.testing.assert_close(scaled.std(0, unbiased=False), torch.ones(2))
    assert Scaler.from_json(scaler.to_json()).mean.tolist() == scaler.mean.tolist()


def test_a_series_scaled_and_back():
    values = np.array([1.0, 2.0, np.nan, 4.0])
    scaler = Scaler.fit(values)
    finite = values[~np.isnan(values)]
    assert scaler.mean == pytest.approx(finite.mean()) and scaler.std == pytest.approx(finite.std())
    np.testing.assert_allclose(scaler.inverse(scaler(finite)), finite)
    log = Scaler.fit(np.array([1.0, np.e, np.e**2]), "log")
    np.testing.assert_allclose(log(np.array([np.e])), [0.0], atol=1e-12)
    np.testing.assert_allclose(log.inverse(log(np.array([5.0]))), [5.0])
    with pytest.raises(DataError, match="needs a positive series"):
        Scaler.fit(np.array([1.0, -1.0]), "log")


def test_channels_use_every_step_of_the_training_sequences():
    series = [torch.tensor([[0.0, 10.0], [2.0, 10.0]]), torch.tensor([[4.0, 10.0]])]
    scaler = Scaler.fit_channels(series)
    assert scaler.channels == 2 and scaler.mean.tolist() == [2.0, 10.0]
    assert scaler.std[1] == 1.0  # a constant channel is not divided by zero
    scaled = scaler(series[0])
    torch.testing.assert_close(scaler.inverse(scaled), series[0])


def test_json_round_trips():
    for scaler in (Scaler.fit(np.array([1.0, 3.0]), "log"),
                   Scaler.fit_channels([torch.randn(5, 3)])):
        again = Scaler.from_json(scaler.to_json())
        assert again.kind == scaler.kind and again.channels == scaler.channels
        assert np.allclose(np.asarray(again.mean), np.asarray(scaler.mean))
