"""Every setting of every task, given a hostile value (NaN, infinity, an integer past 64 bits,
a value of another type, one just outside its range) in a config file: one error line that
names the setting, exit code 2, and no run folder made. Checked by the config layer itself."""

import dataclasses
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import one_error_line, run_cli
from rnnkit.config import type_of
from rnnkit.tasks.registry import TASKS

FIELDS = [(task, f) for task, spec in TASKS.items() for f in dataclasses.fields(spec.config_class)
          if f.name not in ("out", "overwrite", "resume", *spec.fixed)]  # (the command sets these)


def toml_value(value) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def hostile_values(field) -> list:
    kind = type_of(field)
    found = [[1, 2], [["a"]]]
    if kind in (int, float):
        found += [math.nan, math.inf, -math.inf, "abc", True]
        low, high = field.metadata.get("low"), field.metadata.get("high")
        if kind is int:
            found += [2**64, -(2**64), 1.5]
            if low is not None:
                found.append(low - 1)
            if high is not None and high < 2**63 - 1:
                found.append(high + 1)
        else:
            if low is not None:
                found.append(low - 1.0)
            if high is not None:
                found.append(high + 1.0)
    elif kind is bool:
        found += ["yes", 1, 0.5]
    else:
        found += [5, 2.5, True]
        if field.metadata.get("choices"):
            found.append("not-a-choice")
    return found


CASES = [(task, f.name, value) for task, f in FIELDS for value in hostile_values(f)]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=st.sampled_from(CASES))
def test_a_hostile_setting_is_one_line_and_exit_2(tmp_path_factory, capsys, case):
    task, name, value = case
    folder = tmp_path_factory.mktemp("hostile")
    config = folder / "config.toml"
    config.write_text(f"{name} = {toml_value(value)}\n")
    code, _, err = run_cli(["train", task, "--config", config, "--out", folder / "run"], capsys)
    assert code == 2, (task, name, value, err)
    assert name in one_error_line(err), (task, name, value)
    assert not (folder / "run").exists()


def test_every_case_is_drawn_from_every_task():
    assert {task for task, _, _ in CASES} == set(TASKS) and len(CASES) > 500


def test_the_config_layer_refuses_every_hostile_value_of_every_setting():
    """All of CASES (the command-line test above draws from them), at the config layer."""
    import pytest

    from rnnkit.config import build_config
    from rnnkit.errors import ConfigError

    for task, name, value in CASES:
        with pytest.raises(ConfigError, match=name):
            build_config(TASKS[task].config_class, {name: value})
