"""Our VEN in tests: a journal of its handler calls, bounded waits, and a VEN built for loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from openadr_accel.model import OadrEvent, OptType
from openadr_accel.ven.config import VenConfig
from openadr_accel.ven.handlers import SignalValue, VenHandlers
from openadr_accel.ven.node import VEN
from openadr_accel.ven.store import Registration

Entry = tuple[str, Any]


@dataclass
class Journal:
    """Every handler call of a VEN, in order, as (name, detail)."""

    entries: list[Entry] = field(default_factory=list)
    decisions: dict[str, OptType] = field(default_factory=dict)
    """What ``on_event`` answers per eventID (else ``default_decision``)."""
    default_decision: OptType = OptType.OPT_IN
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, name: str, detail: Any) -> None:
        self.entries.append((name, detail))
        self._changed.set()

    def names(self) -> list[str]:
        return [name for name, _ in self.entries]

    def of(self, name: str) -> list[Any]:
        return [detail for entry, detail in self.entries if entry == name]

    async def wait_for(self, predicate: Callable[[Journal], bool], *, timeout: float = 10.0) -> None:
        """Wait (bounded) until ``predicate`` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out; journal: {self.entries}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    async def wait_for_entry(self, name: str, count: int = 1, *, timeout: float = 10.0) -> list[Any]:
        await self.wait_for(lambda journal: len(journal.of(name)) >= count, timeout=timeout)
        return self.of(name)

    def handlers(self) -> VenHandlers:
        def event_id(event: OadrEvent) -> str:
            return event.ei_event.event_descriptor.event_id

        async def on_event(event: OadrEvent) -> OptType:
            self.add("event", (event_id(event), event.ei_event.event_descriptor.modification_number))
            return self.decisions.get(event_id(event), self.default_decision)

        def simple(name: str):  # type: ignore[no-untyped-def]
            async def handler(event: OadrEvent) -> None:
                self.add(name, event_id(event))

            return handler

        def with_values(name: str):  # type: ignore[no-untyped-def]
            async def handler(event: OadrEvent, values: tuple[SignalValue, ...]) -> None:
                self.add(name, (event_id(event), tuple(value.value for value in values)))

            return handler

        async def modified(event: OadrEvent, previous: OadrEvent) -> None:
            self.add("modified", (event_id(event), event.ei_event.event_descriptor.modification_number))

        async def registered(registration: Registration) -> None:
            self.add("registered", registration)

        async def unregistered(registration: Registration) -> None:
            self.add("registration_cancelled", registration)

        return VenHandlers(
            on_event=on_event,
            on_event_pending=simple("pending"),
            on_event_started=with_values("started"),
            on_interval_changed=with_values("interval"),
            on_event_modified=modified,
            on_event_cancelled=simple("cancelled"),
            on_event_ended=simple("ended"),
            on_registered=registered,
            on_registration_cancelled=unregistered,
        )


def ven_config(url: str, **overrides: Any) -> VenConfig:
    """A VEN config for loopback tests: fast polls and backoff."""
    settings: dict[str, Any] = {
        "vtn_url": url,
        "ven_name": "test-ven",
        "poll_frequency": timedelta(milliseconds=50),
        "backoff": timedelta(milliseconds=50),
        "backoff_max": timedelta(milliseconds=200),
        "request_timeout": timedelta(seconds=10),
    }
    settings.update(overrides)
    return VenConfig(**settings)


def make_ven(tmp_path: Path, url: str, journal: Journal, *, clock: Any, **kwargs: Any) -> VEN:
    """A VEN with its store in ``tmp_path/ven.db``, its handlers writing to ``journal``."""
    config = kwargs.pop("config", None) or ven_config(url)
    return VEN(
        config,
        tmp_path / "ven.db",
        handlers=kwargs.pop("handlers", None) or journal.handlers(),
        clock=clock,
        tick=timedelta(milliseconds=20),
        **kwargs,
    )
