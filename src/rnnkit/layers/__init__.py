"""Cells over time: Recurrent(cell), Bidirectional, stacks, the fused fast path, conversions."""

from rnnkit.layers.bidirectional import Bidirectional
from rnnkit.layers.convert import from_torch, to_torch
from rnnkit.layers.recurrent import Recurrent, StateGradRecorder
from rnnkit.layers.rnn import CELLS, GRU, LSTM, RNN, make_layer
from rnnkit.layers.stack import StackedRecurrent

__all__ = [
    "CELLS",
    "make_layer",
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "Recurrent",
    "StackedRecurrent",
    "StateGradRecorder",
    "from_torch",
    "to_torch",
]
