"""OpenLEADR 0.5.36's VEN (``openleadr.OpenADRClient``) for ``bench/ven``, one measurement per process.

Run by ``run.py`` under the interpreter of OpenLEADR's own environment (``tests/openleadr_env.py``),
never by hand and never under ours; it imports nothing of ``openadr_accel``::

    .cache/openleadr-0.5.36/bin/python openleadr_ven.py CONFIG.json

Each client opts in to every new and modified event (``on_event``, ``on_update_event``), as
shipped otherwise (its logging included: the ``openleadr`` logger is at INFO level). Cycle mode:
``await client.run()`` (query, registration, oadrRegisterReport, oadrRequestEvent, one poll), its
scheduler shut down at once, then ``await client._poll()`` back to back: the coroutine its
scheduler runs every ``poll_frequency`` (poll, then answer what came: oadrCreatedEvent, ...).
Fleet mode: ``await client.run()`` for every client, whose AsyncIOScheduler then polls every
second (the VTN's ``oadrRequestedOadrPollFreq``). See ``childlib.py`` for the loops and output.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

from childlib import Json, PollCounter, main
from openleadr import OpenADRClient  # type: ignore[import-not-found, unused-ignore]

SERVICE_PATH = "/OpenADR2/Simple/2.0b"


async def opt_in(event: Any) -> str:
    return "optIn"


class OpenLEADRSide:
    def __init__(self, config: Json) -> None:
        self.vtn_url: str = config["vtn_url"] + SERVICE_PATH  # OpenLEADR appends only the service
        self._clients: list[Any] = []
        self._not_registered = 0

    def _client(self, name: str) -> tuple[Any, PollCounter]:
        client = OpenADRClient(ven_name=name, vtn_url=self.vtn_url)
        client.add_handler("on_event", opt_in)
        client.add_handler("on_update_event", opt_in)
        counter = PollCounter()
        poll = client.poll

        async def counted() -> tuple[Any, Any]:
            started = time.monotonic()
            try:
                response_type, payload = await poll()
            except Exception:
                counter.failed += 1
                raise
            if response_type is None:  # OpenLEADR logs request errors and returns (None, {})
                counter.failed += 1
            else:
                counter.completed(response_type, started)
            return response_type, payload

        client.poll = counted
        return client, counter

    async def start_one(self, name: str) -> tuple[Any, PollCounter]:
        client, counter = self._client(name)
        await client.run()
        if client.scheduler.running:
            client.scheduler.shutdown(wait=False)
        if not client.registration_id:
            raise RuntimeError(f"OpenLEADR's VEN {name} did not register")
        return client, counter

    async def poll(self, handle: Any) -> None:
        await handle._poll()

    async def stop_one(self, handle: Any) -> None:
        await handle.stop()

    async def start_fleet(self, names: Sequence[str]) -> list[PollCounter]:
        made = [self._client(name) for name in names]
        self._clients = [client for client, _ in made]
        await asyncio.gather(*(client.run() for client in self._clients))
        self._not_registered = sum(1 for client in self._clients if not client.registration_id)
        return [counter for _, counter in made]

    async def stop_fleet(self) -> None:
        for client in self._clients:
            if client.client_session is not None:
                await client.stop()

    def fleet_notes(self) -> Json:
        return {"not_registered": self._not_registered}


if __name__ == "__main__":
    sys.exit(main(OpenLEADRSide, sys.argv))
