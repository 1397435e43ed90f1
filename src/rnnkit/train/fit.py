"""fit(): the training loop, one function whose steps read in the order they run.

A task supplies the data and the loss; fit() owns everything else: the optimiser and the
schedule, truncated BPTT (the recurrent state carried from window to window and detached),
gradient clipping with the pre-clip norm reported every step, skipping non-finite steps,
pruning (`train/prune.py`: masks applied after every optimiser step), periodic evaluation,
checkpoints (`best` and `last`), early stopping, budgets, and resuming.
fit() is a generator of plain dicts (events); it prints nothing.

A task is anything that follows the protocol of train/task.py (windows per epoch, train loss,
evaluate, meta, selection, diagnose); what the run keeps goes through its RunFolder
(train/run_folder.py) and its checkpoints are made and restored by train/checkpoint.py.
"""

from __future__ import annotations

import contextlib
import math
import time

import torch

from rnnkit.state import detach_state
from rnnkit.train.checkpoint import Progress, checkpoint_contents, restore
from rnnkit.train.config import TrainConfig
from rnnkit.train.distributed import SOLO, World
from rnnkit.train.optim import Schedule, clip_gradients, make_optimizer
from rnnkit.train.prune import Pruner
from rnnkit.train.run_folder import RunFolder
from rnnkit.train.task import Task
from rnnkit.train.threads import ThreadFit


def fit(model: torch.nn.Module, task: Task, config: TrainConfig, folder: RunFolder,
        device: torch.device, world: World = SOLO):
    """Train `model` on `task`; yield events: "step", "skip", "eval", "stop". Everything the
    run keeps is written through `folder` (a `NullFolder` writes nothing). With several
    processes (`world`, see train/distributed.py) every rank runs this same loop on its shard;
    the gradients are averaged each step; rank 0's folder writes."""
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
        progress, state = restore(folder.checkpoint_path("last"), model, optimizer, schedule,
                                  device, world, rows=config.batch_size * world.world_size)
        clock.before = progress.seconds
    world.broadcast_parameters(model)  # every rank starts from rank 0's weights, as DDP does
    pruner = Pruner(model, config, total_steps) if config.prune != "none" else None
    if config.resume:
        folder.truncate_logs(progress.step)  # records after the checkpoint are redone
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
    with folder.step_log() as log_step:  # loss, lr, |g| per step
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
            log_step({"step": progress.step, "loss": loss, "lr": lr, "grad_norm": grad_norm})
            yield {"event": "step", "step": progress.step, "epoch": epoch, "loss": loss, "lr": lr,
                   "grad_norm": grad_norm, "total_steps": None if config.budgeted else total_steps,
                   "tokens_per_s": tokens / max(time.monotonic() - tick, 1e-9)}
            grad_norms.append(grad_norm)
            if progress.step % config.eval_every == 0 or progress.step == total_steps:
                yield evaluate_and_save(model, task, config, folder, optimizer, schedule, progress,
                                        state, clock, pruned_enough(pruner), world)
                yield from threads.refit(progress.step)  # the load since the last evaluation
            if config.diagnose_every and progress.step % config.diagnose_every == 0 and folder.writes:
                yield diagnose_and_log(model, task, folder, progress.step, grad_norms)
            stop_reason = budget_spent(config, progress, clock)
            if stop_reason:
                break
    last_eval = progress.history[-1]["step"] if progress.history else -1
    if progress.bad_steps == 0 and progress.step > 0 and last_eval != progress.step:
        yield evaluate_and_save(model, task, config, folder, optimizer, schedule, progress, state,
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


def evaluate_and_save(model, task: Task, config, folder: RunFolder, optimizer, schedule,
                      progress: Progress, state, clock: Clock, selectable: bool = True,
                      world: World = SOLO) -> dict:
    """Validation metrics; `best` when they improve (and `selectable`); `last` always, unless
    the model has broken (non-finite weights or loss): then the checkpoints kept are the last
    good ones. One record in the folder's metrics log either way. With several processes the
    metrics are the same on every rank (`Task.evaluate_across`) and rank 0's folder writes."""
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
    folder.log_eval(record)
    if healthy:
        tensors, meta = checkpoint_contents(model, task, config, optimizer, schedule, progress,
                                            state, world)  # (a collective: every rank makes it)
        if improved:
            folder.save_checkpoint("best", tensors, dict(meta))
        folder.save_checkpoint("last", tensors, meta)
    return {"event": "eval", "improved": improved, "kept": healthy, **record}


def diagnose_and_log(model, task: Task, folder: RunFolder, step: int,
                     grad_norms: list[float]) -> dict:
    """The task's gradient diagnosis now; one record in the folder's diagnostics log."""
    report = task.diagnose(model, grad_norms)
    record = {"step": step, "verdict": report["verdict"], "saturated": report["saturated"],
              "reasons": report["reasons"], "flow": report["flow"]["last_loss"],
              "saturation": report["saturation"]}
    folder.log_diagnosis(record)
    return {"event": "diagnosis", **record}


