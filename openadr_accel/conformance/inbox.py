"""What the device sent a harness, in order, with bounded waits for the next message of a kind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

from ..model import Payload
from .case import CaseFailed
from .transcript import message_name

__all__ = ["Inbox"]

P = TypeVar("P", bound=Payload)


class Inbox:
    """Every message the device sent (its requests, and its answers to the harness), in order."""

    def __init__(self) -> None:
        self.messages: list[Payload] = []
        self._arrived = asyncio.Event()

    def add(self, payload: Payload) -> None:
        """A message arrived."""
        self.messages.append(payload)
        self._arrived.set()

    def mark(self) -> int:
        """A position: :meth:`wait_for` with ``since=`` this ignores what came before."""
        return len(self.messages)

    def index_of(self, message: Payload) -> int:
        """The position of ``message`` (this very object: equal messages, such as two
        oadrPolls of one VEN, are told apart), for ``since=index_of(m) + 1``.

        Raises:
            ValueError: it is not in the inbox.
        """
        for position, held in enumerate(self.messages):
            if held is message:
                return position
        raise ValueError(f"{type(message).__name__} is not in the inbox")

    def of(self, kind: type[P], *, since: int = 0) -> list[P]:
        """The messages of ``kind`` from ``since`` on."""
        return [message for message in self.messages[since:] if isinstance(message, kind)]

    async def wait_for(
        self,
        kind: type[P],
        *,
        timeout: float,
        since: int = 0,
        where: Callable[[P], bool] | None = None,
        what: str | None = None,
    ) -> P:
        """The first message of ``kind`` (matching ``where``) from ``since`` on, waiting up to
        ``timeout`` seconds for it.

        Raises:
            CaseFailed: it did not come in time (``what`` says what was expected).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for message in self.messages[since:]:
                if isinstance(message, kind) and (where is None or where(message)):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                expected = what or f"an {message_name(kind)}"
                raise CaseFailed(f"the device did not send {expected} within {timeout:g} s")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def wait_quiet(self, kind: type[Payload], *, seconds: float, since: int = 0) -> list[Payload]:
        """Wait ``seconds`` and return the messages of ``kind`` that came from ``since`` on (for
        checks that something was *not* sent)."""
        await asyncio.sleep(seconds)
        return [message for message in self.messages[since:] if isinstance(message, kind)]
