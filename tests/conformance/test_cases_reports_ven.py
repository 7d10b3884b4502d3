"""The report cases whose device is a VEN (openadr_accel.conformance.cases.reports_ven), against
our own VEN over loopback: the swapped ones, where the VEN requests, are not applicable to our
VEN, which never requests reports, nor are those that need a report to a VEN that does not offer
it; each case fails against a VEN that breaks what it checks. That every case passes against our
own VEN in both transports is ``conformance/test_ours.py``'s to show.

A broken VEN is our VEN with one fault put in: what it sends rewritten on its way out
(``VtnClient.encode``), what the VTN sends it rewritten on its way in (``VtnClient.send`` and
``VenSession.answer``), or a data source that reads an inconsistent status.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conformance_runs import FAST, TRANSPORTS, assert_failed, by_number, has_check
from conformance_ven_devices import external_ven, free_port, run, run_one, selected

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import (
    REGISTRY,
    CaseResult,
    NotApplicable,
    Role,
    Selected,
    Transport,
    Verdict,
)
from openadr_accel.conformance.cases.reports_ven import ReportRequestingVen, WantedReport, _readings
from openadr_accel.conformance.context import CompressedClock, Timeouts
from openadr_accel.conformance.devices import ExternalVenFactory, PrintingOperator
from openadr_accel.conformance.harness_vtn import HarnessVtn
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory, SimulatedMeter, charger_reports
from openadr_accel.conformance.runner import RunSettings, VenRunner
from openadr_accel.model import (
    EiResponse,
    LoadControlValues,
    OadrCanceledReport,
    OadrCancelReport,
    OadrCreatedReport,
    OadrCreateReport,
    OadrLoadControlState,
    OadrPayloadResourceStatus,
    OadrRegisteredReport,
    OadrReport,
    OadrReportPayload,
    OadrReportRequest,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    PayloadFloat,
    ReadingType,
    ReportInterval,
    ReportName,
    ReportSpecifier,
    ResponseCode,
    ServiceName,
    SpecifierPayload,
)
from openadr_accel.ven.report_capabilities import (
    ReportCapability,
    telemetry_status,
    telemetry_usage,
)
from openadr_accel.ven.reports import VenReports
from openadr_accel.ven.session import VenSession
from openadr_accel.ven.transport import VtnClient
from openadr_accel.vtn.policies import new_id

HISTORY = replace(FAST, speed=600)
"""R1_3140 waits for 30 minutes of samples: the history cases run ten times faster still."""

REPORT_CASES = [found.number for found in REGISTRY if found.role is Role.VEN and found.group.value == "R"]
SWAPPED = ["R1_3070", "R1_3080", "R1_3090", "R1_3100", "R1_3110", "R1_3120"]
"""The VEN requests, the VTN reports: our VEN never requests reports of its VTN."""
HISTORY_CASES = ["R1_3130", "R1_3140"]
REPORTING = [number for number in REPORT_CASES if number not in SWAPPED and number not in HISTORY_CASES]

# -- our VEN's reports ------------------------------------------------------------------------------


Meter = SimulatedMeter


def consistent_status() -> OadrPayloadResourceStatus:
    return SimulatedMeter().status


def telemetry(meter: Meter | None = None) -> list[ReportCapability]:
    """The telemetry an EV charger offers: usage (power and energy) and status."""
    meter = meter or Meter()
    return [
        telemetry_usage("telemetry", power=meter.power, energy=meter.energy),
        telemetry_status("status", status=meter.read_status),
    ]


charger = charger_reports


def verdicts(results: Sequence[CaseResult]) -> dict[str, tuple[Verdict, str]]:
    return {result.case.number: (result.verdict, result.reason) for result in results}


# -- faults ----------------------------------------------------------------------------------------


def same(payload: Payload) -> Payload:
    return payload


@dataclass(frozen=True)
class Fault:
    """A VEN that breaks a rule: ``outgoing`` rewrites what it sends (its requests and its
    answers), ``incoming`` what the VTN sends it (before the VEN reads it)."""

    outgoing: Callable[[Payload], Payload] = same
    incoming: Callable[[Payload], Payload] = same


def install(monkeypatch: pytest.MonkeyPatch, fault: Fault) -> None:
    encode, send, answer = VtnClient.encode, VtnClient.send, VenSession.answer

    def encoding(self: VtnClient, payload: Payload) -> bytes:
        return encode(self, fault.outgoing(payload))

    async def sending(self: VtnClient, service: ServiceName, payload: Payload) -> Payload:
        return fault.incoming(await send(self, service, payload))

    async def answering(self: VenSession, message: Payload):  # type: ignore[no-untyped-def]
        return await answer(self, fault.incoming(message))

    monkeypatch.setattr(VtnClient, "encode", encoding)
    monkeypatch.setattr(VtnClient, "send", sending)
    monkeypatch.setattr(VenSession, "answer", answering)


def on_updates(change: Callable[[OadrReport], OadrReport | None]) -> Callable[[Payload], Payload]:
    """Rewrite every report of the VEN's oadrUpdateReports (None drops it)."""

    def rewrite(payload: Payload) -> Payload:
        if not isinstance(payload, OadrUpdateReport):
            return payload
        reports = tuple(kept for report in payload.reports if (kept := change(report)) is not None)
        return replace(payload, reports=reports)

    return rewrite


def on_requests(change: Callable[[OadrReportRequest], OadrReportRequest]) -> Callable[[Payload], Payload]:
    """Rewrite every data request of the VTN's oadrCreateReports, as the VEN reads them."""

    def rewrite(payload: Payload) -> Payload:
        if not isinstance(payload, OadrCreateReport):
            return payload
        return replace(payload, report_requests=tuple(map(change, payload.report_requests)))

    return rewrite


def specifier(request: OadrReportRequest, **changes: object) -> OadrReportRequest:
    return replace(request, report_specifier=replace(request.report_specifier, **changes))  # type: ignore[arg-type]


def add_stray_report(payload: Payload) -> Payload:
    if not isinstance(payload, OadrUpdateReport) or not payload.reports:
        return payload
    stray = replace(payload.reports[0], report_request_id="TH-NEVER-REQUESTED")
    return replace(payload, reports=(*payload.reports, stray))


def status_as_number(report: OadrReport) -> OadrReport:
    return replace(
        report,
        intervals=tuple(
            replace(
                interval,
                payloads=tuple(
                    replace(item, payload=PayloadFloat(value=Decimal(1)))
                    if isinstance(item.payload, OadrPayloadResourceStatus)
                    else item
                    for item in interval.payloads
                ),
            )
            for interval in report.intervals
        ),
    )


def doubled_durations(report: OadrReport) -> OadrReport:
    return replace(
        report,
        intervals=tuple(
            replace(interval, duration=None if interval.duration is None else 2 * interval.duration)
            for interval in report.intervals
        ),
    )


def without_energy(report: OadrReport) -> OadrReport:
    kept = tuple(
        interval
        for interval in report.intervals
        if not any(item.r_id == "energy" for item in interval.payloads)
    )
    return replace(report, intervals=kept)


def latest_sample_only(report: OadrReport) -> OadrReport:
    if report.report_name != ReportName.HISTORY_USAGE or not report.intervals:
        return report
    last = report.intervals[-1].dtstart
    return replace(report, intervals=tuple(i for i in report.intervals if i.dtstart == last))


def first_report_only(payload: Payload) -> Payload:
    if isinstance(payload, OadrUpdateReport) and len(payload.reports) > 1:
        return replace(payload, reports=payload.reports[:1])
    return payload


def first_request_only(payload: Payload) -> Payload:
    if isinstance(payload, OadrCreateReport) and len(payload.report_requests) > 1:
        return replace(payload, report_requests=payload.report_requests[:1])
    return payload


def cancel_something_else(payload: Payload) -> Payload:
    if isinstance(payload, OadrCancelReport):
        return replace(payload, report_request_ids=("TH-SOMETHING-ELSE",))
    return payload


def canceled_ok(payload: Payload) -> Payload:
    if isinstance(payload, OadrCanceledReport):
        return replace(
            payload,
            ei_response=replace(
                payload.ei_response, response_code=ResponseCode.OK, response_description=None
            ),
            pending_reports=(),
        )
    return payload


def created_ok(payload: Payload) -> Payload:
    if isinstance(payload, OadrCreatedReport):
        return replace(
            payload,
            ei_response=replace(
                payload.ei_response, response_code=ResponseCode.OK, response_description=None
            ),
        )
    return payload


def no_report_to_follow(payload: Payload) -> Payload:
    if isinstance(payload, OadrCancelReport):
        return replace(payload, report_to_follow=False)
    return payload


def no_cancel_on_updated(payload: Payload) -> Payload:
    if isinstance(payload, OadrUpdatedReport):
        return replace(payload, cancel_report=None)
    return payload


def no_requests_on_registered(payload: Payload) -> Payload:
    if isinstance(payload, OadrRegisteredReport):
        return replace(payload, report_requests=())
    return payload


def history_without_interval(request: OadrReportRequest) -> OadrReportRequest:
    if request.report_specifier.report_specifier_id != "history":
        return request
    return specifier(request, report_interval=None)


def every_reading_sent(request: OadrReportRequest) -> OadrReportRequest:
    return specifier(request, report_back_duration=request.report_specifier.granularity)


FAULTS: dict[str, tuple[str, Fault, str]] = {
    # name: (case, fault, words of the check that must fail)
    "stray reportRequestID": ("R1_3010", Fault(outgoing=add_stray_report), "rule 304"),
    "status sent as a number": (
        "R1_3010",
        Fault(outgoing=on_updates(status_as_number)),
        "of its point's kind",
    ),
    "readings twice the granularity": (
        "R1_3020",
        Fault(outgoing=on_updates(doubled_durations)),
        "last the granularity",
    ),
    "reportInterval start ignored": (
        "R1_3025",
        Fault(incoming=on_requests(lambda r: specifier(r, report_interval=None))),
        "before the reportInterval starts",
    ),
    "reportInterval end ignored": (
        "R1_3027",
        Fault(
            incoming=on_requests(
                lambda r: (
                    specifier(
                        r, report_interval=replace(r.report_specifier.report_interval, duration=timedelta(0))
                    )
                    if r.report_specifier.report_interval is not None
                    else r
                )
            )
        ),
        "ends the report by itself",
    ),
    "second request of a message ignored": ("R1_3030", Fault(incoming=first_request_only), "pendingReports"),
    "cancellation confirmed but ignored": (
        "R1_3040",
        Fault(incoming=cancel_something_else, outgoing=canceled_ok),
        "stops reporting",
    ),
    "reportToFollow ignored": (
        "R1_3045",
        Fault(incoming=no_report_to_follow),
        "oadrUpdateReport for request",
    ),
    "cancellation on oadrUpdatedReport ignored": (
        "R1_3050",
        Fault(incoming=no_cancel_on_updated),
        "oadrCanceledReport answering the oadrCancelReport on oadrUpdatedReport",
    ),
    "requests on oadrRegisteredReport ignored": (
        "R1_3060",
        Fault(incoming=no_requests_on_registered),
        "oadrCreatedReport confirming the request",
    ),
    "energy left out": ("R1_3150", Fault(outgoing=on_updates(without_energy)), "every requested rID"),
    "every reading sent alone": (
        "R1_3160",
        Fault(incoming=on_requests(every_reading_sent)),
        "rather than sending each reading",
    ),
    "one report per update": (
        "R1_3180",
        Fault(outgoing=first_report_only),
        "carries the reports of both requests",
    ),
    "unknown report accepted": ("R1_3190", Fault(outgoing=created_ok), "with 452"),
}


# -- the tests: the VEN reports -------------------------------------------------------------------------


def test_every_report_case_of_the_catalogue_is_there() -> None:
    expected = {
        "R1_3010", "R1_3020", "R1_3025", "R1_3027", "R1_3030", "R1_3040", "R1_3045", "R1_3050", "R1_3060",
        *SWAPPED, *HISTORY_CASES, "R1_3150", "R1_3160", "R1_3170", "R1_3180", "R1_3190",
    }  # fmt: skip
    assert set(REPORT_CASES) == expected
    for number in expected:
        found = REGISTRY.get(number, Role.VEN)
        assert found.description, number
        assert found.transports == (Transport.PULL, Transport.PUSH), number
    assert REGISTRY.get("R1_3010", Role.VEN).case_id(Transport.PUSH) == "R0_8010_TH_VTN"


@TRANSPORTS
async def test_the_swapped_cases_do_not_apply_to_our_ven(transport: Transport) -> None:
    """Our VEN never requests reports of its VTN: the swapped cases do not apply to it, after it
    confirmed the VTN's own reports."""
    results = await run(OurVenFactory(reports=telemetry), SWAPPED, [transport])
    for result in results:
        assert result.verdict is Verdict.NOT_APPLICABLE, (result.case_id, result.verdict, result.reason)
        assert "never sends oadrCreateReport" in result.reason, result.reason
    offered = next(result for result in results if result.case.number == "R1_3070")
    assert "the VEN takes the VTN's reports with 200 (it answered 200)" in offered.checks


async def test_report_cases_do_not_apply_to_a_ven_without_the_report() -> None:
    """A VEN that offers no report at all: every case that needs one is not applicable (the
    reason names what is missing); asking it for its METADATA still applies (and passes)."""
    results = await run(OurVenFactory(), [*REPORTING, *HISTORY_CASES])
    found = verdicts(results)
    assert found.pop("R1_3170")[0] is Verdict.PASSED
    assert all(verdict is Verdict.NOT_APPLICABLE for verdict, _ in found.values()), found
    assert "offers no METADATA_TELEMETRY_STATUS" in found["R1_3010"][1]


async def test_cases_needing_status_do_not_apply_to_a_ven_with_usage_only() -> None:
    def usage_only() -> list[ReportCapability]:
        meter = Meter()
        return [telemetry_usage("telemetry", power=meter.power, energy=meter.energy)]

    results = await run(OurVenFactory(reports=usage_only), ["R1_3010", "R1_3025", "R1_3020"])
    found = verdicts(results)
    assert found["R1_3010"][0] is Verdict.NOT_APPLICABLE
    assert found["R1_3025"][0] is Verdict.NOT_APPLICABLE
    assert found["R1_3020"][0] is Verdict.PASSED, found["R1_3020"]  # any telemetry report will do


@pytest.mark.parametrize("name", list(FAULTS))
async def test_a_report_case_fails_against_a_ven_that_breaks_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, fault, words = FAULTS[name]
    install(monkeypatch, fault)
    result = await run_one(OurVenFactory(reports=telemetry), number)
    assert_failed([result], words)


async def test_delayed_report_fails_on_an_inconsistent_load_control_state() -> None:
    broken = OadrPayloadResourceStatus(
        online=True,
        manual_override=False,
        load_control_state=OadrLoadControlState(
            capacity=LoadControlValues(current=Decimal(12), min=Decimal(0), max=Decimal(11))
        ),
    )
    result = await run_one(OurVenFactory(reports=lambda: telemetry(Meter(status=broken))), "R1_3025")
    assert_failed([result], "capacity: current 12 above max 11")


async def test_metadata_case_fails_against_a_ven_that_ignores_the_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(VenReports, "metadata_requested", property(lambda self: False))
    result = await run_one(OurVenFactory(reports=telemetry), "R1_3170")
    assert_failed([result], "oadrRegisterReport answering the METADATA request")


@pytest.mark.parametrize(
    ("number", "fault", "words"),
    [
        ("R1_3130", Fault(outgoing=on_updates(latest_sample_only)), "3 or more per rID"),
        ("R1_3140", Fault(incoming=on_requests(history_without_interval)), "older than the requested start"),
    ],
    ids=["only the latest sample", "the whole history for a subset"],
)
async def test_a_history_case_fails_against_a_ven_that_breaks_it(
    number: str, fault: Fault, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(monkeypatch, fault)
    result = await run_one(OurVenFactory(reports=charger), number, settings=HISTORY)
    assert_failed([result], words)


# -- the tests: the VEN requests (a test-only VEN that can) --------------------------------------------


class RequestingVen(OurVen):
    """Our VEN with a test-only ability to request reports of its VTN (it has none of its own):
    it sends oadrCreateReport and oadrCancelReport through its own client. It cannot carry them
    on oadrRegisteredReport or oadrUpdatedReport."""

    def __init__(self, ours: OurVen, faults: RequestFaults) -> None:
        super().__init__(ours.ven, ours.journal)
        self.faults = faults

    async def request_reports(
        self, wanted: Sequence[WantedReport], *, on_registered_report: bool = False
    ) -> None:
        if on_registered_report:
            raise NotApplicable("this VEN cannot request reports on oadrRegisteredReport")
        session = self.ven.session
        requests = tuple(
            OadrReportRequest(
                report_request_id=f"VEN-RR-{new_id()[:8]}",
                report_specifier=ReportSpecifier(
                    report_specifier_id=self.faults.specifier_id(item.report_specifier_id),
                    granularity=item.granularity,
                    report_back_duration=item.report_back_duration,
                    specifier_payloads=tuple(
                        SpecifierPayload(r_id=r_id, reading_type=ReadingType.DIRECT_READ)
                        for r_id in item.r_ids or ()
                    ),
                ),
            )
            for item in wanted
        )
        for batch in [(request,) for request in requests] if self.faults.one_per_message else [requests]:
            message = OadrCreateReport(request_id=new_id(), report_requests=batch, ven_id=session.ven_id)
            await session.client.send(ServiceName.EI_REPORT, message)

    async def cancel_report(
        self, report_request_id: str, *, report_to_follow: bool, on_updated_report: bool = False
    ) -> None:
        if on_updated_report:
            raise NotApplicable("this VEN cannot cancel reports on oadrUpdatedReport")
        session = self.ven.session
        message = OadrCancelReport(
            request_id=new_id(),
            report_request_ids=(report_request_id,),
            report_to_follow=report_to_follow or self.faults.report_to_follow,
            ven_id=session.ven_id,
        )
        await session.client.send(ServiceName.EI_REPORT, message)


@dataclass(frozen=True)
class RequestFaults:
    """How a requesting VEN may get it wrong: request another report than it was asked to,
    send each request in a message of its own, always ask for a final report on cancelling."""

    specifier_id: Callable[[str], str] = lambda offered: offered
    one_per_message: bool = False
    report_to_follow: bool = False


class RequestingVenFactory(OurVenFactory):
    def __init__(self, faults: RequestFaults = RequestFaults()) -> None:
        super().__init__()
        self.faults = faults

    @contextlib.asynccontextmanager
    async def attach(
        self, selected: Selected, harness: HarnessVtn, clock: CompressedClock
    ) -> AsyncIterator[RequestingVen]:
        async with super().attach(selected, harness, clock) as ours:
            yield RequestingVen(ours, self.faults)


def test_the_requesting_ven_is_a_report_requesting_ven() -> None:
    assert issubclass(RequestingVen, ReportRequestingVen)
    assert not isinstance(object(), ReportRequestingVen)


@TRANSPORTS
async def test_swapped_cases_pass_against_a_ven_that_requests(transport: Transport) -> None:
    results = await run(RequestingVenFactory(), SWAPPED, [transport])
    found = verdicts(results)
    for number in ("R1_3070", "R1_3080", "R1_3090", "R1_3100"):
        assert found[number][0] is Verdict.PASSED, (number, found[number])
    assert found["R1_3110"] == (Verdict.NOT_APPLICABLE, "this VEN cannot cancel reports on oadrUpdatedReport")
    assert found["R1_3120"] == (
        Verdict.NOT_APPLICABLE,
        "this VEN cannot request reports on oadrRegisteredReport",
    )
    assert has_check(by_number(results)["R1_3080"], "hands the VTN's report data")


@pytest.mark.parametrize(
    ("number", "faults", "words"),
    [
        (
            "R1_3070",
            RequestFaults(specifier_id=lambda _: "NOT-OFFERED"),
            "only reports and rIDs the VTN offered",
        ),
        ("R1_3090", RequestFaults(one_per_message=True), "one oadrCreateReport carries the 2 requests"),
        ("R1_3100", RequestFaults(report_to_follow=True), "asks for no final report"),
    ],
    ids=["a report never offered", "one request per message", "a final report nobody asked for"],
)
async def test_a_swapped_case_fails_against_a_ven_that_requests_wrongly(
    number: str, faults: RequestFaults, words: str
) -> None:
    result = await run_one(RequestingVenFactory(faults), number)
    assert_failed([result], words)


async def test_swapped_case_fails_against_a_ven_refusing_the_report_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(payload: Payload) -> Payload:
        if isinstance(payload, OadrUpdatedReport):
            return replace(
                payload, ei_response=EiResponse(response_code=ResponseCode.INVALID_ID, request_id="x")
            )
        return payload

    install(monkeypatch, Fault(outgoing=refuse))
    result = await run_one(RequestingVenFactory(), "R1_3080")
    assert_failed([result], "echoes the requestID")


async def test_an_external_ven_is_asked_to_request_reports(tmp_path: Path) -> None:
    """An external VEN (our VEN, started by hand against the harness's fixed port): the swapped
    case offers the VTN's reports, then asks the operator to make the VEN request one; nobody
    does, so the case fails when the oadrCreateReport does not come (never a pass)."""
    port = free_port()
    operator = PrintingOperator(stream=io.StringIO())
    settings = RunSettings(
        speed=1, timeouts=Timeouts(message=10, action=2), case_seconds=30, harness_port=port
    )
    ven = external_ven(port, tmp_path, reports=telemetry())
    async with ven.running():
        [result] = await VenRunner(ExternalVenFactory(operator), settings).run(
            [selected("R1_3070", Transport.PULL)]
        )
    ven.store.close()
    assert_failed([result], "did not send an oadrCreateReport")
    assert "the VEN takes the VTN's reports with 200 (it answered 200)" in result.checks
    [asked] = [text for text in operator.asked if "request" in text]
    assert "TH-VTN-TELEMETRY-STATUS" in asked
    assert "th-status" in asked


def test_intervals_sampled_microseconds_apart_are_one_reading() -> None:
    """A VEN may stamp each rID's interval with the moment it sampled it: one reading per round,
    as long as the rIDs do not repeat; a round a minute later is the next reading."""
    t0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def interval(r_id: str, at: datetime, value: int) -> ReportInterval:
        payload = OadrReportPayload(r_id=r_id, payload=PayloadFloat(value=Decimal(value)))
        return ReportInterval(payloads=(payload,), dtstart=at)

    report = OadrReport(
        report_request_id="rr",
        report_specifier_id="telemetry",
        created_date_time=t0,
        intervals=(
            interval("power", t0, 1),
            interval("energy", t0 + timedelta(microseconds=90), 2),
            interval("power", t0 + timedelta(microseconds=150), 3),
            interval("power", t0 + timedelta(minutes=1), 4),
            interval("energy", t0 + timedelta(minutes=1, microseconds=80), 5),
        ),
    )
    readings = _readings(report)
    assert [reading.start for reading in readings] == [
        t0,
        t0 + timedelta(microseconds=150),
        t0 + timedelta(minutes=1),
    ]
    assert [sorted(reading.values) for reading in readings] == [
        ["energy", "power"],
        ["power"],
        ["energy", "power"],
    ]
