"""The table of paths: a cell of the user's own (the cell contract only) runs on the loop under
"auto" and equals a plain loop; a forced row that cannot serve says why; the private scan
import lives in the scan row's module only."""

from pathlib import Path

import pytest
import torch
from torch import nn

from rnnkit import GRU, LSTM
from rnnkit.layers.backends import AUTO_ORDER, NAMES, ROWS, choose
from rnnkit.layers.stack import StackedRecurrent

SOURCE = Path(__file__).resolve().parents[2] / "src" / "rnnkit"


class MinimalCell(nn.Module):
    """A user's own cell, the contract only: forward(x_t, state) -> (h_t, state), init_state."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.ih, self.hh = nn.Linear(input_size, hidden_size), nn.Linear(hidden_size, hidden_size)

    def init_state(self, batch: int, like: torch.Tensor | None = None) -> torch.Tensor:
        return torch.zeros(batch, self.hidden_size, dtype=like.dtype if like is not None else None)

    def forward(self, x_t, h_prev):
        h_t = torch.tanh(self.ih(x_t) + self.hh(h_prev)) * 0.5 + 0.5 * h_prev
        return h_t, h_t


def plain_loop(cell, x, length):
    h = cell.init_state(1, like=x)
    outputs = []
    for t in range(length):
        out, h = cell(x[None, t], h)
        outputs.append(out[0])
    return torch.stack(outputs), h[0]


def test_a_custom_cell_runs_on_the_loop_under_auto_and_equals_a_plain_loop():
    torch.manual_seed(0)
    stack = StackedRecurrent(lambda size: MinimalCell(size, 5), 3, num_layers=2,
                             bidirectional=True).double()
    x, lengths = torch.randn(4, 6, 3, dtype=torch.float64), torch.tensor([6, 2, 4, 1])
    assert stack.choose_backend(x=x) == "loop"
    assert "no fused kernel for MinimalCell" in stack.unfusable_reason()
    out, final = stack(x, lengths)
    assert out.shape == (4, 6, 10) and final.shape == (4, 4, 5)
    for b in range(4):  # the first layer's directions, sequence by sequence, from the oracle
        n = int(lengths[b])
        first = stack.layers[0]
        forward, h_f = plain_loop(first.forward_rnn.cell, x[b], n)
        backward, h_b = plain_loop(first.backward_rnn.cell, x[b, :n].flip(0), n)
        layer_out = torch.cat([forward, backward.flip(0)], dim=-1)
        second = stack.layers[1]
        top_f, top_hf = plain_loop(second.forward_rnn.cell, layer_out, n)
        top_b, top_hb = plain_loop(second.backward_rnn.cell, layer_out.flip(0), n)
        torch.testing.assert_close(out[b, :n], torch.cat([top_f, top_b.flip(0)], dim=-1))
        assert out[b, n:].abs().sum() == 0
        torch.testing.assert_close(final[:, b], torch.stack([h_f, h_b, top_hf, top_hb]))
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in stack.parameters())


@pytest.mark.parametrize("forced, says", [("fused", "no fused kernel for MinimalCell"),
                                          ("bptt", "no hand-derived backward for MinimalCell"),
                                          ("compiled", "not MinimalCell")])
def test_a_forced_row_that_cannot_serve_says_why(forced, says):
    stack = StackedRecurrent(lambda size: MinimalCell(size, 5), 3, backend=forced)
    with pytest.raises(ValueError, match=f"backend='{forced}' cannot serve.*{says}"):
        stack(torch.randn(2, 3, 3))


def test_auto_takes_the_table_order_with_its_two_measured_exceptions():
    lstm = LSTM(3, 4)
    cells = lstm.cells()
    assert choose("auto", cells, lstm.fused_kind).name == AUTO_ORDER[0] == "fused"
    assert choose("auto", cells, lstm.fused_kind, x=torch.randn(2, 1, 3)).name == "loop"
    assert choose("auto", cells, lstm.fused_kind, recording=True).name == "bptt"
    with pytest.raises(ValueError, match="needs backend 'bptt'"):
        choose("loop", cells, lstm.fused_kind, recording=True)
    gru = GRU(3, 4)
    expected = "compiled" if ROWS["compiled"].reason(gru.cells(), "gru") is None else "fused"
    assert choose("auto", gru.cells(), gru.fused_kind).name == expected
    assert set(NAMES) == {"auto", *ROWS}


def test_the_private_scan_import_lives_in_the_backends_table_only():
    users = sorted(str(p.relative_to(SOURCE)) for p in SOURCE.rglob("*.py")
                   if "_higher_order_ops" in p.read_text(encoding="utf-8"))
    assert users == ["layers/backends.py"]
