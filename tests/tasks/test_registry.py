"""The registry: every task by name, each spec complete; an unknown name lists the tasks."""

import pytest

from rnnkit.errors import ConfigError
from rnnkit.tasks.registry import TASKS, get


def test_unknown_task_names_the_tasks():
    with pytest.raises(ConfigError, match="unknown task 'translate'; the tasks are: lm, classify"):
        get("translate")


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_spec_is_complete(name):
    spec = get(name)
    assert spec.name == name and spec.help and spec.description
    for part in (spec.prepare, spec.final, spec.reopen, spec.attach_data):
        assert callable(part)
    assert spec.config_class().check() is None  # the defaults are a valid config


def test_benchmarks_fix_which_task_they_are():
    assert {name: TASKS[name].fixed for name in ("adding", "copy")} == {
        "adding": {"task": "adding"}, "copy": {"task": "copy"}}
