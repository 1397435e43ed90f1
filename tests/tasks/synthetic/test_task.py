"""The long-range benchmarks learn what a memoryless model cannot."""


import json

import pytest

from rnnkit.cli.main import main


@pytest.mark.slow
def test_lstm_beats_chance_on_temporal_order_and_digits(tmp_path, capsys):
    code = main(["train", "temporal-order", "--seq-len", "20", "--hidden-size", "32",
                 "--optimizer", "adam", "--lr", "0.01", "--max-steps", "150", "--eval-every", "50",
                 "--valid-size", "500", "--out", str(tmp_path / "order"), "--format", "json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["valid"]["accuracy"] > 0.6 > summary["baseline"]["accuracy"]
    code = main(["train", "digits", "--digits-mode", "rows", "--hidden-size", "32",
                 "--optimizer", "adam", "--lr", "0.01", "--epochs", "3", "--eval-every", "20",
                 "--out", str(tmp_path / "digits"), "--format", "json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["valid"]["accuracy"] > 0.8


def test_the_lstm_of_the_long_range_tasks_starts_from_chrono_biases():
    """Default --chrono -1: the adding task's LSTM draws b_f = log U(1, T - 1) for T = 120
    (b_i = -b_f); --chrono 0 keeps the forget bias of 1; a GRU takes no chrono."""
    import math

    import torch

    from rnnkit.config import load_config
    from rnnkit.tasks.synthetic.spec import SyntheticConfig
    from rnnkit.tasks.synthetic.task import SyntheticTask

    def biases(**flags):
        config = load_config(SyntheticConfig, None, {"task": "adding", "seq_len": 120,
                                                      "valid_size": 4, **flags})
        cell = SyntheticTask(config, torch.device("cpu")).build_model().rnn.cells()[0]
        return cell, cell.bias_ih.detach(), cell.hidden_size

    cell, b, H = biases()
    assert cell.chrono == 120 and b[H:2 * H].max() <= math.log(119) and b[H:2 * H].max() > 3.5
    torch.testing.assert_close(b[:H], -b[H:2 * H])
    cell, b, H = biases(chrono=0)
    assert cell.chrono == 0 and torch.all(b[H:2 * H] == 1.0)
    cell, _, _ = biases(cell="gru")
    assert not hasattr(cell, "chrono")
