"""Report (EiReport) cases whose device is a VTN: R1_30xx / R0_80xx ``TH_VEN``.

Two directions.

**The VTN requests, the harness VEN reports** (R1_3010 to R1_3060, R1_3130 to R1_3190). At registration
the harness offered its METADATA reports (:func:`~openadr_accel.conformance.harness_ven.default_reports`:
``TH_TELEMETRY_USAGE`` with ``power`` in powerReal and ``energy`` in energyReal,
``TH_TELEMETRY_STATUS`` with ``status``, ``TH_HISTORY_USAGE`` with ``energy``). A case asks the
device for a request (:meth:`~openadr_accel.conformance.devices.VtnDevice.request_report`, a
:class:`~openadr_accel.conformance.devices.ReportSpec`) and checks the VTN's oadrCreateReport: the
harness's venID; a fresh reportRequestID (not empty, not the unsolicited "0"); the reportSpecifierID
of the offered report; exactly the rIDs asked for (all of the report's by default), each offered;
the granularity, reportBackDuration and reportInterval asked for (a start within a minute, for an
operator who types it). The harness accepts (oadrCreatedReport 200; in pull the VTN acknowledges
it with oadrResponse 200) and reports: every oadrUpdatedReport must be 200, echo the update's
requestID and name the harness's venID, and the VTN is observed to keep the data as sent. Rule
304 is checked from the VTN's side: an oadrUpdateReport naming a reportRequestID the VTN does not
hold outstanding (one it never made, one that was cancelled, one the VEN refused) is refused with
an error responseCode.

**Roles swapped, the VTN reports** (R1_3070 to R1_3120): the harness requests (oadrCreateReport) a
report the VTN offered in its own oadrRegisterReport and checks the VTN's oadrCreatedReport, its
oadrUpdateReports (rule 304: the harness's reportRequestID; the offered reportSpecifierID; the
requested rIDs; every interval timed, rule 314) and its oadrCanceledReport. Which report is used
is decided from what the VTN offered: these cases are not applicable to a VTN whose
oadrRegisterReport offers no report (openadr_accel's VTN offers none unless configured to).

Some steps need more of the device than the :class:`~openadr_accel.conformance.devices.VtnDevice`
protocol offers: several requests in one oadrCreateReport (R1_3030, R1_3180), a cancellation
riding on an oadrUpdatedReport (R1_3050), requests riding on an oadrRegisteredReport (R1_3060).
:class:`VtnReportActions` names them; a device that implements it is used as it is, our own VTN
and an external one (through its operator) are adapted, and any other device makes those cases
not applicable.

Durations are protocol time (the run's clock, compressed against our own VTN, so a one-minute
granularity lasts a second); timing is checked with tolerance and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Protocol, runtime_checkable

from ...errors import LocalProtocolError
from ...model import (
    METADATA_REPORT_SPECIFIER_ID,
    UNSOLICITED_REPORT_REQUEST_ID,
    EiResponse,
    EnergyReal,
    LoadControlValues,
    OadrCanceledReport,
    OadrCancelReport,
    OadrCreatedReport,
    OadrCreateReport,
    OadrLoadControlState,
    OadrPayloadResourceStatus,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportPayload,
    OadrReportRequest,
    OadrResponse,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    PayloadBase,
    PayloadFloat,
    PowerReal,
    ReadingType,
    ReportInterval,
    ReportName,
    ReportSpecifier,
    ReportType,
    ResponseCode,
    SpecifierPayload,
)
from ...vtn.policies import new_id
from ...vtn.reports import report_request
from ...vtn.store import ReportRequestState, VenRecord
from ..case import CaseFailed, Role, case
from ..context import VtnCaseContext
from ..devices import ExternalVtn, Operator, ReportSpec
from ..harness_ven import (
    ENERGY_RID,
    HISTORY_USAGE_ID,
    POWER_RID,
    STATUS_RID,
    TELEMETRY_STATUS_ID,
    TELEMETRY_USAGE_ID,
    ReportValue,
)
from ..our_vtn import OurVtn, VtnView
from ..transcript import Direction, message_name
from ._report_steps import arrival, check_outstanding, check_points, check_specifier_id, grace, show

__all__ = ["VtnReportActions"]

_MINUTE = timedelta(minutes=1)
_ZERO = timedelta(0)
_START_TOLERANCE = timedelta(minutes=1)
"""How far the reportInterval's dtstart of a VTN's request may be from the start asked for (an
operator may type it by hand)."""
_CLOCK_TOLERANCE = timedelta(seconds=1)
"""Slack on timestamps compared across the two parties."""
_QUIET = timedelta(minutes=3)
"""How long a case watches for messages that must not come."""
_RETRY_SECONDS = 1.0
"""Wall-clock pause between two attempts while an operator configures an external device."""

_SETTLE_SECONDS = 2.0
"""Wall-clock seconds an external VTN is given to handle an answer that came to it in the HTTP
response to its push (see :func:`_answer_taken`)."""

_STATUS = ReportName.METADATA_TELEMETRY_STATUS
_USAGE = ReportName.METADATA_TELEMETRY_USAGE


def _status(current: str) -> OadrPayloadResourceStatus:
    """An online status whose loadControlState is consistent (capacity current within min and max)."""
    return OadrPayloadResourceStatus(
        online=True,
        manual_override=False,
        load_control_state=OadrLoadControlState(
            capacity=LoadControlValues(current=Decimal(current), min=Decimal(0), max=Decimal(11))
        ),
    )


def _code(response: EiResponse) -> str:
    description = f" ({response.response_description})" if response.response_description else ""
    return f"{response.response_code.value}{description}"


# -- what the VtnDevice protocol lacks ----------------------------------------------------------------


@runtime_checkable
class VtnReportActions(Protocol):
    """Report actions a case may ask of a VTN beyond :class:`~openadr_accel.conformance.devices.VtnDevice`.

    The VtnDevice protocol should gain them (see the module docstring); until it does, a device
    that implements them is used as it is, our VTN and external VTNs are adapted.
    """

    async def request_reports(self, specs: Sequence[ReportSpec]) -> None:
        """Make the VTN request several reports in one oadrCreateReport (R1_3030, R1_3180)."""
        ...

    async def cancel_report_on_update(self, report_request_id: str, *, report_to_follow: bool) -> None:
        """Make the VTN cancel a report request on the oadrUpdatedReport that answers the
        request's next update, instead of with an oadrCancelReport of its own (R1_3050)."""
        ...

    async def request_on_registered_report(self, spec: ReportSpec) -> None:
        """Make the VTN answer the VEN's next oadrRegisterReport with this request riding on its
        oadrRegisteredReport (R1_3060)."""
        ...


@contextlib.contextmanager
def _refused(what: str) -> Iterator[None]:
    try:
        yield
    except LocalProtocolError as exc:
        raise CaseFailed(f"our VTN refused to {what}: {exc}") from exc


class _OurVtnActions:
    """:class:`VtnReportActions` for openadr_accel's VTN, through its Python API."""

    def __init__(self, device: OurVtn) -> None:
        self.device = device

    async def _request(self, spec: ReportSpec) -> OadrReportRequest:
        for offered in await self.device.vtn.reports.capabilities(spec.ven_id):
            if offered.report_specifier_id == spec.report_specifier_id:
                return report_request(
                    offered,
                    r_ids=spec.r_ids,
                    granularity=spec.granularity,
                    report_back_duration=spec.report_back_duration,
                    start=spec.start,
                    duration=spec.duration,
                )
        raise LocalProtocolError(f"VEN {spec.ven_id!r} offered no report {spec.report_specifier_id!r}")

    async def request_reports(self, specs: Sequence[ReportSpec]) -> None:
        with _refused(f"request {len(specs)} reports in one oadrCreateReport"):
            requests = [await self._request(spec) for spec in specs]
            records = await self.device.vtn.reports.request_several(specs[0].ven_id, requests)
        self.device.report_requests.extend(records)

    async def cancel_report_on_update(self, report_request_id: str, *, report_to_follow: bool) -> None:
        with _refused(f"cancel report request {report_request_id!r} on its next oadrUpdatedReport"):
            await self.device.vtn.reports.cancel(
                report_request_id, report_to_follow=report_to_follow, piggyback=True
            )

    async def request_on_registered_report(self, spec: ReportSpec) -> None:
        journal = self.device.journal
        used = False

        async def answer(ven: VenRecord, offered: Sequence[OadrReport]) -> Sequence[OadrReportRequest]:
            nonlocal used
            chosen = [report for report in offered if report.report_specifier_id == spec.report_specifier_id]
            if used or ven.ven_id != spec.ven_id or not chosen:
                return ()
            used = True
            return [
                report_request(
                    chosen[0],
                    r_ids=spec.r_ids,
                    granularity=spec.granularity,
                    report_back_duration=spec.report_back_duration,
                    start=spec.start,
                    duration=spec.duration,
                )
            ]

        journal.answer_capabilities = answer


class _AskedVtnActions:
    """:class:`VtnReportActions` for an external VTN: its operator is asked."""

    def __init__(self, operator: Operator) -> None:
        self.operator = operator

    async def request_reports(self, specs: Sequence[ReportSpec]) -> None:
        self.operator.ask(
            "Request, in ONE oadrCreateReport, these reports: "
            + "; ".join(spec.describe() for spec in specs)
            + "."
        )

    async def cancel_report_on_update(self, report_request_id: str, *, report_to_follow: bool) -> None:
        follow = "with" if report_to_follow else "without"
        self.operator.ask(
            f"Cancel report request {report_request_id} ({follow} reportToFollow) on the oadrUpdatedReport"
            " answering its next oadrUpdateReport (a piggy-backed oadrCancelReport)."
        )

    async def request_on_registered_report(self, spec: ReportSpec) -> None:
        self.operator.ask(
            f"Make the VTN answer the VEN's next oadrRegisterReport with a request for the {spec.describe()},"
            " carried on its oadrRegisteredReport."
        )


def _actions(ctx: VtnCaseContext) -> VtnReportActions:
    """The device's :class:`VtnReportActions`; not applicable to a device that has none."""
    device = ctx.device
    if isinstance(device, VtnReportActions):
        return device
    if isinstance(device, OurVtn):
        return _OurVtnActions(device)
    if isinstance(device, ExternalVtn):
        return _AskedVtnActions(device.operator)
    ctx.not_applicable(
        f"{device.name} cannot be asked to send several report requests at once, to cancel on an"
        " oadrUpdatedReport or to request on an oadrRegisteredReport (it does not implement VtnReportActions)"
    )


# -- the VTN requests, the harness reports ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sent:
    """An oadrUpdateReport the harness sent, and the VTN's answer."""

    update: OadrUpdateReport
    answer: OadrUpdatedReport


class _Requested:
    """The VTN's report requests of one case, the harness's reports, and the checks on both."""

    def __init__(self, ctx: VtnCaseContext) -> None:
        self.ctx = ctx
        self.harness = ctx.harness
        self.begin = ctx.harness.mark()
        self.seen: set[str] = set()
        """The reportRequestIDs the VTN used in this case."""

    @property
    def ven_id(self) -> str:
        return self.harness.ven_id

    def offered(self, report_specifier_id: str) -> OadrReport:
        """One of the harness's own METADATA reports."""
        for report in self.harness.reports:
            if report.report_specifier_id == report_specifier_id:
                return report
        self.ctx.fail(
            f"the harness VEN offers no report {report_specifier_id!r} (a harness configuration error)"
        )

    def spec(self, report_specifier_id: str, **options: object) -> ReportSpec:
        """A request of one of the harness's reports, for the device."""
        return ReportSpec(ven_id=self.ven_id, report_specifier_id=report_specifier_id, **options)  # type: ignore[arg-type]

    # -- the VTN's requests

    async def ask(self, spec: ReportSpec) -> OadrReportRequest:
        """Make the device request ``spec``; its oadrCreateReport, checked; the request."""
        since = self.harness.mark()
        await self.ctx.device.request_report(spec)
        [request] = await self.created(since, [spec])
        return request

    async def ask_several(self, specs: Sequence[ReportSpec]) -> list[OadrReportRequest]:
        """Make the device request ``specs`` (distinct reports) in one oadrCreateReport."""
        actions = _actions(self.ctx)
        since = self.harness.mark()
        await actions.request_reports(specs)
        return await self.created(since, specs)

    async def created(self, since: int, specs: Sequence[ReportSpec]) -> list[OadrReportRequest]:
        """The VTN's next oadrCreateReport with data requests: one request per spec (matched by
        reportSpecifierID), each checked; the harness's oadrCreatedReport acknowledged."""
        ctx = self.ctx
        message = await self.harness.wait_for(
            OadrCreateReport,
            since=since,
            where=lambda created: any(
                request.report_specifier.report_specifier_id != METADATA_REPORT_SPECIFIER_ID
                for request in created.report_requests
            ),
            timeout=ctx.timeouts.action,
            what="an oadrCreateReport requesting " + ", ".join(spec.report_specifier_id for spec in specs),
        )
        ctx.check(message.ven_id == self.ven_id, "the VTN's oadrCreateReport names the VEN's venID")
        requests = list(message.report_requests)
        ctx.check(
            len(requests) == len(specs),
            f"the oadrCreateReport carries {len(specs)} oadrReportRequest(s) (it carries {len(requests)})",
        )
        ids = [request.report_request_id for request in requests]
        ctx.check(
            len(set(ids)) == len(ids),
            f"the requests of one oadrCreateReport have distinct reportRequestIDs ({ids})",
        )
        chosen = [self.check_request(requests, spec) for spec in specs]
        self.acknowledged(message.request_id, "the harness's oadrCreatedReport")
        return chosen

    def check_request(self, requests: Sequence[OadrReportRequest], spec: ReportSpec) -> OadrReportRequest:
        """The request for ``spec`` among ``requests``, checked against what was asked."""
        ctx = self.ctx
        matching = [r for r in requests if r.report_specifier.report_specifier_id == spec.report_specifier_id]
        ctx.check(
            len(matching) == 1,
            f"the VTN requests the offered report {spec.report_specifier_id} (reportSpecifierID) once"
            f" (reportSpecifierIDs: {[r.report_specifier.report_specifier_id for r in requests]})",
        )
        request = matching[0]
        rid = request.report_request_id
        ctx.check(
            rid not in ("", UNSOLICITED_REPORT_REQUEST_ID) and rid not in self.seen,
            f"the request has a fresh reportRequestID, neither empty nor the unsolicited '0' ({rid!r})",
        )
        self.seen.add(rid)
        specifier = request.report_specifier
        offered = self.offered(spec.report_specifier_id)
        offered_ids = [description.r_id for description in offered.descriptions]
        wanted = sorted(spec.r_ids) if spec.r_ids is not None else sorted(offered_ids)
        asked = [payload.r_id for payload in specifier.specifier_payloads]
        ctx.check(
            sorted(asked) == wanted,
            f"request {rid} names exactly the rIDs {wanted} of report {spec.report_specifier_id}"
            f" (it names {asked})",
        )
        ctx.check(
            specifier.granularity == spec.granularity,
            f"request {rid} asks for granularity {show(spec.granularity)}"
            f" (it asks for {show(specifier.granularity)})",
        )
        ctx.check(
            specifier.report_back_duration == spec.report_back_duration,
            f"request {rid} asks for reportBackDuration {show(spec.report_back_duration)}"
            f" (it asks for {show(specifier.report_back_duration)})",
        )
        interval = specifier.report_interval
        if spec.start is not None:
            ctx.check(interval is not None, f"request {rid} carries a reportInterval")
            assert interval is not None
            ctx.check(
                abs(interval.dtstart - spec.start) <= _START_TOLERANCE,
                f"request {rid}'s reportInterval starts at {spec.start.isoformat()} (within a minute;"
                f" it starts at {interval.dtstart.isoformat()})",
            )
            if spec.duration is not None:
                ctx.check(
                    interval.duration == spec.duration,
                    f"request {rid}'s reportInterval lasts {show(spec.duration)}"
                    f" (it lasts {show(interval.duration)})",
                )
        else:
            ctx.check(
                interval is None or interval.dtstart <= ctx.now() + _START_TOLERANCE,
                f"request {rid} asks for data from now on (no reportInterval, or one starting now)",
            )
        return request

    def acknowledged(self, request_id: str, what: str) -> None:
        """In pull, the harness POSTed its answer: the VTN's oadrResponse to it must be 200 and
        echo ``request_id`` (in push the answer is the HTTP response, which the VTN does not
        answer)."""
        if not self.ctx.pull:
            return
        responses = [
            response
            for response in self.harness.inbox.of(OadrResponse, since=self.begin)
            if response.ei_response.request_id == request_id
        ]
        self.ctx.check(
            bool(responses), f"the VTN acknowledges {what} with an oadrResponse echoing its requestID"
        )
        self.ctx.check(
            responses[-1].ei_response.response_code == ResponseCode.OK,
            f"the VTN acknowledges {what} with 200 (it answered {_code(responses[-1].ei_response)})",
        )

    # -- the harness's reports

    def build(
        self,
        request: OadrReportRequest,
        values: dict[str, ReportValue] | None = None,
        *,
        samples: int = 1,
        start: datetime | None = None,
    ) -> OadrUpdateReport:
        """An oadrUpdateReport for ``request`` (see :meth:`HarnessVen.build_update`), also for a
        request the harness did not accept."""
        rid = request.report_request_id
        known = rid in self.harness.report_requests
        self.harness.report_requests.setdefault(rid, request)
        try:
            return self.harness.build_update(rid, values, samples=samples, start=start)
        finally:
            if not known:
                del self.harness.report_requests[rid]

    async def send(self, update: OadrUpdateReport) -> _Sent:
        """Send report data; the VTN's oadrUpdatedReport must be 200, echo the requestID and
        name the harness's venID. A one-shot request is over once reported."""
        ctx = self.ctx
        answer = await self.harness.send(update)
        ctx.check(
            isinstance(answer, OadrUpdatedReport),
            "the VTN answers the oadrUpdateReport with oadrUpdatedReport"
            f" (it answered {message_name(answer)})",
        )
        assert isinstance(answer, OadrUpdatedReport)
        ids = ", ".join(report.report_request_id for report in update.reports)
        ctx.check(
            answer.ei_response.request_id == update.request_id,
            "the oadrUpdatedReport echoes the requestID of the oadrUpdateReport",
        )
        ctx.check(
            answer.ei_response.response_code == ResponseCode.OK,
            f"the VTN takes the report data for {ids} with 200 (it answered {_code(answer.ei_response)})",
        )
        ctx.check(answer.ven_id in (None, self.ven_id), "the oadrUpdatedReport names the VEN's venID, if any")
        for report in update.reports:
            specifier = self.harness.report_requests.get(report.report_request_id)
            if specifier is not None and _one_shot(specifier):
                with contextlib.suppress(ValueError):
                    self.harness.pending_reports.remove(report.report_request_id)
        return _Sent(update, answer)

    async def report(
        self,
        request: OadrReportRequest,
        values: dict[str, ReportValue] | None = None,
        *,
        samples: int = 1,
        start: datetime | None = None,
    ) -> _Sent:
        """Build and send one report for ``request`` (checked as :meth:`send` does)."""
        return await self.send(self.build(request, values, samples=samples, start=start))

    async def refused(self, update: OadrUpdateReport, why: str) -> None:
        """Rule 304: the VTN must refuse ``update`` (``why`` says what is wrong with it)."""
        answer = await self.harness.send(update)
        response = getattr(answer, "ei_response", None)
        shown = _code(response) if isinstance(response, EiResponse) else ""
        self.ctx.check(
            isinstance(response, EiResponse) and response.response_code != ResponseCode.OK,
            f"the VTN refuses, with an error responseCode (452 expected), an oadrUpdateReport for {why}"
            f" (rule 304; it answered {message_name(answer)} {shown})",
        )

    def stray(self, request: OadrReportRequest) -> OadrUpdateReport:
        """An update like one for ``request`` but naming a reportRequestID the VTN never made."""
        update = self.build(request)
        stray_id = f"TH-NOT-REQUESTED-{new_id()[:8]}"
        return replace(
            update, reports=tuple(replace(report, report_request_id=stray_id) for report in update.reports)
        )

    # -- observations

    async def observe_data(self, sent: Sequence[_Sent], *, what: str = "") -> None:
        """Observed: the VTN keeps every report of ``sent``, with the values sent."""
        reports = [report for item in sent for report in item.update.reports]
        ids = sorted({report.report_request_id for report in reports})
        ven_id = self.ven_id

        async def kept(view: VtnView) -> bool:
            stored = [item.report for item in await view.report_data(ven_id)]
            return all(any(_same_data(report, other) for other in stored) for report in reports)

        await self.ctx.observe(
            what
            or f"the VTN keeps the {len(reports)} report(s) sent for request(s) {', '.join(ids)},"
            " with the values sent",
            kept,
        )

    async def observe_state(self, rid: str, states: Sequence[ReportRequestState], what: str) -> None:
        """Observed: the VTN holds request ``rid`` in one of ``states``."""
        ven_id = self.ven_id

        async def holds(view: VtnView) -> bool:
            for record in await view.vtn.reports.requests(ven_id):
                if record.report_request_id == rid:
                    return record.state in states
            return False

        await self.ctx.observe(what, holds)


def _one_shot(request: OadrReportRequest) -> bool:
    """A granularity and reportBackDuration of zero ask for one report only."""
    return not request.report_specifier.granularity and not request.report_specifier.report_back_duration


def _values(report: OadrReport) -> list[dict[str, PayloadBase]]:
    return [{payload.r_id: payload.payload for payload in interval.payloads} for interval in report.intervals]


def _same_data(sent: OadrReport, stored: OadrReport) -> bool:
    return (
        stored.report_request_id == sent.report_request_id
        and stored.report_specifier_id == sent.report_specifier_id
        and _values(stored) == _values(sent)
    )


async def _answer_taken(ctx: VtnCaseContext) -> None:
    """In push the harness's answer to what the VTN pushed travels in the HTTP response, which the
    VTN handles once it has read it, while the harness goes on: an external VTN is given a moment
    before a step that depends on it (our own VTN is observed instead)."""
    if not ctx.pull and not ctx.observable:
        await asyncio.sleep(_SETTLE_SECONDS)


async def _requested(ctx: VtnCaseContext) -> _Requested:
    """The bootstrap (the harness registered and its reports offered; whatever the VTN offers
    answered)."""
    await ctx.harness.registered()
    return _Requested(ctx)


def _history(
    requests: _Requested, request: OadrReportRequest, *, start: datetime, end: datetime, step: timedelta
) -> OadrUpdateReport:
    """A HISTORY_USAGE report: one interval (uid 0, 1, ...) per ``step`` from ``start`` to
    ``end``, each with a growing energy reading of every requested rID."""
    specifier = request.report_specifier
    count = int((end - start) / step)
    intervals = tuple(
        ReportInterval(
            uid=str(index),
            dtstart=start + index * step,
            duration=step,
            payloads=tuple(
                OadrReportPayload(r_id=point.r_id, payload=PayloadFloat(value=Decimal(100 + 5 * index)))
                for point in specifier.specifier_payloads
            ),
        )
        for index in range(count)
    )
    update = requests.build(request)
    [report] = update.reports
    return replace(
        update,
        reports=(replace(report, dtstart=start, duration=step * count, intervals=intervals),),
    )


@case(
    "R1_3010",
    role=Role.VTN,
    title="one-shot report (TELEMETRY_STATUS, granularity PT0M, reportBackDuration PT0M)",
    rules=(304,),
)
async def one_shot_status(ctx: VtnCaseContext) -> None:
    """The VTN is asked for a one-shot TELEMETRY_STATUS report of the harness (all its rIDs,
    granularity and reportBackDuration PT0M). Its oadrCreateReport is checked (venID, a fresh
    reportRequestID, the offered reportSpecifierID, every rID, PT0M both) and the harness's
    oadrCreatedReport acknowledged (pull: oadrResponse 200); observed, the VTN holds the request
    as confirmed. The harness sends the report (a resource status): oadrUpdatedReport 200 echoing
    the requestID; observed, the VTN keeps it as sent. Then rule 304: an oadrUpdateReport naming a
    reportRequestID the VTN never made is refused with an error responseCode, and (observed) not
    kept."""
    requests = await _requested(ctx)
    request = await requests.ask(requests.spec(TELEMETRY_STATUS_ID))
    rid = request.report_request_id
    await requests.observe_state(
        rid,
        (ReportRequestState.CREATED,),
        f"the VTN holds request {rid} as confirmed by the harness's oadrCreatedReport",
    )
    sent = await requests.report(request, {STATUS_RID: _status("7.4")})
    await requests.observe_data([sent])
    stray = requests.stray(request)
    await requests.refused(stray, "a reportRequestID it never made")
    stray_id = stray.reports[0].report_request_id
    ven_id = requests.ven_id

    async def not_kept(view: VtnView) -> bool:
        return not await view.report_data(ven_id, report_request_id=stray_id)

    await ctx.observe(f"the VTN keeps no data for the reportRequestID {stray_id} it never made", not_kept)


@case(
    "R1_3020",
    role=Role.VTN,
    title="periodic report: two oadrUpdateReports at the granularity",
    rules=(304,),
)
async def periodic(ctx: VtnCaseContext) -> None:
    """The VTN is asked for the harness's TELEMETRY_USAGE every minute (granularity =
    reportBackDuration = 1 min, from now on, all rIDs); its oadrCreateReport is checked as in
    R1_3010. The harness sends two oadrUpdateReports a minute apart, each a one-minute reading of
    ``power`` and ``energy``: both answered oadrUpdatedReport 200 echoing the requestID; observed,
    the VTN keeps both with the values sent, and still holds the request open (a periodic request
    does not end with its first reports)."""
    requests = await _requested(ctx)
    request = await requests.ask(
        requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=_MINUTE)
    )
    first = await requests.report(request, {POWER_RID: 1500, ENERGY_RID: 250})
    await ctx.sleep(_MINUTE)
    second = await requests.report(request, {POWER_RID: 1620, ENERGY_RID: Decimal("275.5")})
    await requests.observe_data([first, second])
    await requests.observe_state(
        request.report_request_id,
        (ReportRequestState.REQUESTED, ReportRequestState.CREATED),
        f"the VTN still holds periodic request {request.report_request_id} open after two reports",
    )


@case(
    "R1_3025",
    role=Role.VTN,
    title="delayed periodic report (reportInterval starts later); loadControlState consistent",
    rules=(304, 314),
)
async def delayed_periodic(ctx: VtnCaseContext) -> None:
    """The VTN is asked for the harness's TELEMETRY_STATUS every minute with a reportInterval
    that starts three minutes from now (open-ended); its oadrCreateReport is checked (the
    reportInterval's dtstart within a minute of the start asked for, besides R1_3010's checks).
    The harness reports nothing before the start; from it, two updates a minute apart, each a
    resource status whose loadControlState is consistent (capacity current within min and max,
    the current changing between them), every interval timed at or after the start (rule 314).
    Both are answered 200; observed, the VTN keeps both, loadControlState as sent."""
    requests = await _requested(ctx)
    start = ctx.now() + 3 * _MINUTE
    request = await requests.ask(
        requests.spec(
            TELEMETRY_STATUS_ID,
            granularity=_MINUTE,
            report_back_duration=_MINUTE,
            start=start,
            duration=_ZERO,
        )
    )
    await ctx.sleep(start + _MINUTE - ctx.now())
    first = await requests.report(request, {STATUS_RID: _status("7.4")}, start=start)
    await ctx.sleep(start + 2 * _MINUTE - ctx.now())
    second = await requests.report(request, {STATUS_RID: _status("5.1")}, start=start + _MINUTE)
    await requests.observe_data([first, second])


@case(
    "R1_3027",
    role=Role.VTN,
    title="short-duration report that ends by itself",
    rules=(304, 314),
)
async def short_report(ctx: VtnCaseContext) -> None:
    """The VTN is asked for the harness's TELEMETRY_USAGE every minute over a three-minute
    reportInterval starting in a minute; its oadrCreateReport is checked (the reportInterval's
    dtstart within a minute, its duration three minutes). The harness reports each minute of the
    interval, the last update once the interval is over: all three answered 200; observed, the
    VTN keeps all three and holds the request as completed once the interval ended (it ends by
    itself, with no cancellation)."""
    requests = await _requested(ctx)
    start = ctx.now() + _MINUTE
    duration = 3 * _MINUTE
    request = await requests.ask(
        requests.spec(
            TELEMETRY_USAGE_ID,
            granularity=_MINUTE,
            report_back_duration=_MINUTE,
            start=start,
            duration=duration,
        )
    )
    sent = []
    for minute in range(3):
        await ctx.sleep(start + (minute + 1) * _MINUTE + _CLOCK_TOLERANCE - ctx.now())
        sent.append(
            await requests.report(request, {POWER_RID: 1400 + minute}, start=start + minute * _MINUTE)
        )
    await requests.observe_data(sent)
    await requests.observe_state(
        request.report_request_id,
        (ReportRequestState.COMPLETED,),
        f"the VTN holds request {request.report_request_id} as completed once its reportInterval ended",
    )


@case(
    "R1_3030",
    role=Role.VTN,
    title="several oadrReportRequests in one oadrCreateReport",
    rules=(304,),
)
async def several_requests(ctx: VtnCaseContext) -> None:
    """The VTN is asked for two reports in one oadrCreateReport: the harness's TELEMETRY_STATUS
    once and its TELEMETRY_USAGE every minute. The oadrCreateReport must carry both
    oadrReportRequests, with distinct reportRequestIDs, each checked as in R1_3010. The harness
    serves each in an oadrUpdateReport of its own, under its own reportRequestID: both answered
    200; observed, the VTN keeps both. Not applicable to a device that cannot be asked for several
    requests at once (see VtnReportActions)."""
    requests = await _requested(ctx)
    one_shot, repeated = await requests.ask_several(
        [
            requests.spec(TELEMETRY_STATUS_ID),
            requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=_MINUTE),
        ]
    )
    first = await requests.report(one_shot)
    second = await requests.report(repeated)
    await requests.observe_data([first, second])


async def _cancel(
    requests: _Requested, request: OadrReportRequest, *, follow: bool
) -> tuple[OadrCancelReport, int]:
    """Make the device cancel ``request``; its oadrCancelReport (checked) and the inbox mark
    before it."""
    ctx, harness = requests.ctx, requests.harness
    rid = request.report_request_id
    since = harness.mark()
    await ctx.device.cancel_report(rid, report_to_follow=follow)
    message = await harness.wait_for(
        OadrCancelReport,
        since=since,
        where=lambda cancel: rid in cancel.report_request_ids,
        timeout=ctx.timeouts.action,
        what=f"an oadrCancelReport for request {rid}",
    )
    ctx.check(message.ven_id == requests.ven_id, "the VTN's oadrCancelReport names the VEN's venID")
    ctx.check(
        message.report_to_follow is follow,
        f"the oadrCancelReport says reportToFollow {str(follow).lower()}"
        f" (it says {str(message.report_to_follow).lower()})",
    )
    return message, since


@case(
    "R1_3040",
    role=Role.VTN,
    title="oadrCancelReport → oadrCanceledReport",
    rules=(304,),
)
async def cancel(ctx: VtnCaseContext) -> None:
    """A periodic TELEMETRY_USAGE request (1 min) runs until the harness's first update
    (answered 200). The VTN is then asked to cancel it: its oadrCancelReport names the request
    and the harness's venID, reportToFollow false. The harness confirms with oadrCanceledReport
    200 (the request no longer pending); pull: the VTN acknowledges it with oadrResponse 200.
    Observed, the VTN holds the request as cancelled; an oadrUpdateReport for it afterwards is
    refused with an error responseCode (rule 304: no longer outstanding)."""
    requests = await _requested(ctx)
    request = await requests.ask(
        requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=_MINUTE)
    )
    await requests.report(request)
    message, _ = await _cancel(requests, request, follow=False)
    await ctx.harness.settle()
    requests.acknowledged(message.request_id, "the harness's oadrCanceledReport")
    rid = request.report_request_id
    await requests.observe_state(
        rid, (ReportRequestState.CANCELLED,), f"the VTN holds request {rid} as cancelled"
    )
    await _answer_taken(ctx)
    await requests.refused(requests.build(request), f"the cancelled request {rid}")


@case(
    "R1_3045",
    role=Role.VTN,
    title="cancel an open-ended report with reportToFollow=true → one final oadrUpdateReport",
    rules=(304,),
)
async def cancel_with_report_to_follow(ctx: VtnCaseContext) -> None:
    """An open-ended TELEMETRY_USAGE request (1 min) runs until the harness's first update. The
    VTN is asked to cancel it with reportToFollow: its oadrCancelReport names the request, the
    harness's venID, reportToFollow true. The harness confirms (oadrCanceledReport 200) and sends
    one final oadrUpdateReport, which the VTN must take (oadrUpdatedReport 200); pull: the
    oadrCanceledReport acknowledged with oadrResponse 200. Observed, the VTN keeps the final
    report and then holds the request as cancelled; a further update is refused with an error
    responseCode (rule 304)."""
    requests = await _requested(ctx)
    harness = ctx.harness
    request = await requests.ask(
        requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=_MINUTE)
    )
    first = await requests.report(request)
    message, since = await _cancel(requests, request, follow=True)
    await harness.settle()
    requests.acknowledged(message.request_id, "the harness's oadrCanceledReport")
    rid = request.report_request_id
    finals = [
        exchange.payload
        for exchange in ctx.transcript.exchanges
        if exchange.direction is Direction.TO_DEVICE
        and isinstance(exchange.payload, OadrUpdateReport)
        and any(report.report_request_id == rid for report in exchange.payload.reports)
    ]
    ctx.check(
        len(finals) == 2, f"the harness sent one final update for request {rid} ({len(finals) - 1} sent)"
    )
    final = finals[-1]
    assert isinstance(final, OadrUpdateReport)
    answers = [
        answer
        for answer in harness.inbox.of(OadrUpdatedReport, since=since)
        if answer.ei_response.request_id == final.request_id
    ]
    ctx.check(
        bool(answers), "the VTN answers the final update with an oadrUpdatedReport echoing its requestID"
    )
    ctx.check(
        answers[0].ei_response.response_code == ResponseCode.OK,
        "the VTN takes the final update of the cancelled request with 200"
        f" (it answered {_code(answers[0].ei_response)})",
    )
    await requests.observe_data([first, _Sent(final, answers[0])])
    await requests.observe_state(
        rid,
        (ReportRequestState.CANCELLED,),
        f"the VTN holds request {rid} as cancelled after its final update",
    )
    await requests.refused(requests.build(request), f"request {rid} after its final update")


@case(
    "R1_3050",
    role=Role.VTN,
    title="oadrCancelReport piggy-backed on oadrUpdatedReport",
    rules=(304,),
)
async def cancel_on_updated_report(ctx: VtnCaseContext) -> None:
    """A periodic TELEMETRY_USAGE request (1 min) runs until the harness's first update, answered
    200 with no cancellation on it. The VTN is then asked to cancel the request on its answer to
    the next update (reportToFollow false); the harness goes on reporting every minute until an
    oadrUpdatedReport (200, echoing the requestID) carries an oadrCancelReport, which must name
    the request and the harness's venID, reportToFollow false. The harness answers it with
    oadrCanceledReport 200, which the VTN acknowledges with oadrResponse 200 echoing its
    requestID. Observed, the VTN holds the request as cancelled; a further update is refused with
    an error responseCode (rule 304). Not applicable to a device that cannot be asked to cancel on
    an oadrUpdatedReport (see VtnReportActions)."""
    requests = await _requested(ctx)
    harness = ctx.harness
    actions = _actions(ctx)
    request = await requests.ask(
        requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=_MINUTE)
    )
    rid = request.report_request_id
    first = await requests.report(request)
    ctx.check(first.answer.cancel_report is None, "the answer to the first update carries no cancellation")
    await actions.cancel_report_on_update(rid, report_to_follow=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.timeouts.action
    while True:
        await ctx.sleep(_MINUTE)
        sent = await requests.report(request)
        if sent.answer.cancel_report is not None:
            break
        if loop.time() >= deadline:
            ctx.fail(
                f"no oadrUpdatedReport carried an oadrCancelReport for request {rid}"
                f" within {ctx.timeouts.action:g} s"
            )
    cancel_message = sent.answer.cancel_report
    ctx.check(
        rid in cancel_message.report_request_ids,
        f"the oadrCancelReport on the oadrUpdatedReport names request {rid}"
        f" ({list(cancel_message.report_request_ids)})",
    )
    ctx.check(
        cancel_message.ven_id in (None, requests.ven_id),
        "the piggy-backed oadrCancelReport names the VEN's venID",
    )
    ctx.check(
        not cancel_message.report_to_follow, "the piggy-backed oadrCancelReport says reportToFollow false"
    )
    since = harness.mark()
    canceled = await harness.answer(cancel_message)
    ctx.check(
        isinstance(canceled, OadrCanceledReport) and canceled.ei_response.response_code == ResponseCode.OK,
        "the harness confirms the piggy-backed cancellation with oadrCanceledReport 200",
    )
    acks = [
        response
        for response in harness.inbox.of(OadrResponse, since=since)
        if response.ei_response.request_id == cancel_message.request_id
    ]
    ctx.check(bool(acks), "the VTN answers the oadrCanceledReport with an oadrResponse echoing its requestID")
    ctx.check(
        acks[0].ei_response.response_code == ResponseCode.OK,
        f"the VTN acknowledges the oadrCanceledReport with 200 (it answered {_code(acks[0].ei_response)})",
    )
    await requests.observe_state(
        rid, (ReportRequestState.CANCELLED,), f"the VTN holds request {rid} as cancelled"
    )
    await requests.refused(requests.build(request), f"the cancelled request {rid}")


@case(
    "R1_3060",
    role=Role.VTN,
    title="oadrCreateReport piggy-backed on oadrRegisteredReport",
    rules=(304,),
)
async def request_on_registered_report(ctx: VtnCaseContext) -> None:
    """The VTN is asked to answer the harness's next oadrRegisterReport with a request for its
    TELEMETRY_USAGE every minute; the harness then offers its reports again (an external VTN's
    operator gets a while to configure it: the offer is repeated until an answer carries a
    request). The VTN's oadrRegisteredReport must be 200, echo the requestID and carry the
    request, checked as in R1_3010 (reportSpecifierID, fresh ID, every rID, 1 min both). The
    harness confirms it with oadrCreatedReport, which the VTN acknowledges with oadrResponse 200;
    observed, the VTN holds the request as confirmed. The harness's first update is answered 200
    and (observed) kept. Not applicable to a device that cannot be asked to request on an
    oadrRegisteredReport (see VtnReportActions)."""
    requests = await _requested(ctx)
    harness = ctx.harness
    actions = _actions(ctx)
    spec = requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=_MINUTE)
    await actions.request_on_registered_report(spec)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.timeouts.action
    while True:
        sent_from = len(ctx.transcript.exchanges)
        since = harness.mark()
        registered = await harness.register_reports()
        if registered.report_requests:
            break
        if loop.time() >= deadline:
            ctx.fail(f"no oadrRegisteredReport carried a report request within {ctx.timeouts.action:g} s")
        await asyncio.sleep(_RETRY_SECONDS)
    offer = next(
        exchange.payload
        for exchange in ctx.transcript.exchanges[sent_from:]
        if isinstance(exchange.payload, OadrRegisterReport) and exchange.direction is Direction.TO_DEVICE
    )
    ctx.check(
        registered.ei_response.request_id == offer.request_id,
        "the oadrRegisteredReport echoes the requestID of the oadrRegisterReport",
    )
    ctx.check(registered.ven_id in (None, requests.ven_id), "the oadrRegisteredReport names the VEN's venID")
    request = requests.check_request(registered.report_requests, spec)
    confirmations = [
        exchange.payload
        for exchange in ctx.transcript.exchanges[sent_from:]
        if isinstance(exchange.payload, OadrCreatedReport) and exchange.direction is Direction.TO_DEVICE
    ]
    ctx.check(bool(confirmations), "the harness confirmed the carried request with oadrCreatedReport")
    confirmation = confirmations[0]
    assert isinstance(confirmation, OadrCreatedReport)
    acks = [
        response
        for response in harness.inbox.of(OadrResponse, since=since)
        if response.ei_response.request_id == confirmation.ei_response.request_id
    ]
    ctx.check(bool(acks), "the VTN answers the oadrCreatedReport with an oadrResponse echoing its requestID")
    ctx.check(
        acks[0].ei_response.response_code == ResponseCode.OK,
        f"the VTN acknowledges the oadrCreatedReport with 200 (it answered {_code(acks[0].ei_response)})",
    )
    rid = request.report_request_id
    await requests.observe_state(
        rid,
        (ReportRequestState.CREATED,),
        f"the VTN holds request {rid}, carried on its oadrRegisteredReport, as confirmed",
    )
    await requests.observe_data([await requests.report(request)])


@case(
    "R1_3130",
    role=Role.VTN,
    title="HISTORY_USAGE report, all buffered data",
    rules=(304, 314),
)
async def history_all(ctx: VtnCaseContext) -> None:
    """The VTN is asked for the harness's whole HISTORY_USAGE history: a one-shot request
    (granularity and reportBackDuration PT0M) with a reportInterval over the day the METADATA
    report declares (dtstart a day ago, within a minute; duration a day). Its oadrCreateReport is
    checked as in R1_3010. The harness answers with one oadrUpdateReport holding the last hour's
    buffered readings, twelve five-minute intervals (uids 0-11, each timed, rule 314): answered
    200; observed, the VTN keeps all twelve intervals with the values sent."""
    requests = await _requested(ctx)
    offered = requests.offered(HISTORY_USAGE_ID)
    span = offered.duration or timedelta(days=1)
    now = ctx.now()
    request = await requests.ask(requests.spec(HISTORY_USAGE_ID, start=now - span, duration=span))
    end = ctx.now()
    sent = await requests.send(
        _history(requests, request, start=end - timedelta(hours=1), end=end, step=5 * _MINUTE)
    )
    ctx.check(len(sent.update.reports[0].intervals) == 12, "the harness sent twelve buffered readings")
    await requests.observe_data(
        [sent], what=f"the VTN keeps the twelve history intervals of request {request.report_request_id}"
    )


@case(
    "R1_3140",
    role=Role.VTN,
    title="HISTORY_USAGE subset (dtstart 30 minutes ago)",
    rules=(304, 314),
)
async def history_subset(ctx: VtnCaseContext) -> None:
    """The VTN is asked for the harness's HISTORY_USAGE of the last 30 minutes only: a one-shot
    request whose reportInterval starts 30 minutes ago (within a minute) and lasts 30 minutes,
    checked as in R1_3010. The harness answers with the six five-minute readings of that window
    (timed from its start, rule 314): answered 200; observed, the VTN keeps the six intervals with
    the values sent."""
    requests = await _requested(ctx)
    window = timedelta(minutes=30)
    start = ctx.now() - window
    request = await requests.ask(requests.spec(HISTORY_USAGE_ID, start=start, duration=window))
    interval = request.report_specifier.report_interval
    assert interval is not None
    sent = await requests.send(
        _history(requests, request, start=interval.dtstart, end=interval.dtstart + window, step=5 * _MINUTE)
    )
    await requests.observe_data(
        [sent], what=f"the VTN keeps the six history intervals of request {request.report_request_id}"
    )


@case(
    "R1_3150",
    role=Role.VTN,
    title="TELEMETRY_USAGE one-shot (powerReal and energyReal)",
    rules=(304,),
)
async def one_shot_usage(ctx: VtnCaseContext) -> None:
    """The VTN is asked once (PT0M) for the harness's TELEMETRY_USAGE data points whose itemBase
    is powerReal or energyReal (``power`` and ``energy``); its oadrCreateReport must name exactly
    those rIDs, checked as in R1_3010. The harness reports 1234.5 W and 987.25 Wh: answered 200;
    observed, the VTN keeps both values as sent."""
    requests = await _requested(ctx)
    offered = requests.offered(TELEMETRY_USAGE_ID)
    r_ids = tuple(
        description.r_id
        for description in offered.descriptions
        if isinstance(description.item_base, PowerReal | EnergyReal)
    )
    ctx.check(len(r_ids) == 2, "the harness offers a powerReal and an energyReal point in TELEMETRY_USAGE")
    request = await requests.ask(requests.spec(TELEMETRY_USAGE_ID, r_ids=r_ids))
    sent = await requests.report(request, {POWER_RID: Decimal("1234.5"), ENERGY_RID: Decimal("987.25")})
    await requests.observe_data([sent])


@case(
    "R1_3160",
    role=Role.VTN,
    title="TELEMETRY_USAGE periodic (granularity 1 min, reportBackDuration 2 min)",
    rules=(304, 314),
)
async def periodic_usage(ctx: VtnCaseContext) -> None:
    """The VTN is asked for the harness's TELEMETRY_USAGE sampled every minute and reported
    every two (granularity 1 min, reportBackDuration 2 min); its oadrCreateReport is checked as in
    R1_3010. The harness sends two oadrUpdateReports two minutes apart, each with the two
    one-minute readings of its reportBackDuration (uids 0 and 1, timed, rule 314): both answered
    200; observed, the VTN keeps both with their two readings each."""
    requests = await _requested(ctx)
    request = await requests.ask(
        requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=2 * _MINUTE)
    )
    first = await requests.report(request, {POWER_RID: 1500}, samples=2)
    await ctx.sleep(2 * _MINUTE)
    second = await requests.report(request, {POWER_RID: 1700}, samples=2)
    await requests.observe_data([first, second])


@case(
    "R1_3170",
    role=Role.VTN,
    title="METADATA request: the VTN asks the VEN to send oadrRegisterReport again",
    rules=(306,),
)
async def metadata_request(ctx: VtnCaseContext) -> None:
    """The VTN is asked to make the harness register its reports again. Its oadrCreateReport
    must name the harness's venID and ask for METADATA only: every oadrReportRequest with
    reportSpecifierID METADATA (rule 306) and a fresh reportRequestID. The harness accepts
    (oadrCreatedReport 200; pull: acknowledged with oadrResponse 200) and sends its
    oadrRegisterReport again, which the VTN must answer with oadrRegisteredReport 200 echoing its
    requestID; observed, the VTN takes the harness's reports anew."""
    requests = await _requested(ctx)
    harness = ctx.harness
    ven_id = requests.ven_id

    async def offers(view: VtnView) -> int:
        return len([call for call in view.journal.capabilities if call[0].ven_id == ven_id])

    before: list[int] = []
    if ctx.observable:
        observer = ctx.device.observer()
        assert observer is not None
        before.append(await offers(observer()))
    sent_from = len(ctx.transcript.exchanges)
    since = harness.mark()
    await ctx.device.request_metadata(ven_id)
    message = await harness.wait_for(
        OadrCreateReport,
        since=since,
        timeout=ctx.timeouts.action,
        what="an oadrCreateReport (the METADATA request)",
    )
    ctx.check(message.ven_id == ven_id, "the VTN's oadrCreateReport names the VEN's venID")
    specifiers = [request.report_specifier.report_specifier_id for request in message.report_requests]
    ctx.check(
        bool(specifiers) and all(specifier == METADATA_REPORT_SPECIFIER_ID for specifier in specifiers),
        "every request of the METADATA oadrCreateReport has reportSpecifierID METADATA"
        f" (rule 306; {specifiers})",
    )
    ctx.check(
        all(
            request.report_request_id not in ("", UNSOLICITED_REPORT_REQUEST_ID)
            for request in message.report_requests
        ),
        "the METADATA request has a reportRequestID, neither empty nor the unsolicited '0'",
    )
    await harness.settle()
    requests.acknowledged(message.request_id, "the harness's oadrCreatedReport")
    offer = [
        exchange.payload
        for exchange in ctx.transcript.exchanges[sent_from:]
        if isinstance(exchange.payload, OadrRegisterReport) and exchange.direction is Direction.TO_DEVICE
    ]
    ctx.check(bool(offer), "the harness sent its oadrRegisterReport again")
    assert isinstance(offer[0], OadrRegisterReport)
    answers = [
        answer
        for answer in harness.inbox.of(OadrRegisteredReport, since=since)
        if answer.ei_response.request_id == offer[0].request_id
    ]
    ctx.check(
        bool(answers),
        "the VTN answers the new oadrRegisterReport with oadrRegisteredReport echoing its requestID",
    )
    ctx.check(
        answers[0].ei_response.response_code == ResponseCode.OK,
        f"the VTN takes the harness's reports anew with 200 (it answered {_code(answers[0].ei_response)})",
    )

    async def taken_anew(view: VtnView) -> bool:
        return await offers(view) > (before[0] if before else 0)

    await ctx.observe("the VTN takes the harness's METADATA reports anew", taken_anew)


@case(
    "R1_3180",
    role=Role.VTN,
    title="one payload with several requests and updates",
    rules=(304,),
)
async def several_requests_and_updates(ctx: VtnCaseContext) -> None:
    """The VTN is asked for three reports in one oadrCreateReport: the harness's TELEMETRY_STATUS
    and HISTORY_USAGE (last 30 minutes) once, its TELEMETRY_USAGE every minute; all three
    requests are checked as in R1_3010. The harness answers all three in ONE oadrUpdateReport
    (three oadrReports, each under its own reportRequestID), then a minute later sends the next
    periodic one: both answered 200; observed, the VTN keeps the four reports. Not applicable to a
    device that cannot be asked for several requests at once (see VtnReportActions)."""
    requests = await _requested(ctx)
    window = timedelta(minutes=30)
    status, history, usage = await requests.ask_several(
        [
            requests.spec(TELEMETRY_STATUS_ID),
            requests.spec(HISTORY_USAGE_ID, start=ctx.now() - window, duration=window),
            requests.spec(TELEMETRY_USAGE_ID, granularity=_MINUTE, report_back_duration=_MINUTE),
        ]
    )
    end = ctx.now()
    parts = [
        requests.build(status, {STATUS_RID: _status("3.3")}),
        _history(requests, history, start=end - window, end=end, step=5 * _MINUTE),
        requests.build(usage),
    ]
    combined = replace(parts[0], reports=tuple(report for part in parts for report in part.reports))
    together = await requests.send(combined)
    await ctx.sleep(_MINUTE)
    later = await requests.report(usage, {POWER_RID: 1800})
    await requests.observe_data([together, later])


@case(
    "R1_3190",
    role=Role.VTN,
    title="negative: invalid reportSpecifierID or rID in oadrCreateReport → 452",
    rules=(304,),
)
async def invalid_request(ctx: VtnCaseContext) -> None:
    """Both ways. The VTN refusing: the harness requests a report the VTN did not offer (an
    unknown reportSpecifierID) and, when the VTN offered a report, an rID that report does not
    have: each oadrCreateReport is answered oadrCreatedReport 452 echoing its requestID. The VTN
    refused: the harness makes the VTN request its TELEMETRY_USAGE once and answers with
    oadrCreatedReport 452 (as for an unknown rID); pull: the VTN acknowledges the refusal with
    oadrResponse 200. The refused request is not outstanding: an oadrUpdateReport for it is
    refused with an error responseCode (rule 304)."""
    requests = await _requested(ctx)
    harness = ctx.harness
    unknown = OadrReportRequest(
        report_request_id=f"TH-RR-{new_id()[:12]}",
        report_specifier=ReportSpecifier(
            report_specifier_id=f"TH-NOT-OFFERED-{new_id()[:8]}",
            granularity=_ZERO,
            report_back_duration=_ZERO,
            specifier_payloads=(
                SpecifierPayload(r_id="TH-NO-SUCH-RID", reading_type=ReadingType.DIRECT_READ),
            ),
        ),
    )
    await _refuses(ctx, unknown, "an unknown reportSpecifierID")
    offered = [report for report in harness.vtn_reports if report.descriptions]
    if offered:
        wrong_rid = report_request(offered[0], report_request_id=f"TH-RR-{new_id()[:12]}")
        specifier = wrong_rid.report_specifier
        wrong_rid = replace(
            wrong_rid,
            report_specifier=replace(
                specifier,
                specifier_payloads=(replace(specifier.specifier_payloads[0], r_id="TH-NO-SUCH-RID"),),
            ),
        )
        await _refuses(ctx, wrong_rid, f"an rID report {offered[0].report_specifier_id} does not have")

    def refuse(message: Payload) -> Payload | None:
        if not isinstance(message, OadrCreateReport) or all(
            r.report_specifier.report_specifier_id == METADATA_REPORT_SPECIFIER_ID
            for r in message.report_requests
        ):
            return None
        return OadrCreatedReport(
            ei_response=EiResponse(
                response_code=ResponseCode.INVALID_ID,
                request_id=message.request_id,
                response_description="the VEN refuses the request (invalid rID)",
            ),
            pending_reports=tuple(harness.pending_reports),
            ven_id=requests.ven_id,
        )

    harness.answer_with[OadrCreateReport] = refuse
    try:
        request = await requests.ask(requests.spec(TELEMETRY_USAGE_ID))
    finally:
        del harness.answer_with[OadrCreateReport]
    await harness.settle()
    await _answer_taken(ctx)
    await requests.refused(
        requests.build(request), f"the request {request.report_request_id} the VEN refused with 452"
    )


async def _refuses(ctx: VtnCaseContext, request: OadrReportRequest, what: str) -> None:
    message = OadrCreateReport(request_id=new_id(), report_requests=(request,), ven_id=ctx.harness.ven_id)
    answer = await ctx.harness.send(message)
    ctx.check(
        isinstance(answer, OadrCreatedReport),
        f"the VTN answers an oadrCreateReport for {what} with oadrCreatedReport"
        f" (it answered {message_name(answer)})",
    )
    assert isinstance(answer, OadrCreatedReport)
    ctx.check(
        answer.ei_response.request_id == message.request_id,
        "the oadrCreatedReport echoes the requestID of the oadrCreateReport",
    )
    ctx.check(
        answer.ei_response.response_code == ResponseCode.INVALID_ID,
        f"the VTN refuses an oadrCreateReport for {what} with 452 (it answered {_code(answer.ei_response)})",
    )
    ctx.check(
        request.report_request_id not in answer.pending_reports,
        "the refused request is not among the VTN's pendingReports",
    )


# -- roles swapped: the VTN reports, the harness requests -------------------------------------------


@dataclass(frozen=True, slots=True)
class _VtnUpdate:
    """One oadrReport of an oadrUpdateReport of the VTN's: the message, when it came (the run's
    clock) and its position in the harness's inbox."""

    message: OadrUpdateReport
    report: OadrReport
    at: datetime
    index: int


class _Asking:
    """The harness's requests of the VTN's own reports (roles swapped), and the checks on what
    the VTN sends for them."""

    def __init__(self, ctx: VtnCaseContext) -> None:
        self.ctx = ctx
        self.harness = ctx.harness
        self.begin = ctx.harness.mark()
        self.requested: dict[str, OadrReportRequest] = {}
        """The requests the VTN accepted in this case (rule 304's outstanding requests)."""
        self.open: set[str] = set()
        """Periodic requests still running: cancelled when the case ends."""

    @property
    def ven_id(self) -> str:
        return self.harness.ven_id

    def offered(self, *names: ReportName, besides: OadrReport | None = None) -> OadrReport:
        """A report the VTN offered (the first of ``names`` it offers, else any; another than
        ``besides`` when it offers several); not applicable to a VTN that offers none."""
        reports = [report for report in self.harness.vtn_reports if report.descriptions]
        if not reports:
            self.ctx.not_applicable(
                "the VTN's oadrRegisterReport offers no report, so it cannot be asked for one"
                " (a VTN need not offer reports of its own)"
            )
        if besides is not None and len(reports) > 1:
            reports = [report for report in reports if report is not besides]
        for name in names:
            for report in reports:
                if report.report_name == name:
                    return report
        return reports[0]

    def request(
        self, offered: OadrReport, *, granularity: timedelta = _ZERO, report_back: timedelta = _ZERO
    ) -> OadrReportRequest:
        """A request for every point of an offered report, with a fresh reportRequestID."""
        return report_request(
            offered,
            granularity=granularity,
            report_back_duration=report_back,
            report_request_id=f"TH-VEN-RR-{new_id()[:12]}",
        )

    async def create(self, *requests: OadrReportRequest) -> OadrCreatedReport:
        """Send the requests in one oadrCreateReport; the VTN must answer oadrCreatedReport 200
        echoing the requestID, its periodic requests among the pendingReports."""
        ctx = self.ctx
        message = OadrCreateReport(request_id=new_id(), report_requests=tuple(requests), ven_id=self.ven_id)
        answer = await self.harness.send(message)
        ctx.check(
            isinstance(answer, OadrCreatedReport),
            "the VTN answers the oadrCreateReport with oadrCreatedReport"
            f" (it answered {message_name(answer)})",
        )
        assert isinstance(answer, OadrCreatedReport)
        self.confirmed(answer, message.request_id, requests)
        return answer

    def confirmed(
        self, answer: OadrCreatedReport, request_id: str | None, requests: Sequence[OadrReportRequest]
    ) -> None:
        """Check the VTN's oadrCreatedReport accepting ``requests`` (and echoing ``request_id``)."""
        ctx = self.ctx
        if request_id is not None:
            ctx.check(
                answer.ei_response.request_id == request_id,
                "the oadrCreatedReport echoes the requestID of the oadrCreateReport",
            )
        ctx.check(
            answer.ei_response.response_code == ResponseCode.OK,
            "the VTN accepts the request for its own offered report(s) with 200"
            f" (it answered {_code(answer.ei_response)})",
        )
        for request in requests:
            rid = request.report_request_id
            self.requested[rid] = request
            specifier = request.report_specifier
            if specifier.granularity or specifier.report_back_duration:
                ctx.check(
                    rid in answer.pending_reports,
                    f"the oadrCreatedReport lists the periodic request {rid} among its pendingReports",
                )
                self.open.add(rid)

    async def cancel(self, rid: str) -> OadrCanceledReport:
        """oadrCancelReport (reportToFollow false): the VTN must answer oadrCanceledReport 200
        echoing the requestID, the request no longer pending."""
        ctx = self.ctx
        message = OadrCancelReport(
            request_id=new_id(), report_request_ids=(rid,), report_to_follow=False, ven_id=self.ven_id
        )
        answer = await self.harness.send(message)
        self.open.discard(rid)
        ctx.check(
            isinstance(answer, OadrCanceledReport),
            "the VTN answers the oadrCancelReport with oadrCanceledReport"
            f" (it answered {message_name(answer)})",
        )
        assert isinstance(answer, OadrCanceledReport)
        self.check_canceled(answer, message)
        return answer

    def check_canceled(self, answer: OadrCanceledReport, message: OadrCancelReport) -> None:
        ctx = self.ctx
        ctx.check(
            answer.ei_response.request_id == message.request_id,
            "the oadrCanceledReport echoes the requestID of the oadrCancelReport",
        )
        ctx.check(
            answer.ei_response.response_code == ResponseCode.OK,
            f"the VTN confirms the cancellation with 200 (it answered {_code(answer.ei_response)})",
        )
        still = [rid for rid in message.report_request_ids if rid in answer.pending_reports]
        ctx.check(
            not still, f"the oadrCanceledReport no longer lists the cancelled request as pending ({still})"
        )

    def arrival(self, message: Payload) -> datetime:
        return arrival(self.ctx, message)

    def updates_for(self, rid: str, *, since: int | None = None) -> list[_VtnUpdate]:
        """The VTN's reports for one request, in order of arrival."""
        start = self.begin if since is None else since
        messages = self.harness.inbox.messages
        return [
            _VtnUpdate(message, report, self.arrival(message), index)
            for index, message in enumerate(messages[start:], start)
            if isinstance(message, OadrUpdateReport)
            for report in message.reports
            if report.report_request_id == rid
        ]

    async def updates(self, rid: str, count: int, *, within: timedelta) -> list[_VtnUpdate]:
        """Wait for ``count`` reports of the VTN's for ``rid`` (``within`` protocol time plus the
        message timeout); the first ``count``."""
        ctx = self.ctx
        limit = ctx.clock.real_seconds(within) + ctx.timeouts.message
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while len(found := self.updates_for(rid)) < count:
            since = found[-1].index + 1 if found else self.begin
            remaining = deadline - loop.time()
            if remaining <= 0:
                ctx.fail(
                    f"the VTN sent {len(found)} oadrUpdateReport for request {rid} within {limit:.0f} s;"
                    f" expected {count}"
                )
            await self.harness.wait_for(
                OadrUpdateReport,
                since=since,
                where=lambda message: any(report.report_request_id == rid for report in message.reports),
                timeout=remaining,
                what=f"oadrUpdateReport number {len(found) + 1} for request {rid}",
            )
        return found[:count]

    async def quiet(self, duration: timedelta = _QUIET) -> None:
        """Watch for ``duration`` (at least a second of wall clock), polling in pull."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(self.ctx.clock.real_seconds(duration), 1.0)
        while loop.time() < deadline:
            if self.ctx.pull:
                await self.harness.drain()
            await asyncio.sleep(min(0.5, max(0.0, deadline - loop.time())))

    def grace(self) -> timedelta:
        """About a second of wall clock in protocol time: an update already on its way."""
        return grace(self.ctx)

    def verify(self, request: OadrReportRequest, offered: OadrReport, updates: Sequence[_VtnUpdate]) -> None:
        """What every report of the VTN's for ``request`` must be: the harness's venID (if
        named), the request's reportSpecifierID, only the requested rIDs and all of them, every
        interval timed by its own dtstart or the report's (rule 314), readings in time order,
        payloads of the kind each point offers (a resource status for x-resourceStatus)."""
        ctx = self.ctx
        rid = request.report_request_id
        ctx.check(bool(updates), f"the VTN reports request {rid}")
        ctx.check(
            all(update.message.ven_id in (None, self.ven_id) for update in updates),
            "the VTN's oadrUpdateReports name the VEN's venID",
        )
        reports = [update.report for update in updates]
        check_specifier_id(ctx, request, reports)
        check_points(ctx, request, reports)
        starts = [
            interval.dtstart or update.report.dtstart
            for update in updates
            for interval in update.report.intervals
        ]
        ctx.check(
            all(start is not None for start in starts),
            f"every interval of the reports for request {rid} has a dtstart, its own or the report's"
            " (rule 314)",
        )
        timed = [start for start in starts if start is not None]
        ctx.check(
            all(later >= earlier for earlier, later in pairwise(timed)),
            f"the readings for request {rid} are in time order",
        )
        kinds = {description.r_id: description.report_type for description in offered.descriptions}
        wrong_kind = sorted(
            {
                payload.r_id
                for update in updates
                for interval in update.report.intervals
                for payload in interval.payloads
                if isinstance(payload.payload, OadrPayloadResourceStatus)
                != (kinds.get(payload.r_id) == ReportType.RESOURCE_STATUS)
            }
        )
        ctx.check(
            not wrong_kind,
            "every payload is of its point's kind: oadrPayloadResourceStatus for x-resourceStatus points,"
            f" a number otherwise (wrong for {wrong_kind})",
        )

    def check_outstanding(self) -> None:
        """Rule 304: every report of every oadrUpdateReport of the VTN's in the case names a
        reportRequestID the harness requested and the VTN accepted."""
        check_outstanding(
            self.ctx, self.harness.inbox, since=self.begin, requested=self.requested, whose=" of the VTN's"
        )

    async def close(self) -> None:
        """Cancel what still runs (a device that lives on after the case), quietly."""
        for rid in sorted(self.open):
            message = OadrCancelReport(
                request_id=new_id(), report_request_ids=(rid,), report_to_follow=False, ven_id=self.ven_id
            )
            with contextlib.suppress(Exception):
                await self.harness.send(message)
        self.open.clear()


def _period(offered: OadrReport) -> timedelta:
    """A reporting period the offered report admits: a minute, or its shortest sampling period
    (oadrSamplingRate minPeriod) if longer."""
    periods = [
        description.sampling_rate.min_period
        for description in offered.descriptions
        if description.sampling_rate is not None and description.sampling_rate.min_period > _ZERO
    ]
    return max(_MINUTE, min(periods, default=_MINUTE))


@contextlib.asynccontextmanager
async def _asking(ctx: VtnCaseContext) -> AsyncIterator[_Asking]:
    """The bootstrap, waiting for the VTN's reports (the oadrRegisterReport these cases are
    about), then the case's requests of them; rule 304 checked at the end; what still runs is
    cancelled."""
    await ctx.harness.registered(expect_register_report=True)
    asking = _Asking(ctx)
    try:
        yield asking
        asking.check_outstanding()
    finally:
        await asking.close()


async def _served_after(asking: _Asking, rid: str, index: int, answered_at: datetime) -> None:
    """After a cancellation confirmed at ``answered_at`` (inbox position ``index``): at most one
    update already on its way (within about a second), none later (watched three minutes)."""
    await asking.quiet()
    after = [update for update in asking.updates_for(rid, since=index) if update.at > answered_at]
    late = [update for update in after if update.at > answered_at + asking.grace()]
    asking.ctx.check(
        len(after) <= 1 and not late,
        f"the VTN stops reporting the cancelled request {rid} ({len(after)} updates after the cancellation)",
    )


@case(
    "R1_3070",
    role=Role.VTN,
    title="roles swapped, the VTN reports: one-shot report",
    rules=(304, 314),
)
async def swapped_one_shot(ctx: VtnCaseContext) -> None:
    """The harness asks (oadrCreateReport) for every point of a report the VTN offered in its
    oadrRegisterReport (TELEMETRY_STATUS preferred), once (granularity and reportBackDuration
    PT0M). The VTN accepts (oadrCreatedReport 200 echoing the requestID) and sends one
    oadrUpdateReport naming the request (rule 304), its reportSpecifierID, every requested rID and
    only those, each interval timed (rule 314), each payload of its point's kind (a resource status
    for x-resourceStatus, a number otherwise); the harness answers oadrUpdatedReport 200. Nothing
    more comes for the request (watched three minutes). Not applicable to a VTN that offers no
    report."""
    async with _asking(ctx) as asking:
        offered = asking.offered(_STATUS, _USAGE)
        request = asking.request(offered)
        await asking.create(request)
        rid = request.report_request_id
        updates = await asking.updates(rid, 1, within=_ZERO)
        asking.verify(request, offered, updates)
        await asking.quiet()
        sent = len(asking.updates_for(rid))
        ctx.check(sent == 1, f"the VTN reports a one-shot request once (it sent {sent} reports)")


@case(
    "R1_3080",
    role=Role.VTN,
    title="roles swapped, the VTN reports: periodic report",
    rules=(304, 314),
)
async def swapped_periodic(ctx: VtnCaseContext) -> None:
    """The harness asks for a report the VTN offered (TELEMETRY_USAGE preferred) every period
    (granularity = reportBackDuration = a minute, or the report's minimum sampling period if
    longer). The VTN accepts (200, the request among its pendingReports) and sends two
    oadrUpdateReports for it, checked as in R1_3070, readings in time order, the second coming at
    least half a period after the first. The harness then cancels the request. Not applicable to
    a VTN that offers no report."""
    async with _asking(ctx) as asking:
        offered = asking.offered(_USAGE, _STATUS)
        period = _period(offered)
        request = asking.request(offered, granularity=period, report_back=period)
        await asking.create(request)
        updates = await asking.updates(request.report_request_id, 2, within=3 * period)
        asking.verify(request, offered, updates)
        ctx.check(
            updates[1].at - updates[0].at >= period / 2,
            f"the VTN reports at the reportBackDuration ({show(period)}): its two updates are at least"
            f" half of it apart ({show(updates[1].at - updates[0].at)})",
        )


@case(
    "R1_3090",
    role=Role.VTN,
    title="roles swapped, the VTN reports: several oadrReportRequests in one oadrCreateReport",
    rules=(304, 314),
)
async def swapped_several(ctx: VtnCaseContext) -> None:
    """One oadrCreateReport of the harness's carries two requests of the VTN's offered reports
    (two different reports when it offers several, else the same one twice): one once, one every
    period. The VTN accepts both (200, the periodic one pending) and serves each under its own
    reportRequestID, checked as in R1_3070. The harness then cancels the periodic one. Not
    applicable to a VTN that offers no report."""
    async with _asking(ctx) as asking:
        first = asking.offered(_STATUS, _USAGE)
        second = asking.offered(_USAGE, _STATUS, besides=first)
        period = _period(second)
        one_shot = asking.request(first)
        repeated = asking.request(second, granularity=period, report_back=period)
        await asking.create(one_shot, repeated)
        asking.verify(one_shot, first, await asking.updates(one_shot.report_request_id, 1, within=_ZERO))
        asking.verify(
            repeated, second, await asking.updates(repeated.report_request_id, 1, within=2 * period)
        )


@case(
    "R1_3100",
    role=Role.VTN,
    title="roles swapped, the VTN reports: oadrCancelReport → oadrCanceledReport",
    rules=(304,),
)
async def swapped_cancel(ctx: VtnCaseContext) -> None:
    """As R1_3080 until the VTN's first update; the harness then sends oadrCancelReport
    (reportToFollow false). The VTN answers oadrCanceledReport 200 echoing the requestID, no longer
    listing the request as pending, and stops: at most one update already on its way (within about
    a second) comes afterwards, none later (watched three minutes). Not applicable to a VTN that
    offers no report."""
    async with _asking(ctx) as asking:
        offered = asking.offered(_USAGE, _STATUS)
        period = _period(offered)
        request = asking.request(offered, granularity=period, report_back=period)
        await asking.create(request)
        rid = request.report_request_id
        asking.verify(request, offered, await asking.updates(rid, 1, within=2 * period))
        index = ctx.harness.mark()
        canceled = await asking.cancel(rid)
        await _served_after(asking, rid, index, asking.arrival(canceled))


@case(
    "R1_3110",
    role=Role.VTN,
    title="roles swapped, the VTN reports: oadrCancelReport piggy-backed on oadrUpdatedReport",
    rules=(304,),
)
async def swapped_cancel_on_updated(ctx: VtnCaseContext) -> None:
    """As R1_3080 until the VTN's first update; the harness's answer to the next one,
    oadrUpdatedReport 200, carries an oadrCancelReport for the request (reportToFollow false). The
    VTN then sends oadrCanceledReport 200 echoing that cancellation's requestID, the request no
    longer pending, and stops reporting it (at most one update on its way). Not applicable to a
    VTN that offers no report."""
    async with _asking(ctx) as asking:
        harness = ctx.harness
        offered = asking.offered(_USAGE, _STATUS)
        period = _period(offered)
        request = asking.request(offered, granularity=period, report_back=period)
        await asking.create(request)
        rid = request.report_request_id
        await asking.updates(rid, 1, within=2 * period)
        cancel = OadrCancelReport(
            request_id=new_id(), report_request_ids=(rid,), report_to_follow=False, ven_id=asking.ven_id
        )
        carried: list[OadrUpdateReport] = []

        def answer(message: Payload) -> Payload | None:
            if carried or not isinstance(message, OadrUpdateReport):
                return None
            if not any(report.report_request_id == rid for report in message.reports):
                return None
            carried.append(message)
            return OadrUpdatedReport(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                cancel_report=cancel,
                ven_id=asking.ven_id,
            )

        harness.answer_with[OadrUpdateReport] = answer
        since = harness.mark()
        canceled = await harness.wait_for(
            OadrCanceledReport,
            since=since,
            where=lambda message: message.ei_response.request_id == cancel.request_id,
            timeout=ctx.clock.real_seconds(2 * period) + ctx.timeouts.message,
            what="an oadrCanceledReport answering the oadrCancelReport carried on oadrUpdatedReport",
        )
        asking.open.discard(rid)
        ctx.check(bool(carried), "the cancellation rode on the oadrUpdatedReport answering an update")
        asking.check_canceled(canceled, cancel)
        await _served_after(asking, rid, since, asking.arrival(canceled))


@case(
    "R1_3120",
    role=Role.VTN,
    title="roles swapped, the VTN reports: oadrCreateReport piggy-backed on oadrRegisteredReport",
    rules=(304, 306, 314),
)
async def swapped_request_on_registered(ctx: VtnCaseContext) -> None:
    """The harness makes the VTN offer its reports again (a METADATA oadrCreateReport, rule 306:
    answered oadrCreatedReport 200) and answers the VTN's new oadrRegisterReport with
    oadrRegisteredReport 200 carrying a one-shot request for one of the offered reports
    (TELEMETRY_STATUS preferred). The VTN confirms the carried request with oadrCreatedReport 200
    and reports it once, checked as in R1_3070. Not applicable to a VTN that offers no report."""
    async with _asking(ctx) as asking:
        harness = ctx.harness
        asking.offered(_STATUS, _USAGE)
        carried: list[OadrReportRequest] = []
        chosen: list[OadrReport] = []

        def answer(message: Payload) -> Payload | None:
            if carried or not isinstance(message, OadrRegisterReport):
                return None
            harness.vtn_reports = message.reports
            offers = [report for report in message.reports if report.descriptions]
            if not offers:
                return None
            preferred = [report for report in offers if report.report_name == _STATUS] or offers
            chosen.append(preferred[0])
            carried.append(asking.request(preferred[0]))
            return OadrRegisteredReport(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                report_requests=tuple(carried),
                ven_id=asking.ven_id,
            )

        harness.answer_with[OadrRegisterReport] = answer
        metadata = OadrCreateReport(
            request_id=new_id(),
            report_requests=(
                OadrReportRequest(
                    report_request_id=f"TH-VEN-METADATA-{new_id()[:8]}",
                    report_specifier=ReportSpecifier(
                        report_specifier_id=METADATA_REPORT_SPECIFIER_ID,
                        granularity=_ZERO,
                        report_back_duration=_ZERO,
                        specifier_payloads=(
                            SpecifierPayload(
                                r_id=METADATA_REPORT_SPECIFIER_ID, reading_type=ReadingType.NOT_APPLICABLE
                            ),
                        ),
                    ),
                ),
            ),
            ven_id=asking.ven_id,
        )
        since = harness.mark()
        created = await harness.send(metadata)
        ctx.check(
            isinstance(created, OadrCreatedReport) and created.ei_response.response_code == ResponseCode.OK,
            "the VTN accepts the METADATA oadrCreateReport with oadrCreatedReport 200 (rule 306)",
        )
        await harness.wait_for(
            OadrRegisterReport, since=since, what="an oadrRegisterReport answering the METADATA request"
        )
        ctx.check(bool(carried), "the VTN's new oadrRegisterReport offers a report to carry a request for")
        [request] = carried
        confirmation = await harness.wait_for(
            OadrCreatedReport,
            since=since,
            where=lambda message: message is not created,
            what="an oadrCreatedReport confirming the request carried on oadrRegisteredReport",
        )
        asking.confirmed(confirmation, None, [request])
        rid = request.report_request_id
        asking.verify(request, chosen[0], await asking.updates(rid, 1, within=_ZERO))
