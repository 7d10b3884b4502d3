"""The general cases whose device is a VTN (G1_40xx / G0_90xx ``TH_VEN``): G1_4010 passes against
our VTN over mutual TLS (RSA and ECC, pull and push) and does not apply without TLS; G1_4011 and
G1_4015 pass (pull only); G1_4020 does not apply to our VTN (it serves 2.0b only) and passes
against a VTN that also serves 2.0a (our VTN behind a small 2.0a front written here: no 2.0a VTN
can be run otherwise). Each case fails against a VTN (or a TLS setup) that breaks what it checks."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from lxml import etree

from openadr_accel import xml
from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from openadr_accel.conformance.cases.general_vtn import OADR_20A, VEN_20A_ID
from openadr_accel.conformance.context import CompressedClock, Timeouts
from openadr_accel.conformance.devices import EventSpec
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory
from openadr_accel.conformance.runner import HarnessSecurity, RunSettings, VtnRunner
from openadr_accel.model import (
    EiResponse,
    OadrPoll,
    OadrResponse,
    OptType,
    ResponseCode,
)
from openadr_accel.security import KeyType, TestPKI, init_pki, issue_ven
from openadr_accel.security.certificates import fingerprint
from openadr_accel.security.signature import Signer
from openadr_accel.security.tls import ven_ssl_context, vtn_ssl_context
from openadr_accel.vtn.policies import new_id
from openadr_accel.vtn.store import EventResponseRecord, EventResponseSource, QueuedMessage, VenRecord

FAST = RunSettings(speed=60, timeouts=Timeouts(message=10, action=10), case_seconds=60, jobs=4)
"""The settings of the brief: a compressed clock, bounded waits, four cases at once."""

BROKEN = replace(FAST, timeouts=Timeouts(message=3, action=3))
"""For the VTNs that break a rule: what never comes is given up on sooner."""

KEY_TYPES = pytest.mark.parametrize("key_type", list(KeyType), ids=[key.value for key in KeyType])
TRANSPORTS = pytest.mark.parametrize("transport", [Transport.PULL, Transport.PUSH])


def selected(number: str, transport: Transport) -> Selected:
    return Selected(REGISTRY.get(number, Role.VTN), transport)


async def run_one(
    factory: Any, number: str, transport: Transport = Transport.PULL, settings: RunSettings = BROKEN
) -> CaseResult:
    [result] = await VtnRunner(factory, settings).run([selected(number, transport)])
    return result


class BrokenVtnFactory:
    """An :class:`OurVtnFactory` (same options) whose VTN ``breaks`` alters before the case runs."""

    shared_harness = False

    def __init__(self, breaks: Callable[[OurVtn], None], **options: Any) -> None:
        self._inner = OurVtnFactory(**options)
        self._breaks = breaks

    @contextlib.asynccontextmanager
    async def attach(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[OurVtn]:
        async with self._inner.attach(selected, clock) as device:
            self._breaks(device)
            yield device


# -- our VTN, plain HTTP ------------------------------------------------------------------------------------


@TRANSPORTS
async def test_every_general_case_against_our_vtn(transport: Transport) -> None:
    chosen = REGISTRY.select(Role.VTN, transport, ["G"])
    numbers = sorted(item.case.number for item in chosen)
    expected_numbers = ["G1_4010", "G1_4011", "G1_4015", "G1_4020"]
    assert numbers == (expected_numbers if transport is Transport.PULL else ["G1_4010", "G1_4020"])
    results = {result.case.number: result for result in await VtnRunner(OurVtnFactory(), FAST).run(chosen)}
    tls = results.pop("G1_4010")
    assert tls.verdict is Verdict.NOT_APPLICABLE, tls.reason
    assert "the run has no TLS" in tls.reason
    dual = results.pop("G1_4020")
    assert dual.verdict is Verdict.NOT_APPLICABLE, dual.reason
    assert "the VTN does not serve 2.0a VENs" in dual.reason
    assert "HTTP 404" in dual.reason  # no 2.0a endpoint
    assert "2.0b oadrPayload 454" in dual.reason  # a 2.0a document on the 2.0b endpoint: invalid
    assert any("still" in check for check in dual.checks)  # the 2.0b VEN was still served
    for result in results.values():
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
        assert len(result.checks) >= 4, result.case_id


# -- G1_4010 over mutual TLS --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("general-vtn-pki"))
    issue_ven("th", made.directory)
    return made


def secure(
    pki: TestPKI,
    key_type: KeyType = KeyType.RSA,
    *,
    base: RunSettings = BROKEN,
    vtn_server: ssl.SSLContext | None = None,
    harness_client: ssl.SSLContext | None = None,
    breaks: Callable[[OurVtn], None] | None = None,
) -> tuple[Any, RunSettings]:
    """Our VTN over mutual TLS with XML signatures (its server context ``vtn_server`` if given),
    and a run whose harness VEN has them too (its client context ``harness_client`` if given)."""
    vtn = pki.vtn(key_type)
    ven = pki.ven("th", key_type)
    options: dict[str, Any] = {
        "server_ssl": vtn_server or vtn_ssl_context(vtn, pki.ca_bundle),
        "push_ssl": ven_ssl_context(vtn, pki.ca_bundle),
        "signer": Signer(vtn.certificate, vtn.key),
    }
    factory = BrokenVtnFactory(breaks, **options) if breaks is not None else OurVtnFactory(**options)
    security = HarnessSecurity(
        server_ssl=vtn_ssl_context(ven, pki.ca_bundle),
        client_ssl=harness_client or ven_ssl_context(ven, pki.ca_bundle),
        signer=Signer(ven.certificate, ven.key),
        device_fingerprint=fingerprint(vtn.certificate),
    )
    return factory, replace(base, security=security)


@KEY_TYPES
@TRANSPORTS
async def test_g1_4010_passes_over_mutual_tls(pki: TestPKI, key_type: KeyType, transport: Transport) -> None:
    factory, settings = secure(pki, key_type, base=FAST)
    result = await run_one(factory, "G1_4010", transport, settings)
    assert result.verdict is Verdict.PASSED, result.reason
    suite = (
        "TLS_RSA_WITH_AES_128_CBC_SHA256"
        if key_type is KeyType.RSA
        else "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"
    )
    assert any(suite in check for check in result.checks), result.checks
    assert any("refuses a TLS client that presents no certificate" in check for check in result.checks)
    pushes = "a client certificate on its pushes"
    assert any(pushes in check for check in result.checks) is (transport is Transport.PUSH)


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason


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
    result = await run_one(DualVtnFactory(), "G1_4020", transport, FAST)
    assert result.verdict is Verdict.PASSED, result.reason
    assert any("each VEN gets its own event" in check for check in result.checks)
    assert any("stored the 2.0a VEN's answer" in check for check in result.checks)
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
    result = await run_one(DualVtnFactory(**options), "G1_4020")
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason
