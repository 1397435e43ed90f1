"""Model calls that stop when their time is up, instead of running on unseen.

A blocking call (a decoder's search, a generation) runs in a thread of its own; when the
request's time limit passes, `stop()` raises `Stopped` inside that thread at its next Python
step (CPython's `PyThreadState_SetAsyncExc`): the decoders loop over time steps in Python, so
the call ends within one step, and the model's lock is released by the `with` that holds it.
A stop that comes after the call finished is withdrawn under the same lock, so it can never
land anywhere else.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import Callable


class Stopped(Exception):
    """Raised inside a model call whose request ran out of time."""


def _raise_in(thread_id: int, kind: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(kind) if kind else None)


class StoppableCall:
    """`await StoppableCall(call).run(timeout_s)`: `call()`'s value, or asyncio.TimeoutError
    once `timeout_s` has passed, the call then stopped."""

    def __init__(self, call: Callable[[], object]) -> None:
        self.call = call
        self.lock = threading.Lock()
        self.thread_id: int | None = None
        self.finished = threading.Event()
        self.stopping = False

    def work(self, future: asyncio.Future, loop: asyncio.AbstractEventLoop) -> None:
        ident = threading.get_ident()
        try:
            try:
                outcome, failed = self.call(), False
            except BaseException as error:  # noqa: BLE001 - handed to the awaiting request
                outcome, failed = error, True
            with self.lock:
                self.finished.set()
                if self.stopping:
                    _raise_in(ident, None)  # withdraw a stop that came after the call's end
        except Stopped:  # the one stop landed between the call's end and the lock
            self.finished.set()
            outcome, failed = Stopped(), True
        if self.stopping:  # nobody waits for the answer any more
            return
        deliver = future.set_exception if failed else future.set_result
        try:
            loop.call_soon_threadsafe(lambda: None if future.done() else deliver(outcome))
        except RuntimeError:  # the loop has closed (the server is stopping): no one to tell
            pass

    def stop(self) -> None:
        with self.lock:
            if not self.finished.is_set() and self.thread_id is not None and not self.stopping:
                self.stopping = True
                _raise_in(self.thread_id, Stopped)

    async def run(self, timeout_s: float):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        thread = threading.Thread(target=self.work, args=(future, loop), daemon=True,
                                  name="rnnkit-model-call")
        thread.start()
        self.thread_id = thread.ident
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except asyncio.TimeoutError:
            self.stop()
            raise
