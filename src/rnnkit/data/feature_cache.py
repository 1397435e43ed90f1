"""Features kept on disk between runs, keyed by the recordings and the settings that made them.

A key is the SHA-256 of the settings (any JSON-able dict, the feature code's version among
them) and of every file's resolved path, size and modification time: a file edited, replaced
or moved, or any setting changed, is a new key, so a stale entry is never read. An entry is
one safetensors file holding, per named group, the frames of every recording concatenated
(N, F) and their lengths (R,); it is written atomically, and one that cannot be read (cut
short, damaged) is computed again and replaced."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from rnnkit.files import write_atomic

log = logging.getLogger(__name__)


def cache_key(settings: dict, paths: list[Path]) -> str:
    """The key of features made with `settings` from the files at `paths`, in that order."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for path in paths:
        found = Path(path).resolve()
        stat = found.stat()
        digest.update(f"\0{found}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


class FeatureCache:
    """Groups of per-recording feature tensors in a folder, one file per key."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.safetensors"

    def load(self, key: str) -> dict[str, list[torch.Tensor]] | None:
        """The groups stored under `key`, or None (not there, or not readable)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            tensors = load_file(str(path))
            groups = {}
            for name in {k.rsplit("/", 1)[0] for k in tensors}:
                frames, lengths = tensors[f"{name}/frames"], tensors[f"{name}/lengths"]
                if int(lengths.sum()) != frames.shape[0]:
                    raise ValueError("lengths and frames disagree")
                groups[name] = list(torch.split(frames, lengths.tolist()))
            return groups
        except (SafetensorError, OSError, KeyError, ValueError, RuntimeError) as error:
            log.info(f"the cached features {path.name} cannot be read ({error}); computing them "
                     f"again")
            return None

    def save(self, key: str, groups: dict[str, list[torch.Tensor]]) -> None:
        """Store `groups` under `key`; a full disk or an unwritable folder leaves the run going
        without the cache (said once)."""
        tensors = {}
        for name, features in groups.items():
            tensors[f"{name}/frames"] = torch.cat(features).contiguous()
            tensors[f"{name}/lengths"] = torch.tensor([len(f) for f in features], dtype=torch.int64)
        try:
            write_atomic(self.path(key), lambda temporary: save_file(tensors, temporary))
        except OSError as error:
            log.info(f"the features could not be kept in {self.folder} ({error.strerror or error}); "
                     f"they will be computed again next time")
