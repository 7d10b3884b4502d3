"""An OpenLEADR 0.5.36 VEN against our VTN, over loopback: register, event, optIn, telemetry.

The VEN is OpenLEADR's ``OpenADRClient`` in full-auto mode (``openleadr_ven.py``, in OpenLEADR's
own environment and process); our VTN runs in the test process with a SQLite store and the real
clock (OpenLEADR uses real time). The VTN asks for the VEN's telemetry report as soon as the VEN
registers it (piggy-backed on oadrRegisteredReport: one sample a second, sent every two seconds)
and creates an event once the VEN is registered. The test then checks, on both sides, that the
VEN is registered under the venID OpenLEADR reports, that it got the event and opted in, and that
the VTN stored the report data the VEN's callback produced.

Variants:

- ``http``: plain HTTP, no certificates.
- ``mtls``: mutual TLS with the test PKI (ECC VEN certificate). OpenLEADR signs every message it
  sends with its certificate, yet registers with ``oadrXmlSignature`` false (``run()`` never
  passes anything else) and checks no signature on answers unless given the VTN's fingerprint:
  our VTN verifies the VEN's signatures and, as negotiated, does not sign its answers (though it
  has a signer).
- ``mtls-signed``: as ``mtls`` (RSA VEN certificate), but the VEN registers with
  ``oadrXmlSignature`` true and verifies every answer against our VTN's fingerprint; our VTN,
  given a signer, signs every answer to it.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from openleadr_ven import R_ID, REPORT_SPECIFIER_ID, RESOURCE_ID
from openleadr_ven_support import VenProcess, openleadr_interpreter, start_ven

from openadr_accel import xml
from openadr_accel.clock import system_clock
from openadr_accel.model import (
    EiTarget,
    EventResponse,
    OadrCreatedEvent,
    OadrCreatePartyRegistration,
    OadrReport,
    OadrReportRequest,
    OadrUpdateReport,
    OptType,
    PayloadFloat,
    ResponseCode,
    SignalType,
)
from openadr_accel.security import (
    KeyType,
    Signer,
    TestPKI,
    fingerprint,
    init_pki,
    issue_ven,
    vtn_ssl_context,
)
from openadr_accel.vtn import (
    VTN,
    AllowedVen,
    AllowList,
    OpenRegistration,
    Signal,
    VtnConfig,
    VtnHandlers,
    report_request,
)
from openadr_accel.vtn.store import (
    EventResponseRecord,
    EventResponseSource,
    ReportRequestRecord,
    ReportRequestState,
    Store,
    VenRecord,
)
from openadr_accel.vtn.store.sqlite import SqliteStore

pytestmark = [pytest.mark.interop, pytest.mark.timeout(90)]

VEN_NAME = "openleadr-ven"
VTN_ID = "ACCEL-VTN"  # not all lower case: OpenLEADR answers events from such a vtnID with 452
GRANULARITY = timedelta(seconds=1)
REPORT_BACK = timedelta(seconds=2)
MTLS_VEN_ID = "openleadr-ven-1"

# Bounds of each wait, in seconds (each test takes 2 to 6 s).
REGISTRATION_WAIT = 20.0
EVENT_WAIT = 10.0
ANSWER_WAIT = 5.0
REPORT_WAIT = 10.0
VEN_LIFETIME = 60.0


def make_store(path: Path) -> Store:
    return SqliteStore(path)


@dataclass(frozen=True)
class Variant:
    tls: bool
    ven_key: KeyType | None = None
    signatures: bool = False


VARIANTS = {
    "http": Variant(tls=False),
    "mtls": Variant(tls=True, ven_key=KeyType.ECC),
    "mtls-signed": Variant(tls=True, ven_key=KeyType.RSA, signatures=True),
}


@pytest.fixture(scope="module")
def python() -> Path:
    return openleadr_interpreter()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("pki"))
    issue_ven(VEN_NAME, made.directory)
    return made


@dataclass
class VtnSide:
    """What the VTN's handlers were told, and a bounded wait on it."""

    registered: list[VenRecord] = field(default_factory=list)
    requested: list[OadrReportRequest] = field(default_factory=list)
    answers: list[tuple[EventResponseRecord, bool]] = field(default_factory=list)
    reports: list[tuple[VenRecord, OadrReport, ReportRequestRecord]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def handlers(self) -> VtnHandlers:
        async def registered(ven: VenRecord) -> None:
            self.registered.append(ven)
            self.changed.set()

        async def capabilities(ven: VenRecord, offered: object) -> list[OadrReportRequest]:
            assert isinstance(offered, tuple | list)
            requests = [
                report_request(report, granularity=GRANULARITY, report_back_duration=REPORT_BACK)
                for report in offered
                if isinstance(report, OadrReport) and report.report_specifier_id == REPORT_SPECIFIER_ID
            ]
            self.requested.extend(requests)
            self.changed.set()
            return requests

        async def answered(record: EventResponseRecord, overridden: bool) -> None:
            self.answers.append((record, overridden))
            self.changed.set()

        async def reported(ven: VenRecord, report: OadrReport, record: ReportRequestRecord) -> None:
            self.reports.append((ven, report, record))
            self.changed.set()

        return VtnHandlers(
            on_registered=registered,
            on_report_capabilities=capabilities,
            on_event_response=answered,
            on_report=reported,
        )

    async def wait_until(
        self, condition: Callable[[], bool], *, timeout: float, what: str, ven: VenProcess
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"the VTN saw no {what} within {timeout} s\n{ven.transcript()}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                continue


def _values(report: OadrReport) -> list[tuple[datetime | None, str, Decimal]]:
    values = []
    for interval in report.intervals:
        for payload in interval.payloads:
            assert isinstance(payload.payload, PayloadFloat)
            values.append((interval.dtstart, payload.r_id, payload.payload.value))
    return values


@dataclass
class Setup:
    """Our VTN and the arguments of the OpenLEADR VEN, for one variant."""

    vtn: VTN
    ssl_context: ssl.SSLContext | None
    ven_arguments: list[str]
    ven_fingerprint: str | None
    signer: Signer | None

    def url(self, runner: web.AppRunner) -> str:
        port = runner.addresses[0][1]
        base = f"https://localhost:{port}" if self.ssl_context is not None else f"http://127.0.0.1:{port}"
        return base + self.vtn.config.path("").rstrip("/")


def _setup(
    variant: Variant, pki: TestPKI, tmp_path: Path, side: VtnSide, *, vtn_fingerprint: bool | None = None
) -> Setup:
    """The VTN (not started) and the VEN's arguments; ``vtn_fingerprint`` (default: as the
    variant's signatures) makes the VEN check every answer's signature."""
    ven_arguments = ["--ven-name", VEN_NAME, "--duration", str(VEN_LIFETIME)]
    ssl_context = None
    ven_fingerprint = None
    registration: OpenRegistration | AllowList = OpenRegistration()
    if variant.tls:
        assert variant.ven_key is not None
        ven_credentials = pki.ven(VEN_NAME, variant.ven_key)
        ven_fingerprint = fingerprint(ven_credentials.certificate)
        # OpenLEADR's client keeps Python's default cipher list, which has no TLS_RSA suite: the
        # VTN offers its ECC certificate too, so TLS_ECDHE_ECDSA is agreed whatever the VEN's key.
        ssl_context = vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle)
        registration = AllowList([AllowedVen(fingerprint=ven_fingerprint, ven_id=MTLS_VEN_ID)])
        ven_arguments += ["--cert", str(ven_credentials.certificate), "--key", str(ven_credentials.key)]
        ven_arguments += ["--ca", str(pki.ca_bundle)]
    vtn_credentials = pki.vtn(KeyType.RSA)
    signer = Signer.from_files(vtn_credentials.certificate, vtn_credentials.key) if variant.tls else None
    if variant.signatures:
        ven_arguments += ["--xml-signature"]
    if signer is not None and (variant.signatures if vtn_fingerprint is None else vtn_fingerprint):
        ven_arguments += ["--vtn-fingerprint", signer.fingerprint]
    vtn = VTN(
        VtnConfig(vtn_id=VTN_ID, poll_frequency=timedelta(seconds=1)),
        make_store(tmp_path / "vtn.db"),
        registration=registration,
        handlers=side.handlers(),
        signer=signer,
        clock=system_clock,
    )
    return Setup(vtn, ssl_context, ven_arguments, ven_fingerprint, signer)


@pytest.mark.parametrize("name", list(VARIANTS))
async def test_openleadr_ven_registers_answers_and_reports(
    name: str, python: Path, pki: TestPKI, tmp_path: Path
) -> None:
    variant = VARIANTS[name]
    side = VtnSide()
    setup = _setup(variant, pki, tmp_path, side)
    vtn, ven_fingerprint = setup.vtn, setup.ven_fingerprint
    async with vtn.running("127.0.0.1", 0, ssl_context=setup.ssl_context) as runner:
        async with start_ven(python, ["--url", setup.url(runner), *setup.ven_arguments]) as ven:
            started = await ven.wait_for(
                lambda line: line["kind"] == "started", timeout=REGISTRATION_WAIT, what="start"
            )
            assert started["fingerprint"] == ven_fingerprint  # OpenLEADR's fingerprint is ours

            # -- registration --------------------------------------------------------------------
            registered = await ven.wait_for(
                lambda line: line["kind"] == "registered", timeout=REGISTRATION_WAIT, what="registration"
            )
            ven_id = registered["ven_id"]
            assert ven_id, f"OpenLEADR did not register\n{ven.transcript()}"
            record = await vtn.registrations.get(ven_id)
            assert record is not None
            assert record.registered
            assert record.registration_id == registered["registration_id"]
            assert record.ven_name == VEN_NAME
            assert record.http_pull_model
            assert record.transport_address == "None"  # OpenLEADR writes None as text (docs)
            assert record.xml_signature is variant.signatures
            assert registered["poll_frequency"] == 1.0
            if variant.tls:
                assert ven_id == MTLS_VEN_ID
                assert ven_fingerprint is not None
                assert record.fingerprint == ven_fingerprint  # the venID is bound to the certificate
                assert await vtn.store.find_ven_by_fingerprint(ven_fingerprint) == record
            else:
                assert record.fingerprint is None
            assert [ven.ven_id for ven in side.registered] == [ven_id]

            # -- the event, and the VEN's optIn ---------------------------------------------------
            now = datetime.now(UTC)
            event = await vtn.events.create(
                signals=[
                    Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=10), 1)])
                ],
                start=now + timedelta(minutes=1),
                target=EiTarget(ven_ids=(ven_id,)),
            )
            event_id = event.ei_event.event_descriptor.event_id
            received = await ven.wait_for(
                lambda line: line["kind"] == "event" and line["event_id"] == event_id,
                timeout=EVENT_WAIT,
                what=f"event {event_id}",
            )
            assert received["modification_number"] == 0
            assert received["status"] == "near"  # starts within the VTN's near window (1 h)
            assert received["signals"] == [{"name": "SIMPLE", "type": "level", "values": [1.0]}]

            await side.wait_until(lambda: bool(side.answers), timeout=ANSWER_WAIT, what="optIn", ven=ven)
            answer, overridden = side.answers[0]
            assert not overridden
            assert (answer.ven_id, answer.event_id, answer.opt_type) == (ven_id, event_id, OptType.OPT_IN)
            stored_answers = await vtn.events.responses(event_id)
            assert len(stored_answers) == 1
            stored = stored_answers[0]
            assert (stored.ven_id, stored.event_id, stored.modification_number) == (ven_id, event_id, 0)
            assert stored.opt_type == OptType.OPT_IN
            assert stored.response_code == ResponseCode.OK
            assert stored.source == EventResponseSource.CREATED_EVENT

            # -- telemetry -------------------------------------------------------------------------
            assert len(side.requested) == 1, "OpenLEADR did not offer its telemetry report"
            request_id = side.requested[0].report_request_id
            await side.wait_until(
                lambda: len(side.reports) >= 2, timeout=REPORT_WAIT, what="two reports", ven=ven
            )
        # The VEN has stopped: whatever it sent has been answered (or never will be).
        assert ven.process.returncode == 0, ven.transcript()
        assert ven.of_kind("error") == []
        assert ven.lines[-1]["kind"] == "stopped", ven.transcript()

        capabilities = await vtn.reports.capabilities(ven_id)
        assert [report.report_specifier_id for report in capabilities] == [REPORT_SPECIFIER_ID]
        assert [description.r_id for description in capabilities[0].descriptions] == [R_ID]
        assert capabilities[0].descriptions[0].report_data_source is not None
        assert capabilities[0].descriptions[0].report_data_source.resource_ids == (RESOURCE_ID,)
        requests = await vtn.reports.requests(ven_id)
        assert [request.report_request_id for request in requests] == [request_id]
        assert requests[0].state == ReportRequestState.CREATED  # confirmed by oadrCreatedReport

        data = await vtn.reports.data(ven_id, report_request_id=request_id)
        sent = [line for line in ven.of_kind("report_sent") if line["report_request_id"] == request_id]
        sampled = [Decimal(str(line["value"])) for line in ven.of_kind("sampled")]
        stored_values = [_values(item.report) for item in data]
        sent_values = [
            [
                (datetime.fromisoformat(start), r_id, Decimal(str(value)))
                for start, r_id, value in line["values"]
            ]
            for line in sent
        ]
        # Every report the VTN stored is one the VEN sent, in order; only the last one sent may
        # have been cut off by the VEN's stop.
        assert stored_values, ven.transcript()
        assert stored_values == sent_values[: len(stored_values)]
        assert len(stored_values) >= len(sent_values) - 1
        # Each report carries two samples (granularity 1 s, report back every 2 s), and the values
        # are those the VEN's callback produced, in order.
        assert all(len(values) == 2 for values in stored_values)
        flat = [value for values in stored_values for _, _, value in values]
        assert flat == sampled[: len(flat)]
        assert all(r_id == R_ID for values in stored_values for _, r_id, _ in values)
        assert [report for _, report, _ in side.reports] == [item.report for item in data]
        assert all(record.report_request_id == request_id for _, _, record in side.reports)

        # -- what went over the wire -----------------------------------------------------------
        _check_wire(ven, variant, ven_id, event_id)


def _check_wire(ven: VenProcess, variant: Variant, ven_id: str, event_id: str) -> None:
    """The documents themselves: what OpenLEADR sent, and whether the answers were signed."""
    registration = xml.parse(ven.wire("out", "oadrCreatePartyRegistration")[0]["xml"].encode())
    assert isinstance(registration, OadrCreatePartyRegistration)
    assert registration.xml_signature is variant.signatures
    created = [xml.parse(line["xml"].encode()) for line in ven.wire("out", "oadrCreatedEvent")]
    assert created
    responses: list[EventResponse] = []
    for message in created:
        assert isinstance(message, OadrCreatedEvent)
        responses.extend(message.event_responses)
    assert {(r.qualified_event_id.event_id, r.opt_type) for r in responses} == {(event_id, OptType.OPT_IN)}
    updates = [xml.parse(line["xml"].encode()) for line in ven.wire("out", "oadrUpdateReport")]
    assert updates
    assert all(isinstance(message, OadrUpdateReport) and message.ven_id == ven_id for message in updates)

    signed_out = [_signed(line["xml"]) for line in ven.wire("out")]
    assert all(signed_out) if variant.tls else not any(signed_out)  # OpenLEADR signs whenever it has a key
    answers = ven.wire("in")
    assert answers[0]["type"] == "oadrCreatedPartyRegistration"  # to oadrQueryRegistration
    signed_in = [_signed(line["xml"]) for line in answers]
    if variant.signatures:
        # Every answer is signed but the first, sent before the VEN said it wants signatures.
        assert signed_in == [False] + [True] * (len(answers) - 1)
    else:
        assert not any(signed_in)
    # OpenLEADR warns about the VTN's oadrRegisterReport (which offers no reports; it answers it
    # with oadrRegisteredReport all the same), and, when checking signatures, fails to verify
    # the unsigned answer to oadrQueryRegistration (it then registers regardless).
    tolerated = ["The VTN offered reports, but OpenLEADR does not support reports in this direction."]
    problems = [line["message"] for line in ven.of_kind("log")]
    unexpected = [problem for problem in problems if problem not in tolerated]
    if variant.signatures:
        unverified = [problem for problem in unexpected if "could not be parsed or validated" in problem]
        assert len(unverified) == 1, problems
        unexpected = [problem for problem in unexpected if problem not in unverified]
    assert unexpected == [], ven.transcript()
    assert len(ven.wire("out", "oadrRegisteredReport")) == 1


def _signed(document: str) -> bool:
    return "http://www.w3.org/2000/09/xmldsig#" in document and "SignatureValue" in document


async def test_openleadr_ven_checking_signatures_it_did_not_negotiate_cannot_register(
    python: Path, pki: TestPKI, tmp_path: Path
) -> None:
    """Why our VTN does not sign for OpenLEADR unasked: given the VTN's fingerprint, OpenLEADR's
    client drops every unsigned answer, yet still registers with ``oadrXmlSignature`` false. Our
    VTN, signer or not, keeps to what was negotiated, so that VEN never learns its registration:
    it must also ask for signatures (the ``mtls-signed`` variant)."""
    side = VtnSide()
    setup = _setup(VARIANTS["mtls"], pki, tmp_path, side, vtn_fingerprint=True)
    assert setup.signer is not None
    async with setup.vtn.running("127.0.0.1", 0, ssl_context=setup.ssl_context) as runner:
        async with start_ven(python, ["--url", setup.url(runner), *setup.ven_arguments]) as ven:
            registered = await ven.wait_for(
                lambda line: line["kind"] == "registered", timeout=REGISTRATION_WAIT, what="registration"
            )
        assert registered["ven_id"] is None
        request = xml.parse(ven.wire("out", "oadrCreatePartyRegistration")[0]["xml"].encode())
        assert isinstance(request, OadrCreatePartyRegistration)
        assert not request.xml_signature
        answer = ven.wire("in", "oadrCreatedPartyRegistration")[-1]["xml"]
        assert not _signed(answer)
        # The VTN did register it, and said so, unsigned as agreed.
        assert [ven.ven_id for ven in side.registered] == [MTLS_VEN_ID]
        assert f"<ei:venID>{MTLS_VEN_ID}</ei:venID>" in answer
        logged = [line["message"] for line in ven.of_kind("log")]
        assert "No RegistrationID received from the VTN, aborting." in logged
        assert ven.wire("out", "oadrPoll") == []
