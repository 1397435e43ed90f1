"""Exact round trips with torch.nn.RNN/LSTM/GRU, and what PyTorch cannot hold."""


import pytest
import torch

from rnnkit import GRU, LSTM, from_torch, to_torch


@pytest.mark.parametrize("module", [
    torch.nn.LSTM(3, 5, 2, bidirectional=True, proj_size=2, batch_first=False),
    torch.nn.GRU(3, 5, 3, batch_first=True, bias=False),
    torch.nn.RNN(3, 5, nonlinearity="relu", dropout=0.0),
])
def test_round_trip_through_torch_is_exact(module):
    layer = from_torch(module)
    back = to_torch(layer, batch_first=module.batch_first)
    for (name, p), (name_back, q) in zip(module.named_parameters(), back.named_parameters()):
        assert name == name_back and torch.equal(p, q)
    again = from_torch(back)
    for p, q in zip(layer.parameters(), again.parameters()):
        assert torch.equal(p, q)
    x = torch.randn(2, 4, 3)
    ref_out = module(x if module.batch_first else x.transpose(0, 1))[0]
    if not module.batch_first:
        ref_out = ref_out.transpose(0, 1)
    torch.testing.assert_close(layer(x)[0], ref_out)


def test_to_torch_refuses_what_torch_lacks():
    with pytest.raises(ValueError, match="layer_norm"):
        to_torch(LSTM(3, 4, layer_norm=True))
    with pytest.raises(ValueError, match="merge"):
        to_torch(GRU(3, 4, bidirectional=True, merge="sum"))
    with pytest.raises(TypeError, match="torch.nn.RNN, LSTM or GRU"):
        from_torch(torch.nn.Linear(2, 2))
