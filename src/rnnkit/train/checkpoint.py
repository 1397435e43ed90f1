"""Checkpoints: one safetensors file each, weights and every other tensor (optimiser moments,
RNG state, carried recurrent state) as tensors, everything else as JSON in its metadata.
Nothing is ever unpickled. Files are written to a temporary name and renamed into place, so a
kill during a save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from rnnkit.errors import CheckpointError
from rnnkit.files import TEMPORARY_PREFIX as TEMPORARY_PREFIX  # (re-exported: a run's leftovers)
from rnnkit.files import write_atomic
from rnnkit.layers.stack import StackedRecurrent
from rnnkit.state import state_leaves
from rnnkit.train.memory import available_bytes, gigabytes

DTYPE_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2,
               "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def check_declared(path: Path, declared: int) -> None:
    """CheckpointError when the tensors a checkpoint's header declares take more bytes than its
    file holds (a sparse or forged file) or than this machine has free: before any is read."""
    size, free = path.stat().st_size, available_bytes()
    if declared > size:
        raise CheckpointError(f"{path}: its header declares {declared:,} bytes of tensors; the "
                              f"file holds {size:,}")
    if declared > free:
        raise CheckpointError(f"{path}: its tensors need {gigabytes(declared)} of memory; this "
                              f"machine has {gigabytes(free)} available")


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
            slices = [handle.get_slice(name) for name in handle.keys()]
            check_declared(path, sum(math.prod(s.get_shape()) * DTYPE_BYTES.get(s.get_dtype(), 8)
                                     for s in slices))
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except CheckpointError:
        raise
    except (SafetensorError, OSError, KeyError, ValueError, RecursionError) as error:
        raise CheckpointError(f"{path}: not a readable rnnkit checkpoint ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != "rnnkit-checkpoint":
        raise CheckpointError(f"{path}: not an rnnkit checkpoint (its metadata is not rnnkit's)")
    aliases = meta.pop("aliases", {})
    if not isinstance(aliases, dict) or not all(
            isinstance(name, str) and isinstance(target, str) and target in tensors
            for name, target in aliases.items()):
        raise CheckpointError(f"{path}: its shared-weight aliases name tensors it does not hold")
    for name, target in aliases.items():
        tensors[name] = tensors[target]
    for key, kind in (("config", dict), ("task", dict)):
        if not isinstance(meta.get(key), kind):
            raise CheckpointError(f"{path}: its metadata has no {key} object")
    if not isinstance(meta["task"].get("name"), str):
        raise CheckpointError(f"{path}: its metadata does not name its task")
    return tensors, meta


def load_weights(model: torch.nn.Module, tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Copy saved weights into `model` once `check_weights` found them fitting."""
    check_weights(model, tensors, path)
    model.load_state_dict(tensors)


def check_weights(model: torch.nn.Module, tensors: dict[str, torch.Tensor], path: Path) -> None:
    """CheckpointError naming the first saved tensor that is missing, unexpected, or of another
    shape or dtype than `model`'s (which may live on the meta device: nothing is loaded)."""
    wanted = model.state_dict()
    for name, tensor in wanted.items():
        if name not in tensors:
            raise CheckpointError(f"{path}: the weights lack {name!r}; the checkpoint does not "
                                  f"match its own config")
        if tuple(tensors[name].shape) != tuple(tensor.shape):
            raise CheckpointError(f"{path}: {name!r} has shape {tuple(tensors[name].shape)}, its "
                                  f"config needs {tuple(tensor.shape)}")
        if tensors[name].dtype != tensor.dtype:
            raise CheckpointError(f"{path}: {name!r} holds {tensors[name].dtype}, its model "
                                  f"{tensor.dtype}")
    extra = sorted(set(tensors) - set(wanted))
    if extra:
        raise CheckpointError(f"{path}: unexpected weights {', '.join(extra[:3])}")


def check_finite(weights: dict[str, torch.Tensor], path: Path) -> None:
    """CheckpointError naming the first weight that holds NaN or infinity: a model that
    diverged, which nothing built on it (pruning, export) can use."""
    for name, tensor in weights.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{path}: its weight {name!r} holds NaN or infinity (the "
                                  f"training diverged); retrain with a lower --lr or clipping")


def check_carried_state(path: Path, leaves: list, model, rows: int) -> None:
    """CheckpointError unless the carried state `leaves` is the state the model's recurrent
    stack starts `rows` sequences from (same number of tensors, each of its shape)."""
    if not leaves:
        return
    stack = next((m for m in model.modules() if isinstance(m, StackedRecurrent)), None)
    if stack is None:
        raise CheckpointError(f"{path}: it carries a recurrent state its model does not have")
    with torch.device("meta"):
        wanted = [tuple(leaf.shape) for leaf in state_leaves(stack.initial_state(rows, None))]
    got = [tuple(leaf.shape) for leaf in leaves]
    if got != wanted:
        raise CheckpointError(f"{path}: its carried recurrent state has shapes {got}; the model "
                              f"carries {wanted}")


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
    return tensors, {"plain": plain, "param_groups": state["param_groups"],
                     "tensors": sorted(tensors)}


def optimizer_from_tensors(optimizer: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    """Load the optimiser's state saved by `optimizer_to_tensors`; CheckpointError if a moment
    it saved is missing (it would silently start afresh) or the state does not fit."""
    missing = sorted(set(meta.get("tensors", [])) - set(tensors))
    if missing:
        raise CheckpointError(f"the checkpoint lacks the optimiser's {', '.join(missing[:3])}"
                              f"{' ...' if len(missing) > 3 else ''}: it cannot be resumed exactly")
    state: dict = {}
    for flat, value in list(tensors.items()) + list(meta["plain"].items()):
        index, key = flat.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    try:
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    except (ValueError, KeyError, TypeError, RuntimeError) as error:
        raise CheckpointError(f"the checkpoint's optimiser state does not fit this optimiser "
                              f"({error})") from None
