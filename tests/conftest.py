from types import SimpleNamespace

import pytest
import torch


@pytest.fixture
def dims():
    """Small shapes: batch, time, input and hidden sizes, a projection size."""
    return SimpleNamespace(B=3, T=6, D=4, H=5, P=3)


@pytest.fixture
def float64():
    """Run the test in float64 (gradients compared tightly), seeded."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(previous)


@pytest.fixture
def corpus(tmp_path):
    """A small text file (3,600 characters) to train language models on."""
    path = tmp_path / "corpus.txt"
    path.write_text("It is a truth universally acknowledged, that a single man in possession "
                    "of a good fortune, must be in want of a wife.\n" * 30)
    return path


@pytest.fixture(scope="session")
def spoken(tmp_path_factory):
    """A small copy of the bundled spoken digits (16 / 4 / 4 recordings), made once per session:
    the folder, with train.csv, valid.csv and test.csv manifests."""
    from rnnkit.data.speech import spoken_dataset

    return spoken_dataset("spoken-digits", tmp_path_factory.mktemp("speech"),
                          {"train": 16, "valid": 4, "test": 4})
