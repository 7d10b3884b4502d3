"""Our VEN (``openadr_accel.ven.node.VEN``) for ``bench/ven``, one measurement per process.

Run by ``run.py`` (never by hand)::

    python ours.py CONFIG.json

Each VEN has its own SQLite store file in ``store_dir`` (a temporary folder of ``run.py``), polls
at 1 s (``VenConfig.poll_frequency``; the VTN asks for 1 s too) and opts in to every event
(``VenHandlers(on_event=...)``). Cycle mode: ``await ven.register()``, then ``await ven.poll()``
back to back. Fleet mode: every VEN in ``async with ven.running()`` (connection, scheduler and
reporter tasks, as a user runs it). See ``childlib.py`` for the loops and the output.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from childlib import Json, PollCounter, main

from openadr_accel.model import OadrEvent, OptType, Payload
from openadr_accel.ven.config import VenConfig
from openadr_accel.ven.handlers import VenHandlers
from openadr_accel.ven.node import VEN

POLL_FREQUENCY = timedelta(seconds=1)


async def opt_in(event: OadrEvent) -> OptType:
    return OptType.OPT_IN


def _type_name(message: Payload) -> str:
    name = type(message).__name__  # OadrResponse -> oadrResponse, as OpenLEADR names them
    return name[:1].lower() + name[1:]


class Ours:
    def __init__(self, config: Json) -> None:
        self.vtn_url: str = config["vtn_url"]
        self.store_dir = Path(config["store_dir"])
        self._stack = contextlib.AsyncExitStack()
        self._vens: list[VEN] = []

    def _ven(self, name: str) -> tuple[VEN, PollCounter]:
        ven = VEN(
            VenConfig(vtn_url=self.vtn_url, ven_name=name, poll_frequency=POLL_FREQUENCY),
            self.store_dir / f"{name}.db",
            handlers=VenHandlers(on_event=opt_in),
        )
        counter = PollCounter()
        poll = ven.session.poll

        async def counted() -> Payload:
            started = time.monotonic()
            try:
                message = await poll()
            except Exception:
                counter.failed += 1
                raise
            counter.completed(_type_name(message), started)
            return message

        ven.session.poll = counted  # type: ignore[method-assign]
        return ven, counter

    async def start_one(self, name: str) -> tuple[Any, PollCounter]:
        ven, counter = self._ven(name)
        await ven.register()
        return ven, counter

    async def poll(self, handle: Any) -> None:
        await handle.poll()

    async def stop_one(self, handle: Any) -> None:
        await handle.close()

    async def start_fleet(self, names: Sequence[str]) -> list[PollCounter]:
        counters = []
        for name in names:
            ven, counter = self._ven(name)
            self._vens.append(ven)
            counters.append(counter)
            await self._stack.enter_async_context(ven.running())
        return counters

    async def stop_fleet(self) -> None:
        await self._stack.aclose()
        for ven in self._vens:
            ven.store.close()

    def fleet_notes(self) -> Json:
        return {}


if __name__ == "__main__":
    sys.exit(main(Ours, sys.argv))
