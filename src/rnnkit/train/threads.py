"""Threads that fit the machine: PyTorch's intra-op threads set to the cores that other
processes leave free, measured at the start of a training and again at every evaluation.

Every step of a recurrent network is many small parallel regions, and at the end of each the
threads wait for one another; a thread whose core another process holds makes all of them
wait. On this 2-core machine, with one busy process beside it, the demo's LSTM ran at 6,557
tokens/s on 2 threads and 10,137 on 1 (18,829 on 2 when the machine was quiet).

The cores in use elsewhere are read from /proc/stat (the busy time of the CPUs this process may
run on) less this process's own CPU time, over the window since the last reading. Where
/proc/stat cannot be read, the thread count is left as it is.
"""

from __future__ import annotations

import os
import time

import torch

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def fitted_threads(usable: int, busy_elsewhere: float) -> int:
    """The threads to run: the usable cores less those other processes keep busy (a core
    counts as taken once it is busy more than half the time), at least one."""
    return max(1, usable - int(busy_elsewhere + 0.5))


def busy_seconds(cpus: list[int]) -> float | None:
    """CPU seconds the CPUs `cpus` have spent busy since boot (all processes), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            lines = [line.split() for line in stat if line.startswith("cpu")]
    except OSError:
        return None
    busy = 0
    wanted = {f"cpu{c}" for c in cpus}
    for fields in lines:
        if fields[0] in wanted:
            idle = int(fields[4]) + (int(fields[5]) if len(fields) > 5 else 0)  # idle + iowait
            busy += sum(int(v) for v in fields[1:8]) - idle
    return busy / TICKS


def own_seconds() -> float:
    times = os.times()
    return times.user + times.system


class ThreadFit:
    """`start(step)` measures a short window and sets the threads; `refit(step)` measures the
    window since the last reading (no waiting) and changes them when the machine's load did.
    Each returns the events to report: a "threads" event ("threads", "busy_elsewhere",
    "usable") when the count was set for a busy machine or changed, else none. `threads` > 0
    fixes the count instead (nothing is measured), and so does an OMP_NUM_THREADS the user
    set."""

    def __init__(self, threads: int = 0) -> None:
        self.fixed = threads
        self.chosen = threads == 0 and "OMP_NUM_THREADS" in os.environ  # the user's, kept
        self.cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
            list(range(os.cpu_count() or 1))
        self.reading: tuple[float, float, float] | None = None

    def read(self) -> tuple[float, float, float] | None:
        busy = busy_seconds(self.cpus)
        return None if busy is None else (time.monotonic(), busy, own_seconds())

    def busy_elsewhere(self) -> float | None:
        """Cores other processes kept busy since the last reading; a new reading starts."""
        now, before = self.read(), self.reading
        self.reading = now
        if now is None or before is None or now[0] - before[0] < 0.05:
            return None
        elapsed = now[0] - before[0]
        return max(0.0, (now[1] - before[1]) - (now[2] - before[2])) / elapsed

    def start(self, step: int = 0, window_s: float = 0.1) -> list[dict]:
        if self.chosen:
            return []
        if self.fixed:
            torch.set_num_threads(self.fixed)
            return []
        self.reading = self.read()
        time.sleep(window_s)
        return self.refit(step, always=True)

    def refit(self, step: int = 0, always: bool = False) -> list[dict]:
        if self.fixed or self.chosen:
            return []
        elsewhere = self.busy_elsewhere()
        if elsewhere is None:
            return []
        threads = fitted_threads(len(self.cpus), elsewhere)
        if threads == torch.get_num_threads() and not (always and elsewhere >= 0.5):
            return []
        torch.set_num_threads(threads)
        return [{"event": "threads", "step": step, "threads": threads,
                 "busy_elsewhere": round(elsewhere, 2), "usable": len(self.cpus)}]
