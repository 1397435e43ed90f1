import pytest

from rnnkit.config import load_config
from rnnkit.errors import ConfigError
from rnnkit.tasks.forecast.spec import ForecastConfig


def test_an_encoder_decoder_cannot_read_both_ways():
    with pytest.raises(ConfigError, match="cannot be --bidirectional"):
        load_config(ForecastConfig, None, {"architecture": "seq2seq", "bidirectional": True})
    assert load_config(ForecastConfig, None, {"bidirectional": True}).bidirectional  # direct: fine
