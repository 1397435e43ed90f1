"""The public layers: `RNN` (Elman), `LSTM` and `GRU`, each a `StackedRecurrent` of its cell."""

from __future__ import annotations

from functools import partial

from rnnkit.cells import ElmanCell, GRUCell, LSTMCell
from rnnkit.layers.stack import StackedRecurrent

_DOC_COMMON = """
    Arguments shared by RNN, LSTM and GRU:
        input_size, hidden_size: D and H.
        num_layers: L stacked layers (default 1).
        bias: learn b_ih and b_hh (default True).
        bidirectional: two directions per layer (K = 2); merge their outputs by
            "concat" (default), "sum" or "mean".
        dropout: dropout on the outputs of every layer but the last (training only).
        backend: "auto" (default), "fused", "loop" or "bptt" (see `StackedRecurrent`).
        init: "default" (PyTorch's uniform), "xavier", "orthogonal" (xavier input weights,
            orthogonal recurrent blocks) or "identity" (W = I, the IRNN of Le et al. 2015).
        layer_norm: layer-normalised projections (Ba et al. 2016).
        recurrent_dropout: one dropout mask per sequence on h before W_hh (Gal & Ghahramani 2016).
        zoneout: probability of keeping a unit's previous value (Krueger et al. 2016).
        learn_init: learn the initial state instead of zeros.

    forward(x, lengths=None, state=None, *, recorder=None) -> (outputs, final_state):
        x (B, T, D) batch-first; lengths (B,) in any order; outputs (B, T, K·H) (or (B, T, H)
        for merge "sum"/"mean") with zeros past each sequence's end; final_state
        (L·K, B, H) at each sequence's own last valid step, in PyTorch's layout.
"""


class CellLayers(StackedRecurrent):
    """Layers of one cell class (`cell_class`), its options passed to every cell."""

    cell_class: type = ElmanCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        bidirectional: bool = False,
        merge: str = "concat",
        dropout: float = 0.0,
        backend: str = "auto",
        **cell_options,
    ) -> None:
        self.hidden_size = hidden_size
        self.cell_options = dict(cell_options)
        make_cell = partial(_make, self.cell_class, hidden_size, self.cell_options)
        super().__init__(
            make_cell, input_size, num_layers, bidirectional=bidirectional, merge=merge,
            dropout=dropout, backend=backend,
        )


class RNN(CellLayers):
    """Elman RNN layers, `s_t = f(U x_t + W s_{t−1} + b)` with f = `nonlinearity` ("tanh", "relu").
    """

    __doc__ += _DOC_COMMON
    cell_class = ElmanCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, *,
                 nonlinearity: str = "tanh", **options) -> None:
        super().__init__(input_size, hidden_size, num_layers, nonlinearity=nonlinearity, **options)
        self.fused_kind = f"rnn_{nonlinearity}"


class LSTM(CellLayers):
    """LSTM layers (gate order i, f, g, o). Besides the shared arguments:
        proj_size: P > 0 projects h to P units (as PyTorch's), 0 for none.
        peephole: peephole connections from c to the gates.
        forget_bias: total forget-gate bias at initialisation (default 1.0; None for the scheme's).
        chrono: T_max > 1 for the chrono initialisation of the gate biases instead (0: off).
        zoneout: a float for h and c alike, or a pair (p_h, p_c).
    final_state is an `LSTMState(h, c)`, h (L·K, B, P or H) and c (L·K, B, H).
    """

    __doc__ += _DOC_COMMON
    cell_class = LSTMCell
    fused_kind = "lstm"

    @property
    def proj_size(self) -> int:
        return self.cell_options.get("proj_size", 0)


class GRU(CellLayers):
    """GRU layers, PyTorch's variant (reset gate after the matmul)."""

    __doc__ += _DOC_COMMON
    cell_class = GRUCell
    fused_kind = "gru"


def _make(cell_class, hidden_size: int, options: dict, input_size: int):
    """A fresh cell; unknown options are a TypeError naming the option."""
    try:
        return cell_class(input_size, hidden_size, **options)
    except TypeError as error:
        if "unexpected keyword" in str(error):
            name = str(error).split("'")[-2]
            raise TypeError(f"{cell_class.__name__} has no option {name!r}") from None
        raise


CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def make_layer(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, **options):
    """The layer for a cell name ("rnn", "lstm", "gru"), e.g. from a config or a flag."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
    return CELLS[cell](input_size, hidden_size, num_layers, **options)
