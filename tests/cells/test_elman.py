"""The layer-normalised Elman cell against its equation written out."""


import torch

from rnnkit.cells import ElmanCell


def naive_ln(v, weight, bias=None, eps=1e-5):
    mean = v.mean(-1, keepdim=True)
    var = ((v - mean) ** 2).mean(-1, keepdim=True)
    out = (v - mean) / torch.sqrt(var + eps) * weight
    return out if bias is None else out + bias


def test_layer_norm_elman_matches_naive(dims, float64):
    elman = ElmanCell(dims.D, dims.H, layer_norm=True)
    with torch.no_grad():
        for p in elman.parameters():
            p.normal_()
    x, h = torch.randn(dims.B, dims.D), torch.randn(dims.B, dims.H)
    a = naive_ln(x @ elman.weight_ih.T, elman.ln_ih.weight) + elman.bias_ih \
        + naive_ln(h @ elman.weight_hh.T, elman.ln_hh.weight) + elman.bias_hh
    torch.testing.assert_close(elman(x, h)[0], torch.tanh(a))
