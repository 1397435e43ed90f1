"""A units-pruned run made small: its checkpoints rewritten as the dense model of the units
it kept (see `rnnkit.train.prune`)."""

from __future__ import annotations

import dataclasses

import torch

from rnnkit.config import to_dict
from rnnkit.files import write_json
from rnnkit.tasks.base import TaskSpec
from rnnkit.train.checkpoint import load_checkpoint, load_weights, save_checkpoint, split_prefix
from rnnkit.train.prune import compact


def compact_checkpoints(setup, spec: TaskSpec, config) -> torch.nn.Module:
    """A units-pruned run's checkpoints rewritten as the smaller dense model (the pruned units
    sliced away, its config's hidden_size the units kept); returns that model, its weights not
    yet loaded. The optimiser's state does not fit the smaller model: it is left out (the run
    is finished)."""
    run_dir, smaller = setup.run_dir, None
    for name in ("best", "last"):
        path = run_dir / f"{name}.safetensors"
        if not path.exists():
            continue
        tensors, meta = load_checkpoint(path)
        load_weights(setup.model, split_prefix(tensors, "model"), path)
        hidden_size, state = compact(setup.model)
        smaller = dataclasses.replace(config, hidden_size=hidden_size)
        meta = {**meta, "config": to_dict(smaller), "optimizer": {"tensors": []}}
        kept = {k: v for k, v in tensors.items() if not k.startswith(("model.", "optim."))}
        save_checkpoint(path, {**kept, **{f"model.{k}": v for k, v in state.items()}}, meta)
    if smaller is None:
        return setup.model
    write_json(run_dir / "config.json", to_dict(smaller))
    _, build = spec.reopen(smaller, meta, setup.device)
    return build().to(setup.device).eval()  # final_figures loads the best weights into it
