"""Batching concurrent requests: inputs of requests that arrive within a few milliseconds of
each other go through the model in one call, and each request gets its own results back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from rnnkit.serve.stoppable import StoppableCall


class Batcher:
    """`await submit(items)` -> `call(items)`'s results for those items, where `call` (a
    blocking function of a list, returning one result per item) is run on the inputs of every
    request waiting at once, up to `max_items`. Should a batch fail, its requests are run one
    by one, so one request's bad input is its own error and no other's."""

    def __init__(self, call: Callable[[list], list], max_items: int, wait_s: float,
                 timeout_s: float | None = None) -> None:
        self.call, self.max_items, self.wait_s = call, max_items, wait_s
        self.timeout_s = timeout_s  # a batch past it is stopped, its requests told so
        self.waiting: list[tuple[list, asyncio.Future]] = []
        self.worker: asyncio.Task | None = None

    async def submit(self, items: list) -> list:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((items, future))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self.drain())
        return await future

    async def drain(self) -> None:
        while self.waiting:
            await asyncio.sleep(self.wait_s)
            batch, count = [], 0
            while self.waiting and (not batch or count + len(self.waiting[0][0]) <= self.max_items):
                items, future = self.waiting.pop(0)
                batch.append((items, future))
                count += len(items)
            await self.run(batch)

    async def run(self, batch: list) -> None:
        everything = [item for items, _ in batch for item in items]
        try:
            if self.timeout_s is None:
                results = await run_in_threadpool(self.call, everything)
            else:
                results = await StoppableCall(lambda: self.call(everything)).run(self.timeout_s)
        except asyncio.TimeoutError as error:  # every request of the batch waited as long
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except Exception as error:  # noqa: BLE001 - handed to the request that caused it
            if len(batch) == 1:
                if not batch[0][1].done():
                    batch[0][1].set_exception(error)
                return
            for one in batch:
                await self.run([one])
            return
        start = 0
        for items, future in batch:
            if not future.done():
                future.set_result(results[start : start + len(items)])
            start += len(items)
