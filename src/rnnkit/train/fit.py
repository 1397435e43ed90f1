"""fit(): the training loop, one function whose steps read in the order they run.

A task supplies the data and the loss; fit() owns everything else: the optimiser and the
schedule, truncated BPTT (the recurrent state carried from window to window and detached),
gradient clipping with the pre-clip norm reported every step, skipping non-finite steps,
periodic evaluation, checkpoints (`best` and `last`), early stopping, budgets, and resuming.
fit() is a generator of plain dicts (events); it prints nothing.

A task has: `windows_per_epoch()`, `train_loss(model, epoch, window, state) -> (loss, state,
tokens)`, `evaluate(model) -> metrics` (with "loss"), and `meta() -> dict` saved with each
checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rnnkit.bptt.truncation import detach_state
from rnnkit.train.checkpoint import (
    load_checkpoint,
    optimizer_from_tensors,
    optimizer_to_tensors,
    save_checkpoint,
    split_prefix,
)
from rnnkit.train.config import TrainConfig, to_dict
from rnnkit.train.optim import Schedule, clip_gradients, make_optimizer


@dataclass
class Progress:
    """Where the run is: what a checkpoint must hold to continue it exactly."""

    epoch: int = 0
    window: int = 0  # next window of the epoch
    step: int = 0  # optimiser steps taken
    tokens: int = 0
    best_loss: float = math.inf
    evals_without_gain: int = 0
    bad_steps: int = 0
    history: list = field(default_factory=list)


def fit(model, task, config: TrainConfig, run_dir: Path, device: torch.device):
    """Train `model` on `task`; yield events: "step", "skip", "eval", "stop"."""
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr,
                               config.weight_decay, config.momentum)
    windows = task.windows_per_epoch()
    planned = config.epochs * windows
    total_steps = min(planned, config.max_steps) if config.max_steps else planned
    schedule = Schedule(config.schedule, config.lr, total_steps=total_steps,
                        warmup_steps=config.warmup_steps, step_every=config.step_every,
                        gamma=config.gamma, patience=config.plateau_patience)
    scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")
    progress, state = Progress(), None
    if config.resume:
        progress, state = restore(run_dir / "last.safetensors", model, optimizer, schedule, device)
    started = time.monotonic()
    model.train()
    stop_reason = None
    while stop_reason is None and progress.epoch < config.epochs:
        while progress.window < windows:
            # one window: forward, loss, backward, clip, step
            lr = schedule.lr(progress.step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            tick = time.monotonic()
            with autocast(device, config.precision):
                loss, new_state, tokens = task.train_loss(model, progress.epoch, progress.window,
                                                          state)
            optimizer.zero_grad(set_to_none=True)
            grad_norm = math.nan
            if torch.isfinite(loss):
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                grad_norm = clip_gradients(model.parameters(), config.clip_norm, config.clip_value)
            progress.window += 1
            if not (math.isfinite(float(loss)) and math.isfinite(grad_norm)):
                progress.bad_steps += 1
                state = None  # a state that saw the bad step is not trusted
                optimizer.zero_grad(set_to_none=True)
                yield {"event": "skip", "step": progress.step, "loss": float(loss),
                       "grad_norm": grad_norm, "in_a_row": progress.bad_steps}
                if progress.bad_steps >= config.max_bad_steps:
                    stop_reason = (f"{progress.bad_steps} non-finite steps in a row; stopped, "
                                   f"the last good checkpoint is kept (try a lower --lr or "
                                   f"--clip-norm)")
                    break
                continue
            scaler.step(optimizer)
            scaler.update()
            progress.bad_steps = 0
            progress.step += 1
            progress.tokens += tokens
            state = detach_state(new_state) if new_state is not None else None
            seconds = time.monotonic() - tick
            yield {"event": "step", "step": progress.step, "epoch": progress.epoch,
                   "loss": float(loss), "lr": lr, "grad_norm": grad_norm,
                   "tokens_per_s": tokens / max(seconds, 1e-9), "total_steps": total_steps}
            # periodic work: evaluate and checkpoint
            if progress.step % config.eval_every == 0 or progress.step == total_steps:
                event = evaluate_and_save(model, task, config, run_dir, optimizer, schedule,
                                          progress, state, started)
                yield event
                if config.patience and progress.evals_without_gain >= config.patience:
                    stop_reason = f"early stop: no better validation loss in {config.patience} evaluations"
            # budgets
            if config.max_steps and progress.step >= config.max_steps:
                stop_reason = stop_reason or f"reached --max-steps {config.max_steps}"
            if config.max_minutes and time.monotonic() - started >= 60 * config.max_minutes:
                stop_reason = stop_reason or f"reached --max-minutes {config.max_minutes:g}"
            if stop_reason:
                break
        else:
            progress.epoch += 1
            progress.window = 0
            state = None  # a new pass starts from the initial state
    if stop_reason is None:
        stop_reason = f"finished {config.epochs} epochs"
    last_eval = progress.history[-1]["step"] if progress.history else -1
    if progress.bad_steps == 0 and progress.step > 0 and last_eval != progress.step:
        yield evaluate_and_save(model, task, config, run_dir, optimizer, schedule, progress, state,
                                started)
    yield {"event": "stop", "reason": stop_reason, "step": progress.step,
           "best_loss": progress.best_loss, "failed": progress.bad_steps >= config.max_bad_steps}


def autocast(device: torch.device, precision: str):
    """bf16/fp16 autocast on a GPU; plain float32 otherwise."""
    if precision == "fp32" or device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def evaluate_and_save(model, task, config, run_dir: Path, optimizer, schedule, progress: Progress,
                      state, started: float) -> dict:
    """Validation metrics; `best` when they improve; always `last`; one line in metrics.jsonl."""
    metrics = task.evaluate(model)
    schedule.observe(metrics["loss"])
    improved = metrics["loss"] < progress.best_loss
    if improved:
        progress.best_loss, progress.evals_without_gain = metrics["loss"], 0
    else:
        progress.evals_without_gain += 1
    record = {"step": progress.step, "epoch": progress.epoch, "tokens": progress.tokens,
              "minutes": (time.monotonic() - started) / 60, "lr": schedule.lr(progress.step),
              **{f"valid_{k}": v for k, v in metrics.items()}}
    progress.history.append(record)
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    tensors, meta = checkpoint_contents(model, task, config, optimizer, schedule, progress, state)
    if improved:
        save_checkpoint(run_dir / "best.safetensors", tensors, dict(meta))
    save_checkpoint(run_dir / "last.safetensors", tensors, meta)
    return {"event": "eval", "improved": improved, **record}


def checkpoint_contents(model, task, config, optimizer, schedule, progress, state):
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    optim_tensors, optim_meta = optimizer_to_tensors(optimizer)
    tensors.update({f"optim.{k}": v for k, v in optim_tensors.items()})
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    leaves = [] if state is None else (list(state) if isinstance(state, tuple) else [state])
    tensors.update({f"state.{i}": leaf for i, leaf in enumerate(leaves)})
    meta = {"format": "rnnkit-checkpoint", "version": 1, "config": to_dict(config),
            "task": task.meta(), "optimizer": optim_meta, "schedule": schedule.state(),
            "progress": {**progress.__dict__, "best_loss": _finite(progress.best_loss)},
            "state_type": None if state is None else type(state).__name__}
    return tensors, meta


def _finite(value: float):
    return value if math.isfinite(value) else None


def restore(path: Path, model, optimizer, schedule, device):
    """Load `last` into the model, optimiser and schedule; return progress and carried state."""
    tensors, meta = load_checkpoint(path)
    model.load_state_dict(split_prefix(tensors, "model"))
    optimizer_from_tensors(optimizer, split_prefix(tensors, "optim"), meta["optimizer"])
    schedule.load_state(meta["schedule"])
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    saved = dict(meta["progress"])
    saved["best_loss"] = math.inf if saved["best_loss"] is None else saved["best_loss"]
    progress = Progress(**saved)
    leaves = [v.to(device) for k, v in sorted(split_prefix(tensors, "state").items())]
    state = None
    if leaves:
        from rnnkit.cells import LSTMState

        state = LSTMState(*leaves) if meta["state_type"] == "LSTMState" else leaves[0]
    return progress, state
