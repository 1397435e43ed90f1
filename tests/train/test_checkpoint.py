"""Checkpoints: a corrupt file is one clear error; a kill during a save leaves the previous one whole."""


import dataclasses

import pytest
import torch

from rnnkit.errors import CheckpointError
from rnnkit.run import prepare
from rnnkit.tasks.lm.spec import LMConfig
from rnnkit.train.checkpoint import load_checkpoint
from rnnkit.train.fit import fit

TEXT = ("the quick brown fox jumps over the lazy dog. " * 40
        + "pack my box with five dozen liquor jugs. " * 40)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT)
    return path


def small_config(corpus, out, **changes):
    base = LMConfig(data=str(corpus), out=str(out), hidden_size=16, num_layers=1,
                    embedding_size=8, batch_size=4, bptt=12, eval_every=4, max_steps=12,
                    ngram_order=0, dropout=0.1, lr=0.01)
    return dataclasses.replace(base, **changes)


def run(config, stop_after_step=None):
    setup = prepare("lm", config)
    model, run_dir = setup.model, setup.run_dir
    events = []
    for event in fit(model, setup.task, config, run_dir, setup.device):
        events.append(event)
        if stop_after_step is not None and event["event"] == "eval" and event["step"] == stop_after_step:
            break  # a kill right after a checkpoint
    return model, events, run_dir


def test_corrupt_checkpoint_is_one_clear_error(tmp_path):
    path = tmp_path / "last.safetensors"
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00garbage!")
    with pytest.raises(CheckpointError, match="not a readable rnnkit checkpoint"):
        load_checkpoint(path)


def test_a_kill_during_a_save_leaves_the_previous_checkpoint(corpus, tmp_path, monkeypatch):
    _, _, run_dir = run(small_config(corpus, tmp_path / "run", max_steps=4))
    before = (run_dir / "last.safetensors").read_bytes()
    import rnnkit.train.checkpoint as checkpoint

    def killed(tensors, path, metadata=None):
        with open(path, "wb") as handle:
            handle.write(b"half a file")
        raise KeyboardInterrupt  # the kill arrives mid-write

    monkeypatch.setattr(checkpoint, "save_file", killed)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(run_dir / "last.safetensors", {"x": torch.zeros(2)}, {})
    assert (run_dir / "last.safetensors").read_bytes() == before
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".last")]  # no debris
