"""Stacks of cells over time against torch.nn.RNN/LSTM/GRU; fused, loop and bptt backends agree;
padding never changes a result; backend choice and errors."""


import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnkit
from rnnkit import GRU, LSTM, RNN, LSTMState, to_torch
from rnnkit.layers.compiled import build_report

CONFIGS = [
    # (class, options)
    (RNN, {}),
    (RNN, {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
    (LSTM, {}),
    (LSTM, {"num_layers": 2, "bidirectional": True}),
    (LSTM, {"num_layers": 2, "proj_size": 3}),
    (LSTM, {"bidirectional": True, "proj_size": 2, "bias": False}),
    (GRU, {"num_layers": 3}),
    (GRU, {"num_layers": 2, "bidirectional": True}),
]


BACKENDS = ["fused", "loop", "bptt"]


def run_torch(module, x, lengths, state):
    """Reference: PyTorch's module on packed sequences (enforce_sorted=False)."""
    hx = tuple(state) if isinstance(state, tuple) else state
    if lengths is None:
        out, final = module(x, hx)
    else:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, final = module(packed, hx)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, final


def random_state(layer, B):
    cells = layer.cells()
    s = cells[0].init_state(B)
    if isinstance(s, tuple):
        return LSTMState(*(torch.randn(len(cells), *leaf.shape) for leaf in s))
    return torch.randn(len(cells), *s.shape)


def leaves(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cls, options", CONFIGS)
@pytest.mark.parametrize("with_lengths", [False, True])
def test_layer_matches_torch(cls, options, backend, with_lengths, float64):
    options = dict(options)
    if backend == "bptt" and options.get("proj_size"):
        pytest.skip("bptt serves plain cells (no projection); tested for its error below")
    B, T, D, H = 4, 7, 3, 5
    num_layers = options.pop("num_layers", 1)
    layer = cls(D, H, num_layers, backend=backend, **options)
    reference = to_torch(layer)
    x = torch.randn(B, T, D, requires_grad=True)
    lengths = torch.tensor([5, 7, 1, 3]) if with_lengths else None  # unsorted
    state = random_state(layer, B)
    for leaf in leaves(state):
        leaf.requires_grad_(True)
    out, final = layer(x, lengths, state)
    out_ref, final_ref = run_torch(reference, x, lengths, state)
    torch.testing.assert_close(out, out_ref)
    for got, want in zip(leaves(final), leaves(final_ref)):
        torch.testing.assert_close(got, want)
    # gradients of a random functional of outputs and final state
    weights = torch.randn_like(out)
    final_weights = [torch.randn_like(leaf) for leaf in leaves(final)]

    def loss(o, f):
        return (o * weights).sum() + sum((a * w).sum() for a, w in zip(leaves(f), final_weights))

    inputs = [x, *leaves(state)]
    grads = torch.autograd.grad(loss(out, final), inputs + list(layer.parameters()))
    grads_ref = torch.autograd.grad(
        loss(out_ref, final_ref), inputs + list(reference.parameters())
    )
    assert len(grads) == len(grads_ref)
    for got, want in zip(grads, grads_ref):
        torch.testing.assert_close(got, want)


def test_outputs_past_the_end_are_zero_and_padding_changes_nothing(float64):
    layer = LSTM(3, 4, 2, bidirectional=True, backend="loop")
    x = torch.randn(3, 6, 3)
    lengths = torch.tensor([2, 6, 4])
    out, final = layer(x, lengths)
    assert out[0, 2:].abs().sum() == 0 and out[2, 4:].abs().sum() == 0
    alone, final_alone = layer(x[0:1, :2])
    torch.testing.assert_close(out[0:1, :2], alone)
    torch.testing.assert_close(final.h[:, 0], final_alone.h[:, 0])
    x_changed = x.clone()
    x_changed[0, 2:] = 100.0  # garbage in the padding
    torch.testing.assert_close(layer(x_changed, lengths)[0], out)


@pytest.mark.parametrize("merge", ["sum", "mean"])
@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_merge_modes_agree_across_backends(cls, merge, float64):
    layer = cls(3, 4, 2, bidirectional=True, merge=merge, backend="loop")
    assert layer.output_size == 4
    x, lengths = torch.randn(3, 5, 3), torch.tensor([5, 2, 4])
    out_loop, final_loop = layer(x, lengths)
    layer.backend = "fused"
    out_fused, final_fused = layer(x, lengths)
    torch.testing.assert_close(out_fused, out_loop)
    for got, want in zip(leaves(final_fused), leaves(final_loop)):
        torch.testing.assert_close(got, want)
    single = cls(3, 4, bidirectional=True, merge="concat", backend="loop")
    single.layers[0].load_state_dict(layer.layers[0].state_dict())
    halves = single(x, lengths)[0].chunk(2, dim=-1)
    first = cls(3, 4, bidirectional=True, merge=merge, backend="loop")
    first.layers[0].load_state_dict(layer.layers[0].state_dict())
    expected = halves[0] + halves[1] if merge == "sum" else (halves[0] + halves[1]) / 2
    torch.testing.assert_close(first(x, lengths)[0], expected)


def test_auto_backend_choice():
    assert LSTM(3, 4).choose_backend() == "fused"
    fast = "compiled" if build_report()["available"] else "bptt"  # the variants' fast path
    assert LSTM(3, 4, layer_norm=True, zoneout=0.1).choose_backend() == fast
    gru_fast = "compiled" if fast == "compiled" else "loop"  # (no hand-derived LN-GRU BPTT)
    assert LSTM(3, 4, peephole=True).choose_backend() == gru_fast  # (nor peephole BPTT)
    assert GRU(3, 4, layer_norm=True).choose_backend() == gru_fast
    assert LSTM(3, 4).choose_backend(recorder=rnnkit.StateGradRecorder()) == "bptt"
    dropped = GRU(3, 4, recurrent_dropout=0.3)
    assert dropped.train().choose_backend() == gru_fast
    assert dropped.eval().choose_backend() == gru_fast  # identity in evaluation: a plain GRU


def test_recurrent_dropout_in_eval_runs_fused_and_equals_loop(float64):
    layer = LSTM(3, 4, 2, recurrent_dropout=0.5).eval()
    x = torch.randn(2, 5, 3)
    fused = layer(x)[0]
    layer.backend = "loop"
    torch.testing.assert_close(layer(x)[0], fused)


def test_variant_layers_run_on_loop_and_train(float64):
    layer = LSTM(3, 4, 2, bidirectional=True, layer_norm=True, recurrent_dropout=0.2,
                 zoneout=0.1, peephole=True, learn_init=True, dropout=0.1)
    x = torch.randn(2, 5, 3)
    out, _ = layer(x, torch.tensor([3, 5]))
    out.sum().backward()
    assert all(p.grad is not None for p in layer.parameters())


@pytest.mark.parametrize("kwargs, backend, match", [
    ({"layer_norm": True}, "fused", "layer_norm"),
    ({"zoneout": 0.1}, "fused", "zoneout"),
    ({"peephole": True}, "bptt", "peephole"),
    ({"proj_size": 2}, "bptt", "proj_size"),
])
def test_forced_backend_that_cannot_serve_says_why(kwargs, backend, match):
    layer = LSTM(3, 4, backend=backend, **kwargs)
    with pytest.raises(ValueError, match=match):
        layer(torch.randn(2, 3, 3))


def test_recorder_needs_bptt():
    layer = GRU(3, 4, backend="loop")
    with pytest.raises(ValueError, match="bptt"):
        layer(torch.randn(2, 3, 3), recorder=rnnkit.StateGradRecorder())


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m(torch.randn(2, 3)), ValueError, "3 dimensions"),
    (lambda m: m([[1.0]]), TypeError, "torch.Tensor"),
    (lambda m: m(torch.randn(2, 3, 5)), ValueError, "feature size must be 3, got 5"),
    (lambda m: m(torch.randn(2, 3, 3), torch.tensor([1, 4])), ValueError, r"\[1, 3\]"),
    (lambda m: m(torch.randn(2, 3, 3), torch.tensor([0, 2])), ValueError, r"\[1, 3\]"),
    (lambda m: m(torch.randn(2, 3, 3), torch.tensor([1, 2, 3])), ValueError, r"shape \(2,\)"),
    (lambda m: m(torch.randn(2, 3, 3), torch.tensor([1.0, 2.0])), TypeError, "integers"),
    (lambda m: m(torch.randn(2, 3, 3), None, torch.zeros(2, 2, 4)), TypeError, r"tuple \(h, c\)"),
    (lambda m: m(torch.randn(2, 3, 3), None, (torch.zeros(1, 2, 4), torch.zeros(2, 2, 4))),
     ValueError, r"state h must have shape \(2, 2, 4\), got \(1, 2, 4\)"),
])
def test_bad_input_names_expected_and_got(call, error, match):
    layer = LSTM(3, 4, 2)
    with pytest.raises(error, match=match):
        call(layer)


def test_auto_runs_a_single_cpu_step_on_the_cell_with_the_same_result(float64):
    layer = LSTM(3, 4, 2)
    x = torch.randn(2, 1, 3)
    out_auto, state_auto = layer(x)
    layer.backend = "fused"
    out_fused, state_fused = layer(x)
    torch.testing.assert_close(out_auto, out_fused)
    torch.testing.assert_close(state_auto.c, state_fused.c)
    from rnnkit.layers.backends import single_cpu_step

    assert single_cpu_step(x) and not single_cpu_step(torch.randn(2, 2, 3))
