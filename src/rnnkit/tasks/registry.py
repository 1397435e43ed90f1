"""Every task by name: the one place a task name turns into what it is.

Adding a task is one package under `tasks/` with a `spec.py`, and one line here.
"""

from __future__ import annotations

from rnnkit.errors import ConfigError
from rnnkit.tasks.asr.spec import SPEC as ASR
from rnnkit.tasks.base import TaskSpec
from rnnkit.tasks.caption.spec import SPEC as CAPTION
from rnnkit.tasks.classify.spec import SPEC as CLASSIFY
from rnnkit.tasks.forecast.spec import SPEC as FORECAST
from rnnkit.tasks.lm.spec import SPEC as LM
from rnnkit.tasks.seq2seq.spec import SPEC as SEQ2SEQ
from rnnkit.tasks.synthetic.spec import SPECS as SYNTHETIC
from rnnkit.tasks.tag.spec import SPEC as TAG

TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (LM, CLASSIFY, TAG, FORECAST, SEQ2SEQ,
                                                    CAPTION, ASR, *SYNTHETIC)}


def get(name: str) -> TaskSpec:
    """The spec of task `name`; ConfigError naming the tasks there are."""
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; the tasks are: {', '.join(TASKS)}")
    return TASKS[name]
