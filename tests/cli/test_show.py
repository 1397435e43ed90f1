"""The summary printer: one generic layout for every task's figures."""

from rnnkit.cli.show import print_summary

SUMMARY = {"task": "classify", "run": "runs/x", "steps": 10, "stop_reason": "finished 1 epochs",
           "failed": False, "checkpoint": "best",
           "baseline": {"majority": {"majority_label": "pos", "accuracy": 0.5}},
           "valid": {"loss": 0.25, "accuracy": 0.875, "labels": ["neg", "pos"],
                     "confusion": [[3, 1], [0, 4]],
                     "per_class": {"neg": {"precision": 1.0, "recall": 0.75, "support": 4},
                                   "pos": {"precision": 0.8, "recall": 1.0, "support": 4}}},
           "sample": "To be"}


def test_scalars_on_one_line_tables_for_nested_figures(capsys):
    print_summary(SUMMARY)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "run: runs/x (10 steps; finished 1 epochs)"
    assert "figures of the best checkpoint" in out
    assert "baseline (majority): accuracy 0.5000" in out
    assert "validation: loss 0.2500, accuracy 0.8750" in out
    header = next(line for line in out if "per class" in line)
    assert header.split()[-3:] == ["precision", "recall", "support"]
    assert any(line.split() == ["neg", "1.0000", "0.7500", "4"] for line in out)
    assert out[-2:] == ["sample:", "To be"]


def test_a_run_without_checkpoint_says_so(capsys):
    print_summary({**SUMMARY, "checkpoint": None})
    assert capsys.readouterr().out.splitlines()[-1] == "no checkpoint was kept: no figures"
