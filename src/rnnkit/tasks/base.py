"""What the run API relies on: the tasks' shared defaults (TaskBase; the Task protocol they
follow is declared beside fit() in train/task.py) and TaskSpec.

A *task* is the training side of one kind of problem (its data, its loss, its evaluation); a
*spec* says how the run API makes, reopens and uses one: its config class, how to prepare a
run, how to reopen a saved one, and what a reopened run can do (evaluate a file, predict,
generate, forecast, backtest). `tasks/registry.py` maps each task name to its spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.diagnostics import Thresholds, diagnose
from rnnkit.errors import ConfigError, DataError
from rnnkit.layers.modes import evaluating
from rnnkit.train.task import Task as Task  # (the protocol lives beside fit(), its consumer)


class TaskBase:
    """Defaults every task shares. A task implements `epoch_windows()` and `window_loss(model,
    epoch, window, state)` over the whole epoch; `shard` then gives this process every
    world_size-th window from its rank on, the same number on every rank (a task whose windows
    carry state overrides it). Each epoch's windows are the task's own deterministic order
    (seeded by the config and the epoch, length buckets kept), so the ranks' shares are
    disjoint. `diagnose` runs the gradient diagnosis on what `diagnosis_inputs(model)`
    returns."""

    selection: tuple[str, bool] = ("loss", False)
    rank: int = 0
    world_size: int = 1

    def epoch_windows(self) -> int:
        raise NotImplementedError

    def window_loss(self, model, epoch: int, window: int, state) -> tuple:
        raise NotImplementedError

    def shard(self, rank: int, world_size: int) -> None:
        """Train on this process's share of every epoch: windows rank, rank + world_size, ...
        (the last epoch_windows % world_size windows of an epoch are left out, so that every
        rank takes as many steps). ConfigError when there are fewer windows than processes."""
        check_shard(rank, world_size)
        windows = self.epoch_windows()
        if windows < world_size:
            raise ConfigError(f"the training data gives {windows} batch(es) per epoch, fewer than "
                              f"the {world_size} processes; use a smaller --batch-size or fewer "
                              f"processes")
        self.rank, self.world_size = rank, world_size

    def windows_per_epoch(self) -> int:
        return self.epoch_windows() // self.world_size

    def evaluate_across(self, model, world) -> dict:
        """Validation figures when several processes train, the same on every rank: rank 0
        evaluates the whole held-out set and sends its figures (a task whose figures are sums
        over its held-out data shares the data instead and adds the sums up: see LMTask)."""
        return world.broadcast(self.evaluate(model) if world.writer else None)

    def train_loss(self, model, epoch: int, window: int, state) -> tuple:
        return self.window_loss(model, epoch, self.rank + window * self.world_size, state)

    def diagnosis_inputs(self, model) -> tuple:
        """(recurrent layer, its inputs (B, T, D), step_losses(outputs) -> (B, T))."""
        raise NotImplementedError

    def diagnose(self, model, grad_norms: list[float] | None = None,
                 thresholds: Thresholds | None = None) -> dict:
        """The gradient diagnosis on held-out data, in evaluation mode."""
        with evaluating(model):
            layer, x, step_losses = self.diagnosis_inputs(model)
            report = diagnose(layer, x.detach(), step_losses, grad_norms=grad_norms,
                              thresholds=thresholds or Thresholds())
        model.zero_grad(set_to_none=True)
        return report


def check_shard(rank: int, world_size: int) -> None:
    if not (isinstance(world_size, int) and world_size >= 1 and isinstance(rank, int)
            and 0 <= rank < world_size):
        raise ValueError(f"need 0 <= rank < world_size, got rank {rank!r}, world_size {world_size!r}")


def last_step_losses(outputs: Tensor, loss_at_end: Callable[[], Tensor]) -> Tensor:
    """(B, T) step losses that are zero but at the last step, where `loss_at_end()` (B,) goes."""
    losses = outputs.new_zeros(outputs.shape[:2])
    losses[:, -1] = loss_at_end()
    return losses


@dataclass(frozen=True)
class Prepared:
    """A run ready to train: the task, the model on its device, and what the run API reports
    before training (`facts`: a one-line description; `baseline`: figures computed first)."""

    task: Any
    model: nn.Module
    facts: str
    baseline: dict | None = None


@dataclass(frozen=True)
class Graph:
    """One graph of a trained model to export (`rnnkit export`): `module(*inputs)` returns the
    outputs named in `outputs`. `dynamic` gives each input's free axes ({axis: "batch" or
    "time"}); `sample(batch, time, generator)` makes valid inputs of that size (unequal
    lengths where the graph takes lengths). A "step" graph, `(x_t, *state) -> (y_t, *state)`,
    names the sequence graph whose per-step output it reproduces (`steps_of`) and gives the
    state it starts from (`initial_state(batch)`); `step_input(inputs, t)` cuts step t out of
    that graph's inputs."""

    name: str
    module: nn.Module
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    dynamic: dict
    sample: Callable
    steps_of: str | None = None
    initial_state: Callable | None = None
    step_input: Callable | None = None


def sample_lengths(batch: int, time: int, generator) -> Tensor:
    """Random lengths in [1, time] for a graph's parity check, the first one full."""
    lengths = torch.randint(1, time + 1, (batch,), generator=generator)
    lengths[0] = time
    return lengths


@dataclass(frozen=True)
class TaskSpec:
    """How the run API trains, reopens and uses one task. Capabilities a task lacks are None.

    prepare(config, device, resumed meta or None, data or None) -> Prepared (`data`: examples
        given from Python, for a task with `in_memory`);
    final(task, model, run_dir) -> figures of the best model ({"valid", "test", ...}), writing
        any plots of its own into the run folder;
    reopen(config, meta, device) -> (task without training data, a function building its model);
    attach_data(task) -> None: give a reopened task its held-out data (for the diagnosis);
    evaluate(run, data, encoding) -> figures on a file (or the bundled test split);
    predict(run, source, **options) -> a list of records; generate(run, **options) -> text;
    forecast(run, data, horizon) -> per-series forecasts; backtest(run, data, folds) -> figures;
    translate(run, source, **options) -> a record per line (n-best, scores, attention);
    caption(run, images, **options) -> a record per image;
    transcribe(run, paths, **options) -> a record per audio file; stream(run, path, chunk_ms)
        -> the partial transcripts as the file is fed in chunks;
    graphs(run) -> the `Graph`s `rnnkit export` writes (the whole model, and a step graph
        where the model streams);
    session(run) -> a streaming session: an object whose `push(**chunk)` feeds the next piece
        of input and returns a dict of what the model says so far (state carried between).
    """

    name: str
    config_class: type
    help: str
    description: str
    prepare: Callable
    final: Callable
    reopen: Callable
    attach_data: Callable
    fixed: dict = field(default_factory=dict)  # config values the task name sets (benchmarks)
    in_memory: bool = False  # prepare() takes training data from Python as well as from files
    evaluate: Callable | None = None
    predict: Callable | None = None
    generate: Callable | None = None
    forecast: Callable | None = None
    backtest: Callable | None = None
    translate: Callable | None = None
    caption: Callable | None = None
    transcribe: Callable | None = None
    stream: Callable | None = None
    graphs: Callable | None = None
    session: Callable | None = None


def refuse(condition: bool, message: str) -> None:
    """A ConfigError with `message` when `condition` holds: settings a task cannot use."""
    if condition:
        raise ConfigError(message)


def given_splits(given, read_one: Callable[[str, Any], Any], shape: str) -> dict:
    """{"train", "valid", "test"} of training data given from Python instead of files: `given`
    is {"train": ..., optionally "valid" and "test"} and `read_one(part, value)` checks and
    converts one part; a part not given is None. `shape` describes a part, for the error."""
    if not isinstance(given, dict) or "train" not in given or set(given) - {"train", "valid", "test"}:
        keys = ", ".join(map(str, given)) if isinstance(given, dict) else type(given).__name__
        raise DataError(f"data from Python is {{\"train\": {shape}}}, optionally with "
                        f"\"valid\" and \"test\" parts alike; got {keys}")
    return {part: read_one(part, given[part]) if part in given else None
            for part in ("train", "valid", "test")}
