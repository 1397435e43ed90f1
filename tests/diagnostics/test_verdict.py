"""The verdict: exploding from a jump in the training gradient norms, saturated units flagged, a
healthy LSTM left alone, every layer and direction of a deep bidirectional GRU."""


import torch

from rnnkit import GRU, LSTM, RNN
from rnnkit.diagnostics import (
    Thresholds,
    diagnose,
    gate_saturation,
    judge,
)


def test_exploding_from_a_jump_in_training_gradient_norms():
    flow = {"last_loss": {"layer0.forward": [1.0, 1.0]}}
    assert judge(flow, grad_norms=[1.0, 1.2, 0.9, 1.1])["verdict"] == "healthy"
    report = judge(flow, grad_norms=[1.0, 1.2, 0.9, 400.0])
    assert report["verdict"] == "exploding" and "running average" in report["reasons"][0]
    assert judge(flow, grad_norms=[1.0, float("nan")])["verdict"] == "exploding"
    assert judge(flow, grad_norms=[1.0, 400.0], thresholds=Thresholds(jump_factor=1e3))["verdict"] \
        == "healthy"


def test_a_gradient_that_vanishes_now_is_vanishing_even_after_a_jump_in_training():
    """The tanh-RNN of docs/results.md's defaults-only adding run: its gradient from the last
    loss is gone within 6 steps, and training once saw a 100x jump. The verdict names what
    the model does now; the jump stays a reason, with clipping's advice."""
    flow = {"last_loss": {"layer0.forward": [0.0, 1e-12, 1e-6, 0.3]}}
    report = judge(flow, grad_norms=[1.0, 1.1, 0.9, 300.0])
    assert report["verdict"] == "vanishing"
    assert any("falls by more than" in r for r in report["reasons"])
    assert any("running average" in r for r in report["reasons"])
    assert any("--clip-norm" in a for a in report["advice"])
    growing = {"last_loss": {"layer0.forward": [1e4, 10.0, 1.0]}}
    assert judge(growing, grad_norms=[1.0, 1.0])["verdict"] == "exploding"


def test_saturated_tanh_rnn_is_flagged():
    torch.manual_seed(0)
    layer = RNN(4, 16)
    with torch.no_grad():
        layer.cells()[0].weight_ih.mul_(40.0)
    x = torch.randn(8, 20, 4)
    saturation = gate_saturation(layer, x)["layer0.forward"]["s"]
    assert saturation > 0.5
    report = diagnose(layer, x, lambda out: out.pow(2).sum(-1), jacobian_steps=5)
    assert report["saturated"] and report["verdict"] == "vanishing"
    assert any("saturated" in reason for reason in report["reasons"])


def test_healthy_lstm_is_not_flagged():
    torch.manual_seed(1)
    layer = LSTM(4, 16, forget_bias=3.0)
    x = torch.randn(8, 20, 4)
    report = diagnose(layer, x, lambda out: out.pow(2).sum(-1), jacobian_steps=5)
    assert report["verdict"] == "healthy" and not report["saturated"]
    assert set(report["flow"]["last_loss"]) == {"layer0.forward", "layer0.forward.c"}
    assert set(report["saturation"]["layer0.forward"]) == {"i", "f", "g", "o", "tanh_c"}


def test_diagnosis_of_deep_bidirectional_gru_has_every_layer_and_direction():
    layer = GRU(3, 5, 2, bidirectional=True)
    report = diagnose(layer, torch.randn(2, 6, 3), lambda out: out.sum(-1), jacobian_steps=3)
    assert set(report["flow"]["all_losses"]) == {f"layer{i}.{d}" for i in (0, 1)
                                                 for d in ("forward", "backward")}
    assert len(report["jacobian_products"]["layer1.forward"]) == 3
    assert set(report["spectrum"]["layer1.backward"]) == {"r", "z", "n"}


def test_the_advice_fits_the_cell_that_was_measured():
    """An LSTM run is never told to use an LSTM or GRU; the Elman RNN is."""
    flow = {"last_loss": {"layer0.forward": [1e-9, 1e-6, 1.0]}}
    advice = {cell: " ".join(judge(flow, cell=cell)["advice"]) for cell in ("elman", "lstm", "gru")}
    assert "use an LSTM or GRU" in advice["elman"]
    assert "use an LSTM or GRU" not in advice["lstm"] and "--chrono" in advice["lstm"]
    assert "use an LSTM or GRU" not in advice["gru"] and "update gate" in advice["gru"]
    for layer, kind in ((LSTM(3, 4), "lstm"), (GRU(3, 4), "gru"), (RNN(3, 4), "elman")):
        report = diagnose(layer, torch.randn(2, 30, 3), lambda out: out.pow(2).sum(-1))
        if report["verdict"] == "vanishing":
            assert ("use an LSTM or GRU" in " ".join(report["advice"])) == (kind == "elman")
    from rnnkit.diagnostics.verdict import cell_kind
    assert [cell_kind(m) for m in (LSTM(3, 4), GRU(3, 4), RNN(3, 4))] == ["lstm", "gru", "elman"]
