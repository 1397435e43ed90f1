"""Gradient flow through time on a linear RNN, where the norms are exact powers of the recurrent weight."""


import pytest
import torch

from rnnkit import RNN
from rnnkit.diagnostics import (
    gradient_flow,
    jacobian_products,
    judge,
    recurrent_spectrum,
)


def linear_rnn(a: float, H: int = 3) -> RNN:
    """relu Elman with W = a·I, U = 1, b = 0: on positive inputs the recurrence is linear."""
    layer = RNN(1, H, nonlinearity="relu", init="identity")
    cell = layer.cells()[0]
    with torch.no_grad():
        cell.weight_hh.mul_(a)
        cell.weight_ih.fill_(1.0)
    return layer


def last_step_loss(outputs):
    losses = torch.zeros(outputs.shape[:2])
    losses[:, -1] = outputs[:, -1].sum(-1)
    return losses


@pytest.mark.parametrize("a, verdict", [(0.6, "vanishing"), (1.5, "exploding")])
def test_linear_rnn_gradient_norms_are_exactly_powers_of_a(a, verdict, float64):
    T = 30
    layer = linear_rnn(a)
    x = torch.ones(2, T, 1)
    flow = gradient_flow(layer, x, last_step_loss)
    norms = torch.tensor(flow["last_loss"]["layer0.forward"])
    expected = norms[-1] * a ** torch.arange(T - 1, -1, -1, dtype=torch.float64)
    torch.testing.assert_close(norms, expected, rtol=1e-10, atol=0)
    products = jacobian_products(layer, x, steps=10)["layer0.forward"]
    torch.testing.assert_close(torch.tensor(products), a ** torch.arange(1, 11.0), rtol=1e-10, atol=0)
    assert judge(flow)["verdict"] == verdict
    spectrum = recurrent_spectrum(layer)["layer0.forward"]["W"]
    assert abs(spectrum["spectral_radius"] - a) < 1e-12
