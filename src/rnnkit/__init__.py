"""rnnkit: recurrent neural networks made real and fast, on PyTorch.

    import rnnkit
    lstm = rnnkit.LSTM(input_size=8, hidden_size=32, num_layers=2, bidirectional=True)
    outputs, (h, c) = lstm(x, lengths)          # x (B, T, D), batch-first
"""

from rnnkit.bptt import detach_state, truncated_bptt
from rnnkit.cells import ElmanCell, GRUCell, LSTMCell, LSTMState
from rnnkit.layers import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Recurrent,
    StackedRecurrent,
    StateGradRecorder,
    from_torch,
    to_torch,
)

__version__ = "0.1.0"

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "ElmanCell",
    "GRUCell",
    "LSTMCell",
    "LSTMState",
    "Recurrent",
    "StackedRecurrent",
    "StateGradRecorder",
    "__version__",
    "detach_state",
    "from_torch",
    "to_torch",
    "truncated_bptt",
]
