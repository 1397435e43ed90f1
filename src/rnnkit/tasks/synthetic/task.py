"""`SyntheticTask`: a long-range benchmark for fit(); every step a fresh generated batch (the
digits a shuffled split), scored beside its analytic baseline."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit.data import synthetic
from rnnkit.layers.modes import evaluating
from rnnkit.tasks.base import TaskBase, last_step_losses
from rnnkit.tasks.synthetic.model import SequenceModel


class SyntheticTask(TaskBase):
    """A benchmark task for fit(): every step a fresh batch, fixed by (seed, epoch, step)."""

    def __init__(self, config, device) -> None:
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
                             every_step=self.every_step,
                             steps=None if self.name == "digits" else self.valid[0].shape[1])

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

    def epoch_windows(self) -> int:
        if self.name == "digits":
            return math.ceil(len(self.splits["train"][1]) / self.config.batch_size)
        return self.config.steps_per_epoch

    def loss(self, output: Tensor, y: Tensor) -> Tensor:
        if self.name == "adding":
            return F.mse_loss(output, y)
        if self.every_step:
            return F.cross_entropy(output.transpose(1, 2), y)
        return F.cross_entropy(output, y)

    def window_loss(self, model, epoch: int, window: int, state):
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

    def diagnosis_inputs(self, model):
        """The first 32 validation sequences, with the task's own per-step losses."""
        x, y = (t[:32].to(self.device) for t in self.valid)

        def step_losses(outputs: Tensor) -> Tensor:
            if self.every_step:
                return F.cross_entropy(model.head(outputs).transpose(1, 2), y, reduction="none")
            last = model.head(outputs[:, -1])
            return last_step_losses(outputs, lambda: ((last - y) ** 2).sum(-1) if self.name == "adding"
                                    else F.cross_entropy(last, y, reduction="none"))

        return model.rnn, model.features(x), step_losses

    def example_inputs(self) -> tuple:
        return (self.valid[0][:1].to(self.device),)

    def meta(self) -> dict:
        return {"name": self.name, "baseline": self.baseline}
