"""The space file: every form read into dimensions, every bound checked against the task's
config (type, range, choices) before a trial runs, and grids enumerated exactly."""

import optuna
import pytest

from rnnkit.errors import ConfigError
from rnnkit.search.space import all_points, grid_size, read_space
from rnnkit.tasks.synthetic.spec import SyntheticConfig


def space(tmp_path, text):
    path = tmp_path / "space.toml"
    path.write_text(text)
    return read_space(path, SyntheticConfig)


def test_every_form_is_read(tmp_path):
    found = space(tmp_path, 'cell = ["lstm", "gru"]\nhidden_size = { choice = [16, 32] }\n'
                  'num_layers = { int = [1, 3] }\ndropout = { float = [0.0, 0.5], step = 0.25 }\n'
                  'lr = { log = [1e-4, 1e-2] }\n')
    kinds = {d.name: (d.kind, d.values, d.low, d.high, d.step) for d in found}
    assert kinds == {"cell": ("choice", ("lstm", "gru"), None, None, None),
                     "hidden_size": ("choice", (16, 32), None, None, None),
                     "num_layers": ("int", (), 1, 3, None),
                     "dropout": ("float", (), 0.0, 0.5, 0.25),
                     "lr": ("log", (), 1e-4, 1e-2, None)}


def test_suggested_values_stay_in_the_space(tmp_path):
    found = space(tmp_path, 'cell = ["lstm", "gru"]\nnum_layers = { int = [1, 3] }\n'
                  'lr = { log = [1e-4, 1e-2] }\n')
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        values = {d.name: d.suggest(trial) for d in found}
        study.tell(trial, 0.0)
        assert values["cell"] in ("lstm", "gru") and values["num_layers"] in (1, 2, 3)
        assert 1e-4 <= values["lr"] <= 1e-2


def test_grid_is_every_combination(tmp_path):
    found = space(tmp_path, 'cell = ["lstm", "gru"]\nnum_layers = { int = [1, 5], step = 2 }\n'
                  'dropout = { float = [0.0, 0.2], step = 0.1 }\n')
    points = all_points(found)
    assert grid_size(found) == len(points) == 2 * 3 * 3
    assert {(p["cell"], p["num_layers"]) for p in points} == {
        (c, n) for c in ("lstm", "gru") for n in (1, 3, 5)}
    assert sorted({round(p["dropout"], 9) for p in points}) == [0.0, 0.1, 0.2]


@pytest.mark.parametrize("text, expected", [
    ("", "names no field"),
    ("hidden = [1, 2]", "'hidden' is not a setting of this task"),
    ('out = ["a", "b"]', "out cannot be searched"),
    ("hidden_size = { int = [64, 16] }", "low < high"),
    ("hidden_size = { int = [0, 16] }", "hidden_size must be >= 1"),
    ("lr = { log = [0.0, 0.1] }", "log range needs low > 0"),
    ("lr = { int = [1, 3] }", "lr is a float setting"),
    ("hidden_size = { float = [1.0, 3.0] }", "hidden_size is a int setting"),
    ('cell = ["lstm", "transformer"]', "cell must be one of"),
    ("cell = []", "non-empty list"),
    ("hidden_size = [16, 16]", "lists a value twice"),
    ("hidden_size = { range = [1, 2] }", "exactly one of"),
    ("hidden_size = 16", "must be a list of values or a table"),
    ("dropout = { float = [0.0, 0.5], step = 0.3 }", "not a whole number of steps"),
    ("lr = { log = [1e-4, 1e-2], step = 1e-3 }", "takes no step"),
    ("hidden_size = { int = [1, 9], step = 0 }", "step must be a positive int"),
    ("hidden_size = [", "not valid TOML"),
])
def test_bad_spaces_are_one_clear_error(tmp_path, text, expected):
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        space(tmp_path, text)


def test_a_continuous_range_cannot_be_gridded(tmp_path):
    with pytest.raises(ConfigError, match="grid search needs"):
        grid_size(space(tmp_path, "lr = { log = [1e-4, 1e-2] }"))
