"""Synthetic generators: shapes, markers, and empirical baselines against the analytic ones."""

import math

import torch

from rnnkit.data import synthetic


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_adding_problem_shapes_markers_and_predict_one_baseline():
    x, y = synthetic.adding_problem(20000, 50, gen())
    assert x.shape == (20000, 50, 2) and y.shape == (20000, 1)
    markers = x[..., 1]
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, :25].sum(1) == 1) and torch.all(markers[:, 25:].sum(1) == 1)
    torch.testing.assert_close((x[..., 0] * markers).sum(1, keepdim=True), y)
    mse = ((y - 1.0) ** 2).mean().item()
    # the standard error of the mean of (y-1)^2 is about 0.0013 here
    assert abs(mse - synthetic.ADDING_BASELINE_MSE) < 0.005


def test_copy_task_layout_and_memoryless_baseline():
    T = 30
    x, y = synthetic.copy_task(5000, T, gen(1))
    assert x.shape == y.shape == (5000, T + 20)
    assert torch.equal(x[:, :10], y[:, -10:])
    assert torch.all(x[:, 10 + T - 1] == 9) and torch.all(y[:, :-10] == 0)
    assert x[:, :10].min() >= 1 and x[:, :10].max() <= 8
    # memoryless: blanks with certainty, then the empirical symbol frequencies
    frequencies = torch.bincount(y[:, -10:].flatten(), minlength=9)[1:].double()
    frequencies /= frequencies.sum()
    loss = -(torch.log(frequencies)[y[:, -10:].flatten() - 1]).sum().item() / y.numel()
    assert abs(loss - synthetic.copy_baseline(T)) < 0.002
    assert math.isclose(synthetic.copy_baseline(T), 10 * math.log(8) / (T + 20))


def test_temporal_order_classes_and_markers():
    T = 100
    x, y = synthetic.temporal_order(4000, T, gen(2))
    assert torch.all(x[:, 0] == 0) and torch.all(x[:, -1] == 1)
    relevant = (x >= 6).nonzero()
    assert torch.all(torch.bincount(relevant[:, 0], minlength=4000) == 2)
    first = relevant[::2, 1]
    second = relevant[1::2, 1]
    assert first.min() >= 10 and first.max() <= 20 and second.min() >= 50 and second.max() <= 60
    decoded = 2 * (x[torch.arange(4000), first] - 6) + (x[torch.arange(4000), second] - 6)
    assert torch.equal(decoded, y)
    counts = torch.bincount(y, minlength=4).double() / 4000
    assert torch.all((counts - 0.25).abs() < 0.03)  # balanced: chance is ln 4


def test_digits_modes():
    rows = synthetic.digits("rows")
    pixels = synthetic.digits("pixels")
    permuted = synthetic.digits("permuted")
    assert rows["train"][0].shape[1:] == (8, 8) and pixels["train"][0].shape[1:] == (64, 1)
    assert len(rows["train"][1]) + len(rows["test"][1]) == 1797
    torch.testing.assert_close(rows["train"][0].reshape(-1, 64), pixels["train"][0].squeeze(-1))
    assert not torch.equal(permuted["train"][0], pixels["train"][0])
    torch.testing.assert_close(permuted["train"][0].sum(1), pixels["train"][0].sum(1))
    assert 0.0 <= float(rows["train"][0].min()) and float(rows["train"][0].max()) <= 1.0
