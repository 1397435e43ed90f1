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
