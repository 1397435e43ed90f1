"""The public layers name an option their cell lacks."""


import pytest

from rnnkit import GRU, LSTM


def test_unknown_option_is_named():
    with pytest.raises(TypeError, match="no option 'peepholes'"):
        LSTM(3, 4, peepholes=True)
    with pytest.raises(ValueError, match="backend"):
        GRU(3, 4, backend="cuda")
    with pytest.raises(ValueError, match="merge"):
        GRU(3, 4, bidirectional=True, merge="max")
