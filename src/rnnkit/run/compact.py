"""A units-pruned run made small: its checkpoints rewritten as the dense model of the units
it kept (see `rnnkit.train.prune`)."""

from __future__ import annotations

import dataclasses

import torch

from rnnkit.config import to_dict
from rnnkit.tasks.base import TaskSpec
from rnnkit.train.checkpoint import load_checkpoint, load_model, with_model_weights
from rnnkit.train.prune import compact


def compact_checkpoints(setup, spec: TaskSpec, config) -> torch.nn.Module:
    """A units-pruned run's checkpoints rewritten as the smaller dense model (the pruned units
    sliced away, its config's hidden_size the units kept); returns that model, its weights not
    yet loaded. The optimiser's state does not fit the smaller model: it is left out (the run
    is finished)."""
    folder, smaller = setup.folder, None
    for which in ("best", "last"):
        if not folder.has_checkpoint(which):
            continue
        path = folder.checkpoint_path(which)
        tensors, meta = load_checkpoint(path)
        load_model(setup.model, tensors, path)
        hidden_size, state = compact(setup.model)
        smaller = dataclasses.replace(config, hidden_size=hidden_size)
        meta = {**meta, "config": to_dict(smaller), "optimizer": {"tensors": []}}
        folder.save_checkpoint(which, with_model_weights(tensors, state, keep_optimizer=False),
                               meta)
    if smaller is None:
        return setup.model
    folder.write_config(smaller)
    _, build = spec.reopen(smaller, meta, setup.device)
    return build().to(setup.device).eval()  # final_figures loads the best weights into it
