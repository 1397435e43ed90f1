"""Configs: defaults < TOML file < flags; every key and value checked; task defaults."""

import dataclasses

import pytest

from rnnkit.config import GROUPS, from_dict, load_config, to_dict
from rnnkit.errors import ConfigError
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.lm.spec import LMConfig


def test_precedence_defaults_then_file_then_flags(tmp_path):
    path = tmp_path / "lm.toml"
    path.write_text('hidden_size = 64\nlr = 1\ncell = "gru"\n')
    config = load_config(LMConfig, path, {"hidden_size": 32})
    assert config.hidden_size == 32  # flag beats file
    assert config.cell == "gru" and config.lr == 1.0  # file beats default; int widened
    assert config.num_layers == LMConfig().num_layers  # default
    assert from_dict(LMConfig, to_dict(config)) == config


@pytest.mark.parametrize("text, match", [
    ("hidden_sise = 3\n", "unknown config key 'hidden_sise'"),
    ('hidden_size = "big"\n', "hidden_size must be int, got str"),
    ('cell = "transformer"\n', "cell must be one of rnn, lstm, gru"),
    ("dropout = 1.5\n", "dropout must be <= 0.95"),
    ("lr = -1\n", "lr must be >= 0.0"),
    ("hidden_size = [\n", "not valid TOML"),
])
def test_bad_config_files_are_named(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_config(LMConfig, path)


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        LMConfig().lr = 3  # type: ignore[misc]


def test_a_key_given_twice_in_a_file_is_an_error(tmp_path):
    path = tmp_path / "twice.toml"
    path.write_text("hidden_size = 8\nhidden-size = 16\n")
    with pytest.raises(ConfigError, match="'hidden_size' is given twice"):
        load_config(LMConfig, path)


def test_nan_is_not_a_number_a_config_takes(tmp_path):
    path = tmp_path / "nan.toml"
    path.write_text("valid_fraction = nan\n")
    with pytest.raises(ConfigError, match="valid_fraction must be a finite number, got nan"):
        load_config(LMConfig, path)


def test_a_task_default_keeps_the_fields_help_and_checks():
    fields = {f.name: f for f in dataclasses.fields(LMConfig)}
    shared = {f.name: f for f in dataclasses.fields(RecurrentConfig)}
    assert fields["hidden_size"].default == 256 != shared["hidden_size"].default
    assert fields["hidden_size"].metadata == shared["hidden_size"].metadata
    with pytest.raises(ConfigError, match="hidden_size must be >= 1"):
        from_dict(LMConfig, {"hidden_size": 0})


def test_cross_field_checks_run_when_a_config_is_built():
    with pytest.raises(ConfigError, match="proj_size must be < hidden_size"):
        from_dict(LMConfig, {"hidden_size": 8, "proj_size": 8})
    with pytest.raises(ConfigError, match="a saved config must be a JSON object"):
        from_dict(LMConfig, ["hidden_size"])


def test_every_field_names_its_group():
    assert {f.metadata["group"] for f in dataclasses.fields(LMConfig)} == set(GROUPS)
