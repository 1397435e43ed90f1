"""A model's size at a glance: parameters per top-level module, counted once when shared."""

from __future__ import annotations

from torch import nn


def parameter_table(model: nn.Module) -> list[tuple[str, int]]:
    """[(module name, parameters)] for each direct child that has any, then ("total", n).
    A parameter shared by two modules (tied weights) counts for the first one only."""
    seen: set[int] = set()
    rows = []
    for name, child in model.named_children():
        count = 0
        for parameter in child.parameters():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                count += parameter.numel()
        if count:
            rows.append((name, count))
    own = sum(p.numel() for p in model.parameters(recurse=False) if id(p) not in seen)
    if own:
        rows.append(("(own)", own))
    rows.append(("total", sum(count for _, count in rows)))
    return rows
