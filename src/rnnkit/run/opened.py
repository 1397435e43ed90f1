"""A saved run, reopened: `open_run(run_dir)` -> a `Run` that evaluates, predicts, generates,
forecasts, translates, captions, transcribes and diagnoses (what its task can do)."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import torch

from rnnkit.config import from_dict
from rnnkit.diagnostics import Thresholds
from rnnkit.diagnostics.plots import plot_flow_heatmap, plot_gradient_flow, plot_saturation
from rnnkit.errors import CheckpointError, ConfigError, UserError
from rnnkit.files import write_json
from rnnkit.tasks import registry
from rnnkit.tasks.base import TaskSpec
from rnnkit.train.checkpoint import check_weights, load_weights, model_weights
from rnnkit.train.run_folder import RunFolder, choose_device, open_checkpoint, writable_folder

DIAGNOSIS_FILES = ("diagnosis.json", "gradient_flow.png", "saturation.png", "gradient_heatmap.png")


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
    weights = model_weights(tensors)
    with damaged_metadata(path):
        task, build = spec.reopen(config, meta, chosen)
        with torch.device("meta"):
            probe = build()
    check_weights(probe, weights, path)
    model = build()
    load_weights(model, weights, path)
    return Run(spec, config, task, model.to(chosen).eval(), meta, Path(run_dir), path, chosen)


@contextlib.contextmanager
def damaged_metadata(path: Path):
    """Reading a checkpoint's task metadata (vocabularies, labels, scales) and building the model
    it describes on the meta device: what goes wrong there is the file's, said in one line (a
    crafted file may hold anything JSON can)."""
    try:
        yield
    except UserError:
        raise
    except RuntimeError as error:
        if "overflow" not in str(error):
            raise
        raise CheckpointError(f"{path}: its config describes a model larger than a tensor can "
                              f"address") from None
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as error:
        raise CheckpointError(f"{path}: its task metadata is damaged ({error.__class__.__name__}: "
                              f"{error})") from None


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
    def folder(self) -> RunFolder:
        """The run's files by name (its curves, logs, summary)."""
        return RunFolder(self.run_dir)

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

    def backtest(self, data: str | None = None, folds: int = 5, **options) -> dict:
        return self._capability("backtest")(self, data, folds, **options)

    def translate(self, source: str | list[str] = "-", **options) -> list[dict]:
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
        grad_norms = [record["grad_norm"] for record in self.folder.read_log("steps")
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
        records = [r for r in self.folder.read_log("diagnostics")
                   if isinstance(r.get("flow"), dict) and r["flow"] and isinstance(r.get("step"), int)]
        key = next(iter(records[0]["flow"])) if records else None
        if key is not None:
            plot_flow_heatmap(records, key, heatmap_file)
        return report

