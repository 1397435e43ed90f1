"""Optimisers and learning-rate schedules.

The schedules are plain functions of the step (plus, for reduce-on-plateau, a small state
saved with the checkpoint), so a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import math

import torch


def make_optimizer(name: str, parameters, lr: float, weight_decay: float = 0.0,
                   momentum: float = 0.0) -> torch.optim.Optimizer:
    parameters = [p for p in parameters if p.requires_grad]
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


WARMUP_SHARE = 0.02  # of a time budget: the warm-up of a run that decays over its budget


class Schedule:
    """lr(step) for "constant", "step", "cosine", "linear" (each with linear warm-up) and
    "plateau".

    cosine and linear decay from the base rate to zero over `total_steps`, or, for a run that
    spends a time budget, over the `fraction` of it spent (then the warm-up, without
    `warmup_steps`, is the first WARMUP_SHARE of the budget); step multiplies by `gamma`
    every `step_every` steps; plateau multiplies by `gamma` after `patience` evaluations
    without a better validation loss.
    """

    def __init__(self, kind: str, base_lr: float, *, total_steps: int = 0, warmup_steps: int = 0,
                 step_every: int = 1000, gamma: float = 0.5, patience: int = 2) -> None:
        self.kind, self.base_lr = kind, base_lr
        self.total_steps, self.warmup_steps = total_steps, warmup_steps
        self.step_every, self.gamma, self.patience = step_every, gamma, patience
        self.scale, self.best, self.bad = 1.0, math.inf, 0  # plateau state

    def lr(self, step: int, fraction: float | None = None) -> float:
        """The learning rate for optimiser step number `step` (0-based); `fraction`: the share
        of a time budget spent, for a run that decays over its budget."""
        warm = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else 1.0
        if fraction is not None and not self.warmup_steps and self.kind in ("cosine", "linear"):
            warm = min(1.0, max(fraction, 1e-3) / WARMUP_SHARE)
        if self.kind == "step":
            return self.base_lr * warm * self.gamma ** (step // self.step_every)
        if self.kind in ("cosine", "linear") and (self.total_steps or fraction is not None):
            progress = min(1.0, fraction if fraction is not None else step / self.total_steps)
            decay = 0.5 * (1 + math.cos(math.pi * progress)) if self.kind == "cosine" \
                else 1.0 - progress
            return self.base_lr * warm * decay
        if self.kind == "plateau":
            return self.base_lr * warm * self.scale
        return self.base_lr * warm

    def observe(self, validation_loss: float) -> None:
        """Tell the plateau schedule the latest validation loss."""
        if self.kind != "plateau":
            return
        if validation_loss < self.best:
            self.best, self.bad = validation_loss, 0
        else:
            self.bad += 1
            if self.bad >= self.patience:
                self.scale *= self.gamma
                self.bad = 0

    def state(self) -> dict:
        return {"scale": self.scale, "best": self.best if math.isfinite(self.best) else None,
                "bad": self.bad}

    def load_state(self, state: dict) -> None:
        self.scale, self.bad = state["scale"], state["bad"]
        self.best = math.inf if state["best"] is None else state["best"]


def clip_gradients(parameters, clip_norm: float, clip_value: float) -> float:
    """Clip in place (by global norm, then by value) and return the pre-clip global L2 norm."""
    parameters = [p for p in parameters if p.grad is not None]
    norm = torch.nn.utils.clip_grad_norm_(parameters, clip_norm if clip_norm > 0 else math.inf)
    if clip_value > 0:
        torch.nn.utils.clip_grad_value_(parameters, clip_value)
    return float(norm)
