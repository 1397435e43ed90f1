"""The hand-derived BPTT of every plain cell (rnnkit/bptt/__init__.py, elman.py, gru.py, lstm.py)
against autograd and finite differences in float64, and the state-gradient recorder."""


import pytest
import torch

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


def _inputs(B=2, T=4, D=3, H=3, gates=1, mask=True):
    x = torch.randn(B, T, D, requires_grad=True)
    h0 = torch.randn(B, H, requires_grad=True)
    w_ih = torch.randn(gates * H, D, requires_grad=True)
    w_hh = (0.5 * torch.randn(gates * H, H)).requires_grad_()
    b_ih = torch.randn(gates * H, requires_grad=True)
    b_hh = torch.randn(gates * H, requires_grad=True)
    m = step_mask(torch.tensor([T, T - 2]), T) if mask else None
    return x, h0, m, w_ih, w_hh, b_ih, b_hh


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
