"""Hyperparameter search with Optuna over the run API: every trial is an ordinary training.

    from rnnkit.search.study import SearchSettings, search
    settings = SearchSettings(task="lm", base={"dataset": "shakespeare", "max_steps": 300},
                              space=read_space("space.toml", ...), out="searches/s1")
    for event in search(settings, trials=20):
        ...

A search folder holds `search.json` (what is searched, checked again on every start), the
study's journal `study.log` (Optuna's file storage, locked for writers: several processes may
pull trials from one study), and one run folder per trial under `trials/`. Every evaluation of
a trial is reported to Optuna, so its pruner can stop a trial early. A trial whose process was
killed stays RUNNING in the journal; the next start on this machine marks it FAIL (its pid is
gone), so it is counted, never lost. Library code: returns events, prints nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import math
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import TrialState

from rnnkit.config import to_dict
from rnnkit.errors import CheckpointError, ConfigError, UserError
from rnnkit.files import TEMPORARY_PREFIX, write_json
from rnnkit.run import make_config, train
from rnnkit.search.journal import open_storage
from rnnkit.search.space import (
    PRUNERS,
    SAMPLERS,
    Dimension,
    grid_points,
    grid_size,
    space_from_dicts,
)
from rnnkit.tasks import registry
from rnnkit.train.run_folder import alive

HIGHER_IS_BETTER = {"accuracy", "f1", "token_accuracy", "macro_f1", "bleu", "chrf",
                    "exact_match", "r2"}
SETTINGS_FILE = "search.json"
ASK_LOCK = ".ask.lock"
RUN_FIELDS = ("out", "overwrite", "resume")


@dataclass(frozen=True)
class SearchSettings:
    """What a search is: the task, the settings every trial shares (`base`: a dict of config
    fields), the space, the sampler and pruner, the metric optimised and its direction, the
    search folder, and where the study lives (`storage`: None for the folder's journal, or any
    Optuna storage URL such as postgresql://...; `study` names it there)."""

    task: str
    base: dict
    space: tuple[Dimension, ...]
    out: str
    sampler: str = "tpe"
    pruner: str = "halving"  # docs/benchmarks.md: within 1 % of unpruned at 0.3x the steps
    metric: str = "loss"
    direction: str | None = None  # None: maximize for accuracy-like metrics, else minimize
    study: str = "rnnkit"
    storage: str | None = None
    seed: int = 0

    def resolved_direction(self) -> str:
        if self.direction is not None:
            return self.direction
        return "maximize" if self.metric in HIGHER_IS_BETTER else "minimize"

    def to_dict(self) -> dict:
        found = dataclasses.asdict(self)
        found["space"] = [d.to_dict() for d in self.space]
        found["direction"] = self.resolved_direction()
        return found


def check_settings(settings: SearchSettings) -> dict:
    """The base config with every dimension's bounds applied, all checked as a training would
    check them; the base as a full config dict (without run-folder fields)."""
    if settings.sampler not in SAMPLERS:
        raise ConfigError(f"--sampler must be one of {', '.join(SAMPLERS)}, got {settings.sampler!r}")
    if settings.pruner not in PRUNERS:
        raise ConfigError(f"--pruner must be one of {', '.join(PRUNERS)}, got {settings.pruner!r}")
    if settings.direction not in (None, "minimize", "maximize"):
        raise ConfigError(f"--direction must be minimize or maximize, got {settings.direction!r}")
    if not str(settings.study).strip():
        raise ConfigError("--study must name the study")
    if settings.sampler == "grid":
        grid_size(settings.space)  # a continuous range is an error here
    base = {k: v for k, v in settings.base.items() if k not in RUN_FIELDS}
    names = [d.name for d in settings.space]
    if len(set(names)) != len(names):
        raise ConfigError("the space names a setting twice")
    for point in corners(settings.space):
        make_config(settings.task, {**base, **point, "out": "unused"})  # ConfigError if refused
    resolved = to_dict(make_config(settings.task, {**base, "out": "unused"}))
    return {k: v for k, v in resolved.items() if k not in RUN_FIELDS}


def corners(space: tuple[Dimension, ...]) -> list[dict]:
    """Points that test every bound and every choice of each dimension (the others at their
    first value): what a training would refuse shows before a trial starts."""
    first = {d.name: d.values[0] if d.kind == "choice" else d.low for d in space}
    points = [first]
    for d in space:
        for value in (d.values if d.kind == "choice" else (d.low, d.high)):
            points.append({**first, d.name: value})
    return points


def open_folder(settings: SearchSettings) -> Path:
    """The search folder, made or checked: a folder that holds a search must hold this one
    (the same task, space, sampler, base settings...); anything else is refused untouched.
    Checked again under the folder's lock, where several workers may be starting at once."""
    out = Path(settings.out)
    if not str(settings.out).strip():
        raise ConfigError("--out must name a folder for the search")
    if out.exists() and not out.is_dir():
        raise CheckpointError(f"{out} exists and is not a folder; choose another --out")
    wanted = {**settings.to_dict(), "base": check_settings(settings)}
    check_folder(out, wanted)  # before anything is written into it
    try:
        (out / "trials").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CheckpointError(f"cannot create {out} ({error.strerror})") from None
    with ask_lock(out):
        if not check_folder(out, wanted):
            write_json(out / SETTINGS_FILE, wanted)
    return out


def check_folder(out: Path, wanted: dict) -> bool:
    """Whether `out` holds this search already; CheckpointError if it holds another search or
    files of someone else's (a worker starting beside us may have made `trials/` and the lock)."""
    if (out / SETTINGS_FILE).is_file():
        saved = read_settings(out)
        differ = [f"{k}: {saved.get(k)!r} -> {wanted[k]!r}" for k in sorted(wanted)
                  if k not in ("out", "base") and saved.get(k) != wanted[k]]
        old_base = saved.get("base") if isinstance(saved.get("base"), dict) else {}
        differ += [f"{k} {old_base.get(k)!r} -> {v!r}" for k, v in wanted["base"].items()
                   if old_base.get(k) != v]
        if differ:
            detail = "; ".join(differ[:4]) + (" ..." if len(differ) > 4 else "")
            raise CheckpointError(f"{out} holds another search ({detail}); use its own settings "
                                  f"to continue it, or choose another --out")
        return True
    ours = {ASK_LOCK, "trials"}  # and the settings being written (atomically) by that worker
    if out.is_dir() and any((p.name not in ours and not p.name.startswith(TEMPORARY_PREFIX))
                            or (p.name == "trials" and any(p.iterdir())) for p in out.iterdir()):
        raise CheckpointError(f"{out} holds files and is not an rnnkit search; choose a new or "
                              f"empty --out (nothing there was changed)")
    return False


def read_settings(folder: str | Path) -> dict:
    import json

    path = Path(folder) / SETTINGS_FILE
    if not path.is_file():
        raise CheckpointError(f"{folder}: not an rnnkit search folder (no {SETTINGS_FILE})")
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise CheckpointError(f"{path}: not valid JSON; the search folder is damaged") from None
    keys = {f.name for f in dataclasses.fields(SearchSettings)}
    if not isinstance(saved, dict) or set(saved) != keys:
        raise CheckpointError(f"{path}: not an rnnkit search description")
    return saved


def settings_from_folder(folder: str | Path) -> SearchSettings:
    """The settings a search folder was made with, checked."""
    saved = read_settings(folder)
    if not isinstance(saved["task"], str) or saved["task"] not in registry.TASKS:
        raise CheckpointError(f"{folder}: a search of an unknown task ({saved['task']!r})")
    if not isinstance(saved["base"], dict):
        raise CheckpointError(f"{folder}/{SETTINGS_FILE}: its base settings are damaged")
    try:
        space = space_from_dicts(saved["space"], registry.get(saved["task"]).config_class)
        settings = SearchSettings(**{**saved, "space": space, "out": str(folder)})
        check_settings(settings)
    except (ConfigError, TypeError) as error:
        raise CheckpointError(f"{folder}/{SETTINGS_FILE} is damaged ({error})") from None
    return settings


class GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler without its stop at the grid's end (which only works inside
    `study.optimize`): `search` asks for no more trials than the grid has points."""

    def after_trial(self, study, trial, state, values) -> None:
        return None


def make_sampler(settings: SearchSettings, seed: int):
    if settings.sampler == "grid":  # every worker must shuffle the grid the same way
        return GridSampler(grid_points(settings.space), seed=settings.seed)
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)


def make_pruner(name: str):
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()


def load_study(settings: SearchSettings, folder: Path, seed: int = 0) -> optuna.Study:
    return optuna.create_study(storage=open_storage(settings.storage, folder), study_name=settings.study,
                               direction=settings.resolved_direction(), load_if_exists=True,
                               sampler=make_sampler(settings, seed),
                               pruner=make_pruner(settings.pruner))


class ask_lock:
    """An exclusive lock of the search folder while a worker counts the trials and takes the
    next one, so workers on one machine never overshoot the number of trials asked for nor
    draw the same grid point."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / ASK_LOCK

    def __enter__(self):
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def fail_dead_trials(study: optuna.Study) -> list[int]:
    """Mark FAIL the RUNNING trials of this machine whose process is gone (a killed worker);
    on a database storage Optuna's heartbeat does the same for every machine."""
    failed = []
    host = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get("worker", {})
        if worker.get("host") == host and isinstance(worker.get("pid"), int) \
                and not alive(worker["pid"]):
            study._storage.set_trial_user_attr(trial._trial_id, "failure", "its worker was killed")
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            failed.append(trial.number)
    if isinstance(study._storage, optuna.storages.RDBStorage):
        optuna.storages.fail_stale_trials(study)
    return failed


@contextlib.contextmanager
def heartbeat(study, trial):
    """While a trial runs on a database storage, tell it every heartbeat interval that its
    worker lives (so another machine's `fail_stale_trials` fails it if the worker dies)."""
    storage = study._storage
    interval = storage.get_heartbeat_interval() if hasattr(storage, "record_heartbeat") else None
    if not interval:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            storage.record_heartbeat(trial._trial_id)
            stop.wait(interval)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def search(settings: SearchSettings, trials: int):
    """Run trials until the study holds `trials` (all states counted, other workers' too);
    yield an event per trial ("trial": number, state, value, params, steps, run) and a last
    "done" event. Several processes may run this on one search at once."""
    if not (isinstance(trials, int) and trials >= 1):
        raise ConfigError(f"--trials must be a whole number >= 1, got {trials!r}")
    folder = open_folder(settings)
    base = check_settings(settings)
    if settings.sampler == "grid" and trials > grid_size(settings.space):
        trials = grid_size(settings.space)
    with ask_lock(folder):
        study = load_study(settings, folder)
        failed = fail_dead_trials(study)
        workers = study.user_attrs.get("workers", 0)  # each worker samples with a seed of its own
        study.set_user_attr("workers", workers + 1)
        study.sampler = make_sampler(settings, settings.seed + workers)
    yield {"event": "start", "folder": str(folder), "trials": trials, "failed_dead": failed,
           "direction": settings.resolved_direction(), "done": count_finished(study)}
    while True:
        with ask_lock(folder):
            if len(study.get_trials(deepcopy=False)) >= trials:
                break
            trial = study.ask()
            trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": os.getpid()})
            params = {d.name: d.suggest(trial) for d in settings.space}
        with heartbeat(study, trial):
            record = run_trial(study, trial, settings, base, params, folder)
        yield record
    yield {"event": "done", "folder": str(folder), **summary_counts(study)}


def run_trial(study, trial, settings: SearchSettings, base: dict, params: dict,
              folder: Path) -> dict:
    """Train one trial's run, reporting each evaluation to the pruner; tell Optuna how it
    ended. A trial a training refuses (bad input) fails with the reason; a bug is re-raised
    after the trial is marked failed."""
    run_dir = folder / "trials" / f"{trial.number:04d}"
    trial.set_user_attr("run", str(run_dir))
    seen = {"step": 0}
    metric = f"valid_{settings.metric}"

    def progress(event: dict) -> None:
        if event["event"] == "step":
            seen["step"] = event["step"]
        if event["event"] == "eval" and event.get("kept", True):
            if metric not in event:
                known = sorted(k[len("valid_"):] for k in event if k.startswith("valid_"))
                raise ConfigError(f"--metric {settings.metric}: this task reports "
                                  f"{', '.join(known)}")
            value = event[metric]
            if isinstance(value, (int, float)) and math.isfinite(value):
                trial.report(float(value), event["step"])
                if trial.should_prune():
                    raise optuna.TrialPruned()

    record = {"event": "trial", "number": trial.number, "params": params, "run": str(run_dir)}
    try:
        summary = train(settings.task, {**base, **params, "out": str(run_dir)}, progress)
    except optuna.TrialPruned:
        trial.set_user_attr("steps", seen["step"])
        study.tell(trial, state=TrialState.PRUNED)
        return {**record, "state": "pruned", "steps": seen["step"], "value": None}
    except UserError as error:
        trial.set_user_attr("steps", seen["step"])
        trial.set_user_attr("failure", str(error))
        study.tell(trial, state=TrialState.FAIL)
        if isinstance(error, ConfigError) and error.args[0].startswith("--metric"):
            raise
        return {**record, "state": "failed", "steps": seen["step"], "value": None,
                "reason": str(error)}
    except BaseException:
        trial.set_user_attr("failure", "interrupted or crashed")
        study.tell(trial, state=TrialState.FAIL)
        raise
    trial.set_user_attr("steps", summary["steps"])
    value = (summary.get("valid") or {}).get(settings.metric)
    if summary["failed"] or not isinstance(value, (int, float)) or not math.isfinite(value):
        reason = summary["stop_reason"] if summary["failed"] else "no finite validation figure"
        trial.set_user_attr("failure", reason)
        study.tell(trial, state=TrialState.FAIL)
        return {**record, "state": "failed", "steps": summary["steps"], "value": None,
                "reason": reason}
    study.tell(trial, float(value))
    return {**record, "state": "complete", "steps": summary["steps"], "value": float(value)}


def count_finished(study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED,
                                                         TrialState.FAIL)))


def summary_counts(study) -> dict:
    counts = {state.name.lower(): 0 for state in TrialState}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name.lower()] += 1
    return {"counts": counts}
