"""The run folder: never replaced without asking; the device a run uses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from rnnkit.config import to_dict
from rnnkit.errors import CheckpointError, ConfigError
from rnnkit.train.checkpoint import load_checkpoint, write_json

RUN_FILES = ("metrics.jsonl", "steps.jsonl", "diagnostics.jsonl", "last.safetensors",
             "best.safetensors", "task.json", "summary.json", "curves.png", "confusion.png",
             "diagnosis.json", "gradient_flow.png", "saturation.png", "gradient_heatmap.png")


def choose_device(name: str) -> torch.device:
    """"auto" is a GPU when PyTorch sees one, else the CPU; "cuda" without a GPU is an error."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no GPU is visible to PyTorch here; use --device cpu or auto")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def check_run_folder(config) -> tuple[Path, torch.device]:
    """Check that the run folder may be used as asked, pick the device, seed everything."""
    run_dir = Path(config.out)
    existing = (run_dir / "last.safetensors").exists()
    if config.resume and not existing:
        raise CheckpointError(f"{run_dir}: nothing to resume (no last.safetensors)")
    if existing and not (config.resume or config.overwrite):
        raise CheckpointError(f"{run_dir} already holds a run; pass --resume to continue it or "
                         f"--overwrite to replace it")
    device = choose_device(config.device)
    if config.precision != "fp32" and device.type != "cuda":
        raise ConfigError(f"--precision {config.precision} needs a GPU; on CPU use fp32")
    torch.manual_seed(config.seed)
    return run_dir, device


def start_run_folder(run_dir: Path, config) -> None:
    """Create the folder; on --overwrite remove the old run's files; save the resolved config."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if config.overwrite and not config.resume:
        for name in RUN_FILES:
            (run_dir / name).unlink(missing_ok=True)
        shutil.rmtree(run_dir / "tensorboard", ignore_errors=True)
    write_json(run_dir / "config.json", to_dict(config))


def read_log(run_dir: str | Path, name: str) -> list[dict]:
    """The records of one of the run's JSON-lines logs (metrics, steps, diagnostics); [] if none."""
    path = Path(run_dir) / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def open_checkpoint(run_dir: str | Path, which: str = "best"):
    """(path, tensors, meta) of a run's `which` checkpoint ("best", falling back to "last")."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(f"{run_dir}: no such run folder")
    path = run_dir / f"{which}.safetensors"
    if not path.exists():
        path = run_dir / "last.safetensors"
    tensors, meta = load_checkpoint(path)
    if meta.get("format") != "rnnkit-checkpoint":
        raise CheckpointError(f"{path}: not an rnnkit checkpoint")
    return path, tensors, meta
