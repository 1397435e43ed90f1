"""Where a study lives: the search folder's journal file (Optuna's file storage, locked for
writers) or a database URL several machines share. A journal whose last record a crash cut
short is mended before it is opened: left in place, the next append would glue a record to
the torn one, and every later read of the study would fail."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import optuna
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock, JournalStorage

from rnnkit.errors import ConfigError

JOURNAL = "study.log"


def mend_journal(path: Path) -> int:
    """Cut a torn last record (no line end: a write a crash or kill interrupted) off the
    journal at `path`, under the journal's own lock; the bytes cut (0: it was whole)."""
    if not path.is_file():
        return 0
    lock = JournalFileOpenLock(str(path))
    lock.acquire()
    try:
        data = path.read_bytes()
        whole = data.rfind(b"\n") + 1
        if whole < len(data):
            with open(path, "rb+") as journal:
                journal.truncate(whole)
                os.fsync(journal.fileno())
        return len(data) - whole
    finally:
        lock.release()


def open_storage(storage: str | None, folder: Path):
    """The study's storage: the journal in `folder` (None), or the database at URL `storage`."""
    if storage is None:
        path = folder / JOURNAL
        cut = mend_journal(path)
        if cut:
            warnings.warn(f"{path}: its last record was cut short ({cut} bytes, a write a crash "
                          f"interrupted); dropped it", stacklevel=2)
        return JournalStorage(JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path))))
    try:
        return optuna.storages.RDBStorage(storage, heartbeat_interval=30, grace_period=120)
    except Exception as error:  # the URL's driver or server: a user's setting, said in one line
        raise ConfigError(f"--storage {storage}: cannot open it ({error})") from None
