"""fit(): the training loop, one function whose steps read in the order they run.

A task supplies the data and the loss; fit() owns everything else: the optimiser and the
schedule, truncated BPTT (the recurrent state carried from window to window and detached),
gradient clipping with the pre-clip norm reported every step, skipping non-finite steps,
pruning (`train/prune.py`: masks applied after every optimiser step), periodic evaluation,
checkpoints (`best` and `last`), early stopping, budgets, and resuming.
fit() is a generator of plain dicts (events); it prints nothing.

A task is anything that follows `rnnkit.tasks.base.Task` (windows per epoch, train loss,
evaluate, meta, selection, diagnose).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rnnkit.cells import LSTMState
from rnnkit.config import to_dict
from rnnkit.errors import CheckpointError
from rnnkit.state import detach_state, state_from_leaves, state_leaves
from rnnkit.train.checkpoint import (
    check_carried_state,
    check_weights,
    load_checkpoint,
    load_weights,
    optimizer_from_tensors,
    optimizer_to_tensors,
    save_checkpoint,
    split_prefix,
)
from rnnkit.train.config import TrainConfig
from rnnkit.train.distributed import SOLO, World, gather_state, own_rows
from rnnkit.train.optim import Schedule, clip_gradients, make_optimizer
from rnnkit.train.prune import Pruner
from rnnkit.train.run_folder import truncate_logs
from rnnkit.train.threads import ThreadFit


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
    seconds: float = 0.0  # training time of the sessions before this one (a budget's clock)


def fit(model, task, config: TrainConfig, run_dir: Path, device: torch.device,
        world: World = SOLO):
    """Train `model` on `task`; yield events: "step", "skip", "eval", "stop". With several
    processes (`world`, see train/distributed.py) every rank runs this same loop on its shard;
    the gradients are averaged each step and rank 0 alone writes."""
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr,
                               config.weight_decay, config.momentum)
    windows, epochs = task.windows_per_epoch(), config.planned_epochs
    total_steps = epochs * windows
    total_steps = min(total_steps, config.max_steps) if config.max_steps else total_steps
    schedule = Schedule(config.schedule_kind, config.lr, total_steps=total_steps,
                        warmup_steps=config.warmup_steps, step_every=config.step_every,
                        gamma=config.gamma, patience=config.plateau_patience)
    scaler = torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")
    progress, state = Progress(), None
    clock = Clock(config, world)
    if config.resume:
        progress, state = restore(run_dir / "last.safetensors", model, optimizer, schedule, device,
                                  world, rows=config.batch_size * world.world_size)
        clock.before = progress.seconds
    world.broadcast_parameters(model)  # every rank starts from rank 0's weights, as DDP does
    pruner = Pruner(model, config, total_steps) if config.prune != "none" else None
    if config.resume:
        if world.writer:
            truncate_logs(run_dir, progress.step)  # records after the checkpoint are redone
        done = budget_spent(config, progress, clock) or (
            None if next(remaining_windows(progress, windows, epochs), None)
            else f"finished {epochs} epochs")
        if done:
            yield {"event": "stop", "reason": f"the run had already finished ({done}); nothing to do",
                   "step": progress.step, "best_loss": progress.best_loss, "failed": False}
            return
    threads = ThreadFit(config.threads if not world.parallel else torch.get_num_threads())
    yield from threads.start(progress.step)  # the cores other processes leave free
    stop_reason = None
    grad_norms: list[float] = []  # pre-clip norms of this session's steps, for the diagnosis
    model.train()
    with step_log_of(run_dir, world) as step_log:  # loss, lr, |g| per step
        for epoch, window in remaining_windows(progress, windows, epochs):
            if window == 0:
                state = None  # each pass over the data starts from the initial state
            lr = schedule.lr(progress.step, clock.fraction())
            for group in optimizer.param_groups:
                group["lr"] = lr
            tick = time.monotonic()
            loss, grad_norm, new_state, tokens = forward_backward(
                model, task, optimizer, scaler, config, device, epoch, window, state, world)
            progress.epoch, progress.window = epoch, window + 1
            if not (math.isfinite(loss) and math.isfinite(grad_norm)):
                progress.bad_steps += 1
                state = None  # a state that saw the bad step is not trusted
                yield {"event": "skip", "step": progress.step, "loss": loss,
                       "grad_norm": grad_norm, "in_a_row": progress.bad_steps}
                if progress.bad_steps >= config.max_bad_steps:
                    stop_reason = (f"{progress.bad_steps} non-finite steps in a row; stopped, the "
                                   f"last good checkpoint is kept (try a lower --lr or --clip-norm)")
                    break
                continue
            scaler.step(optimizer)
            scaler.update()
            progress.step += 1
            if pruner is not None:
                pruner.after_step(progress.step)  # the masks, on the parameters themselves
            progress.tokens += tokens
            progress.bad_steps = 0
            state = None if new_state is None else detach_state(new_state)
            step_log.write(json.dumps({"step": progress.step, "loss": loss, "lr": lr,
                                       "grad_norm": grad_norm}) + "\n")
            step_log.flush()
            yield {"event": "step", "step": progress.step, "epoch": epoch, "loss": loss, "lr": lr,
                   "grad_norm": grad_norm, "total_steps": None if config.budgeted else total_steps,
                   "tokens_per_s": tokens / max(time.monotonic() - tick, 1e-9)}
            grad_norms.append(grad_norm)
            if progress.step % config.eval_every == 0 or progress.step == total_steps:
                yield evaluate_and_save(model, task, config, run_dir, optimizer, schedule, progress,
                                        state, clock, pruned_enough(pruner), world)
                yield from threads.refit(progress.step)  # the load since the last evaluation
            if config.diagnose_every and progress.step % config.diagnose_every == 0 and world.writer:
                yield diagnose_and_log(model, task, run_dir, progress.step, grad_norms)
            stop_reason = budget_spent(config, progress, clock)
            if stop_reason:
                break
    last_eval = progress.history[-1]["step"] if progress.history else -1
    if progress.bad_steps == 0 and progress.step > 0 and last_eval != progress.step:
        yield evaluate_and_save(model, task, config, run_dir, optimizer, schedule, progress, state,
                                clock, pruned_enough(pruner), world)
    yield {"event": "stop", "reason": stop_reason or f"finished {epochs} epochs",
           "step": progress.step, "best_loss": progress.best_loss,
           "failed": progress.bad_steps >= config.max_bad_steps}


def remaining_windows(progress: Progress, windows: int, epochs: int):
    """(epoch, window) pairs from where `progress` stands to the end of the last epoch."""
    for epoch in range(progress.epoch, epochs):
        for window in range(progress.window if epoch == progress.epoch else 0, windows):
            yield epoch, window


def forward_backward(model, task, optimizer, scaler, config, device, epoch, window, state,
                     world: World = SOLO):
    """Loss of one window, its gradients (averaged over the ranks), clipped. Returns (loss,
    pre-clip gradient norm, new state, tokens); the norm is NaN when the loss is not finite
    (on any rank: then nothing was backpropagated, or the gradients are dropped)."""
    with autocast(device, config.precision):
        loss, new_state, tokens = task.train_loss(model, epoch, window, state)
    optimizer.zero_grad(set_to_none=True)
    value = float(loss.detach())
    finite = math.isfinite(value)
    if finite:
        scaler.scale(loss).backward()
    if world.parallel:
        value, tokens, finite = world.average_gradients(
            [p for p in model.parameters() if p.requires_grad], value, tokens, finite)
    if not finite:
        return value, math.nan, new_state, tokens
    scaler.unscale_(optimizer)
    grad_norm = clip_gradients(model.parameters(), config.clip_norm, config.clip_value)
    if not math.isfinite(grad_norm):
        optimizer.zero_grad(set_to_none=True)
    return value, grad_norm, new_state, tokens


class Clock:
    """The run's training time: this session's, plus (`before`) that of the sessions a resumed
    run had. `read()` looks at the clock (under several processes every rank reads the slowest
    rank's, so that all stop, and set their learning rate, alike: one exchange per reading);
    `session`, `total` and `fraction` tell what the last reading saw."""

    def __init__(self, config: TrainConfig, world: World = SOLO) -> None:
        self.config, self.world = config, world
        self.started, self.before, self.session = time.monotonic(), 0.0, 0.0

    def read(self) -> Clock:
        self.session = self.world.slowest(time.monotonic() - self.started)
        return self

    @property
    def total(self) -> float:
        return self.before + self.session

    def fraction(self) -> float | None:
        """The share of the time budget spent at the last reading, for a run that spends one
        (else None)."""
        if not self.config.budgeted:
            return None
        return min(1.0, self.total / (60 * self.config.max_minutes))


def budget_spent(config: TrainConfig, progress: Progress, clock: Clock) -> str | None:
    """Why the run stops now (early stopping, --max-steps, --max-minutes), or None. A run
    that spends a budget counts the minutes of all its sessions; otherwise --max-minutes
    bounds this session."""
    if config.patience and progress.evals_without_gain >= config.patience:
        return f"early stop: no better validation loss in {config.patience} evaluations"
    if config.max_steps and progress.step >= config.max_steps:
        return f"reached --max-steps {config.max_steps}"
    if config.max_minutes:
        clock.read()  # (a budgeted run's next learning rate reads this reading too)
        spent = clock.total if config.budgeted else clock.session
        if spent >= 60 * config.max_minutes:
            return f"reached --max-minutes {config.max_minutes:g}"
    return None


def step_log_of(run_dir: Path, world: World):
    """steps.jsonl, open for appending (rank 0), or the null device (the other ranks write
    nothing)."""
    return open(run_dir / "steps.jsonl" if world.writer else os.devnull, "a", encoding="utf-8")


def autocast(device: torch.device, precision: str):
    """bf16/fp16 autocast on a GPU; plain float32 otherwise."""
    if precision == "fp32" or device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def pruned_enough(pruner) -> bool:
    """Whether the model may become `best`: always, but while pruning has not yet reached its
    final sparsity (a denser model must not stand for the pruned one)."""
    return pruner is None or pruner.current >= pruner.config.sparsity


def evaluate_and_save(model, task, config, run_dir: Path, optimizer, schedule, progress: Progress,
                      state, clock: Clock, selectable: bool = True, world: World = SOLO) -> dict:
    """Validation metrics; `best` when they improve (and `selectable`); `last` always, unless
    the model has broken (non-finite weights or loss): then the checkpoints kept are the last
    good ones. One line in metrics.jsonl either way. With several processes the metrics are
    the same on every rank (`Task.evaluate_across`) and rank 0 writes."""
    metrics = task.evaluate_across(model, world) if world.parallel else task.evaluate(model)
    healthy = math.isfinite(metrics["loss"]) and all(
        bool(torch.isfinite(p).all()) for p in model.parameters())
    if healthy:
        schedule.observe(metrics["loss"])
    name, higher_is_better = task.selection
    score = -metrics[name] if higher_is_better else metrics[name]
    improved = healthy and selectable and score < progress.best_loss
    if improved:
        progress.best_loss, progress.evals_without_gain = score, 0
    else:
        progress.evals_without_gain += 1
    progress.seconds = clock.read().total
    record = {"step": progress.step, "epoch": progress.epoch, "tokens": progress.tokens,
              "minutes": clock.session / 60,
              "lr": schedule.lr(progress.step, clock.fraction()),
              **{f"valid_{k}": v for k, v in metrics.items()}}
    progress.history.append(record)
    if world.writer:
        with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
    if healthy:
        tensors, meta = checkpoint_contents(model, task, config, optimizer, schedule, progress,
                                            state, world)
        if not world.writer:
            return {"event": "eval", "improved": improved, "kept": healthy, **record}
        if improved:
            save_checkpoint(run_dir / "best.safetensors", tensors, dict(meta))
        save_checkpoint(run_dir / "last.safetensors", tensors, meta)
    return {"event": "eval", "improved": improved, "kept": healthy, **record}


def diagnose_and_log(model, task, run_dir: Path, step: int, grad_norms: list[float]) -> dict:
    """The task's gradient diagnosis now; one line in diagnostics.jsonl."""
    report = task.diagnose(model, grad_norms)
    record = {"step": step, "verdict": report["verdict"], "saturated": report["saturated"],
              "reasons": report["reasons"], "flow": report["flow"]["last_loss"],
              "saturation": report["saturation"]}
    with open(run_dir / "diagnostics.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    return {"event": "diagnosis", **record}


def checkpoint_contents(model, task, config, optimizer, schedule, progress, state,
                        world: World = SOLO):
    """What `last` and `best` hold. With several processes: the carried state of all ranks'
    rows, in rank order (the state one process with all the rows would carry), and each rank's
    random-number state (rank r > 0 as `rng.rank.r`); the rest is the same on every rank."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    optim_tensors, optim_meta = optimizer_to_tensors(optimizer)
    tensors.update({f"optim.{k}": v for k, v in optim_tensors.items()})
    rngs = world.gather_tensors(torch.get_rng_state())
    tensors["rng.torch"] = rngs[0]
    tensors.update({f"rng.rank.{rank}": rng for rank, rng in enumerate(rngs) if rank})
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()  # (each GPU rank's own: not kept)
    state = gather_state(world, state)
    leaves = state_leaves(state)
    tensors.update({f"state.{i}": leaf for i, leaf in enumerate(leaves)})
    meta = {"format": "rnnkit-checkpoint", "version": 1, "config": to_dict(config),
            "task": task.meta(), "optimizer": optim_meta, "schedule": schedule.state(),
            "progress": {**progress.__dict__, "best_loss": _finite(progress.best_loss)},
            "state_type": None if state is None else type(state).__name__,
            "world_size": world.world_size}
    return tensors, meta


def _finite(value: float):
    return value if math.isfinite(value) else None


def check_resumable(path: Path, tensors: dict, meta: dict, model, world: World = SOLO, *,
                    rows: int) -> None:
    """CheckpointError naming what in checkpoint `path` (read: its tensors and metadata)
    cannot continue a run of `model` on `world`'s processes: the number of processes, the
    progress, the weights' shapes, the optimiser and schedule state, the RNG state, the
    carried state (of `rows` sequences in all). Called before anything of the run is written."""
    saved_world = meta.get("world_size", 1)
    if saved_world != world.world_size:
        raise CheckpointError(f"{path}: the run was trained on {saved_world} process(es); resume "
                              f"it on {saved_world} (this is {world.world_size}): each carries "
                              f"its own rows and random state")
    saved_progress(path, meta.get("progress"))
    check_weights(model, split_prefix(tensors, "model"), path)
    if not isinstance(meta.get("optimizer"), dict) or not isinstance(meta.get("schedule"), dict):
        raise CheckpointError(f"{path}: its metadata lacks the optimiser or schedule state")
    missing = sorted(set(meta["optimizer"].get("tensors", []))
                     - set(split_prefix(tensors, "optim")))
    if missing:
        raise CheckpointError(f"{path}: it lacks the optimiser's {', '.join(missing[:3])}"
                              f"{' ...' if len(missing) > 3 else ''}: it cannot be resumed exactly")
    expected = torch.get_rng_state()
    for name in ["rng.torch", *(f"rng.rank.{rank}" for rank in range(1, world.world_size))]:
        rng = tensors.get(name)
        if rng is None or rng.shape != expected.shape or rng.dtype != expected.dtype:
            raise CheckpointError(f"{path}: its random-number state is missing or damaged")
    check_carried_state(path, [v for _, v in sorted(split_prefix(tensors, "state").items())],
                        model, rows)


def restore(path: Path, model, optimizer, schedule, device, world: World = SOLO,
            rows: int = 1):
    """Load `last` into the model, optimiser, schedule and RNG; return progress and carried
    state (of all `rows` sequences), all checked first. Each rank takes its own random state
    and rows of the state."""
    tensors, meta = load_checkpoint(path)
    check_resumable(path, tensors, meta, model, world, rows=rows)
    progress = saved_progress(path, meta["progress"])
    load_weights(model, split_prefix(tensors, "model"), path)
    optimizer_from_tensors(optimizer, split_prefix(tensors, "optim"), meta["optimizer"])
    try:
        schedule.load_state(meta["schedule"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: its schedule state is damaged") from None
    torch.set_rng_state(tensors["rng.torch" if world.writer else f"rng.rank.{world.rank}"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    leaves = [v.to(device) for k, v in sorted(split_prefix(tensors, "state").items())]
    state = None
    if leaves:
        template = LSTMState(*leaves) if meta.get("state_type") == "LSTMState" else leaves[0]
        state = own_rows(world, state_from_leaves(template, leaves))
    return progress, state


def saved_progress(path: Path, saved) -> Progress:
    """The Progress a checkpoint holds, every field checked."""
    names = {f.name for f in dataclasses.fields(Progress)}
    if isinstance(saved, dict) and "seconds" not in saved:
        saved = {**saved, "seconds": 0.0}  # (a checkpoint from before the time budget)
    if not isinstance(saved, dict) or set(saved) != names:
        raise CheckpointError(f"{path}: its training progress is missing or damaged")
    if not isinstance(saved["seconds"], (int, float)) or isinstance(saved["seconds"], bool) \
            or not saved["seconds"] >= 0:
        raise CheckpointError(f"{path}: its training time is damaged")
    counts = ("epoch", "window", "step", "tokens", "evals_without_gain", "bad_steps")
    if not all(isinstance(saved[k], int) and not isinstance(saved[k], bool) and saved[k] >= 0
               for k in counts) or not isinstance(saved["history"], list):
        raise CheckpointError(f"{path}: its training progress is damaged")
    best = saved["best_loss"]
    if best is not None and not isinstance(best, (int, float)):
        raise CheckpointError(f"{path}: its best validation figure is damaged")
    return Progress(**{**saved, "best_loss": math.inf if best is None else float(best),
                       "seconds": float(saved["seconds"])})
