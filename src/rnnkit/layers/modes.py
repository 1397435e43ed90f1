"""Running any module in evaluation mode for a while, its own mode restored after."""

from __future__ import annotations

import contextlib

from torch import nn


@contextlib.contextmanager
def evaluating(model: nn.Module):
    """`with evaluating(model):` dropout and the like off inside; the mode it had, after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
