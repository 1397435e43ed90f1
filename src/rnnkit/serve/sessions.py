"""Streaming sessions: a model's session object (its carried state) under an id, expiring when
idle; every access first sweeps the expired ones away."""

from __future__ import annotations

import secrets
import threading
import time

from fastapi import HTTPException


class Sessions:
    def __init__(self, idle_s: float, most: int, clock=time.monotonic) -> None:
        self.idle_s, self.most, self.clock = idle_s, most, clock
        self.open: dict[str, list] = {}  # id -> [served model, session, last used]
        self.lock = threading.Lock()

    def sweep(self) -> None:
        now = self.clock()
        with self.lock:
            for key in [k for k, (_, _, used) in self.open.items() if now - used > self.idle_s]:
                del self.open[key]

    def count(self) -> int:
        self.sweep()
        return len(self.open)

    def room(self) -> bool:
        return self.count() < self.most

    def add(self, served, session) -> str:
        key = secrets.token_urlsafe(12)
        with self.lock:
            self.open[key] = [served, session, self.clock()]
        return key

    def get(self, key: str):
        self.sweep()
        with self.lock:
            if key not in self.open:
                raise HTTPException(404, f"no session {key!r} (it may have expired)")
            entry = self.open[key]
            entry[2] = self.clock()
            return entry[0], entry[1]

    def remove(self, key: str) -> None:
        with self.lock:
            if self.open.pop(key, None) is None:
                raise HTTPException(404, f"no session {key!r}")
