"""Checkpoints: a corrupt file is one clear error; a kill during a save leaves the previous one whole."""



import pytest
import torch

from helpers import small_config, train_lm
from rnnkit.errors import CheckpointError
from rnnkit.train.checkpoint import TEMPORARY_PREFIX, load_checkpoint


def test_corrupt_checkpoint_is_one_clear_error(tmp_path):
    path = tmp_path / "last.safetensors"
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00garbage!")
    with pytest.raises(CheckpointError, match="not a readable rnnkit checkpoint"):
        load_checkpoint(path)


def test_a_kill_during_a_save_leaves_the_previous_checkpoint(corpus, tmp_path, monkeypatch):
    _, _, run_dir = train_lm(small_config(corpus, tmp_path / "run", max_steps=4))
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
    assert not [p for p in run_dir.iterdir() if p.name.startswith(TEMPORARY_PREFIX)]  # no debris
