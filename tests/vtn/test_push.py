"""HTTP push: the VTN POSTs queued messages to push VENs, retries failures, gives up in the end.

Each push VEN here is an aiohttp server the test runs on loopback, recording every request the
VTN makes to ``/OpenADR2/Simple/2.0b/<Service>`` and answering as the test tells it. Retries are
scheduled on the VTN's settable clock: a test moves the clock to make a retry due, so nothing
here depends on how fast the machine is; every wait is bounded by a deadline.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from security_fixtures import (
    client_context,
    fingerprint_of,
    real_time_clock,
    server_context,
    signer_of,
    vtn_pki,
)
from vtn_harness import RunningVtn, SettableClock, VenClient, ok, running_vtn

from openadr_accel import xml
from openadr_accel.model import (
    EventResponse,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrRegisterReport,
    OptType,
    Payload,
    ProfileName,
    QualifiedEventID,
    ResponseCode,
    SignalType,
    TransportName,
)
from openadr_accel.security import KeyType, TestPKI
from openadr_accel.security.replay import ReplayGuard
from openadr_accel.security.signature import SignatureVerifier, Signer
from openadr_accel.security.tls import peer_fingerprint
from openadr_accel.vtn import Signal, VtnConfig, VtnHandlers
from openadr_accel.vtn.store import EventResponseSource, QueuedMessage

__all__ = ["vtn_pki"]  # the fixture, imported for pytest

DEADLINE = 15.0
"""Seconds any one wait may take before the test fails (a wait normally ends in milliseconds)."""

BACKOFF = timedelta(seconds=10)


def push_config(**overrides: object) -> VtnConfig:
    settings: dict[str, object] = {
        "vtn_id": "test-vtn",
        "push_backoff": BACKOFF,
        "push_backoff_max": timedelta(minutes=10),
        "push_scan_interval": timedelta(milliseconds=20),
        "push_timeout": timedelta(seconds=5),
    }
    settings.update(overrides)
    return VtnConfig(**settings)  # type: ignore[arg-type]


@dataclass
class Received:
    service: str
    payload: Payload
    status: int
    peer_fingerprint: str | None
    raw: bytes


Answer = Callable[[str, Payload], bytes | None]


class PushVen:
    """A push VEN's HTTP(S) endpoint on loopback."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.requests: list[Received] = []
        self.status = 200
        self.answer: Answer | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        host = "localhost" if self.ssl_context is not None else "127.0.0.1"
        return f"{scheme}://{host}:{self.port}"

    @property
    def delivered(self) -> list[Received]:
        """The requests answered HTTP 200 (the messages the VTN may consider delivered)."""
        return [request for request in self.requests if request.status == 200]

    def delivered_of(self, kind: type[Payload]) -> list[Payload]:
        return [request.payload for request in self.delivered if isinstance(request.payload, kind)]

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/OpenADR2/Simple/2.0b/{service}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, request: web.Request) -> web.Response:
        service = request.match_info["service"]
        raw = await request.read()
        payload = xml.parse(raw)
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        status = self.status
        self.requests.append(
            Received(service, payload, status, peer_fingerprint(ssl_object) if ssl_object else None, raw)
        )
        if status != 200:
            return web.Response(status=status, text="failing on purpose")
        body = self.answer(service, payload) if self.answer is not None else None
        return web.Response(body=body or b"", content_type="application/xml")


@asynccontextmanager
async def push_ven(*, ssl_context: ssl.SSLContext | None = None, port: int = 0) -> AsyncIterator[PushVen]:
    endpoint = PushVen(ssl_context=ssl_context)
    await endpoint.start(port)
    try:
        yield endpoint
    finally:
        await endpoint.stop()


async def eventually(
    condition: Callable[[], Awaitable[bool]], what: str, *, clock: SettableClock | None = None
) -> None:
    """Wait until ``condition`` holds (or fail after DEADLINE); with ``clock``, move the VTN's
    clock a minute on every look, so that retries become due."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        if clock is not None:
            clock.advance(timedelta(minutes=1))
        await asyncio.sleep(0.01)


async def register_push(
    session: aiohttp.ClientSession,
    server: RunningVtn,
    address: str,
    *,
    ven_name: str = "push-ven",
    ssl_context: ssl.SSLContext | None = None,
    signer: Signer | None = None,
) -> VenClient:
    ven = VenClient(session, server.url, ssl_context=ssl_context, signer=signer)
    answer = await ven.post(
        "EiRegisterParty",
        OadrCreatePartyRegistration(
            request_id="reg-push",
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            transport_address=address,
            report_only=False,
            xml_signature=signer is not None,
            http_pull_model=False,
            ven_name=ven_name,
        ),
    )
    assert isinstance(answer, OadrCreatedPartyRegistration)
    assert answer.ei_response.response_code == ResponseCode.OK
    ven.ven_id = answer.ven_id
    ven.registration_id = answer.registration_id
    record = await server.vtn.registrations.get(answer.ven_id or "")
    assert record is not None
    assert record.push
    assert record.transport_address == address
    return ven


async def create_event(server: RunningVtn) -> str:
    event = await server.vtn.events.create(
        signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])],
        start=server.clock() + timedelta(hours=2),
    )
    return event.ei_event.event_descriptor.event_id


async def queue(server: RunningVtn, ven: VenClient) -> list[QueuedMessage]:
    assert ven.ven_id is not None
    return await server.vtn.store.list_queue(ven.ven_id)


def opt_in(ven_id: str) -> Answer:
    """An endpoint answer: oadrCreatedEvent optIn for every event of an oadrDistributeEvent."""

    def answer(service: str, payload: Payload) -> bytes | None:
        if not isinstance(payload, OadrDistributeEvent):
            return None
        return xml.serialize(
            OadrCreatedEvent(
                ei_response=ok(payload.request_id),
                ven_id=ven_id,
                event_responses=tuple(
                    EventResponse(
                        response_code=ResponseCode.OK,
                        request_id=payload.request_id,
                        qualified_event_id=QualifiedEventID(
                            event_id=event.ei_event.event_descriptor.event_id,
                            modification_number=event.ei_event.event_descriptor.modification_number,
                        ),
                        opt_type=OptType.OPT_IN,
                    )
                    for event in payload.events
                ),
            )
        )

    return answer


def free_port() -> int:
    """A loopback port nobody listens on (for an endpoint that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- delivery ---------------------------------------------------------------------------------------


async def test_push_ven_receives_register_report_and_events_without_polling(tmp_path: Path) -> None:
    async with (
        push_ven() as endpoint,
        running_vtn(tmp_path, config=push_config()) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = await register_push(session, server, endpoint.url)

        async def got_register_report() -> bool:
            return bool(endpoint.delivered_of(OadrRegisterReport))

        await eventually(got_register_report, "the VEN got the VTN's oadrRegisterReport")
        [first] = endpoint.delivered
        assert first.service == "EiReport"
        assert isinstance(first.payload, OadrRegisterReport)
        assert first.payload.ven_id == ven.ven_id

        event_id = await create_event(server)

        async def got_event() -> bool:
            return bool(endpoint.delivered_of(OadrDistributeEvent))

        await eventually(got_event, "the VEN got the oadrDistributeEvent")
        [distribution] = endpoint.delivered_of(OadrDistributeEvent)
        assert isinstance(distribution, OadrDistributeEvent)
        assert endpoint.delivered[-1].service == "EiEvent"
        assert distribution.vtn_id == "test-vtn"
        assert [e.ei_event.event_descriptor.event_id for e in distribution.events] == [event_id]

        async def queue_empty() -> bool:
            return await queue(server, ven) == []

        await eventually(queue_empty, "the delivered messages left the queue")
        assert len(endpoint.requests) == 2  # each message sent once


async def test_answer_in_the_push_response_body_is_recorded(tmp_path: Path) -> None:
    async with (
        push_ven() as endpoint,
        running_vtn(tmp_path, config=push_config()) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = await register_push(session, server, endpoint.url)
        assert ven.ven_id is not None
        endpoint.answer = opt_in(ven.ven_id)
        event_id = await create_event(server)

        async def answered() -> bool:
            return bool(await server.vtn.events.responses(event_id))

        await eventually(answered, "the VEN's oadrCreatedEvent was recorded")
        [response] = await server.vtn.events.responses(event_id)
        assert response.ven_id == ven.ven_id
        assert response.opt_type == OptType.OPT_IN
        assert response.source == EventResponseSource.CREATED_EVENT
        [(record, overridden)] = server.recorder.calls["event_response"]
        assert getattr(record, "event_id", None) == event_id
        assert overridden is False


async def test_vtn_cancellation_is_pushed_and_the_answer_in_the_body_ends_the_registration(
    tmp_path: Path,
) -> None:
    async with (
        push_ven() as endpoint,
        running_vtn(tmp_path, config=push_config()) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = await register_push(session, server, endpoint.url)
        assert ven.ven_id is not None

        def confirm(service: str, payload: Payload) -> bytes | None:
            if not isinstance(payload, OadrCancelPartyRegistration):
                return None
            return xml.serialize(
                OadrCanceledPartyRegistration(
                    ei_response=ok(payload.request_id),
                    registration_id=payload.registration_id,
                    ven_id=payload.ven_id,
                )
            )

        endpoint.answer = confirm
        await server.vtn.registrations.cancel(ven.ven_id)

        async def unregistered() -> bool:
            record = await server.vtn.registrations.get(ven.ven_id or "")
            return record is not None and not record.registered

        await eventually(unregistered, "the pushed cancellation was confirmed")
        [cancel] = endpoint.delivered_of(OadrCancelPartyRegistration)
        assert [r.service for r in endpoint.delivered if r.payload is cancel] == ["EiRegisterParty"]
        assert len(server.recorder.calls["registration_cancelled"]) == 1


# --- failures and retries ---------------------------------------------------------------------------


async def test_http_500_is_retried_with_backoff_until_delivered(tmp_path: Path) -> None:
    async with (
        push_ven() as endpoint,
        running_vtn(tmp_path, config=push_config()) as server,
        aiohttp.ClientSession() as session,
    ):
        endpoint.status = 500
        ven = await register_push(session, server, endpoint.url)
        clock = server.clock

        async def attempts_made(count: int) -> Callable[[], Awaitable[bool]]:
            async def made() -> bool:
                head = await queue(server, ven)
                return bool(head) and head[0].attempts == count

            return made

        # the first attempt fails: rescheduled after push_backoff (plus up to 25% jitter)
        await eventually(await attempts_made(1), "the first attempt failed")
        [head] = await queue(server, ven)
        assert head.next_attempt_at is not None
        assert clock.now + BACKOFF <= head.next_attempt_at <= clock.now + BACKOFF * 1.25
        assert len(endpoint.requests) == 1  # not due again before the clock moves

        # the second attempt fails: the wait doubles
        clock.advance(BACKOFF * 1.25)
        await eventually(await attempts_made(2), "the second attempt failed")
        [head] = await queue(server, ven)
        assert head.next_attempt_at is not None
        assert clock.now + BACKOFF * 2 <= head.next_attempt_at <= clock.now + BACKOFF * 2.5
        assert len(endpoint.requests) == 2

        # the VEN comes back: the message is delivered at its next attempt, and only once
        endpoint.status = 200
        clock.advance(BACKOFF * 2.5)

        async def delivered() -> bool:
            return bool(endpoint.delivered) and await queue(server, ven) == []

        await eventually(delivered, "the message was delivered")
        assert [type(r.payload) for r in endpoint.requests] == [OadrRegisterReport] * 3
        assert [r.status for r in endpoint.requests] == [500, 500, 200]
        assert "delivery_failed" not in server.recorder.calls


async def test_endpoint_that_is_down_is_retried_and_delivered_when_it_comes_back(tmp_path: Path) -> None:
    port = free_port()
    async with running_vtn(tmp_path, config=push_config()) as server, aiohttp.ClientSession() as session:
        ven = await register_push(session, server, f"http://127.0.0.1:{port}")
        event_id = await create_event(server)

        async def failed_once() -> bool:
            head = await queue(server, ven)
            return bool(head) and head[0].attempts >= 1

        await eventually(failed_once, "a push to the closed port failed")
        assert len(await queue(server, ven)) == 2  # oadrRegisterReport, then the event: both kept

        async with push_ven(port=port) as endpoint:

            async def all_delivered() -> bool:
                return await queue(server, ven) == []

            await eventually(all_delivered, "both messages were delivered", clock=server.clock)
            # in order: a VEN's messages go out one at a time
            assert [type(r.payload) for r in endpoint.delivered] == [OadrRegisterReport, OadrDistributeEvent]
            distribution = endpoint.delivered[1].payload
            assert isinstance(distribution, OadrDistributeEvent)
            assert [e.ei_event.event_descriptor.event_id for e in distribution.events] == [event_id]
        assert "delivery_failed" not in server.recorder.calls


async def test_message_is_given_up_after_push_max_attempts(tmp_path: Path) -> None:
    async with (
        push_ven() as endpoint,
        running_vtn(tmp_path, config=push_config(push_max_attempts=3)) as server,
        aiohttp.ClientSession() as session,
    ):
        endpoint.status = 500
        ven = await register_push(session, server, endpoint.url)

        async def given_up() -> bool:
            return "delivery_failed" in server.recorder.calls

        await eventually(given_up, "the push was given up", clock=server.clock)
        [(message, error)] = server.recorder.calls["delivery_failed"]
        assert isinstance(message, QueuedMessage)
        assert message.ven_id == ven.ven_id
        assert message.body is not None
        assert isinstance(xml.parse(message.body), OadrRegisterReport)
        assert isinstance(error, str)
        assert "500" in error
        assert [r.status for r in endpoint.requests] == [500, 500, 500]
        assert await queue(server, ven) == []

        # only that message was given up: the VEN still gets what comes next
        endpoint.status = 200
        await create_event(server)

        async def got_event() -> bool:
            return bool(endpoint.delivered_of(OadrDistributeEvent))

        await eventually(got_event, "the next message was delivered")
        assert len(server.recorder.calls["delivery_failed"]) == 1


async def test_messages_for_a_ven_whose_registration_ended_are_dropped(tmp_path: Path) -> None:
    async with (
        push_ven() as endpoint,
        push_ven() as other_endpoint,
        running_vtn(tmp_path, config=push_config()) as server,
        aiohttp.ClientSession() as session,
    ):
        endpoint.status = 500
        ven = await register_push(session, server, endpoint.url)
        await create_event(server)

        async def failed_once() -> bool:
            head = await queue(server, ven)
            return bool(head) and head[0].attempts == 1

        await eventually(failed_once, "the first push failed")
        assert len(await queue(server, ven)) == 2
        tried = len(endpoint.requests)

        assert ven.registration_id is not None
        answer = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(
                request_id="cancel-push", registration_id=ven.registration_id, ven_id=ven.ven_id
            ),
        )
        assert isinstance(answer, OadrCanceledPartyRegistration)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert await queue(server, ven) == []
        await create_event(server)  # reaches every registered VEN: no longer this one
        assert await queue(server, ven) == []

        # the endpoint is back and retries would be due; another push VEN gets its messages,
        # the ended registration's never come
        endpoint.status = 200
        server.clock.advance(timedelta(hours=1))
        other = await register_push(session, server, other_endpoint.url, ven_name="other-push-ven")

        async def other_served() -> bool:
            return await queue(server, other) == [] and bool(other_endpoint.delivered)

        await eventually(other_served, "the other push VEN got its messages")
        assert len(endpoint.requests) == tried
        assert endpoint.delivered == []
        assert "delivery_failed" not in server.recorder.calls


# --- HTTPS with mutual TLS --------------------------------------------------------------------------


async def test_push_over_https_with_mutual_tls(tmp_path: Path, vtn_pki: TestPKI) -> None:
    key_type = KeyType.ECC
    vtn_credentials = vtn_pki.vtn(key_type)
    ven_credentials = vtn_pki.ven("ven1", key_type)
    async with (
        push_ven(ssl_context=server_context(ven_credentials, vtn_pki)) as endpoint,
        running_vtn(
            tmp_path,
            config=push_config(),
            ssl_context=server_context(vtn_credentials, vtn_pki),
            push_ssl_context=client_context(vtn_credentials, vtn_pki),
        ) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = await register_push(
            session, server, endpoint.url, ssl_context=client_context(ven_credentials, vtn_pki)
        )
        assert ven.ven_id is not None
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.fingerprint == fingerprint_of(ven_credentials)
        endpoint.answer = opt_in(ven.ven_id)
        event_id = await create_event(server)

        async def answered() -> bool:
            return bool(await server.vtn.events.responses(event_id))

        await eventually(answered, "the VEN's answer to the pushed event was recorded")
        assert [type(r.payload) for r in endpoint.delivered] == [OadrRegisterReport, OadrDistributeEvent]
        # the VTN presented its own certificate to the VEN's server
        assert {r.peer_fingerprint for r in endpoint.requests} == {fingerprint_of(vtn_credentials)}
        [response] = await server.vtn.events.responses(event_id)
        assert response.opt_type == OptType.OPT_IN


async def test_push_to_a_server_the_vtn_does_not_trust_is_not_delivered(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    key_type = KeyType.RSA
    ven_credentials = vtn_pki.ven("ven1", key_type)
    untrusting = ssl.create_default_context()  # the system's CAs: not the test PKI's
    untrusting.load_cert_chain(vtn_pki.vtn(key_type).certificate, vtn_pki.vtn(key_type).key)
    async with (
        push_ven(ssl_context=server_context(ven_credentials, vtn_pki)) as endpoint,
        running_vtn(tmp_path, config=push_config(), push_ssl_context=untrusting) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = await register_push(session, server, endpoint.url)

        async def failed_once() -> bool:
            head = await queue(server, ven)
            return bool(head) and head[0].attempts >= 1

        await eventually(failed_once, "the push to the untrusted server failed")
        assert endpoint.requests == []


async def test_a_failing_delivery_failed_handler_does_not_stop_pushing(tmp_path: Path) -> None:
    told: list[QueuedMessage] = []

    async def broken(message: QueuedMessage, error: str) -> None:
        told.append(message)
        raise RuntimeError("the vendor's code is broken")

    async with (
        push_ven() as endpoint,
        running_vtn(
            tmp_path, config=push_config(push_max_attempts=1), handlers=VtnHandlers(on_delivery_failed=broken)
        ) as server,
        aiohttp.ClientSession() as session,
    ):
        endpoint.status = 500
        await register_push(session, server, endpoint.url)

        async def given_up() -> bool:
            return bool(told)

        await eventually(given_up, "the push was given up")
        endpoint.status = 200
        await create_event(server)

        async def got_event() -> bool:
            return bool(endpoint.delivered_of(OadrDistributeEvent))

        await eventually(got_event, "the next message was delivered")
        assert len(told) == 1


async def test_push_to_a_signing_ven_is_signed_and_its_answers_must_be(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    key_type = KeyType.RSA
    vtn_credentials = vtn_pki.vtn(key_type)
    ven_credentials = vtn_pki.ven("ven1", key_type)
    clock = real_time_clock()
    ven_signer = signer_of(ven_credentials, clock)
    verifier = SignatureVerifier(ReplayGuard(clock=clock), clock=clock)
    async with (
        push_ven(ssl_context=server_context(ven_credentials, vtn_pki)) as endpoint,
        running_vtn(
            tmp_path,
            config=push_config(),
            clock=clock,
            ssl_context=server_context(vtn_credentials, vtn_pki),
            push_ssl_context=client_context(vtn_credentials, vtn_pki),
            signer=signer_of(vtn_credentials, clock),
        ) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = await register_push(
            session,
            server,
            endpoint.url,
            ssl_context=client_context(ven_credentials, vtn_pki),
            signer=ven_signer,
        )
        assert ven.ven_id is not None
        unsigned_answer = opt_in(ven.ven_id)
        endpoint.answer = unsigned_answer
        first_event = await create_event(server)

        async def got_events(count: int) -> Callable[[], Awaitable[bool]]:
            async def got() -> bool:
                return len(endpoint.delivered_of(OadrDistributeEvent)) >= count and not await queue(
                    server, ven
                )

            return got

        await eventually(await got_events(1), "the first event was pushed")
        # everything pushed carries the VTN's signature
        for request in endpoint.delivered:
            verified = verifier.parse(request.raw, certificate=vtn_credentials.certificate)
            assert type(verified) is type(request.payload)
        # the unsigned answer in the body was refused: nothing recorded
        assert await server.vtn.events.responses(first_event) == []

        def signed_answer(service: str, payload: Payload) -> bytes | None:
            answer = unsigned_answer(service, payload)
            return None if answer is None else ven_signer.sign(answer)

        endpoint.answer = signed_answer
        second_event = await create_event(server)

        async def answered() -> bool:
            return bool(await server.vtn.events.responses(second_event))

        await eventually(answered, "the signed answer was recorded")
        [response] = await server.vtn.events.responses(second_event)
        assert response.opt_type == OptType.OPT_IN
        # the second distribution carried both events: the signed answer covers the first too
        assert [r.ven_id for r in await server.vtn.events.responses(first_event)] == [ven.ven_id]


async def test_the_push_worker_outlives_a_store_outage(tmp_path: Path) -> None:
    async with (
        push_ven() as endpoint,
        running_vtn(tmp_path, config=push_config()) as server,
        aiohttp.ClientSession() as session,
    ):
        await register_push(session, server, endpoint.url)
        store = server.vtn.store
        await store.close()  # every push round fails now (StoreUnavailableError)
        await asyncio.sleep(0.3)
        await store.open()
        await create_event(server)

        async def got_event() -> bool:
            return bool(endpoint.delivered_of(OadrDistributeEvent))

        await eventually(got_event, "delivery after the store came back")
