"""RecurrentConfig builds the layer it describes, refuses options its cell has not, and every
task takes its flags (one declaration, every task)."""

import dataclasses

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.layers import GRU, LSTM, RNN
from rnnkit.layers.config import RecurrentConfig
from rnnkit.tasks.registry import TASKS


def test_the_built_layer_has_every_option():
    config = RecurrentConfig(cell="lstm", hidden_size=6, num_layers=2, bidirectional=True,
                             merge="sum", dropout=0.2, zoneout=0.1, layer_norm=True,
                             learn_init=True, forget_bias=2.0, proj_size=3, peephole=True)
    layer = config.build(4)
    assert isinstance(layer, LSTM) and layer.num_layers == 2 and layer.merge == "sum"
    assert layer.dropout == 0.2 and layer.output_size == 3
    cell = layer.cells()[0]
    assert cell.peephole and cell.proj_size == 3 and cell.learn_init and cell.layer_norm
    assert cell.zoneout == 0.1
    b = cell.bias_ih.detach() + cell.bias_hh.detach()
    torch.testing.assert_close(b[6:12], torch.full((6,), 2.0))  # the forget gate's total bias
    outputs, _ = layer(torch.randn(2, 5, 4), torch.tensor([5, 3]))
    assert outputs.shape == (2, 5, 3)


def test_one_layer_gets_no_dropout_between_layers():
    assert RecurrentConfig(dropout=0.5).build(3).dropout == 0.0


@pytest.mark.parametrize("cell, kind", [("rnn", RNN), ("gru", GRU)])
def test_lstm_options_are_refused_for_other_cells(cell, kind):
    assert isinstance(RecurrentConfig(cell=cell).build(3), kind)
    for option, value in (("peephole", True), ("proj_size", 2), ("forget_bias", 0.0),
                          ("chrono", 100)):
        with pytest.raises(ConfigError, match=f"{option} is an LSTM option"):
            RecurrentConfig(cell=cell, **{option: value}).check()


def test_nonlinearity_belongs_to_the_elman_rnn():
    assert RecurrentConfig(cell="rnn", nonlinearity="relu").build(3).fused_kind == "rnn_relu"
    with pytest.raises(ConfigError, match="nonlinearity is an Elman RNN option"):
        RecurrentConfig(cell="gru", nonlinearity="relu").check()


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_config_composes_the_network_config(name):
    fields = {f.name for f in dataclasses.fields(TASKS[name].config_class)}
    assert {f.name for f in dataclasses.fields(RecurrentConfig)} <= fields
