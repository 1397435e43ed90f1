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
