"""rnnkit: recurrent neural networks made real and fast, on PyTorch.

    import rnnkit
    lstm = rnnkit.LSTM(input_size=8, hidden_size=32, num_layers=2, bidirectional=True)
    outputs, (h, c) = lstm(x, lengths)          # x (B, T, D), batch-first
    summary = rnnkit.train_task("classify", {"data": "train.csv", "out": "runs/sent"})
    run = rnnkit.open_run(summary["run"])       # predict, evaluate, generate, diagnose
"""

from rnnkit import diagnostics
from rnnkit.bptt import truncated_bptt
from rnnkit.cells import ElmanCell, GRUCell, LSTMCell, LSTMState
from rnnkit.errors import CheckpointError, ConfigError, DataError, UserError
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
from rnnkit.layers.config import RecurrentConfig
from rnnkit.run import Run, open_run
from rnnkit.run import train as train_task
from rnnkit.state import detach_state
from rnnkit.tasks.registry import TASKS

__version__ = "0.1.0"

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "TASKS",
    "Bidirectional",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "ElmanCell",
    "GRUCell",
    "LSTMCell",
    "LSTMState",
    "RecurrentConfig",
    "Recurrent",
    "Run",
    "StackedRecurrent",
    "StateGradRecorder",
    "UserError",
    "__version__",
    "detach_state",
    "diagnostics",
    "from_torch",
    "open_run",
    "to_torch",
    "train_task",
    "truncated_bptt",
]
