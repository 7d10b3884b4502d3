"""EiReport on the VTN: the VENs' report capabilities, report requests, and delivered data."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from ..errors import LocalProtocolError, OpenADRError
from ..model import (
    METADATA_REPORT_SPECIFIER_ID,
    EiResponse,
    OadrCanceledReport,
    OadrCancelReport,
    OadrCreatedReport,
    OadrCreateReport,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportRequest,
    OadrResponse,
    OadrUpdatedReport,
    OadrUpdateReport,
    Properties,
    ReadingType,
    ReportName,
    ReportSpecifier,
    ResponseCode,
    SpecifierPayload,
)
from .core import VtnContext, call_handler, refuse, require_registered
from .policies import new_id
from .report_requests import OPEN_STATES, Trigger, canceled_trigger, data_trigger, next_state
from .store import ReportRequestRecord, ReportRequestState, StoredReport, VenRecord

__all__ = ["RequestOffered", "VtnReports", "report_request"]

logger = logging.getLogger("openadr_accel.vtn")

_REFUSED = ReportRequestState.REFUSED


def report_request(
    offered: OadrReport,
    *,
    r_ids: Sequence[str] | None = None,
    granularity: timedelta = timedelta(0),
    report_back_duration: timedelta = timedelta(0),
    start: datetime | None = None,
    duration: timedelta | None = None,
    report_request_id: str | None = None,
) -> OadrReportRequest:
    """A request for (some data points of) a report a VEN offered.

    Args:
        offered: one METADATA report of the VEN (from :meth:`VtnReports.capabilities`).
        r_ids: the data points wanted (default: all of them).
        granularity: the sampling interval; zero with ``report_back_duration`` zero asks for one
            report only.
        report_back_duration: how often the VEN sends what it sampled.
        start: the start of the report interval (without ``duration``, it is open-ended; for
            HISTORY reports, the start of the past span wanted).
        duration: the length of the report interval.

    Raises:
        LocalProtocolError: an rID the report does not offer, or no data points.
    """
    offered_points = {description.r_id: description for description in offered.descriptions}
    wanted = list(offered_points) if r_ids is None else list(r_ids)
    unknown = [r_id for r_id in wanted if r_id not in offered_points]
    if unknown:
        raise LocalProtocolError(
            f"report {offered.report_specifier_id!r} offers no data point {', '.join(map(repr, unknown))}"
        )
    if not wanted:
        raise LocalProtocolError(f"no data points requested of report {offered.report_specifier_id!r}")
    interval = None
    if start is not None:
        interval = Properties(dtstart=start, duration=duration or timedelta(0))
    return OadrReportRequest(
        report_request_id=report_request_id or new_id(),
        report_specifier=ReportSpecifier(
            report_specifier_id=offered.report_specifier_id,
            granularity=granularity,
            report_back_duration=report_back_duration,
            report_interval=interval,
            specifier_payloads=tuple(
                SpecifierPayload(r_id=r_id, reading_type=offered_points[r_id].reading_type) for r_id in wanted
            ),
        ),
    )


class RequestOffered:
    """A capabilities handler that asks every VEN for the reports it offers under some names, as
    soon as it registers them (the requests ride on the oadrRegisteredReport).

    Example: ``VtnHandlers(on_report_capabilities=RequestOffered({ReportName.METADATA_TELEMETRY_USAGE},
    granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)))``.
    """

    def __init__(
        self,
        names: Iterable[ReportName | str],
        *,
        granularity: timedelta,
        report_back_duration: timedelta,
    ) -> None:
        self.names = frozenset(ReportName(name) for name in names)
        self.granularity = granularity
        self.report_back_duration = report_back_duration

    async def __call__(self, ven: VenRecord, offered: Sequence[OadrReport]) -> Sequence[OadrReportRequest]:
        """One periodic request for each offered report with one of the names."""
        return [
            report_request(
                report, granularity=self.granularity, report_back_duration=self.report_back_duration
            )
            for report in offered
            if report.report_name in self.names and report.descriptions
        ]


class VtnReports:
    """Request and cancel reports, take in report data, and answer the VENs' report messages."""

    def __init__(self, context: VtnContext) -> None:
        self._context = context

    # -- the operator's API ----------------------------------------------------------------------

    async def capabilities(self, ven_id: str) -> list[OadrReport]:
        """The METADATA reports a VEN registered (its report capabilities)."""
        return await self._context.store.list_report_capabilities(ven_id)

    async def request(
        self,
        ven_id: str,
        report_specifier_id: str,
        *,
        r_ids: Sequence[str] | None = None,
        granularity: timedelta = timedelta(0),
        report_back_duration: timedelta = timedelta(0),
        start: datetime | None = None,
        duration: timedelta | None = None,
    ) -> ReportRequestRecord:
        """Ask a VEN for a report it offered, with an oadrCreateReport (one-shot when
        ``granularity`` and ``report_back_duration`` are zero, else periodic; a past ``start``
        asks a HISTORY report for that span). See :func:`report_request` for the arguments.

        Raises:
            LocalProtocolError: the VEN is not registered or did not offer that report or rID.
        """
        offered = await self._offered(ven_id, report_specifier_id)
        request = report_request(
            offered,
            r_ids=r_ids,
            granularity=granularity,
            report_back_duration=report_back_duration,
            start=start,
            duration=duration,
        )
        [record] = await self.request_several(ven_id, [request])
        return record

    async def request_several(
        self, ven_id: str, requests: Sequence[OadrReportRequest]
    ) -> list[ReportRequestRecord]:
        """Send several report requests in one oadrCreateReport (build them with
        :func:`report_request` from :meth:`capabilities`).

        Raises:
            LocalProtocolError: the VEN is not registered, a request names a report it did not
                offer, no requests, or two requests share a reportRequestID.
        """
        ven = await self._registered(ven_id)
        if not requests:
            raise LocalProtocolError("no report requests to send")
        ids = [request.report_request_id for request in requests]
        if len(set(ids)) != len(ids):
            raise LocalProtocolError(f"reportRequestIDs must differ: {ids}")
        offered = {report.report_specifier_id for report in await self.capabilities(ven_id)}
        for request in requests:
            if request.report_specifier.report_specifier_id not in offered:
                raise LocalProtocolError(
                    f"VEN {ven_id!r} offered no report {request.report_specifier.report_specifier_id!r}"
                )
        store = self._context.store
        message = OadrCreateReport(request_id=new_id(), report_requests=tuple(requests), ven_id=ven_id)
        async with store.transaction():
            records = [await self._record(ven, request, message.request_id) for request in requests]
            await self._context.send(ven, message)
        return records

    async def request_metadata(self, ven_id: str) -> None:
        """Ask a VEN to register its reports again (reportSpecifierID METADATA, rule 306)."""
        ven = await self._registered(ven_id)
        request = OadrReportRequest(
            report_request_id=new_id(),
            report_specifier=ReportSpecifier(
                report_specifier_id=METADATA_REPORT_SPECIFIER_ID,
                granularity=timedelta(0),
                report_back_duration=timedelta(0),
                specifier_payloads=(
                    SpecifierPayload(
                        r_id=METADATA_REPORT_SPECIFIER_ID, reading_type=ReadingType.NOT_APPLICABLE
                    ),
                ),
            ),
        )
        await self._context.send(
            ven, OadrCreateReport(request_id=new_id(), report_requests=(request,), ven_id=ven_id)
        )

    async def cancel(
        self, report_request_id: str, *, report_to_follow: bool = False, piggyback: bool = False
    ) -> None:
        """Cancel a report request.

        Args:
            report_to_follow: ask for one final update before the report stops.
            piggyback: do not queue an oadrCancelReport; carry the cancellation on the
                oadrUpdatedReport that answers the request's next update instead.

        Raises:
            LocalProtocolError: no such request, or it is over or being cancelled already.
        """
        store = self._context.store
        async with store.transaction():
            record = await store.get_report_request(report_request_id)
            if record is None:
                raise LocalProtocolError(f"no report request {report_request_id!r}")
            state = next_state(record, Trigger.CANCEL)
            if state is None:
                raise LocalProtocolError(f"report request {report_request_id!r} is {record.state}")
            message = (
                None if piggyback else _cancel_message(record.ven_id, (report_request_id,), report_to_follow)
            )
            await store.save_report_request(
                replace(
                    record,
                    state=state,
                    report_to_follow=report_to_follow,
                    piggyback_cancel=piggyback,
                    cancel_request_id=None if message is None else message.request_id,
                )
            )
            if message is not None:
                await self._context.send(await self._registered(record.ven_id), message)

    async def requests(
        self, ven_id: str | None = None, *, states: Sequence[ReportRequestState] | None = None
    ) -> list[ReportRequestRecord]:
        """Report requests, of one VEN or all, optionally only those in ``states``."""
        return await self._context.store.list_report_requests(ven_id, states=states)

    async def data(
        self, ven_id: str | None = None, *, report_request_id: str | None = None
    ) -> list[StoredReport]:
        """Delivered reports, as stored, in the order they arrived."""
        return await self._context.store.list_report_data(ven_id, report_request_id=report_request_id)

    async def send_register_report(self, ven: VenRecord) -> None:
        """Queue the VTN's own oadrRegisterReport for a VEN (it offers no reports: the VTN
        produces no report data)."""
        await self._context.send(ven, self._register_report(ven))

    # -- messages from VENs ----------------------------------------------------------------------

    async def on_register_report(self, message: OadrRegisterReport) -> OadrRegisteredReport:
        """A VEN's report capabilities: stored (replacing earlier ones); the capabilities handler
        may return report requests, which ride on the answer."""
        context = self._context
        ven = await require_registered(context, message.ven_id)
        await context.store.save_report_capabilities(ven.ven_id, message.reports)
        requests = await call_handler(context.handlers.on_report_capabilities, ven, message.reports) or ()
        if requests:
            offered = {report.report_specifier_id: report for report in message.reports}
            for request in requests:
                if request.report_specifier.report_specifier_id not in offered:
                    logger.error(
                        "the capabilities handler asked %s for report %r, which it did not offer",
                        ven.ven_id,
                        request.report_specifier.report_specifier_id,
                    )
                    raise OpenADRError(
                        "the VTN's application asked for a report the VEN did not offer",
                        response_code=ResponseCode.INTERNAL_SERVER_ERROR.value,
                    )
            async with context.store.transaction():
                for request in requests:
                    # a VEN's oadrCreatedReport about them echoes the requestID our answer echoes
                    await self._record(ven, request, message.request_id)
        return OadrRegisteredReport(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            report_requests=tuple(requests),
            ven_id=ven.ven_id,
        )

    async def on_update_report(self, message: OadrUpdateReport) -> OadrUpdatedReport:
        """Report data: each report must answer an outstanding request of this VEN, under the
        request's reportSpecifierID and with data points it asked for (rule 304, else 452 and
        nothing of the message is kept). Stored, then given to the report sink; pending
        piggy-back cancellations of the requests ride on the answer."""
        context = self._context
        ven = await require_registered(context, message.ven_id)
        store = context.store
        now = context.clock()
        delivered: list[tuple[OadrReport, ReportRequestRecord]] = []
        to_cancel: list[ReportRequestRecord] = []
        cancel_id = new_id()
        async with store.transaction():
            for report in message.reports:
                record = await store.get_report_request(report.report_request_id)
                if record is None or record.ven_id != ven.ven_id or record.state not in OPEN_STATES:
                    why = "" if record is None or record.ven_id != ven.ven_id else f" (it is {record.state})"
                    raise refuse(
                        ResponseCode.INVALID_ID,
                        f"reportRequestID {report.report_request_id!r} is not an outstanding request "
                        f"of this VEN{why} (rule 304)",
                        element="reportRequestID",
                    )
                _check_matches(report, record)
                state = next_state(record, data_trigger(record, now))
                if state is None:  # pragma: no cover - every open state accepts data in the table
                    raise AssertionError(f"no transition for data in {record.state}")
                if record.piggyback_cancel and (
                    not to_cancel or record.report_to_follow == to_cancel[0].report_to_follow
                ):
                    # one oadrCancelReport, one reportToFollow: a cancellation of the other kind
                    # waits for the next update
                    to_cancel.append(record)
                    record = replace(record, piggyback_cancel=False, cancel_request_id=cancel_id)
                await store.save_report_request(replace(record, state=state))
                await store.add_report_data(ven.ven_id, report, received_at=now)
                delivered.append((report, record))
        for report, record in delivered:
            await call_handler(context.handlers.on_report, ven, report, record)
        cancel = None
        if to_cancel:
            cancel = replace(
                _cancel_message(
                    ven.ven_id,
                    tuple(record.report_request_id for record in to_cancel),
                    to_cancel[0].report_to_follow,
                ),
                request_id=cancel_id,
            )
        return OadrUpdatedReport(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            cancel_report=cancel,
            ven_id=ven.ven_id,
        )

    async def on_created_report(self, message: OadrCreatedReport) -> OadrResponse:
        """The VEN's answer to report requests (see :mod:`.report_requests`): its requestID
        names the message that carried them; 200 accepts them (``created``), an error code
        refuses them all (``refused``: no longer outstanding, rule 304). The other requests it
        lists as pending are confirmed too. Always acknowledged with 200."""
        ven = await require_registered(self._context, message.ven_id)
        response = message.ei_response
        refused = response.response_code != ResponseCode.OK
        store = self._context.store
        async with store.transaction():
            carried = (
                await store.list_report_requests(ven.ven_id, create_request_id=response.request_id)
                if response.request_id
                else []
            )
            ended = [
                record.report_request_id
                for record in carried
                if await self._move(record, Trigger.REFUSED if refused else Trigger.CONFIRMED) is _REFUSED
            ]
            answered = {record.report_request_id for record in carried}
            for report_request_id in message.pending_reports:
                if report_request_id in answered:
                    continue  # refused with the message that carried it, or confirmed already
                listed = await store.get_report_request(report_request_id)
                if listed is None or listed.ven_id != ven.ven_id:
                    continue  # a pending report of a request we did not make: nothing to update
                await self._move(listed, Trigger.CONFIRMED)
        if ended:
            logger.info(
                "VEN %s refused report requests %s with %s: %s",
                ven.ven_id,
                ", ".join(ended),
                response.response_code.value,
                response.response_description,
            )
        return _ok(response.request_id, ven)

    async def on_canceled_report(self, message: OadrCanceledReport) -> OadrResponse:
        """The VEN confirms a cancellation (see :mod:`.report_requests`): the requests of the
        oadrCancelReport its requestID echoes (else, every request of the VEN whose cancellation
        was sent) end, or with reportToFollow await their final update. One without
        reportToFollow that the VEN still lists as pending stays ``cancel_requested``."""
        context = self._context
        ven = await require_registered(context, message.ven_id)
        store = context.store
        pending = set(message.pending_reports)
        request_id = message.ei_response.request_id
        async with store.transaction():
            named = []
            if request_id:
                named = await store.list_report_requests(ven.ven_id, cancel_request_id=request_id)
            if not named:  # an answer to no cancellation we know: take it for every one that was sent
                named = [
                    record
                    for record in await store.list_report_requests(
                        ven.ven_id, states=(ReportRequestState.CANCEL_REQUESTED,)
                    )
                    if not record.piggyback_cancel
                ]
            for record in named:
                if record.state != ReportRequestState.CANCEL_REQUESTED:
                    continue  # confirmed already
                if not record.report_to_follow and record.report_request_id in pending:
                    continue  # the VEN still reports it
                await self._move(record, canceled_trigger(record))
        return _ok(request_id, ven)

    async def on_create_report(self, message: OadrCreateReport) -> OadrCreatedReport:
        """A VEN asks the VTN for reports. The VTN produces no report data and offers none: a
        METADATA request (rule 306) is answered by queueing the VTN's oadrRegisterReport (with
        no reports); any other names a report the VTN did not offer, 452."""
        ven = await require_registered(self._context, message.ven_id)
        await self._answer_requests(ven, message.report_requests)
        return OadrCreatedReport(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            ven_id=ven.ven_id,
        )

    async def on_registered_report(self, message: OadrRegisteredReport) -> OadrResponse:
        """The VEN acknowledges the VTN's oadrRegisterReport; requests riding on it are treated as
        in :meth:`on_create_report`."""
        ven = await require_registered(self._context, message.ven_id)
        await self._answer_requests(ven, message.report_requests)
        return _ok(message.ei_response.request_id, ven)

    async def on_cancel_report(self, message: OadrCancelReport) -> OadrCanceledReport:
        """A VEN cancels reports of the VTN: the VTN holds none, so every ID is 452."""
        await require_registered(self._context, message.ven_id)
        raise refuse(
            ResponseCode.INVALID_ID,
            f"this VTN has no report request {message.report_request_ids[0]!r}",
            element="reportRequestID",
        )

    async def on_updated_report(self, message: OadrUpdatedReport) -> OadrResponse:
        """The VEN acknowledges report data of the VTN (the VTN sends none; answered 200)."""
        ven = await require_registered(self._context, message.ven_id)
        return _ok(message.ei_response.request_id, ven)

    # -- helpers ---------------------------------------------------------------------------------

    def _register_report(self, ven: VenRecord) -> OadrRegisterReport:
        # The VTN produces no report data, so it offers no report (VtnConfig.reports stays empty):
        # offering one would promise data its answer to a request for it (452) then refuses.
        return OadrRegisterReport(request_id=new_id(), reports=(), ven_id=ven.ven_id)

    async def _answer_requests(self, ven: VenRecord, requests: Sequence[OadrReportRequest]) -> None:
        for request in requests:
            specifier_id = request.report_specifier.report_specifier_id
            if specifier_id != METADATA_REPORT_SPECIFIER_ID:
                raise refuse(
                    ResponseCode.INVALID_ID,
                    f"this VTN offers no report {specifier_id!r}",
                    element="reportSpecifierID",
                )
        if requests:
            await self.send_register_report(ven)

    async def _move(self, record: ReportRequestRecord, trigger: Trigger) -> ReportRequestState | None:
        """Apply ``trigger`` to a stored request if the table allows it (else nothing); the state
        it moved to, if it changed."""
        state = next_state(record, trigger)
        if state is None or state == record.state:
            return None
        await self._context.store.save_report_request(replace(record, state=state))
        return state

    async def _record(
        self, ven: VenRecord, request: OadrReportRequest, create_request_id: str
    ) -> ReportRequestRecord:
        record = ReportRequestRecord(
            ven_id=ven.ven_id,
            request=request,
            state=ReportRequestState.REQUESTED,
            created_at=self._context.clock(),
            create_request_id=create_request_id or None,
        )
        await self._context.store.save_report_request(record)
        return record

    async def _registered(self, ven_id: str) -> VenRecord:
        ven = await self._context.store.get_ven(ven_id)
        if ven is None or not ven.registered:
            raise LocalProtocolError(f"VEN {ven_id!r} is not registered")
        return ven

    async def _offered(self, ven_id: str, report_specifier_id: str) -> OadrReport:
        for report in await self._context.store.list_report_capabilities(ven_id):
            if report.report_specifier_id == report_specifier_id:
                return report
        raise LocalProtocolError(f"VEN {ven_id!r} offered no report {report_specifier_id!r}")


def _check_matches(report: OadrReport, record: ReportRequestRecord) -> None:
    """Refuse (452) a report whose reportSpecifierID is not its request's, or that carries a
    data point (rID) the request did not ask for (rule 304). Fewer points than asked for are
    fine: a VEN leaves out a point it could not read."""
    specifier = record.request.report_specifier
    if report.report_specifier_id != specifier.report_specifier_id:
        raise refuse(
            ResponseCode.INVALID_ID,
            f"the report for request {record.report_request_id!r} names reportSpecifierID "
            f"{report.report_specifier_id!r}; the request is for {specifier.report_specifier_id!r} "
            "(rule 304)",
            element="reportSpecifierID",
        )
    asked = {point.r_id for point in specifier.specifier_payloads}
    unknown = sorted({p.r_id for interval in report.intervals for p in interval.payloads} - asked)
    if unknown:
        raise refuse(
            ResponseCode.INVALID_ID,
            f"the report for request {record.report_request_id!r} carries rID "
            f"{', '.join(map(repr, unknown))}, which the request did not ask for "
            f"(it asks for {', '.join(map(repr, sorted(asked)))}; rule 304)",
            element="rID",
        )


def _cancel_message(
    ven_id: str, report_request_ids: tuple[str, ...], report_to_follow: bool
) -> OadrCancelReport:
    return OadrCancelReport(
        request_id=new_id(),
        report_request_ids=report_request_ids,
        report_to_follow=report_to_follow,
        ven_id=ven_id,
    )


def _ok(request_id: str, ven: VenRecord) -> OadrResponse:
    return OadrResponse(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=request_id), ven_id=ven.ven_id
    )
