"""The Task protocol: what fit() trains through, declared beside its consumer.

A task (tasks/ builds one per kind of problem, with `tasks.base.TaskBase` for the shared
defaults) supplies the data and the loss; fit() owns the loop. `train_loss` returns (loss,
carried state or None, tokens); `evaluate` returns validation metrics with "loss";
`selection` = (metric, higher_is_better) picks the best checkpoint; `meta` is saved with every
checkpoint; `shard` gives a process its share of every epoch; `evaluate_across` gives every
process the same figures; `example_inputs` feeds a model for timing and export.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor, nn

from rnnkit.diagnostics import Thresholds
from rnnkit.train.distributed import World


@runtime_checkable
class Task(Protocol):
    """The protocol fit() trains through (see the module's docstring)."""

    selection: tuple[str, bool]

    def windows_per_epoch(self) -> int: ...

    def train_loss(self, model: nn.Module, epoch: int, window: int,
                   state: object) -> tuple[Tensor, object, int]: ...

    def evaluate(self, model: nn.Module) -> dict: ...

    def meta(self) -> dict: ...

    def diagnose(self, model: nn.Module, grad_norms: list[float] | None = None,
                 thresholds: Thresholds | None = None) -> dict: ...

    def shard(self, rank: int, world_size: int) -> None: ...

    def evaluate_across(self, model: nn.Module, world: World) -> dict: ...

    def example_inputs(self) -> tuple: ...
