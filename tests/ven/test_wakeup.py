"""The VEN's cheap interruptible sleep."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from openadr_accel.ven.node import Wakeup


async def test_sleeps_for_its_time_without_a_set() -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    await Wakeup().sleep(timedelta(milliseconds=50))
    assert loop.time() - began >= 0.045


async def test_a_set_during_the_sleep_ends_it() -> None:
    wakeup = Wakeup()
    loop = asyncio.get_running_loop()
    loop.call_later(0.02, wakeup.set)
    began = loop.time()
    await wakeup.sleep(timedelta(seconds=10))
    assert loop.time() - began < 1


async def test_a_set_before_the_sleep_ends_the_next_one_only() -> None:
    wakeup = Wakeup()
    wakeup.set()
    await asyncio.wait_for(wakeup.sleep(timedelta(seconds=10)), 1)  # at once
    loop = asyncio.get_running_loop()
    began = loop.time()
    await wakeup.sleep(timedelta(milliseconds=50))  # the set was used up
    assert loop.time() - began >= 0.045


async def test_a_cancelled_sleep_leaves_nothing_behind() -> None:
    wakeup = Wakeup()
    task = asyncio.create_task(wakeup.sleep(timedelta(seconds=10)))
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    wakeup.set()  # no waiter left to resolve: no error
    await asyncio.wait_for(wakeup.sleep(timedelta(seconds=10)), 1)


async def test_a_zero_sleep_still_lets_the_loop_run() -> None:
    """A task that loops on zero-length sleeps cannot starve the others."""
    wakeup = Wakeup()
    others_ran = asyncio.Event()

    async def other() -> None:
        others_ran.set()

    asyncio.get_running_loop().call_soon(asyncio.ensure_future, other())
    for _ in range(100):
        await wakeup.sleep(timedelta(0))
        if others_ran.is_set():
            break
    assert others_ran.is_set()
