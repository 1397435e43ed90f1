"""A model call stopped at its time limit stops within a step, and releases what it holds;
one that finishes in time gives its value or its own exception."""

import asyncio
import threading
import time

import pytest

from rnnkit.serve.stoppable import StoppableCall


def test_a_call_past_its_limit_is_stopped_within_a_step_and_lets_go_of_its_lock():
    lock, steps, finished = threading.Lock(), [], threading.Event()

    def decode():
        with lock:  # as a served model is held
            try:
                for step in range(10_000):
                    steps.append(step)
                    time.sleep(0.01)  # one decoding step
            finally:
                finished.set()
        return "all"

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(StoppableCall(decode).run(0.2))
    assert finished.wait(2.0)
    taken = len(steps)
    time.sleep(0.2)
    assert len(steps) == taken < 100  # it stopped, and stays stopped
    assert lock.acquire(timeout=1.0)


def test_a_call_in_time_gives_its_value_or_its_exception():
    assert asyncio.run(StoppableCall(lambda: 41 + 1).run(5.0)) == 42

    def broken():
        raise ValueError("its own error")

    with pytest.raises(ValueError, match="its own error"):
        asyncio.run(StoppableCall(broken).run(5.0))
