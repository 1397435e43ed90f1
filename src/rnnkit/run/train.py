"""The training side of the run API: a task's config made (`make_config`), a run prepared
(its folder checked and claimed, its data read, its model built: `prepare`), trained to its end
with fit() (`train`, `run_prepared`), and reported: the curves, TensorBoard, the summary with the
final figures of the best checkpoint."""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import torch

from rnnkit.config import build_config, to_dict
from rnnkit.errors import CheckpointError, ConfigError, UserError
from rnnkit.run.compact import compact_checkpoints
from rnnkit.run.plots import plot_curves
from rnnkit.run.summary import parameter_table
from rnnkit.run.tensorboard import TensorBoardLog
from rnnkit.tasks import registry
from rnnkit.tasks.base import Prepared, TaskSpec
from rnnkit.train.checkpoint import check_resumable, load_checkpoint, load_model
from rnnkit.train.distributed import SOLO, DistributedError, World, agree, device_of, join
from rnnkit.train.fit import fit
from rnnkit.train.prune import stack_of
from rnnkit.train.run_folder import (
    NullFolder,
    RunFolder,
    RunLock,
    check_resume,
    check_run_folder,
    choose_device,
    open_checkpoint,
    start_run_folder,
)


def make_config(task: str, config=None):
    """The config of `task` from a config object, a dict of settings, or None (the defaults);
    the settings the task name fixes (e.g. which benchmark) are applied. A dict that asks to
    resume takes every setting it does not give from the run it resumes."""
    spec = registry.get(task)
    if config is None or isinstance(config, dict):
        settings = {**(config or {}), **spec.fixed}
        if settings.get("resume") is True:
            settings = {**resumed_settings(spec, settings.get("out")), **settings}
        return build_config(spec.config_class, settings)
    if not isinstance(config, spec.config_class):
        raise TypeError(f"task {task!r} takes a {spec.config_class.__name__}, got "
                        f"{type(config).__name__}")
    config = dataclasses.replace(config, **spec.fixed)
    config.check()
    return config


def resumed_settings(spec: TaskSpec, out) -> dict:
    """The settings the run in folder `out` (default: the config's) was trained with, as its
    last checkpoint holds them: what `--resume` continues unless told otherwise. {} when
    there is no checkpoint to read (the resume itself then says why it cannot go on)."""
    fields = {f.name: f for f in dataclasses.fields(spec.config_class)}
    folder = out if isinstance(out, str) else fields["out"].default
    try:
        _, _, meta = open_checkpoint(folder, "last")
    except CheckpointError:
        return {}
    if meta["task"]["name"] != spec.name:
        return {}  # (the resume names the other task)
    return {key: value for key, value in meta["config"].items()
            if key in fields and key not in ("out", "resume", "overwrite")}


@dataclasses.dataclass
class Setup:
    """A run ready to train: its spec, resolved config, folder and device, what the spec
    prepared (task, model, facts, baseline), the files an --overwrite removed, the lock on
    the folder (`close()`, or the end of a `with` block, releases it), and this process's
    place among the run's processes."""

    spec: TaskSpec
    config: object
    run_dir: Path
    device: torch.device
    prepared: Prepared
    removed: list
    lock: RunLock
    world: World = SOLO

    @property
    def task(self):
        return self.prepared.task

    @property
    def folder(self) -> RunFolder:
        """The run folder as this process writes it: rank 0 writes, the others write nothing."""
        return RunFolder(self.run_dir) if self.world.writer else NullFolder(self.run_dir)

    @property
    def model(self) -> torch.nn.Module:
        return self.prepared.model

    def close(self) -> None:
        self.lock.release()

    def __enter__(self) -> Setup:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def prepare(task: str, config=None, data: dict | None = None, world: World = SOLO) -> Setup:
    """Check the run folder (new, or resumed / overwritten as asked) and, on --resume, that the
    settings are the run's own; seed; read the data (or take `data` from Python, where the task
    allows it) and build the task and the model. Nothing is written before all that passed;
    then the folder is locked, marked as a run, and given the config and the task's metadata.
    With several processes (`world`) every rank does the checks and builds its shard, the
    ranks compare their settings, and rank 0 alone then claims and writes the folder."""
    spec = registry.get(task)
    config = make_config(task, config)
    if data is not None and not spec.in_memory:
        able = [name for name, other in registry.TASKS.items() if other.in_memory]
        raise ConfigError(f"the {task} task reads its data from files; data given from Python "
                          f"works for: {', '.join(able)}")
    failure, ready = None, None
    try:
        ready = ready_to_train(spec, config, data, world)
    except UserError as error:
        if not world.parallel:
            raise
        failure = str(error)
    size = sum(p.numel() for p in ready[2].model.parameters()) if ready else None
    agree(world, failure, {**to_dict(config), "model parameters": size})
    run_dir, device, prepared = ready
    lock, removed = RunLock(run_dir), []
    try:
        if world.writer:
            lock = claim(run_dir, config)
            removed = start_run_folder(run_dir, config, spec.name)
            RunFolder(run_dir).write_task(prepared.task.meta())
    except UserError as error:
        lock.release()
        if not world.parallel:
            raise
        failure = str(error)
    except BaseException:
        lock.release()
        raise
    agree(world, world.broadcast(failure), {})
    return Setup(spec, config, run_dir, device, prepared, removed, lock, world)


def ready_to_train(spec: TaskSpec, config, data, world: World):
    """(run folder, device, Prepared) after every check that writes nothing; with several
    processes, the task sharded for this rank (and the rank's own random stream after the
    model's initial weights, which every rank draws alike)."""
    run_dir, device = check_run_folder(config)
    device = device_of(world, device)
    torch.manual_seed(config.seed)  # once: the model's initial weights and all that follows
    last, resumed = RunFolder(run_dir).checkpoint_path("last"), None
    if config.resume:
        saved, resumed = load_checkpoint(last)
        check_resume(config, spec.name, resumed, last)
    elif config.start_from is not None:  # its weights need its vocabulary (alphabet, labels)
        resumed = started_from(spec, config.start_from)[2]
    prepared = spec.prepare(config, device, resumed, data)
    if world.parallel:
        prepared.task.shard(world.rank, world.world_size)
        torch.manual_seed(config.seed + world.rank)  # dropout masks differ from rank to rank
    if config.resume:
        check_resumable(last, saved, resumed, prepared.model, world,
                        rows=config.batch_size * world.world_size)
    elif config.start_from is not None:
        start_from(prepared.model, spec, config.start_from)
    if config.prune == "units":
        stack_of(prepared.model, config.sparsity)  # ConfigError now if they cannot be removed
    return run_dir, device, prepared


def started_from(spec: TaskSpec, run_dir: str) -> tuple:
    """(path, tensors, meta) of the best checkpoint of run `run_dir`, a run of this task."""
    path, tensors, meta = open_checkpoint(run_dir, "best")
    saved = saved_task(meta)
    if saved != spec.name:
        raise CheckpointError(f"--start-from {run_dir}: a {saved} run; this is a {spec.name} run")
    return path, tensors, meta


def start_from(model: torch.nn.Module, spec: TaskSpec, run_dir: str) -> None:
    """Load the best checkpoint of run `run_dir` (of the same task and model settings) into
    `model`: where a pruning or a fine-tuning begins. The model was built with that run's
    vocabulary (its alphabet, labels or tokens: see `ready_to_train`), so new data whose
    symbols it never saw is refused by the task's own checks, not by a weight's shape."""
    path, tensors, _ = started_from(spec, run_dir)
    load_model(model, tensors, path)


def saved_task(meta: dict):
    """The task name a checkpoint's metadata gives, or None."""
    task = meta.get("task")
    return task.get("name") if isinstance(task, dict) else None


def claim(run_dir: Path, config) -> RunLock:
    """Lock the run folder (made if new), then check it again under the lock: another
    training may have taken it since the first check."""
    created = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CheckpointError(f"cannot create {run_dir} ({error.strerror})") from None
    try:
        lock = RunLock(run_dir).acquire()
    except BaseException:
        if created:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    try:
        check_run_folder(config)
    except BaseException:
        lock.release()
        raise
    return lock


def train(task: str, config=None, progress: Callable[[dict], None] | None = None,
          data: dict | None = None) -> dict:
    """Train `task` as `config` says (see `make_config`); return the summary: the run folder,
    steps, why it stopped, whether it failed, the baseline, and the best checkpoint's figures
    ("valid", "test", ...). `progress(event)` sees every event as it happens: "start",
    "baseline", and fit()'s "step", "skip", "eval", "diagnosis", "stop". `data`: training
    examples from Python (see `prepare`). A process started by torchrun trains its rank's
    shard of the run with the others (train/distributed.py); `progress` sees rank 0's events
    and the other ranks return only how the run ended."""
    config = make_config(task, config)
    world = join(config.dist_timeout, choose_device(config.device).type == "cuda")
    together = True  # every rank is alive at the end (else the group is left as it is)
    try:
        started = time.monotonic()
        setup = prepare(task, config, data, world)
        try:
            return run_prepared(setup, progress or (lambda event: None), started)
        finally:
            setup.close()
    except DistributedError as error:
        together = not error.lost
        raise
    except BaseException:
        together = False
        raise
    finally:
        world.close(together)


def run_prepared(setup: Setup, report: Callable[[dict], None],
                 started: float | None = None) -> dict:
    """Train a prepared run to its end and return its summary (see `train`). `started`: when
    its preparation began (time.monotonic()), so that the summary's "seconds" tell the setup
    (data, features, model, baseline), the training (what --max-minutes bounds) and the final
    figures apart."""
    spec, config, run_dir, prepared = setup.spec, setup.config, setup.run_dir, setup.prepared
    if not setup.world.writer:
        return follow(setup)
    started = time.monotonic() if started is None else started
    report({"event": "start", "task": spec.name, "run": str(run_dir), "device": setup.device.type,
            "facts": prepared.facts, "parameters": parameter_table(setup.model),
            "removed": setup.removed, "setup_s": time.monotonic() - started})
    baseline = prepared.baseline() if prepared.baseline else None
    if baseline is not None:
        report({"event": "baseline", **baseline})
    training_started = time.monotonic()
    board = TensorBoardLog(run_dir / "tensorboard") if config.tensorboard else None
    stop, smoothed, points = {}, None, []
    try:
        for event in fit(setup.model, setup.task, config, setup.folder, setup.device, setup.world):
            if event["event"] == "step":
                loss = event["loss"]
                smoothed = loss if smoothed is None else 0.95 * smoothed + 0.05 * loss
                points.append((event["step"], smoothed))
                event["smoothed_loss"] = smoothed
            if event["event"] == "stop":
                stop = event
            if board is not None:
                board.write(event)
            report(event)
    finally:
        if board is not None:
            board.close()
    final_started = time.monotonic()
    folder = setup.folder
    plot_curves(folder.read_log("metrics"), points, folder.curves, baseline)
    summary = {"task": spec.name, "run": str(run_dir), "steps": stop["step"],
               "stop_reason": stop["reason"], "failed": stop["failed"], "baseline": baseline,
               "processes": setup.world.world_size}
    model = setup.model
    if config.prune == "units" and not stop["failed"]:
        model = compact_checkpoints(setup, spec, config)
        summary["hidden_size"] = model.rnn.cells()[0].hidden_size
    summary.update(final_figures(spec, setup.task, model, run_dir, setup.device))
    done = time.monotonic()
    summary["seconds"] = {"setup": training_started - started,
                          "training": final_started - training_started,
                          "final": done - final_started, "total": done - started}
    folder.write_summary(summary)
    return summary


def follow(setup: Setup) -> dict:
    """A rank other than 0: train along, write nothing, report how the run ended."""
    stop = {}
    for event in fit(setup.model, setup.task, setup.config, setup.folder, setup.device,
                     setup.world):
        stop = event if event["event"] == "stop" else stop
    return {"task": setup.spec.name, "run": str(setup.run_dir), "rank": setup.world.rank,
            "steps": stop["step"], "stop_reason": stop["reason"], "failed": stop["failed"]}


def final_figures(spec: TaskSpec, task, model, run_dir: Path, device) -> dict:
    """The task's figures of the best checkpoint (`last` when no evaluation improved); none
    when the run kept no checkpoint."""
    path = RunFolder(run_dir).kept_checkpoint()
    if path is None:
        return {"checkpoint": None}
    tensors, _ = load_checkpoint(path)
    load_model(model, tensors, path)
    model.to(device).eval()
    return {"checkpoint": path.stem, **spec.final(task, model, run_dir)}
