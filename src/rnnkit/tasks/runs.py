"""Reopen any saved run as (task, model): what `rnnkit diagnose` works on."""

from __future__ import annotations

from pathlib import Path

from rnnkit.data.text import DataError
from rnnkit.tasks.classify import load_classifier
from rnnkit.tasks.classify_data import check_labels, load_splits
from rnnkit.tasks.lm_run import LMTask, model_from_checkpoint, read_corpus, split_documents
from rnnkit.tasks.synthetic import TASKS, SyntheticConfig, SyntheticTask
from rnnkit.train.checkpoint import split_prefix
from rnnkit.train.config import from_dict
from rnnkit.train.run_folder import open_checkpoint


def reopen(run_dir: str | Path, which: str = "best", device="cpu"):
    """(task, model) of a run folder, the model loaded from its `which` checkpoint."""
    path, tensors, meta = open_checkpoint(run_dir, which)
    name = meta.get("task", {}).get("name")
    if name == "lm":
        model, vocab, config, _ = model_from_checkpoint(path, tensors, meta, device)
        parts = split_documents(read_corpus(config), config.valid_fraction, config.test_fraction)
        return LMTask(config, vocab, parts, device), model
    if name in TASKS:
        config = from_dict(SyntheticConfig, meta["config"])
        task = SyntheticTask(config, device)
        model = task.build_model()
        model.load_state_dict(split_prefix(tensors, "model"))
        return task, model.to(device).eval()
    if name == "classify":
        task, model = load_classifier(path, tensors, meta, device)
        splits = load_splits(task.config)
        check_labels(splits)
        task.parts = {k: task.encode(v) for k, v in splits.items() if v is not None}
        return task, model
    raise DataError(f"{path}: the diagnosis reopens language-model, benchmark and classification "
                    f"runs; this is a {name or 'unknown'} run")
