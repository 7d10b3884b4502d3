"""Our VEN against our VTN over loopback HTTP (pull): registration, events, lifecycle, persistence.

VTN and VEN share one settable clock, so an event's hours pass in a few calls to ``advance``.
"""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path

from ven_harness import Journal, make_ven
from vtn_harness import RunningVtn, SettableClock, running_vtn

from openadr_accel.model import OptType, SignalType
from openadr_accel.vtn import VtnConfig
from openadr_accel.vtn.events import Signal

VTN_CONFIG = VtnConfig(vtn_id="test-vtn", poll_frequency=timedelta(seconds=1))

TWO_LEVELS = Signal(
    name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=10), 1), (timedelta(minutes=10), 2)]
)


async def answered(server: RunningVtn, event_id: str, modification_number: int = 0) -> OptType:
    """Wait (bounded) for the VEN's answer to one event version, as the VTN stored it."""
    for _ in range(200):
        for record in await server.vtn.events.responses(event_id):
            if record.modification_number == modification_number:
                return record.opt_type
        await asyncio.sleep(0.025)
    raise AssertionError(f"no answer stored for {event_id} #{modification_number}")


async def test_event_lifecycle_from_registration_to_end(tmp_path: Path) -> None:
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        async with ven.running():
            [registration] = await journal.wait_for_entry("registered")
            assert registration.vtn_id == "test-vtn"
            assert registration.poll_frequency == timedelta(seconds=1)
            record = await server.vtn.registrations.get(registration.ven_id)
            assert record is not None
            assert record.registered
            event = await server.vtn.events.create(signals=[TWO_LEVELS], start=clock() + timedelta(minutes=5))
            event_id = event.ei_event.event_descriptor.event_id
            assert await answered(server, event_id) == OptType.OPT_IN
            assert journal.of("event") == [(event_id, 0)]
            await journal.wait_for_entry("pending")
            assert "started" not in journal.names()

            clock.advance(timedelta(minutes=5))
            [(started_id, values)] = await journal.wait_for_entry("started")
            assert (started_id, values) == (event_id, (1,))
            clock.advance(timedelta(minutes=10))
            assert (await journal.wait_for_entry("interval"))[0] == (event_id, (2,))
            clock.advance(timedelta(minutes=10))
            assert await journal.wait_for_entry("ended") == [event_id]
        names = journal.names()
        assert (
            names.index("pending") < names.index("started") < names.index("interval") < names.index("ended")
        )
        assert ven.known_events()[event_id].finished_at is not None


async def test_opt_out_decision_reaches_the_vtn_and_silences_the_lifecycle(tmp_path: Path) -> None:
    clock = SettableClock()
    journal = Journal(default_decision=OptType.OPT_OUT)
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        async with ven.running():
            await journal.wait_for_entry("registered")
            event = await server.vtn.events.create(signals=[TWO_LEVELS], start=clock() + timedelta(minutes=1))
            event_id = event.ei_event.event_descriptor.event_id
            assert await answered(server, event_id) == OptType.OPT_OUT
            clock.advance(timedelta(minutes=30))
            await asyncio.sleep(0.2)
        assert "pending" not in journal.names()
        assert "started" not in journal.names()
        assert ven.known_events()[event_id].opt_type == OptType.OPT_OUT


async def test_modification_and_cancellation_are_answered_and_told(tmp_path: Path) -> None:
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        async with ven.running():
            await journal.wait_for_entry("registered")
            event = await server.vtn.events.create(signals=[TWO_LEVELS], start=clock() + timedelta(minutes=5))
            event_id = event.ei_event.event_descriptor.event_id
            await answered(server, event_id)
            await server.vtn.events.modify(event_id, start=clock() + timedelta(minutes=20))
            assert await answered(server, event_id, 1) == OptType.OPT_IN
            assert await journal.wait_for_entry("modified") == [(event_id, 1)]
            assert journal.of("event") == [(event_id, 0), (event_id, 1)]
            await server.vtn.events.cancel(event_id)
            assert await journal.wait_for_entry("cancelled") == [event_id]
            await answered(server, event_id, 2)
            clock.advance(timedelta(hours=1))
            await asyncio.sleep(0.2)
        assert "started" not in journal.names()  # cancelled before it started


async def test_a_restarted_ven_neither_registers_nor_answers_again(tmp_path: Path) -> None:
    clock = SettableClock()
    first = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, first, clock=clock)
        async with ven.running():
            [registration] = await first.wait_for_entry("registered")
            event = await server.vtn.events.create(signals=[TWO_LEVELS], start=clock() + timedelta(minutes=5))
            event_id = event.ei_event.event_descriptor.event_id
            await answered(server, event_id)
            clock.advance(timedelta(minutes=5))
            await first.wait_for_entry("started")
        await ven.close()

        second = Journal()
        again = make_ven(tmp_path, server.url, second, clock=clock)
        assert again.registration == registration
        async with again.running():
            later = await server.vtn.events.create(signals=[TWO_LEVELS], start=clock() + timedelta(hours=2))
            later_id = later.ei_event.event_descriptor.event_id
            await answered(server, later_id)
            clock.advance(timedelta(minutes=10))
            await second.wait_for_entry("interval")
        await again.close()
        assert len(await server.vtn.registrations.list()) == 1
    assert "registered" not in second.names()
    assert [event for event, _ in second.of("event")] == [later_id]  # the first event was not asked again
    # the first event carries on from where it was: its next interval, but no second start
    assert second.of("interval") == [(event_id, (2,))]
    assert "started" not in second.names()


async def test_polls_no_faster_than_the_vtn_asks(tmp_path: Path) -> None:
    """Rules 54/55: the VEN asks for 50 ms polls, the VTN for 1 s: the VTN wins."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        polls = 0
        original = ven.session.poll

        async def counting_poll():  # type: ignore[no-untyped-def]
            nonlocal polls
            polls += 1
            return await original()

        ven.session.poll = counting_poll  # type: ignore[method-assign]
        async with ven.running():
            await journal.wait_for_entry("registered")
            await asyncio.sleep(2.5)
    assert 2 <= polls <= 4, polls


async def test_randomized_start_is_honoured(tmp_path: Path) -> None:
    """A_E1_0260: an event with startafter starts for this VEN after its random offset."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock, rng=random.Random(7))
        async with ven.running():
            await journal.wait_for_entry("registered")
            start = clock() + timedelta(minutes=5)
            event = await server.vtn.events.create(
                signals=[TWO_LEVELS], start=start, start_after=timedelta(minutes=10)
            )
            event_id = event.ei_event.event_descriptor.event_id
            await journal.wait_for_entry("pending")
            offset = ven.known_events()[event_id].start_offset
            assert timedelta(0) < offset <= timedelta(minutes=10)
            clock.now = start + offset - timedelta(seconds=1)
            await asyncio.sleep(0.2)
            assert "started" not in journal.names()
            clock.now = start + offset
            await journal.wait_for_entry("started")
