"""The LSTM's variants against their equations written out: layer norm with peepholes,
projections, zoneout on h and c."""


import torch

from rnnkit.cells import LSTMCell, LSTMState


def test_projected_lstm_cell_matches_naive(dims, float64):
    cell = LSTMCell(dims.D, dims.H, proj_size=dims.P)
    x, h, c = torch.randn(dims.B, dims.D), torch.randn(dims.B, dims.P), torch.randn(dims.B, dims.H)
    i, f, g, o = (x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh).chunk(4, 1)
    c_t = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_t = (torch.sigmoid(o) * torch.tanh(c_t)) @ cell.weight_hr.T
    got_h, got_state = cell(x, LSTMState(h, c))
    assert got_h.shape == (dims.B, dims.P)
    torch.testing.assert_close(got_h, h_t)
    torch.testing.assert_close(got_state.c, c_t)


def test_lstm_zoneout_pair_applies_to_h_and_c_separately(float64):
    cell = LSTMCell(4, 64, zoneout=(0.0, 0.5)).train()
    x, state = torch.randn(8, 4), LSTMState(torch.randn(8, 64), torch.randn(8, 64))
    plain = LSTMCell(4, 64)
    plain.load_state_dict(cell.state_dict())
    h_new, s_new = plain(x, state)
    h, s = cell(x, state)
    torch.testing.assert_close(h, h_new)  # no zoneout on h
    assert torch.all((s.c == state.c) | (s.c == s_new.c)) and (s.c == state.c).any()
