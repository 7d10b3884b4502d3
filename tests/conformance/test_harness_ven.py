"""The harness VEN against our own VTN (through OurVtnFactory), over loopback: registration, an
event and its answer, reports, VTN-initiated registration messages, mutual TLS with XML
signatures, and the problems the harness must notice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

import pytest
from aiohttp import web

from openadr_accel import xml
from openadr_accel.conformance.case import Case, CaseFailed, CaseRegistry, Role, Selected, Transport, Verdict
from openadr_accel.conformance.context import CompressedClock, Timeouts, VtnCaseContext
from openadr_accel.conformance.devices import EventSpec, ReportSpec
from openadr_accel.conformance.harness_ven import (
    ENERGY_RID,
    POWER_RID,
    TELEMETRY_STATUS_ID,
    TELEMETRY_USAGE_ID,
    HarnessVen,
    default_reports,
)
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory, VtnView
from openadr_accel.conformance.runner import HarnessSecurity, RunSettings, VtnRunner
from openadr_accel.conformance.transcript import Direction, Transcript
from openadr_accel.model import (
    EiResponse,
    OadrCancelPartyRegistration,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrPayloadResourceStatus,
    OadrRegisterReport,
    OadrRequestReregistration,
    OadrResponse,
    OptType,
    PayloadFloat,
    ReportName,
    ResponseCode,
    ServiceName,
    SignalType,
)
from openadr_accel.security import KeyType, TestPKI, init_pki, issue_ven
from openadr_accel.security.certificates import fingerprint
from openadr_accel.security.signature import Signer
from openadr_accel.security.tls import ven_ssl_context, vtn_ssl_context
from openadr_accel.vtn import Signal
from openadr_accel.vtn.reports import RequestOffered
from openadr_accel.vtn.store import ReportRequestState

TRANSPORTS = pytest.mark.parametrize("pull", [True, False], ids=["pull", "push"])

WAIT = 5.0
"""Seconds any one wait may take (they normally end in milliseconds)."""

LEVEL = Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])


def selection(pull: bool, number: str = "E1_1020") -> Selected:
    async def body(ctx: object) -> None:
        """Nothing: the tests drive the harness themselves."""

    case = Case(number=number, role=Role.VTN, title="a test case", body=body)
    return Selected(case, Transport.PULL if pull else Transport.PUSH)


@dataclass
class Pair:
    device: OurVtn
    harness: HarnessVen
    transcript: Transcript
    clock: CompressedClock

    @property
    def view(self) -> VtnView:
        return self.device.observer()()

    def context(self, pull: bool) -> VtnCaseContext:
        return VtnCaseContext(
            selection(pull),
            harness=self.harness,
            device=self.device,
            clock=self.clock,
            transcript=self.transcript,
            timeouts=Timeouts(message=WAIT, action=WAIT),
        )


@asynccontextmanager
async def pair(
    pull: bool,
    factory: OurVtnFactory | None = None,
    *,
    speed: float = 1.0,
    **harness_options: object,
) -> AsyncIterator[Pair]:
    """Our VTN and a harness VEN talking to it, for one test."""
    clock = CompressedClock(speed)
    transcript = Transcript()
    async with (factory or OurVtnFactory()).attach(selection(pull), clock) as device:
        harness = HarnessVen(
            url=device.url,
            clock=clock,
            transcript=transcript,
            pull=pull,
            timeout=WAIT,
            **harness_options,  # type: ignore[arg-type]
        )
        async with harness:
            yield Pair(device, harness, transcript, clock)


async def eventually(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.02)


def messages(transcript: Transcript, direction: Direction) -> list[str | None]:
    return [exchange.message for exchange in transcript.exchanges if exchange.direction is direction]


async def create_and_answer(both: Pair, pull: bool) -> str:
    """The device creates an event; the harness receives it and answers optIn (by default)."""
    harness, device = both.harness, both.device
    mark = harness.mark()
    await device.create_event(
        EventSpec(ven_id=harness.ven_id, signals=[LEVEL], start=both.clock() + timedelta(minutes=5))
    )
    distribution = await harness.wait_for(
        OadrDistributeEvent, since=mark, where=lambda message: bool(message.events)
    )
    [event] = distribution.events
    event_id = event.ei_event.event_descriptor.event_id
    assert event_id == device.last_event_id
    await both.context(pull).observe(
        "the VTN stored the harness's optIn", lambda view: view.responded(event_id)
    )
    return event_id


# -- the default behaviour, pull and push -------------------------------------------------------------


@TRANSPORTS
async def test_bootstrap_then_an_event_and_its_answer(pull: bool) -> None:
    async with pair(pull) as both:
        registration = await both.harness.registered(expect_register_report=True)
        assert registration.pull is pull
        assert registration.poll_frequency == timedelta(seconds=1)
        assert registration.vtn_id == "openadr-accel-vtn"
        [ven] = both.view.journal.registered
        assert ven.ven_id == registration.ven_id
        assert ven.http_pull_model is pull
        assert ven.transport_address == (None if pull else both.harness.transport_address)
        [(_, offered)] = both.view.journal.capabilities
        assert [report.report_specifier_id for report in offered] == [
            report.report_specifier_id for report in default_reports(both.clock())
        ]
        assert both.harness.inbox.of(OadrRegisterReport)  # the VTN's own, answered

        event_id = await create_and_answer(both, pull)
        [stored] = await both.view.responses(event_id)
        assert stored.opt_type == OptType.OPT_IN
        assert stored.response_code == ResponseCode.OK
        [(record, overridden)] = both.view.journal.event_responses
        assert (record.event_id, overridden) == (event_id, False)

        sent = messages(both.transcript, Direction.TO_DEVICE)
        received = messages(both.transcript, Direction.FROM_DEVICE)
        for name in ("oadrQueryRegistration", "oadrCreatePartyRegistration", "oadrRegisterReport"):
            assert name in sent
        assert "oadrCreatedEvent" in sent
        assert "oadrRegisteredReport" in sent  # the answer to the VTN's oadrRegisterReport
        assert "oadrDistributeEvent" in received
        assert "oadrRegisterReport" in received
        assert ("oadrPoll" in sent) is pull
        if not pull:  # pushed requests are inspected with their HTTP headers
            assert any(
                exchange.http == "request"
                for exchange in both.transcript.exchanges
                if exchange.direction is Direction.FROM_DEVICE
            )
        assert both.transcript.problems() == []


@TRANSPORTS
async def test_an_event_answered_once_per_modification(pull: bool) -> None:
    async with pair(pull, speed=60) as both:  # the run's clock 60 times faster, as in runs
        harness, device = both.harness, both.device
        await harness.registered()
        harness.decide = lambda event: OptType.OPT_OUT
        event_id = await create_and_answer(both, pull)
        answers = len([m for m in both.transcript.exchanges if m.message == "oadrCreatedEvent"])

        mark = harness.mark()
        await device.modify_event(
            event_id,
            EventSpec(ven_id=harness.ven_id, signals=[LEVEL], start=both.clock() + timedelta(minutes=10)),
        )
        modified = await harness.wait_for(
            OadrDistributeEvent,
            since=mark,
            where=lambda message: any(e.qualified_event_id.modification_number == 1 for e in message.events),
        )
        assert modified.events[0].ei_event.event_descriptor.modification_number == 1

        async def answered_modification() -> bool:
            return [r.modification_number for r in await both.view.responses(event_id)] == [1]

        await eventually(answered_modification, "the VTN stored the answer to modification 1")
        [stored] = await both.view.responses(event_id)
        assert stored.opt_type == OptType.OPT_OUT
        later = len([m for m in both.transcript.exchanges if m.message == "oadrCreatedEvent"])
        assert later == answers + 1
        assert both.transcript.problems() == []


@TRANSPORTS
async def test_a_case_answers_with_its_own_message(pull: bool) -> None:
    async with pair(pull) as both:
        harness, device = both.harness, both.device
        await harness.registered()
        own: list[OadrCreatedEvent] = []

        def answer(message: object) -> OadrCreatedEvent | None:
            assert isinstance(message, OadrDistributeEvent)
            if not message.events:
                return None
            created = OadrCreatedEvent(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                ven_id=harness.ven_id,
                event_responses=(),
            )
            own.append(created)
            return created

        harness.answer_with[OadrDistributeEvent] = answer  # type: ignore[assignment]
        mark = harness.mark()
        await device.create_event(
            EventSpec(ven_id=harness.ven_id, signals=[LEVEL], start=both.clock() + timedelta(minutes=5))
        )
        await harness.wait_for(OadrDistributeEvent, since=mark, where=lambda message: bool(message.events))
        await harness.settle()
        assert len(own) == 1
        assert await both.view.responses(device.last_event_id) == []  # no eventResponse in it


# -- reports --------------------------------------------------------------------------------------------


@TRANSPORTS
async def test_a_one_shot_telemetry_usage_report(pull: bool) -> None:
    async with pair(pull) as both:
        harness, device = both.harness, both.device
        await harness.registered()
        mark = harness.mark()
        await device.request_report(ReportSpec(ven_id=harness.ven_id, report_specifier_id=TELEMETRY_USAGE_ID))
        created = await harness.wait_for(OadrCreateReport, since=mark)
        [request] = created.report_requests
        request_id = request.report_request_id
        assert request_id == device.report_requests[-1].report_request_id
        assert harness.pending_reports == [request_id]

        async def confirmed() -> bool:
            [record] = await device.vtn.reports.requests(harness.ven_id)
            return record.state == ReportRequestState.CREATED

        await eventually(confirmed, "the VTN saw the harness's oadrCreatedReport")

        updated = await harness.send_update(request_id, {POWER_RID: 1200, ENERGY_RID: Decimal("300.5")})
        assert updated.ei_response.response_code == ResponseCode.OK
        assert harness.pending_reports == []  # a one-shot report is over once sent
        [(ven, report, record)] = both.view.journal.reports
        assert ven.ven_id == harness.ven_id
        assert record.report_request_id == request_id
        values = {payload.r_id: payload.payload for payload in report.intervals[0].payloads}
        assert values == {
            POWER_RID: PayloadFloat(value=Decimal(1200)),
            ENERGY_RID: PayloadFloat(value=Decimal("300.5")),
        }
        [stored] = await both.view.report_data(harness.ven_id, report_request_id=request_id)
        assert stored.report.report_specifier_id == TELEMETRY_USAGE_ID
        [record] = await device.vtn.reports.requests(harness.ven_id)
        assert record.state == ReportRequestState.COMPLETED
        assert both.transcript.problems() == []


@TRANSPORTS
async def test_a_status_report_cancelled_with_report_to_follow_and_a_metadata_request(pull: bool) -> None:
    async with pair(pull) as both:
        harness, device = both.harness, both.device
        await harness.registered()
        mark = harness.mark()
        await device.request_report(
            ReportSpec(
                ven_id=harness.ven_id,
                report_specifier_id=TELEMETRY_STATUS_ID,
                granularity=timedelta(minutes=1),
                report_back_duration=timedelta(minutes=1),
            )
        )
        created = await harness.wait_for(OadrCreateReport, since=mark)
        request_id = created.report_requests[0].report_request_id
        await harness.settle()
        await harness.send_update(request_id, samples=2)
        [(_, report, _)] = both.view.journal.reports
        assert [interval.uid for interval in report.intervals] == ["0", "1"]
        assert isinstance(report.intervals[0].payloads[0].payload, OadrPayloadResourceStatus)

        await device.cancel_report(request_id, report_to_follow=True)

        async def cancelled() -> bool:
            [record] = await device.vtn.reports.requests(harness.ven_id)
            return record.state == ReportRequestState.CANCELLED

        if pull:
            await harness.drain()  # the oadrCancelReport, answered, then the final update
        await eventually(cancelled, "the final update ended the cancelled request")
        assert len(both.view.journal.reports) == 2

        mark = harness.mark()
        await device.request_metadata(harness.ven_id)
        await harness.wait_for(OadrCreateReport, since=mark)
        await harness.settle()

        async def registered_again() -> bool:
            return len(both.view.journal.capabilities) == 2

        await eventually(registered_again, "the harness sent its oadrRegisterReport again")
        assert both.transcript.problems() == []


@TRANSPORTS
async def test_report_requests_riding_on_the_registered_report(pull: bool) -> None:
    factory = OurVtnFactory()
    async with pair(pull, factory) as both:
        both.device.journal.answer_capabilities = RequestOffered(
            {ReportName.METADATA_TELEMETRY_USAGE},
            granularity=timedelta(minutes=1),
            report_back_duration=timedelta(minutes=1),
        )
        harness = both.harness
        await harness.registered()
        [request_id] = harness.pending_reports
        assert harness.report_requests[request_id].report_specifier.report_specifier_id == TELEMETRY_USAGE_ID
        [record] = await both.device.vtn.reports.requests(harness.ven_id)
        assert record.report_request_id == request_id
        assert record.state == ReportRequestState.CREATED  # the harness's oadrCreatedReport arrived
        assert "oadrCreatedReport" in messages(both.transcript, Direction.TO_DEVICE)
        await harness.send_update(request_id)
        assert harness.pending_reports == [request_id]  # periodic: still outstanding
        assert both.transcript.problems() == []


# -- registration messages from the VTN -------------------------------------------------------------


@TRANSPORTS
async def test_reregistration_and_cancellation_asked_by_the_vtn(pull: bool) -> None:
    async with pair(pull) as both:
        harness, device = both.harness, both.device
        registration = await harness.registered()

        mark = harness.mark()
        await device.request_reregistration(harness.ven_id)
        await harness.wait_for(OadrRequestReregistration, since=mark)
        await harness.wait_for(
            OadrCreatedPartyRegistration, since=mark, what="the answer to the re-registration"
        )
        await harness.settle()
        assert harness.registration is not None
        assert harness.registration.registration_id == registration.registration_id  # renewed
        assert len(both.view.journal.registered) == 2

        mark = harness.mark()
        await device.cancel_registration(harness.ven_id)
        await harness.wait_for(OadrCancelPartyRegistration, since=mark)
        await harness.settle()

        async def unregistered() -> bool:
            return len(both.view.journal.registration_cancelled) == 1

        await eventually(unregistered, "the VTN ended the registration")
        assert harness.registration is None
        with pytest.raises(CaseFailed, match="not registered"):
            await harness.poll()
        assert both.transcript.problems() == []


async def test_cancel_registration_by_the_harness() -> None:
    async with pair(True) as both:
        await both.harness.registered()
        answer = await both.harness.cancel_registration()
        assert answer.ei_response.response_code == ResponseCode.OK
        assert both.harness.registration is None
        assert len(both.view.journal.registration_cancelled) == 1


# -- mutual TLS and XML signatures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("conformance-pki"))
    issue_ven("th", made.directory)
    return made


def secure_vtn(pki: TestPKI, *, signs: bool = True) -> OurVtnFactory:
    credentials = pki.vtn(KeyType.RSA)
    return OurVtnFactory(
        server_ssl=vtn_ssl_context(credentials, pki.ca_bundle),
        push_ssl=ven_ssl_context(credentials, pki.ca_bundle),
        signer=Signer(credentials.certificate, credentials.key) if signs else None,
    )


def secure_harness(
    pki: TestPKI, clock: CompressedClock, *, vtn_fingerprint: str | None = None
) -> dict[str, object]:
    credentials = pki.ven("th", KeyType.RSA)
    return {
        "client_ssl": ven_ssl_context(credentials, pki.ca_bundle),
        "server_ssl": vtn_ssl_context(credentials, pki.ca_bundle),
        "signer": Signer(credentials.certificate, credentials.key, clock=clock),
        "vtn_fingerprint": vtn_fingerprint or fingerprint(pki.vtn(KeyType.RSA).certificate),
    }


@asynccontextmanager
async def secure_pair(pki: TestPKI, pull: bool, **options: object) -> AsyncIterator[Pair]:
    clock = CompressedClock(1.0)
    transcript = Transcript()
    async with secure_vtn(pki, signs=bool(options.pop("vtn_signs", True))).attach(
        selection(pull), clock
    ) as device:
        assert device.url.startswith("https://")
        harness = HarnessVen(
            url=device.url,
            clock=clock,
            transcript=transcript,
            pull=pull,
            timeout=WAIT,
            **secure_harness(pki, clock, **options),  # type: ignore[arg-type]
        )
        async with harness:
            yield Pair(device, harness, transcript, clock)


def signed(body: bytes) -> bool:
    return b"Signature" in body[:400]


@TRANSPORTS
async def test_mutual_tls_and_signatures(pki: TestPKI, pull: bool) -> None:
    async with secure_pair(pki, pull) as both:
        registration = await both.harness.registered()
        assert registration.xml_signature
        [ven] = both.view.journal.registered
        assert ven.fingerprint == fingerprint(pki.ven("th", KeyType.RSA).certificate)
        assert ven.xml_signature
        await create_and_answer(both, pull)
        if not pull:
            assert both.harness.transport_address is not None
            assert both.harness.transport_address.startswith("https://")
        assert both.transcript.problems() == []
        # after the query (and the registration itself), everything is signed both ways
        later = [
            exchange
            for exchange in both.transcript.exchanges
            if exchange.message not in ("oadrQueryRegistration", "oadrCreatedPartyRegistration")
        ]
        assert later
        unsigned = [(exchange.direction, exchange.message) for exchange in later if not signed(exchange.body)]
        assert unsigned == []


async def test_a_wrong_vtn_fingerprint_is_a_signature_problem(pki: TestPKI) -> None:
    wrong = fingerprint(pki.ven("th", KeyType.RSA).certificate)
    async with secure_pair(pki, True, vtn_fingerprint=wrong) as both:
        await both.harness.registered()
        problems = both.transcript.problems()
        assert problems
        assert all("signature does not verify" in problem for problem in problems), problems
        assert any(wrong in problem for problem in problems)


async def test_a_vtn_that_stops_signing_is_flagged(pki: TestPKI) -> None:
    async with secure_pair(pki, True) as both:
        registration = await both.harness.registered()
        assert both.transcript.problems() == []
        store = both.device.vtn.store
        ven = await store.get_ven(registration.ven_id)
        assert ven is not None
        await store.save_ven(replace(ven, xml_signature=False))  # the VTN forgets it must sign
        answer = await both.harness.poll()
        assert answer.ei_response.response_code == ResponseCode.OK  # type: ignore[union-attr]
        assert both.transcript.problems() == [
            "oadrResponse (OadrPoll): XML signatures were negotiated but the document is not signed"
        ]


async def test_a_wrong_vtn_fingerprint_over_push_is_also_a_tls_problem(pki: TestPKI) -> None:
    wrong = fingerprint(pki.ven("th", KeyType.RSA).certificate)
    async with secure_pair(pki, False, vtn_fingerprint=wrong) as both:
        await both.harness.registered(expect_register_report=True)  # pushed: a TLS connection
        problems = both.transcript.problems()
        assert any("TLS client certificate" in problem for problem in problems), problems


async def test_a_refused_registration_fails_the_case_with_its_code(pki: TestPKI) -> None:
    async with secure_pair(pki, True, vtn_signs=False) as both:
        with pytest.raises(CaseFailed, match=r"refused the registration with 454.*oadrXmlSignature|sign"):
            await both.harness.register()
        assert both.harness.registration is None


# -- what the harness must notice --------------------------------------------------------------------


async def test_an_invalid_document_is_answered_and_recorded() -> None:
    async with pair(True) as both:
        await both.harness.registered()
        answer = await both.harness.send_document(
            b"<oadrPayload>not 2.0b</oadrPayload>", ServiceName.EI_EVENT
        )
        assert answer is not None
        assert answer.ei_response.response_code == ResponseCode.INVALID_DATA  # type: ignore[union-attr]
        [sent] = [
            exchange
            for exchange in both.transcript.exchanges
            if exchange.direction is Direction.TO_DEVICE and exchange.body.startswith(b"<oadrPayload>")
        ]
        assert sent.message is None  # not readable: recorded as it was sent
        assert both.transcript.problems() == []  # the VTN's answer itself is fine


async def test_an_unreachable_vtn_fails_the_case() -> None:
    clock = CompressedClock()
    harness = HarnessVen(url="http://127.0.0.1:9", clock=clock, transcript=Transcript(), pull=True, timeout=2)
    async with harness:
        with pytest.raises(CaseFailed, match="could not reach the VTN"):
            await harness.query()


@asynccontextmanager
async def answering_with(status: int, body: bytes) -> AsyncIterator[str]:
    """A server answering every POST with ``status`` and ``body``; its URL."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=status, body=body, content_type="application/xml")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        [address] = [socket.getsockname() for socket in site._server.sockets]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{address[1]}"
    finally:
        await runner.cleanup()


def acknowledgement() -> OadrResponse:
    return OadrResponse(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id="rr-1"), ven_id="ven-1"
    )


async def test_an_oadr_response_may_be_answered_with_an_empty_200() -> None:
    transcript = Transcript()
    async with answering_with(200, b"") as url:
        harness = HarnessVen(url=url, clock=CompressedClock(), transcript=transcript, pull=True, timeout=2)
        async with harness:
            assert await harness.acknowledge(acknowledgement()) is None
    [answer] = [exchange for exchange in transcript.exchanges if exchange.direction is Direction.FROM_DEVICE]
    assert (answer.status, answer.body, answer.message) == (200, b"", None)
    assert transcript.problems() == []


async def test_an_oadr_response_answered_otherwise_than_200_fails() -> None:
    async with answering_with(500, b"") as url:
        harness = HarnessVen(url=url, clock=CompressedClock(), transcript=Transcript(), pull=True, timeout=2)
        async with harness:
            with pytest.raises(CaseFailed, match="answered oadrResponse with HTTP 500"):
                await harness.acknowledge(acknowledgement())


async def test_a_message_that_never_comes_fails_in_time() -> None:
    async with pair(True) as both:
        await both.harness.registered()
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(CaseFailed, match=r"did not send an oadrCreateReport within 1\.5 s"):
            await both.harness.wait_for(OadrCreateReport, since=both.harness.mark(), timeout=1.5)
        assert loop.time() - began < 3
        polls = [at for at in both.harness.polls if at >= began]
        assert len(polls) >= 2  # polled again after the VTN's poll frequency (1 s)
        gaps = [later - earlier for earlier, later in itertools.pairwise(polls)]
        assert all(gap >= 0.95 for gap in gaps), gaps


# -- through the runner ---------------------------------------------------------------------------------


@TRANSPORTS
async def test_a_case_through_the_vtn_runner(pull: bool) -> None:
    async def body(ctx: VtnCaseContext) -> None:
        """Register, make the VTN create an event, check the answer reached it."""
        registration = await ctx.harness.registered()
        mark = ctx.harness.mark()
        await ctx.device.create_event(
            EventSpec(ven_id=registration.ven_id, signals=[LEVEL], start=ctx.now() + timedelta(minutes=5))
        )
        distribution = await ctx.harness.wait_for(
            OadrDistributeEvent, since=mark, where=lambda m: bool(m.events)
        )
        event_id = distribution.events[0].ei_event.event_descriptor.event_id
        await ctx.observe("the VTN stored the optIn", lambda view: view.responded(event_id))

    registry = CaseRegistry()
    registry.add(Case(number="E1_1020", role=Role.VTN, title="a test case", body=body))
    selected = Selected(registry.get("E1_1020", Role.VTN), Transport.PULL if pull else Transport.PUSH)
    settings = RunSettings(speed=60, timeouts=Timeouts(message=WAIT, action=WAIT), case_seconds=20)
    [result] = await VtnRunner(OurVtnFactory(), settings).run([selected])
    assert result.verdict is Verdict.PASSED, result.reason
    assert result.case_id == ("E1_1020_TH_VEN" if pull else "E0_6020_TH_VEN")
    assert result.checks == ["the VTN stored the optIn"]


async def test_the_runner_with_tls_and_signatures(pki: TestPKI) -> None:
    async def body(ctx: VtnCaseContext) -> None:
        """Register with signatures and check the VTN took them."""
        registration = await ctx.harness.registered()
        ctx.check(registration.xml_signature, "XML signatures were negotiated")

    registry = CaseRegistry()
    registry.add(Case(number="N1_0020", role=Role.VTN, title="bootstrap", body=body))
    credentials = pki.ven("th", KeyType.RSA)
    security = HarnessSecurity(
        server_ssl=vtn_ssl_context(credentials, pki.ca_bundle),
        client_ssl=ven_ssl_context(credentials, pki.ca_bundle),
        signer=Signer(credentials.certificate, credentials.key),
        device_fingerprint=fingerprint(pki.vtn(KeyType.RSA).certificate),
    )
    settings = RunSettings(timeouts=Timeouts(message=WAIT, action=WAIT), case_seconds=20, security=security)
    [result] = await VtnRunner(secure_vtn(pki), settings).run(
        [Selected(registry.get("N1_0020", Role.VTN), Transport.PULL)]
    )
    assert result.verdict is Verdict.PASSED, result.reason


def test_default_reports_are_valid_2_0b() -> None:
    reports = default_reports(CompressedClock()())
    document = xml.serialize(OadrRegisterReport(request_id="r", reports=reports, ven_id="v"), validate=True)
    parsed = xml.parse(document)
    assert isinstance(parsed, OadrRegisterReport)
    assert parsed.reports == reports
