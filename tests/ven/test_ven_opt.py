"""Our VEN's opts against our VTN over loopback: schedules, per-event opts, cancellation."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from ven_harness import Journal, make_ven
from vtn_harness import SettableClock, running_vtn

from openadr_accel.errors import LocalProtocolError, RefusedError
from openadr_accel.model import EiTarget, OptReason, OptType, ResponseCode, SignalType
from openadr_accel.vtn import VtnConfig
from openadr_accel.vtn.events import Signal
from openadr_accel.vtn.store import EventResponseSource

VTN_CONFIG = VtnConfig(vtn_id="test-vtn", poll_frequency=timedelta(seconds=1))
LEVEL = Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])


async def test_opt_schedule_replace_and_cancel(tmp_path: Path) -> None:
    """P1_2010 (two periods), P1_2015 (open-ended), P1_2040 (reused optID replaces), P1_2020."""
    clock = SettableClock()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, Journal(), clock=clock)
        registration = await ven.register()
        now = clock()
        periods = [
            (now + timedelta(hours=1), timedelta(hours=1)),
            (now + timedelta(hours=3), timedelta(hours=2)),
        ]
        opt_id = await ven.create_opt(OptType.OPT_IN, schedule=periods)
        [stored] = await server.vtn.opts.list(registration.ven_id)
        assert stored.opt_id == opt_id
        assert stored.opt_reason == OptReason.PARTICIPATING
        assert [(a.dtstart, a.duration) for a in stored.availability or ()] == periods

        open_ended = await ven.create_opt(OptType.OPT_OUT, schedule=[(now, timedelta(0))])
        await ven.create_opt(OptType.OPT_OUT, schedule=periods[:1], opt_id=opt_id)  # replaces
        by_id = {opt.opt_id: opt for opt in await server.vtn.opts.list(registration.ven_id)}
        assert set(by_id) == {opt_id, open_ended}
        assert by_id[opt_id].opt_type == OptType.OPT_OUT
        assert len(by_id[opt_id].availability or ()) == 1
        assert set(ven.opts()) == {opt_id, open_ended}

        await ven.cancel_opt(opt_id)
        assert [opt.opt_id for opt in await server.vtn.opts.list(registration.ven_id)] == [open_ended]
        assert set(ven.opts()) == {open_ended}
        await ven.close()


async def test_cancel_of_an_unknown_opt_is_refused(tmp_path: Path) -> None:
    """P1_2050: the VTN answers an error code; the VEN raises it and keeps its opts."""
    clock = SettableClock()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, Journal(), clock=clock)
        await ven.register()
        with pytest.raises(RefusedError) as caught:
            await ven.cancel_opt("no-such-opt")
        assert caught.value.response_code == ResponseCode.INVALID_ID
        await ven.close()


async def test_opt_out_of_an_event_for_some_resources(tmp_path: Path) -> None:
    """E1_1060: oadrCreateOpt naming the event, for a subset of resources; the VTN keeps it as an
    opt, and the VEN's optIn stands for its other resources (only a whole-event opt overrides
    the answer, E1_1065)."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        async with ven.running():
            [registration] = await journal.wait_for_entry("registered")
            event = await server.vtn.events.create(signals=[LEVEL], start=clock() + timedelta(minutes=5))
            event_id = event.ei_event.event_descriptor.event_id
            await journal.wait_for_entry("event")
            await journal.wait_for_entry("pending")
            subset = EiTarget(resource_ids=("evse-2",))
            opt_id = await ven.create_opt(OptType.OPT_OUT, event_id=event_id, target=subset)
            [record] = await server.vtn.events.responses(event_id)
            assert record.source == EventResponseSource.CREATED_EVENT
            assert record.opt_type == OptType.OPT_IN
            [stored] = await server.vtn.opts.list(registration.ven_id)
            assert stored.opt_id == opt_id
            assert stored.target == subset
            assert stored.qualified_event_id is not None
            assert stored.qualified_event_id.event_id == event_id
            # a subset opt-out leaves the event running on the other resources
            clock.advance(timedelta(minutes=5))
            await journal.wait_for_entry("started")


async def test_opt_out_of_a_whole_event_stops_its_lifecycle(tmp_path: Path) -> None:
    """An asynchronous opt-out (A_E1_0280): no more lifecycle callbacks for that event."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        async with ven.running():
            await journal.wait_for_entry("registered")
            event = await server.vtn.events.create(signals=[LEVEL], start=clock() + timedelta(minutes=5))
            event_id = event.ei_event.event_descriptor.event_id
            await journal.wait_for_entry("pending")
            await ven.create_opt(OptType.OPT_OUT, event_id=event_id)
            assert ven.known_events()[event_id].opt_type == OptType.OPT_OUT
            clock.advance(timedelta(hours=1))
            await asyncio.sleep(0.2)
        assert "started" not in journal.names()
        assert "ended" not in journal.names()


async def test_opt_on_an_unknown_event_is_a_local_error(tmp_path: Path) -> None:
    clock = SettableClock()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, Journal(), clock=clock)
        await ven.register()
        with pytest.raises(LocalProtocolError, match="no known event"):
            await ven.create_opt(OptType.OPT_OUT, event_id="nope")
        with pytest.raises(ValueError, match="not both"):
            await ven.create_opt(OptType.OPT_OUT)
        await ven.close()
