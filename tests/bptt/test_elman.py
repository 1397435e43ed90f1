"""The Elman RNN's BPTT on a linear recurrence, where the state gradients are exact powers."""


import torch

from rnnkit import RNN, StateGradRecorder


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
