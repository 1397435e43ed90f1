"""What the classification and tagging tasks share: a bidirectional encoder over a batch of
variable-length sequences, bucketed by length, with part of the training data held out."""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.config import option, with_default
from rnnkit.layers.config import RecurrentConfig
from rnnkit.train.config import TrainConfig, training_option


@dataclass(frozen=True)
class LabelledConfig(RecurrentConfig, TrainConfig):
    """Sequences with labels (one per sequence, or one per token)."""

    batch_size: int = with_default(TrainConfig, "batch_size", 32)
    lr: float = with_default(TrainConfig, "lr", 1e-3)
    eval_every: int = with_default(TrainConfig, "eval_every", 100)
    bidirectional: bool = with_default(RecurrentConfig, "bidirectional", True)
    dropout: float = with_default(RecurrentConfig, "dropout", 0.3)
    valid_fraction: float = option(0.1, "share of the training data held out for validation when "
                                   "no --valid file is given", low=0.0, high=0.5)
    buckets: bool = training_option(True, "batch sequences of similar length together (less "
                                    "padding)")
