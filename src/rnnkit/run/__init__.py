"""The run API: train a task from a config, reopen a run folder, use what it trained.

    from rnnkit.run import open_run, train
    summary = train("classify", {"data": "train.csv", "out": "runs/sent"})
    run = open_run(summary["run"])
    run.predict(stdin_text="a superb, moving film")

(`rnnkit.train_task` and `rnnkit.open_run` are the same functions.) `train` is what
`rnnkit train TASK` calls and `open_run` what every command on a saved run calls. Final
figures always come from the best checkpoint.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import torch

from rnnkit.config import build_config, from_dict
from rnnkit.diagnostics import Thresholds
from rnnkit.diagnostics.plots import plot_flow_heatmap, plot_gradient_flow, plot_saturation
from rnnkit.errors import CheckpointError, ConfigError, UserError
from rnnkit.run.compact import compact_checkpoints
from rnnkit.tasks import registry
from rnnkit.tasks.base import Prepared, TaskSpec
from rnnkit.train.checkpoint import (
    check_weights,
    load_checkpoint,
    load_weights,
    split_prefix,
    write_json,
)
from rnnkit.train.fit import check_resumable, fit
from rnnkit.train.plots import plot_curves
from rnnkit.train.prune import stack_of
from rnnkit.train.run_folder import (
    RunLock,
    check_resume,
    check_run_folder,
    choose_device,
    open_checkpoint,
    read_log,
    start_run_folder,
    writable_folder,
)
from rnnkit.train.summary import parameter_table
from rnnkit.train.tensorboard import TensorBoardLog

DIAGNOSIS_FILES = ("diagnosis.json", "gradient_flow.png", "saturation.png", "gradient_heatmap.png")


def make_config(task: str, config=None):
    """The config of `task` from a config object, a dict of settings, or None (the defaults);
    the settings the task name fixes (e.g. which benchmark) are applied."""
    spec = registry.get(task)
    if config is None or isinstance(config, dict):
        return build_config(spec.config_class, {**(config or {}), **spec.fixed})
    if not isinstance(config, spec.config_class):
        raise TypeError(f"task {task!r} takes a {spec.config_class.__name__}, got "
                        f"{type(config).__name__}")
    config = dataclasses.replace(config, **spec.fixed)
    config.check()
    return config


@dataclasses.dataclass
class Setup:
    """A run ready to train: its spec, resolved config, folder and device, what the spec
    prepared (task, model, facts, baseline), the files an --overwrite removed, and the lock on
    the folder (`close()`, or the end of a `with` block, releases it)."""

    spec: TaskSpec
    config: object
    run_dir: Path
    device: torch.device
    prepared: Prepared
    removed: list
    lock: RunLock

    @property
    def task(self):
        return self.prepared.task

    @property
    def model(self) -> torch.nn.Module:
        return self.prepared.model

    def close(self) -> None:
        self.lock.release()

    def __enter__(self) -> Setup:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def prepare(task: str, config=None, data: dict | None = None) -> Setup:
    """Check the run folder (new, or resumed / overwritten as asked) and, on --resume, that the
    settings are the run's own; seed; read the data (or take `data` from Python, where the task
    allows it) and build the task and the model. Nothing is written before all that passed;
    then the folder is locked, marked as a run, and given the config and the task's metadata."""
    spec = registry.get(task)
    config = make_config(task, config)
    if data is not None and not spec.in_memory:
        able = [name for name, other in registry.TASKS.items() if other.in_memory]
        raise ConfigError(f"the {task} task reads its data from files; data given from Python "
                          f"works for: {', '.join(able)}")
    run_dir, device = check_run_folder(config)
    torch.manual_seed(config.seed)  # once: the model's initial weights and all that follows
    last, resumed = run_dir / "last.safetensors", None
    if config.resume:
        saved, resumed = load_checkpoint(last)
        check_resume(config, spec.name, resumed, last)
    prepared = spec.prepare(config, device, resumed, data)
    if config.resume:
        check_resumable(last, saved, resumed, prepared.model)
    elif config.start_from is not None:
        start_from(prepared.model, spec, config.start_from)
    if config.prune == "units":
        stack_of(prepared.model, config.sparsity)  # ConfigError now if they cannot be removed
    lock = claim(run_dir, config)
    try:
        removed = start_run_folder(run_dir, config, spec.name)
        write_json(run_dir / "task.json", prepared.task.meta())
    except BaseException:
        lock.release()
        raise
    return Setup(spec, config, run_dir, device, prepared, removed, lock)


def start_from(model: torch.nn.Module, spec: TaskSpec, run_dir: str) -> None:
    """Load the best checkpoint of run `run_dir` (of the same task and model settings) into
    `model`: where a pruning or a fine-tuning begins."""
    path, tensors, meta = open_checkpoint(run_dir, "best")
    saved = saved_task(meta)
    if saved != spec.name:
        raise CheckpointError(f"--start-from {run_dir}: a {saved} run; this is a {spec.name} run")
    load_weights(model, split_prefix(tensors, "model"), path)


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
    examples from Python (see `prepare`)."""
    setup = prepare(task, config, data)
    try:
        return run_prepared(setup, progress or (lambda event: None))
    finally:
        setup.close()


def run_prepared(setup: Setup, report: Callable[[dict], None]) -> dict:
    """Train a prepared run to its end and return its summary (see `train`)."""
    spec, config, run_dir, prepared = setup.spec, setup.config, setup.run_dir, setup.prepared
    report({"event": "start", "task": spec.name, "run": str(run_dir), "device": setup.device.type,
            "facts": prepared.facts, "parameters": parameter_table(setup.model),
            "removed": setup.removed})
    baseline = prepared.baseline() if prepared.baseline else None
    if baseline is not None:
        report({"event": "baseline", **baseline})
    board = TensorBoardLog(run_dir / "tensorboard") if config.tensorboard else None
    stop, smoothed, points = {}, None, []
    try:
        for event in fit(setup.model, setup.task, config, run_dir, setup.device):
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
    plot_curves(read_log(run_dir, "metrics.jsonl"), points, run_dir / "curves.png")
    summary = {"task": spec.name, "run": str(run_dir), "steps": stop["step"],
               "stop_reason": stop["reason"], "failed": stop["failed"], "baseline": baseline}
    model = setup.model
    if config.prune == "units" and not stop["failed"]:
        model = compact_checkpoints(setup, spec, config)
        summary["hidden_size"] = model.rnn.cells()[0].hidden_size
    summary.update(final_figures(spec, setup.task, model, run_dir, setup.device))
    write_json(run_dir / "summary.json", summary)
    return summary


def final_figures(spec: TaskSpec, task, model, run_dir: Path, device) -> dict:
    """The task's figures of the best checkpoint (`last` when no evaluation improved); none
    when the run kept no checkpoint."""
    path = next((run_dir / f"{name}.safetensors" for name in ("best", "last")
                 if (run_dir / f"{name}.safetensors").exists()), None)
    if path is None:
        return {"checkpoint": None}
    tensors, _ = load_checkpoint(path)
    load_weights(model, split_prefix(tensors, "model"), path)
    model.to(device).eval()
    return {"checkpoint": path.stem, **spec.final(task, model, run_dir)}


def open_run(run_dir: str | Path, which: str = "best", device: str = "auto") -> Run:
    """A saved run, its model loaded from checkpoint `which` ("best", else "last"). The model
    its config describes is first built on PyTorch's meta device (no memory) and its shapes
    checked against the weights, so a checkpoint whose config does not fit its weights is one
    error, before anything is allocated."""
    path, tensors, meta = open_checkpoint(run_dir, which)
    name = meta["task"]["name"]
    if name not in registry.TASKS:
        raise CheckpointError(f"{path}: a checkpoint of an unknown task ({name!r})")
    spec = registry.TASKS[name]
    config = checked_config(spec, meta, path)
    chosen = choose_device(device)
    weights = split_prefix(tensors, "model")
    task, build = spec.reopen(config, meta, chosen)
    with torch.device("meta"):
        check_weights(build(), weights, path)
    model = build()
    load_weights(model, weights, path)
    return Run(spec, config, task, model.to(chosen).eval(), meta, Path(run_dir), path, chosen)


def checked_config(spec: TaskSpec, meta: dict, path: Path):
    """The run's config from a checkpoint, every key checked; CheckpointError if it is not one
    this task can have, or its task metadata is damaged."""
    try:
        return from_dict(spec.config_class, meta["config"])
    except ConfigError as error:
        raise CheckpointError(f"{path}: its saved config is not valid ({error})") from None


@dataclasses.dataclass
class Run:
    """A reopened run: its task spec, config, task (without training data), model (eval mode),
    checkpoint metadata, folder, checkpoint path and device. What it can do depends on the
    task: `evaluate`, `predict`, `generate`, `forecast`, `backtest`, `translate`, `caption`,
    `transcribe`, `stream`;
    every run can `diagnose`."""

    spec: TaskSpec
    config: object
    task: object
    model: torch.nn.Module
    meta: dict
    run_dir: Path
    path: Path
    device: torch.device

    @property
    def name(self) -> str:
        return self.spec.name

    def _capability(self, verb: str):
        found = getattr(self.spec, verb)
        if found is None:
            able = [name for name, spec in registry.TASKS.items() if getattr(spec, verb)]
            raise UserError(f"{self.path}: `{verb}` works on {', '.join(able)} runs; this is a "
                            f"{self.name} run")
        return found

    def evaluate(self, data: str | None = None, **options) -> dict:
        return self._capability("evaluate")(self, data, **options)

    def predict(self, source: str = "-", **options) -> list[dict]:
        return self._capability("predict")(self, source, **options)

    def generate(self, prime: str = "", length: int = 500, **sampling) -> str:
        return self._capability("generate")(self, prime, length, **sampling)

    def forecast(self, data: str | None = None, horizon: int | None = None) -> list[dict]:
        return self._capability("forecast")(self, data, horizon)

    def backtest(self, data: str | None = None, folds: int = 5) -> dict:
        return self._capability("backtest")(self, data, folds)

    def translate(self, source: str = "-", **options) -> list[dict]:
        return self._capability("translate")(self, source, **options)

    def caption(self, images, **options) -> list[dict]:
        return self._capability("caption")(self, images, **options)

    def transcribe(self, paths, **options) -> list[dict]:
        return self._capability("transcribe")(self, paths, **options)

    def stream(self, path, chunk_ms: float = 200.0):
        """The partial transcripts of `path` fed in `chunk_ms` chunks (a generator)."""
        return self._capability("stream")(self, path, chunk_ms)

    def diagnose(self, thresholds: Thresholds | None = None, out: str | Path | None = None) -> dict:
        """The gradient diagnosis on the run's own held-out data, with the pre-clip gradient
        norms of its training; writes diagnosis.json, gradient_flow.png, saturation.png (and
        gradient_heatmap.png when training diagnosed) to `out` (default: the run folder)."""
        folder = Path(out) if out is not None else self.run_dir
        writable_folder(folder)
        self.spec.attach_data(self.task)
        grad_norms = [record["grad_norm"] for record in read_log(self.run_dir, "steps.jsonl")
                      if isinstance(record.get("grad_norm"), (int, float))]
        report = self.task.diagnose(self.model, grad_norms or None, thresholds)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(f"cannot create {folder} ({error.strerror})") from None
        json_file, flow_file, saturation_file, heatmap_file = (folder / n for n in DIAGNOSIS_FILES)
        write_json(json_file, report)
        plot_gradient_flow(report["flow"]["last_loss"], flow_file)
        plot_saturation(report["saturation"], saturation_file)
        records = [r for r in read_log(self.run_dir, "diagnostics.jsonl")
                   if isinstance(r.get("flow"), dict) and r["flow"] and isinstance(r.get("step"), int)]
        key = next(iter(records[0]["flow"])) if records else None
        if key is not None:
            plot_flow_heatmap(records, key, heatmap_file)
        return report

