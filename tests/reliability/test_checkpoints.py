"""Case 9, 19 and 22 of the hostile-use report: crafted but well-formed checkpoints. Every one
is one error line, exit 2, before anything large is allocated; nothing is ever unpickled."""

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from helpers import TINY_LM, hashes, one_error_line, run_cli


def read(path):
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}, json.loads(handle.metadata()["meta"])


def craft(path, change):
    """Rewrite checkpoint `path` after `change(tensors, meta)`; meta may become anything JSON."""
    tensors, meta = read(path)
    meta = change(tensors, meta)
    save_file(tensors, str(path), metadata={"meta": json.dumps(meta)})


def wrong_shape(tensors, meta):
    name = next(k for k in tensors if k.startswith("model.") and k.endswith("weight_hh"))
    tensors[name] = torch.zeros(3, 3)
    return meta


def huge_hidden_size(tensors, meta):
    meta["config"]["hidden_size"] = 12000
    return meta


def without(key):
    def change(tensors, meta):
        meta.pop(key)
        return meta
    return change


def replaced(key, value):
    def change(tensors, meta):
        meta[key] = value
        return meta
    return change


def unknown_alias(tensors, meta):
    meta["aliases"] = {"model.head.weight": "model.nowhere"}
    return meta


def short_rng(tensors, meta):
    tensors["rng.torch"] = tensors["rng.torch"][:10].clone()
    return meta


def no_optimiser_moments(tensors, meta):
    for name in [k for k in tensors if k.startswith("optim.")]:
        del tensors[name]
    return meta


def config_of_another_type(tensors, meta):
    meta["config"]["hidden_size"] = "eight"
    return meta


OPENING = [  # (change, what the error line says) for any command that opens the run
    (wrong_shape, "has shape (3, 3), its config needs"),
    (huge_hidden_size, "its config needs"),
    (lambda t, m: None, "not an rnnkit checkpoint"),
    (lambda t, m: [1, 2], "not an rnnkit checkpoint"),
    (unknown_alias, "aliases name tensors it does not hold"),
    (without("config"), "has no config object"),
    (replaced("task", "lm"), "has no task object"),
    (config_of_another_type, "hidden_size must be int, got str"),
]
RESUMING = [  # what only resuming reads
    (without("progress"), "training progress is missing or damaged"),
    (replaced("progress", {"step": "five"}), "training progress is missing or damaged"),
    (short_rng, "random-number state is missing or damaged"),
    (no_optimiser_moments, "lacks the optimiser's"),
]


@pytest.mark.parametrize("change, expected", OPENING)
def test_a_crafted_checkpoint_is_one_line_for_every_command(run_copy, capsys, change, expected):
    run, text = run_copy
    for name in ("best.safetensors", "last.safetensors"):
        craft(run / name, change)
    before = hashes(run)
    for command in (["generate", run, "--length", "5"], ["evaluate", run, "--data", text],
                    ["diagnose", run]):
        code, _, err = run_cli(command, capsys)
        assert code == 2 and expected in one_error_line(err), (command, err)
    assert hashes(run) == before


@pytest.mark.parametrize("change, expected", RESUMING)
def test_a_crafted_checkpoint_cannot_be_resumed(run_copy, capsys, change, expected):
    run, text = run_copy
    craft(run / "last.safetensors", change)
    before = hashes(run)
    code, _, err = run_cli(["train", "lm", "--data", text, *TINY_LM, "--max-steps", "8",
                            "--out", run, "--resume"], capsys)
    assert code == 2 and expected in one_error_line(err), err
    assert hashes(run) == before


def test_nothing_is_ever_unpickled(run_copy, capsys, monkeypatch):
    """A pickle anywhere in a checkpoint is never loaded: loading never calls pickle at all."""
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    run, _ = run_copy
    assert run_cli(["generate", run, "--length", "5"], capsys)[0] == 0
