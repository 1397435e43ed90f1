"""What every cell shares: PyTorch's own cells as the oracle (outputs and gradients in float64),
recurrent dropout, zoneout, initialisation, learned initial state, named errors."""


import math

import pytest
import torch
from torch import nn

from rnnkit.cells import ElmanCell, GRUCell, LSTMCell, LSTMState

PAIRS = [
    (lambda d, h: ElmanCell(d, h), lambda d, h: nn.RNNCell(d, h)),
    (lambda d, h: ElmanCell(d, h, nonlinearity="relu"),
     lambda d, h: nn.RNNCell(d, h, nonlinearity="relu")),
    (lambda d, h: LSTMCell(d, h), lambda d, h: nn.LSTMCell(d, h)),
    (lambda d, h: GRUCell(d, h), lambda d, h: nn.GRUCell(d, h)),
    (lambda d, h: GRUCell(d, h, bias=False), lambda d, h: nn.GRUCell(d, h, bias=False)),
]


def naive_ln(v, weight, bias=None, eps=1e-5):
    mean = v.mean(-1, keepdim=True)
    var = ((v - mean) ** 2).mean(-1, keepdim=True)
    out = (v - mean) / torch.sqrt(var + eps) * weight
    return out if bias is None else out + bias


@pytest.mark.parametrize("make_ours, make_ref", PAIRS)
def test_cell_matches_torch_outputs_and_gradients(make_ours, make_ref, dims, float64):
    ours, ref = make_ours(dims.D, dims.H), make_ref(dims.D, dims.H)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(dims.B, dims.D, requires_grad=True)
    state = ours.init_state(dims.B)
    state = LSTMState(*(torch.randn_like(s) for s in state)) if isinstance(state, tuple) \
        else torch.randn_like(state)
    h, new_state = ours(x, state)
    h_ref = ref(x, tuple(state) if isinstance(state, tuple) else state)
    c_ref = None
    if isinstance(h_ref, tuple):
        h_ref, c_ref = h_ref
        torch.testing.assert_close(new_state.c, c_ref)
    torch.testing.assert_close(h, h_ref)
    weights = torch.randn_like(h)
    grads = torch.autograd.grad((h * weights).sum(), [x, *ours.parameters()])
    grads_ref = torch.autograd.grad((h_ref * weights).sum(), [x, *ref.parameters()])
    for got, want in zip(grads, grads_ref):
        torch.testing.assert_close(got, want)


def test_layer_norm_peephole_lstm_matches_naive_gates(dims, float64):
    cell = LSTMCell(dims.D, dims.H, layer_norm=True, peephole=True)
    with torch.no_grad():
        for p in cell.parameters():
            p.normal_()
    x, h, c = torch.randn(dims.B, dims.D), torch.randn(dims.B, dims.H), torch.randn(dims.B, dims.H)
    H = dims.H
    pre = naive_ln(x @ cell.weight_ih.T, cell.ln_ih.weight) + cell.bias_ih \
        + naive_ln(h @ cell.weight_hh.T, cell.ln_hh.weight) + cell.bias_hh
    w_ci, w_cf, w_co = cell.peephole_weight[:H], cell.peephole_weight[H:2 * H], cell.peephole_weight[2 * H:]
    i = torch.sigmoid(pre[:, :H] + w_ci * c)
    f = torch.sigmoid(pre[:, H:2 * H] + w_cf * c)
    g = torch.tanh(pre[:, 2 * H:3 * H])
    c_t = f * c + i * g
    o = torch.sigmoid(pre[:, 3 * H:] + w_co * c_t)
    h_t = o * torch.tanh(naive_ln(c_t, cell.ln_c.weight, cell.ln_c.bias))
    got_h, got_state = cell(x, LSTMState(h, c))
    torch.testing.assert_close(got_h, h_t)
    torch.testing.assert_close(got_state.c, c_t)


def test_recurrent_dropout_mask_is_constant_over_time(float64):
    """With W = I, U = 0, b = 0 and relu, s_t = relu(m ⊙ s_{t−1}) = m^t when m is one mask."""
    torch.manual_seed(1)
    p, B, H, T = 0.5, 4, 64, 4
    cell = ElmanCell(2, H, nonlinearity="relu", init="identity", recurrent_dropout=p).train()
    with torch.no_grad():
        cell.weight_ih.zero_()
    noise = cell.draw_noise(B, cell.weight_hh)
    s = torch.ones(B, H)
    states = []
    for _ in range(T):
        s, _ = cell(torch.zeros(B, 2), s, noise)
        states.append(s)
    m = states[0]
    assert set(m.unique().tolist()) <= {0.0, 1 / (1 - p)}
    assert 0 < (m == 0).float().mean() < 1
    for t, s_t in enumerate(states, start=1):
        torch.testing.assert_close(s_t, m**t)


@pytest.mark.parametrize("make", [
    lambda: ElmanCell(4, 5, recurrent_dropout=0.5),
    lambda: GRUCell(4, 5, recurrent_dropout=0.5),
    lambda: LSTMCell(4, 5, recurrent_dropout=0.5),
])
def test_recurrent_dropout_is_identity_in_eval(make, float64):
    cell = make().eval()
    plain = type(cell)(4, 5)
    plain.load_state_dict(cell.state_dict())
    x, state = torch.randn(3, 4), cell.init_state(3)
    assert cell.draw_noise(3, x) is None
    torch.testing.assert_close(cell(x, state)[0], plain(x, state)[0])


def test_zoneout_training_keeps_or_updates_each_unit_and_eval_is_the_expectation(float64):
    torch.manual_seed(2)
    cell = GRUCell(4, 64, zoneout=0.3)
    plain = GRUCell(4, 64)
    plain.load_state_dict(cell.state_dict())
    x, h = torch.randn(8, 4), torch.randn(8, 64)
    new = plain(x, h)[0]
    got = cell.train()(x, h)[0]
    kept = got == h
    assert torch.all(kept | (got == new))
    assert 0.1 < kept.double().mean() < 0.5
    torch.testing.assert_close(cell.eval()(x, h)[0], 0.3 * h + 0.7 * new)


def test_init_schemes():
    H = 6
    irnn = ElmanCell(3, H, nonlinearity="relu", init="identity")
    torch.testing.assert_close(irnn.weight_hh.detach(), torch.eye(H))
    assert irnn.bias_ih.abs().sum() == 0 and irnn.weight_ih.abs().max() < 0.01
    orth = LSTMCell(3, H, init="orthogonal")
    for block in orth.weight_hh.detach().split(H):
        torch.testing.assert_close(block @ block.T, torch.eye(H), atol=1e-5, rtol=0)
    lstm = LSTMCell(3, H)  # default forget bias 1.0 in total
    torch.testing.assert_close((lstm.bias_ih + lstm.bias_hh)[H:2 * H].detach(), torch.ones(H))
    bound = H**-0.5
    default = GRUCell(3, H)
    assert default.weight_hh.abs().max() <= bound
    assert LSTMCell(3, H, forget_bias=None).bias_ih[H:2 * H].abs().max() <= bound


def test_chrono_initialisation_spreads_the_memory_times_over_1_to_t_max():
    """Tallec & Ollivier (2018): b_f = log u, u ~ U(1, T_max − 1), b_i = −b_f, the recurrent
    biases of i and f zero; the units' characteristic forget times 1/(1 − σ(b_f)) ≈ u then
    reach from about 1 step to about T_max."""
    torch.manual_seed(0)
    H, T_max = 512, 400
    cell = LSTMCell(3, H, chrono=T_max)
    b_i, b_f = cell.bias_ih.detach()[:H], cell.bias_ih.detach()[H:2 * H]
    assert b_f.min() >= 0 and b_f.max() <= math.log(T_max - 1)
    torch.testing.assert_close(b_i, -b_f)
    assert cell.bias_hh[:2 * H].abs().sum() == 0
    memory = 1 / (1 - torch.sigmoid(b_f))  # steps a unit remembers, about e^{b_f} = u
    assert memory.min() < 3 and memory.max() > 0.9 * T_max
    assert (memory > T_max / 2).float().mean() == pytest.approx(0.5, abs=0.06)  # u uniform
    with pytest.raises(ValueError, match="chrono"):
        LSTMCell(3, H, chrono=1)


def test_learned_initial_state_gets_gradient(float64):
    cell = LSTMCell(3, 4, learn_init=True)
    h, state = cell(torch.randn(2, 3), cell.init_state(2))
    (h.sum() + state.c.sum()).backward()
    assert cell.initial_h.grad.abs().sum() > 0 and cell.initial_c.grad.abs().sum() > 0


@pytest.mark.parametrize("kwargs, error", [
    ({"init": "he"}, ValueError),
    ({"recurrent_dropout": 1.0}, ValueError),
    ({"zoneout": -0.1}, ValueError),
    ({"proj_size": 9}, ValueError),
    ({"recurrent_dropout": "0.1"}, TypeError),
])
def test_bad_options_are_named(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        LSTMCell(3, 4, **kwargs)


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="hidden_size"):
        GRUCell(3, 0)
    with pytest.raises(TypeError, match="input_size"):
        ElmanCell(3.0, 4)
    with pytest.raises(ValueError, match="nonlinearity"):
        ElmanCell(3, 4, nonlinearity="sigmoid")
