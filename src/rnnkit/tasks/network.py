"""What the classification and tagging tasks share: the network's settings and data splits."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rnnkit.train.config import TrainConfig, option


@dataclass(frozen=True)
class NetworkConfig(TrainConfig):
    """A (bidirectional, deep) recurrent encoder over a batch of variable-length sequences."""

    batch_size: int = option(32, "sequences per batch", low=1)
    lr: float = option(1e-3, "learning rate", low=0.0)
    eval_every: int = option(100, "steps between evaluations and checkpoints", low=1)
    valid_fraction: float = option(0.1, "share of the training data held out for validation when "
                                   "no --valid file is given", low=0.0, high=0.5)
    cell: str = option("lstm", "recurrent cell", choices=("rnn", "lstm", "gru"))
    nonlinearity: str = option("tanh", "Elman RNN nonlinearity", choices=("tanh", "relu"))
    hidden_size: int = option(128, "hidden units per layer and direction", low=1)
    num_layers: int = option(1, "stacked recurrent layers", low=1)
    bidirectional: bool = option(True, "read each sequence in both directions")
    dropout: float = option(0.3, "dropout on inputs, between layers and before the head",
                            low=0.0, high=0.95)
    recurrent_dropout: float = option(0.0, "one dropout mask per sequence on h (Gal 2016)",
                                      low=0.0, high=0.95)
    layer_norm: bool = option(False, "layer-normalised cell")
    init: str = option("default", "weight initialisation",
                       choices=("default", "xavier", "orthogonal", "identity"))
    buckets: bool = option(True, "batch sequences of similar length together (less padding)")

    def layer_options(self) -> dict:
        options = {"layer_norm": self.layer_norm, "recurrent_dropout": self.recurrent_dropout,
                   "init": self.init, "bidirectional": self.bidirectional,
                   "dropout": self.dropout if self.num_layers > 1 else 0.0}
        if self.cell == "rnn":
            options["nonlinearity"] = self.nonlinearity
        return options


def holdout(labels: list, fraction: float, seed: int, stratify: bool = True) -> tuple[list, list]:
    """(kept indices, held-out indices): `fraction` of each class (of all examples when not
    `stratify`) held out after a seeded shuffle, at least one of a class that has two or more."""
    rng = random.Random(seed)
    groups: dict = {}
    for i, label in enumerate(labels if stratify else [None] * len(labels)):
        groups.setdefault(label, []).append(i)
    kept, held = [], []
    for members in groups.values():
        rng.shuffle(members)
        n = round(fraction * len(members))
        if fraction > 0 and n == 0 and len(members) > 1:
            n = 1
        held += members[:n]
        kept += members[n:]
    return sorted(kept), sorted(held)
