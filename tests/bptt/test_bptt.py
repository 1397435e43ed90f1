"""The hand-derived backward passes against autograd, finite differences and each other."""

import pytest
import torch

import rnnkit
from rnnkit import GRU, LSTM, RNN, StateGradRecorder
from rnnkit.bptt import GRUBPTT, LSTMBPTT, ElmanBPTT
from rnnkit.state import step_mask

LAYERS = [
    lambda: RNN(3, 5),
    lambda: RNN(3, 5, nonlinearity="relu"),
    lambda: LSTM(3, 5, 2),
    lambda: GRU(3, 5, bidirectional=True),
    lambda: LSTM(3, 5, bidirectional=True, bias=False),
]


def relative_error(a, b):
    return ((a - b).norm() / b.norm().clamp_min(1e-300)).item()


@pytest.mark.parametrize("make", LAYERS)
@pytest.mark.parametrize("with_lengths", [False, True])
def test_bptt_gradients_equal_autograd(make, with_lengths, float64):
    layer = make()
    x = torch.randn(4, 9, 3, requires_grad=True)
    lengths = torch.tensor([9, 4, 1, 6]) if with_lengths else None
    targets = torch.randn(4, 9, layer.output_size)
    grads = {}
    for backend in ("loop", "bptt"):
        layer.backend = backend
        out, final = layer(x, lengths)
        h_final = final.h if isinstance(final, tuple) else final
        loss = ((out - targets) ** 2).sum() + h_final.pow(3).sum()
        grads[backend] = torch.autograd.grad(loss, [x, *layer.parameters()])
    for got, want in zip(grads["bptt"], grads["loop"]):
        assert relative_error(got, want) < 1e-8


def _inputs(B=2, T=4, D=3, H=3, gates=1, mask=True):
    x = torch.randn(B, T, D, requires_grad=True)
    h0 = torch.randn(B, H, requires_grad=True)
    w_ih = torch.randn(gates * H, D, requires_grad=True)
    w_hh = (0.5 * torch.randn(gates * H, H)).requires_grad_()
    b_ih = torch.randn(gates * H, requires_grad=True)
    b_hh = torch.randn(gates * H, requires_grad=True)
    m = step_mask(torch.tensor([T, T - 2]), T) if mask else None
    return x, h0, m, w_ih, w_hh, b_ih, b_hh


@pytest.mark.parametrize("mask", [False, True])
def test_gradcheck_each_function(mask, float64):
    x, h0, m, *w = _inputs(mask=mask)
    assert torch.autograd.gradcheck(lambda *a: ElmanBPTT.apply(*a[:2], m, *a[2:], False, None),
                                    (x, h0, *w))
    x, h0, m, *w = _inputs(gates=3, mask=mask)
    assert torch.autograd.gradcheck(lambda *a: GRUBPTT.apply(*a[:2], m, *a[2:], None), (x, h0, *w))
    x, h0, m, *w = _inputs(gates=4, mask=mask)
    c0 = torch.randn_like(h0, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: LSTMBPTT.apply(*a[:3], m, *a[3:], None),
                                    (x, h0, c0, *w))


def test_recorded_norms_are_the_total_state_gradients(float64):
    """‖∂L/∂s_t‖ from the bptt backend equals autograd's gradient of the hidden states."""
    layer = RNN(3, 4, backend="bptt")
    cell = layer.layers[0].cell
    x = torch.randn(2, 6, 3)
    recorder = StateGradRecorder()
    out, _ = layer(x, recorder=recorder)
    out[:, -1].sum().backward()  # only the last step's loss: ∂L_T/∂s_t
    # oracle: the same recurrence by hand, retaining every state's gradient
    s, states = torch.zeros(2, 4), []
    for t in range(6):
        s = torch.tanh(x[:, t] @ cell.weight_ih.T + cell.bias_ih + s @ cell.weight_hh.T
                       + cell.bias_hh)
        s.retain_grad()
        states.append(s)
    states[-1].sum().backward()
    expected = torch.stack([st.grad.norm(dim=1) for st in states], dim=1)
    torch.testing.assert_close(recorder.norms["layer0.forward"]["h"], expected)


def test_recorder_keys_and_backward_direction_order(float64):
    layer = LSTM(3, 4, 2, bidirectional=True)
    recorder = StateGradRecorder()
    lengths = torch.tensor([5, 3])
    out, _ = layer(torch.randn(2, 5, 3), lengths, recorder=recorder)
    out.sum().backward()
    assert set(recorder.norms) == {f"layer{i}.{d}" for i in (0, 1) for d in ("forward", "backward")}
    back = recorder.norms["layer1.backward"]["h"]
    assert back.shape == (2, 5)
    # caller's time order: the backward direction's state at its first step (t = 0) has the
    # whole sequence's losses behind it; padding steps get nothing
    assert back[1, 3:].abs().sum() == 0 and back[1, :3].min() > 0
    assert "c" in recorder.norms["layer0.forward"]


def test_linear_rnn_gradient_norms_are_powers(float64):
    """A linear recurrence (relu on positive states) with W = a·I: ‖∂L_T/∂s_t‖ ∝ a^(T−t)."""
    for a in (0.5, 1.5):
        layer = RNN(1, 3, nonlinearity="relu", backend="bptt", init="identity")
        cell = layer.layers[0].cell
        with torch.no_grad():
            cell.weight_hh.mul_(a)
            cell.weight_ih.fill_(1.0)
        recorder = StateGradRecorder()
        out, _ = layer(torch.ones(1, 8, 1), recorder=recorder)
        out[:, -1].sum().backward()
        norms = recorder.norms["layer0.forward"]["h"][0]
        ratios = norms[:-1] / norms[1:]
        torch.testing.assert_close(ratios, torch.full_like(ratios, a))


def test_bptt_trains_like_autograd(float64):
    torch.manual_seed(3)
    models = {b: LSTM(2, 6, backend=b) for b in ("loop", "bptt")}
    models["bptt"].load_state_dict(models["loop"].state_dict())
    x, y = torch.randn(8, 10, 2), torch.randn(8, 10, 6)
    for model in models.values():
        optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(5):
            optimiser.zero_grad()
            ((model(x)[0] - y) ** 2).mean().backward()
            optimiser.step()
    for p, q in zip(models["loop"].parameters(), models["bptt"].parameters()):
        torch.testing.assert_close(p, q)


def test_windows_plan():
    plan = rnnkit.bptt.windows(10, 4)
    assert [(w.start, w.loss_start, w.end) for w in plan] == [(0, 0, 4), (4, 4, 8), (8, 8, 10)]
    plan = rnnkit.bptt.windows(10, 2, 5)
    assert [(w.start, w.loss_start, w.end) for w in plan] == [
        (0, 0, 2), (0, 2, 4), (1, 4, 6), (3, 6, 8), (5, 8, 10)]
    with pytest.raises(ValueError, match="k2 must be >= k1"):
        rnnkit.bptt.windows(10, 4, 2)


@pytest.mark.parametrize("k1, k2", [(3, 3), (2, 5)])
def test_truncated_bptt_equals_manual_windows(k1, k2, float64):
    """Each window's loss reaches back exactly k2 steps; state values cross windows."""
    layer = GRU(2, 4, backend="loop")
    x = torch.randn(3, 11, 2, requires_grad=True)
    target = torch.randn(3, 11, 4)

    def loss_fn(outputs, start, end):
        return ((outputs - target[:, start:end]) ** 2).sum()

    losses, final = rnnkit.truncated_bptt(layer, x, loss_fn, k1, k2)
    got = [p.grad.clone() for p in layer.parameters()] + [x.grad.clone()]
    # oracle: one full forward; the gradient of window w is that of its loss with the
    # state detached at the window's start
    full_out, full_final = layer(x)
    torch.testing.assert_close(final, full_final.detach())
    layer.zero_grad()
    x.grad = None
    states = [None]
    for t in range(11):
        states.append(layer(x[:, t : t + 1].detach(), state=states[-1])[1].detach())
    total = 0.0
    for w in rnnkit.bptt.windows(11, k1, k2):
        out, _ = layer(x[:, w.start : w.end], state=states[w.start])
        loss = loss_fn(out[:, w.loss_start - w.start :], w.loss_start, w.end)
        loss.backward()
        total += loss.item()
    assert abs(sum(losses) - total) < 1e-9
    want = [p.grad for p in layer.parameters()] + [x.grad]
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)
    # no gradient crosses a detached boundary: the first window's loss alone never reaches
    # inputs after it, and the last window's never reaches inputs before its start
    layer.zero_grad()
    x.grad = None
    last = rnnkit.bptt.windows(11, k1, k2)[-1]
    out, _ = layer(x[:, last.start :], state=states[last.start])
    loss_fn(out[:, last.loss_start - last.start :], last.loss_start, 11).backward()
    assert x.grad[:, : last.start].abs().sum() == 0 and x.grad[:, last.start :].abs().sum() > 0


def naive_variant_lstm(cell, x, drop, zone_h, zone_c):
    """LN-LSTM + recurrent dropout + zoneout, gate by gate, with the masks given."""
    B, T, _ = x.shape
    H = cell.hidden_size
    ln = torch.nn.functional.layer_norm
    h, c, outs = torch.zeros(B, H), torch.zeros(B, H), []
    for t in range(T):
        gi = ln(x[:, t] @ cell.weight_ih.T, (4 * H,), cell.ln_ih.weight) + cell.bias_ih
        gh = ln((h * drop) @ cell.weight_hh.T, (4 * H,), cell.ln_hh.weight) + cell.bias_hh
        i, f, g, o = (gi + gh).chunk(4, 1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(ln(c_new, (H,), cell.ln_c.weight, cell.ln_c.bias))
        h = zone_h[t] * h + (1 - zone_h[t]) * h_new  # masks are time-major (T, B, H)
        c = zone_c[t] * c + (1 - zone_c[t]) * c_new
        outs.append(h)
    return torch.stack(outs, 1), h, c


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
    layer = LSTM(3, 8, layer_norm=True, zoneout=0.1, recurrent_dropout=0.2)
    assert layer.choose_backend() == "bptt"
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
