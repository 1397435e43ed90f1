"""The compiled path (C++ time loops of the LSTM, GRU and Elman cells and their variants)
against the reference loop, naive loops with the same masks, and gradcheck, in float64. CI
builds it; a failed build is a failed test here, and the fallback (one warning, the Python
paths) is tested on its own."""

import warnings

import pytest
import torch

import rnnkit
from helpers import naive_variant_elman, naive_variant_gru, naive_variant_lstm
from rnnkit import GRU, LSTM, RNN
from rnnkit.layers import compiled
from rnnkit.layers.compiled import (
    CompiledElman,
    CompiledGRU,
    CompiledLSTM,
    build_report,
    compiled_unsupported_reason,
)
from rnnkit.layers.rnn import make_layer
from rnnkit.state import step_mask


def relative_error(a, b):
    return ((a - b).norm() / b.norm().clamp_min(1e-300)).item()


@pytest.fixture(scope="module", autouse=True)
def built():
    report = build_report()
    assert report["available"], f"the compiled path did not build: {report['reason']}"


VARIANTS = [
    {},
    {"layer_norm": True},
    {"recurrent_dropout": 0.3},
    {"zoneout": (0.2, 0.1)},
    {"layer_norm": True, "zoneout": (0.2, 0.1), "recurrent_dropout": 0.3},
    {"layer_norm": True, "zoneout": 0.15, "bidirectional": True},
    {"layer_norm": True, "recurrent_dropout": 0.2, "num_layers": 2, "bidirectional": True},
    {"peephole": True},
    {"proj_size": 3},
    {"peephole": True, "proj_size": 3, "layer_norm": True, "zoneout": (0.2, 0.1),
     "recurrent_dropout": 0.3, "bidirectional": True},
    {"proj_size": 2, "peephole": True, "num_layers": 2, "learn_init": True},
]


SINGLE_STATE_VARIANTS = [
    {},
    {"layer_norm": True},
    {"recurrent_dropout": 0.3},
    {"zoneout": 0.2},
    {"layer_norm": True, "zoneout": 0.2, "recurrent_dropout": 0.3, "bidirectional": True},
    {"layer_norm": True, "recurrent_dropout": 0.2, "num_layers": 2, "bidirectional": True},
]
CELL_VARIANTS = [("gru", {}), ("rnn", {}), ("rnn", {"nonlinearity": "relu"})]


@pytest.mark.parametrize("kind,extra", CELL_VARIANTS)
@pytest.mark.parametrize("options", SINGLE_STATE_VARIANTS)
def test_compiled_gru_and_elman_equal_the_reference_loop(kind, extra, options, float64):
    """As for the LSTM below: outputs, final h and every gradient, unequal lengths (T = 23:
    two chunks), evaluation mode."""
    torch.manual_seed(3)
    options = dict(options)
    layer = make_layer(kind, 3, 6, options.pop("num_layers", 1), **options, **extra).eval()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.2 * torch.randn_like(p))
    x = torch.randn(5, 23, 3, requires_grad=True)
    lengths = torch.tensor([23, 4, 17, 1, 9])
    found = {}
    for backend in ("loop", "compiled"):
        out, final = layer(x, lengths, backend=backend)
        loss = out.sin().sum() + final.pow(2).sum()
        found[backend] = (out, final, *torch.autograd.grad(loss, [x, *layer.parameters()]))
    for got, want in zip(found["compiled"], found["loop"]):
        assert relative_error(got, want) < 1e-10


@pytest.mark.parametrize("kind", ["gru", "tanh", "relu"])
def test_gru_and_elman_training_masks_given_explicitly_match_a_naive_loop(kind, float64):
    torch.manual_seed(4)
    B, T, D, H = 4, 19, 2, 5
    if kind == "gru":
        cell, apply, naive = rnnkit.GRUCell(D, H, layer_norm=True), CompiledGRU.apply, naive_variant_gru
    else:
        cell = rnnkit.ElmanCell(D, H, layer_norm=True, nonlinearity=kind)
        apply, naive = CompiledElman.apply, naive_variant_elman
    with torch.no_grad():
        for p in cell.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(B, T, D)
    drop = torch.bernoulli(torch.full((B, H), 0.7)) / 0.7
    zone = torch.bernoulli(torch.full((T, B, H), 0.3))
    mask = step_mask(torch.tensor([19, 3, 16, 1]), T)
    want = naive(cell, x, drop, zone, mask)
    extra = () if kind == "gru" else (kind == "relu",)
    got = apply(cell.input_projection(x), None, None, torch.zeros(B, H), mask, cell.weight_hh,
                cell.bias_hh, cell.ln_hh.weight, drop, zone, -1.0, *extra)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)
    w = torch.randn_like(want[0])
    params = list(cell.parameters())
    grads = torch.autograd.grad((got[0] * w).sum() + got[1].sum(), params)
    oracle = torch.autograd.grad((want[0] * w).sum() + want[1].sum(), params)
    for a, b in zip(grads, oracle):
        assert relative_error(a, b) < 1e-10


@pytest.mark.parametrize("kind", ["gru", "tanh", "relu"])
def test_gradcheck_gru_and_elman_with_the_input_side_made_in_the_loop(kind, float64):
    """x, W_ih and both biases into the loop (T = 20: two chunks), zoneout masks, recurrent
    dropout, a length mask; and the given-input-side form with layer norm and zoneout's
    evaluation constant."""
    torch.manual_seed(8)
    B, T, D, H = 2, 20, 3, 2
    G = 3 * H if kind == "gru" else H
    apply = CompiledGRU.apply if kind == "gru" else CompiledElman.apply
    extra = () if kind == "gru" else (kind == "relu",)
    x = torch.randn(B, T, D, requires_grad=True)
    w_ih, b_ih = torch.randn(G, D, requires_grad=True), torch.randn(G, requires_grad=True)
    h0 = torch.randn(B, H, requires_grad=True)
    w_hh = (0.5 * torch.randn(G, H)).requires_grad_()  # (a relu loop of randn weights grows
    b_hh = torch.randn(G, requires_grad=True)         # 10^4-fold: finite differences lose it)
    ln = torch.randn(G, requires_grad=True)
    drop = torch.tensor([[2.0, 0.0], [2.0, 2.0]])
    mask = step_mask(torch.tensor([20, 13]), T)
    zone = torch.bernoulli(torch.full((T, B, H), 0.3))

    def from_x(x, w_ih, b_ih, h0, w_hh, b_hh):
        return apply(x, w_ih, b_ih, h0, mask, w_hh, b_hh, None, drop, zone, -1.0, *extra)

    def given(gi, h0, w_hh, b_hh, ln):
        return apply(gi, None, None, h0, mask, w_hh, b_hh, ln, drop, None, 0.25, *extra)

    assert torch.autograd.gradcheck(from_x, (x, w_ih, b_ih, h0, w_hh, b_hh))
    gi = torch.randn(B, 7, G, requires_grad=True)
    mask = step_mask(torch.tensor([7, 4]), 7)
    assert torch.autograd.gradcheck(given, (gi, h0, w_hh, b_hh, ln))


@pytest.mark.parametrize("layer_class", [GRU, RNN])
def test_training_gru_and_elman_compiled_takes_the_loops_steps(layer_class, float64):
    """60 Adam steps in training mode: the masks are drawn in the loop's order, so the losses
    are the reference loop's."""
    losses = {}
    for backend in ("loop", "compiled"):
        torch.manual_seed(6)
        layer = layer_class(3, 8, layer_norm=True, zoneout=0.1, recurrent_dropout=0.2,
                            backend=backend)
        head = torch.nn.Linear(8, 1)
        x = torch.randn(16, 10, 3)
        y = x.sum(dim=(1, 2)).unsqueeze(1)
        optimiser = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=0.02)
        losses[backend] = []
        for _ in range(60):
            optimiser.zero_grad()
            loss = ((head(layer(x)[0][:, -1]) - y) ** 2).mean()
            loss.backward()
            optimiser.step()
            losses[backend].append(loss.item())
    assert losses["compiled"] == pytest.approx(losses["loop"], rel=1e-9)
    assert losses["compiled"][-1] < 0.5 * losses["compiled"][0]


@pytest.mark.parametrize("options", VARIANTS)
def test_compiled_equals_the_reference_loop(options, float64):
    """Outputs, final (h, c) and every gradient; unequal lengths; evaluation mode (zoneout's
    expectation, recurrent dropout the identity), where both paths are deterministic."""
    torch.manual_seed(3)
    layer = LSTM(3, 6, **options).eval()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.2 * torch.randn_like(p))
    x = torch.randn(5, 23, 3, requires_grad=True)
    lengths = torch.tensor([23, 4, 17, 1, 9])
    found = {}
    for backend in ("loop", "compiled"):
        out, final = layer(x, lengths, backend=backend)
        loss = out.sin().sum() + final.h.pow(2).sum() + final.c.sum()
        found[backend] = (out, final.h, final.c,
                          *torch.autograd.grad(loss, [x, *layer.parameters()]))
    for got, want in zip(found["compiled"], found["loop"]):
        assert relative_error(got, want) < 1e-10


def test_training_masks_given_explicitly_match_a_naive_loop(float64):
    torch.manual_seed(4)
    B, T, D, H = 4, 9, 2, 5
    cell = rnnkit.LSTMCell(D, H, layer_norm=True)
    with torch.no_grad():
        for p in cell.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(B, T, D)
    drop = torch.bernoulli(torch.full((B, H), 0.7)) / 0.7
    zone_h = torch.bernoulli(torch.full((T, B, H), 0.3))
    zone_c = torch.bernoulli(torch.full((T, B, H), 0.2))
    mask = step_mask(torch.tensor([9, 3, 6, 1]), T)
    want = naive_variant_lstm(cell, x, drop, zone_h, zone_c, mask)
    zeros = torch.zeros(B, H)
    got = CompiledLSTM.apply(cell.input_projection(x), None, None, zeros, zeros, mask,
                             cell.weight_hh,
                             cell.bias_hh, cell.ln_hh.weight, cell.ln_c.weight, cell.ln_c.bias,
                             drop, zone_h, zone_c, -1.0, -1.0, None, None)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)
    w = torch.randn_like(want[0])
    params = list(cell.parameters())
    grads = torch.autograd.grad((got[0] * w).sum() + got[2].sum(), params)
    oracle = torch.autograd.grad((want[0] * w).sum() + want[2].sum(), params)
    for a, b in zip(grads, oracle):
        assert relative_error(a, b) < 1e-10


def test_peepholes_and_projection_with_training_masks_match_a_naive_loop(float64):
    """T = 21 (two chunks), unequal lengths, recurrent dropout on the projected h (B, R),
    zoneout masks of h (T, B, R) and c (T, B, H) given explicitly."""
    torch.manual_seed(9)
    B, T, D, H, R = 3, 21, 2, 5, 3
    cell = rnnkit.LSTMCell(D, H, layer_norm=True, peephole=True, proj_size=R)
    with torch.no_grad():
        for p in cell.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(B, T, D)
    drop = torch.bernoulli(torch.full((B, R), 0.7)) / 0.7
    zone_h = torch.bernoulli(torch.full((T, B, R), 0.3))
    zone_c = torch.bernoulli(torch.full((T, B, H), 0.2))
    mask = step_mask(torch.tensor([21, 5, 17]), T)
    want = naive_variant_lstm(cell, x, drop, zone_h, zone_c, mask)
    got = CompiledLSTM.apply(cell.input_projection(x), None, None, torch.zeros(B, R),
                             torch.zeros(B, H), mask, cell.weight_hh, cell.bias_hh,
                             cell.ln_hh.weight, cell.ln_c.weight, cell.ln_c.bias, drop, zone_h,
                             zone_c, -1.0, -1.0, cell.peephole_weight, cell.weight_hr)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)
    w = torch.randn_like(want[0])
    params = list(cell.parameters())
    grads = torch.autograd.grad((got[0] * w).sum() + got[2].sum() + got[1].sum(), params)
    oracle = torch.autograd.grad((want[0] * w).sum() + want[2].sum() + want[1].sum(), params)
    for a, b in zip(grads, oracle):
        assert relative_error(a, b) < 1e-10


def test_gradcheck_peepholes_and_projection_from_x(float64):
    B, T, D, H, R = 2, 18, 2, 3, 2
    x = torch.randn(B, T, D, requires_grad=True)
    w_ih, b_ih = torch.randn(4 * H, D, requires_grad=True), torch.randn(4 * H, requires_grad=True)
    h0, c0 = torch.randn(B, R, requires_grad=True), torch.randn(B, H, requires_grad=True)
    w_hh, b_hh = torch.randn(4 * H, R, requires_grad=True), torch.randn(4 * H, requires_grad=True)
    peep, w_hr = torch.randn(3 * H, requires_grad=True), torch.randn(R, H, requires_grad=True)
    drop = torch.tensor([[2.0, 0.0], [2.0, 2.0]])
    mask = step_mask(torch.tensor([18, 11]), T)
    zone_c = torch.bernoulli(torch.full((T, B, H), 0.3))

    def f(x, w_ih, b_ih, h0, c0, w_hh, b_hh, peep, w_hr):
        return CompiledLSTM.apply(x, w_ih, b_ih, h0, c0, mask, w_hh, b_hh, None, None, None,
                                  drop, None, zone_c, 0.2, -1.0, peep, w_hr)

    assert torch.autograd.gradcheck(f, (x, w_ih, b_ih, h0, c0, w_hh, b_hh, peep, w_hr))


def test_gradcheck_with_masks_and_the_evaluation_constant(float64):
    B, T, H = 2, 5, 3
    gx = torch.randn(B, T, 4 * H, requires_grad=True)
    h0, c0 = torch.randn(B, H, requires_grad=True), torch.randn(B, H, requires_grad=True)
    w_hh, b_hh = torch.randn(4 * H, H, requires_grad=True), torch.randn(4 * H, requires_grad=True)
    ln_hh, ln_c_w, ln_c_b = (torch.randn(n, requires_grad=True) for n in (4 * H, H, H))
    drop = torch.tensor([[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]])
    mask = step_mask(torch.tensor([5, 2]), T)
    zone_c = torch.bernoulli(torch.full((T, B, H), 0.5))  # zone_h: the evaluation constant

    def f(*a):
        return CompiledLSTM.apply(a[0], None, None, *a[1:3], mask, *a[3:], drop, None, zone_c,
                                  0.25, -1.0, None, None)

    assert torch.autograd.gradcheck(f, (gx, h0, c0, w_hh, b_hh, ln_hh, ln_c_w, ln_c_b))


def test_gradcheck_with_the_input_side_made_in_the_loop(float64):
    """Without layer norm the loop makes W_ih x_t + b itself, a chunk at a time (T = 20 spans
    two chunks of 16), and returns δx, δW_ih and δb."""
    B, T, D, H = 2, 20, 3, 2
    x = torch.randn(B, T, D, requires_grad=True)
    w_ih, b_ih = torch.randn(4 * H, D, requires_grad=True), torch.randn(4 * H, requires_grad=True)
    h0, c0 = torch.randn(B, H, requires_grad=True), torch.randn(B, H, requires_grad=True)
    w_hh, b_hh = torch.randn(4 * H, H, requires_grad=True), torch.randn(4 * H, requires_grad=True)
    drop = torch.tensor([[2.0, 0.0], [2.0, 2.0]])
    mask = step_mask(torch.tensor([20, 13]), T)
    zone_h = torch.bernoulli(torch.full((T, B, H), 0.3))

    def f(x, w_ih, b_ih, h0, c0, w_hh, b_hh):
        return CompiledLSTM.apply(x, w_ih, b_ih, h0, c0, mask, w_hh, b_hh, None, None, None,
                                  drop, zone_h, None, -1.0, 0.1, None, None)

    assert torch.autograd.gradcheck(f, (x, w_ih, b_ih, h0, c0, w_hh, b_hh))


def test_float32_stays_close_to_float64():
    torch.manual_seed(5)
    layer = LSTM(4, 16, layer_norm=True, zoneout=0.1, recurrent_dropout=0.2).eval()
    x = torch.randn(3, 40, 4)
    out32, _ = layer(x, backend="compiled")
    out64, _ = layer.double()(x.double(), backend="loop")
    assert (out32.double() - out64).abs().max() < 1e-5  # (-ffast-math: vector exp and tanh)


def test_auto_runs_the_variants_compiled_and_names_what_it_cannot_serve():
    for layer in (LSTM(3, 4, layer_norm=True), GRU(3, 4, zoneout=0.1),
                  RNN(3, 4, layer_norm=True, nonlinearity="relu")):
        assert layer.choose_backend() == "compiled"
    for plain in (LSTM(3, 4), RNN(3, 4)):
        assert plain.choose_backend() == "fused"  # PyTorch's own kernels stay first
    assert GRU(3, 4).choose_backend() == "compiled"  # faster than PyTorch's GRU on the CPU
    assert GRU(3, 4).choose_backend(x=torch.randn(2, 1, 3)) == "loop"  # one step
    assert LSTM(3, 4, peephole=True, proj_size=2).choose_backend() == "compiled"
    assert compiled_unsupported_reason(GRU(3, 4).cells()[0]) is None

    class Minimal(rnnkit.cells.base.RecurrentCell):
        pass

    assert "Minimal" in compiled_unsupported_reason(Minimal(3, 4))


def test_training_on_the_compiled_path_takes_the_bptt_paths_steps(float64):
    """60 Adam steps in training mode (fresh dropout and zoneout masks every step, drawn in the
    same order by both paths): the same losses as the hand-derived Python BPTT, falling (in
    float32 this chaotic little problem drifts apart after ~15 steps, as any two orders of
    summation would)."""
    losses = {}
    for backend in ("bptt", "compiled"):
        torch.manual_seed(6)
        layer = LSTM(3, 8, layer_norm=True, zoneout=0.1, recurrent_dropout=0.2, backend=backend)
        head = torch.nn.Linear(8, 1)
        x = torch.randn(16, 10, 3)
        y = x.sum(dim=(1, 2)).unsqueeze(1)
        optimiser = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=0.02)
        losses[backend] = []
        for _ in range(60):
            optimiser.zero_grad()
            loss = ((head(layer(x)[0][:, -1]) - y) ** 2).mean()
            loss.backward()
            optimiser.step()
            losses[backend].append(loss.item())
    assert losses["compiled"] == pytest.approx(losses["bptt"], rel=1e-9)
    assert losses["compiled"][-1] < 0.5 * losses["compiled"][0]


def test_without_a_compiler_one_warning_and_the_python_paths(monkeypatch):
    from torch.utils import cpp_extension

    def no_compiler(*args, **kwargs):
        raise RuntimeError("Ninja is required to load C++ extensions")

    compiled._built.cache_clear()
    monkeypatch.setattr(cpp_extension, "load", no_compiler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = LSTM(3, 4, layer_norm=True)
            assert layer.choose_backend() == "bptt"
            layer(torch.randn(2, 5, 3))[0].sum().backward()
            assert layer.choose_backend() == "bptt"
        said = [w for w in caught if "compiled recurrent path could not be built" in str(w.message)]
        assert len(said) == 1 and "Ninja is required" in str(said[0].message)
        assert not build_report()["available"]
    finally:
        compiled._built.cache_clear()
