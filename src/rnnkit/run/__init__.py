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

from rnnkit.run.opened import DIAGNOSIS_FILES, Run, checked_config, open_run
from rnnkit.run.train import Setup, make_config, prepare, run_prepared, saved_task, train

__all__ = ["DIAGNOSIS_FILES", "Run", "Setup", "checked_config", "make_config", "open_run",
           "prepare", "run_prepared", "saved_task", "train"]
