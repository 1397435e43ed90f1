"""Williams & Peng's BPTT(k1, k2): the plan of windows, and the gradients of the manual loop."""


import pytest
import torch

import rnnkit
from rnnkit import GRU


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
