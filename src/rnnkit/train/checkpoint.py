"""Checkpoints: one safetensors file each, weights and every other tensor (optimiser moments,
RNG state, carried recurrent state) as tensors, everything else as JSON in its metadata.
Nothing is ever unpickled. Files are written to a temporary name and renamed into place, so a
kill during a save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from rnnkit.errors import CheckpointError


def write_atomic(path: Path, write) -> None:
    """Call `write(temporary_path)`, then rename the result onto `path` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path: Path, data) -> None:
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2) + "\n",
                                                        encoding="utf-8"))


def save_checkpoint(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    """Tensors (contiguous CPU copies; shared weights stored once) and JSON metadata."""
    stored, seen = {}, {}
    for name, tensor in tensors.items():
        key = (tensor.data_ptr(), tuple(tensor.shape)) if tensor.numel() else None
        if key in seen:
            meta.setdefault("aliases", {})[name] = seen[key]
            continue
        if key is not None:
            seen[key] = name
        stored[name] = tensor.detach().to("cpu").contiguous()
    write_atomic(path, lambda tmp: save_file(stored, tmp, metadata={"meta": json.dumps(meta)}))


def load_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, meta) of a checkpoint; CheckpointError if missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {})["meta"])
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except (SafetensorError, OSError, KeyError, ValueError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: not a readable rnnkit checkpoint ({error})") from None
    for name, target in meta.pop("aliases", {}).items():
        tensors[name] = tensors[target]
    return tensors, meta


def split_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors under `prefix.`, with the prefix removed."""
    return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def optimizer_to_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """An optimiser's state as (tensors, JSON): moments as tensors, the rest as JSON."""
    state = optimizer.state_dict()
    tensors, plain = {}, {}
    for index, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}.{key}"] = value
            else:
                plain[f"{index}.{key}"] = value
    return tensors, {"plain": plain, "param_groups": state["param_groups"]}


def optimizer_from_tensors(optimizer: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state: dict = {}
    for flat, value in list(tensors.items()) + list(meta["plain"].items()):
        index, key = flat.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
