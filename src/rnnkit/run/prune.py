"""Pruning a trained run (`rnnkit prune`): fine-tune its best model into a new run folder while
magnitude or units pruning removes weights, and report what that cost and bought.

    from rnnkit.run.prune import prune
    summary = prune("runs/lm", {"prune": "magnitude", "sparsity": 0.8, "max_steps": 600},
                    out="runs/lm-80")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from rnnkit.config import to_dict
from rnnkit.errors import CheckpointError, ConfigError
from rnnkit.run.opened import checked_config, open_run
from rnnkit.run.train import prepare, run_prepared, saved_task
from rnnkit.tasks import registry
from rnnkit.train.checkpoint import check_finite, load_model, model_weights
from rnnkit.train.prune import sparsity_report
from rnnkit.train.run_folder import RunFolder, open_checkpoint

PRUNE_KEYS = ("prune", "sparsity", "prune_schedule", "prune_steps", "prune_every", "lr",
              "schedule", "warmup_steps", "eval_every")


def prune(run_dir: str | Path, settings: dict, out: str, overwrite: bool = False,
          progress: Callable[[dict], None] | None = None, lr_scale: float = 1.0) -> dict:
    """Fine-tune run `run_dir`'s best model while pruning it (`settings`: prune, sparsity,
    prune_schedule, max_steps and optionally prune_steps, prune_every, lr, schedule, ...) into
    a new run folder `out`; returns its summary with a "pruning" report: parameters and
    non-zero ones before and after, sparsity per matrix, the validation figures before and
    after (the same split), and the inference time of both models on the same inputs.
    `lr_scale` multiplies the run's learning rate when `settings` gives none."""
    source = Path(run_dir)
    path, tensors, meta = open_checkpoint(source, "best")
    name = saved_task(meta)
    spec = registry.TASKS.get(name)
    if spec is None:
        raise CheckpointError(f"{path}: a checkpoint of an unknown task ({name!r})")
    base = to_dict(checked_config(spec, meta, path))
    check_finite(model_weights(tensors), path)
    steps = settings.get("max_steps")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"--steps must be a whole number >= 1 (the fine-tuning steps), got "
                          f"{steps!r}")
    before = RunFolder(source).read_summary()
    unknown = set(settings) - {*PRUNE_KEYS, "max_steps", "device"}
    if unknown:
        raise ConfigError(f"cannot set {', '.join(sorted(unknown))} when pruning")
    config = {**base, "lr": base["lr"] * lr_scale, **settings, "out": out, "overwrite": overwrite,
              "resume": False, "start_from": str(source), "epochs": 10**6, "max_minutes": 0.0,
              "patience": 0}
    setup = prepare(spec.name, config)
    try:
        original = spec.reopen(setup.config, meta, setup.device)[1]().to(setup.device)
        load_model(original, tensors, path)
        summary = run_prepared(setup, progress or (lambda event: None))
        pruned = open_run(setup.run_dir, "best", str(setup.device)).model
        inputs = setup.task.example_inputs()
        summary["pruning"] = {
            "method": setup.config.prune, "sparsity": setup.config.sparsity, "source": str(source),
            "before": {**model_size(original), "valid": before.get("valid"),
                       "seconds": inference_seconds(original, inputs)},
            "after": {**model_size(pruned), "valid": summary.get("valid"),
                      "seconds": inference_seconds(pruned, inputs)},
            "matrices": sparsity_report(pruned)}
        setup.folder.write_summary(summary)
        return summary
    finally:
        setup.close()


def model_size(model: torch.nn.Module) -> dict:
    parameters = sum(p.numel() for p in model.parameters())
    nonzero = sum(int((p != 0).sum()) for p in model.parameters())
    return {"parameters": parameters, "nonzero": nonzero, "megabytes": 4 * parameters / 2**20}


@torch.no_grad()
def inference_seconds(model: torch.nn.Module, inputs: tuple, repeats: int = 20) -> float:
    """The median time of one forward pass of `model` on `inputs` (evaluation mode)."""
    model.eval()
    model(*inputs)  # warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model(*inputs)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]
