"""Batching concurrent requests: each gets its own results; a bad input fails only its own
request; a batch past its time limit is stopped and every request in it is told."""

import asyncio
import time

import pytest

from rnnkit.serve.batching import Batcher


def test_each_request_gets_its_own_results_and_its_own_error():
    def call(items):
        if "bad" in items:
            raise ValueError("bad input")
        return [item.upper() for item in items]

    async def main():
        batcher = Batcher(call, max_items=8, wait_s=0.01)
        return await asyncio.gather(batcher.submit(["a", "b"]), batcher.submit(["c"]),
                                    batcher.submit(["bad"]), return_exceptions=True)

    first, second, third = asyncio.run(main())
    assert first == ["A", "B"] and second == ["C"] and isinstance(third, ValueError)


def test_a_batch_past_its_time_limit_is_stopped_and_its_requests_told():
    steps = []

    def slow(items):
        for step in range(1000):
            steps.append(step)
            time.sleep(0.01)
        return items

    async def main():
        batcher = Batcher(slow, max_items=8, wait_s=0.0, timeout_s=0.2)
        return await asyncio.gather(batcher.submit(["a"]), batcher.submit(["b"]),
                                    return_exceptions=True)

    answers = asyncio.run(main())
    assert all(isinstance(a, asyncio.TimeoutError) for a in answers)
    time.sleep(0.3)
    taken = len(steps)
    time.sleep(0.2)
    assert len(steps) == taken < 100  # stopped, not left running


@pytest.mark.parametrize("count", [1, 20])
def test_no_batch_holds_more_than_its_limit(count):
    sizes = []

    def call(items):
        sizes.append(len(items))
        return items

    async def main():
        batcher = Batcher(call, max_items=4, wait_s=0.01)
        return await asyncio.gather(*(batcher.submit([i]) for i in range(count)))

    assert [r for (r,) in asyncio.run(main())] == list(range(count))
    assert max(sizes) <= 4
