"""Will it fit? Memory estimated before anything large is allocated, so that an impossible
size (a billion hidden units, a billion-step sequence) is one clear line, not a crash.

The estimate of a training run: parameters four times over (weights, gradients, two moments of
the optimiser) and, per token of a batch, the states the recurrent cells keep for backprop.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch
from torch import nn

from rnnkit.cells.base import RecurrentCell
from rnnkit.errors import ConfigError

FLOAT = 4  # bytes


def available_bytes() -> int:
    """Memory this machine has free now (MemAvailable), or its whole memory if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def gigabytes(count: int) -> str:
    return f"{count / 2**30:,.1f} GiB"


def check_memory(need: int, what: str) -> None:
    """ConfigError when `need` bytes exceed the memory available, naming both."""
    free = available_bytes()
    if need > free:
        raise ConfigError(f"{what} needs about {gigabytes(need)} of memory; this machine has "
                          f"{gigabytes(free)} available: choose smaller sizes")


def build_within_memory(build: Callable[[], nn.Module], batch_tokens: int) -> nn.Module:
    """`build()` once on PyTorch's meta device (no memory) to count what it needs for training
    on batches of `batch_tokens` tokens; refuse if that does not fit; else build it."""
    try:
        with torch.device("meta"):
            probe = build()
    except RuntimeError as error:
        if "overflow" not in str(error):
            raise
        raise ConfigError(f"the model needs more memory than a tensor can address; this machine "
                          f"has {gigabytes(available_bytes())} available: choose smaller sizes"
                          ) from None
    parameters = sum(p.numel() for p in probe.parameters())
    per_token = sum((cell.num_gates + 3) * cell.hidden_size for cell in probe.modules()
                    if isinstance(cell, RecurrentCell))
    need = FLOAT * (4 * parameters + 2 * batch_tokens * per_token)
    check_memory(need, f"the model ({parameters:,} parameters, batches of {batch_tokens:,} tokens)")
    return build()
