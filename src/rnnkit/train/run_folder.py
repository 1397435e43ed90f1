"""The run folder: recognisably rnnkit's (a marker file), locked by the one process writing to
it, never replaced without asking, and cleaned of what a kill left behind.

A folder may become a run when it is new or empty. One holding the marker `rnnkit-run.json` is
a run: `--resume` continues it, `--overwrite` removes the files rnnkit wrote there (only those)
and starts again; without either it is refused, finished or not. Any other folder, a file, or
a place that cannot be written is refused with one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from rnnkit.config import to_dict
from rnnkit.errors import CheckpointError, ConfigError, DataError
from rnnkit.files import TEMPORARY_PREFIX, write_json, write_json_lines
from rnnkit.train.checkpoint import load_checkpoint, save_checkpoint

MARKER = "rnnkit-run.json"
LOCK = ".rnnkit.lock"
RUN_FILES = ("metrics.jsonl", "steps.jsonl", "diagnostics.jsonl", "last.safetensors",
             "best.safetensors", "config.json", "task.json", "summary.json", "curves.png",
             "confusion.png", "diagnosis.json", "gradient_flow.png", "saturation.png",
             "gradient_heatmap.png", "vocab.json", "labels.json")
RUN_FOLDERS = ("tensorboard",)


def temporary(name: str) -> bool:
    """Whether a file is a write a kill interrupted: ours (TEMPORARY_PREFIX), or the one
    safetensors writes beside its target before renaming it (`.tmp` and six characters)."""
    return name.startswith(TEMPORARY_PREFIX) or re.fullmatch(r"\.tmp[A-Za-z0-9]{6}", name) is not None


def choose_device(name: str) -> torch.device:
    """"auto" is a GPU when PyTorch sees one, else the CPU; "cuda" without a GPU is an error."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no GPU is visible to PyTorch here; use --device cpu or auto")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def check_run_folder(config) -> tuple[Path, torch.device]:
    """Check that the run folder may be used as asked (nothing is written yet); pick the
    device."""
    if not str(config.out).strip():
        raise ConfigError("--out must name a folder for the run")
    run_dir = Path(config.out)
    if run_dir.exists() and not run_dir.is_dir():
        raise CheckpointError(f"{run_dir} exists and is not a folder; choose another --out")
    RunLock(run_dir).check_free()
    is_run = (run_dir / MARKER).is_file() or older_run(run_dir)
    has_checkpoint = RunFolder(run_dir).has_checkpoint("last")
    if run_dir.is_dir() and not is_run and any(
            not (p.name.startswith(LOCK) or temporary(p.name)) for p in run_dir.iterdir()):
        raise CheckpointError(f"{run_dir} holds files and is not an rnnkit run folder; choose a new "
                              f"or empty --out (nothing there was changed)")
    if config.resume and not has_checkpoint:
        last = RunFolder(run_dir).checkpoint_path("last").name
        raise CheckpointError(f"{run_dir}: nothing to resume (no {last})")
    if is_run and not (config.resume or config.overwrite):
        held = "a run" if has_checkpoint else "an unfinished run with no checkpoint"
        raise CheckpointError(f"{run_dir} already holds {held}; pass --resume to continue it or "
                              f"--overwrite to replace it")
    writable_folder(run_dir)
    device = choose_device(config.device)
    if config.precision != "fp32" and device.type != "cuda":
        raise ConfigError(f"--precision {config.precision} needs a GPU; on CPU use fp32")
    return run_dir, device


# what may change when a run is resumed: where and how long it runs, and what it logs
RESUMABLE = {"out", "resume", "overwrite", "device", "epochs", "max_steps", "max_minutes",
             "patience", "max_bad_steps", "eval_every", "diagnose_every", "tensorboard",
             "dist_timeout", "threads"}


def check_resume(config, task_name: str, meta: dict, path: Path) -> None:
    """Resuming needs the run's own task and settings: CheckpointError naming every setting
    that differs from the checkpoint's (but budgets and logging), before anything is touched."""
    saved_task = meta["task"]["name"]
    if saved_task != task_name:
        raise CheckpointError(f"{path.parent} holds a {saved_task} run; it cannot be resumed as "
                              f"{task_name}")
    now = to_dict(config)
    differ = [f"{key} {meta['config'].get(key)!r} -> {now[key]!r}" for key in sorted(now)
              if key not in RESUMABLE and meta["config"].get(key) != now[key]]
    if differ:
        raise CheckpointError(f"--resume needs the run's own settings; these differ from "
                              f"{path}: {'; '.join(differ)}")


def older_run(run_dir: Path) -> bool:
    """A run of an rnnkit from before the marker: it holds an rnnkit checkpoint."""
    for which in ("last", "best"):
        try:
            with safe_open(str(RunFolder(run_dir).checkpoint_path(which)), framework="pt") as handle:
                meta = json.loads((handle.metadata() or {}).get("meta", "null"))
        except (OSError, SafetensorError, ValueError, RecursionError):
            continue
        if isinstance(meta, dict) and meta.get("format") == "rnnkit-checkpoint":
            return True
    return False


def writable_folder(folder: Path) -> None:
    """CheckpointError unless `folder` (or the nearest existing folder above it) is writable."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CheckpointError(f"cannot write in {existing} (permission denied)")


def start_run_folder(run_dir: Path, config, task_name: str) -> list[str]:
    """Create the folder and mark it as a run; on --overwrite remove what an earlier run wrote
    (returned, to be reported); remove temporary files a kill left; save the resolved config."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CheckpointError(f"cannot create {run_dir} ({error.strerror})") from None
    removed = []
    if config.overwrite and not config.resume:
        for name in (*RUN_FILES, MARKER):
            if (run_dir / name).is_file():
                (run_dir / name).unlink()
                removed.append(name)
        for name in RUN_FOLDERS:
            if (run_dir / name).is_dir():
                shutil.rmtree(run_dir / name)
                removed.append(name + "/")
    for leftover in run_dir.iterdir():
        if leftover.is_file() and temporary(leftover.name):
            leftover.unlink(missing_ok=True)
    write_json(run_dir / MARKER, {"format": "rnnkit-run", "task": task_name})
    RunFolder(run_dir).write_config(config)
    return [name for name in removed if name != MARKER]


class RunLock:
    """An exclusive lock on a run folder: the file `.rnnkit.lock` holding the owner's pid,
    created atomically. A lock whose process is gone is stale and taken over; one held by
    this process is taken again (a process trains one run at a time)."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK
        self.held = False

    def check_free(self) -> None:
        """CheckpointError if another living process holds the lock."""
        owner = self.owner()
        if owner is not None and owner != os.getpid() and alive(owner):
            raise CheckpointError(f"{self.path.parent} is in use by another training "
                                  f"(pid {owner}); wait for it or choose another --out")

    def acquire(self) -> RunLock:
        """Take the lock: a file holding our pid is linked into place in one step, so no other
        process ever reads the lock half written."""
        mine = self.path.with_name(f"{LOCK}.{os.getpid()}")
        mine.write_text(str(os.getpid()))
        try:
            for _ in range(2):
                try:
                    os.link(mine, self.path)
                except FileExistsError:
                    self.check_free()
                    self.path.unlink(missing_ok=True)  # stale, or our own
                    continue
                self.held = True
                return self
        finally:
            mine.unlink(missing_ok=True)
        raise CheckpointError(f"{self.path}: could not take the run folder's lock")

    def owner(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self.held and self.owner() == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_log(run_dir: str | Path, name: str) -> list[dict]:
    """The records of one of the run's JSON-lines logs (metrics, steps, diagnostics); [] if
    none. A last line cut short (a kill while it was written) is left out; a damaged record
    anywhere else is a DataError naming its line."""
    path = Path(run_dir) / name
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if not isinstance(record, dict):
            if number == len(lines) and not text.endswith("\n"):
                break  # torn: the write of this record never finished
            raise DataError(f"{path} line {number}: not a JSON record; the log is damaged")
        records.append(record)
    return records


def open_checkpoint(run_dir: str | Path, which: str = "best"):
    """(path, tensors, meta) of a run's `which` checkpoint ("best", falling back to "last")."""
    folder = RunFolder(run_dir)
    if not folder.root.is_dir():
        raise CheckpointError(f"{folder.root}: no such run folder")
    path = folder.checkpoint_path(which)
    if not path.exists():
        path = folder.checkpoint_path("last")
    tensors, meta = load_checkpoint(path)
    return path, tensors, meta


class RunFolder:
    """Every file of one run, by name, and the only code that writes them: the config and the
    task's metadata at the start, the logs (one JSON line per step, per evaluation, per
    diagnosis), the checkpoints `best` and `last` (atomically), the curves and the summary at
    the end. `NullFolder` reads the same files and writes none (the ranks > 0 of a run)."""

    CONFIG, TASK, SUMMARY, CURVES = "config.json", "task.json", "summary.json", "curves.png"
    LOGS = {"steps": "steps.jsonl", "metrics": "metrics.jsonl", "diagnostics": "diagnostics.jsonl"}
    writes = True

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    # --- reading ---------------------------------------------------------------------------
    def checkpoint_path(self, which: str) -> Path:
        """The file of checkpoint `which` ("best" or "last")."""
        if which not in ("best", "last"):
            raise ValueError(f"a run's checkpoints are 'best' and 'last', not {which!r}")
        return self.root / f"{which}.safetensors"

    def has_checkpoint(self, which: str = "last") -> bool:
        return self.checkpoint_path(which).is_file()

    def kept_checkpoint(self) -> Path | None:
        """`best`, else `last`, else None: the checkpoint whose figures a run reports."""
        return next((self.checkpoint_path(w) for w in ("best", "last") if self.has_checkpoint(w)),
                    None)

    def read_log(self, name: str) -> list[dict]:
        """The records of log `name` ("steps", "metrics" or "diagnostics")."""
        return read_log(self.root, self.LOGS[name])

    @property
    def curves(self) -> Path:
        return self.root / self.CURVES

    def read_summary(self) -> dict:
        """The summary a finished run wrote; CheckpointError when there is none or it is
        damaged."""
        path = self.root / self.SUMMARY
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CheckpointError(f"{self.root}: no {self.SUMMARY} (the run has not finished)") from None
        except (ValueError, UnicodeDecodeError):
            raise CheckpointError(f"{path}: not valid JSON") from None
        if not isinstance(summary, dict):
            raise CheckpointError(f"{path}: not a run summary")
        return summary

    # --- writing ---------------------------------------------------------------------------
    def log_step(self, record: dict) -> None:
        self._append("steps", record)

    @contextlib.contextmanager
    def step_log(self):
        """`log_step` for a whole training loop: the steps log opened once, each record
        flushed as it is written."""
        with open(self.root / self.LOGS["steps"], "a", encoding="utf-8") as log:

            def write(record: dict) -> None:
                log.write(json.dumps(record) + "\n")
                log.flush()

            yield write

    def log_eval(self, record: dict) -> None:
        self._append("metrics", record)

    def log_diagnosis(self, record: dict) -> None:
        self._append("diagnostics", record)

    def _append(self, name: str, record: dict) -> None:
        with open(self.root / self.LOGS[name], "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")

    def save_checkpoint(self, which: str, tensors: dict, meta: dict) -> None:
        save_checkpoint(self.checkpoint_path(which), tensors, meta)

    def truncate_logs(self, step: int) -> None:
        """Keep only the records of steps up to `step` in every log: what a resumed run goes
        on from, so that no step is logged twice or lost."""
        for name, file in self.LOGS.items():
            if (self.root / file).exists():
                kept = [json.dumps(r) for r in self.read_log(name) if r.get("step", 0) <= step]
                write_json_lines(self.root / file, kept)

    def write_config(self, config) -> None:
        write_json(self.root / self.CONFIG, to_dict(config))

    def write_task(self, meta: dict) -> None:
        write_json(self.root / self.TASK, meta)

    def write_summary(self, summary: dict) -> None:
        write_json(self.root / self.SUMMARY, summary)


class NullFolder(RunFolder):
    """A run folder as a rank > 0 sees it: it reads the run's files and writes none (rank 0
    writes them), so fit() never asks which rank it is."""

    writes = False

    def _append(self, name: str, record: dict) -> None:
        pass

    @contextlib.contextmanager
    def step_log(self):
        yield lambda record: None

    def save_checkpoint(self, which: str, tensors: dict, meta: dict) -> None:
        pass

    def truncate_logs(self, step: int) -> None:
        pass

    def write_config(self, config) -> None:
        pass

    def write_task(self, meta: dict) -> None:
        pass

    def write_summary(self, summary: dict) -> None:
        pass
