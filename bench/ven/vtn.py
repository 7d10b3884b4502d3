"""The VTN of ``bench/ven``: our ``VTN`` on SQLite, in its own process (its CPU is not counted).

Run by ``run.py`` (never by hand)::

    python vtn.py CONFIG.json

``CONFIG.json`` holds the SQLite file (``store``) and ``event_every``: 0 answers every poll of a
registered VEN from its queue as the VTN does (an empty queue: oadrResponse 200); N > 0 also
modifies that VEN's own event (created on its first N-th poll: one SIMPLE signal, one interval of
an hour, starting in an hour, targeted at the VEN's venID, response required) just before every
N-th poll of each VEN is handled, so that this poll is answered oadrDistributeEvent, and the VEN
then answers oadrCreatedEvent. Polls are counted per venID (a byte search for the venID, the same
for our documents and OpenLEADR's). Everything else is the VTN as a user runs it:
``VTN.running`` (HTTP, push worker), ``OpenRegistration``, ``poll_frequency`` 1 s.

The vtnID is upper case (``ACCEL-VTN``): OpenLEADR's VEN answers 452 to a lower-case one.

Talks to ``run.py`` in JSON lines through ``bench/vtn_poll/servers.py``'s control channel:
``{"ready": true, "port": P}`` once listening, then ``{"op": "cpu"}`` (the process's CPU time) and
``{"op": "counts"}`` (requests per service, polls per venID, events modified) until stdin ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from openadr_accel.model import EiTarget, SignalType
from openadr_accel.vtn import VTN, OpenRegistration, Signal, VtnConfig
from openadr_accel.vtn.handlers import Peer
from openadr_accel.vtn.store.sqlite import SqliteStore

VTN_ID = "ACCEL-VTN"
POLL_FREQUENCY = timedelta(seconds=1)
_VEN_ID = re.compile(rb"venID>([^<]*)</")

Json = dict[str, Any]


def _servers() -> ModuleType:
    """``bench/vtn_poll/servers.py``, for its JSON-line control channel."""
    path = Path(__file__).resolve().parents[1] / "vtn_poll" / "servers.py"
    spec = importlib.util.spec_from_file_location("bench_vtn_poll_servers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


servers = _servers()


class EventingVtn:
    """Our VTN, with the handler of its HTTP server wrapped to count requests and, every
    ``event_every`` polls of a VEN, modify that VEN's event first."""

    def __init__(self, store: Path, event_every: int) -> None:
        self.vtn = VTN(
            VtnConfig(vtn_id=VTN_ID, poll_frequency=POLL_FREQUENCY),
            SqliteStore(store),
            registration=OpenRegistration(),
        )
        self.event_every = event_every
        self.requests: Counter[str] = Counter()
        self.polls: Counter[str] = Counter()
        self.events_modified = 0
        self.event_errors: list[str] = []
        self._handle = self.vtn.dispatcher.handle
        self.vtn.dispatcher.handle = self.handle  # type: ignore[method-assign]

    async def handle(self, service: str, data: bytes, peer: Peer) -> bytes:
        self.requests[service] += 1
        if service == "OadrPoll":
            found = _VEN_ID.search(data)
            ven_id = found.group(1).decode() if found else ""
            self.polls[ven_id] += 1
            if self.event_every and self.polls[ven_id] % self.event_every == 0:
                await self._touch_event(ven_id)
        return await self._handle(service, data, peer)

    async def _touch_event(self, ven_id: str) -> None:
        """Create or modify ``ven_id``'s event: an oadrDistributeEvent is then queued for it."""
        events = self.vtn.events
        event_id = f"bench-{ven_id}"
        try:
            if await events.get(event_id) is None:
                await events.create(
                    signals=[
                        Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(hours=1), 1)])
                    ],
                    start=datetime.now(UTC) + timedelta(hours=1),
                    target=EiTarget(ven_ids=(ven_id,)),
                    event_id=event_id,
                )
            else:
                await events.modify(event_id, vtn_comment=f"poll {self.polls[ven_id]}")
            self.events_modified += 1
        except Exception as exc:  # reported to run.py, which fails the run
            if len(self.event_errors) < 5:
                self.event_errors.append(f"{type(exc).__name__}: {exc}")

    async def counts(self, request: Json) -> Json:
        return {
            "requests": dict(self.requests),
            "polls": dict(self.polls),
            "events_modified": self.events_modified,
            "event_errors": self.event_errors,
        }


async def run(config: Json) -> None:
    server = EventingVtn(Path(config["store"]), int(config["event_every"]))
    async with server.vtn.running("127.0.0.1", 0) as runner:
        port = runner.addresses[0][1]
        servers.say({"ready": True, "port": port, "event_every": server.event_every})
        await servers.control_loop({"counts": server.counts})


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} CONFIG.json", file=sys.stderr)
        return 2
    config = servers.load_config(argv[1])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(config))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
