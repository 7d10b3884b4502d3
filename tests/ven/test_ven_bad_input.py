"""Our VEN against a scripted VTN on loopback: what a misbehaving VTN sends gets a clear answer or
a logged, retried failure, never a crash; IDs are checked (E1_1070, E1_1080)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from samples import VEN_ID, VTN_ID, simple_event
from ven_harness import Journal, make_ven
from vtn_harness import SettableClock

from openadr_accel import xml
from openadr_accel.errors import RemoteProtocolError, TransportError
from openadr_accel.model import (
    EiEventSignal,
    EiResponse,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrProfile,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrResponse,
    OptType,
    ProfileName,
    ResponseCode,
    SignalName,
    SignalType,
    TransportName,
)
from openadr_accel.xml import DEFAULT_MAX_BYTES

EVENT = simple_event()
PROFILE = OadrProfile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,))
START = EVENT.ei_event.active_period.dtstart - timedelta(hours=2)


def ok(request_id: str = "") -> EiResponse:
    return EiResponse(response_code=ResponseCode.OK, request_id=request_id)


@dataclass
class ScriptedVtn:
    """Registers anyone; answers polls from ``polls`` (raw bytes, or HTTP statuses), then with an
    empty oadrResponse; keeps what the VEN POSTs to EiEvent."""

    polls: list[bytes | int] = field(default_factory=list)
    received: list[object] = field(default_factory=list)
    poll_count: int = 0

    async def serve(self, request: web.Request) -> web.Response:
        service = request.match_info["service"]
        if service == "OadrPoll":
            self.poll_count += 1
            if self.polls:
                scripted = self.polls.pop(0)
                if isinstance(scripted, int):
                    return web.Response(status=scripted, text="scripted failure")
                return web.Response(body=scripted, content_type="application/xml")
            return self.answer(OadrResponse(ei_response=ok(), ven_id=VEN_ID))
        message = xml.parse(await request.read())
        self.received.append(message)
        if isinstance(message, OadrQueryRegistration | OadrCreatePartyRegistration):
            registered = isinstance(message, OadrCreatePartyRegistration)
            return self.answer(
                OadrCreatedPartyRegistration(
                    ei_response=ok(message.request_id),
                    vtn_id=VTN_ID,
                    profiles=(
                        OadrProfile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),
                    ),
                    ven_id=VEN_ID if registered else None,
                    registration_id="reg-1" if registered else None,
                    requested_poll_freq=timedelta(seconds=1),
                )
            )
        if service == "EiReport":
            return self.answer(OadrRegisteredReport(ei_response=ok(), ven_id=VEN_ID))
        return self.answer(OadrResponse(ei_response=ok(), ven_id=VEN_ID))

    @staticmethod
    def answer(payload: object) -> web.Response:
        return web.Response(body=xml.serialize(payload), content_type="application/xml")  # type: ignore[arg-type]

    def created_events(self) -> list[OadrCreatedEvent]:
        return [message for message in self.received if isinstance(message, OadrCreatedEvent)]


@asynccontextmanager
async def scripted_vtn(vtn: ScriptedVtn) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/OpenADR2/Simple/2.0b/{service}", vtn.serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def distribution(*events: object, vtn_id: str = VTN_ID) -> bytes:
    return xml.serialize(OadrDistributeEvent(request_id="dist-1", vtn_id=vtn_id, events=events))  # type: ignore[arg-type]


async def until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize(
    ("scripted", "complaint"),
    [
        (500, "HTTP 500"),
        (b"this is not XML", "well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
            "DTD",
        ),
        (b"<" + b"a" * (DEFAULT_MAX_BYTES + 10) + b"/>", "larger than"),
        (xml.serialize(OadrQueryRegistration(request_id="odd")), "not expect"),
    ],
    ids=["http-500", "not-xml", "dtd", "too-large", "unexpected-message"],
)
async def test_a_bad_poll_answer_is_logged_and_the_ven_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, scripted: bytes | int, complaint: str
) -> None:
    caplog.set_level(logging.WARNING, logger="openadr_accel.ven")
    vtn = ScriptedVtn(polls=[scripted, distribution(EVENT)])
    journal = Journal()
    async with scripted_vtn(vtn) as url:
        ven = make_ven(tmp_path, url, journal, clock=SettableClock(START))
        async with ven.running():
            await until(vtn.created_events)
        [created] = vtn.created_events()
        assert created.event_responses[0].opt_type == OptType.OPT_IN
    warnings = " ".join(record.getMessage() for record in caplog.records)
    assert complaint.lower() in warnings.lower(), warnings


async def test_a_wrong_vtn_id_is_answered_452_whole(tmp_path: Path) -> None:
    """E1_1080: a vtnID with swapped case: 452 for the whole distribution, nothing accepted."""
    vtn = ScriptedVtn(polls=[distribution(EVENT, vtn_id=VTN_ID.upper())])
    journal = Journal()
    async with scripted_vtn(vtn) as url:
        ven = make_ven(tmp_path, url, journal, clock=SettableClock(START))
        async with ven.running():
            await until(vtn.created_events)
        [created] = vtn.created_events()
    assert created.ei_response.response_code == ResponseCode.INVALID_ID
    assert created.event_responses == ()
    assert ven.known_events() == {}
    assert "event" not in journal.names()


async def test_an_unsupported_signal_is_answered_460_once(tmp_path: Path) -> None:
    """E1_1070: a custom x- signal the VEN does not support: eventResponse 460 with optOut; the
    same version distributed again is not answered again."""
    custom = EiEventSignal(
        signal_name=SignalName("x-loadShedPercent"),
        signal_type=SignalType.LEVEL,
        signal_id="custom",
        intervals=EVENT.ei_event.signals[0].intervals,
    )
    event = replace(EVENT, ei_event=replace(EVENT.ei_event, signals=(custom,)))
    vtn = ScriptedVtn(polls=[distribution(event), distribution(event)])
    journal = Journal()
    async with scripted_vtn(vtn) as url:
        ven = make_ven(
            tmp_path,
            url,
            journal,
            clock=SettableClock(START),
            supports=lambda signal: signal.signal_name == SignalName.SIMPLE,
        )
        async with ven.running():
            await until(lambda: vtn.created_events() and not vtn.polls)
            await asyncio.sleep(0.2)
        [created] = vtn.created_events()
    [response] = created.event_responses
    assert response.response_code == ResponseCode.SIGNAL_NOT_SUPPORTED
    assert response.opt_type == OptType.OPT_OUT
    assert "event" not in journal.names()  # on_event is not asked about a refused event


async def test_one_off_requests_raise_clear_errors(tmp_path: Path) -> None:
    vtn = ScriptedVtn(polls=[b"garbage"])
    async with scripted_vtn(vtn) as url:
        ven = make_ven(tmp_path, url, Journal(), clock=SettableClock(START))
        await ven.register()
        with pytest.raises(RemoteProtocolError):
            await ven.poll()
        await ven.close()
    ven = make_ven(tmp_path, url, Journal(), clock=SettableClock(START))
    with pytest.raises(TransportError, match="cannot reach"):
        await ven.poll()
    await ven.close()
