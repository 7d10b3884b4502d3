"""How a VEN's events side treats new versions: an event already over is not executed
(A_E1_0340), a modification keeps the random start delay (A_E1_0260), and an opt of the whole
event stands for its later versions (E1_1065)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from samples import T0, VEN_ID, VTN_ID, simple_event

from openadr_accel.model import (
    EventStatus,
    OadrCreateOpt,
    OadrDistributeEvent,
    OadrEvent,
    OptReason,
    OptType,
    QualifiedEventID,
)
from openadr_accel.ven.events import VenEvents
from openadr_accel.ven.handlers import VenHandlers
from openadr_accel.ven.store import VenStore


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Told:
    """The handler calls, by name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.decision = OptType.OPT_IN

    def handlers(self) -> VenHandlers:
        async def decide(event: OadrEvent) -> OptType:
            self.calls.append(("event", event.ei_event.event_descriptor.event_id))
            return self.decision

        def note(name: str):  # type: ignore[no-untyped-def]
            async def handler(event: OadrEvent, *rest: object) -> None:
                self.calls.append((name, event.ei_event.event_descriptor.event_id))

            return handler

        return VenHandlers(
            on_event=decide,
            on_event_pending=note("pending"),
            on_event_started=note("started"),
            on_event_ended=note("ended"),
        )


def make(tmp_path: Path, clock: Clock, told: Told) -> tuple[VenStore, VenEvents]:
    store = VenStore(tmp_path / "ven.db")
    events = VenEvents(
        store,
        told.handlers(),
        supports=lambda signal: True,
        clock=clock,
        rng=random.Random(3),
        forget_after=timedelta(days=1),
    )
    return store, events


async def distribute(events: VenEvents, *sent: OadrEvent) -> OptType | None:
    accepted = await events.read(
        OadrDistributeEvent(request_id="d", vtn_id=VTN_ID, events=sent), vtn_id=VTN_ID, ven_id=VEN_ID
    )
    await accepted.commit()
    answer = accepted.answer
    return None if answer is None or not answer.event_responses else answer.event_responses[-1].opt_type


def next_version(event: OadrEvent, **period: object) -> OadrEvent:
    ei_event = event.ei_event
    descriptor = replace(
        ei_event.event_descriptor, modification_number=ei_event.event_descriptor.modification_number + 1
    )
    active = replace(ei_event.active_period, **period)  # type: ignore[arg-type]
    return replace(event, ei_event=replace(ei_event, event_descriptor=descriptor, active_period=active))


async def test_an_event_over_before_it_arrives_is_answered_but_never_executed(tmp_path: Path) -> None:
    clock, told = Clock(T0 + timedelta(hours=3)), Told()
    store, events = make(tmp_path, clock, told)
    over = simple_event("over", levels=(1, 2))  # T0 to T0 + 2 h
    completed = simple_event(
        "completed", status=EventStatus.COMPLETED, start=T0 + timedelta(hours=2, minutes=30)
    )
    assert await distribute(events, over, completed) == OptType.OPT_IN
    clock.now += timedelta(hours=5)
    await events.fire_due()
    assert [name for name, _ in told.calls] == ["event", "event"]  # decided, never pending/started/ended
    assert events.known()["over"].finished_at is not None
    store.close()


async def test_a_modification_keeps_the_random_start_delay_unless_startafter_changes(tmp_path: Path) -> None:
    clock, told = Clock(T0 - timedelta(hours=1)), Told()
    store, events = make(tmp_path, clock, told)
    first = replace(
        simple_event("random"),
        ei_event=replace(
            simple_event("random").ei_event,
            active_period=replace(
                simple_event("random").ei_event.active_period, start_after=timedelta(hours=1)
            ),
        ),
    )
    await distribute(events, first)
    offset = events.known()["random"].start_offset
    second = next_version(first, dtstart=T0 + timedelta(minutes=10))
    await distribute(events, second)
    assert events.known()["random"].start_offset == offset
    third = next_version(second, start_after=timedelta(hours=2))  # a new window: a new draw
    await distribute(events, third)
    redrawn = events.known()["random"].start_offset
    assert redrawn != offset  # (the rng is seeded: the same draws every run)
    assert timedelta(0) <= redrawn <= timedelta(hours=2)
    store.close()


async def test_an_opt_of_the_whole_event_stands_for_its_modifications(tmp_path: Path) -> None:
    clock, told = Clock(T0 - timedelta(hours=1)), Told()
    store, events = make(tmp_path, clock, told)
    event = simple_event("opted")
    assert await distribute(events, event) == OptType.OPT_IN
    store.save_opt(
        OadrCreateOpt(
            opt_id="opt-1",
            opt_type=OptType.OPT_OUT,
            opt_reason=OptReason.NOT_PARTICIPATING,
            ven_id=VEN_ID,
            created_date_time=clock.now,
            request_id="r",
            qualified_event_id=QualifiedEventID(event_id="opted", modification_number=0),
        )
    )
    events.opted("opted", OptType.OPT_OUT)
    calls_before = len(told.calls)
    assert await distribute(events, next_version(event)) == OptType.OPT_OUT  # not asked again
    assert len(told.calls) == calls_before
    assert events.known()["opted"].opt_type == OptType.OPT_OUT
    store.close()
