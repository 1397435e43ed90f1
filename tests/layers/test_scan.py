"""The "scan" backend (the time loop as one graph node, what export traces) equals the reference
loop for every variant, bidirectional and stacked, on unequal lengths."""

import pytest
import torch

import rnnkit


@pytest.mark.parametrize("layer", [
    lambda: rnnkit.LSTM(3, 5, num_layers=2, bidirectional=True, layer_norm=True, zoneout=0.2,
                        peephole=True, proj_size=4, learn_init=True),
    lambda: rnnkit.GRU(3, 5, bidirectional=True, merge="sum", layer_norm=True, zoneout=0.1),
    lambda: rnnkit.RNN(3, 5, num_layers=2, nonlinearity="relu", recurrent_dropout=0.3),
])
def test_scan_equals_the_reference_loop(layer, float64):
    model = layer().eval()
    x = torch.randn(4, 9, 3)
    lengths = torch.tensor([9, 2, 5, 7])
    with torch.no_grad():  # the backend of export and inference
        want, want_state = model(x, lengths, backend="loop")
        got, got_state = model(x, lengths, backend="scan")
    torch.testing.assert_close(got, want)
    for g, w in zip(rnnkit.state.state_leaves(got_state), rnnkit.state.state_leaves(want_state)):
        torch.testing.assert_close(g, w)


def test_scan_refuses_zoneout_masks_in_training():
    model = rnnkit.GRU(3, 5, zoneout=0.1).train()
    with pytest.raises(ValueError, match="cannot draw zoneout"):
        model(torch.randn(2, 4, 3), backend="scan")
