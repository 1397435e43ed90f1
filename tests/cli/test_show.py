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


def test_figures_given_per_model_or_split_are_a_table_and_percentages_say_so(capsys):
    """A forecaster's validation (the model and the naive forecasts) and a recogniser's
    baseline (per split) were printed as a bare title: every figure now shows."""
    print_summary({**SUMMARY, "baseline": {"empty_transcript": {"valid": {"wer": 100.0},
                                                                "test": {"wer": 100.0}}},
                   "valid": {"model": {"mase": 0.61, "mape": 4.43, "coverage": 0.8},
                             "seasonal_naive": {"mase": 0.75, "mape": 5.4}}})
    out = capsys.readouterr().out.splitlines()
    header = next(line for line in out if "validation" in line)
    assert header.split()[1:] == ["mase", "mape", "%", "coverage"]
    assert next(line for line in out if line.split()[:1] == ["model"]).split()[1:] == [
        "0.6100", "4.4300", "0.8000"]
    assert next(line for line in out if line.split()[:1] == ["seasonal_naive"]).split()[-1] == "-"
    assert any("baseline (empty_transcript)" in line and "wer %" in line for line in out)
    assert any(line.split() == ["valid", "100.0000"] for line in out)


def test_the_time_line_tells_setup_training_and_final_figures_apart(capsys):
    print_summary({**SUMMARY, "seconds": {"setup": 95.2, "training": 60.4, "final": 4.25,
                                          "total": 159.85}})
    out = capsys.readouterr().out.splitlines()
    assert out[1] == ("time: 2 min 40 s in all: setup 1 min 35 s, training 1 min 00 s, "
                      "final figures 4.2 s")
