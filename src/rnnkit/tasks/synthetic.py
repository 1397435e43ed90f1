"""The long-range benchmark tasks as `rnnkit train` tasks: adding, copy, temporal order, digits.

Each reports its score beside its analytic baseline (the best memoryless score), so a run says
at once whether the network learned to carry information across the sequence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.data import synthetic
from rnnkit.diagnostics import Thresholds, diagnose
from rnnkit.layers import make_layer
from rnnkit.layers.modes import evaluating
from rnnkit.train.config import TrainConfig, option

TASKS = ("adding", "copy", "temporal-order", "digits")


@dataclass(frozen=True)
class SyntheticConfig(TrainConfig):
    """A long-range benchmark task. Defaults follow Arjovsky et al. (2016)."""

    task: str = option("adding", "which benchmark", choices=TASKS)
    seq_len: int = option(100, "T: sequence length (adding, temporal order) or delay (copy)", low=1)
    digits_mode: str = option("rows", "digits read by rows (T=8), pixels (T=64) or permuted pixels",
                              choices=("rows", "pixels", "permuted"))
    cell: str = option("lstm", "recurrent cell", choices=("rnn", "lstm", "gru"))
    nonlinearity: str = option("tanh", "Elman RNN nonlinearity", choices=("tanh", "relu"))
    hidden_size: int = option(128, "hidden units per layer", low=1)
    num_layers: int = option(1, "stacked recurrent layers", low=1)
    init: str = option("default", "weight initialisation",
                       choices=("default", "xavier", "orthogonal", "identity"))
    layer_norm: bool = option(False, "layer-normalised cell")
    batch_size: int = option(50, "sequences per batch", low=1)
    optimizer: str = option("rmsprop", "optimiser", choices=("sgd", "adam", "adamw", "rmsprop"))
    lr: float = option(1e-3, "learning rate", low=0.0)
    clip_norm: float = option(1.0, "clip the global gradient norm to this (0: off)", low=0.0)
    steps_per_epoch: int = option(100, "generated batches per epoch", low=1)
    eval_every: int = option(100, "steps between evaluations and checkpoints", low=1)
    valid_size: int = option(1000, "generated validation sequences", low=1)


class SequenceModel(nn.Module):
    """Inputs (real vectors, or token ids one-hot encoded) -> rnnkit layer -> linear head,
    read at the last step (many-to-one) or at every step (many-to-many)."""

    def __init__(self, input_size: int, output_size: int, config: SyntheticConfig, *,
                 tokens: bool, every_step: bool) -> None:
        super().__init__()
        self.input_size, self.tokens, self.every_step = input_size, tokens, every_step
        options = {"init": config.init, "layer_norm": config.layer_norm}
        if config.cell == "rnn":
            options["nonlinearity"] = config.nonlinearity
        self.rnn = make_layer(config.cell, input_size, config.hidden_size, config.num_layers,
                              **options)
        self.head = nn.Linear(self.rnn.output_size, output_size)

    def features(self, x: Tensor) -> Tensor:
        return F.one_hot(x, self.input_size).float() if self.tokens else x

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(self.features(x))
        return self.head(out if self.every_step else out[:, -1])


class SyntheticTask:
    """A benchmark task for fit(): every step a fresh batch, fixed by (seed, epoch, step)."""

    def __init__(self, config: SyntheticConfig, device) -> None:
        self.config, self.device, self.name = config, device, config.task
        T = config.seq_len
        if self.name == "adding":
            self.input_size, self.output_size, self.tokens, self.every_step = 2, 1, False, False
            self.baseline = {"loss": synthetic.ADDING_BASELINE_MSE}
        elif self.name == "copy":
            self.input_size = self.output_size = synthetic.COPY_SYMBOLS + 2
            self.tokens, self.every_step = True, True
            self.baseline = {"loss": synthetic.copy_baseline(T)}
        elif self.name == "temporal-order":
            self.input_size, self.output_size = synthetic.TEMPORAL_ORDER_TOKENS, 4
            self.tokens, self.every_step = True, False
            self.baseline = {"loss": math.log(4), "accuracy": 0.25}
        else:
            self.splits = synthetic.digits(config.digits_mode, config.seed)
            self.input_size, self.output_size = self.splits["train"][0].shape[-1], 10
            self.tokens, self.every_step = False, False
            counts = torch.bincount(self.splits["test"][1], minlength=10)
            self.baseline = {"loss": math.log(10), "accuracy": float(counts.max() / counts.sum())}
        self.valid = self._batch(config.valid_size, seed=config.seed + 1_000_003, part="test")

    def build_model(self) -> SequenceModel:
        return SequenceModel(self.input_size, self.output_size, self.config, tokens=self.tokens,
                             every_step=self.every_step)

    def _batch(self, size: int, seed: int, part: str = "train", window: int = 0):
        """A generated batch fixed by `seed`; for digits, batch `window` of the split shuffled
        by `seed` (the test split whole)."""
        generator = torch.Generator().manual_seed(seed)
        T = self.config.seq_len
        if self.name == "adding":
            return synthetic.adding_problem(size, T, generator)
        if self.name == "copy":
            return synthetic.copy_task(size, T, generator)
        if self.name == "temporal-order":
            return synthetic.temporal_order(size, T, generator)
        x, y = self.splits[part]
        if part == "test":
            return x, y
        chosen = torch.randperm(len(y), generator=generator)[window * size : (window + 1) * size]
        return x[chosen], y[chosen]

    def windows_per_epoch(self) -> int:
        if self.name == "digits":
            return math.ceil(len(self.splits["train"][1]) / self.config.batch_size)
        return self.config.steps_per_epoch

    def loss(self, output: Tensor, y: Tensor) -> Tensor:
        if self.name == "adding":
            return F.mse_loss(output, y)
        if self.every_step:
            return F.cross_entropy(output.transpose(1, 2), y)
        return F.cross_entropy(output, y)

    def train_loss(self, model, epoch: int, window: int, state):
        seed = self.config.seed * 1_000_003 + epoch * 100_003  # digits: one shuffle per epoch
        if self.name != "digits":
            seed += window  # generated tasks: a fresh batch every step
        x, y = self._batch(self.config.batch_size, seed, window=window)
        x, y = x.to(self.device), y.to(self.device)
        return self.loss(model(x), y), None, x.shape[0] * x.shape[1]

    @torch.no_grad()
    def evaluate(self, model) -> dict:
        x, y = (t.to(self.device) for t in self.valid)
        with evaluating(model):
            output = model(x)
        metrics = {"loss": float(self.loss(output, y))}
        if self.name in ("temporal-order", "digits"):
            metrics["accuracy"] = float((output.argmax(-1) == y).float().mean())
        if self.name == "copy":
            tail = output[:, -synthetic.COPY_LENGTH :].argmax(-1)
            metrics["accuracy"] = float((tail == y[:, -synthetic.COPY_LENGTH :]).float().mean())
        return metrics

    def diagnose(self, model, grad_norms: list[float] | None = None,
                 thresholds: Thresholds | None = None) -> dict:
        x, y = (t[:32].to(self.device) for t in self.valid)

        def step_losses(outputs: Tensor) -> Tensor:
            if self.every_step:
                return F.cross_entropy(model.head(outputs).transpose(1, 2), y, reduction="none")
            losses = torch.zeros(outputs.shape[:2], device=outputs.device)
            last = model.head(outputs[:, -1])
            per = ((last - y) ** 2).sum(-1) if self.name == "adding" else F.cross_entropy(
                last, y, reduction="none")
            losses[:, -1] = per
            return losses

        with evaluating(model):
            report = diagnose(model.rnn, model.features(x), step_losses, grad_norms=grad_norms,
                              thresholds=thresholds or Thresholds())
        model.zero_grad(set_to_none=True)
        return report

    def meta(self) -> dict:
        return {"name": self.name, "baseline": self.baseline}
