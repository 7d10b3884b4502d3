"""Our push VEN against our VTN over loopback: plain HTTP, mutual TLS, and mutual TLS with XML signatures.

The VEN registers with its transport address and serves its endpoint on a free port; the VTN
POSTs to it. The VEN never polls: every request it makes to the VTN is recorded, and none may be
an oadrPoll. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from security_fixtures import (
    client_context,
    fingerprint_of,
    no_certificate_context,
    real_time_clock,
    server_context,
    signer_of,
    vtn_pki,
)
from ven_harness import Journal, make_ven, ven_config
from vtn_harness import RunningVtn, running_vtn
from vtn_process import free_port

from openadr_accel import xml
from openadr_accel.model import (
    OadrRequestReregistration,
    OadrResponse,
    OptType,
    Payload,
    ResponseCode,
    ServiceName,
    SignalType,
)
from openadr_accel.security import KeyType, TestPKI
from openadr_accel.ven.node import VEN
from openadr_accel.vtn import Signal, VtnConfig
from openadr_accel.vtn.store import EventResponseSource

__all__ = ["vtn_pki"]  # the fixture, imported for pytest

DEADLINE = 15.0
"""Seconds any one wait may take before the test fails (a wait normally ends in milliseconds)."""

STOP_DEADLINE = 10.0

KEY_TYPE = KeyType.ECC

MODES = ["http", "mtls", "mtls-signed"]

LEVEL = Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])

PUSH_CONFIG = VtnConfig(
    vtn_id="test-vtn",
    push_backoff=timedelta(milliseconds=50),
    push_backoff_max=timedelta(milliseconds=200),
    push_scan_interval=timedelta(milliseconds=20),
    push_timeout=timedelta(seconds=5),
)


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


@dataclass
class PushPair:
    server: RunningVtn
    ven: VEN
    journal: Journal
    endpoint: str
    """The VEN's transport address."""
    sent: list[ServiceName]
    """Every service the VEN POSTed to, in order."""
    polls: list[None]
    """One entry per call of the VEN's poll."""
    vtn_client: ssl.SSLContext | None
    """The TLS client context of the VTN (to POST to the VEN as the VTN would)."""

    @property
    def ven_id(self) -> str:
        registration = self.ven.registration
        assert registration is not None
        return registration.ven_id

    def url(self, service: str) -> str:
        return f"{self.endpoint}/OpenADR2/Simple/2.0b/{service}"


@asynccontextmanager
async def push_pair(
    tmp_path: Path, pki: TestPKI, mode: str, *, endpoint_context: ssl.SSLContext | None = None
) -> AsyncIterator[PushPair]:
    """Our VTN, and our push VEN registered with it (waits for the registration); the VEN's
    endpoint serves ``endpoint_context`` if given (else the 2.0b server context over TLS)."""
    clock = real_time_clock()
    journal = Journal()
    port = free_port()
    tls = mode != "http"
    signs = mode == "mtls-signed"
    vtn_credentials = pki.vtn(KEY_TYPE)
    ven_credentials = pki.ven("ven1", KEY_TYPE)
    endpoint = f"https://localhost:{port}" if tls else f"http://127.0.0.1:{port}"
    async with running_vtn(
        tmp_path,
        config=PUSH_CONFIG,
        clock=clock,
        ssl_context=server_context(vtn_credentials, pki) if tls else None,
        push_ssl_context=client_context(vtn_credentials, pki) if tls else None,
        signer=signer_of(vtn_credentials, clock) if signs else None,
    ) as server:
        ven = make_ven(
            tmp_path,
            server.url,
            journal,
            clock=clock,
            config=ven_config(server.url, transport_address=endpoint),
            ssl_context=client_context(ven_credentials, pki) if tls else None,
            signer=signer_of(ven_credentials, clock) if signs else None,
            vtn_fingerprint=fingerprint_of(vtn_credentials) if tls else None,
        )
        sent: list[ServiceName] = []
        polls: list[None] = []
        post, poll = ven.client.post, ven.session.poll

        async def recording_post(service: ServiceName, data: bytes) -> bytes:
            sent.append(service)
            return await post(service, data)

        async def counting_poll() -> Payload:
            polls.append(None)
            return await poll()

        ven.client.post = recording_post  # type: ignore[method-assign]
        ven.session.poll = counting_poll  # type: ignore[method-assign]
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(
            ven.running(
                "127.0.0.1",
                port,
                ssl_context=endpoint_context or (server_context(ven_credentials, pki) if tls else None),
            )
        )
        try:
            await journal.wait_for_entry("registered", timeout=DEADLINE)
            pair = PushPair(
                server,
                ven,
                journal,
                endpoint,
                sent,
                polls,
                client_context(vtn_credentials, pki) if tls else None,
            )
            yield pair
        finally:
            try:
                await asyncio.wait_for(stack.aclose(), STOP_DEADLINE)
            finally:
                await ven.close()
        assert ServiceName.OADR_POLL not in sent, sent
        assert polls == []


async def queue_empty(pair: PushPair) -> bool:
    return await pair.server.vtn.store.list_queue(pair.ven_id) == []


@pytest.mark.parametrize("mode", MODES)
async def test_push_registration_event_reregistration_and_cancellation(
    tmp_path: Path, vtn_pki: TestPKI, mode: str
) -> None:
    async with push_pair(tmp_path, vtn_pki, mode) as pair:
        server, ven, journal = pair.server, pair.ven, pair.journal
        ven_id = pair.ven_id
        record = await server.vtn.registrations.get(ven_id)
        assert record is not None
        assert record.registered
        assert record.push
        assert not record.http_pull_model
        assert record.transport_address == pair.endpoint
        assert record.xml_signature == (mode == "mtls-signed")
        if mode != "http":
            assert record.fingerprint == fingerprint_of(vtn_pki.ven("ven1", KEY_TYPE))
        # the VTN's oadrRegisterReport was pushed and answered
        await eventually(lambda: queue_empty(pair), "the VTN's first push was delivered")

        # an event is pushed; the VEN's oadrCreatedEvent in the HTTP body is stored
        event = await server.vtn.events.create(signals=[LEVEL], start=server.clock() + timedelta(hours=1))
        event_id = event.ei_event.event_descriptor.event_id

        async def answered() -> bool:
            return bool(await server.vtn.events.responses(event_id))

        await eventually(answered, "the VTN stored the VEN's answer to the pushed event")
        [response] = await server.vtn.events.responses(event_id)
        assert response.ven_id == ven_id
        assert response.opt_type == OptType.OPT_IN
        assert response.source == EventResponseSource.CREATED_EVENT
        assert journal.of("event") == [(event_id, 0)]
        assert ServiceName.EI_EVENT not in pair.sent  # answered in the body, not by a request
        await eventually(lambda: queue_empty(pair), "the distribution left the queue")

        # oadrRequestReregistration by push: the VEN registers again
        await server.vtn.registrations.request_reregistration(ven_id)
        [_, again] = await journal.wait_for_entry("registered", 2, timeout=DEADLINE)
        assert again.ven_id == ven_id
        record = await server.vtn.registrations.get(ven_id)
        assert record is not None
        assert record.registered
        assert record.registration_id == again.registration_id
        await eventually(lambda: queue_empty(pair), "the re-registration's pushes were delivered")

        # oadrCancelPartyRegistration by push: the registration ends at both ends
        await server.vtn.registrations.cancel(ven_id)

        async def unregistered() -> bool:
            record = await server.vtn.registrations.get(ven_id)
            return record is not None and not record.registered

        await eventually(unregistered, "the VTN saw the cancellation confirmed")
        [cancelled] = await journal.wait_for_entry("registration_cancelled", timeout=DEADLINE)
        assert cancelled.ven_id == ven_id
        assert ven.registration is None
        assert len(server.recorder.calls["registration_cancelled"]) == 1
        await asyncio.sleep(0.3)  # the VEN stops rather than registering again
        assert len(journal.of("registered")) == 2
        record = await server.vtn.registrations.get(ven_id)
        assert record is not None
        assert not record.registered


def read_response(data: bytes) -> OadrResponse:
    answer = xml.parse(data)
    assert isinstance(answer, OadrResponse), answer
    return answer


@pytest.mark.parametrize("mode", ["http", "mtls"])
async def test_push_endpoint_answers_garbage_with_454(tmp_path: Path, vtn_pki: TestPKI, mode: str) -> None:
    async with push_pair(tmp_path, vtn_pki, mode) as pair, aiohttp.ClientSession() as session:
        for garbage in (b"this is not XML", b"<oadrPayload/>", b"<a><b></a>"):
            async with session.post(
                pair.url("EiEvent"),
                data=garbage,
                headers={"Content-Type": "application/xml"},
                ssl=pair.vtn_client or True,
            ) as response:
                assert response.status == 200
                answer = read_response(await response.read())
            assert answer.ei_response.response_code == ResponseCode.INVALID_DATA, garbage
            assert answer.ven_id == pair.ven_id
        assert pair.ven.registration is not None
        assert "event" not in pair.journal.names()


async def test_push_endpoint_refuses_a_client_certificate_that_is_not_the_vtns_with_463(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    async with push_pair(tmp_path, vtn_pki, "mtls") as pair, aiohttp.ClientSession() as session:
        message = xml.serialize(OadrRequestReregistration(ven_id=pair.ven_id))
        stranger = client_context(vtn_pki.ven("ven2", KEY_TYPE), vtn_pki)
        async with session.post(
            pair.url("EiRegisterParty"),
            data=message,
            headers={"Content-Type": "application/xml"},
            ssl=stranger,
        ) as response:
            assert response.status == 200
            answer = read_response(await response.read())
        assert answer.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        await asyncio.sleep(0.3)
        assert len(pair.journal.of("registered")) == 1  # the stranger's request was not followed

        # the same document from the VTN's certificate is followed
        assert pair.vtn_client is not None
        async with session.post(
            pair.url("EiRegisterParty"),
            data=message,
            headers={"Content-Type": "application/xml"},
            ssl=pair.vtn_client,
        ) as response:
            assert response.status == 200
            answer = read_response(await response.read())
        assert answer.ei_response.response_code == ResponseCode.OK
        await pair.journal.wait_for_entry("registered", 2, timeout=DEADLINE)


async def test_a_signing_push_ven_refuses_an_unsigned_push_from_the_vtns_certificate_with_463(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    async with push_pair(tmp_path, vtn_pki, "mtls-signed") as pair, aiohttp.ClientSession() as session:
        assert pair.vtn_client is not None
        unsigned = xml.serialize(OadrRequestReregistration(ven_id=pair.ven_id))
        async with session.post(
            pair.url("EiRegisterParty"),
            data=unsigned,
            headers={"Content-Type": "application/xml"},
            ssl=pair.vtn_client,
        ) as response:
            assert response.status == 200
            answer = read_response(await response.read())
        assert answer.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        await asyncio.sleep(0.3)
        assert len(pair.journal.of("registered")) == 1
        # signed by the VTN, the same message is followed
        await pair.server.vtn.registrations.request_reregistration(pair.ven_id)
        await pair.journal.wait_for_entry("registered", 2, timeout=DEADLINE)


async def test_push_endpoint_over_tls_refuses_a_client_without_certificate_with_463(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    """A VEN whose server context does not demand client certificates (not the 2.0b context, but
    an easy mistake) must not take messages from anonymous TLS clients when it knows the VTN's
    fingerprint."""
    lenient = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # verify_mode CERT_NONE: no client certificate asked
    credentials = vtn_pki.ven("ven1", KEY_TYPE)
    lenient.load_cert_chain(credentials.certificate, credentials.key)
    async with (
        push_pair(tmp_path, vtn_pki, "mtls", endpoint_context=lenient) as pair,
        aiohttp.ClientSession() as session,
    ):
        message = xml.serialize(OadrRequestReregistration(ven_id=pair.ven_id))
        async with session.post(
            pair.url("EiRegisterParty"),
            data=message,
            headers={"Content-Type": "application/xml"},
            ssl=no_certificate_context(vtn_pki),
        ) as response:
            assert response.status == 200
            answer = read_response(await response.read())
        assert answer.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        await asyncio.sleep(0.3)
        assert len(pair.journal.of("registered")) == 1


async def test_a_signing_push_ven_refuses_forged_and_replayed_signed_pushes(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    async with push_pair(tmp_path, vtn_pki, "mtls-signed") as pair, aiohttp.ClientSession() as session:
        assert pair.vtn_client is not None

        async def push(data: bytes) -> ResponseCode:
            async with session.post(
                pair.url("EiRegisterParty"),
                data=data,
                headers={"Content-Type": "application/xml"},
                ssl=pair.vtn_client,
            ) as response:
                assert response.status == 200
                return read_response(await response.read()).ei_response.response_code

        message = OadrRequestReregistration(ven_id=pair.ven_id)
        forged = signer_of(vtn_pki.ven("ven2", KEY_TYPE), pair.server.clock).serialize(message)
        assert await push(forged) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        await asyncio.sleep(0.3)
        assert len(pair.journal.of("registered")) == 1

        genuine = signer_of(vtn_pki.vtn(KEY_TYPE), pair.server.clock).serialize(message)
        assert await push(genuine) == ResponseCode.OK
        await pair.journal.wait_for_entry("registered", 2, timeout=DEADLINE)
        assert await push(genuine) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED  # replayed
        await asyncio.sleep(0.3)
        assert len(pair.journal.of("registered")) == 2
