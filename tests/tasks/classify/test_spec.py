"""Preparing a classification run: the scaler sees only the training split; short runs on bundled
slices beat the majority class."""


import pytest

from rnnkit.config import load_config
from rnnkit.run import prepare
from rnnkit.tasks.classify.spec import ClassifyConfig
from rnnkit.train.fit import fit


def test_the_scaler_sees_only_the_training_split(tmp_path):
    rows = ["id,t,v,label"]
    for i in range(10):
        rows += [f"s{i},{t},{i + t},{'a' if i % 2 else 'b'}" for t in range(4)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    valid = ["id,t,v,label"] + [f"v{i},{t},1000,{'a' if i % 2 else 'b'}" for i in range(2)
                                for t in range(4)]
    (tmp_path / "valid.csv").write_text("\n".join(valid) + "\n")
    config = load_config(ClassifyConfig, None, {
        "data": str(tmp_path / "train.csv"), "valid": str(tmp_path / "valid.csv"),
        "series_id": "id", "time_column": "t", "out": str(tmp_path / "run")})
    task = prepare("classify", config).task
    assert float(task.scaler.mean[0]) == pytest.approx(sum(i + t for i in range(10)
                                                           for t in range(4)) / 40)


def trained_accuracy_and_majority(settings: dict) -> tuple[float, float]:
    """Train as `settings` say; (test accuracy, share of the test set's largest class)."""
    setup = prepare("classify", load_config(ClassifyConfig, None, settings))
    for _ in fit(setup.model, setup.task, setup.config, setup.folder, setup.device):
        pass
    test = setup.task.evaluate(setup.model, "test", full=True)
    majority = max(m["support"] for m in test["per_class"].values()) / test["examples"]
    return test["accuracy"], majority


def test_italy_power_demand_slice_beats_the_majority_class(tmp_path):
    accuracy, majority = trained_accuracy_and_majority({
        "dataset": "italypowerdemand", "out": str(tmp_path / "run"), "epochs": 40,
        "hidden_size": 32, "batch_size": 16, "lr": 3e-3, "eval_every": 20, "valid_fraction": 0.2,
        "dropout": 0.0})
    assert accuracy > majority + 0.2, (accuracy, majority)


@pytest.mark.slow
def test_rotten_tomatoes_slice_beats_the_majority_class(tmp_path):
    accuracy, majority = trained_accuracy_and_majority({
        "dataset": "rotten-tomatoes", "out": str(tmp_path / "run"), "epochs": 1, "max_steps": 200,
        "hidden_size": 64, "eval_every": 100, "pooling": "max"})
    assert accuracy > majority + 0.03, (accuracy, majority)
