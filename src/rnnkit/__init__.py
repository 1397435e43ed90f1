"""rnnkit: recurrent neural networks made real and fast, on PyTorch.

    import rnnkit
    lstm = rnnkit.LSTM(input_size=8, hidden_size=32, num_layers=2, bidirectional=True)
    outputs, (h, c) = lstm(x, lengths)          # x (B, T, D), batch-first
    summary = rnnkit.train_task("classify", {"data": "train.csv", "out": "runs/sent"})
    run = rnnkit.open_run(summary["run"])       # predict, evaluate, generate, diagnose
"""

import importlib

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
from rnnkit.state import detach_state

# The run API, the tasks and the diagnosis are reached when first used, so that `import rnnkit`
# costs PyTorch and the layers only (not the tasks' audio, text-metric and plotting libraries).
LAZY = {"Run": ("rnnkit.run", "Run"), "open_run": ("rnnkit.run", "open_run"),
        "train_task": ("rnnkit.run", "train"), "TASKS": ("rnnkit.tasks.registry", "TASKS"),
        "diagnostics": ("rnnkit.diagnostics", None)}


def __getattr__(name: str):
    if name not in LAZY:
        raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")
    module_name, attribute = LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY))

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
