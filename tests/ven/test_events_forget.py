"""A VEN forgets a finished event ``forget_after`` it finished, in memory and in its store, and
its scheduler is told when that falls (so an idle VEN need not wake every tick to look)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from samples import T0, VEN_ID, VTN_ID, simple_event

from openadr_accel.model import OadrDistributeEvent
from openadr_accel.ven.events import VenEvents
from openadr_accel.ven.handlers import VenHandlers
from openadr_accel.ven.store import VenStore

FORGET_AFTER = timedelta(hours=6)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def events_of(store: VenStore, clock: Clock) -> VenEvents:
    return VenEvents(
        store,
        VenHandlers(),
        supports=lambda signal: True,
        clock=clock,
        rng=random.Random(0),
        forget_after=FORGET_AFTER,
    )


async def test_an_ended_event_is_forgotten_after_forget_after(tmp_path: Path) -> None:
    store = VenStore(tmp_path / "ven.db")
    clock = Clock(T0 - timedelta(minutes=30))
    events = events_of(store, clock)
    event = simple_event("e-1", levels=(1,))
    event = replace(
        event,
        ei_event=replace(
            event.ei_event, active_period=replace(event.ei_event.active_period, start_after=None)
        ),
    )
    accepted = await events.read(
        OadrDistributeEvent(request_id="d", vtn_id=VTN_ID, events=(event,)), vtn_id=VTN_ID, ven_id=VEN_ID
    )
    await accepted.commit()

    assert await events.fire_due() == T0  # pending now; next: the start

    clock.now = T0 + timedelta(hours=2)  # long over
    ended_at = clock.now
    assert await events.fire_due() == ended_at + FORGET_AFTER  # next: when it is forgotten
    assert events.known()["e-1"].finished_at == ended_at

    clock.now = ended_at + FORGET_AFTER - timedelta(seconds=1)
    assert await events.fire_due() == ended_at + FORGET_AFTER
    assert "e-1" in events.known()
    assert "e-1" in store.events()

    clock.now = ended_at + FORGET_AFTER
    assert await events.fire_due() is None  # nothing ahead at all
    assert events.known() == {}
    assert store.events() == {}

    # Restarted on the same store, the VEN does not know the event either.
    assert events_of(store, clock).known() == {}
    store.close()
