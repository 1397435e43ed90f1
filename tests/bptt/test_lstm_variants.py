"""The LSTM variants' BPTT (layer norm, peepholes, projections, recurrent dropout, zoneout)
against the naive loop and gradcheck."""


import pytest
import torch

import rnnkit
from helpers import naive_variant_lstm
from rnnkit import LSTM
from rnnkit.state import step_mask


def relative_error(a, b):
    return ((a - b).norm() / b.norm().clamp_min(1e-300)).item()


def test_variant_lstm_function_equals_naive_with_the_same_masks(float64):
    torch.manual_seed(4)
    B, T, D, H = 3, 6, 2, 4
    cell = rnnkit.LSTMCell(D, H, layer_norm=True)
    with torch.no_grad():
        for p in cell.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(B, T, D)
    drop = torch.bernoulli(torch.full((B, H), 0.7)) / 0.7
    zone_h, zone_c = torch.bernoulli(torch.full((T, B, H), 0.3)), torch.bernoulli(torch.full((T, B, H), 0.2))
    out_ref, h_ref, c_ref = naive_variant_lstm(cell, x, drop, zone_h, zone_c)
    gx = cell.input_projection(x)
    zeros = torch.zeros(B, H)
    args = (cell.weight_hh, cell.bias_hh, cell.ln_hh.weight, cell.ln_c.weight, cell.ln_c.bias, drop,
            zone_h, zone_c, None)
    out, h, c = rnnkit.bptt.LSTMVariantBPTT.apply(gx, zeros, zeros, None, *args)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(c, c_ref)
    w = torch.randn_like(out)
    params = list(cell.parameters())
    got = torch.autograd.grad((out * w).sum() + c.sum(), params)
    want = torch.autograd.grad((out_ref * w).sum() + c_ref.sum(), params)
    for a, b in zip(got, want):
        assert relative_error(a, b) < 1e-8


def test_variant_lstm_function_gradcheck(float64):
    B, T, H = 2, 4, 3
    gx = torch.randn(B, T, 4 * H, requires_grad=True)
    h0, c0 = torch.randn(B, H, requires_grad=True), torch.randn(B, H, requires_grad=True)
    w_hh, b_hh = torch.randn(4 * H, H, requires_grad=True), torch.randn(4 * H, requires_grad=True)
    ln_hh, ln_c_w, ln_c_b = (torch.randn(n, requires_grad=True) for n in (4 * H, H, H))
    drop = torch.tensor([[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]])
    mask = step_mask(torch.tensor([4, 2]), T)
    zone_c = torch.bernoulli(torch.full((T, B, H), 0.5))  # fixed masks; zone_h the eval constant

    def f(*a):
        return rnnkit.bptt.LSTMVariantBPTT.apply(*a[:3], mask, *a[3:], drop, 0.25, zone_c, None)

    assert torch.autograd.gradcheck(f, (gx, h0, c0, w_hh, b_hh, ln_hh, ln_c_w, ln_c_b))


@pytest.mark.parametrize("options", [
    {"layer_norm": True, "zoneout": (0.2, 0.1), "recurrent_dropout": 0.3},
    {"recurrent_dropout": 0.3},
    {"zoneout": 0.2, "bidirectional": True},
])
def test_variant_lstm_layer_bptt_equals_loop_in_eval(options, float64):
    layer = LSTM(3, 5, **options).eval()
    x = torch.randn(4, 7, 3, requires_grad=True)
    lengths = torch.tensor([7, 3, 5, 1])
    grads = {}
    for backend in ("loop", "bptt"):
        layer.backend = backend
        out, final = layer(x, lengths)
        loss = (out.sin()).sum() + final.c.pow(2).sum()
        grads[backend] = torch.autograd.grad(loss, [x, *layer.parameters()])
    for got, want in zip(grads["bptt"], grads["loop"]):
        assert relative_error(got, want) < 1e-8


def test_variant_lstm_layer_trains_on_bptt():
    torch.manual_seed(5)
    layer = LSTM(3, 8, layer_norm=True, zoneout=0.1, recurrent_dropout=0.2, backend="bptt")
    head = torch.nn.Linear(8, 1)
    x = torch.randn(16, 10, 3)
    y = x.sum(dim=(1, 2)).unsqueeze(1)
    optimiser = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=0.02)
    losses = []
    for _ in range(60):
        optimiser.zero_grad()
        loss = ((head(layer(x)[0][:, -1]) - y) ** 2).mean()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
