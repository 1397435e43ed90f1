"""What a search found: its trials best first, which settings mattered, its plots, and the
best trial's settings as a config file for `rnnkit train --config`."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import optuna  # noqa: E402
import tomli_w  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from rnnkit.errors import UserError  # noqa: E402
from rnnkit.files import write_atomic  # noqa: E402
from rnnkit.search.journal import JOURNAL  # noqa: E402
from rnnkit.search.study import (  # noqa: E402
    fail_dead_trials,
    load_study,
    settings_from_folder,
)
from rnnkit.tasks import registry  # noqa: E402

PLOTS = ("history.png", "slices.png")


def open_search(folder: str | Path):
    """(settings, study) of a search folder."""
    settings = settings_from_folder(folder)
    if settings.storage is None and not (Path(folder) / JOURNAL).is_file():
        raise UserError(f"{folder}: the search has run no trial yet")
    study = load_study(settings, Path(folder))
    fail_dead_trials(study)
    return settings, study


def trial_rows(study: optuna.Study) -> list[dict]:
    """One record per trial: complete ones best first, then pruned (by their last reported
    figure), failed and running ones."""
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    order = {TrialState.COMPLETE: 0, TrialState.PRUNED: 1, TrialState.FAIL: 2,
             TrialState.RUNNING: 3, TrialState.WAITING: 4}
    rows = []
    for trial in study.get_trials(deepcopy=False):
        value = trial.value
        if value is None and trial.intermediate_values:
            value = trial.intermediate_values[max(trial.intermediate_values)]
        rows.append({"number": trial.number, "state": trial.state.name.lower(), "value": value,
                     "steps": trial.user_attrs.get("steps"), "params": trial.params,
                     "run": trial.user_attrs.get("run"), "failure": trial.user_attrs.get("failure"),
                     "_key": (order[trial.state],
                              math.inf if value is None else (-value if maximize else value))})
    rows.sort(key=lambda row: row["_key"])
    for row in rows:
        del row["_key"]
    return rows


def importances(study: optuna.Study) -> dict[str, float]:
    """Optuna's parameter importances (fANOVA) over the complete trials; {} with fewer than
    two complete trials or nothing that varied."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    varied = {name for trial in complete for name in trial.params
              if len({repr(t.params.get(name)) for t in complete}) > 1}
    if len(complete) < 2 or not varied:
        return {}
    try:
        return dict(optuna.importance.get_param_importances(study, params=sorted(varied)))
    except (RuntimeError, ValueError):  # too few distinct trials for the evaluator
        return {}


def write_plots(study: optuna.Study, folder: Path) -> list[str]:
    """history.png (the optimisation history) and slices.png (figure against each setting)
    of the complete trials; the names written."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return []
    written = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for name, plot in zip(PLOTS, (optuna.visualization.matplotlib.plot_optimization_history,
                                      optuna.visualization.matplotlib.plot_slice)):
            axes = plot(study)
            figure = axes.flat[0].figure if hasattr(axes, "flat") else axes.figure
            figure.set_size_inches(max(6.0, figure.get_size_inches()[0]), 4.5)
            write_atomic(folder / name, lambda tmp, f=figure: f.savefig(
                tmp, format="png", dpi=110, bbox_inches="tight"))
            plt.close(figure)
            written.append(name)
    return written


def best_config(settings, study: optuna.Study) -> dict:
    """The settings of the best complete trial: the search's base settings with its params."""
    try:
        best = study.best_trial
    except ValueError:
        raise UserError(f"{settings.out}: no trial has completed yet; nothing to export") from None
    fixed = registry.get(settings.task).fixed
    return {k: v for k, v in {**settings.base, **best.params}.items() if k not in fixed}


def write_config(config: dict, path: Path, task: str) -> None:
    """A TOML config file of `config` (None values are left out: they are the defaults)."""
    values = {k: v for k, v in config.items() if v is not None}
    text = f"# the best trial of an rnnkit search; rnnkit train {task} --config {path.name}\n"
    text += tomli_w.dumps(values)
    write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
