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
from collections.abc import Callable
from pathlib import Path

import torch

from rnnkit.config import build_config, from_dict
from rnnkit.diagnostics import Thresholds
from rnnkit.diagnostics.plots import plot_flow_heatmap, plot_gradient_flow, plot_saturation
from rnnkit.errors import CheckpointError, ConfigError, UserError
from rnnkit.tasks import registry
from rnnkit.tasks.base import Prepared, TaskSpec
from rnnkit.train.checkpoint import load_checkpoint, split_prefix, write_json
from rnnkit.train.fit import fit
from rnnkit.train.plots import plot_curves
from rnnkit.train.run_folder import (
    check_run_folder,
    choose_device,
    open_checkpoint,
    read_log,
    start_run_folder,
)
from rnnkit.train.summary import parameter_table
from rnnkit.train.tensorboard import TensorBoardLog


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
    """A run ready to train: its spec, resolved config, folder and device, and what the spec
    prepared (task, model, facts, baseline)."""

    spec: TaskSpec
    config: object
    run_dir: Path
    device: torch.device
    prepared: Prepared

    @property
    def task(self):
        return self.prepared.task

    @property
    def model(self) -> torch.nn.Module:
        return self.prepared.model


def prepare(task: str, config=None, data: dict | None = None) -> Setup:
    """Check the run folder (new, or resumed / overwritten as asked), seed, read the data (or
    take `data` from Python, where the task allows it) and build the task and the model; save
    the resolved config and the task's metadata."""
    spec = registry.get(task)
    config = make_config(task, config)
    if data is not None and not spec.in_memory:
        able = [name for name, other in registry.TASKS.items() if other.in_memory]
        raise ConfigError(f"the {task} task reads its data from files; data given from Python "
                          f"works for: {', '.join(able)}")
    run_dir, device = check_run_folder(config)
    resumed = load_checkpoint(run_dir / "last.safetensors")[1] if config.resume else None
    prepared = spec.prepare(config, device, resumed, data)
    start_run_folder(run_dir, config)
    write_json(run_dir / "task.json", prepared.task.meta())
    return Setup(spec, config, run_dir, device, prepared)


def train(task: str, config=None, progress: Callable[[dict], None] | None = None,
          data: dict | None = None) -> dict:
    """Train `task` as `config` says (see `make_config`); return the summary: the run folder,
    steps, why it stopped, whether it failed, the baseline, and the best checkpoint's figures
    ("valid", "test", ...). `progress(event)` sees every event as it happens: "start",
    "baseline", and fit()'s "step", "skip", "eval", "diagnosis", "stop". `data`: training
    examples from Python (see `prepare`)."""
    setup = prepare(task, config, data)
    spec, config, run_dir, prepared = setup.spec, setup.config, setup.run_dir, setup.prepared
    report = progress or (lambda event: None)
    report({"event": "start", "task": spec.name, "run": str(run_dir), "device": setup.device.type,
            "facts": prepared.facts, "parameters": parameter_table(setup.model)})
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
    summary.update(final_figures(spec, setup.task, setup.model, run_dir, setup.device))
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
    model.load_state_dict(split_prefix(tensors, "model"))
    model.to(device).eval()
    return {"checkpoint": path.stem, **spec.final(task, model, run_dir)}


def open_run(run_dir: str | Path, which: str = "best", device: str = "auto") -> Run:
    """A saved run, its model loaded from checkpoint `which` ("best", else "last")."""
    path, tensors, meta = open_checkpoint(run_dir, which)
    name = meta.get("task", {}).get("name") if isinstance(meta.get("task"), dict) else None
    if name not in registry.TASKS:
        raise CheckpointError(f"{path}: a checkpoint of an unknown task ({name!r})")
    spec = registry.TASKS[name]
    config = from_dict(spec.config_class, meta["config"])
    chosen = choose_device(device)
    task, model = spec.reopen(config, meta, chosen)
    try:
        model.load_state_dict(split_prefix(tensors, "model"))
    except RuntimeError as error:
        raise CheckpointError(f"{path}: its weights do not fit its own config "
                              f"({str(error).splitlines()[0]})") from None
    return Run(spec, config, task, model.to(chosen).eval(), meta, Path(run_dir), path, chosen)


@dataclasses.dataclass
class Run:
    """A reopened run: its task spec, config, task (without training data), model (eval mode),
    checkpoint metadata, folder, checkpoint path and device. What it can do depends on the
    task: `evaluate`, `predict`, `generate`, `forecast`, `backtest`; every run can `diagnose`."""

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

    def diagnose(self, thresholds: Thresholds | None = None, out: str | Path | None = None) -> dict:
        """The gradient diagnosis on the run's own held-out data, with the pre-clip gradient
        norms of its training; writes diagnosis.json, gradient_flow.png, saturation.png (and
        gradient_heatmap.png when training diagnosed) to `out` (default: the run folder)."""
        self.spec.attach_data(self.task)
        grad_norms = [record["grad_norm"] for record in read_log(self.run_dir, "steps.jsonl")]
        report = self.task.diagnose(self.model, grad_norms or None, thresholds)
        folder = Path(out) if out is not None else self.run_dir
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "diagnosis.json", report)
        plot_gradient_flow(report["flow"]["last_loss"], folder / "gradient_flow.png")
        plot_saturation(report["saturation"], folder / "saturation.png")
        records = read_log(self.run_dir, "diagnostics.jsonl")
        key = next(iter(records[0]["flow"]), None) if records else None
        if key is not None:
            plot_flow_heatmap(records, key, folder / "gradient_heatmap.png")
        return report
