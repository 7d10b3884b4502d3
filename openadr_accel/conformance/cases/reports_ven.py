"""Report (EiReport) cases whose device is a VEN: R1_30xx / R0_80xx ``TH_VTN``.

Most of them make the VEN under test report: the harness VTN requests, with oadrCreateReport
(or on oadrRegisteredReport, R1_3060), reports the VEN offered in its oadrRegisterReport
(:attr:`~openadr_accel.conformance.harness_vtn.HarnessVtn.offered_reports`) and checks what the
VEN sends back: the oadrCreatedReport (its code, its pendingReports), every oadrUpdateReport
(rule 304: it names an outstanding reportRequestID; the requested reportSpecifierID and rIDs;
payloads of the right kind; every reading timed, by its own dtstart or the report's, rule 314;
readings at the granularity; the reportBackDuration rhythm), the oadrCanceledReport. A case that
needs a report the VEN does not offer (TELEMETRY_STATUS, HISTORY_USAGE, ...) is not applicable
to that VEN.

R1_3070 to R1_3120 are the same scenarios with the roles swapped: the harness VTN offers its own
reports and the VEN under test requests them. A device takes part in them when it can be asked to
request reports (:class:`ReportRequestingVen`; an external device is asked through its operator);
openadr_accel's own VEN never requests reports of its VTN, so these cases are not applicable to it.

Durations are protocol time (the run's clock): against our own VEN the clock is compressed, so a
one-minute granularity lasts a second. Timing is checked from what the VEN reports (the readings'
dtstart and duration), with the harness's receipt times used only for bounds with a tolerance.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Protocol, runtime_checkable

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
from ...ven.report_capabilities import telemetry_status, telemetry_usage
from ...vtn.policies import new_id
from ...vtn.reports import report_request
from ..case import Role, case
from ..context import VenCaseContext
from ..devices import ExternalVen, Operator
from ..transcript import message_name
from ._report_steps import arrival, check_outstanding, check_points, check_specifier_id, grace, show

__all__ = ["ReportRequestingVen", "WantedReport"]

_MINUTE = timedelta(minutes=1)
_ZERO = timedelta(0)
_QUIET = timedelta(minutes=2)
"""How long a case watches for messages that must not come (a second update of a one-shot)."""
_CLOCK_TOLERANCE = timedelta(seconds=1)
"""Slack on the VEN's own timestamps (readings' dtstart) compared with protocol times."""
_METADATA_PREFIX = "METADATA_"

_STATUS = ReportName.METADATA_TELEMETRY_STATUS
_USAGE = ReportName.METADATA_TELEMETRY_USAGE
_HISTORY = ReportName.METADATA_HISTORY_USAGE
_TELEMETRY = (_STATUS, _USAGE)


# -- what is read from the VEN's reports -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reading:
    """One reading of a report: the payloads of the intervals that share a start (within
    :data:`_SAME_READING`) and a duration (a VEN may put each rID of one reading in an interval
    of its own)."""

    start: datetime | None
    duration: timedelta | None
    values: dict[str, PayloadBase]


@dataclass(frozen=True, slots=True)
class _Update:
    """One oadrReport of an oadrUpdateReport of the VEN's, with when the harness received it."""

    message: OadrUpdateReport
    report: OadrReport
    at: datetime

    def readings(self) -> list[_Reading]:
        return _readings(self.report)


_SAME_READING = timedelta(seconds=1)
"""Intervals whose dtstarts are this close (and whose durations are equal) are one reading: a VEN
may stamp each rID's interval with the moment it sampled that point, microseconds apart."""


def _readings(report: OadrReport) -> list[_Reading]:
    """The report's readings in document order; an interval without dtstart takes the report's
    (rule 314); intervals of different rIDs within :data:`_SAME_READING` of a reading's start, with
    its duration, join that reading."""
    readings: list[_Reading] = []
    for interval in report.intervals:
        start = interval.dtstart or report.dtstart
        reading = next(
            (
                found
                for found in readings
                if found.duration == interval.duration
                and _close(found.start, start)
                and not any(payload.r_id in found.values for payload in interval.payloads)
            ),
            None,
        )
        if reading is None:
            reading = _Reading(start, interval.duration, {})
            readings.append(reading)
        for payload in interval.payloads:
            reading.values[payload.r_id] = payload.payload
    return readings


def _close(one: datetime | None, other: datetime | None) -> bool:
    """Whether two readings' starts are one (both absent, or within :data:`_SAME_READING`)."""
    if one is None or other is None:
        return one is other
    return abs(one - other) <= _SAME_READING


def _data_name(offered: OadrReport) -> str | None:
    """The name of the data reports of an offered METADATA report (``TELEMETRY_STATUS``)."""
    if offered.report_name is None:
        return None
    return offered.report_name.value.removeprefix(_METADATA_PREFIX)


def _load_control_problems(status: OadrPayloadResourceStatus) -> list[str]:
    """What is inconsistent in a resource status's loadControlState (a current value outside
    its own min and max)."""
    state = status.load_control_state
    if state is None:
        return []
    problems = []
    kinds: dict[str, LoadControlValues | None] = {
        "capacity": state.capacity,
        "levelOffset": state.level_offset,
        "percentOffset": state.percent_offset,
        "setPoint": state.set_point,
    }
    for kind, values in kinds.items():
        if values is None:
            continue
        low, high = values.min, values.max
        if low is not None and high is not None and low > high:
            problems.append(f"{kind}: min {low} above max {high}")
        if low is not None and values.current < low:
            problems.append(f"{kind}: current {values.current} below min {low}")
        if high is not None and values.current > high:
            problems.append(f"{kind}: current {values.current} above max {high}")
    return problems


# -- the harness's side of a reporting case --------------------------------------------------------


class _Reports:
    """The report requests of one case, the VEN's answers and updates, and the checks on them."""

    def __init__(self, ctx: VenCaseContext) -> None:
        self.ctx = ctx
        self.harness = ctx.harness
        self.begin = ctx.harness.mark()
        self.requested: dict[str, OadrReportRequest] = {}
        """The data requests the VEN accepted in this case (rule 304's outstanding requests)."""
        self.open: set[str] = set()
        """Open-ended requests still running: cancelled when the case ends."""

    # -- what the VEN offers

    def offered(self, *names: ReportName) -> OadrReport:
        """The first report the VEN offered under one of ``names`` (in that order of
        preference); the case is not applicable to a VEN that offers none of them."""
        for name in names:
            for report in self.harness.offered_reports:
                if report.report_name == name and report.descriptions:
                    return report
        wanted = " or ".join(name.value for name in names)
        self.ctx.not_applicable(f"the VEN offers no {wanted} report in its oadrRegisterReport")

    def offered_any(self) -> OadrReport:
        """A report the VEN offers (telemetry first); not applicable if it offers none."""
        reports = [report for report in self.harness.offered_reports if report.descriptions]
        if not reports:
            self.ctx.not_applicable("the VEN offers no report in its oadrRegisterReport")
        reports.sort(key=lambda report: report.report_name not in _TELEMETRY)
        return reports[0]

    def description_types(self, offered: OadrReport) -> dict[str, ReportType]:
        return {description.r_id: description.report_type for description in offered.descriptions}

    # -- requests

    @staticmethod
    def request(
        offered: OadrReport,
        *,
        r_ids: Sequence[str] | None = None,
        granularity: timedelta = _ZERO,
        report_back: timedelta = _ZERO,
        start: datetime | None = None,
        duration: timedelta | None = None,
    ) -> OadrReportRequest:
        """A request for (some points of) an offered report, with a fresh reportRequestID."""
        return report_request(
            offered,
            r_ids=r_ids,
            granularity=granularity,
            report_back_duration=report_back,
            start=start,
            duration=duration,
            report_request_id=f"TH-RR-{new_id()[:12]}",
        )

    async def create(self, *requests: OadrReportRequest) -> tuple[OadrCreatedReport, datetime]:
        """Send the requests in one oadrCreateReport; the VEN's oadrCreatedReport and when it
        came. Requests it accepts (200) become outstanding."""
        message = OadrCreateReport(
            request_id=new_id(), report_requests=tuple(requests), ven_id=self.harness.ven_id
        )
        since = self.harness.mark()
        await self.harness.deliver(message)
        created = await self.harness.wait_for(
            OadrCreatedReport, since=since, what="an oadrCreatedReport answering the oadrCreateReport"
        )
        self.ctx.check(
            created.ei_response.request_id == message.request_id,
            "the oadrCreatedReport echoes the requestID of the oadrCreateReport",
        )
        if created.ei_response.response_code == ResponseCode.OK:
            for request in requests:
                if request.report_specifier.report_specifier_id != METADATA_REPORT_SPECIFIER_ID:
                    self.requested[request.report_request_id] = request
        return created, self.arrival(created)

    def accepted(self, created: OadrCreatedReport, *, pending: Iterable[OadrReportRequest] = ()) -> None:
        """Check the VEN accepted (200) and lists ``pending`` among its pendingReports."""
        code = created.ei_response.response_code
        self.ctx.check(
            code == ResponseCode.OK, f"the VEN accepts the report requests with 200 (it answered {code})"
        )
        for request in pending:
            self.ctx.check(
                request.report_request_id in created.pending_reports,
                f"the oadrCreatedReport lists request {request.report_request_id} among its pendingReports",
            )
            self.open.add(request.report_request_id)

    async def cancel(self, *ids: str, follow: bool) -> tuple[OadrCanceledReport, datetime]:
        """Send oadrCancelReport; check the VEN's oadrCanceledReport (echo, 200, and the IDs
        no longer pending unless a final report is to follow)."""
        message = OadrCancelReport(
            request_id=new_id(), report_request_ids=ids, report_to_follow=follow, ven_id=self.harness.ven_id
        )
        since = self.harness.mark()
        await self.harness.deliver(message)
        canceled = await self.harness.wait_for(
            OadrCanceledReport, since=since, what="an oadrCanceledReport answering the oadrCancelReport"
        )
        self.open.difference_update(ids)
        self.check_canceled(canceled, message)
        return canceled, self.arrival(canceled)

    def check_canceled(self, canceled: OadrCanceledReport, message: OadrCancelReport) -> None:
        self.ctx.check(
            canceled.ei_response.request_id == message.request_id,
            "the oadrCanceledReport echoes the requestID of the oadrCancelReport",
        )
        code = canceled.ei_response.response_code
        self.ctx.check(
            code == ResponseCode.OK, f"the VEN confirms the cancellation with 200 (it answered {code})"
        )
        if not message.report_to_follow:
            still = [rid for rid in message.report_request_ids if rid in canceled.pending_reports]
            self.ctx.check(
                not still,
                f"the oadrCanceledReport no longer lists the cancelled requests as pending ({still})",
            )

    async def close(self) -> None:
        """Cancel what is still running (a device that lives on after the case), quietly."""
        for report_request_id in sorted(self.open):
            with contextlib.suppress(Exception):  # the case has concluded already
                message = OadrCancelReport(
                    request_id=new_id(),
                    report_request_ids=(report_request_id,),
                    report_to_follow=False,
                    ven_id=self.harness.ven_id,
                )
                await self.harness.deliver(message)
        self.open.clear()

    # -- updates

    def arrival(self, message: Payload) -> datetime:
        """When the harness received a message of the VEN's (the run's clock)."""
        return arrival(self.ctx, message)

    def updates_for(self, report_request_id: str, *, since: int | None = None) -> list[_Update]:
        """The VEN's reports for one request, in order of arrival."""
        return [
            _Update(message, report, self.arrival(message))
            for message in self.harness.inbox.of(
                OadrUpdateReport, since=self.begin if since is None else since
            )
            for report in message.reports
            if report.report_request_id == report_request_id
        ]

    async def updates(self, report_request_id: str, count: int, *, within: timedelta) -> list[_Update]:
        """Wait for ``count`` reports for a request (``within`` protocol time, plus the message
        timeout); the first ``count``."""
        limit = self.ctx.clock.real_seconds(within) + self.ctx.timeouts.message
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            found = self.updates_for(report_request_id)
            if len(found) >= count:
                return found[:count]
            if loop.time() >= deadline:
                self.ctx.fail(
                    f"the VEN sent {len(found)} oadrUpdateReport for request {report_request_id} within"
                    f" {limit:.0f} s; expected {count}"
                )
            await asyncio.sleep(0.02)

    async def quiet(self, duration: timedelta = _QUIET) -> None:
        """Watch for ``duration`` (at least about a second of wall clock) for what must not come."""
        await asyncio.sleep(max(self.ctx.clock.real_seconds(duration), 1.0))

    def grace(self) -> timedelta:
        """About a second of wall clock in protocol time: an update already on its way."""
        return grace(self.ctx)

    # -- checks

    def verify(
        self,
        request: OadrReportRequest,
        offered: OadrReport,
        updates: Sequence[_Update],
        *,
        final: bool = False,
    ) -> None:
        """What every report for ``request`` must be: its reportSpecifierID and report name,
        the requested rIDs only and all of them, payloads of the kind each point offers (a
        resource status for x-resourceStatus, a number otherwise), consistent load control
        states; for periodic requests, readings timed (rule 314), lasting the granularity,
        in order and no closer than it, and no more of them per update than a reportBackDuration
        holds (a ``final`` update, after a cancellation, may hold fewer than a full one)."""
        ctx = self.ctx
        rid = request.report_request_id
        specifier = request.report_specifier
        types = self.description_types(offered)
        reports = [update.report for update in updates]
        check_specifier_id(ctx, request, reports)
        name = _data_name(offered)
        if name is not None:
            seen_names = {update.report.report_name for update in updates} - {None}
            ctx.check(
                all(seen == name for seen in seen_names),
                f"the reports for request {rid} are named {name} (seen {sorted(map(str, seen_names))})",
            )
        readings = [reading for update in updates for reading in update.readings()]
        ctx.check(bool(readings), f"the reports for request {rid} carry readings")
        check_points(ctx, request, reports)
        wrong_kind = sorted(
            {
                r_id
                for reading in readings
                for r_id, payload in reading.values.items()
                if isinstance(payload, OadrPayloadResourceStatus)
                != (types.get(r_id) == ReportType.RESOURCE_STATUS)
            }
        )
        ctx.check(
            not wrong_kind,
            "every payload is of its point's kind: oadrPayloadResourceStatus for x-resourceStatus points,"
            " a number otherwise" + (f" (wrong for {wrong_kind})" if wrong_kind else ""),
        )
        inconsistent = [
            problem
            for reading in readings
            for payload in reading.values.values()
            if isinstance(payload, OadrPayloadResourceStatus)
            for problem in _load_control_problems(payload)
        ]
        if any(
            isinstance(payload, OadrPayloadResourceStatus)
            for reading in readings
            for payload in reading.values.values()
        ):
            ctx.check(
                not inconsistent,
                f"every loadControlState for request {rid} is consistent: current within min and max"
                + (f" ({'; '.join(inconsistent[:3])})" if inconsistent else ""),
            )
        granularity, back = specifier.granularity, specifier.report_back_duration
        if granularity or back:
            self.verify_timeline(
                rid, granularity or back, back or granularity, [u.readings() for u in updates], final=final
            )

    def verify_timeline(
        self,
        rid: str,
        granularity: timedelta,
        back: timedelta,
        by_update: Sequence[Sequence[_Reading]],
        *,
        final: bool = False,
    ) -> None:
        """Readings of a periodic request: timed (rule 314), lasting the granularity, in order
        and no closer than it; at most a reportBackDuration's worth per update, and (when that
        is several readings) gathered in at least one update."""
        ctx = self.ctx
        flat = [reading for readings in by_update for reading in readings]
        ctx.check(
            all(reading.start is not None for reading in flat),
            f"every reading for request {rid} has a dtstart, its interval's or the report's (rule 314)",
        )
        durations = sorted({reading.duration for reading in flat if reading.duration is not None})
        ctx.check(
            all(duration == granularity for duration in durations),
            f"the readings for request {rid} last the granularity {show(granularity)}"
            f" (seen {', '.join(map(show, durations))})",
        )
        starts = [reading.start for reading in flat if reading.start is not None]
        gaps = [later - earlier for earlier, later in pairwise(starts)]
        ctx.check(
            all(gap >= granularity - _CLOCK_TOLERANCE for gap in gaps),
            f"the readings for request {rid} follow each other in order, a granularity ({show(granularity)})"
            f" or more apart (gaps {', '.join(map(show, gaps)) or 'none'})",
        )
        per_update = max(1, back // granularity)
        counts = [len(readings) for readings in by_update]
        ctx.check(
            all(count <= per_update + 1 for count in counts),
            f"no update for request {rid} holds more than a reportBackDuration ({show(back)}) of readings"
            f" at {show(granularity)} (readings per update: {counts})",
        )
        if per_update > 1 and not final:
            ctx.check(
                any(count >= per_update for count in counts),
                f"the VEN gathers a reportBackDuration ({show(back)}) of readings ({per_update}) in one"
                f" update rather than sending each reading (readings per update: {counts})",
            )

    def check_outstanding(self) -> None:
        """Rule 304: every report of every oadrUpdateReport of the case names a reportRequestID
        the harness requested (and the VEN accepted)."""
        check_outstanding(self.ctx, self.harness.inbox, since=self.begin, requested=self.requested)

    async def periodic(
        self, *names: ReportName, report_back: timedelta = _MINUTE
    ) -> tuple[OadrReport, OadrReportRequest, datetime]:
        """Request the first report the VEN offers under one of ``names`` every minute, reported
        back every ``report_back``; checked accepted and pending. The offered report, the request
        and when the VEN's oadrCreatedReport came."""
        offered = self.offered(*names)
        request = self.request(offered, granularity=_MINUTE, report_back=report_back)
        created, created_at = await self.create(request)
        self.accepted(created, pending=[request])
        return offered, request, created_at

    async def stops_reporting(self, rid: str, canceled_at: datetime, what: str) -> None:
        """After the VEN confirmed the cancellation of ``rid`` at ``canceled_at``: at most one
        update already on its way (within about a second), none later (watched for three
        reportBackDurations); ``what`` names the request in the check."""
        await self.quiet(3 * _MINUTE)
        after = [update for update in self.updates_for(rid) if update.at > canceled_at]
        late = [update for update in after if update.at > canceled_at + self.grace()]
        self.ctx.check(
            len(after) <= 1 and not late,
            f"the VEN stops reporting {what} ({len(after)} updates after its oadrCanceledReport)",
        )


def _ids(readings: Iterable[_Reading]) -> set[str]:
    return {r_id for reading in readings for r_id in reading.values}


@contextlib.asynccontextmanager
async def _reporting(ctx: VenCaseContext) -> AsyncIterator[_Reports]:
    """A registered VEN and the case's requests: rule 304 checked at the end; what still runs
    is cancelled (a device that lives on after the case must not keep reporting)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    reports = _Reports(ctx)
    try:
        yield reports
        reports.check_outstanding()
    finally:
        await reports.close()


def _metadata_request() -> OadrReportRequest:
    """A request for the VEN's METADATA (reportSpecifierID METADATA, rule 306)."""
    return OadrReportRequest(
        report_request_id=f"TH-RR-METADATA-{new_id()[:8]}",
        report_specifier=ReportSpecifier(
            report_specifier_id=METADATA_REPORT_SPECIFIER_ID,
            granularity=_ZERO,
            report_back_duration=_ZERO,
            specifier_payloads=(
                SpecifierPayload(r_id=METADATA_REPORT_SPECIFIER_ID, reading_type=ReadingType.NOT_APPLICABLE),
            ),
        ),
    )


def _sampling_period(offered: OadrReport) -> timedelta:
    """The shortest sampling period (oadrSamplingRate minPeriod) the report offers; a minute if
    it names none."""
    periods = [
        description.sampling_rate.min_period
        for description in offered.descriptions
        if description.sampling_rate is not None and description.sampling_rate.min_period > _ZERO
    ]
    return min(periods, default=_MINUTE)


# -- the VEN reports: the harness requests -----------------------------------------------------------


@case(
    "R1_3010",
    role=Role.VEN,
    title="one-shot report (TELEMETRY_STATUS, granularity PT0M, reportBackDuration PT0M)",
    rules=(304,),
)
async def one_shot_status(ctx: VenCaseContext) -> None:
    """The harness asks for every point of the VEN's TELEMETRY_STATUS report once
    (granularity and reportBackDuration PT0M). The VEN accepts with oadrCreatedReport 200
    (echoing the requestID) and sends one oadrUpdateReport naming the request (rule 304) and its
    reportSpecifierID, with one reading of every requested rID as oadrPayloadResourceStatus (its
    loadControlState consistent); then nothing more for that request (watched for two minutes).
    Not applicable to a VEN that offers no TELEMETRY_STATUS report."""
    async with _reporting(ctx) as reports:
        offered = reports.offered(_STATUS)
        request = reports.request(offered)
        created, _ = await reports.create(request)
        reports.accepted(created)
        updates = await reports.updates(request.report_request_id, 1, within=_ZERO)
        reports.verify(request, offered, updates)
        _check_one_reading(ctx, updates[0])
        await reports.quiet()
        sent = len(reports.updates_for(request.report_request_id))
        ctx.check(sent == 1, f"the VEN reports a one-shot request once (it sent {sent} reports)")


@case(
    "R1_3020",
    role=Role.VEN,
    title="periodic report: two oadrUpdateReports at the granularity",
    rules=(304, 314),
)
async def periodic(ctx: VenCaseContext) -> None:
    """The harness asks for a telemetry report (TELEMETRY_STATUS, else TELEMETRY_USAGE) every
    minute (granularity = reportBackDuration = 1 min, no reportInterval: from now on). The VEN
    accepts (200, the request among its pendingReports) and sends two oadrUpdateReports for it,
    each with the requested rIDs, readings timed (rule 314) lasting the granularity, a minute or
    more apart, and no more than a reportBackDuration of readings each. The harness then cancels
    the request."""
    async with _reporting(ctx) as reports:
        offered, request, _ = await reports.periodic(*_TELEMETRY)
        updates = await reports.updates(request.report_request_id, 2, within=3 * _MINUTE)
        reports.verify(request, offered, updates)


@case(
    "R1_3025",
    role=Role.VEN,
    title="delayed periodic report (reportInterval starts later); loadControlState consistent",
    rules=(304, 314),
)
async def delayed_periodic(ctx: VenCaseContext) -> None:
    """The harness asks for the VEN's TELEMETRY_STATUS every minute with a reportInterval that
    starts three minutes later (open-ended). The VEN accepts (200, pending) and sends nothing
    before the interval starts: its first update reaches the harness no earlier than the start,
    and every reading starts at or after it. Two updates then come as in R1_3020, each status
    with a consistent loadControlState (current within its min and max). The harness then
    cancels. Not applicable to a VEN that offers no TELEMETRY_STATUS report."""
    async with _reporting(ctx) as reports:
        offered = reports.offered(_STATUS)
        start = ctx.now() + 3 * _MINUTE
        request = reports.request(
            offered, granularity=_MINUTE, report_back=_MINUTE, start=start, duration=_ZERO
        )
        created, _ = await reports.create(request)
        reports.accepted(created, pending=[request])
        updates = await reports.updates(request.report_request_id, 2, within=6 * _MINUTE)
        first = updates[0].at
        ctx.check(
            first >= start - _CLOCK_TOLERANCE,
            "the VEN sends nothing before the reportInterval starts (its first update came"
            f" {show(first - start)} after the start)",
        )
        early = [
            reading.start
            for update in updates
            for reading in update.readings()
            if reading.start is not None and reading.start < start - _CLOCK_TOLERANCE
        ]
        ctx.check(
            not early, f"every reading starts at or after the reportInterval's start ({len(early)} earlier)"
        )
        reports.verify(request, offered, updates)


@case(
    "R1_3027",
    role=Role.VEN,
    title="short-duration report that ends by itself",
    rules=(304, 314),
)
async def short_report(ctx: VenCaseContext) -> None:
    """The harness asks for a telemetry report every minute over a three-minute reportInterval
    starting in a minute. The VEN accepts (200, pending), reports within the interval (at least
    two updates; every reading starts inside it), and ends the report by itself: its last
    update comes no later than a reportBackDuration after the interval's end (plus a second's
    tolerance), and nothing more comes for it afterwards (watched for two minutes)."""
    async with _reporting(ctx) as reports:
        offered = reports.offered(*_TELEMETRY)
        start = ctx.now() + _MINUTE
        duration = 3 * _MINUTE
        end = start + duration
        request = reports.request(
            offered, granularity=_MINUTE, report_back=_MINUTE, start=start, duration=duration
        )
        created, _ = await reports.create(request)
        reports.accepted(created, pending=[request])
        rid = request.report_request_id
        await reports.updates(rid, 2, within=end + _MINUTE - ctx.now())
        await asyncio.sleep(max(0.0, ctx.clock.real_seconds(end + _MINUTE - ctx.now())))
        await reports.quiet()
        updates = reports.updates_for(rid)
        reports.verify(request, offered, updates)
        late = [update.at for update in updates if update.at > end + _MINUTE + reports.grace()]
        ctx.check(
            not late,
            "the VEN ends the report by itself: no update later than a reportBackDuration after the"
            f" reportInterval's end ({len(late)} later)",
        )
        outside = [
            reading.start
            for update in updates
            for reading in update.readings()
            if reading.start is not None
            and not (start - _CLOCK_TOLERANCE <= reading.start < end + _CLOCK_TOLERANCE)
        ]
        ctx.check(not outside, f"every reading starts within the reportInterval ({len(outside)} outside)")
        reports.open.discard(rid)


@case(
    "R1_3030",
    role=Role.VEN,
    title="several oadrReportRequests in one oadrCreateReport",
    rules=(304, 314),
)
async def several_requests(ctx: VenCaseContext) -> None:
    """One oadrCreateReport carries two requests: a one-shot of one telemetry report
    (TELEMETRY_STATUS preferred) and a periodic one (1 min) of another (TELEMETRY_USAGE preferred;
    the same report when the VEN offers one only). The VEN accepts both (200, the periodic one
    pending) and serves each under its own reportRequestID and reportSpecifierID: the one-shot
    once, the periodic one at its granularity. The harness then cancels the periodic one."""
    async with _reporting(ctx) as reports:
        first = reports.offered(_STATUS, _USAGE)
        second = reports.offered(_USAGE, _STATUS)
        one_shot = reports.request(first)
        repeated = reports.request(second, granularity=_MINUTE, report_back=_MINUTE)
        created, _ = await reports.create(one_shot, repeated)
        reports.accepted(created, pending=[repeated])
        reports.verify(one_shot, first, await reports.updates(one_shot.report_request_id, 1, within=_ZERO))
        reports.verify(
            repeated, second, await reports.updates(repeated.report_request_id, 1, within=2 * _MINUTE)
        )
        sent = len(reports.updates_for(one_shot.report_request_id))
        ctx.check(
            sent == 1, f"the one-shot request of the pair is reported once (it was reported {sent} times)"
        )


@case(
    "R1_3040",
    role=Role.VEN,
    title="oadrCancelReport → oadrCanceledReport",
    rules=(304,),
)
async def cancel(ctx: VenCaseContext) -> None:
    """A periodic telemetry report (1 min) runs until its first update; the harness then sends
    oadrCancelReport (reportToFollow false). The VEN answers oadrCanceledReport 200 echoing the
    requestID, no longer listing the request as pending, and stops: after its answer at most one
    update already on its way (within about a second) comes for the request, none later (watched
    for three reportBackDurations)."""
    async with _reporting(ctx) as reports:
        offered, request, _ = await reports.periodic(*_TELEMETRY)
        rid = request.report_request_id
        reports.verify(request, offered, await reports.updates(rid, 1, within=2 * _MINUTE))
        _, canceled_at = await reports.cancel(rid, follow=False)
        await reports.stops_reporting(rid, canceled_at, "a cancelled request")


@case(
    "R1_3045",
    role=Role.VEN,
    title="cancel an open-ended report with reportToFollow=true → one final oadrUpdateReport",
    rules=(304, 314),
)
async def cancel_with_report_to_follow(ctx: VenCaseContext) -> None:
    """An open-ended telemetry report samples every minute but reports back only every ten
    minutes, so that no regular update is due while the case runs. After two and a half minutes
    the harness cancels it with reportToFollow true. The VEN answers oadrCanceledReport 200 and
    then sends exactly one final oadrUpdateReport for the request, well before its regular
    update would have been due, with the readings taken since the request (timed, at the
    granularity); nothing more follows (watched for two minutes)."""
    back = 10 * _MINUTE
    async with _reporting(ctx) as reports:
        offered, request, created_at = await reports.periodic(*_TELEMETRY, report_back=back)
        rid = request.report_request_id
        await ctx.sleep(timedelta(minutes=2.5))
        before = reports.updates_for(rid)
        ctx.check(not before, f"no update comes before the reportBackDuration ({show(back)}) has passed")
        await reports.cancel(rid, follow=True)
        [final] = await reports.updates(rid, 1, within=_ZERO)
        ctx.check(
            final.at < created_at + back,
            "the final update comes at the cancellation, not at the next reportBackDuration",
        )
        await reports.quiet()
        sent = len(reports.updates_for(rid))
        ctx.check(sent == 1, f"one final update follows the cancellation, and no more (it sent {sent})")
        reports.verify(request, offered, [final], final=True)


@case(
    "R1_3050",
    role=Role.VEN,
    title="oadrCancelReport piggy-backed on oadrUpdatedReport",
    rules=(304,),
)
async def cancel_on_updated_report(ctx: VenCaseContext) -> None:
    """A periodic telemetry report (1 min) runs until its first update; the harness's answer to
    the next one, oadrUpdatedReport, carries an oadrCancelReport for it (reportToFollow false).
    The VEN answers that cancellation with oadrCanceledReport 200 echoing its requestID, the
    request no longer pending, and stops reporting it (at most one update already on its way
    after its answer)."""
    async with _reporting(ctx) as reports:
        _, request, _ = await reports.periodic(*_TELEMETRY)
        rid = request.report_request_id
        await reports.updates(rid, 1, within=2 * _MINUTE)
        harness = ctx.harness
        message = OadrCancelReport(
            request_id=new_id(), report_request_ids=(rid,), report_to_follow=False, ven_id=harness.ven_id
        )
        since = harness.mark()
        harness.cancel_on_updated = message
        canceled = await harness.wait_for(
            OadrCanceledReport,
            since=since,
            timeout=ctx.clock.real_seconds(2 * _MINUTE) + ctx.timeouts.message,
            what="an oadrCanceledReport answering the oadrCancelReport on oadrUpdatedReport",
        )
        ctx.check(harness.cancel_on_updated is None, "the cancellation rode on an oadrUpdatedReport")
        reports.open.discard(rid)
        reports.check_canceled(canceled, message)
        await reports.stops_reporting(rid, reports.arrival(canceled), "the cancelled request")


@case(
    "R1_3060",
    role=Role.VEN,
    title="oadrCreateReport piggy-backed on oadrRegisteredReport",
    rules=(304,),
)
async def request_on_registered_report(ctx: VenCaseContext) -> None:
    """The VEN is made to register again (renewing its registration); when it offers its
    reports (oadrRegisterReport), the harness's oadrRegisteredReport carries a one-shot request
    for one of the telemetry reports in that very offer (TELEMETRY_STATUS preferred). The VEN
    confirms the request with oadrCreatedReport 200 and reports it once as in R1_3010. Not
    applicable to a VEN that offers no telemetry report."""
    async with _reporting(ctx) as reports:
        reports.offered(*_TELEMETRY)
        harness = ctx.harness
        carried: list[tuple[OadrReportRequest, OadrReport]] = []

        def answer(message: Payload) -> Payload | None:
            if not isinstance(message, OadrRegisterReport) or carried:
                return None
            harness.offered_reports = message.reports
            chosen = next(
                (
                    report
                    for name in (_STATUS, _USAGE)
                    for report in message.reports
                    if report.report_name == name and report.descriptions
                ),
                None,
            )
            if chosen is None:
                return None
            request = reports.request(chosen)
            carried.append((request, chosen))
            return OadrRegisteredReport(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                report_requests=(request,),
                ven_id=message.ven_id,
            )

        harness.answer_with[OadrRegisterReport] = answer
        since = harness.mark()
        await ctx.device.register_again(keep_registration_id=True)
        await harness.wait_for(
            OadrRegisterReport,
            since=since,
            timeout=ctx.timeouts.action,
            what="an oadrRegisterReport after registering again",
        )
        ctx.check(bool(carried), "the VEN's new oadrRegisterReport offers a telemetry report")
        request, offered = carried[0]
        created = await harness.wait_for(
            OadrCreatedReport,
            since=since,
            what="an oadrCreatedReport confirming the request carried on oadrRegisteredReport",
        )
        reports.requested[request.report_request_id] = request
        reports.accepted(created)
        reports.verify(request, offered, await reports.updates(request.report_request_id, 1, within=_ZERO))


@case(
    "R1_3130",
    role=Role.VEN,
    title="HISTORY_USAGE report, all buffered data",
    rules=(304, 314),
)
async def history_all(ctx: VenCaseContext) -> None:
    """The case lets the VEN sample its HISTORY_USAGE points for three and a half sampling
    periods (the shortest oadrSamplingRate minPeriod it offers, capped at 15 minutes), then asks
    for its history over the whole span the METADATA report declares (its duration, else a day)
    up to now, open-ended. The VEN accepts (200) and sends one oadrUpdateReport with the buffered
    samples: at least three per requested rID, each timed (rule 314), in order, none before the
    requested start nor after now, the oldest at least two sampling periods before the request
    (history, not a fresh reading); then nothing more for the request. Not applicable to a VEN
    that offers no HISTORY_USAGE report."""
    async with _reporting(ctx) as reports:
        offered = reports.offered(_HISTORY)
        period = _sampling_period(offered)
        await ctx.sleep(min(3.5 * period, timedelta(minutes=15)))
        span = offered.duration or timedelta(days=1)
        asked_at = ctx.now()
        request = reports.request(offered, start=asked_at - span, duration=_ZERO)
        created, _ = await reports.create(request)
        reports.accepted(created)
        [update] = await reports.updates(request.report_request_id, 1, within=_ZERO)
        _verify_history(ctx, reports, request, offered, update, since=asked_at - span, asked_at=asked_at)
        readings = update.readings()
        per_rid = _per_rid(readings)
        ctx.check(
            all(count >= 3 for count in per_rid.values()),
            f"the history holds every sample buffered while the case waited (3 or more per rID; {per_rid})",
        )
        oldest = min((reading.start for reading in readings if reading.start is not None), default=asked_at)
        ctx.check(
            oldest <= asked_at - 2 * period,
            f"the history reaches back at least two sampling periods ({show(2 * period)}) before the request",
        )
        await reports.quiet()
        sent = len(reports.updates_for(request.report_request_id))
        ctx.check(sent == 1, f"the VEN answers a history request with one report (it sent {sent})")


@case(
    "R1_3140",
    role=Role.VEN,
    title="HISTORY_USAGE subset (dtstart 30 minutes ago)",
    rules=(304, 314),
)
async def history_subset(ctx: VenCaseContext) -> None:
    """The harness first asks for the VEN's whole HISTORY_USAGE history (as R1_3130) to learn
    how far back it goes, and if it is shorter than 30 minutes plus two sampling periods waits
    until it is that long. It then asks for the history from 30 minutes ago on (reportInterval
    dtstart now - 30 min, open-ended). The VEN accepts (200) and sends one oadrUpdateReport with
    the samples of that window only: none older than its start, none after now, in order, timed
    (rule 314); the oldest within two sampling periods of the start (the window is served from
    its beginning), and at least half the samples the window can hold per rID. Not applicable
    to a VEN that offers no HISTORY_USAGE report."""
    window = timedelta(minutes=30)
    async with _reporting(ctx) as reports:
        offered = reports.offered(_HISTORY)
        period = _sampling_period(offered)
        span = offered.duration or timedelta(days=1)
        asked_at = ctx.now()
        probe = reports.request(offered, start=asked_at - span, duration=_ZERO)
        created, _ = await reports.create(probe)
        reports.accepted(created)
        [whole] = await reports.updates(probe.report_request_id, 1, within=_ZERO)
        starts = [reading.start for reading in whole.readings() if reading.start is not None]
        oldest = min(starts, default=ctx.now())
        wait = oldest + window + 2 * period - ctx.now()
        if wait > _ZERO:
            await ctx.sleep(wait)
        asked_at = ctx.now()
        start = asked_at - window
        request = reports.request(offered, start=start, duration=_ZERO)
        created, _ = await reports.create(request)
        reports.accepted(created)
        [update] = await reports.updates(request.report_request_id, 1, within=_ZERO)
        _verify_history(ctx, reports, request, offered, update, since=start, asked_at=asked_at)
        readings = update.readings()
        first = min((reading.start for reading in readings if reading.start is not None), default=asked_at)
        ctx.check(
            first <= start + 2 * period,
            f"the subset is served from the start of the window (its oldest sample {show(first - start)}"
            " after it)",
        )
        expected = int(window / period) // 2
        per_rid = _per_rid(readings)
        ctx.check(
            all(count >= expected for count in per_rid.values()),
            f"the subset holds the window's samples ({expected} or more per rID; {per_rid})",
        )


def _check_one_reading(ctx: VenCaseContext, update: _Update) -> None:
    """A one-shot report holds one value of each requested rID."""
    per_rid = _per_rid(update.readings())
    ctx.check(
        all(count == 1 for count in per_rid.values()),
        f"the one-shot report holds one value per rID (it holds {per_rid})",
    )


def _per_rid(readings: Iterable[_Reading]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reading in readings:
        for r_id in reading.values:
            counts[r_id] = counts.get(r_id, 0) + 1
    return counts


def _verify_history(
    ctx: VenCaseContext,
    reports: _Reports,
    request: OadrReportRequest,
    offered: OadrReport,
    update: _Update,
    *,
    since: datetime,
    asked_at: datetime,
) -> None:
    """A history answer: the report checks of every request, plus samples timed (rule 314), in
    order per rID, none before ``since`` nor after the answer arrived."""
    reports.verify(request, offered, [update])
    readings = update.readings()
    ctx.check(
        all(reading.start is not None for reading in readings),
        "every history sample has a dtstart, its interval's or the report's (rule 314)",
    )
    too_old = [
        reading.start
        for reading in readings
        if reading.start is not None and reading.start < since - _CLOCK_TOLERANCE
    ]
    ctx.check(not too_old, f"no sample is older than the requested start ({len(too_old)} older)")
    future = [
        reading.start
        for reading in readings
        if reading.start is not None and reading.start > update.at + _CLOCK_TOLERANCE
    ]
    ctx.check(not future, f"no sample is timed after the report was sent ({len(future)} later)")
    out_of_order = [
        r_id
        for r_id in _ids(readings)
        if any(
            later <= earlier
            for earlier, later in pairwise(
                [
                    reading.start
                    for reading in readings
                    if r_id in reading.values and reading.start is not None
                ]
            )
        )
    ]
    ctx.check(not out_of_order, f"the samples of each rID are in time order (not for {sorted(out_of_order)})")


@case(
    "R1_3150",
    role=Role.VEN,
    title="TELEMETRY_USAGE one-shot (powerReal and energyReal)",
    rules=(304,),
)
async def one_shot_usage(ctx: VenCaseContext) -> None:
    """The harness asks once (granularity and reportBackDuration PT0M) for the TELEMETRY_USAGE
    points whose itemBase is powerReal or energyReal. The VEN accepts (200) and sends one
    oadrUpdateReport with one reading holding a number for each of them, named TELEMETRY_USAGE;
    then nothing more for the request. Not applicable to a VEN that offers no such point."""
    async with _reporting(ctx) as reports:
        offered = reports.offered(_USAGE)
        points = [
            description.r_id
            for description in offered.descriptions
            if isinstance(description.item_base, PowerReal | EnergyReal)
        ]
        if not points:
            ctx.not_applicable("the VEN's TELEMETRY_USAGE report has no powerReal or energyReal point")
        request = reports.request(offered, r_ids=points)
        created, _ = await reports.create(request)
        reports.accepted(created)
        updates = await reports.updates(request.report_request_id, 1, within=_ZERO)
        reports.verify(request, offered, updates)
        numbers = all(
            isinstance(payload, PayloadFloat)
            for reading in updates[0].readings()
            for payload in reading.values.values()
        )
        ctx.check(numbers, "every powerReal and energyReal value is a number (payloadFloat)")
        _check_one_reading(ctx, updates[0])
        await reports.quiet()
        sent = len(reports.updates_for(request.report_request_id))
        ctx.check(sent == 1, f"the VEN reports a one-shot request once (it sent {sent} reports)")


@case(
    "R1_3160",
    role=Role.VEN,
    title="TELEMETRY_USAGE periodic (granularity 1 min, reportBackDuration 2 min)",
    rules=(304, 314),
)
async def periodic_usage(ctx: VenCaseContext) -> None:
    """The harness asks for every TELEMETRY_USAGE point with a reading every minute, reported
    back every two minutes. The VEN accepts (200, pending) and sends two oadrUpdateReports, each
    holding at most a reportBackDuration of one-minute readings (timed, rule 314; lasting a minute;
    in order, a minute or more apart), and at least one holding the two readings of a
    reportBackDuration (a VEN sending every reading separately fails). The harness then cancels.
    Not applicable to a VEN that offers no TELEMETRY_USAGE report."""
    async with _reporting(ctx) as reports:
        offered, request, _ = await reports.periodic(_USAGE, report_back=2 * _MINUTE)
        updates = await reports.updates(request.report_request_id, 2, within=5 * _MINUTE)
        reports.verify(request, offered, updates)


@case(
    "R1_3170",
    role=Role.VEN,
    title="METADATA request: the VTN asks the VEN to send oadrRegisterReport again",
    rules=(304, 306),
)
async def metadata_request(ctx: VenCaseContext) -> None:
    """The harness sends an oadrCreateReport whose request names reportSpecifierID METADATA
    (rule 306). The VEN accepts (200) and sends oadrRegisterReport again, naming its venID, with
    METADATA reports (named METADATA_..., with their data points) offering the same
    reportSpecifierIDs as at registration, each under the METADATA request's reportRequestID or
    "0"; it sends no oadrUpdateReport for the METADATA request (rule 304)."""
    async with _reporting(ctx) as reports:
        harness = ctx.harness
        before = {report.report_specifier_id for report in harness.offered_reports}
        request = _metadata_request()
        since = harness.mark()
        created, _ = await reports.create(request)
        reports.accepted(created)
        again = await harness.wait_for(
            OadrRegisterReport, since=since, what="an oadrRegisterReport answering the METADATA request"
        )
        ctx.check(again.ven_id == harness.ven_id, "the oadrRegisterReport names the VEN's venID")
        names = [report.report_name for report in again.reports]
        ctx.check(
            all(name is None or name.value.startswith(_METADATA_PREFIX) for name in names),
            f"the oadrRegisterReport carries METADATA reports (named {[str(name) for name in names]})",
        )
        ctx.check(
            all(report.descriptions for report in again.reports),
            "every METADATA report describes its data points",
        )
        after = {report.report_specifier_id for report in again.reports}
        ctx.check(
            after == before,
            f"the VEN offers the same reports again ({sorted(after)}; at registration {sorted(before)})",
        )
        ids = {report.report_request_id for report in again.reports}
        ctx.check(
            ids <= {request.report_request_id, UNSOLICITED_REPORT_REQUEST_ID},
            f"its METADATA reports carry the METADATA request's reportRequestID or 0 (seen {sorted(ids)})",
        )
        await reports.quiet()
        sent = len(reports.updates_for(request.report_request_id))
        ctx.check(sent == 0, f"the VEN sends no oadrUpdateReport for a METADATA request (it sent {sent})")


@case(
    "R1_3180",
    role=Role.VEN,
    title="one payload with several requests and updates",
    rules=(304, 314),
)
async def several_requests_and_updates(ctx: VenCaseContext) -> None:
    """One oadrCreateReport carries two periodic requests with the same rhythm (1 min), of two
    telemetry reports (the same report twice when the VEN offers one only). The VEN accepts both
    (200, both pending) and, the two being due together, sends their reports in one
    oadrUpdateReport (one oadrReport per request, each checked as in R1_3020), within three
    reportBackDurations. The harness then cancels both."""
    async with _reporting(ctx) as reports:
        first = reports.offered(_STATUS, _USAGE)
        second = reports.offered(_USAGE, _STATUS)
        one = reports.request(first, granularity=_MINUTE, report_back=_MINUTE)
        two = reports.request(second, granularity=_MINUTE, report_back=_MINUTE)
        created, _ = await reports.create(one, two)
        reports.accepted(created, pending=[one, two])
        both = {one.report_request_id, two.report_request_id}
        loop = asyncio.get_running_loop()
        limit = ctx.clock.real_seconds(3 * _MINUTE) + ctx.timeouts.message
        deadline = loop.time() + limit
        combined: OadrUpdateReport | None = None
        while combined is None and loop.time() < deadline:
            await asyncio.sleep(0.02)
            combined = next(
                (
                    message
                    for message in ctx.harness.inbox.of(OadrUpdateReport, since=reports.begin)
                    if both <= {report.report_request_id for report in message.reports}
                ),
                None,
            )
        ctx.check(
            combined is not None,
            f"one oadrUpdateReport carries the reports of both requests (waited {limit:.0f} s for one)",
        )
        assert combined is not None
        at = reports.arrival(combined)
        for request, offered in ((one, first), (two, second)):
            mine = [
                _Update(combined, report, at)
                for report in combined.reports
                if report.report_request_id == request.report_request_id
            ]
            reports.verify(request, offered, mine)


@case(
    "R1_3190",
    role=Role.VEN,
    title="negative: invalid reportSpecifierID or rID in oadrCreateReport → 452",
    rules=(304,),
)
async def invalid_request(ctx: VenCaseContext) -> None:
    """The harness asks for a report the VEN never offered (an unknown reportSpecifierID), then
    for an offered report with an rID it does not have. The VEN answers each oadrCreateReport with
    oadrCreatedReport 452 (invalid ID), echoing its requestID and not listing the request as
    pending, and never reports on either (rule 304). A valid one-shot request afterwards is
    still accepted (200) and reported: the refusals did not break the VEN's reporting."""
    async with _reporting(ctx) as reports:
        offered = reports.offered_any()
        valid = reports.request(offered)
        unknown_report = replace(
            reports.request(offered),
            report_specifier=replace(
                valid.report_specifier, report_specifier_id=f"TH-NOT-OFFERED-{new_id()[:8]}"
            ),
        )
        unknown_point = replace(
            reports.request(offered),
            report_specifier=replace(
                valid.report_specifier,
                specifier_payloads=(
                    SpecifierPayload(r_id="th-no-such-rid", reading_type=ReadingType.DIRECT_READ),
                ),
            ),
        )
        for bad, what in (
            (unknown_report, "an unknown reportSpecifierID"),
            (unknown_point, "an unknown rID"),
        ):
            created, _ = await reports.create(bad)
            code = created.ei_response.response_code
            ctx.check(
                code == ResponseCode.INVALID_ID,
                f"the VEN answers a request for {what} with 452 (it answered {code})",
            )
            ctx.check(
                bad.report_request_id not in created.pending_reports,
                f"the request for {what} is not among the pendingReports",
            )
            reports.requested.pop(bad.report_request_id, None)
        created, _ = await reports.create(valid)
        reports.accepted(created)
        reports.verify(valid, offered, await reports.updates(valid.report_request_id, 1, within=_ZERO))
        await reports.quiet()
        for bad in (unknown_report, unknown_point):
            sent = len(reports.updates_for(bad.report_request_id))
            ctx.check(
                sent == 0,
                f"the VEN never reports on refused request {bad.report_request_id} (it sent {sent})",
            )


# -- the VEN requests: the harness reports (R1_3070 to R1_3120) -----------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WantedReport:
    """A report of the harness VTN that the VEN under test is asked to request.

    Attributes:
        report_specifier_id: the VTN's offered report (from its oadrRegisterReport).
        r_ids: the data points (None: all the report offers).
        granularity: how often a reading is taken (zero, with ``report_back_duration``, for a
            one-shot report).
        report_back_duration: how often the report is sent (zero for a one-shot report).
    """

    report_specifier_id: str
    r_ids: Sequence[str] | None = None
    granularity: timedelta = _ZERO
    report_back_duration: timedelta = _ZERO

    def describe(self) -> str:
        points = ", ".join(self.r_ids) if self.r_ids else "all its data points"
        timing = (
            "once (granularity and reportBackDuration PT0M)"
            if not self.granularity and not self.report_back_duration
            else f"every {show(self.granularity)}, reported back every {show(self.report_back_duration)}"
        )
        return f"the VTN's report {self.report_specifier_id} ({points}), {timing}"


@runtime_checkable
class ReportRequestingVen(Protocol):
    """A VEN under test that can be asked to request reports of its VTN (R1_3070 to R1_3120).

    This is what :class:`~openadr_accel.conformance.devices.VenDevice` would need to offer
    (it does not yet): a device without these actions is not applicable to those cases. A device
    that cannot do one variant (requests on oadrRegisteredReport, a cancellation on
    oadrUpdatedReport) raises :class:`~openadr_accel.conformance.case.NotApplicable`.
    """

    async def request_reports(
        self, wanted: Sequence[WantedReport], *, on_registered_report: bool = False
    ) -> None:
        """Make the VEN request ``wanted``, all in one oadrCreateReport, or (``on_registered_report``)
        on its oadrRegisteredReport answering the VTN's next oadrRegisterReport."""
        ...

    async def cancel_report(
        self, report_request_id: str, *, report_to_follow: bool, on_updated_report: bool = False
    ) -> None:
        """Make the VEN cancel its request (oadrCancelReport), or (``on_updated_report``) carry
        the cancellation on its oadrUpdatedReport answering the VTN's next update."""
        ...


class _AskedRequester:
    """An external VEN: its operator is asked."""

    def __init__(self, operator: Operator) -> None:
        self.operator = operator

    async def request_reports(
        self, wanted: Sequence[WantedReport], *, on_registered_report: bool = False
    ) -> None:
        how = (
            "in its oadrRegisteredReport answering the VTN's next oadrRegisterReport"
            if on_registered_report
            else "in one oadrCreateReport"
        )
        self.operator.ask(
            f"Make the VEN request, {how}: " + "; ".join(item.describe() for item in wanted) + "."
        )

    async def cancel_report(
        self, report_request_id: str, *, report_to_follow: bool, on_updated_report: bool = False
    ) -> None:
        how = (
            "in its oadrUpdatedReport answering the VTN's next oadrUpdateReport"
            if on_updated_report
            else "with oadrCancelReport"
        )
        follow = "true" if report_to_follow else "false"
        self.operator.ask(
            f"Make the VEN cancel its report request {report_request_id} {how} (reportToFollow {follow})."
        )


_TH_USAGE = "TH-VTN-TELEMETRY-USAGE"
_TH_STATUS = "TH-VTN-TELEMETRY-STATUS"
_TH_USAGE_POINTS = ("th-power", "th-energy")
_TH_STATUS_POINTS = ("th-status",)


async def _zero() -> Decimal:
    return Decimal(0)


async def _online() -> OadrPayloadResourceStatus:
    return OadrPayloadResourceStatus(online=True, manual_override=False)


def _harness_metadata(now: datetime) -> tuple[OadrReport, ...]:
    """The harness VTN's own reports (what a VTN may offer a VEN): telemetry usage and status."""
    offers = (
        telemetry_usage(
            _TH_USAGE,
            power=_zero,
            energy=_zero,
            power_r_id="th-power",
            energy_r_id="th-energy",
            min_period=_MINUTE,
        ),
        telemetry_status(_TH_STATUS, status=_online, r_id="th-status", min_period=_MINUTE),
    )
    return tuple(
        offer.metadata(report_request_id=UNSOLICITED_REPORT_REQUEST_ID, created=now) for offer in offers
    )


class _HarnessReporter:
    """The harness VTN as the reporting party: it offers its reports, answers the VEN's
    requests and cancellations, and sends report data."""

    def __init__(self, ctx: VenCaseContext) -> None:
        self.ctx = ctx
        self.harness = ctx.harness
        self.offered: dict[str, OadrReport] = {}
        self.accepted: dict[str, OadrReportRequest] = {}
        self.cancelled: list[OadrCancelReport] = []
        self.harness.answer_with[OadrCreateReport] = self._on_create
        self.harness.answer_with[OadrCancelReport] = self.on_cancel

    async def offer(self) -> None:
        """Offer the harness's reports (oadrRegisterReport); the VEN confirms with
        oadrRegisteredReport 200 (any VEN must, N1_0020)."""
        ctx, harness = self.ctx, self.harness
        reports = _harness_metadata(ctx.now())
        self.offered = {report.report_specifier_id: report for report in reports}
        message = OadrRegisterReport(request_id=new_id(), reports=reports, ven_id=harness.ven_id)
        since = harness.mark()
        await harness.deliver(message)
        confirmed = await harness.wait_for(
            OadrRegisteredReport,
            since=since,
            what="an oadrRegisteredReport answering the VTN's oadrRegisterReport",
        )
        ctx.check(
            confirmed.ei_response.request_id == message.request_id,
            "the oadrRegisteredReport echoes the requestID of the VTN's oadrRegisterReport",
        )
        code = confirmed.ei_response.response_code
        ctx.check(code == ResponseCode.OK, f"the VEN takes the VTN's reports with 200 (it answered {code})")

    def problems(self, requests: Sequence[OadrReportRequest]) -> list[str]:
        """What is wrong with the VEN's requests: unknown reports or rIDs, reused IDs."""
        found = []
        for request in requests:
            specifier = request.report_specifier
            offered = self.offered.get(specifier.report_specifier_id)
            if offered is None:
                found.append(
                    f"{request.report_request_id}: the VTN offers no report {specifier.report_specifier_id}"
                )
                continue
            points = {description.r_id for description in offered.descriptions}
            unknown = [p.r_id for p in specifier.specifier_payloads if p.r_id not in points]
            if unknown:
                found.append(
                    f"{request.report_request_id}: no rID {', '.join(unknown)}"
                    f" in {specifier.report_specifier_id}"
                )
        ids = [request.report_request_id for request in requests]
        if len(set(ids)) != len(ids) or UNSOLICITED_REPORT_REQUEST_ID in ids:
            found.append(f"the reportRequestIDs are not distinct fresh IDs ({ids})")
        return found

    def _on_create(self, message: Payload) -> Payload | None:
        if not isinstance(message, OadrCreateReport):
            return None
        return self.confirm(message.report_requests, request_id=message.request_id)

    def confirm(self, requests: Sequence[OadrReportRequest], *, request_id: str) -> OadrCreatedReport:
        """The harness's oadrCreatedReport: 200 and the requests pending, or 452 if any is wrong."""
        problems = self.problems(requests)
        if problems:
            response = EiResponse(
                response_code=ResponseCode.INVALID_ID,
                request_id=request_id,
                response_description="; ".join(problems),
            )
        else:
            response = EiResponse(response_code=ResponseCode.OK, request_id=request_id)
            self.accepted.update((request.report_request_id, request) for request in requests)
        return OadrCreatedReport(
            ei_response=response, pending_reports=tuple(self.accepted), ven_id=self.harness.ven_id
        )

    def on_cancel(self, message: Payload) -> OadrCanceledReport | None:
        if not isinstance(message, OadrCancelReport):
            return None
        self.cancelled.append(message)
        unknown = [rid for rid in message.report_request_ids if rid not in self.accepted]
        for rid in message.report_request_ids:
            self.accepted.pop(rid, None)
        code = ResponseCode.INVALID_ID if unknown else ResponseCode.OK
        return OadrCanceledReport(
            ei_response=EiResponse(response_code=code, request_id=message.request_id),
            pending_reports=tuple(self.accepted),
            ven_id=self.harness.ven_id,
        )

    def check_requests(
        self,
        message: OadrCreateReport | None,
        requests: Sequence[OadrReportRequest],
        wanted: Sequence[WantedReport],
    ) -> None:
        """The VEN's requests: its venID, the VTN's offered reports and rIDs, fresh IDs, and the
        rhythm it was asked for."""
        ctx = self.ctx
        if message is not None:
            ctx.check(message.ven_id == self.harness.ven_id, "the VEN's oadrCreateReport names its venID")
        problems = self.problems(requests)
        ctx.check(
            not problems,
            "the VEN requests only reports and rIDs the VTN offered, under distinct reportRequestIDs"
            + (f" ({'; '.join(problems)})" if problems else ""),
        )
        by_report = {request.report_specifier.report_specifier_id: request for request in requests}
        for item in wanted:
            request = by_report.get(item.report_specifier_id)
            ctx.check(request is not None, f"the VEN requests the VTN's report {item.report_specifier_id}")
            assert request is not None
            specifier = request.report_specifier
            if item.r_ids is not None:
                asked = sorted(payload.r_id for payload in specifier.specifier_payloads)
                ctx.check(
                    asked == sorted(item.r_ids),
                    f"the request for {item.report_specifier_id} names the rIDs {sorted(item.r_ids)}"
                    f" (it names {asked})",
                )
            ctx.check(
                specifier.granularity == item.granularity
                and specifier.report_back_duration == item.report_back_duration,
                f"the request for {item.report_specifier_id} asks for granularity"
                f" {show(item.granularity)} and reportBackDuration {show(item.report_back_duration)}"
                f" (it asks for {show(specifier.granularity)} and {show(specifier.report_back_duration)})",
            )

    def update(self, requests: Sequence[OadrReportRequest], *, readings: int = 1) -> OadrUpdateReport:
        """An oadrUpdateReport with one report per request: ``readings`` readings at the
        granularity (one for a one-shot), ending now."""
        now = self.ctx.now()
        reports = []
        for request in requests:
            specifier = request.report_specifier
            offered = self.offered[specifier.report_specifier_id]
            step = specifier.granularity or specifier.report_back_duration
            count = readings if step else 1
            intervals = tuple(
                ReportInterval(
                    dtstart=now - (count - index) * step,
                    duration=step,
                    payloads=(OadrReportPayload(r_id=payload.r_id, payload=_value(offered, payload.r_id)),),
                )
                for index in range(count)
                for payload in specifier.specifier_payloads
            )
            reports.append(
                OadrReport(
                    report_request_id=request.report_request_id,
                    report_specifier_id=specifier.report_specifier_id,
                    created_date_time=now,
                    report_name=ReportName(_data_name(offered) or ReportName.TELEMETRY_USAGE.value),
                    intervals=intervals,
                )
            )
        return OadrUpdateReport(request_id=new_id(), reports=tuple(reports), ven_id=self.harness.ven_id)

    async def send(self, update: OadrUpdateReport) -> OadrUpdatedReport:
        """Send report data; check the VEN's oadrUpdatedReport (echo, 200), and (our own VEN)
        that it handed the data to its application."""
        ctx, harness = self.ctx, self.harness
        since = harness.mark()
        await harness.deliver(update)
        answer = await harness.wait_for(
            OadrUpdatedReport, since=since, what="an oadrUpdatedReport answering the VTN's oadrUpdateReport"
        )
        ctx.check(
            answer.ei_response.request_id == update.request_id,
            "the oadrUpdatedReport echoes the requestID of the VTN's oadrUpdateReport",
        )
        code = answer.ei_response.response_code
        ctx.check(
            code == ResponseCode.OK, f"the VEN takes the VTN's report data with 200 (it answered {code})"
        )
        ids = {report.report_request_id for report in update.reports}
        await ctx.observe(
            f"the VEN hands the VTN's report data for {', '.join(sorted(ids))} to its application",
            lambda view: (
                ids <= {getattr(call.detail, "report_request_id", None) for call in view.called("report")}
            ),
        )
        return answer


def _value(offered: OadrReport, r_id: str) -> PayloadBase:
    for description in offered.descriptions:
        if description.r_id == r_id and description.report_type == ReportType.RESOURCE_STATUS:
            return OadrPayloadResourceStatus(online=True, manual_override=False)
    return PayloadFloat(value=Decimal("1500"))


def _requester(ctx: VenCaseContext) -> ReportRequestingVen:
    """The device as a VEN that requests reports; not applicable to one that cannot be asked."""
    device = ctx.device
    if isinstance(device, ReportRequestingVen):
        return device
    if isinstance(device, ExternalVen):
        return _AskedRequester(device.operator)
    ctx.not_applicable(
        f"{device.name} cannot be asked to request reports of its VTN (no request_reports action):"
        " openadr_accel's VEN only reports, it never sends oadrCreateReport"
    )


async def _requested(
    ctx: VenCaseContext, reporter: _HarnessReporter, wanted: Sequence[WantedReport]
) -> tuple[OadrCreateReport, list[OadrReportRequest]]:
    """Ask the VEN to request ``wanted`` in one oadrCreateReport; its message and requests,
    checked, and accepted by the harness."""
    requester = _requester(ctx)
    since = ctx.harness.mark()
    await requester.request_reports(wanted)
    message = await ctx.harness.wait_for(
        OadrCreateReport, since=since, timeout=ctx.timeouts.action, what="an oadrCreateReport"
    )
    requests = list(message.report_requests)
    ctx.check(
        len(requests) >= len(wanted),
        f"one oadrCreateReport carries the {len(wanted)} requests asked for ({len(requests)} in it)",
    )
    reporter.check_requests(message, requests, wanted)
    return message, requests


async def _swapped_start(ctx: VenCaseContext) -> _HarnessReporter:
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    reporter = _HarnessReporter(ctx)
    await reporter.offer()
    return reporter


def _requests_for(requests: Sequence[OadrReportRequest], wanted: WantedReport) -> OadrReportRequest:
    return next(r for r in requests if r.report_specifier.report_specifier_id == wanted.report_specifier_id)


_STATUS_ONCE = WantedReport(report_specifier_id=_TH_STATUS, r_ids=_TH_STATUS_POINTS)
"""The VTN's TELEMETRY_STATUS, once."""
_USAGE_EVERY_MINUTE = WantedReport(
    report_specifier_id=_TH_USAGE, r_ids=_TH_USAGE_POINTS, granularity=_MINUTE, report_back_duration=_MINUTE
)
"""The VTN's TELEMETRY_USAGE, every minute."""


async def _first_usage_update(ctx: VenCaseContext) -> tuple[_HarnessReporter, OadrReportRequest]:
    """The VEN asked to request :data:`_USAGE_EVERY_MINUTE` (as R1_3070); its request, reported
    once a minute later."""
    reporter = await _swapped_start(ctx)
    _, requests = await _requested(ctx, reporter, [_USAGE_EVERY_MINUTE])
    request = _requests_for(requests, _USAGE_EVERY_MINUTE)
    await ctx.sleep(_MINUTE)
    await reporter.send(reporter.update([request]))
    return reporter, request


async def _acknowledged(ctx: VenCaseContext, message: Payload) -> None:
    """Send the VEN ``message`` (an answer the harness owes it); it acknowledges it with
    oadrResponse 200."""
    name = message_name(message)
    since = ctx.harness.mark()
    await ctx.harness.deliver(message)
    acknowledged = await ctx.harness.wait_for(
        OadrResponse, since=since, what=f"an oadrResponse acknowledging the {name}"
    )
    code = acknowledged.ei_response.response_code
    ctx.check(code == ResponseCode.OK, f"the VEN acknowledges the {name} with 200 (it answered {code})")


@case(
    "R1_3070",
    role=Role.VEN,
    title="roles swapped, the VEN requests: one-shot report",
)
async def swapped_one_shot(ctx: VenCaseContext) -> None:
    """The harness VTN offers its own reports (oadrRegisterReport: TELEMETRY_USAGE and
    TELEMETRY_STATUS); the VEN confirms them (oadrRegisteredReport 200). The VEN is then asked
    to request the VTN's TELEMETRY_STATUS once: its oadrCreateReport names its venID, only an
    offered report and rIDs, a fresh reportRequestID, granularity and reportBackDuration PT0M.
    The harness confirms (oadrCreatedReport 200) and sends the report; the VEN answers
    oadrUpdatedReport 200 echoing the requestID (and, observed, hands the data on). Not
    applicable to a VEN that cannot be asked to request reports (ours)."""
    reporter = await _swapped_start(ctx)
    _, requests = await _requested(ctx, reporter, [_STATUS_ONCE])
    await reporter.send(reporter.update([_requests_for(requests, _STATUS_ONCE)]))


@case(
    "R1_3080",
    role=Role.VEN,
    title="roles swapped, the VEN requests: periodic report",
    rules=(304,),
)
async def swapped_periodic(ctx: VenCaseContext) -> None:
    """As R1_3070, the VEN asked to request the VTN's TELEMETRY_USAGE every minute
    (granularity = reportBackDuration = 1 min). The harness confirms and sends two updates a
    reportBackDuration apart, each a reading at the granularity under the VEN's
    reportRequestID (rule 304); the VEN answers each with oadrUpdatedReport 200. Not applicable to
    a VEN that cannot be asked to request reports (ours)."""
    reporter, request = await _first_usage_update(ctx)
    await ctx.sleep(_MINUTE)
    await reporter.send(reporter.update([request]))


@case(
    "R1_3090",
    role=Role.VEN,
    title="roles swapped, the VEN requests: several oadrReportRequests in one oadrCreateReport",
    rules=(304,),
)
async def swapped_several(ctx: VenCaseContext) -> None:
    """As R1_3070, the VEN asked to request two of the VTN's reports in one oadrCreateReport:
    TELEMETRY_STATUS once and TELEMETRY_USAGE every minute. Both requests are checked (offered,
    distinct reportRequestIDs, the rhythm asked); the harness confirms both and sends both
    reports in one oadrUpdateReport, which the VEN answers 200. Not applicable to a VEN that
    cannot be asked to request reports (ours)."""
    reporter = await _swapped_start(ctx)
    wanted = [_STATUS_ONCE, _USAGE_EVERY_MINUTE]
    _, requests = await _requested(ctx, reporter, wanted)
    await ctx.sleep(_MINUTE)
    await reporter.send(reporter.update([_requests_for(requests, item) for item in wanted]))


@case(
    "R1_3100",
    role=Role.VEN,
    title="roles swapped, the VEN requests: oadrCancelReport → oadrCanceledReport",
    rules=(304,),
)
async def swapped_cancel(ctx: VenCaseContext) -> None:
    """As R1_3080 until the first update; the VEN is then asked to cancel its request
    (reportToFollow false): its oadrCancelReport names that reportRequestID and its venID, with
    reportToFollow false; the harness confirms with oadrCanceledReport 200. Not applicable to a
    VEN that cannot be asked to request reports (ours)."""
    _, request = await _first_usage_update(ctx)
    since = ctx.harness.mark()
    await _requester(ctx).cancel_report(request.report_request_id, report_to_follow=False)
    message = await ctx.harness.wait_for(OadrCancelReport, since=since, timeout=ctx.timeouts.action)
    ctx.check(
        request.report_request_id in message.report_request_ids,
        f"the VEN's oadrCancelReport names its request {request.report_request_id}",
    )
    ctx.check(message.ven_id == ctx.harness.ven_id, "the VEN's oadrCancelReport names its venID")
    ctx.check(
        not message.report_to_follow,
        "the VEN's oadrCancelReport asks for no final report (reportToFollow false)",
    )


@case(
    "R1_3110",
    role=Role.VEN,
    title="roles swapped, the VEN requests: oadrCancelReport piggy-backed on oadrUpdatedReport",
    rules=(304,),
)
async def swapped_cancel_on_updated(ctx: VenCaseContext) -> None:
    """As R1_3080 until the first update; the VEN is asked to cancel its request on its answer
    to the next one: the VEN's oadrUpdatedReport (200) carries an oadrCancelReport naming the
    request. The harness confirms with oadrCanceledReport, which the VEN acknowledges with
    oadrResponse 200. Not applicable to a VEN that cannot be asked to request reports (ours) or
    cannot cancel on oadrUpdatedReport."""
    reporter, request = await _first_usage_update(ctx)
    await _requester(ctx).cancel_report(
        request.report_request_id, report_to_follow=False, on_updated_report=True
    )
    await ctx.sleep(_MINUTE)
    answer = await reporter.send(reporter.update([request]))
    cancel = answer.cancel_report
    ctx.check(cancel is not None, "the VEN's oadrUpdatedReport carries an oadrCancelReport")
    assert cancel is not None
    ctx.check(
        request.report_request_id in cancel.report_request_ids,
        f"the oadrCancelReport on oadrUpdatedReport names the request {request.report_request_id}",
    )
    canceled = reporter.on_cancel(cancel)
    assert canceled is not None
    await _acknowledged(ctx, canceled)


@case(
    "R1_3120",
    role=Role.VEN,
    title="roles swapped, the VEN requests: oadrCreateReport piggy-backed on oadrRegisteredReport",
    rules=(304,),
)
async def swapped_request_on_registered(ctx: VenCaseContext) -> None:
    """The VEN is asked to request the VTN's TELEMETRY_STATUS once on its answer to the VTN's
    next oadrRegisterReport; the harness then offers its reports. The VEN's oadrRegisteredReport
    (200) carries the request (an offered report and rIDs, a fresh ID, PT0M). The harness confirms
    it with oadrCreatedReport, which the VEN acknowledges with oadrResponse 200, and sends the
    report, which the VEN answers with oadrUpdatedReport 200. Not applicable to a VEN that cannot
    be asked to request reports (ours) or cannot request on oadrRegisteredReport."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    reporter = _HarnessReporter(ctx)
    await _requester(ctx).request_reports([_STATUS_ONCE], on_registered_report=True)
    since = ctx.harness.mark()
    await reporter.offer()
    [registered] = ctx.harness.inbox.of(OadrRegisteredReport, since=since)[:1]
    requests = list(registered.report_requests)
    ctx.check(bool(requests), "the VEN's oadrRegisteredReport carries report requests")
    reporter.check_requests(None, requests, [_STATUS_ONCE])
    await _acknowledged(ctx, reporter.confirm(requests, request_id=registered.ei_response.request_id))
    await reporter.send(reporter.update([_requests_for(requests, _STATUS_ONCE)]))
