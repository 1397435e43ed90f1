"""Checkpoints: one safetensors file each, weights and every other tensor (optimiser moments,
RNG state, carried recurrent state) as tensors, everything else as JSON in its metadata.
Nothing is ever unpickled. Files are written to a temporary name and renamed into place, so a
kill during a save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from rnnkit.cells import LSTMState
from rnnkit.config import to_dict
from rnnkit.errors import CheckpointError
from rnnkit.files import TEMPORARY_PREFIX as TEMPORARY_PREFIX  # (re-exported: a run's leftovers)
from rnnkit.files import write_atomic
from rnnkit.layers.stack import StackedRecurrent
from rnnkit.state import state_from_leaves, state_leaves
from rnnkit.train.distributed import SOLO, World, gather_state, own_rows
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


@dataclass
class Progress:
    """Where the run is: what a checkpoint must hold to continue it exactly."""

    epoch: int = 0
    window: int = 0  # next window of the epoch
    step: int = 0  # optimiser steps taken
    tokens: int = 0
    best_loss: float = math.inf
    evals_without_gain: int = 0
    bad_steps: int = 0
    history: list = field(default_factory=list)
    seconds: float = 0.0  # training time of the sessions before this one (a budget's clock)


def checkpoint_contents(model, task, config, optimizer, schedule, progress, state,
                        world: World = SOLO):
    """What `last` and `best` hold. With several processes: the carried state of all ranks'
    rows, in rank order (the state one process with all the rows would carry), and each rank's
    random-number state (rank r > 0 as `rng.rank.r`); the rest is the same on every rank."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    optim_tensors, optim_meta = optimizer_to_tensors(optimizer)
    tensors.update({f"optim.{k}": v for k, v in optim_tensors.items()})
    rngs = world.gather_tensors(torch.get_rng_state())
    tensors["rng.torch"] = rngs[0]
    tensors.update({f"rng.rank.{rank}": rng for rank, rng in enumerate(rngs) if rank})
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()  # (each GPU rank's own: not kept)
    state = gather_state(world, state)
    leaves = state_leaves(state)
    tensors.update({f"state.{i}": leaf for i, leaf in enumerate(leaves)})
    meta = {"format": "rnnkit-checkpoint", "version": 1, "config": to_dict(config),
            "task": task.meta(), "optimizer": optim_meta, "schedule": schedule.state(),
            "progress": {**progress.__dict__, "best_loss": _finite(progress.best_loss)},
            "state_type": None if state is None else type(state).__name__,
            "world_size": world.world_size}
    return tensors, meta


def _finite(value: float):
    return value if math.isfinite(value) else None


def check_resumable(path: Path, tensors: dict, meta: dict, model, world: World = SOLO, *,
                    rows: int) -> None:
    """CheckpointError naming what in checkpoint `path` (read: its tensors and metadata)
    cannot continue a run of `model` on `world`'s processes: the number of processes, the
    progress, the weights' shapes, the optimiser and schedule state, the RNG state, the
    carried state (of `rows` sequences in all). Called before anything of the run is written."""
    saved_world = meta.get("world_size", 1)
    if saved_world != world.world_size:
        raise CheckpointError(f"{path}: the run was trained on {saved_world} process(es); resume "
                              f"it on {saved_world} (this is {world.world_size}): each carries "
                              f"its own rows and random state")
    saved_progress(path, meta.get("progress"))
    check_weights(model, split_prefix(tensors, "model"), path)
    if not isinstance(meta.get("optimizer"), dict) or not isinstance(meta.get("schedule"), dict):
        raise CheckpointError(f"{path}: its metadata lacks the optimiser or schedule state")
    missing = sorted(set(meta["optimizer"].get("tensors", []))
                     - set(split_prefix(tensors, "optim")))
    if missing:
        raise CheckpointError(f"{path}: it lacks the optimiser's {', '.join(missing[:3])}"
                              f"{' ...' if len(missing) > 3 else ''}: it cannot be resumed exactly")
    expected = torch.get_rng_state()
    for name in ["rng.torch", *(f"rng.rank.{rank}" for rank in range(1, world.world_size))]:
        rng = tensors.get(name)
        if rng is None or rng.shape != expected.shape or rng.dtype != expected.dtype:
            raise CheckpointError(f"{path}: its random-number state is missing or damaged")
    check_carried_state(path, [v for _, v in sorted(split_prefix(tensors, "state").items())],
                        model, rows)


def restore(path: Path, model, optimizer, schedule, device, world: World = SOLO,
            rows: int = 1):
    """Load `last` into the model, optimiser, schedule and RNG; return progress and carried
    state (of all `rows` sequences), all checked first. Each rank takes its own random state
    and rows of the state."""
    tensors, meta = load_checkpoint(path)
    check_resumable(path, tensors, meta, model, world, rows=rows)
    progress = saved_progress(path, meta["progress"])
    load_weights(model, split_prefix(tensors, "model"), path)
    optimizer_from_tensors(optimizer, split_prefix(tensors, "optim"), meta["optimizer"])
    try:
        schedule.load_state(meta["schedule"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: its schedule state is damaged") from None
    torch.set_rng_state(tensors["rng.torch" if world.writer else f"rng.rank.{world.rank}"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    leaves = [v.to(device) for k, v in sorted(split_prefix(tensors, "state").items())]
    state = None
    if leaves:
        template = LSTMState(*leaves) if meta.get("state_type") == "LSTMState" else leaves[0]
        state = own_rows(world, state_from_leaves(template, leaves))
    return progress, state


def saved_progress(path: Path, saved) -> Progress:
    """The Progress a checkpoint holds, every field checked."""
    names = {f.name for f in dataclasses.fields(Progress)}
    if isinstance(saved, dict) and "seconds" not in saved:
        saved = {**saved, "seconds": 0.0}  # (a checkpoint from before the time budget)
    if not isinstance(saved, dict) or set(saved) != names:
        raise CheckpointError(f"{path}: its training progress is missing or damaged")
    if not isinstance(saved["seconds"], (int, float)) or isinstance(saved["seconds"], bool) \
            or not saved["seconds"] >= 0:
        raise CheckpointError(f"{path}: its training time is damaged")
    counts = ("epoch", "window", "step", "tokens", "evals_without_gain", "bad_steps")
    if not all(isinstance(saved[k], int) and not isinstance(saved[k], bool) and saved[k] >= 0
               for k in counts) or not isinstance(saved["history"], list):
        raise CheckpointError(f"{path}: its training progress is damaged")
    best = saved["best_loss"]
    if best is not None and not isinstance(best, (int, float)):
        raise CheckpointError(f"{path}: its best validation figure is damaged")
    return Progress(**{**saved, "best_loss": math.inf if best is None else float(best),
                       "seconds": float(saved["seconds"])})


def model_weights(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The model's weights among a checkpoint's tensors (its state_dict's names)."""
    return split_prefix(tensors, "model")


def load_model(model: torch.nn.Module, tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Copy a checkpoint's model weights into `model`, checked first (`check_weights`)."""
    load_weights(model, model_weights(tensors), path)


def with_model_weights(tensors: dict[str, torch.Tensor], weights: dict[str, torch.Tensor],
                       keep_optimizer: bool = True) -> dict[str, torch.Tensor]:
    """A checkpoint's tensors with its model weights replaced by `weights` (a state_dict);
    without `keep_optimizer`, the optimiser's moments left out (they fit the old weights)."""
    dropped = ("model.",) if keep_optimizer else ("model.", "optim.")
    kept = {k: v for k, v in tensors.items() if not k.startswith(dropped)}
    return {**kept, **{f"model.{k}": v for k, v in weights.items()}}
