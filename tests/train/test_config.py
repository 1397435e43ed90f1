import pytest

from rnnkit.config import from_dict, load_config, to_dict
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
