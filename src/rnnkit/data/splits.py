"""Seeded splits of a data set: a stratified hold-out and k-fold cross-validation."""

from __future__ import annotations

import random

from rnnkit.errors import ConfigError


def holdout(labels: list, fraction: float, seed: int, stratify: bool = True) -> tuple[list, list]:
    """(kept indices, held-out indices): `fraction` of each class (of all examples when not
    `stratify`) held out after a seeded shuffle, at least one of a class that has two or more."""
    rng = random.Random(seed)
    groups: dict = {}
    for i, label in enumerate(labels if stratify else [None] * len(labels)):
        groups.setdefault(label, []).append(i)
    kept, held = [], []
    for members in groups.values():
        rng.shuffle(members)
        n = round(fraction * len(members))
        if fraction > 0 and n == 0 and len(members) > 1:
            n = 1
        held += members[:n]
        kept += members[n:]
    return sorted(kept), sorted(held)


def k_fold(n: int, folds: int, fold: int, seed: int) -> tuple[list[int], list[int]]:
    """(train indices, held-out indices) of fold `fold` of `folds`, after a seeded shuffle."""
    if not 0 <= fold < folds:
        raise ConfigError(f"--fold must be in 0..{folds - 1}, got {fold}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    held = set(order[fold::folds])
    return [i for i in order if i not in held], sorted(held)
