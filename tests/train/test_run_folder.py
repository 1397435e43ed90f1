"""The run folder: never replaced without asking; every file of a run named and written in
one place (RunFolder), nothing written by a NullFolder, and no other module spelling a run
file's name or a checkpoint's tensor key."""

import json
import re
from pathlib import Path

import pytest
import torch

from helpers import small_config, train_lm
from rnnkit.run import prepare
from rnnkit.train.checkpoint import load_checkpoint
from rnnkit.train.run_folder import NullFolder, RunFolder

SOURCE = Path(__file__).resolve().parents[2] / "src" / "rnnkit"
OWNERS = {SOURCE / "train" / "run_folder.py", SOURCE / "train" / "checkpoint.py"}
SPELLED = re.compile(r"(best|last)\.safetensors|(steps|metrics|diagnostics)\.jsonl|summary\.json"
                     r"|task\.json|config\.json|curves\.png|[\"'](model|optim|rng|state)\."
                     r"|split_prefix\([^)]*[\"'](model|optim|state)[\"']")


def test_existing_run_is_not_overwritten_without_asking(corpus, tmp_path):
    train_lm(small_config(corpus, tmp_path / "run", max_steps=4))
    with pytest.raises(ValueError, match="--resume.*--overwrite"):
        prepare("lm", small_config(corpus, tmp_path / "run"))


def test_no_other_module_spells_a_run_file_or_a_checkpoint_key():
    found = [f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
             for path in sorted(SOURCE.rglob("*.py")) if path not in OWNERS
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if SPELLED.search(line)]
    assert found == []


def test_the_folder_writes_each_log_and_truncates_them_to_a_step(tmp_path):
    folder = RunFolder(tmp_path)
    for step in (1, 2, 3):
        folder.log_step({"step": step, "loss": 1.0 / step})
    folder.log_eval({"step": 2, "valid_loss": 0.5})
    folder.log_diagnosis({"step": 3, "verdict": "healthy"})
    assert [r["step"] for r in folder.read_log("steps")] == [1, 2, 3]
    folder.truncate_logs(2)
    assert [r["step"] for r in folder.read_log("steps")] == [1, 2]
    assert folder.read_log("metrics") == [{"step": 2, "valid_loss": 0.5}]
    assert folder.read_log("diagnostics") == []
    folder.write_summary({"steps": 2})
    assert folder.read_summary() == {"steps": 2}


def test_checkpoints_by_name_and_the_one_a_run_reports(tmp_path):
    folder = RunFolder(tmp_path)
    assert folder.kept_checkpoint() is None
    meta = {"format": "rnnkit-checkpoint", "config": {}, "task": {"name": "lm"}}
    folder.save_checkpoint("last", {"model.w": torch.ones(2)}, dict(meta))
    assert folder.kept_checkpoint() == folder.checkpoint_path("last")
    folder.save_checkpoint("best", {"model.w": torch.zeros(2)}, dict(meta))
    assert folder.kept_checkpoint() == folder.checkpoint_path("best")
    tensors, _ = load_checkpoint(folder.checkpoint_path("best"))
    assert torch.equal(tensors["model.w"], torch.zeros(2))
    with pytest.raises(ValueError, match="'best' and 'last'"):
        folder.checkpoint_path("middle")


def test_a_null_folder_reads_the_run_and_writes_nothing(tmp_path):
    RunFolder(tmp_path).log_eval({"step": 1, "valid_loss": 2.0})
    before = sorted(p.name for p in tmp_path.iterdir())
    null = NullFolder(tmp_path)
    null.log_step({"step": 1})
    null.log_eval({"step": 2})
    null.log_diagnosis({"step": 2})
    null.save_checkpoint("last", {"model.w": torch.ones(1)}, {})
    null.truncate_logs(0)
    null.write_summary({})
    null.write_task({})
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert null.read_log("metrics") == [{"step": 1, "valid_loss": 2.0}]
    assert not null.writes and RunFolder(tmp_path).writes


def test_a_damaged_summary_is_one_error(tmp_path):
    from rnnkit.errors import CheckpointError

    with pytest.raises(CheckpointError, match="has not finished"):
        RunFolder(tmp_path).read_summary()
    (tmp_path / RunFolder.SUMMARY).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        RunFolder(tmp_path).read_summary()
    (tmp_path / RunFolder.SUMMARY).write_text(json.dumps([1]))
    with pytest.raises(CheckpointError, match="not a run summary"):
        RunFolder(tmp_path).read_summary()
