"""`RecurrentConfig`: the recurrent network of a task as one frozen config that builds a layer.

Every task config composes it (with its own defaults), so the flags `--cell`, `--hidden-size`,
`--num-layers`, `--bidirectional`, `--merge`, `--dropout`, `--recurrent-dropout`, `--zoneout`,
`--layer-norm`, `--init`, `--learn-init`, `--forget-bias`, `--chrono`, `--proj-size` and
`--peephole` are declared once, here, and mean the same for every task.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.cells.base import INIT_SCHEMES
from rnnkit.config import Config, option
from rnnkit.errors import ConfigError
from rnnkit.layers.bidirectional import MERGES
from rnnkit.layers.rnn import CELLS, make_layer
from rnnkit.layers.stack import StackedRecurrent

LSTM_ONLY = {"forget_bias": 1.0, "chrono": 0, "proj_size": 0, "peephole": False}  # its default


@dataclass(frozen=True)
class RecurrentConfig(Config):
    """A (deep, bidirectional) recurrent layer of any cell with every variant rnnkit has."""

    cell: str = option("lstm", "recurrent cell", group="model", choices=tuple(CELLS))
    nonlinearity: str = option("tanh", "Elman RNN nonlinearity (--cell rnn)", group="model",
                               choices=("tanh", "relu"))
    hidden_size: int = option(128, "hidden units per layer and direction", group="model", low=1)
    num_layers: int = option(1, "stacked recurrent layers", group="model", low=1)
    bidirectional: bool = option(False, "read each sequence in both directions", group="model")
    merge: str = option("concat", "how the two directions' outputs are merged", group="model",
                        choices=MERGES)
    dropout: float = option(0.0, "dropout on the inputs, between layers and before the head",
                            group="model", low=0.0, high=0.95)
    recurrent_dropout: float = option(0.0, "one dropout mask per sequence on h (Gal 2016)",
                                      group="model", low=0.0, high=0.95)
    zoneout: float = option(0.0, "probability of keeping each unit's previous h and c "
                            "(Krueger 2016)", group="model", low=0.0, high=0.95)
    layer_norm: bool = option(False, "layer-normalised cell", group="model")
    init: str = option("default", "weight initialisation (identity: the IRNN)", group="model",
                       choices=INIT_SCHEMES)
    learn_init: bool = option(False, "learn the initial state instead of zeros", group="model")
    forget_bias: float = option(1.0, "LSTM: forget-gate bias at initialisation", group="model")
    chrono: int = option(0, "LSTM: chrono initialisation of the gate biases for dependencies of "
                         "up to this many steps (Tallec & Ollivier 2018; 0: off, --forget-bias "
                         "instead; -1: the task's sequence length where it has one)",
                         group="model", low=-1)
    proj_size: int = option(0, "LSTM: project h to this many units (0: none)", group="model", low=0)
    peephole: bool = option(False, "LSTM: peephole connections from c to the gates", group="model")

    def check(self) -> None:
        super().check()
        if self.cell != "lstm":
            for name, default in LSTM_ONLY.items():
                if getattr(self, name) != default and not (name == "chrono" and self.chrono < 0):
                    raise ConfigError(f"{name} is an LSTM option; --cell is {self.cell}")
        if self.cell != "rnn" and self.nonlinearity != "tanh":
            raise ConfigError(f"nonlinearity is an Elman RNN option; --cell is {self.cell}")
        if self.proj_size >= self.hidden_size:
            raise ConfigError(f"proj_size must be < hidden_size ({self.hidden_size}), "
                              f"got {self.proj_size}")

    def layer_options(self, longest: int | None = None) -> dict:
        """Keyword arguments of `make_layer` for this config (only what the cell takes);
        `longest`: the sequence length a task knows, for --chrono -1."""
        options = {"bidirectional": self.bidirectional, "merge": self.merge,
                   "dropout": self.dropout if self.num_layers > 1 else 0.0,
                   "recurrent_dropout": self.recurrent_dropout, "zoneout": self.zoneout,
                   "layer_norm": self.layer_norm, "init": self.init, "learn_init": self.learn_init}
        if self.cell == "rnn":
            options["nonlinearity"] = self.nonlinearity
        if self.cell == "lstm":
            options.update({name: getattr(self, name) for name in LSTM_ONLY})
            if self.chrono < 0:
                options["chrono"] = longest if longest and longest > 1 else 0
        return options

    def build(self, input_size: int, longest: int | None = None) -> StackedRecurrent:
        """The layer this config describes, reading `input_size` features per step (sequences
        of `longest` steps, where the task knows it)."""
        return make_layer(self.cell, input_size, self.hidden_size, self.num_layers,
                          **self.layer_options(longest))
