"""The OpenLEADR 0.5.36 VTN peer (``openleadr_vtn.py``) works: the peer our VEN is tested against.

Two kinds of VEN drive it here: OpenLEADR's own VEN (``openleadr_ven.py``, full-auto), which
shows the peer serves a real VEN end to end, and a hand-built VEN in this process that posts
2.0b documents made with ``openadr_accel.model``/``openadr_accel.xml`` over aiohttp, which shows
exactly what the peer answers and records (and that our codec reads every answer OpenLEADR's VTN
writes). Variants over plain HTTP and over mutual TLS (with XML signatures both ways).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from openleadr_ven import R_ID, REPORT_SPECIFIER_ID
from openleadr_ven_support import start_ven
from openleadr_vtn_support import TlsFiles, VtnProcess, event_spec, openleadr_interpreter, start_vtn

from openadr_accel import xml
from openadr_accel.model import (
    EiResponse,
    EiTarget,
    EventResponse,
    EventStatus,
    OadrCancelPartyRegistration,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreatedReport,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportDescription,
    OadrReportPayload,
    OadrRequestReregistration,
    OadrResponse,
    OadrSamplingRate,
    OadrUpdatedReport,
    OadrUpdateReport,
    OptReason,
    OptType,
    Payload,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    ProfileName,
    QualifiedEventID,
    ReadingType,
    ReportInterval,
    ReportName,
    ReportType,
    ResponseCode,
    ResponseRequired,
    TransportName,
)
from openadr_accel.security import (
    KeyType,
    SignatureVerifier,
    Signer,
    TestPKI,
    fingerprint,
    init_pki,
    issue_ven,
    ven_ssl_context,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(90)]

VTN_ID = "OPENLEADR-VTN"
VEN_NAME = "hand-ven"
OPENLEADR_VEN_NAME = "openleadr-ven"
INTRUDER = "intruder"

# Bounds of each wait, in seconds.
LINE_WAIT = 10.0
REGISTRATION_WAIT = 20.0
POLL_WAIT = 10.0
REPORT_WAIT = 15.0
POLL_INTERVAL = 0.2

SIMPLE_EVENT = event_spec(intervals=[(600, 1)], start_offset=120)


@pytest.fixture(scope="module")
def python() -> Path:
    return openleadr_interpreter()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("pki"))
    for name in (VEN_NAME, OPENLEADR_VEN_NAME, INTRUDER):
        issue_ven(name, made.directory)
    return made


def tls_files(pki: TestPKI, key_type: KeyType = KeyType.ECC) -> TlsFiles:
    credentials = pki.vtn(key_type)
    return TlsFiles(credentials.certificate, credentials.key, pki.ca_bundle)


class HandVen:
    """A VEN made of POSTs: 2.0b documents from our model, answers decoded by our codec."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        vtn: VtnProcess,
        *,
        ssl_context: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        vtn_fingerprint: str | None = None,
    ) -> None:
        self.session = session
        self.vtn = vtn
        self.ssl_context = ssl_context
        self.signer = signer
        self.verifier = SignatureVerifier() if vtn_fingerprint else None
        self.vtn_fingerprint = vtn_fingerprint
        self.ven_id: str | None = None
        self.registration_id: str | None = None

    async def post_raw(self, service: str, data: bytes) -> tuple[int, bytes]:
        async with self.session.post(
            f"{self.vtn.url}/{service}",
            data=data,
            headers={"Content-Type": "application/xml"},
            ssl=self.ssl_context or True,
        ) as response:
            return response.status, await response.read()

    async def post(self, service: str, payload: Payload) -> Payload:
        data = xml.serialize(payload)
        if self.signer is not None:
            data = self.signer.sign(data)
        status, answer = await self.post_raw(service, data)
        assert status == 200, f"HTTP {status}: {answer!r}\n{self.vtn.transcript()}"
        if self.verifier is not None:
            return self.verifier.parse(answer, fingerprint=self.vtn_fingerprint)
        return xml.parse(answer)

    async def register(self, ven_name: str = VEN_NAME) -> OadrCreatedPartyRegistration:
        answer = await self.post(
            "EiRegisterParty",
            OadrCreatePartyRegistration(
                request_id="reg-1",
                profile_name=ProfileName.B,
                transport_name=TransportName.SIMPLE_HTTP,
                report_only=False,
                xml_signature=self.signer is not None,
                http_pull_model=True,
                ven_name=ven_name,
            ),
        )
        assert isinstance(answer, OadrCreatedPartyRegistration), answer
        if answer.registration_id:  # OpenLEADR writes an empty element when it refuses
            self.ven_id = answer.ven_id
            self.registration_id = answer.registration_id
        return answer

    async def poll_until(self, predicate: Callable[[Payload], bool], *, timeout: float, what: str) -> Payload:
        """Poll until an answer satisfies ``predicate`` (each answer must be a poll's answer)."""
        assert self.ven_id is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen: list[str] = []
        while loop.time() < deadline:
            answer = await self.post("OadrPoll", OadrPoll(ven_id=self.ven_id))
            if predicate(answer):
                return answer
            seen.append(type(answer).__name__)
            await asyncio.sleep(POLL_INTERVAL)
        raise AssertionError(f"no {what} within {timeout} s (polls: {seen})\n{self.vtn.transcript()}")


@asynccontextmanager
async def hand_ven(vtn: VtnProcess, **options: object) -> AsyncIterator[HandVen]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield HandVen(session, vtn, **options)  # type: ignore[arg-type]


def ok(request_id: str = "") -> EiResponse:
    return EiResponse(response_code=ResponseCode.OK, request_id=request_id)


def telemetry_metadata(specifier: str = "meter-telemetry") -> OadrReport:
    """A METADATA_TELEMETRY_USAGE report with two data points (real power, W), and a
    METADATA_TELEMETRY_STATUS one which the peer does not request."""
    now = datetime.now(UTC)
    return OadrReport(
        report_request_id="0",
        report_specifier_id=specifier,
        report_name=ReportName.METADATA_TELEMETRY_USAGE,
        created_date_time=now,
        duration=timedelta(hours=1),
        descriptions=tuple(
            OadrReportDescription(
                r_id=r_id,
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                report_data_source=EiTarget(resource_ids=(resource,)),
                item_base=PowerReal(
                    attributes=PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True)
                ),
                sampling_rate=OadrSamplingRate(
                    min_period=timedelta(seconds=1), max_period=timedelta(minutes=1), on_change=False
                ),
            )
            for r_id, resource in (("power-a", "meter-a"), ("power-b", "meter-b"))
        ),
    )


def data_report(
    request_id: str, specifier: str, values: dict[str, str], start: datetime, *, one_interval: bool = False
) -> OadrReport:
    """Report data at ``start``: one interval per rID (what OpenLEADR's VTN can read), or all
    rIDs in ``one_interval``."""
    payloads = [
        OadrReportPayload(r_id=r_id, payload=PayloadFloat(value=Decimal(value)))
        for r_id, value in values.items()
    ]
    groups = [tuple(payloads)] if one_interval else [(payload,) for payload in payloads]
    return OadrReport(
        report_request_id=request_id,
        report_specifier_id=specifier,
        report_name=ReportName.TELEMETRY_USAGE,
        created_date_time=start,
        dtstart=start,
        duration=timedelta(seconds=1),
        intervals=tuple(
            ReportInterval(dtstart=start, duration=timedelta(seconds=1), payloads=group) for group in groups
        ),
    )


def answer(ven_id: str, event_id: str, opt_type: OptType, modification_number: int) -> OadrCreatedEvent:
    return OadrCreatedEvent(
        ei_response=ok(),
        ven_id=ven_id,
        event_responses=(
            EventResponse(
                response_code=ResponseCode.OK,
                request_id="",
                qualified_event_id=QualifiedEventID(
                    event_id=event_id, modification_number=modification_number
                ),
                opt_type=opt_type,
            ),
        ),
    )


def is_distribution(event_id: str, modification_number: int) -> Callable[[Payload], bool]:
    def matches(payload: Payload) -> bool:
        return isinstance(payload, OadrDistributeEvent) and any(
            event.ei_event.event_descriptor.event_id == event_id
            and event.ei_event.event_descriptor.modification_number == modification_number
            for event in payload.events
        )

    return matches


# -- OpenLEADR's VEN against the peer -------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["http", "mtls-signed"])
async def test_openleadr_ven_registers_opts_in_and_reports(tls: bool, python: Path, pki: TestPKI) -> None:
    """OpenLEADR against OpenLEADR: the peer registers the VEN, its event reaches the VEN, the
    optIn and the telemetry come back, and the peer prints each fact. Over mutual TLS the peer
    checks the client certificate and every message's signature (OpenLEADR's VEN signs them all)."""
    ven_arguments = ["--ven-name", OPENLEADR_VEN_NAME, "--duration", "60"]
    vtn_options: dict[str, object] = {}
    ven_fingerprint = None
    if tls:
        credentials = pki.ven(OPENLEADR_VEN_NAME, KeyType.RSA)
        ven_fingerprint = fingerprint(credentials.certificate)
        ven_arguments += ["--cert", str(credentials.certificate), "--key", str(credentials.key)]
        ven_arguments += ["--ca", str(pki.ca_bundle)]
        vtn_options = {"tls": tls_files(pki, KeyType.RSA), "ven_fingerprint": ven_fingerprint}
    async with start_vtn(python, events=[SIMPLE_EVENT], report=True, **vtn_options) as vtn:  # type: ignore[arg-type]
        assert vtn.ready["tls"] is tls
        assert vtn.url.startswith("https://localhost:" if tls else "http://127.0.0.1:")
        async with start_ven(python, ["--url", vtn.url, *ven_arguments]) as ven:
            ven_registered = await ven.wait_for(
                lambda line: line["kind"] == "registered", timeout=REGISTRATION_WAIT, what="registration"
            )
            ven_id = ven_registered["ven_id"]
            assert ven_id, ven.transcript()
            registered = await vtn.wait_kind("registered", timeout=LINE_WAIT, ven_id=ven_id)
            assert registered["ven_name"] == OPENLEADR_VEN_NAME
            assert registered["registration_id"] == ven_registered["registration_id"]
            assert registered["fingerprint"] == ven_fingerprint
            assert registered["xml_signature"] is False  # OpenLEADR's run() never asks for them
            assert registered["reregistration"] is False
            assert ven_registered["poll_frequency"] == 1.0

            added = await vtn.wait_kind("event_added", timeout=LINE_WAIT, ven_id=ven_id)
            event_id = added["event_id"]
            received = await ven.wait_for(
                lambda line: line["kind"] == "event" and line["event_id"] == event_id,
                timeout=POLL_WAIT,
                what=f"event {event_id}",
            )
            assert received["signals"] == [{"name": "SIMPLE", "type": "level", "values": [1.0]}]
            response = await vtn.wait_kind("event_response", timeout=LINE_WAIT, event_id=event_id)
            assert (response["ven_id"], response["opt_type"]) == (ven_id, "optIn")

            offered = await vtn.wait_kind("report_registered", timeout=LINE_WAIT, ven_id=ven_id)
            assert offered["reports"] == [
                {
                    "report_specifier_id": REPORT_SPECIFIER_ID,
                    "report_name": "METADATA_TELEMETRY_USAGE",
                    "r_ids": [R_ID],
                }
            ]
            requested = await vtn.wait_kind("report_requested", timeout=LINE_WAIT, ven_id=ven_id)
            assert (requested["r_ids"], requested["granularity"], requested["report_back"]) == ([R_ID], 1, 2)
            data = await vtn.wait_kind("report_data", timeout=REPORT_WAIT, ven_id=ven_id, r_id=R_ID)
            created = vtn.matching("report_created", ven_id=ven_id)
            assert [line["report_request_ids"] for line in created] == [[data["report_request_id"]]]
            sent = await ven.wait_for(
                lambda line: line["kind"] == "report_sent", timeout=LINE_WAIT, what="a report"
            )
            assert sent["report_request_id"] == data["report_request_id"]
            assert data["values"] == [[start, value] for start, _, value in sent["values"]]
    assert vtn.process.returncode == 0, vtn.transcript()
    assert vtn.lines[-1] == {"kind": "stopped", "reason": "stdin closed"}
    assert vtn.problems() == [], vtn.transcript()
    if tls:
        assert vtn.wire("in", "oadrUpdateReport")
        assert all("SignatureValue" in line["xml"] for line in vtn.wire("in")[1:])


# -- a hand-built VEN, document by document -------------------------------------------------------


async def test_registration_is_recorded_and_answered(python: Path) -> None:
    async with start_vtn(python, vtn_id=VTN_ID, poll_seconds=2.5) as vtn, hand_ven(vtn) as ven:
        query = await ven.post("EiRegisterParty", OadrQueryRegistration(request_id="q-1"))
        assert isinstance(query, OadrCreatedPartyRegistration)
        # Empty venID and registrationID elements (not absent ones), and the poll frequency
        # without its fraction (OpenLEADR formats whole seconds only).
        assert (query.ven_id, query.registration_id) == ("", "")
        assert query.vtn_id == VTN_ID
        assert query.requested_poll_freq == timedelta(seconds=2)

        first = await ven.register()
        assert first.ei_response.response_code == ResponseCode.OK
        assert (first.ven_id, first.registration_id, first.vtn_id) == ("ven-1", "reg-1", VTN_ID)
        assert first.requested_poll_freq == timedelta(seconds=2)
        line = await vtn.wait_kind("registered", timeout=LINE_WAIT)
        assert line == {
            "kind": "registered",
            "ven_name": VEN_NAME,
            "ven_id": "ven-1",
            "registration_id": "reg-1",
            "fingerprint": None,
            "xml_signature": False,
            "http_pull_model": True,
            "transport_address": None,
            "reregistration": False,
        }
        # The same VEN name again keeps its venID, with a new registrationID.
        again = await ven.register()
        assert (again.ven_id, again.registration_id) == ("ven-1", "reg-2")
        line = await vtn.wait_kind("registered", timeout=LINE_WAIT, registration_id="reg-2")
        assert line["reregistration"]
        other = await ven.register("other-ven")
        assert (other.ven_id, other.registration_id) == ("ven-2", "reg-3")

        # Nothing queued: a poll is answered with oadrResponse.
        empty = await ven.post("OadrPoll", OadrPoll(ven_id="ven-2"))
        assert isinstance(empty, OadrResponse)
        assert empty.ei_response.response_code == ResponseCode.OK
        # An unknown venID is asked to register again.
        unknown = await ven.post("OadrPoll", OadrPoll(ven_id="ven-99"))
        assert isinstance(unknown, OadrRequestReregistration)

        # oadrCancelPartyRegistration is answered with a bare oadrResponse (not
        # oadrCanceledPartyRegistration); the VEN is then forgotten.
        cancelled = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(request_id="c-1", registration_id="reg-3", ven_id="ven-2"),
        )
        assert isinstance(cancelled, OadrResponse)
        assert cancelled.ei_response.response_code == ResponseCode.OK
        line = await vtn.wait_kind("registration_cancelled", timeout=LINE_WAIT)
        assert (line["ven_id"], line["registration_id"]) == ("ven-2", "reg-3")
        forgotten = await ven.post("OadrPoll", OadrPoll(ven_id="ven-2"))
        assert isinstance(forgotten, OadrRequestReregistration)
    assert vtn.problems() == [], vtn.transcript()
    assert [line["type"] for line in vtn.wire("in")][:2] == [
        "oadrQueryRegistration",
        "oadrCreatePartyRegistration",
    ]
    assert all(line["status"] == 200 for line in vtn.wire("out"))


async def test_event_on_poll_opt_answers_and_cancellation(python: Path) -> None:
    spec = event_spec(intervals=[(300, 2), (300, 1)], signal_name="SIMPLE", cancel_after=1.0)
    async with start_vtn(python, events=[spec]) as vtn, hand_ven(vtn) as ven:
        await ven.register()
        assert ven.ven_id is not None
        added = await vtn.wait_kind("event_added", timeout=LINE_WAIT, ven_id=ven.ven_id)
        event_id = added["event_id"]
        assert added["intervals"] == [[300, 2], [300, 1]]

        distribution = await ven.poll_until(is_distribution(event_id, 0), timeout=POLL_WAIT, what="the event")
        assert isinstance(distribution, OadrDistributeEvent)
        assert distribution.vtn_id == "OPENLEADR-VTN"
        [event] = distribution.events
        signal = event.ei_event.signals[0]
        assert [interval.payloads[0].value for interval in signal.intervals] == [2, 1]
        assert event.ei_event.event_descriptor.event_status == EventStatus.FAR
        assert event.response_required == ResponseRequired.ALWAYS
        await vtn.wait_kind("event_delivered", timeout=LINE_WAIT, event_id=event_id)

        answered = await ven.post("EiEvent", answer(ven.ven_id, event_id, OptType.OPT_OUT, 0))
        assert isinstance(answered, OadrResponse)
        assert answered.ei_response.response_code == ResponseCode.OK
        response = await vtn.wait_kind("event_response", timeout=LINE_WAIT, event_id=event_id)
        assert (response["ven_id"], response["opt_type"]) == (ven.ven_id, "optOut")

        # The cancellation: same event, modification 1, status cancelled, on a later poll.
        await vtn.wait_kind("event_cancelled", timeout=LINE_WAIT, event_id=event_id)
        cancelled = await ven.poll_until(
            is_distribution(event_id, 1), timeout=POLL_WAIT, what="the cancellation"
        )
        assert isinstance(cancelled, OadrDistributeEvent)
        assert cancelled.events[0].ei_event.event_descriptor.event_status == EventStatus.CANCELLED
        # An answer to a superseded modification is refused with 452 ...
        stale = await ven.post("EiEvent", answer(ven.ven_id, event_id, OptType.OPT_IN, 0))
        assert isinstance(stale, OadrResponse)
        assert stale.ei_response.response_code == ResponseCode.INVALID_ID
        # ... the current one accepted, seen by the hook but not by the (one-shot) callback.
        confirmed = await ven.post("EiEvent", answer(ven.ven_id, event_id, OptType.OPT_IN, 1))
        assert isinstance(confirmed, OadrResponse)
        assert confirmed.ei_response.response_code == ResponseCode.OK
        await vtn.wait_kind("created_event", timeout=LINE_WAIT, event_id=event_id, modification_number=1)
        assert len(vtn.matching("event_response", event_id=event_id)) == 1
    answers = [(line["modification_number"], line["opt_type"]) for line in vtn.of_kind("created_event")]
    assert answers == [(0, "optOut"), (0, "optIn"), (1, "optIn")]


async def test_report_registered_requested_and_its_data_recorded(python: Path) -> None:
    async with (
        start_vtn(python, report=True, report_granularity=5, report_back=10) as vtn,
        hand_ven(vtn) as ven,
    ):
        await ven.register()
        assert ven.ven_id is not None
        metadata = telemetry_metadata()
        registered = await ven.post(
            "EiReport", OadrRegisterReport(request_id="rr-1", reports=(metadata,), ven_id=ven.ven_id)
        )
        assert isinstance(registered, OadrRegisteredReport)
        assert registered.ei_response.response_code == ResponseCode.OK
        [request] = registered.report_requests
        specifier = request.report_specifier
        assert specifier.report_specifier_id == "meter-telemetry"
        assert [p.r_id for p in specifier.specifier_payloads] == ["power-a", "power-b"]
        assert (specifier.granularity, specifier.report_back_duration) == (
            timedelta(seconds=5),
            timedelta(seconds=10),
        )
        offered = await vtn.wait_kind("report_registered", timeout=LINE_WAIT)
        assert offered["reports"] == [
            {
                "report_specifier_id": "meter-telemetry",
                "report_name": "METADATA_TELEMETRY_USAGE",
                "r_ids": ["power-a", "power-b"],
            }
        ]
        await vtn.wait_kind("report_requested", timeout=LINE_WAIT, report_specifier_id="meter-telemetry")

        created = await ven.post(
            "EiReport",
            OadrCreatedReport(
                ei_response=ok(), pending_reports=(request.report_request_id,), ven_id=ven.ven_id
            ),
        )
        assert isinstance(created, OadrResponse)
        line = await vtn.wait_kind("report_created", timeout=LINE_WAIT)
        assert line["report_request_ids"] == [request.report_request_id]

        start = datetime.now(UTC).replace(microsecond=0)
        update = OadrUpdateReport(
            request_id="up-1",
            reports=(
                data_report(
                    request.report_request_id,
                    "meter-telemetry",
                    {"power-a": "7.5", "power-b": "1.25"},
                    start,
                ),
            ),
            ven_id=ven.ven_id,
        )
        updated = await ven.post("EiReport", update)
        assert isinstance(updated, OadrUpdatedReport)
        assert updated.ei_response.response_code == ResponseCode.OK
        for r_id, value in (("power-a", 7.5), ("power-b", 1.25)):
            data = await vtn.wait_kind("report_data", timeout=LINE_WAIT, r_id=r_id)
            assert data["ven_id"] == ven.ven_id
            assert data["report_request_id"] == request.report_request_id
            assert data["values"] == [[start.isoformat(), value]]

        # Two oadrReportPayloads in one interval (valid 2.0b) make OpenLEADR fail: HTTP 500.
        both = data_report(
            request.report_request_id,
            "meter-telemetry",
            {"power-a": "1", "power-b": "2"},
            start,
            one_interval=True,
        )
        status, body = await ven.post_raw(
            "EiReport", xml.serialize(OadrUpdateReport(request_id="up-2", reports=(both,), ven_id=ven.ven_id))
        )
        assert (status, body) == (500, b"")
    assert len(vtn.of_kind("report_data")) == 2
    [failure] = [line for line in vtn.problems() if "encountered an error" in line["message"]]
    assert "AttributeError: 'list' object has no attribute 'get'" in failure["message"]


async def test_openleadr_vtn_serves_no_eiopt(python: Path) -> None:
    """OpenLEADR 0.5.36's server routes no EiOpt service: oadrCreateOpt gets HTTP 404."""
    async with start_vtn(python) as vtn, hand_ven(vtn) as ven:
        await ven.register()
        assert ven.ven_id is not None
        opt = OadrCreateOpt(
            opt_id="opt-1",
            opt_type=OptType.OPT_OUT,
            opt_reason=OptReason.NOT_PARTICIPATING,
            ven_id=ven.ven_id,
            created_date_time=datetime.now(UTC),
            request_id="o-1",
            qualified_event_id=QualifiedEventID(event_id="event-1", modification_number=0),
        )
        status, _ = await ven.post_raw("EiOpt", xml.serialize(opt))
        assert status == 404
        line = await vtn.wait_for(
            lambda line: line["kind"] == "wire" and line["direction"] == "out" and line["service"] == "EiOpt",
            timeout=LINE_WAIT,
            what="the answer to oadrCreateOpt",
        )
        assert (line["status"], line["type"]) == (404, None)
        assert vtn.of_kind("opt") == []


# -- mutual TLS and signatures, hand-built ---------------------------------------------------------


async def test_mtls_signed_exchange_with_our_tls_and_signatures(python: Path, pki: TestPKI) -> None:
    """Our VEN-side TLS context (2.0b's two suites only) and our signer against OpenLEADR's VTN,
    which checks the client certificate and our signatures, and signs its answers (verified by
    our verifier). Its certificate is ECC: see the next test for why."""
    credentials = pki.ven(VEN_NAME, KeyType.ECC)
    ven_fingerprint = fingerprint(credentials.certificate)
    files = tls_files(pki, KeyType.ECC)
    async with (
        start_vtn(
            python, tls=files, sign=True, ven_fingerprint=ven_fingerprint, events=[SIMPLE_EVENT], report=True
        ) as vtn,
        hand_ven(
            vtn,
            ssl_context=ven_ssl_context(credentials, pki.ca_bundle),
            signer=Signer.from_files(credentials.certificate, credentials.key),
            vtn_fingerprint=fingerprint(files.certificate),
        ) as ven,
    ):
        assert vtn.ready["signing"] is True
        assert vtn.ready["fingerprint"] == fingerprint(files.certificate)
        await ven.register()
        registered = await vtn.wait_kind("registered", timeout=LINE_WAIT)
        assert registered["fingerprint"] == ven_fingerprint
        assert registered["xml_signature"] is True
        added = await vtn.wait_kind("event_added", timeout=LINE_WAIT, ven_id=ven.ven_id)
        await ven.poll_until(is_distribution(added["event_id"], 0), timeout=POLL_WAIT, what="the event")
        assert ven.ven_id is not None
        await ven.post("EiEvent", answer(ven.ven_id, added["event_id"], OptType.OPT_IN, 0))
        response = await vtn.wait_kind("event_response", timeout=LINE_WAIT, event_id=added["event_id"])
        assert response["opt_type"] == "optIn"
        registered_report = await ven.post(
            "EiReport",
            OadrRegisterReport(request_id="rr-1", reports=(telemetry_metadata(),), ven_id=ven.ven_id),
        )
        assert isinstance(registered_report, OadrRegisteredReport)
        [request] = registered_report.report_requests
        start = datetime.now(UTC).replace(microsecond=0)
        update = OadrUpdateReport(
            request_id="up-1",
            reports=(data_report(request.report_request_id, "meter-telemetry", {"power-a": "3"}, start),),
            ven_id=ven.ven_id,
        )
        await ven.post("EiReport", update)
        data = await vtn.wait_kind("report_data", timeout=LINE_WAIT, r_id="power-a")
        assert data["values"] == [[start.isoformat(), 3.0]]

        # Unsigned, the same message fails (HTTP 500: no certificate to extract), though the
        # TLS client is right.
        status, body = await ven.post_raw("OadrPoll", xml.serialize(OadrPoll(ven_id=ven.ven_id)))
        assert (status, body) == (500, b"")
    [failure] = [line for line in vtn.problems() if "encountered an error" in line["message"]]
    assert "AttributeError" in failure["message"]  # extract_pem_cert: no X509Certificate element
    assert "extract_pem_cert" in vtn.problems()[-1]["message"], vtn.transcript()


async def test_other_client_certificate_is_refused(python: Path, pki: TestPKI) -> None:
    """With ``ven_fingerprint`` the peer refuses another certificate's registration, as OpenLEADR
    does: a 200 OK oadrCreatedPartyRegistration without venID or registrationID."""
    expected = fingerprint(pki.ven(VEN_NAME, KeyType.ECC).certificate)
    intruder = pki.ven(INTRUDER, KeyType.ECC)
    async with (
        start_vtn(python, tls=tls_files(pki), ven_fingerprint=expected) as vtn,
        hand_ven(
            vtn,
            ssl_context=ven_ssl_context(intruder, pki.ca_bundle),
            signer=Signer.from_files(intruder.certificate, intruder.key),
        ) as ven,
    ):
        refused = await ven.register(INTRUDER)
        assert refused.ei_response.response_code == ResponseCode.OK
        assert (refused.ven_id, refused.registration_id) == ("", "")
        line = await vtn.wait_kind("registration_refused", timeout=LINE_WAIT)
        assert (line["ven_name"], line["fingerprint"]) == (INTRUDER, fingerprint(intruder.certificate))
        assert vtn.of_kind("registered") == []


async def test_rsa_vtn_certificate_shuts_out_a_strict_2_0b_client(python: Path, pki: TestPKI) -> None:
    """OpenLEADR's server keeps Python's default cipher list, which has no TLS_RSA suite: a VEN
    that offers only 2.0b's two suites (as ``ven_ssl_context`` does) cannot connect to it when its
    certificate is RSA (TLS_RSA_WITH_AES_128_CBC_SHA256 is refused), only when it is ECC."""
    credentials = pki.ven(VEN_NAME, KeyType.RSA)
    async with (
        start_vtn(python, tls=tls_files(pki, KeyType.RSA)) as vtn,
        hand_ven(vtn, ssl_context=ven_ssl_context(credentials, pki.ca_bundle)) as ven,
    ):
        with pytest.raises(aiohttp.ClientConnectorError):
            await ven.post_raw("EiRegisterParty", xml.serialize(OadrQueryRegistration(request_id="q")))
        assert vtn.of_kind("wire") == []
