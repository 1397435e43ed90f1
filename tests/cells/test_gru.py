"""The layer-normalised GRU against its equations written out."""


import torch

from rnnkit.cells import GRUCell


def naive_ln(v, weight, bias=None, eps=1e-5):
    mean = v.mean(-1, keepdim=True)
    var = ((v - mean) ** 2).mean(-1, keepdim=True)
    out = (v - mean) / torch.sqrt(var + eps) * weight
    return out if bias is None else out + bias


def test_layer_norm_gru_matches_naive(dims, float64):
    gru = GRUCell(dims.D, dims.H, layer_norm=True)
    with torch.no_grad():
        for p in gru.parameters():
            p.normal_()
    x, h = torch.randn(dims.B, dims.D), torch.randn(dims.B, dims.H)
    H = dims.H
    gi = naive_ln(x @ gru.weight_ih.T, gru.ln_ih.weight) + gru.bias_ih
    gh = naive_ln(h @ gru.weight_hh.T, gru.ln_hh.weight) + gru.bias_hh
    r = torch.sigmoid(gi[:, :H] + gh[:, :H])
    z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    torch.testing.assert_close(gru(x, h)[0], (1 - z) * n + z * h)
