"""The language model's defaults fit the time budget: the settings docs/benchmarks.md measured
for a short and a long budget, and never over what the user gave."""

import pytest

from rnnkit.config import build_config
from rnnkit.tasks.lm.spec import LMConfig


def shape(config: LMConfig) -> tuple:
    return (config.num_layers, config.hidden_size, config.batch_size, config.lr, config.dropout)


@pytest.mark.parametrize("given, expected", [
    ({}, (2, 256, LMConfig().batch_size, LMConfig().lr, 0.0)),  # no budget: the plain defaults
    ({"max_minutes": 4}, (1, 512, 32, 3e-3, 0.1)),  # the demo's model (1.649 in 4.5 min)
    ({"max_minutes": 30}, (2, 512, 64, 2e-3, 0.25)),  # the quality run's (1.601 in 30 min)
    ({"max_minutes": 30, "hidden_size": 128, "lr": 1e-3}, (2, 128, 64, 1e-3, 0.25)),
    ({"max_minutes": 4, "max_steps": 500}, (2, 256, LMConfig().batch_size, LMConfig().lr, 0.0)),
    ({"max_minutes": 4, "epochs": 3}, (2, 256, LMConfig().batch_size, LMConfig().lr, 0.0)),
])
def test_the_model_is_sized_to_the_budget(given, expected):
    assert shape(build_config(LMConfig, {"dataset": "shakespeare", **given})) == expected


def test_a_saved_config_comes_back_as_it_was():
    """Reopening a run reads every key of its config: the budget changes nothing then."""
    from rnnkit.config import from_dict, to_dict

    small = build_config(LMConfig, {"dataset": "shakespeare", "max_minutes": 4})
    assert from_dict(LMConfig, to_dict(small)) == small


def test_a_language_model_trains_on_text_given_from_python(tmp_path):
    from rnnkit.errors import DataError
    from rnnkit.run import open_run, train

    text = "It is a truth universally acknowledged, that a single man. " * 60
    settings = {"hidden_size": 8, "embedding_size": 6, "bptt": 10, "batch_size": 4,
                "max_steps": 3, "eval_every": 3, "ngram_order": 0, "device": "cpu"}
    summary = train("lm", {**settings, "out": str(tmp_path / "given")}, data={"train": text})
    assert summary["steps"] == 3 and not summary["failed"]
    (tmp_path / "text.txt").write_text(text)
    from_file = train("lm", {**settings, "data": str(tmp_path / "text.txt"),
                             "out": str(tmp_path / "file")})
    assert summary["valid"]["loss"] == pytest.approx(from_file["valid"]["loss"], rel=1e-6)
    assert open_run(tmp_path / "given").generate("It", 5, seed=1)
    for bad in ({"train": 5}, {"train": ["ok", 3]}, {"text": text}, {"train": "   "}):
        with pytest.raises(DataError):
            train("lm", {**settings, "out": str(tmp_path / "bad")}, data=bad)
