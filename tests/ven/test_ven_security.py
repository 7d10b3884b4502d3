"""Our VEN against our VTN over loopback with mutual TLS (RSA and ECC), then with XML signatures too.

Every VTN and VEN here runs on a clock that starts at the real time (``real_time_clock``): the test
PKI's certificates are made now, and a signature is only good at a time its certificate is valid.
The negative cases check that a VEN which cannot talk to its VTN keeps trying (with backoff),
logs why, accepts nothing, and still stops cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from samples import VEN_ID, simple_event
from security_fixtures import (
    client_context,
    fingerprint_of,
    no_certificate_context,
    real_time_clock,
    server_context,
    signer_of,
    vtn_pki,
)
from ven_harness import Journal, make_ven
from vtn_harness import RunningVtn, SettableClock, running_vtn

from openadr_accel import xml
from openadr_accel.model import (
    EiResponse,
    OadrCreatedPartyRegistration,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrPoll,
    OadrProfile,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrResponse,
    OptType,
    Payload,
    ProfileName,
    ResponseCode,
    SignalType,
    TransportName,
)
from openadr_accel.security import KeyType, TestPKI, init_pki, issue_ven, ven_ssl_context
from openadr_accel.security.signature import Signer
from openadr_accel.ven.node import VEN
from openadr_accel.vtn import Signal, VtnConfig

__all__ = ["vtn_pki"]  # the fixture, imported for pytest

KEY_TYPES = pytest.mark.parametrize("key_type", list(KeyType), ids=[k.value for k in KeyType])

VTN_CONFIG = VtnConfig(vtn_id="test-vtn", poll_frequency=timedelta(seconds=1))

DEADLINE = 15.0
"""Seconds any one wait may take before the test fails (a wait normally ends in milliseconds)."""

STOP_DEADLINE = 10.0
"""Seconds a VEN may take to stop."""

LEVEL = Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])


async def eventually(condition: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    """Wait (bounded by DEADLINE) until ``condition`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running_bounded(ven: VEN) -> AsyncIterator[VEN]:
    """``ven.running()`` whose stop must end within STOP_DEADLINE; the store is closed after."""
    stack = contextlib.AsyncExitStack()
    await stack.enter_async_context(ven.running())
    try:
        yield ven
    finally:
        try:
            await asyncio.wait_for(stack.aclose(), STOP_DEADLINE)
        finally:
            await ven.close()


@asynccontextmanager
async def tls_vtn(
    tmp_path: Path, pki: TestPKI, key_type: KeyType, clock: SettableClock, *, signs: bool = False
) -> AsyncIterator[RunningVtn]:
    credentials = pki.vtn(key_type)
    async with running_vtn(
        tmp_path,
        config=VTN_CONFIG,
        clock=clock,
        ssl_context=server_context(credentials, pki),
        signer=signer_of(credentials, clock) if signs else None,
    ) as server:
        assert server.url.startswith("https://localhost:")
        yield server


async def answered(server: RunningVtn, event_id: str) -> OptType:
    """Wait (bounded) for the VEN's answer to an event, as the VTN stored it."""
    found: list[OptType] = []

    async def stored() -> bool:
        found.extend(record.opt_type for record in await server.vtn.events.responses(event_id))
        return bool(found)

    await eventually(stored, f"the VTN stored an answer to {event_id}")
    return found[0]


def failures_logged(caplog: pytest.LogCaptureFixture, count: int) -> Callable[[], bool]:
    def logged() -> bool:
        return len(exchange_failures(caplog)) >= count

    return logged


def exchange_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "openadr_accel.ven" and "VTN exchange failed" in record.getMessage()
    ]


# --- mutual TLS ----------------------------------------------------------------------------------------


@KEY_TYPES
async def test_mutual_tls_registration_event_and_answer(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    clock = real_time_clock()
    journal = Journal()
    ven_credentials = vtn_pki.ven("ven1", key_type)
    async with tls_vtn(tmp_path, vtn_pki, key_type, clock) as server:
        ven = make_ven(
            tmp_path, server.url, journal, clock=clock, ssl_context=client_context(ven_credentials, vtn_pki)
        )
        async with running_bounded(ven):
            [registration] = await journal.wait_for_entry("registered")
            assert registration.vtn_id == "test-vtn"
            record = await server.vtn.registrations.get(registration.ven_id)
            assert record is not None
            assert record.registered
            assert record.fingerprint == fingerprint_of(ven_credentials)
            assert not record.xml_signature
            assert record.http_pull_model

            event = await server.vtn.events.create(signals=[LEVEL], start=clock() + timedelta(hours=1))
            event_id = event.ei_event.event_descriptor.event_id
            assert await answered(server, event_id) == OptType.OPT_IN
            assert journal.of("event") == [(event_id, 0)]
        assert ven.known_events()[event_id].opt_type == OptType.OPT_IN


def foreign_context(tmp_path: Path, pki: TestPKI, key_type: KeyType) -> ssl.SSLContext:
    """A client context that trusts the VTN but presents a certificate of another CA."""
    other = init_pki(tmp_path / "other-pki")
    issue_ven("ven1", other.directory, key_types=[key_type])
    return ven_ssl_context(other.ven("ven1", key_type), pki.ca_bundle)


@KEY_TYPES
@pytest.mark.parametrize("certificate", ["another-ca", "none"])
async def test_ven_without_an_acceptable_certificate_cannot_register_and_keeps_trying(
    tmp_path: Path,
    vtn_pki: TestPKI,
    key_type: KeyType,
    certificate: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="openadr_accel.ven")
    clock = real_time_clock()
    journal = Journal()
    context = (
        foreign_context(tmp_path, vtn_pki, key_type)
        if certificate == "another-ca"
        else no_certificate_context(vtn_pki)
    )
    async with tls_vtn(tmp_path, vtn_pki, key_type, clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock, ssl_context=context)
        async with running_bounded(ven):
            # it keeps retrying (the harness's backoff is 50 ms doubling to 200 ms), and logs why
            await eventually(failures_logged(caplog, 3), "the VEN failed three times")
            assert ven.registration is None
        assert await server.vtn.registrations.list() == []
        assert "registered" not in journal.names()
        failures = exchange_failures(caplog)
        assert all("cannot reach" in message for message in failures), failures


# --- mutual TLS with XML signatures ---------------------------------------------------------------------


def signing_ven(
    tmp_path: Path,
    server_url: str,
    journal: Journal,
    pki: TestPKI,
    *,
    key_type: KeyType,
    clock: SettableClock,
    vtn_fingerprint: str | None = None,
) -> VEN:
    ven_credentials = pki.ven("ven1", key_type)
    return make_ven(
        tmp_path,
        server_url,
        journal,
        clock=clock,
        ssl_context=client_context(ven_credentials, pki),
        signer=signer_of(ven_credentials, clock),
        vtn_fingerprint=vtn_fingerprint or fingerprint_of(pki.vtn(key_type)),
    )


@KEY_TYPES
async def test_signed_registration_event_and_answer(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    clock = real_time_clock()
    journal = Journal(default_decision=OptType.OPT_OUT)
    async with tls_vtn(tmp_path, vtn_pki, key_type, clock, signs=True) as server:
        ven = signing_ven(tmp_path, server.url, journal, vtn_pki, key_type=key_type, clock=clock)
        async with running_bounded(ven):
            [registration] = await journal.wait_for_entry("registered")
            record = await server.vtn.registrations.get(registration.ven_id)
            assert record is not None
            assert record.registered
            assert record.xml_signature
            assert record.fingerprint == fingerprint_of(vtn_pki.ven("ven1", key_type))
            assert ven.client.reader.require_signature

            event = await server.vtn.events.create(signals=[LEVEL], start=clock() + timedelta(hours=1))
            event_id = event.ei_event.event_descriptor.event_id
            assert await answered(server, event_id) == OptType.OPT_OUT
            assert journal.of("event") == [(event_id, 0)]
            # the VEN's report registration went through as well (signed, or the VTN refuses it)
            assert await server.vtn.store.list_queue(registration.ven_id) == []


async def test_a_signing_ven_registers_again_when_the_vtn_asks(tmp_path: Path, vtn_pki: TestPKI) -> None:
    """Re-registration starts with oadrQueryRegistration, which names no VEN: our VTN answers it
    unsigned even to a VEN that negotiated signatures. The VEN takes that answer (it only learns
    the VTN's profiles from it); the registration itself stays signed."""
    clock = real_time_clock()
    journal = Journal()
    async with tls_vtn(tmp_path, vtn_pki, KeyType.RSA, clock, signs=True) as server:
        ven = signing_ven(tmp_path, server.url, journal, vtn_pki, key_type=KeyType.RSA, clock=clock)
        async with running_bounded(ven):
            [first] = await journal.wait_for_entry("registered")
            await server.vtn.registrations.request_reregistration(first.ven_id)
            [_, again] = await journal.wait_for_entry("registered", 2, timeout=DEADLINE)
            assert again.ven_id == first.ven_id
            assert ven.client.reader.require_signature
            record = await server.vtn.registrations.get(first.ven_id)
            assert record is not None
            assert record.xml_signature
            assert record.registration_id == again.registration_id
            event = await server.vtn.events.create(signals=[LEVEL], start=clock() + timedelta(hours=1))
            assert await answered(server, event.ei_event.event_descriptor.event_id) == OptType.OPT_IN


@KEY_TYPES
async def test_a_ven_with_the_wrong_vtn_fingerprint_refuses_the_vtns_signed_messages(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openadr_accel.ven")
    clock = real_time_clock()
    journal = Journal()
    wrong = fingerprint_of(vtn_pki.ven("ven2", key_type))
    async with tls_vtn(tmp_path, vtn_pki, key_type, clock, signs=True) as server:
        ven = signing_ven(
            tmp_path, server.url, journal, vtn_pki, key_type=key_type, clock=clock, vtn_fingerprint=wrong
        )
        async with running_bounded(ven):
            await eventually(failures_logged(caplog, 3), "the VEN refused the VTN three times")
            event = await server.vtn.events.create(signals=[LEVEL], start=clock() + timedelta(hours=1))
            event_id = event.ei_event.event_descriptor.event_id
            await eventually(failures_logged(caplog, 6), "the VEN went on trying")
            assert ven.registration is None
            assert ven.known_events() == {}
        assert "registered" not in journal.names()
        assert "event" not in journal.names()
        assert await server.vtn.events.responses(event_id) == []
        failures = exchange_failures(caplog)
        assert any("fingerprint" in message or "certificate" in message for message in failures), failures


# --- a VTN that stops signing once signatures were negotiated ---------------------------------------------


@dataclass
class FakeVtn:
    """A VTN on loopback (TLS) that signs its answers until ``signing`` is turned off; it hands
    out one event in every poll answer."""

    signer: Signer
    clock: SettableClock
    signing: bool = True
    sign_registration_only: bool = False
    received: list[Payload] = field(default_factory=list)
    url: str = ""

    def answer(self, message: Payload) -> Payload:
        if isinstance(message, OadrQueryRegistration | OadrCreatePartyRegistration):
            registered = isinstance(message, OadrCreatePartyRegistration)
            return OadrCreatedPartyRegistration(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                registration_id="reg-1" if registered else None,
                ven_id=VEN_ID if registered else None,
                vtn_id="fake-vtn",
                profiles=(OadrProfile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),),
                requested_poll_freq=None,
            )
        if isinstance(message, OadrRegisterReport):
            return OadrRegisteredReport(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                ven_id=VEN_ID,
            )
        if isinstance(message, OadrPoll):
            return OadrDistributeEvent(
                request_id="dist-1",
                vtn_id="fake-vtn",
                events=(simple_event("fake-event", start=self.clock() + timedelta(hours=1)),),
            )
        return OadrResponse(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=""), ven_id=VEN_ID
        )

    async def serve(self, request: web.Request) -> web.Response:
        message = xml.parse(await request.read())
        self.received.append(message)
        data = xml.serialize(self.answer(message))
        if self.signing:
            data = self.signer.sign(data)
        return web.Response(body=data, content_type="application/xml")


@asynccontextmanager
async def fake_vtn(pki: TestPKI, key_type: KeyType, clock: SettableClock) -> AsyncIterator[FakeVtn]:
    credentials = pki.vtn(key_type)
    fake = FakeVtn(signer_of(credentials, clock), clock)
    app = web.Application()
    app.router.add_post("/OpenADR2/Simple/2.0b/{service}", fake.serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context(credentials, pki)).start()
        fake.url = f"https://localhost:{runner.addresses[0][1]}"
        yield fake
    finally:
        await runner.cleanup()


@KEY_TYPES
async def test_a_vtn_that_stops_signing_after_negotiation_is_refused(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="openadr_accel.ven")
    clock = real_time_clock()
    journal = Journal()
    async with fake_vtn(vtn_pki, key_type, clock) as fake:
        ven = signing_ven(tmp_path, fake.url, journal, vtn_pki, key_type=key_type, clock=clock)

        original = fake.answer

        def stop_signing_after_registration(message: Payload) -> Payload:
            if isinstance(message, OadrPoll):
                fake.signing = False  # negotiated: from the first poll on, nothing is signed
            return original(message)

        fake.answer = stop_signing_after_registration  # type: ignore[method-assign]
        async with running_bounded(ven):
            [registration] = await journal.wait_for_entry("registered")
            assert registration.ven_id == VEN_ID
            await eventually(failures_logged(caplog, 3), "the VEN refused three unsigned answers")
            assert ven.registration is not None  # it stays registered, and keeps polling
            assert ven.known_events() == {}
        assert "event" not in journal.names()
        polls = [message for message in fake.received if isinstance(message, OadrPoll)]
        assert len(polls) >= 3
        # nothing but registration, report registration and polls: no oadrCreatedEvent
        kinds = {type(message).__name__ for message in fake.received}
        assert kinds <= {
            "OadrQueryRegistration",
            "OadrCreatePartyRegistration",
            "OadrRegisterReport",
            "OadrPoll",
        }
        failures = exchange_failures(caplog)
        assert all("not signed" in message for message in failures), failures


async def test_the_fake_vtn_is_accepted_while_it_signs(tmp_path: Path, vtn_pki: TestPKI) -> None:
    """The control for the test above: the same fake VTN, signing throughout, gets its event
    answered (so the refusal above is the missing signature's doing)."""
    clock = real_time_clock()
    journal = Journal()
    async with fake_vtn(vtn_pki, KeyType.ECC, clock) as fake:
        ven = signing_ven(tmp_path, fake.url, journal, vtn_pki, key_type=KeyType.ECC, clock=clock)
        async with running_bounded(ven):
            await journal.wait_for_entry("event")
            await eventually(
                lambda: any(type(message).__name__ == "OadrCreatedEvent" for message in fake.received),
                "the VEN answered the event",
            )
        assert "fake-event" in ven.known_events()
