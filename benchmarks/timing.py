"""Timing and memory helpers: interleaved repetitions, medians, saved-for-backward bytes."""

from __future__ import annotations

import statistics
import time

import torch


def time_interleaved(functions: dict, repeats: int = 5, warmup: int = 1) -> dict[str, float]:
    """Median seconds of each function, the candidates run in turn so drift hits all alike."""
    for function in functions.values():
        for _ in range(warmup):
            function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def saved_bytes(function) -> int:
    """Bytes of the tensors autograd keeps for backward while `function()` builds its graph.

    This is the memory that grows with T and dominates peak memory of training on CPU, where
    PyTorch has no allocator statistics. Tensors saved twice (same storage) count once.
    """
    storages: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        result = function()
    del result
    return sum(storages.values())


def fwd_bwd(model, x):
    """One forward and backward pass of `model` on x, loss = sum of outputs."""

    def run():
        model.zero_grad(set_to_none=True)
        out = model(x)[0]
        out.sum().backward()

    return run
