"""Files written so that a kill or a crash never leaves half of one: atomic writes (a
temporary name, flushed, renamed into place, the folder flushed), JSON, and JSON lines. The
ground floor: every package that writes a file a user keeps (runs, exports, searches) uses
these."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

TEMPORARY_PREFIX = ".rnnkit-partial."  # a file being written; one a kill left is removed later


def write_atomic(path: Path, write) -> None:
    """Call `write(temporary_path)`, flush it to disk, rename it onto `path` in one step, and
    flush the folder: after a kill or a crash, `path` is the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIX}{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the file from its owner's group
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk, where the system allows it."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def write_json(path: Path, data) -> None:
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2) + "\n",
                                                        encoding="utf-8"))


def write_json_lines(path: Path, lines: list[str]) -> None:
    write_atomic(path, lambda tmp: Path(tmp).write_text("".join(f"{line}\n" for line in lines),
                                                        encoding="utf-8"))
