"""Running any module in evaluation mode, or its recurrent stacks on one backend, for a while;
its own settings restored after."""

from __future__ import annotations

import contextlib

from torch import nn

from rnnkit.layers.stack import StackedRecurrent


@contextlib.contextmanager
def evaluating(model: nn.Module):
    """`with evaluating(model):` dropout and the like off inside; the mode it had, after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def backend_for_export(model: nn.Module, backend: str):
    """`with backend_for_export(model, "scan"):` every recurrent stack in `model` runs on
    `backend` (its own choice restored after): how export traces one graph node per time loop."""
    stacks = [m for m in model.modules() if isinstance(m, StackedRecurrent)]
    saved = [stack.backend for stack in stacks]
    for stack in stacks:
        stack.backend = backend
    try:
        yield model
    finally:
        for stack, old in zip(stacks, saved):
            stack.backend = old
