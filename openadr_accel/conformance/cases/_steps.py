"""Steps the cases of both roles share (not cases themselves: the leading underscore keeps this
module out of the registry's import loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..context import CaseContext

__all__ = ["check_seen", "until"]


def check_seen(ctx: CaseContext[Any], holds: bool, what: str, seen: object) -> None:
    """:meth:`~..context.CaseContext.check` ``what``; when it does not hold, the failure also
    says what was seen instead."""
    ctx.check(holds, what if holds else f"{what} (seen: {seen})")


async def until(condition: Callable[[], bool], timeout: float) -> bool:
    """Wait (bounded by ``timeout`` seconds) until ``condition()`` holds; whether it did (the
    checks that follow say what was expected)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True
