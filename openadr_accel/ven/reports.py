"""The VEN's reports, without I/O: what it offers, what the VTN asked for, and what is due.

:class:`VenReports` holds the VEN's :class:`ReportCapability` list and the VTN's active report
requests. The VEN feeds it the VTN's messages and sends what it returns; it calls
:meth:`VenReports.collect` at :meth:`VenReports.next_due` and :meth:`VenReports.sample` at
:meth:`VenReports.next_sample`. Nothing here reads the time except through the injected clock.

Report requests (oadrCreateReport, or riding on oadrRegisteredReport), one message at a time::

    request                                         code  effect
    ----------------------------------------------  ----  -----------------------------------------
    reportSpecifierID METADATA (rule 306)           200   metadata_requested until register_report()
    an unknown reportSpecifierID                    452   nothing of the message accepted (R1_3190)
    an rID the report does not offer                452   nothing of the message accepted (R1_3190)
    a negative granularity or reportBackDuration    454   nothing of the message accepted
    a reportRequestID already active                200   replaces the earlier request
    otherwise                                       200   active (several per message: R1_3030)

What :meth:`VenReports.collect` does for an active request (g = granularity, b =
reportBackDuration, start = reportInterval's dtstart, else when the request was accepted)::

    kind        when                                   what                                then
    ----------  -------------------------------------  ----------------------------------  -------
    history     HISTORY_USAGE report, at once          buffered samples of the rIDs, all   done
                                                       or those in reportInterval
                                                       (R1_3130, R1_3140)
    one-shot    g = b = 0, at start or at once         one reading (R1_3010, R1_3150)      done
    periodic    a reading at start + k*g               interval [tick, tick + g)           -
                an update at start + k*b               the intervals before it (R1_3020,   -
                                                       R1_3160); none sent if none taken
                nothing before start (R1_3025)
                at start + duration (duration > 0)     the last intervals (R1_3027)        done
    cancelled   reportToFollow=true, at once           the intervals taken since the last  done
                                                       update, or one reading now (R1_3045)

A periodic request with g = 0 reads once per update (g = b); with b = 0 it sends every reading
(b = g). When collect() runs late, the missed readings are not made up: one reading is taken
for the interval that holds the current time, and one update carries what was buffered.

Every update (oadrReport) carries the reportRequestID, reportSpecifierID, createdDateTime, the
report's name and intervals with dtstart, duration (the granularity) and one payload per rID
(``PayloadFloat`` for numbers, the resource status for TELEMETRY_STATUS). Due reports of several
requests go in one oadrUpdateReport (R1_3180). Data points are read at most once per collect()
round, concurrently.

A data source that raises (or returns something that is not a finite number or a resource
status, or takes longer than ``read_timeout``) is logged on the ``openadr_accel.ven`` logger and
its point is left out of that round; an interval with no point left is not sent. A one-shot,
history, final or last update is sent even when empty, so that the VTN sees the request end.

Cancellations (oadrCancelReport, or riding on oadrUpdatedReport: R1_3050)::

    reportRequestID                     effect                                         code
    ----------------------------------  ---------------------------------------------  ----
    active, reportToFollow=false        gone now (R1_3040)                             200
    active, reportToFollow=true         one final update at the next collect(), then   200
                                        gone (R1_3045); no longer listed as pending
    unknown, or already over            nothing (the other IDs are still cancelled)     452

Unlike requests, a cancellation is applied to the IDs the VEN knows even when another ID is
unknown: refusing it whole would keep reports running that the VTN wants stopped. A message that
names another venID is refused whole (452). The VTN side answers a cancellation of reports it
does not have 452 too (:meth:`openadr_accel.vtn.reports.VtnReports.on_cancel_report`).

Persistence: :meth:`VenReports.snapshot` returns one :class:`ActiveReportRequest` per active
request (the request itself, which the codec stores, plus two timestamps and a flag);
:meth:`VenReports.restore` carries on from them after a restart. Readings taken but not yet sent,
and the history buffer, are not part of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ..clock import Clock, system_clock
from ..model import (
    METADATA_REPORT_SPECIFIER_ID,
    UNSOLICITED_REPORT_REQUEST_ID,
    EiResponse,
    OadrCanceledReport,
    OadrCancelReport,
    OadrCreatedReport,
    OadrCreateReport,
    OadrPayloadResourceStatus,
    OadrRegisterReport,
    OadrReport,
    OadrReportPayload,
    OadrReportRequest,
    OadrUpdatedReport,
    OadrUpdateReport,
    PayloadBase,
    PayloadFloat,
    ReportInterval,
    ResponseCode,
)
from .report_capabilities import (
    DataPoint,
    DataSource,
    DataValue,
    ReportCapability,
    history_usage,
    telemetry_status,
    telemetry_usage,
)
from .report_history import HistoryBuffer, HistorySample

__all__ = [
    "ActiveReportRequest",
    "DataPoint",
    "DataSource",
    "DataValue",
    "HistorySample",
    "ReportCapability",
    "VenReports",
    "history_usage",
    "telemetry_status",
    "telemetry_usage",
]

_NEVER_SAMPLED = datetime.min.replace(tzinfo=UTC)
"""When a point never sampled is due: at once, whenever one looks."""

logger = logging.getLogger("openadr_accel.ven")

_ZERO = timedelta(0)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveReportRequest:
    """An active report request as the VEN persists it (see :meth:`VenReports.snapshot`).

    Store ``request`` with the codec (as the oadrCreateReport that carries it alone:
    ``openadr_accel.xml.stored.dump_report_request``) and the rest as :attr:`state`, a short
    JSON text; :meth:`from_stored` puts the two back together.

    Attributes:
        accepted_at: when the VEN accepted the request; a request without reportInterval starts
            then, and its readings and updates keep that rhythm.
        last_sent: when the last update for it was built, if any.
        final_update_owed: cancelled with reportToFollow; the final update is not sent yet.
    """

    request: OadrReportRequest
    accepted_at: datetime
    last_sent: datetime | None = None
    final_update_owed: bool = False

    @property
    def report_request_id(self) -> str:
        """The request's reportRequestID."""
        return self.request.report_request_id

    @property
    def state(self) -> str:
        """Everything but the request, as JSON text (times in ISO 8601, with their offset)."""
        return json.dumps(
            {
                "accepted_at": self.accepted_at.isoformat(),
                "last_sent": None if self.last_sent is None else self.last_sent.isoformat(),
                "final_update_owed": self.final_update_owed,
            },
            sort_keys=True,
        )

    @classmethod
    def from_stored(cls, request: OadrReportRequest, state: str) -> ActiveReportRequest:
        """The record :attr:`state` was taken from, given its request.

        Raises:
            ValueError: ``state`` is not such a text.
        """
        try:
            fields = json.loads(state)
            last_sent = fields["last_sent"]
            record = cls(
                request=request,
                accepted_at=_aware(datetime.fromisoformat(fields["accepted_at"])),
                last_sent=None if last_sent is None else _aware(datetime.fromisoformat(last_sent)),
                final_update_owed=bool(fields["final_update_owed"]),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"not the state of a report request: {state!r}") from exc
        return record


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no time zone")
    return moment


class _Kind(StrEnum):
    HISTORY = "history"
    ONE_SHOT = "one_shot"
    PERIODIC = "periodic"


@dataclass(slots=True, kw_only=True)
class _Active:
    """The VEN's working state of one request."""

    request: OadrReportRequest
    capability: ReportCapability
    points: tuple[DataPoint, ...]
    kind: _Kind
    accepted_at: datetime
    start: datetime
    end: datetime | None
    granularity: timedelta
    report_back: timedelta
    next_tick: datetime | None
    next_send: datetime
    last_sent: datetime | None = None
    final_owed_since: datetime | None = None
    readings: list[ReportInterval] = field(default_factory=list)

    @property
    def report_request_id(self) -> str:
        return self.request.report_request_id

    def next_due(self) -> datetime:
        if self.final_owed_since is not None:
            return self.final_owed_since
        if self.next_tick is not None:
            return min(self.next_tick, self.next_send)
        return self.next_send


_Round = dict[tuple[str, str], PayloadBase | None]
"""The values read in one collect() round, by (reportSpecifierID, rID)."""


class VenReports:
    """The VEN's report capabilities, the VTN's report requests, and the updates they call for.

    See the module docstring for the tables of behaviour.

    Args:
        capabilities: the reports the VEN offers (reportSpecifierIDs must differ).
        history_size: how many HISTORY_USAGE samples the history buffer keeps (all points
            together); past it, the oldest are dropped.
        clock: the time, always (never the machine's clock directly).
        read_timeout: how long a data source may take before its point is left out of a round
            (None: no limit). This one is measured by the event loop, not the clock.
    """

    def __init__(
        self,
        capabilities: Sequence[ReportCapability],
        *,
        history_size: int = 10_000,
        clock: Clock = system_clock,
        read_timeout: timedelta | None = timedelta(seconds=30),
    ) -> None:
        ids = [capability.report_specifier_id for capability in capabilities]
        if len(set(ids)) != len(ids):
            raise ValueError(f"reportSpecifierIDs must differ: {ids}")
        self._capabilities = {capability.report_specifier_id: capability for capability in capabilities}
        self._clock = clock
        self._read_timeout = read_timeout
        self._history = HistoryBuffer(history_size)
        self._active: dict[str, _Active] = {}
        self._metadata_request_id: str | None = None
        self._last_sampled: dict[tuple[str, str], datetime] = {}

    # -- what the VEN offers ---------------------------------------------------------------------

    @property
    def capabilities(self) -> tuple[ReportCapability, ...]:
        """The reports the VEN offers."""
        return tuple(self._capabilities.values())

    @property
    def history(self) -> HistoryBuffer:
        """The history buffer (HISTORY_USAGE samples)."""
        return self._history

    @property
    def metadata_requested(self) -> bool:
        """Whether the VTN asked for the VEN's METADATA (R1_3170) since the last
        :meth:`register_report`: the VEN should send an oadrRegisterReport."""
        return self._metadata_request_id is not None

    @property
    def metadata_request_id(self) -> str | None:
        """The reportRequestID of the VTN's pending METADATA request, if any."""
        return self._metadata_request_id

    def register_report(
        self, *, request_id: str, ven_id: str, report_request_id: str | None = None
    ) -> OadrRegisterReport:
        """The oadrRegisterReport offering every capability as a METADATA report.

        Args:
            report_request_id: the reportRequestID of each METADATA report; by default the
                pending METADATA request's ID when the VTN asked for one, else ``"0"``
                (unsolicited). When it is not ``"0"`` the message carries it too.

        Consumes the pending METADATA request (:attr:`metadata_requested` becomes False).
        """
        if report_request_id is None:
            report_request_id = self._metadata_request_id or UNSOLICITED_REPORT_REQUEST_ID
        self._metadata_request_id = None
        now = self._clock()
        return OadrRegisterReport(
            request_id=request_id,
            reports=tuple(
                capability.metadata(report_request_id=report_request_id, created=now)
                for capability in self._capabilities.values()
            ),
            ven_id=ven_id,
            report_request_id=(
                None if report_request_id == UNSOLICITED_REPORT_REQUEST_ID else report_request_id
            ),
        )

    # -- what the VTN asks -----------------------------------------------------------------------

    def create(self, requests: Sequence[OadrReportRequest]) -> tuple[ResponseCode, str | None]:
        """Accept the VTN's report requests (of one oadrCreateReport or oadrRegisteredReport), all
        or none: the code to answer and, for an error, a description (see the module docstring).
        """
        for request in requests:
            problem = self._problem(request)
            if problem is not None:
                code, description = problem
                logger.warning("report requests refused (%s): %s", code.value, description)
                return code, description
        now = self._clock()
        for request in requests:
            specifier_id = request.report_specifier.report_specifier_id
            if specifier_id == METADATA_REPORT_SPECIFIER_ID:
                self._metadata_request_id = request.report_request_id
                continue
            self._active.pop(request.report_request_id, None)  # a reused ID replaces, and goes last
            self._active[request.report_request_id] = self._schedule(
                request, accepted_at=now, last_sent=None, final_owed_since=None
            )
        return ResponseCode.OK, None

    def created_report(self, message: OadrCreateReport, *, ven_id: str) -> OadrCreatedReport:
        """The oadrCreatedReport answering ``message``: :meth:`create`'s code and the pending
        reports. A message naming another venID is refused 452 with nothing accepted."""
        if message.ven_id is not None and message.ven_id != ven_id:
            code: ResponseCode = ResponseCode.INVALID_ID
            description: str | None = f"venID {message.ven_id!r} is not this VEN's ({ven_id!r})"
        else:
            code, description = self.create(message.report_requests)
        return OadrCreatedReport(
            ei_response=EiResponse(
                response_code=code, request_id=message.request_id, response_description=description
            ),
            pending_reports=self.pending(),
            ven_id=ven_id,
        )

    def cancel(self, message: OadrCancelReport, *, ven_id: str) -> OadrCanceledReport:
        """Cancel report requests and answer oadrCanceledReport (see the module docstring): known
        IDs are cancelled (with one final update to come if ``reportToFollow``), unknown ones
        make the answer 452; the answer lists the requests still pending."""
        if message.ven_id is not None and message.ven_id != ven_id:
            code: ResponseCode = ResponseCode.INVALID_ID
            description: str | None = f"venID {message.ven_id!r} is not this VEN's ({ven_id!r})"
        else:
            now = self._clock()
            unknown = []
            for report_request_id in message.report_request_ids:
                active = self._active.get(report_request_id)
                if active is None:
                    unknown.append(report_request_id)
                elif message.report_to_follow:
                    if active.final_owed_since is None:
                        active.final_owed_since = now
                else:
                    del self._active[report_request_id]
            if unknown:
                code = ResponseCode.INVALID_ID
                description = f"no active report request {', '.join(map(repr, unknown))}"
                logger.warning("cancellation of unknown report requests: %s", description)
            else:
                code, description = ResponseCode.OK, None
        return OadrCanceledReport(
            ei_response=EiResponse(
                response_code=code, request_id=message.request_id, response_description=description
            ),
            pending_reports=self.pending(),
            ven_id=ven_id,
        )

    def on_updated_report(self, message: OadrUpdatedReport, *, ven_id: str) -> OadrCanceledReport | None:
        """The VTN's acknowledgement of an update: a cancellation riding on it (R1_3050) is
        applied as :meth:`cancel` does, and its answer returned; else None (nothing to send).
        An error code from the VTN is logged."""
        if message.ei_response.response_code != ResponseCode.OK:
            logger.warning(
                "the VTN answered an update with %s: %s",
                message.ei_response.response_code.value,
                message.ei_response.response_description,
            )
        if message.cancel_report is None:
            return None
        return self.cancel(message.cancel_report, ven_id=ven_id)

    def pending(self) -> tuple[str, ...]:
        """The reportRequestIDs still active (not those only owed a final update), oldest first."""
        return tuple(
            active.report_request_id for active in self._active.values() if active.final_owed_since is None
        )

    # -- what the VEN sends ----------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        """When :meth:`collect` next has something to do (a reading or an update; maybe already
        past), or None when no request is active."""
        return min((active.next_due() for active in self._active.values()), default=None)

    async def collect(self, *, request_id: str, ven_id: str) -> OadrUpdateReport | None:
        """Take the readings that are due and build the oadrUpdateReport of the updates that are
        due (one oadrReport per request), or None when no update is due.

        Requests whose last update this is (one-shot, history, final, ended) are gone after it.
        A data source that fails is logged and left out (see the module docstring).
        """
        now = self._clock()
        round_: _Round = {}
        reports: list[OadrReport] = []
        for active in list(self._active.values()):
            report = await self._step(active, now, round_)
            if report is not None:
                reports.append(report)
        if not reports:
            return None
        return OadrUpdateReport(request_id=request_id, reports=tuple(reports), ven_id=ven_id)

    def next_sample(self) -> datetime | None:
        """When :meth:`sample` next has a HISTORY_USAGE point to read (maybe already past), or
        None when the VEN offers no HISTORY_USAGE report."""
        now = self._clock()
        times = [
            self._sample_due(capability, point, now)
            for capability in self._capabilities.values()
            if capability.is_history
            for point in capability.points
        ]
        return min(times, default=None)

    async def sample(self) -> None:
        """Read the HISTORY_USAGE points that are due into the history buffer.

        Each point is read at most once per its ``min_period`` (its sampling period): the VEN may
        call this as often as it likes; calling it at :meth:`next_sample` reads every point once
        per period. A sample stands for ``[now, now + min_period)``. A failing source is logged
        and skipped, as in :meth:`collect`.
        """
        now = self._clock()
        due = [
            (capability, point)
            for capability in self._capabilities.values()
            if capability.is_history
            for point in capability.points
            if self._sample_due(capability, point, now) <= now
        ]
        values = await asyncio.gather(*(self._read(point) for _, point in due))
        for (capability, point), payload in zip(due, values, strict=True):
            self._last_sampled[capability.report_specifier_id, point.r_id] = now
            if payload is not None:
                self._history.add(
                    HistorySample(
                        report_specifier_id=capability.report_specifier_id,
                        r_id=point.r_id,
                        at=now,
                        duration=point.min_period,
                        payload=payload,
                    )
                )

    # -- persistence -----------------------------------------------------------------------------

    def snapshot(self) -> tuple[ActiveReportRequest, ...]:
        """The active requests, as records the VEN can store and :meth:`restore` later."""
        return tuple(
            ActiveReportRequest(
                request=active.request,
                accepted_at=active.accepted_at,
                last_sent=active.last_sent,
                final_update_owed=active.final_owed_since is not None,
            )
            for active in self._active.values()
        )

    def restore(self, records: Iterable[ActiveReportRequest]) -> None:
        """Replace the active requests with stored ones (after a restart). Readings and updates
        resume on the requests' rhythm from the last update; missed ones are not made up. A
        record the capabilities no longer allow (a report or rID since removed) is dropped with
        a warning; a final update still owed is due at once. A pending METADATA request is
        forgotten too (``restore([])`` starts afresh, as after a registration ends)."""
        now = self._clock()
        self._active = {}
        self._metadata_request_id = None
        for record in records:
            problem = self._problem(record.request)
            if problem is not None or self._is_metadata(record.request):
                logger.warning(
                    "stored report request %r dropped: %s",
                    record.report_request_id,
                    problem[1] if problem else "a METADATA request",
                )
                continue
            self._active[record.report_request_id] = self._schedule(
                record.request,
                accepted_at=record.accepted_at,
                last_sent=record.last_sent,
                final_owed_since=now if record.final_update_owed else None,
            )

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _is_metadata(request: OadrReportRequest) -> bool:
        return request.report_specifier.report_specifier_id == METADATA_REPORT_SPECIFIER_ID

    def _problem(self, request: OadrReportRequest) -> tuple[ResponseCode, str] | None:
        specifier = request.report_specifier
        if specifier.report_specifier_id == METADATA_REPORT_SPECIFIER_ID:
            return None
        capability = self._capabilities.get(specifier.report_specifier_id)
        if capability is None:
            return (
                ResponseCode.INVALID_ID,
                f"request {request.report_request_id!r}: no report {specifier.report_specifier_id!r}",
            )
        for payload in specifier.specifier_payloads:
            if capability.point(payload.r_id) is None:
                return (
                    ResponseCode.INVALID_ID,
                    f"request {request.report_request_id!r}: report {specifier.report_specifier_id!r} "
                    f"has no rID {payload.r_id!r}",
                )
        if specifier.granularity < _ZERO or specifier.report_back_duration < _ZERO:
            return (
                ResponseCode.INVALID_DATA,
                f"request {request.report_request_id!r}: negative granularity or reportBackDuration",
            )
        return None

    def _schedule(
        self,
        request: OadrReportRequest,
        *,
        accepted_at: datetime,
        last_sent: datetime | None,
        final_owed_since: datetime | None,
    ) -> _Active:
        specifier = request.report_specifier
        capability = self._capabilities[specifier.report_specifier_id]
        points = tuple(
            point
            for payload in specifier.specifier_payloads
            if (point := capability.point(payload.r_id)) is not None
        )
        interval = specifier.report_interval
        start = interval.dtstart if interval is not None else accepted_at
        end = interval.end if interval is not None and interval.duration > _ZERO else None
        granularity = specifier.granularity
        report_back = specifier.report_back_duration
        next_tick: datetime | None = None
        if capability.is_history:
            kind = _Kind.HISTORY
            next_send = accepted_at
        elif granularity == _ZERO and report_back == _ZERO:
            kind = _Kind.ONE_SHOT
            next_send = max(start, accepted_at)
        else:
            kind = _Kind.PERIODIC
            granularity = granularity or report_back
            report_back = report_back or granularity
            if last_sent is None:
                next_tick = start
                next_send = start + report_back
            else:
                next_tick = _first_at_or_after(start, granularity, last_sent)
                next_send = _first_at_or_after(start, report_back, last_sent + _INSTANT)
            if end is not None:
                next_send = min(next_send, end)
                if next_tick >= end:
                    next_tick = None
        return _Active(
            request=request,
            capability=capability,
            points=points,
            kind=kind,
            accepted_at=accepted_at,
            start=start,
            end=end,
            granularity=granularity,
            report_back=report_back,
            next_tick=next_tick,
            next_send=next_send,
            last_sent=last_sent,
            final_owed_since=final_owed_since,
        )

    async def _step(self, active: _Active, now: datetime, round_: _Round) -> OadrReport | None:
        """What ``collect`` does for one request at ``now``: maybe a reading, maybe an update."""
        if active.kind == _Kind.PERIODIC:
            await self._tick(active, now, round_)
        if active.final_owed_since is not None:
            intervals = list(active.readings)
            if not intervals and active.kind == _Kind.HISTORY:
                intervals = self._history_intervals(active)
            elif not intervals:
                reading = await self._interval(active, now, active.granularity, round_)
                intervals = [reading] if reading is not None else []
            return self._finish(active, now, intervals)
        if now < active.next_send:
            return None
        if active.kind == _Kind.HISTORY:
            return self._finish(active, now, self._history_intervals(active))
        if active.kind == _Kind.ONE_SHOT:
            reading = await self._interval(active, now, _ZERO, round_)
            return self._finish(active, now, [reading] if reading is not None else [])
        if active.end is not None and now >= active.end:
            return self._finish(active, now, [r for r in active.readings if _start(r) < active.end])
        boundary = _latest_at_or_before(active.start, active.report_back, now)
        due = [reading for reading in active.readings if _start(reading) < boundary]
        active.readings = [reading for reading in active.readings if _start(reading) >= boundary]
        active.next_send = boundary + active.report_back
        if active.end is not None:
            active.next_send = min(active.next_send, active.end)
        if not due:
            return None
        active.last_sent = now
        return self._report(active, now, due)

    async def _tick(self, active: _Active, now: datetime, round_: _Round) -> None:
        """Take the periodic reading that is due, if any, for the interval holding ``now``."""
        if active.next_tick is None or now < active.next_tick:
            return
        tick = max(active.next_tick, _latest_at_or_before(active.start, active.granularity, now))
        if active.end is not None and tick >= active.end:
            active.next_tick = None
            return
        reading = await self._interval(active, tick, active.granularity, round_)
        if reading is not None:
            active.readings.append(reading)
        active.next_tick = tick + active.granularity
        if active.end is not None and active.next_tick >= active.end:
            active.next_tick = None

    def _finish(self, active: _Active, now: datetime, intervals: list[ReportInterval]) -> OadrReport:
        self._active.pop(active.report_request_id, None)
        active.last_sent = now
        return self._report(active, now, intervals)

    @staticmethod
    def _report(active: _Active, now: datetime, intervals: Sequence[ReportInterval]) -> OadrReport:
        """The report, with one rID per interval: intervals of several rIDs are split into
        intervals of the same dtstart and duration. Both layouts are 2.0b; this one is also read
        by OpenLEADR 0.5.36, whose VTN fails (HTTP 500) on several payloads in one interval."""
        return OadrReport(
            report_request_id=active.report_request_id,
            report_specifier_id=active.capability.report_specifier_id,
            created_date_time=now,
            report_name=active.capability.name,
            intervals=tuple(
                replace(interval, payloads=(payload,))
                for interval in intervals
                for payload in interval.payloads
            ),
        )

    def _history_intervals(self, active: _Active) -> list[ReportInterval]:
        """The buffered samples of the request's rIDs (within its reportInterval, if it has
        one), one interval per sampling moment and period."""
        samples = self._history.select(
            active.capability.report_specifier_id,
            {point.r_id for point in active.points},
            active.request.report_specifier.report_interval,
        )
        groups: dict[tuple[datetime, timedelta], list[OadrReportPayload]] = {}
        for sample in samples:
            groups.setdefault((sample.at, sample.duration), []).append(
                OadrReportPayload(r_id=sample.r_id, payload=sample.payload)
            )
        return [
            ReportInterval(dtstart=at, duration=duration, payloads=tuple(payloads))
            for (at, duration), payloads in groups.items()
        ]

    async def _interval(
        self, active: _Active, dtstart: datetime, duration: timedelta, round_: _Round
    ) -> ReportInterval | None:
        """One reading of the request's points, or None when every point failed."""
        specifier_id = active.capability.report_specifier_id
        missing = [point for point in active.points if (specifier_id, point.r_id) not in round_]
        values = await asyncio.gather(*(self._read(point) for point in missing))
        for point, value in zip(missing, values, strict=True):
            round_[specifier_id, point.r_id] = value
        payloads = tuple(
            OadrReportPayload(r_id=point.r_id, payload=payload)
            for point in active.points
            if (payload := round_[specifier_id, point.r_id]) is not None
        )
        if not payloads:
            return None
        return ReportInterval(dtstart=dtstart, duration=duration, payloads=payloads)

    async def _read(self, point: DataPoint) -> PayloadBase | None:
        """The point's current value as a payload, or None (logged) when its source fails."""
        try:
            if self._read_timeout is None:
                value = await point.read()
            else:
                async with asyncio.timeout(self._read_timeout.total_seconds()):
                    value = await point.read()
            return _payload(value)
        except Exception:
            logger.exception("reading rID %r failed; it is left out of this round", point.r_id)
            return None

    def _sample_due(self, capability: ReportCapability, point: DataPoint, now: datetime) -> datetime:
        """When a point is next due; a point never sampled is due since ever (a fixed instant:
        "now" would move with every look, so that a caller comparing it with its own, earlier
        now would never find it due)."""
        last = self._last_sampled.get((capability.report_specifier_id, point.r_id))
        return _NEVER_SAMPLED if last is None else last + point.min_period


def _payload(value: DataValue) -> PayloadBase:
    """A data source's value as a payload.

    Raises:
        TypeError: not a number or a resource status (a bool is not a number here).
        ValueError: not finite.
    """
    if isinstance(value, OadrPayloadResourceStatus):
        return value
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise TypeError(f"a data source returned {type(value).__name__}, not a number or a resource status")
    number = (
        value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    )
    if not number.is_finite():
        raise ValueError(f"a data source returned {value!r}")
    return PayloadFloat(value=number)


def _start(interval: ReportInterval) -> datetime:
    assert interval.dtstart is not None
    return interval.dtstart


def _latest_at_or_before(anchor: datetime, period: timedelta, moment: datetime) -> datetime:
    """The latest ``anchor + k*period`` (k >= 0) at or before ``moment`` (``anchor`` if before)."""
    if moment <= anchor:
        return anchor
    return anchor + ((moment - anchor) // period) * period


def _first_at_or_after(anchor: datetime, period: timedelta, moment: datetime) -> datetime:
    """The first ``anchor + k*period`` (k >= 0) at or after ``moment``."""
    latest = _latest_at_or_before(anchor, period, moment)
    return latest if latest >= moment else latest + period
