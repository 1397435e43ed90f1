"""Gate saturation runs the layer's own time loop: padding and the backward direction's
reversal within each length never change it; recurrent spectra of known matrices."""

import torch

from rnnkit.diagnostics import gate_saturation, recurrent_spectrum
from rnnkit.layers import LSTM, RNN


def test_padding_never_changes_the_saturation_of_either_direction():
    torch.manual_seed(0)
    layer = LSTM(3, 5, bidirectional=True)
    short = torch.randn(1, 4, 3) * 3
    padded = torch.cat([short, torch.full((1, 3, 3), 50.0)], dim=1)  # padding that would saturate
    alone = gate_saturation(layer, short)
    within = gate_saturation(layer, padded, torch.tensor([4]))
    for key in alone:
        for gate in alone[key]:
            assert abs(alone[key][gate] - within[key][gate]) < 1e-12, (key, gate)


def test_a_saturated_tanh_rnn_is_all_saturated():
    layer = RNN(2, 3)
    with torch.no_grad():
        layer.cells()[0].weight_ih.fill_(100.0)
    fractions = gate_saturation(layer, torch.ones(2, 5, 2))
    assert fractions["layer0.forward"] == {"s": 1.0}


def test_the_spectral_radius_of_a_scaled_identity():
    layer = RNN(2, 3)
    with torch.no_grad():
        layer.cells()[0].weight_hh.copy_(0.5 * torch.eye(3))
    block = recurrent_spectrum(layer)["layer0.forward"]["W"]
    assert abs(block["spectral_radius"] - 0.5) < 1e-9 and abs(block["max_singular"] - 0.5) < 1e-9
