"""Searches over the run API on the adding task (a few seconds a trial): every trial an ordinary
run folder holding its own settings, a grid visited once per point, a pruner that stops a trial
falling behind, two worker processes on one study losing and duplicating nothing, a killed
worker's trial marked failed, and a search folder never reused for another search."""

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState, create_trial

from rnnkit.errors import CheckpointError, ConfigError
from rnnkit.files import TEMPORARY_PREFIX
from rnnkit.search.space import Dimension, all_points
from rnnkit.search.study import SearchSettings, check_folder, load_study, search

TINY = {"seq_len": 10, "hidden_size": 8, "batch_size": 8, "valid_size": 32, "steps_per_epoch": 10,
        "epochs": 1, "eval_every": 5, "device": "cpu"}
GRID = (Dimension("hidden_size", "choice", values=(4, 8)),
        Dimension("lr", "choice", values=(1e-3, 3e-3, 1e-2)))


def settings(tmp_path, **changes):
    values = {"task": "adding", "base": dict(TINY), "space": GRID, "out": str(tmp_path / "s"),
              "sampler": "grid", "pruner": "none"}
    return SearchSettings(**{**values, **changes})


def test_grid_search_runs_every_point_once_as_ordinary_runs(tmp_path):
    events = list(search(settings(tmp_path), trials=50))
    trials = [e for e in events if e["event"] == "trial"]
    assert len(trials) == 6  # capped at the grid's size
    assert sorted(map(repr, (t["params"] for t in trials))) == sorted(
        map(repr, all_points(GRID)))
    for trial in trials:
        assert trial["state"] == "complete"
        run = json.loads((tmp_path / "s" / "trials" / f"{trial['number']:04d}" /
                          "summary.json").read_text())
        config = json.loads((tmp_path / "s" / "trials" / f"{trial['number']:04d}" /
                             "config.json").read_text())
        assert {k: config[k] for k in trial["params"]} == trial["params"]
        assert config["seq_len"] == 10 and trial["value"] == run["valid"]["loss"]
    assert events[-1]["counts"]["complete"] == 6


def test_a_trial_behind_the_median_is_pruned_before_its_end(tmp_path):
    chosen = settings(tmp_path, sampler="random", pruner="median",
                      space=(Dimension("lr", "choice", values=(1e-3,)),))
    list(search(chosen, trials=1))  # makes the folder and the study
    study = load_study(chosen, tmp_path / "s")
    only = {"lr": optuna.distributions.CategoricalDistribution([1e-3])}
    for _ in range(3):  # three finished trials far better at every evaluation
        study.add_trial(create_trial(value=0.0, params={"lr": 1e-3}, distributions=only,
                                     intermediate_values={5: 0.0, 10: 0.0}))
    events = [e for e in search(chosen, trials=5) if e["event"] == "trial"]
    assert [e["state"] for e in events] == ["pruned"]
    assert events[0]["steps"] == 5  # stopped at its first evaluation, of 10 steps
    assert load_study(chosen, tmp_path / "s").trials[-1].state == TrialState.PRUNED


def test_a_search_folder_holds_one_search(tmp_path):
    list(search(settings(tmp_path), trials=1))
    with pytest.raises(CheckpointError, match="holds another search .*seq_len 10 -> 12"):
        list(search(settings(tmp_path, base={**TINY, "seq_len": 12}), trials=2))
    with pytest.raises(CheckpointError, match="sampler: 'grid' -> 'random'"):
        list(search(settings(tmp_path, sampler="random"), trials=2))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not an rnnkit search"):
        list(search(settings(tmp_path, out=str(tmp_path / "other")), trials=1))
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_a_worker_beside_one_writing_the_settings_is_not_refused(tmp_path):
    """Two workers start at once: the first is writing the settings (atomically, through a
    temporary file) while the second looks at the folder: that file is the search's own."""
    out = tmp_path / "s"
    (out / "trials").mkdir(parents=True)
    (out / f"{TEMPORARY_PREFIX}search.json.ab12cd").write_text("{")
    assert check_folder(out, {}) is False  # a new search, not someone else's files
    (out / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not an rnnkit search"):
        check_folder(out, {})


@pytest.mark.parametrize("changes, expected", [
    ({"base": {**TINY, "seq_len": 1}}, "needs --seq-len >= 2"),
    ({"space": (Dimension("proj_size", "choice", values=(0, 2)),), "base": {**TINY, "cell": "gru"}},
     "proj"),
    ({"sampler": "grid", "space": (Dimension("lr", "log", low=1e-4, high=1e-2),)}, "grid search"),
])
def test_settings_a_training_would_refuse_fail_before_any_trial(tmp_path, changes, expected):
    with pytest.raises(ConfigError, match=expected):
        list(search(settings(tmp_path, **changes), trials=2))
    assert not (tmp_path / "s" / "study.log").exists()


def worker(tmp_path, trials, extra=()):
    space = tmp_path / "space.toml"
    if not space.exists():
        space.write_text("hidden_size = [4, 6, 8, 10]\nlr = [1e-3, 3e-3]\n")
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in TINY.items()]
    return subprocess.Popen([sys.executable, "-m", "rnnkit", "search", "adding", "--space",
                             str(space), "--trials", str(trials), "--out", str(tmp_path / "s"),
                             "--sampler", "grid", "--pruner", "none", "--format", "json",
                             *flags, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_two_workers_on_one_study_lose_and_duplicate_no_trial(tmp_path):
    workers = [worker(tmp_path, 8) for _ in range(2)]
    outputs = [w.communicate(timeout=240) for w in workers]
    assert all(w.returncode == 0 for w in workers), [err for _, err in outputs]
    events = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    trials = [e for e in events if e["event"] == "trial"]
    study = optuna.load_study(study_name="rnnkit", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "s" / "study.log"))))
    assert sorted(t.number for t in study.trials) == list(range(8))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert sorted(e["number"] for e in trials) == list(range(8))  # each run by one worker
    assert len({repr(sorted(t.params.items())) for t in study.trials}) == 8  # no point twice
    folders = sorted(p.name for p in (tmp_path / "s" / "trials").iterdir())
    assert folders == [f"{n:04d}" for n in range(8)]
    assert all((tmp_path / "s" / "trials" / f / "summary.json").is_file() for f in folders)


def test_a_killed_workers_trial_is_marked_failed_and_the_search_goes_on(tmp_path):
    slow = {"epochs": 1000, "steps_per_epoch": 1000}  # a trial that would run for minutes
    first = worker(tmp_path, 3, [f"--{k.replace('_', '-')}={v}" for k, v in slow.items()])
    started = tmp_path / "s" / "trials" / "0000" / "rnnkit-run.json"  # its run has begun
    deadline = time.monotonic() + 120
    while not started.is_file() and time.monotonic() < deadline:  # (not a fixed sleep: a busy
        time.sleep(0.2)                                           # machine prepares slowly)
    time.sleep(0.5)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    same = settings(tmp_path, base={**TINY, **slow}, space=(
        Dimension("hidden_size", "choice", values=(4, 6, 8, 10)),
        Dimension("lr", "choice", values=(1e-3, 3e-3))))
    start = next(search(same, trials=1))  # the study holds one trial: nothing more to run
    assert start["failed_dead"] == [0]
    trial = load_study(same, tmp_path / "s").trials[0]
    assert trial.state == TrialState.FAIL and trial.user_attrs["failure"] == "its worker was killed"
    assert (tmp_path / "s" / "trials" / "0000" / "rnnkit-run.json").is_file()  # its run is kept


def test_a_database_storage_url_holds_the_study(tmp_path):
    """Any Optuna storage URL (here SQLite; PostgreSQL for several machines) instead of the
    folder's journal: the trials land in the database, with the heartbeat that fails the
    trials of a machine that died."""
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    events = [e for e in search(settings(tmp_path, storage=url, study="shared"), trials=2)
              if e["event"] == "trial"]
    assert [e["state"] for e in events] == ["complete", "complete"]
    study = optuna.load_study(study_name="shared", storage=url)
    assert sorted(t.number for t in study.trials) == [0, 1]
    assert not (tmp_path / "s" / "study.log").exists()
