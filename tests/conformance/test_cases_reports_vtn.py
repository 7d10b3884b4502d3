"""The report cases whose device is a VTN (openadr_accel.conformance.cases.reports_vtn), run against
our own VTN over loopback (a real SQLite file, real sockets, the run's clock 60 times faster):
each case checks what the VTN did with the reports, or is not applicable where its docstring says
why it cannot apply to our VTN (R1_3070-3120: our VTN offers no report of its own), and each
fails against a VTN that breaks what it checks (a device that builds a wrong request or drops an
action, a VTN whose answers are tampered with, a VTN that offers reports it refuses). That every
case passes against our own VTN in both transports is ``conformance/test_ours.py``'s to show.

The roles-swapped cases (the VTN reports) also run against :class:`ServingVtn`: our VTN extended,
for these tests only, to offer and serve reports, so that those cases are seen to pass as well
as to fail."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from conformance_runs import FAST, TRANSPORTS, assert_failed, has_check
from conformance_vtn_devices import BrokenVtnFactory, Route, rerouted, run, run_one

from openadr_accel import xml
from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import (
    REGISTRY,
    Case,
    CaseRegistry,
    CaseResult,
    Role,
    Selected,
    Transport,
    Verdict,
)
from openadr_accel.conformance.cases.reports_vtn import _OurVtnActions, _Requested
from openadr_accel.conformance.context import CompressedClock, VtnCaseContext
from openadr_accel.conformance.devices import ReportSpec
from openadr_accel.conformance.harness_ven import TELEMETRY_USAGE_ID
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory, VtnView
from openadr_accel.conformance.runner import VtnRunner
from openadr_accel.errors import OpenADRError
from openadr_accel.model import (
    UNSOLICITED_REPORT_REQUEST_ID,
    EiResponse,
    OadrCanceledReport,
    OadrCancelReport,
    OadrCreatedReport,
    OadrCreateReport,
    OadrPayloadResourceStatus,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportDescription,
    OadrReportPayload,
    OadrReportRequest,
    OadrResponse,
    OadrSamplingRate,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    ReadingType,
    ReportInterval,
    ReportName,
    ReportType,
    ResponseCode,
)
from openadr_accel.services import PUSH_SERVICE_OF
from openadr_accel.vtn.handlers import Peer
from openadr_accel.vtn.policies import new_id
from openadr_accel.vtn.store import VenRecord

REPORT_CASES = [found.number for found in REGISTRY if found.role is Role.VTN and found.group.value == "R"]
SWAPPED = ["R1_3070", "R1_3080", "R1_3090", "R1_3100", "R1_3110", "R1_3120"]
"""The VTN reports: not applicable to our VTN, which offers no report of its own."""


def ok(request_id: str) -> EiResponse:
    return EiResponse(response_code=ResponseCode.OK, request_id=request_id)


# -- what is registered -------------------------------------------------------------------------------


def test_every_report_case_of_the_catalogue_is_there_for_a_vtn() -> None:
    expected = {
        "R1_3010", "R1_3020", "R1_3025", "R1_3027", "R1_3030", "R1_3040", "R1_3045", "R1_3050", "R1_3060",
        *SWAPPED, "R1_3130", "R1_3140", "R1_3150", "R1_3160", "R1_3170", "R1_3180", "R1_3190",
    }  # fmt: skip
    assert set(REPORT_CASES) == expected
    for number in expected:
        found = REGISTRY.get(number, Role.VTN)
        assert len(found.description) > 100, number
        assert found.transports == (Transport.PULL, Transport.PUSH), number
        assert found.case_id(Transport.PUSH) == f"R0_{int(number[3:]) + 5000:04d}_TH_VEN"


# -- against our own VTN ------------------------------------------------------------------------------


async def test_the_report_cases_check_what_our_vtn_did_with_the_reports() -> None:
    """Each case where the VEN reports checks, besides the VTN's answers, what the VTN did with
    the reports (it keeps them, takes them, or refuses them: R1_3190 keeps nothing); the swapped
    cases do not apply to our VTN, which offers no report of its own. (That they pass, in both
    transports, is ``conformance/test_ours.py``'s to show.)"""
    for result in await run(OurVtnFactory(), REPORT_CASES):
        if result.case.number in SWAPPED:
            assert result.verdict is Verdict.NOT_APPLICABLE, (result.case_id, result.verdict, result.reason)
            assert "offers no report" in result.reason
            continue
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
        assert any(
            "VTN keeps" in check or "VTN takes" in check or "VTN refuses" in check for check in result.checks
        ), (result.case_id, result.checks)


async def test_r1_3190_against_our_vtn_checks_both_ways() -> None:
    """Our VTN refuses requests for reports it does not offer, and, once the harness refused the
    VTN's own request with 452, holds that request as over: its update is refused (rule 304)."""
    result = await run_one(OurVtnFactory(), "R1_3190", Transport.PULL)
    assert result.verdict is Verdict.PASSED, result.reason
    assert has_check(result, "unknown reportSpecifierID with 452"), result.checks
    assert has_check(result, "acknowledges the harness's oadrCreatedReport with 200")
    assert has_check(result, "the VEN refused with 452 (rule 304; it answered oadrUpdatedReport 452")


# -- VTNs that break the rules ----------------------------------------------------------------------


def of(cls: type[OurVtn]) -> Callable[[OurVtn], OurVtn]:
    """Our VTN as a device of class ``cls`` (a subclass of OurVtn)."""
    return lambda ours: cls(ours.vtn, ours.url, ours.journal)


class CoarseVtn(OurVtn):
    """Requests reports at twice the granularity asked for."""

    async def request_report(self, spec: ReportSpec) -> None:
        await super().request_report(replace(spec, granularity=spec.granularity * 2))


class PartialVtn(OurVtn):
    """Requests one data point fewer than asked for."""

    async def request_report(self, spec: ReportSpec) -> None:
        offered = next(
            report
            for report in await self.vtn.reports.capabilities(spec.ven_id)
            if report.report_specifier_id == spec.report_specifier_id
        )
        r_ids = list(spec.r_ids) if spec.r_ids is not None else [d.r_id for d in offered.descriptions]
        await super().request_report(replace(spec, r_ids=r_ids[:-1] or r_ids))


class TimelessVtn(OurVtn):
    """Forgets the reportInterval of its requests."""

    async def request_report(self, spec: ReportSpec) -> None:
        await super().request_report(replace(spec, start=None, duration=None))


class DeafVtn(OurVtn):
    """Does not cancel report requests when asked to."""

    async def cancel_report(self, report_request_id: str, *, report_to_follow: bool) -> None:
        return None


class NoFollowVtn(OurVtn):
    """Cancels without reportToFollow, whatever it is asked."""

    async def cancel_report(self, report_request_id: str, *, report_to_follow: bool) -> None:
        await super().cancel_report(report_request_id, report_to_follow=False)


class NotMetadataVtn(OurVtn):
    """Asked for the VEN's METADATA, requests one of its data reports instead (not rule 306)."""

    async def request_metadata(self, ven_id: str) -> None:
        [offered, *_] = await self.vtn.reports.capabilities(ven_id)
        await self.vtn.reports.request(ven_id, offered.report_specifier_id)


class Lazy(OurVtn):
    """Implements VtnReportActions, badly: cancels outright instead of on the next
    oadrUpdatedReport, requests nothing on oadrRegisteredReport, and sends several requests in
    several oadrCreateReports."""

    async def request_reports(self, specs: Sequence[ReportSpec]) -> None:
        for spec in specs:
            await self.request_report(spec)

    async def cancel_report_on_update(self, report_request_id: str, *, report_to_follow: bool) -> None:
        await self.cancel_report(report_request_id, report_to_follow=report_to_follow)

    async def request_on_registered_report(self, spec: ReportSpec) -> None:
        return None


class Wrapped:
    """A VTN device that is neither ours nor external and has no VtnReportActions."""

    def __init__(self, inner: OurVtn) -> None:
        self.inner = inner
        self.name = "a wrapped VTN"
        self.url = inner.url

    def observer(self) -> Callable[[], VtnView]:
        return self.inner.observer()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def accepts_everything(original: Route) -> Route:
    """oadrUpdateReport: 200 even when the VTN would refuse (rule 304 broken)."""

    async def route(message: OadrUpdateReport, peer: Peer) -> Payload:
        try:
            return await original(message, peer)
        except OpenADRError:
            return OadrUpdatedReport(
                ei_response=ok(message.request_id),
                ven_id=message.ven_id,
            )

    return route


def no_echo(original: Route) -> Route:
    """oadrUpdateReport: the answer's requestID is not the request's."""

    async def route(message: OadrUpdateReport, peer: Peer) -> Payload:
        answer = await original(message, peer)
        assert isinstance(answer, OadrUpdatedReport)
        return replace(answer, ei_response=replace(answer.ei_response, request_id=new_id()))

    return route


def keeps_first_interval(original: Route) -> Route:
    """oadrUpdateReport: only the first interval of each report is kept."""

    async def route(message: OadrUpdateReport, peer: Peer) -> Payload:
        reports = tuple(replace(report, intervals=report.intervals[:1]) for report in message.reports)
        return await original(replace(message, reports=reports), peer)

    return route


def takes_any_request(original: Route) -> Route:
    """oadrCreateReport: every request is accepted, offered or not."""

    async def route(message: OadrCreateReport, peer: Peer) -> Payload:
        return OadrCreatedReport(
            ei_response=ok(message.request_id),
            ven_id=message.ven_id,
        )

    return route


@pytest.mark.parametrize("number", ["R1_3020", "R1_3160"])
async def test_a_request_at_the_wrong_granularity_fails(number: str) -> None:
    result = await run_one(BrokenVtnFactory(of(CoarseVtn)), number, Transport.PULL)
    assert_failed([result], "asks for granularity 1 min (it asks for 2 min)")


async def test_a_request_missing_a_data_point_fails() -> None:
    result = await run_one(BrokenVtnFactory(of(PartialVtn)), "R1_3150", Transport.PUSH)
    assert_failed([result], "names exactly the rIDs ['energy', 'power']")


@pytest.mark.parametrize("number", ["R1_3025", "R1_3027", "R1_3130", "R1_3140"])
async def test_a_request_without_its_report_interval_fails(number: str) -> None:
    result = await run_one(BrokenVtnFactory(of(TimelessVtn)), number, Transport.PULL)
    assert_failed([result], "carries a reportInterval")


@pytest.mark.parametrize("number", ["R1_3040", "R1_3045"])
async def test_a_vtn_that_does_not_cancel_fails(number: str) -> None:
    result = await run_one(BrokenVtnFactory(of(DeafVtn)), number, Transport.PUSH)
    assert_failed([result], "did not send an oadrCancelReport")


async def test_a_cancel_without_report_to_follow_fails_r1_3045() -> None:
    result = await run_one(BrokenVtnFactory(of(NoFollowVtn)), "R1_3045", Transport.PULL)
    assert_failed([result], "says reportToFollow true (it says false)")


@TRANSPORTS
async def test_a_metadata_request_that_is_not_metadata_fails(transport: Transport) -> None:
    result = await run_one(BrokenVtnFactory(of(NotMetadataVtn)), "R1_3170", transport)
    assert_failed([result], "reportSpecifierID METADATA (rule 306")


@pytest.mark.parametrize("number", ["R1_3010", "R1_3040", "R1_3050"])
async def test_a_vtn_taking_updates_it_did_not_ask_for_fails(number: str) -> None:
    result = await run_one(
        BrokenVtnFactory(rerouted(OadrUpdateReport, accepts_everything)), number, Transport.PUSH
    )
    assert_failed([result], "(rule 304; it answered oadrUpdatedReport 200")


async def test_an_answer_that_does_not_echo_the_request_id_fails() -> None:
    result = await run_one(BrokenVtnFactory(rerouted(OadrUpdateReport, no_echo)), "R1_3020", Transport.PULL)
    assert_failed([result], "the oadrUpdatedReport echoes the requestID of the oadrUpdateReport")


@pytest.mark.parametrize("number", ["R1_3130", "R1_3160"])
async def test_a_vtn_that_loses_readings_fails_the_observation(number: str) -> None:
    result = await run_one(
        BrokenVtnFactory(rerouted(OadrUpdateReport, keeps_first_interval)), number, Transport.PULL
    )
    assert_failed([result], "not observed in time: the VTN keeps")


async def test_a_vtn_taking_requests_for_reports_it_does_not_offer_fails_r1_3190() -> None:
    result = await run_one(
        BrokenVtnFactory(rerouted(OadrCreateReport, takes_any_request)), "R1_3190", Transport.PULL
    )
    assert_failed([result], "for an unknown reportSpecifierID with 452 (it answered 200)")


@pytest.mark.parametrize(
    ("number", "needle"),
    [
        ("R1_3050", "no oadrUpdatedReport carried an oadrCancelReport"),
        ("R1_3060", "no oadrRegisteredReport carried a report request"),
        ("R1_3030", "the oadrCreateReport carries 2 oadrReportRequest(s) (it carries 1)"),
        ("R1_3180", "the oadrCreateReport carries 3 oadrReportRequest(s) (it carries 1)"),
    ],
)
async def test_a_vtn_that_does_not_piggyback_or_group_its_requests_fails(number: str, needle: str) -> None:
    result = await run_one(BrokenVtnFactory(of(Lazy)), number, Transport.PULL)
    assert_failed([result], needle)


@pytest.mark.parametrize("number", ["R1_3030", "R1_3050", "R1_3060", "R1_3180"])
async def test_a_device_without_the_report_actions_is_not_applicable(number: str) -> None:
    result = await run_one(BrokenVtnFactory(Wrapped), number, Transport.PULL)
    assert result.verdict is Verdict.NOT_APPLICABLE, (result.verdict, result.reason)
    assert "does not implement VtnReportActions" in result.reason


# -- a VTN that offers reports -------------------------------------------------------------------------

_SAMPLING = OadrSamplingRate(min_period=timedelta(seconds=1), max_period=timedelta(hours=1), on_change=False)


def vtn_reports() -> tuple[OadrReport, ...]:
    """Two reports a VTN might offer: its feeder's power, and its own status."""
    now = CompressedClock()()
    return (
        OadrReport(
            report_request_id=UNSOLICITED_REPORT_REQUEST_ID,
            report_specifier_id="VTN_TELEMETRY_USAGE",
            created_date_time=now,
            report_name=ReportName.METADATA_TELEMETRY_USAGE,
            descriptions=(
                OadrReportDescription(
                    r_id="feeder-power",
                    report_type=ReportType.USAGE,
                    reading_type=ReadingType.DIRECT_READ,
                    item_base=PowerReal(
                        attributes=PowerAttributes(hertz=Decimal(60), voltage=Decimal(240), ac=True)
                    ),
                    sampling_rate=_SAMPLING,
                ),
            ),
        ),
        OadrReport(
            report_request_id=UNSOLICITED_REPORT_REQUEST_ID,
            report_specifier_id="VTN_TELEMETRY_STATUS",
            created_date_time=now,
            report_name=ReportName.METADATA_TELEMETRY_STATUS,
            descriptions=(
                OadrReportDescription(
                    r_id="vtn-status",
                    report_type=ReportType.RESOURCE_STATUS,
                    reading_type=ReadingType.NOT_APPLICABLE,
                    sampling_rate=_SAMPLING,
                ),
            ),
        ),
    )


@TRANSPORTS
async def test_a_vtn_that_refuses_the_reports_it_offers_fails_the_swapped_cases(transport: Transport) -> None:
    """A VTN that offers reports in its oadrRegisterReport, yet answers every request for them
    with 452 (our VTN once did, with VtnConfig.reports; it now refuses to offer reports)."""
    results = await run(ServingFactory(serve=False), SWAPPED[:4], [transport])
    assert_failed(results, "accepts the request for its own offered report(s) with 200 (it answered 452")


class ServingVtn:
    """Our VTN extended, for these tests only, to offer reports (:func:`vtn_reports`, in its
    oadrRegisterReport) and serve them: requests of them are accepted (oadrCreatedReport 200, periodic ones
    pending); a one-shot is reported at once, a periodic one every reportBackDuration (a reading
    per granularity) until cancelled, by oadrCancelReport or on an oadrUpdatedReport (confirmed
    with oadrCanceledReport); requests on oadrRegisteredReport are confirmed with
    oadrCreatedReport. Everything else is our VTN's own handling.

    Our VTN cannot push oadrCanceledReport or oadrCreatedReport (openadr_accel.services.
    PUSH_SERVICE_OF has no service for them): to a push VEN, the extension POSTs those itself.

    Broken on purpose: ``wrong_specifier`` reports under another reportSpecifierID;
    ``ignore_cancel`` confirms cancellations but goes on reporting; without ``serve`` it only
    offers the reports, and our VTN refuses every request for them (452)."""

    def __init__(
        self,
        device: OurVtn,
        *,
        wrong_specifier: bool = False,
        ignore_cancel: bool = False,
        serve: bool = True,
    ) -> None:
        self.device = device
        self.vtn = device.vtn
        self.context = device.vtn._context
        self.wrong_specifier = wrong_specifier
        self.ignore_cancel = ignore_cancel
        self.offered = {report.report_specifier_id: report for report in vtn_reports()}
        self.running: dict[str, asyncio.Task[None]] = {}
        self.vtn.reports.send_register_report = self.send_register_report  # type: ignore[method-assign]
        if not serve:
            return
        routes = self.vtn.dispatcher._routes
        self.original = dict(routes)
        routes[OadrCreateReport] = self.on_create
        routes[OadrCancelReport] = self.on_cancel
        routes[OadrUpdatedReport] = self.on_updated
        routes[OadrRegisteredReport] = self.on_registered

    async def close(self) -> None:
        for task in self.running.values():
            task.cancel()
        for task in self.running.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- routes

    async def on_create(self, message: OadrCreateReport, peer: Peer) -> Payload:
        if not all(
            request.report_specifier.report_specifier_id in self.offered
            for request in message.report_requests
        ):
            return await self.original[OadrCreateReport](message, peer)
        pending = await self.start(message.ven_id, message.report_requests)
        return OadrCreatedReport(
            ei_response=ok(message.request_id),
            pending_reports=pending,
            ven_id=message.ven_id,
        )

    async def on_cancel(self, message: OadrCancelReport, peer: Peer) -> Payload:
        unknown = [rid for rid in message.report_request_ids if rid not in self.running]
        if unknown:
            return await self.original[OadrCancelReport](message, peer)
        await self.stop(message.ven_id, message.report_request_ids, message.report_to_follow)
        return OadrCanceledReport(
            ei_response=ok(message.request_id),
            pending_reports=tuple(self.running),
            ven_id=message.ven_id,
        )

    async def on_updated(self, message: OadrUpdatedReport, peer: Peer) -> Payload:
        cancel = message.cancel_report
        if cancel is not None:
            await self.stop(message.ven_id, cancel.report_request_ids, cancel.report_to_follow)
            await self.deliver(
                message.ven_id,
                OadrCanceledReport(
                    ei_response=ok(cancel.request_id),
                    pending_reports=tuple(self.running),
                    ven_id=message.ven_id,
                ),
            )
        return OadrResponse(
            ei_response=ok(message.ei_response.request_id),
            ven_id=message.ven_id,
        )

    async def on_registered(self, message: OadrRegisteredReport, peer: Peer) -> Payload:
        if not message.report_requests:
            return await self.original[OadrRegisteredReport](message, peer)
        pending = await self.start(message.ven_id, message.report_requests)
        await self.deliver(
            message.ven_id,
            OadrCreatedReport(
                ei_response=ok(message.ei_response.request_id),
                pending_reports=pending,
                ven_id=message.ven_id,
            ),
        )
        return OadrResponse(
            ei_response=ok(message.ei_response.request_id),
            ven_id=message.ven_id,
        )

    # -- offering

    async def send_register_report(self, ven: VenRecord) -> None:
        """Our VTN's oadrRegisterReport, offering :func:`vtn_reports` (our VTN offers none)."""
        now = self.context.clock()
        reports = tuple(replace(report, created_date_time=now) for report in self.offered.values())
        await self.context.send(
            ven, OadrRegisterReport(request_id=new_id(), reports=reports, ven_id=ven.ven_id)
        )

    # -- reporting

    async def start(self, ven_id: str | None, requests: Sequence[OadrReportRequest]) -> tuple[str, ...]:
        assert ven_id is not None
        for request in requests:
            self.running[request.report_request_id] = asyncio.create_task(self.serve(ven_id, request))
        return tuple(
            request.report_request_id
            for request in requests
            if request.report_specifier.granularity or request.report_specifier.report_back_duration
        )

    async def stop(self, ven_id: str | None, ids: Sequence[str], follow: bool) -> None:
        assert ven_id is not None
        for rid in ids:
            task = self.running.pop(rid, None)
            if task is not None and not self.ignore_cancel:
                task.cancel()

    async def serve(self, ven_id: str, request: OadrReportRequest) -> None:
        specifier = request.report_specifier
        clock = self.context.clock
        assert isinstance(clock, CompressedClock)
        if not specifier.granularity and not specifier.report_back_duration:
            await self.report(ven_id, request, 1, timedelta(0))
            self.running.pop(request.report_request_id, None)
            return
        back = specifier.report_back_duration or specifier.granularity
        step = specifier.granularity or back
        while True:
            await asyncio.sleep(clock.real_seconds(back))
            await self.report(ven_id, request, max(1, back // step), step)

    async def report(self, ven_id: str, request: OadrReportRequest, count: int, step: timedelta) -> None:
        now = self.context.clock()
        specifier = request.report_specifier
        offered = self.offered[specifier.report_specifier_id]
        kinds = {description.r_id: description.report_type for description in offered.descriptions}
        intervals = tuple(
            ReportInterval(
                uid=str(index),
                dtstart=now - (count - index) * step,
                duration=step,
                payloads=tuple(
                    OadrReportPayload(
                        r_id=point.r_id,
                        payload=OadrPayloadResourceStatus(online=True, manual_override=False)
                        if kinds.get(point.r_id) == ReportType.RESOURCE_STATUS
                        else PayloadFloat(value=Decimal(4200 + index)),
                    )
                    for point in specifier.specifier_payloads
                ),
            )
            for index in range(count)
        )
        report = OadrReport(
            report_request_id=request.report_request_id,
            report_specifier_id="VTN_SOMETHING_ELSE"
            if self.wrong_specifier
            else specifier.report_specifier_id,
            created_date_time=now,
            intervals=intervals,
        )
        await self.deliver(ven_id, OadrUpdateReport(request_id=new_id(), reports=(report,), ven_id=ven_id))

    async def deliver(self, ven_id: str | None, payload: Payload) -> None:
        """Queue for the VEN's next poll, or push; what our VTN cannot push, POSTed directly."""
        assert ven_id is not None
        ven = await self.vtn.registrations.get(ven_id)
        assert ven is not None
        if not ven.push or type(payload) in PUSH_SERVICE_OF:
            await self.context.send(ven, payload)
            return
        assert ven.transport_address is not None
        url = f"{ven.transport_address}/OpenADR2/Simple/2.0b/EiReport"
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, data=xml.serialize(payload), headers={"Content-Type": "application/xml"}
            ) as response,
        ):
            await response.read()


class ServingFactory(OurVtnFactory):
    """Our VTN offering :func:`vtn_reports` and serving them (:class:`ServingVtn`)."""

    def __init__(self, **broken: bool) -> None:
        super().__init__()
        self.broken = broken

    def attach(self, selected: Selected, clock: CompressedClock) -> AbstractAsyncContextManager[OurVtn]:
        return self._serving(selected, clock)

    @asynccontextmanager
    async def _serving(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[OurVtn]:
        async with super().attach(selected, clock) as device:
            serving = ServingVtn(device, **self.broken)
            try:
                yield device
            finally:
                await serving.close()


@TRANSPORTS
async def test_the_swapped_cases_pass_against_a_vtn_that_serves_its_reports(transport: Transport) -> None:
    for result in await run(ServingFactory(), SWAPPED, [transport]):
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
        assert has_check(result, "VTN accepts the request for its own offered report"), result.checks


@pytest.mark.parametrize("number", ["R1_3070", "R1_3080", "R1_3120"])
async def test_a_vtn_reporting_under_another_report_specifier_fails(number: str) -> None:
    result = await run_one(ServingFactory(wrong_specifier=True), number, Transport.PULL)
    assert_failed([result], "name its reportSpecifierID VTN_TELEMETRY")


@pytest.mark.parametrize(("number", "transport"), [("R1_3100", Transport.PULL), ("R1_3110", Transport.PUSH)])
async def test_a_vtn_that_goes_on_reporting_after_a_cancel_fails(number: str, transport: Transport) -> None:
    result = await run_one(ServingFactory(ignore_cancel=True), number, transport)
    assert_failed([result], "the VTN stops reporting the cancelled request")


# -- reportToFollow beyond the catalogue's scenarios: the final update is the one after the -------------
# -- VEN's oadrCanceledReport (updates crossing the cancellation are ordinary data) ----------------------


async def _run_ad_hoc(
    number: str, body: Callable[[Any], Awaitable[None]], transport: Transport
) -> CaseResult:
    registry = CaseRegistry()
    registry.add(Case(number=number, role=Role.VTN, title="an ad-hoc scenario", body=body))
    [result] = await VtnRunner(OurVtnFactory(), FAST).run(
        [Selected(registry.get(number, Role.VTN), transport)]
    )
    return result


def _final_answers(ctx: VtnCaseContext, since: int) -> list[ResponseCode]:
    return [
        answer.ei_response.response_code for answer in ctx.harness.inbox.of(OadrUpdatedReport, since=since)
    ]


@TRANSPORTS
async def test_a_piggy_backed_cancel_with_report_to_follow_gets_its_final_update(
    transport: Transport,
) -> None:
    async def body(ctx: VtnCaseContext) -> None:
        """R1_3050 with reportToFollow: the harness answers the piggy-backed cancellation and
        sends the final update it asks for, which the VTN must take with 200."""
        requests = _Requested(ctx)
        await ctx.harness.registered()
        request = await requests.ask(
            requests.spec(
                TELEMETRY_USAGE_ID,
                granularity=timedelta(minutes=1),
                report_back_duration=timedelta(minutes=1),
            )
        )
        await requests.report(request)
        assert isinstance(ctx.device, OurVtn)
        await _OurVtnActions(ctx.device).cancel_report_on_update(
            request.report_request_id, report_to_follow=True
        )
        carrying = await requests.report(request)
        cancel = carrying.answer.cancel_report
        ctx.check(cancel is not None and cancel.report_to_follow, "the answer carries the cancellation")
        assert cancel is not None
        since = ctx.harness.mark()
        await ctx.harness.answer(cancel)  # oadrCanceledReport, then the final update
        await ctx.harness.settle()
        codes = _final_answers(ctx, since)
        ctx.check(codes == [ResponseCode.OK], f"the VTN takes the final update with 200 ({codes})")

    result = await _run_ad_hoc("R1_3050", body, transport)
    assert result.verdict is Verdict.PASSED, result.reason


async def test_a_regular_update_crossing_a_cancel_with_report_to_follow_is_not_the_final_one() -> None:
    async def body(ctx: VtnCaseContext) -> None:
        """R1_3045 in pull, with the harness's regular update crossing the queued oadrCancelReport
        (sent before its next poll): the final update after the oadrCanceledReport must be taken."""
        requests = _Requested(ctx)
        await ctx.harness.registered()
        request = await requests.ask(
            requests.spec(
                TELEMETRY_USAGE_ID,
                granularity=timedelta(minutes=1),
                report_back_duration=timedelta(minutes=1),
            )
        )
        await requests.report(request)
        await ctx.device.cancel_report(request.report_request_id, report_to_follow=True)
        await requests.report(request)  # crossing the queued oadrCancelReport: not the final one
        since = ctx.harness.mark()
        await ctx.harness.drain()  # the oadrCancelReport, answered; then the final update
        codes = _final_answers(ctx, since)
        ctx.check(codes == [ResponseCode.OK], f"the VTN takes the final update with 200 ({codes})")

    result = await _run_ad_hoc("R1_3045", body, Transport.PULL)
    assert result.verdict is Verdict.PASSED, result.reason
