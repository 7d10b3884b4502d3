"""The general cases whose device is a VTN (G1_40xx / G0_90xx ``TH_VEN``): G1_4010 passes against
our VTN over mutual TLS (RSA and ECC, pull and push) and does not apply without TLS; G1_4020 does
not apply to our VTN (it serves 2.0b only) and passes against a VTN that also serves 2.0a (our VTN
behind a small 2.0a front written here: no 2.0a VTN can be run otherwise). Each case fails
against a VTN (or a TLS setup) that breaks what it checks. That G1_4011 and G1_4015 pass against
our own VTN is ``conformance/test_ours.py``'s to show."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web
from conformance_runs import FAST, KEY_TYPES, SUITE_OF, TRANSPORTS, assert_failed, has_check
from conformance_vtn_devices import BROKEN, BrokenVtnFactory, run_one, secure
from lxml import etree

from openadr_accel import xml
from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Selected, Transport, Verdict
from openadr_accel.conformance.cases.general_vtn import OADR_20A, VEN_20A_ID
from openadr_accel.conformance.context import CompressedClock
from openadr_accel.conformance.devices import EventSpec
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory
from openadr_accel.model import (
    EiResponse,
    OadrPoll,
    OadrResponse,
    OptType,
    ResponseCode,
)
from openadr_accel.security import KeyType, TestPKI
from openadr_accel.vtn.policies import new_id
from openadr_accel.vtn.store import EventResponseRecord, EventResponseSource, QueuedMessage, VenRecord

# -- what does not apply to our VTN ---------------------------------------------------------------------


@TRANSPORTS
async def test_g1_4010_does_not_apply_without_tls(transport: Transport) -> None:
    result = await run_one(OurVtnFactory(), "G1_4010", transport)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "the run has no TLS" in result.reason


@TRANSPORTS
async def test_g1_4020_does_not_apply_to_a_vtn_that_serves_2_0b_only(transport: Transport) -> None:
    result = await run_one(OurVtnFactory(), "G1_4020", transport)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "the VTN does not serve 2.0a VENs" in result.reason
    assert "HTTP 404" in result.reason  # no 2.0a endpoint
    assert "2.0b oadrPayload 454" in result.reason  # a 2.0a document on the 2.0b endpoint: invalid
    assert has_check(result, "still")  # the 2.0b VEN was still served


# -- G1_4010 over mutual TLS --------------------------------------------------------------------------------


@KEY_TYPES
@TRANSPORTS
async def test_g1_4010_passes_over_mutual_tls(pki: TestPKI, key_type: KeyType, transport: Transport) -> None:
    factory, settings = secure(pki, key_type, base=FAST)
    result = await run_one(factory, "G1_4010", transport, settings)
    assert result.verdict is Verdict.PASSED, result.reason
    assert has_check(result, SUITE_OF[key_type]), result.checks
    assert has_check(result, "refuses a TLS client that presents no certificate")
    assert has_check(result, "a client certificate on its pushes") is (transport is Transport.PUSH)


def lenient_client(pki: TestPKI) -> ssl.SSLContext:
    """A harness client context with the VEN's certificate that admits TLS 1.3 and any suite."""
    ven = pki.ven("th", KeyType.RSA)
    context = ssl.create_default_context(cafile=str(pki.ca_bundle))
    context.load_cert_chain(str(ven.certificate), str(ven.key))
    return context


def vtn_server(pki: TestPKI, configure: Callable[[ssl.SSLContext], None]) -> ssl.SSLContext:
    vtn = pki.vtn(KeyType.RSA)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(vtn.certificate), str(vtn.key))
    context.load_verify_locations(cafile=str(pki.ca_bundle))
    context.verify_mode = ssl.CERT_REQUIRED
    configure(context)
    return context


def tls13(context: ssl.SSLContext) -> None:
    context.minimum_version = ssl.TLSVersion.TLSv1_3


def gcm_suites(context: ssl.SSLContext) -> None:
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256")


def optional_client_certificates(context: ssl.SSLContext) -> None:
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("AES128-SHA256")
    context.verify_mode = ssl.CERT_OPTIONAL


@pytest.mark.parametrize(
    ("configure", "lenient", "words"),
    [
        (tls13, True, "the VTN's connections use TLS 1.2 (seen: TLSv1.3)"),
        (gcm_suites, True, "the VTN's connections use a 2.0b cipher suite"),
        (optional_client_certificates, False, "the VTN refuses a TLS client that presents no certificate"),
    ],
)
async def test_g1_4010_fails_against_a_vtn_with_a_non_2_0b_tls_setup(
    pki: TestPKI, configure: Callable[[ssl.SSLContext], None], lenient: bool, words: str
) -> None:
    """A lenient harness client (TLS 1.3, any suite) lets the VTN's own choice show."""
    factory, settings = secure(
        pki, vtn_server=vtn_server(pki, configure), harness_client=lenient_client(pki) if lenient else None
    )
    result = await run_one(factory, "G1_4010", Transport.PULL, settings)
    assert_failed([result], words)


# -- G1_4011 and G1_4015 (pull only) ------------------------------------------------------------


def empty_polls_name_another_ven(device: OurVtn) -> None:
    """Answers a poll that finds nothing queued with an oadrResponse 200 for another venID."""
    dispatcher = device.vtn.dispatcher
    original = dispatcher._poll
    store = device.vtn.store

    async def poll(message: OadrPoll, ven: VenRecord | None, head: QueuedMessage | None, sign: bool) -> bytes:
        if ven is not None and head is None and not await store.list_queue(ven.ven_id):
            return xml.serialize(
                OadrResponse(
                    ei_response=EiResponse(response_code=ResponseCode.OK, request_id=""),
                    ven_id="SOMEONE-ELSE",
                )
            )
        return await original(message, ven, head, sign)

    dispatcher._poll = poll  # type: ignore[method-assign]


def deliver_one_and_drop_the_rest(device: OurVtn) -> None:
    """A poll that takes a message empties the rest of the VEN's queue."""
    dispatcher = device.vtn.dispatcher
    original = dispatcher._poll
    store = device.vtn.store

    async def poll(message: OadrPoll, ven: VenRecord | None, head: QueuedMessage | None, sign: bool) -> bytes:
        answer = await original(message, ven, head, sign)
        if ven is not None and head is not None:
            await store.clear_queue(ven.ven_id)
        return answer

    dispatcher._poll = poll  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("number", "breaks", "words"),
    [
        ("G1_4011", empty_polls_name_another_ven, "each empty oadrPoll is answered oadrResponse 200 naming"),
        ("G1_4015", deliver_one_and_drop_the_rest, "the first two polls bring one queued message each"),
    ],
)
async def test_the_poll_cases_fail_against_a_vtn_that_mishandles_its_queue(
    number: str, breaks: Callable[[OurVtn], None], words: str
) -> None:
    result = await run_one(BrokenVtnFactory(breaks), number)
    assert_failed([result], words)


# -- G1_4020 against a VTN that also serves 2.0a --------------------------------------------------

_EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
_PYLD = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
_NS = f'xmlns:oadr="{OADR_20A}" xmlns:ei="{_EI}" xmlns:pyld="{_PYLD}"'


@dataclass
class Front20a:
    """A 2.0a EiEvent endpoint in front of our VTN: the 2.0b paths go to the VTN as they are;
    ``<prefix>/OpenADR2/Simple/EiEvent`` takes 2.0a oadrRequestEvent and oadrCreatedEvent for the
    events made for the 2.0a VEN (kept here), and stores the 2.0a VEN's answers in the VTN's store
    (where the case observes them). ``leak`` puts the 2.0b VEN's events in the 2.0a distribution
    too; ``refuse_answers`` answers the 2.0a oadrCreatedEvent with 452."""

    device: OurVtn
    leak: bool = False
    refuse_answers: bool = False
    events: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        prefix = self.device.vtn.config.prefix
        app.router.add_post(prefix + "/OpenADR2/Simple/EiEvent", self.serve_20a)
        app.router.add_post(prefix + "/OpenADR2/Simple/2.0b/{service}", self.serve_20b)
        return app

    async def serve_20b(self, request: web.Request) -> web.Response:
        body = await self.device.vtn.handle(request.match_info["service"], await request.read())
        return web.Response(body=body, content_type="application/xml")

    async def serve_20a(self, request: web.Request) -> web.Response:
        root = etree.fromstring(await request.read())
        name = etree.QName(root).localname
        if name == "oadrRequestEvent":
            events = list(self.events)
            if self.leak:
                events += [event.ei_event.event_descriptor.event_id for event in self.device.events]
            body = (
                f"<oadr:oadrDistributeEvent {_NS}><ei:eiResponse><ei:responseCode>200</ei:responseCode>"
                f"<pyld:requestID/></ei:eiResponse><pyld:requestID>{new_id()}</pyld:requestID>"
                "<ei:vtnID>front-20a</ei:vtnID>"
                + "".join(
                    "<oadr:oadrEvent><ei:eiEvent><ei:eventDescriptor>"
                    f"<ei:eventID>{event_id}</ei:eventID><ei:modificationNumber>0</ei:modificationNumber>"
                    "</ei:eventDescriptor></ei:eiEvent><oadr:oadrResponseRequired>always"
                    "</oadr:oadrResponseRequired></oadr:oadrEvent>"
                    for event_id in events
                )
                + "</oadr:oadrDistributeEvent>"
            )
        else:
            code = ResponseCode.INVALID_ID if self.refuse_answers else ResponseCode.OK
            if not self.refuse_answers:
                for event_id in root.iter(f"{{{_EI}}}eventID"):
                    await self.device.vtn.store.save_event_response(
                        EventResponseRecord(
                            ven_id=VEN_20A_ID,
                            event_id=str(event_id.text),
                            modification_number=0,
                            opt_type=OptType.OPT_IN,
                            response_code=ResponseCode.OK,
                            source=EventResponseSource.CREATED_EVENT,
                            received_at=datetime.now(UTC),
                        )
                    )
            body = (
                f"<oadr:oadrResponse {_NS}><ei:eiResponse><ei:responseCode>{code}</ei:responseCode>"
                "<pyld:requestID/></ei:eiResponse></oadr:oadrResponse>"
            )
        return web.Response(body=body.encode(), content_type="application/xml")


class DualVtn(OurVtn):
    """Our VTN behind a :class:`Front20a`: events for the 2.0a VEN are made by the front."""

    front: Front20a

    async def create_event(self, spec: EventSpec) -> None:
        if spec.ven_id == VEN_20A_ID:
            self.front.events.append(f"TH-2A-EVENT-{new_id()[:8]}")
            return
        await super().create_event(spec)


class DualVtnFactory:
    """Our VTN serving 2.0b, with a :class:`Front20a` serving 2.0a at the same address."""

    shared_harness = False

    def __init__(self, *, leak: bool = False, refuse_answers: bool = False) -> None:
        self._inner = OurVtnFactory()
        self._leak = leak
        self._refuse_answers = refuse_answers

    @contextlib.asynccontextmanager
    async def attach(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[OurVtn]:
        async with self._inner.attach(selected, clock) as device:
            front = Front20a(device, leak=self._leak, refuse_answers=self._refuse_answers)
            runner = web.AppRunner(front.app(), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            dual = DualVtn(device.vtn, f"http://127.0.0.1:{port}{device.vtn.config.prefix}", device.journal)
            dual.front = front
            front.device = dual  # the front sees the events made through the device
            try:
                yield dual
            finally:
                await runner.cleanup()


@TRANSPORTS
async def test_g1_4020_passes_against_a_vtn_that_also_serves_2_0a(transport: Transport) -> None:
    result = await run_one(DualVtnFactory(), "G1_4020", transport)
    assert result.verdict is Verdict.PASSED, result.reason
    assert has_check(result, "each VEN gets its own event")
    assert has_check(result, "stored the 2.0a VEN's answer")
    assert any(exchange.service == "EiEvent (2.0a)" for exchange in result.exchanges)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"leak": True}, "the 2.0a VEN gets one event"),
        (
            {"refuse_answers": True},
            "with a 2.0a oadrResponse 200 (seen: HTTP 200 with a 2.0a oadrResponse 452)",
        ),
    ],
)
async def test_g1_4020_fails_against_a_dual_vtn_that_mixes_its_vens_up(
    options: dict[str, bool], words: str
) -> None:
    result = await run_one(DualVtnFactory(**options), "G1_4020", settings=BROKEN)
    assert_failed([result], words)
