"""Our VEN's registration against our VTN over loopback: cancel from either side, re-registration,
a VTN that forgot the VEN, a VTN that is down for a while, a pre-allocated venID."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from ven_harness import Journal, make_ven, ven_config
from vtn_harness import SettableClock, running_vtn
from vtn_process import free_port

from openadr_accel.errors import RefusedError
from openadr_accel.model import OadrDistributeEvent, ResponseCode, SignalType
from openadr_accel.vtn import VTN, OpenRegistration, VtnConfig
from openadr_accel.vtn.events import Signal
from openadr_accel.vtn.store.sqlite import SqliteStore

VTN_CONFIG = VtnConfig(vtn_id="test-vtn", poll_frequency=timedelta(seconds=1))


async def wait_until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.025)):
        if await condition():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("condition not met in time")


async def test_ven_cancels_its_registration(tmp_path: Path) -> None:
    """N1_0030: oadrCancelPartyRegistration → oadrCanceledPartyRegistration, pair unregistered."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        registration = await ven.register()
        await ven.cancel_registration()
        assert ven.registration is None
        assert ven.store.registration() is None
        record = await server.vtn.registrations.get(registration.ven_id)
        assert record is not None
        assert not record.registered
        assert journal.of("registration_cancelled") == [registration]
        await ven.close()


async def test_vtn_cancels_the_registration_by_poll(tmp_path: Path) -> None:
    """N1_0040: the VEN answers oadrCanceledPartyRegistration, forgets it, and stops."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        run = asyncio.create_task(ven.run())
        [registration] = await journal.wait_for_entry("registered")
        await server.vtn.registrations.cancel(registration.ven_id)
        await asyncio.wait_for(run, 10)  # the VEN stops by itself
        assert journal.of("registration_cancelled") == [registration]
        assert ven.store.registration() is None

        async def unregistered() -> bool:
            record = await server.vtn.registrations.get(registration.ven_id)
            return record is not None and not record.registered

        await wait_until(unregistered)
        await ven.close()


async def test_vtn_asks_for_reregistration(tmp_path: Path) -> None:
    """N1_0050: the VEN answers oadrResponse, then registers again (same venID and
    registrationID: a re-registration, N1_0065)."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        async with ven.running():
            [first] = await journal.wait_for_entry("registered")
            await server.vtn.registrations.request_reregistration(first.ven_id)
            second = (await journal.wait_for_entry("registered", 2))[1]
        assert second.ven_id == first.ven_id
        assert second.registration_id == first.registration_id
        await ven.close()


async def test_vtn_that_forgot_the_ven_gets_a_new_registration(tmp_path: Path) -> None:
    """A VTN answering polls with 463 (its store was reset): the VEN registers again by itself."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        async with ven.running():
            [first] = await journal.wait_for_entry("registered")
            await server.vtn.store.delete_ven(first.ven_id)
            second = (await journal.wait_for_entry("registered", 2))[1]
            assert second.ven_id != first.ven_id
            record = await server.vtn.registrations.get(second.ven_id)
            assert record is not None
            assert record.registered
        await ven.close()


async def test_unreachable_vtn_is_retried_with_backoff_until_it_comes_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openadr_accel.ven")
    clock = SettableClock()
    journal = Journal()
    port = free_port()
    ven = make_ven(tmp_path, f"http://127.0.0.1:{port}", journal, clock=clock)
    async with ven.running():
        await asyncio.sleep(0.6)
        failures = [r for r in caplog.records if "retrying" in r.getMessage()]
        # backoff 50 ms doubling to 200 ms: a handful of attempts, not hundreds
        assert 2 <= len(failures) <= 8, len(failures)
        vtn = VTN(VTN_CONFIG, SqliteStore(tmp_path / "vtn.db"), registration=OpenRegistration(), clock=clock)
        async with vtn.running("127.0.0.1", port):
            [registration] = await journal.wait_for_entry("registered")
            assert registration.vtn_id == "test-vtn"
    await ven.close()


async def test_preallocated_ven_id_is_sent(tmp_path: Path) -> None:
    """N1_0025: a VEN with a venID allocated beforehand sends it; an open VTN keeps it."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        config = ven_config(server.url, ven_id="charger-park-7")
        ven = make_ven(tmp_path, server.url, journal, clock=clock, config=config)
        registration = await ven.register()
        assert registration.ven_id == "charger-park-7"
        await ven.close()


async def test_unexpected_vtn_id_is_refused(tmp_path: Path) -> None:
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        config = ven_config(server.url, vtn_id="TEST-VTN")  # IDs are case-sensitive
        ven = make_ven(tmp_path, server.url, journal, clock=clock, config=config)
        with pytest.raises(RefusedError) as caught:
            await ven.register()
        assert caught.value.response_code == ResponseCode.INVALID_ID
        assert ven.registration is None
        assert await server.vtn.registrations.list() == []
        await ven.close()


async def test_request_event_returns_all_current_events(tmp_path: Path) -> None:
    """E1_1050: oadrRequestEvent; the events are answered as from a distribution."""
    clock = SettableClock()
    journal = Journal()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock)
        await ven.register()
        signal = Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=10), 1)])
        created = [
            await server.vtn.events.create(signals=[signal], start=clock() + timedelta(hours=hours))
            for hours in (1, 2)
        ]
        answer = await ven.request_events()
        assert isinstance(answer, OadrDistributeEvent)
        ids = {event.ei_event.event_descriptor.event_id for event in created}
        assert {event.ei_event.event_descriptor.event_id for event in answer.events} == ids
        assert set(ven.known_events()) == ids
        for event_id in ids:
            [response] = await server.vtn.events.responses(event_id)
            assert response.ven_id == ven.registration.ven_id  # type: ignore[union-attr]
        await ven.close()
