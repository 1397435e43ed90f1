"""What the reliability tests share: a tiny trained language-model run to copy."""

import shutil

import pytest

from rnnkit.run import train


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A finished 5-step language-model run (copy it before changing anything)."""
    folder = tmp_path_factory.mktemp("trained")
    text = folder / "text.txt"
    text.write_text("It is a truth universally acknowledged, that a single man. " * 40)
    settings = {"data": str(text), "hidden_size": 8, "embedding_size": 8, "num_layers": 1,
                "bptt": 10, "batch_size": 4, "max_steps": 5, "eval_every": 5, "device": "cpu",
                "ngram_order": 0, "out": str(folder / "run")}
    train("lm", settings)
    return folder / "run", text


@pytest.fixture
def run_copy(trained_run, tmp_path):
    """A fresh copy of the trained run and its text."""
    run, text = trained_run
    shutil.copytree(run, tmp_path / "run")
    return tmp_path / "run", text
