"""EiReport with the VTN as the device under test (the R1_30xx cases), over loopback HTTP.

The VEN side is the harness's thin client: it POSTs the documents a VEN would send and the tests
check what the VTN answers, what it queues for the VEN's polls and what it keeps in its store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from vtn_harness import START, RunningVtn, VenClient, ok, running_vtn

from openadr_accel.errors import LocalProtocolError
from openadr_accel.model import (
    METADATA_REPORT_SPECIFIER_ID,
    UNSOLICITED_REPORT_REQUEST_ID,
    EiResponse,
    EnergyReal,
    OadrCanceledPartyRegistration,
    OadrCanceledReport,
    OadrCancelPartyRegistration,
    OadrCancelReport,
    OadrCreatedReport,
    OadrCreateReport,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportDescription,
    OadrReportPayload,
    OadrReportRequest,
    OadrResponse,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    ReadingType,
    ReportInterval,
    ReportName,
    ReportSpecifier,
    ReportType,
    ResponseCode,
    SpecifierPayload,
)
from openadr_accel.vtn import VtnConfig, VtnHandlers, report_request
from openadr_accel.vtn.store import ReportRequestRecord, ReportRequestState, VenRecord

TELEMETRY = "telemetry-1"
HISTORY = "history-1"
STATUS = "status-1"


def description(r_id: str, *, energy: bool = False) -> OadrReportDescription:
    item_base = (
        EnergyReal()
        if energy
        else PowerReal(attributes=PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True))
    )
    return OadrReportDescription(
        r_id=r_id, report_type=ReportType.USAGE, reading_type=ReadingType.DIRECT_READ, item_base=item_base
    )


def metadata(specifier_id: str, name: ReportName, *r_ids: str) -> OadrReport:
    return OadrReport(
        report_request_id=UNSOLICITED_REPORT_REQUEST_ID,
        report_specifier_id=specifier_id,
        report_name=name,
        created_date_time=START,
        duration=timedelta(hours=1),
        descriptions=tuple(description(r_id, energy=r_id.startswith("energy")) for r_id in r_ids),
    )


def ven_capabilities() -> tuple[OadrReport, ...]:
    """What the test VEN offers: telemetry usage (power, energy), history usage, and a status-like
    telemetry report (R1_3010 asks a one-shot TELEMETRY_STATUS)."""
    return (
        metadata(TELEMETRY, ReportName.METADATA_TELEMETRY_USAGE, "power", "energy"),
        metadata(HISTORY, ReportName.METADATA_HISTORY_USAGE, "energy"),
        metadata(STATUS, ReportName.METADATA_TELEMETRY_STATUS, "power"),
    )


def data_report(
    report_request_id: str, specifier_id: str = TELEMETRY, *, r_id: str = "power", value: str = "7.4"
) -> OadrReport:
    return OadrReport(
        report_request_id=report_request_id,
        report_specifier_id=specifier_id,
        report_name=ReportName.TELEMETRY_USAGE,
        created_date_time=START,
        dtstart=START,
        duration=timedelta(minutes=1),
        intervals=(
            ReportInterval(
                dtstart=START,
                duration=timedelta(minutes=1),
                payloads=(OadrReportPayload(r_id=r_id, payload=PayloadFloat(value=Decimal(value))),),
            ),
        ),
    )


@dataclass
class Flow:
    """A running VTN and one registered pull VEN that offered :func:`ven_capabilities`."""

    server: RunningVtn
    ven: VenClient
    session: aiohttp.ClientSession

    @property
    def ven_id(self) -> str:
        assert self.ven.ven_id is not None
        return self.ven.ven_id

    async def update(self, *reports: OadrReport, request_id: str = "up-1") -> OadrUpdatedReport:
        answer = await self.ven.post(
            "EiReport", OadrUpdateReport(request_id=request_id, reports=reports, ven_id=self.ven_id)
        )
        assert isinstance(answer, OadrUpdatedReport), answer
        return answer

    async def register_reports(self, reports: Sequence[OadrReport]) -> OadrRegisteredReport:
        answer = await self.ven.post(
            "EiReport", OadrRegisterReport(request_id="rr-1", reports=tuple(reports), ven_id=self.ven_id)
        )
        assert isinstance(answer, OadrRegisteredReport), answer
        return answer

    async def state(self, report_request_id: str) -> ReportRequestState:
        [record] = [
            record
            for record in await self.server.vtn.reports.requests(self.ven_id)
            if record.report_request_id == report_request_id
        ]
        return record.state

    async def data_count(self) -> int:
        return len(await self.server.vtn.reports.data(self.ven_id))

    async def created_report(
        self, *pending: str, request_id: str = "", response_code: ResponseCode = ResponseCode.OK
    ) -> Payload:
        """The VEN's oadrCreatedReport: ``request_id`` echoes the message that carried the
        requests it answers."""
        response = EiResponse(response_code=response_code, request_id=request_id)
        return await self.ven.post(
            "EiReport", OadrCreatedReport(ei_response=response, pending_reports=pending, ven_id=self.ven_id)
        )

    async def canceled_report(self, *pending: str, request_id: str = "") -> Payload:
        """The VEN's oadrCanceledReport: ``request_id`` echoes the oadrCancelReport it answers."""
        return await self.ven.post(
            "EiReport",
            OadrCanceledReport(ei_response=ok(request_id), pending_reports=pending, ven_id=self.ven_id),
        )


@asynccontextmanager
async def flow(
    tmp_path: Path,
    *,
    handlers: VtnHandlers | None = None,
    config: VtnConfig | None = None,
    register_reports: bool = True,
) -> AsyncIterator[Flow]:
    async with (
        running_vtn(tmp_path, handlers=handlers, config=config) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = VenClient(session, server.url)
        created = await ven.register(ven_name="reporting-ven")
        assert created.ei_response.response_code == ResponseCode.OK
        queued = await ven.drain()
        assert [type(message) for message in queued] == [OadrRegisterReport]
        result = Flow(server, ven, session)
        if register_reports:
            registered = await result.register_reports(ven_capabilities())
            assert registered.ei_response.response_code == ResponseCode.OK
        yield result


def code(answer: Payload) -> ResponseCode:
    ei_response = getattr(answer, "ei_response", None)
    assert ei_response is not None, answer
    return ei_response.response_code


async def requested(f: Flow, specifier_id: str = TELEMETRY, **arguments: object) -> ReportRequestRecord:
    """``vtn.reports.request`` and the VEN's poll that fetches the oadrCreateReport."""
    record, _ = await requested_with_message(f, specifier_id, **arguments)
    return record


async def requested_with_message(
    f: Flow, specifier_id: str = TELEMETRY, **arguments: object
) -> tuple[ReportRequestRecord, OadrCreateReport]:
    """:func:`requested`, and the oadrCreateReport the VEN fetched."""
    record = await f.server.vtn.reports.request(f.ven_id, specifier_id, **arguments)  # type: ignore[arg-type]
    [create] = await f.ven.drain()
    assert isinstance(create, OadrCreateReport)
    assert [request.report_request_id for request in create.report_requests] == [record.report_request_id]
    assert create.ven_id == f.ven_id
    return record, create


# --- the VEN's capabilities -----------------------------------------------------------------------


async def test_register_report_is_stored_and_replaced_as_a_whole(tmp_path: Path) -> None:
    async with flow(tmp_path, register_reports=False) as f:
        registered = await f.register_reports(ven_capabilities())
        assert registered.ei_response.response_code == ResponseCode.OK
        assert registered.ei_response.request_id == "rr-1"
        assert registered.report_requests == ()
        stored = await f.server.vtn.reports.capabilities(f.ven_id)
        assert [report.report_specifier_id for report in stored] == [TELEMETRY, HISTORY, STATUS]
        assert [d.r_id for d in stored[0].descriptions] == ["power", "energy"]

        replacement = metadata("other-1", ReportName.METADATA_TELEMETRY_USAGE, "power")
        await f.register_reports([replacement])
        stored = await f.server.vtn.reports.capabilities(f.ven_id)
        assert [report.report_specifier_id for report in stored] == ["other-1"]
        with pytest.raises(LocalProtocolError):
            await f.server.vtn.reports.request(f.ven_id, TELEMETRY)


async def test_register_report_from_an_unregistered_ven_is_463_and_not_stored(tmp_path: Path) -> None:
    async with flow(tmp_path, register_reports=False) as f:
        answer = await f.ven.post(
            "EiReport", OadrRegisterReport(request_id="rr-x", reports=ven_capabilities(), ven_id="nobody")
        )
        assert isinstance(answer, OadrRegisteredReport)
        assert code(answer) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await f.server.vtn.reports.capabilities("nobody") == []


async def test_capability_requests_ride_on_registered_report_r1_3060(tmp_path: Path) -> None:
    seen: list[tuple[VenRecord, Sequence[OadrReport]]] = []

    async def capabilities(ven: VenRecord, reports: Sequence[OadrReport]) -> Sequence[OadrReportRequest]:
        seen.append((ven, reports))
        by_id = {report.report_specifier_id: report for report in reports}
        return [
            report_request(
                by_id[TELEMETRY],
                r_ids=["power"],
                granularity=timedelta(minutes=1),
                report_back_duration=timedelta(minutes=1),
                report_request_id="piggy-1",
            ),
            report_request(by_id[STATUS], report_request_id="piggy-2"),
        ]

    async with flow(
        tmp_path, handlers=VtnHandlers(on_report_capabilities=capabilities), register_reports=False
    ) as f:
        registered = await f.register_reports(ven_capabilities())
        assert registered.ei_response.response_code == ResponseCode.OK
        # R1_3030 too: two report requests in one message
        assert [r.report_request_id for r in registered.report_requests] == ["piggy-1", "piggy-2"]
        first = registered.report_requests[0].report_specifier
        assert first.report_specifier_id == TELEMETRY
        assert first.granularity == timedelta(minutes=1)
        assert [p.r_id for p in first.specifier_payloads] == ["power"]
        [(ven, reports)] = seen
        assert ven.ven_id == f.ven_id
        assert [r.report_specifier_id for r in reports] == [TELEMETRY, HISTORY, STATUS]

        records = await f.server.vtn.reports.requests(f.ven_id)
        assert sorted(r.report_request_id for r in records) == ["piggy-1", "piggy-2"]
        assert {r.state for r in records} == {ReportRequestState.REQUESTED}
        assert await f.ven.drain() == []  # nothing queued: the requests rode on the answer

        # the requests are outstanding: the VEN's data for them is accepted (rule 304)
        answer = await f.update(data_report("piggy-1"), data_report("piggy-2", STATUS))
        assert answer.ei_response.response_code == ResponseCode.OK
        assert await f.state("piggy-1") == ReportRequestState.CREATED
        assert await f.state("piggy-2") == ReportRequestState.COMPLETED


# --- report requests of the VTN -------------------------------------------------------------------


async def test_one_shot_report_r1_3010(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, STATUS)
        assert record.one_shot
        assert record.state == ReportRequestState.REQUESTED
        specifier = record.request.report_specifier
        assert specifier.granularity == timedelta(0)
        assert specifier.report_back_duration == timedelta(0)

        confirmed = await f.created_report(record.report_request_id)
        assert isinstance(confirmed, OadrResponse)
        assert code(confirmed) == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CREATED

        answer = await f.update(data_report(record.report_request_id, STATUS))
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.ei_response.request_id == "up-1"
        assert answer.cancel_report is None
        assert await f.state(record.report_request_id) == ReportRequestState.COMPLETED
        assert await f.data_count() == 1

        again = await f.update(data_report(record.report_request_id, STATUS, value="9"), request_id="up-2")
        assert again.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 1


async def test_periodic_report_takes_two_updates_r1_3020(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(
            f, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=2)
        )
        assert not record.one_shot
        first = await f.update(data_report(record.report_request_id, value="1"), request_id="up-1")
        assert first.ei_response.response_code == ResponseCode.OK
        f.server.clock.advance(timedelta(minutes=2))
        second = await f.update(data_report(record.report_request_id, value="2"), request_id="up-2")
        assert second.ei_response.response_code == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CREATED
        stored = await f.server.vtn.reports.data(f.ven_id, report_request_id=record.report_request_id)
        values = [s.report.intervals[0].payloads[0].payload for s in stored]
        assert values == [PayloadFloat(value=Decimal(1)), PayloadFloat(value=Decimal(2))]
        assert [s.received_at for s in stored] == [START, START + timedelta(minutes=2)]


async def test_history_report_of_all_buffered_data_r1_3130(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        since = START - timedelta(days=1)
        record = await requested(f, HISTORY, start=since)
        interval = record.request.report_specifier.report_interval
        assert interval is not None
        assert interval.dtstart == since
        answer = await f.update(data_report(record.report_request_id, HISTORY, r_id="energy"))
        assert answer.ei_response.response_code == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.COMPLETED


async def test_history_report_of_a_past_span_ends_with_its_update_r1_3140(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        since = START - timedelta(minutes=30)
        record = await requested(
            f, HISTORY, start=since, duration=timedelta(minutes=30), granularity=timedelta(minutes=5)
        )
        assert not record.one_shot
        interval = record.request.report_specifier.report_interval
        assert interval is not None
        assert (interval.dtstart, interval.duration) == (since, timedelta(minutes=30))
        answer = await f.update(data_report(record.report_request_id, HISTORY, r_id="energy"))
        assert answer.ei_response.response_code == ResponseCode.OK
        # the span is over: its one update completes the request, and a second one is refused
        assert await f.state(record.report_request_id) == ReportRequestState.COMPLETED
        again = await f.update(data_report(record.report_request_id, HISTORY, r_id="energy"))
        assert again.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 1


async def test_several_requests_in_one_flow_r1_3030_r1_3180(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        vtn = f.server.vtn
        periodic = await vtn.reports.request(
            f.ven_id, TELEMETRY, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        one_shot = await vtn.reports.request(f.ven_id, STATUS)
        queued = await f.ven.drain()
        assert [type(message) for message in queued] == [OadrCreateReport, OadrCreateReport]
        assert [
            message.report_requests[0].report_request_id
            for message in queued
            if isinstance(message, OadrCreateReport)
        ] == [periodic.report_request_id, one_shot.report_request_id]

        confirmed = await f.created_report(periodic.report_request_id, one_shot.report_request_id)
        assert code(confirmed) == ResponseCode.OK
        assert await f.state(periodic.report_request_id) == ReportRequestState.CREATED
        assert await f.state(one_shot.report_request_id) == ReportRequestState.CREATED

        # one oadrUpdateReport carrying a report for each request
        answer = await f.update(
            data_report(periodic.report_request_id), data_report(one_shot.report_request_id, STATUS)
        )
        assert answer.ei_response.response_code == ResponseCode.OK
        assert await f.state(periodic.report_request_id) == ReportRequestState.CREATED
        assert await f.state(one_shot.report_request_id) == ReportRequestState.COMPLETED
        assert len(await vtn.reports.data(f.ven_id, report_request_id=periodic.report_request_id)) == 1
        assert len(await vtn.reports.data(f.ven_id, report_request_id=one_shot.report_request_id)) == 1


async def test_several_requests_in_one_create_report_r1_3030(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        reports = f.server.vtn.reports
        offered = {report.report_specifier_id: report for report in await reports.capabilities(f.ven_id)}
        periodic = report_request(
            offered[TELEMETRY], granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        one_shot = report_request(offered[STATUS])
        records = await reports.request_several(f.ven_id, [periodic, one_shot])
        assert [record.report_request_id for record in records] == [
            periodic.report_request_id,
            one_shot.report_request_id,
        ]
        [message] = await f.ven.drain()
        assert isinstance(message, OadrCreateReport)
        assert message.report_requests == (periodic, one_shot)

        with pytest.raises(LocalProtocolError, match="must differ"):
            await reports.request_several(f.ven_id, [periodic, periodic])
        foreign = replace(
            periodic,
            report_request_id="other",
            report_specifier=replace(periodic.report_specifier, report_specifier_id="not-offered"),
        )
        with pytest.raises(LocalProtocolError, match="offered no report"):
            await reports.request_several(f.ven_id, [foreign])
        with pytest.raises(LocalProtocolError, match="no report requests"):
            await reports.request_several(f.ven_id, [])
        assert len(await reports.requests(f.ven_id)) == 2
        assert await f.ven.drain() == []


@pytest.mark.parametrize(
    ("specifier_id", "r_ids"),
    [("no-such-report", None), (TELEMETRY, ["no-such-point"]), (TELEMETRY, [])],
    ids=["unknown-report", "unknown-rID", "no-rID"],
)
async def test_request_of_what_the_ven_does_not_offer_is_refused(
    tmp_path: Path, specifier_id: str, r_ids: list[str] | None
) -> None:
    async with flow(tmp_path) as f:
        with pytest.raises(LocalProtocolError):
            await f.server.vtn.reports.request(f.ven_id, specifier_id, r_ids=r_ids)
        assert await f.server.vtn.reports.requests(f.ven_id) == []
        assert await f.ven.drain() == []


async def test_request_for_an_unregistered_ven_is_refused(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        with pytest.raises(LocalProtocolError):
            await f.server.vtn.reports.request("nobody", TELEMETRY)
        with pytest.raises(LocalProtocolError):
            await f.server.vtn.reports.request_metadata("nobody")


async def test_created_report_marks_only_this_vens_requests_created(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, granularity=timedelta(minutes=1))
        answer = await f.created_report("not-a-request")
        assert code(answer) == ResponseCode.OK  # a pending report the VTN did not ask for: ignored
        assert await f.state(record.report_request_id) == ReportRequestState.REQUESTED
        answer = await f.created_report(record.report_request_id)
        assert code(answer) == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CREATED


# --- rule 304 ---------------------------------------------------------------------------------------


async def test_update_for_an_unknown_request_is_452_and_not_stored(tmp_path: Path) -> None:
    reports: list[tuple[object, ...]] = []

    async def sink(*args: object) -> None:
        reports.append(args)

    async with flow(tmp_path, handlers=VtnHandlers(on_report=sink)) as f:
        answer = await f.update(data_report("never-requested"))
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 0
        # the unsolicited reportRequestID "0" is no outstanding request either
        answer = await f.update(data_report(UNSOLICITED_REPORT_REQUEST_ID))
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 0

        # one bad report spoils the whole message: the good one is not kept either
        record = await requested(f, granularity=timedelta(minutes=1))
        answer = await f.update(data_report(record.report_request_id), data_report("never-requested"))
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 0
        assert await f.state(record.report_request_id) == ReportRequestState.REQUESTED
        assert reports == []


async def test_update_for_another_vens_request_is_452_and_not_stored(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, granularity=timedelta(minutes=1))
        other = VenClient(f.session, f.server.url)
        created = await other.register(ven_name="other-ven")
        assert created.ei_response.response_code == ResponseCode.OK
        assert other.ven_id is not None
        answer = await other.post(
            "EiReport",
            OadrUpdateReport(
                request_id="up-x", reports=(data_report(record.report_request_id),), ven_id=other.ven_id
            ),
        )
        assert isinstance(answer, OadrUpdatedReport)
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.server.vtn.reports.data() == []
        assert await f.state(record.report_request_id) == ReportRequestState.REQUESTED


# --- cancellation -----------------------------------------------------------------------------------


async def test_cancel_queued_r1_3040(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        vtn = f.server.vtn
        record = await requested(
            f, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        await f.created_report(record.report_request_id)
        await vtn.reports.cancel(record.report_request_id)
        assert await f.state(record.report_request_id) == ReportRequestState.CANCEL_REQUESTED
        [cancel] = await f.ven.drain()
        assert isinstance(cancel, OadrCancelReport)
        assert cancel.report_request_ids == (record.report_request_id,)
        assert cancel.report_to_follow is False
        assert cancel.ven_id == f.ven_id

        # data sent before the VEN saw the cancellation is still taken
        late = await f.update(data_report(record.report_request_id))
        assert late.ei_response.response_code == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CANCEL_REQUESTED

        canceled = await f.canceled_report()
        assert isinstance(canceled, OadrResponse)
        assert code(canceled) == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CANCELLED

        after = await f.update(data_report(record.report_request_id))
        assert after.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 1
        with pytest.raises(LocalProtocolError):
            await vtn.reports.cancel(record.report_request_id)
        with pytest.raises(LocalProtocolError):
            await vtn.reports.cancel("no-such-request")


async def test_canceled_report_still_listing_the_request_keeps_it_cancel_requested(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, granularity=timedelta(minutes=1))
        await f.server.vtn.reports.cancel(record.report_request_id)
        await f.ven.drain()
        answer = await f.canceled_report(record.report_request_id)
        assert code(answer) == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CANCEL_REQUESTED


async def test_cancel_with_report_to_follow_takes_one_more_update_r1_3045(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(
            f, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        await f.server.vtn.reports.cancel(record.report_request_id, report_to_follow=True)
        [cancel] = await f.ven.drain()
        assert isinstance(cancel, OadrCancelReport)
        assert cancel.report_to_follow is True
        # the VEN confirms while its final report is still to come (still listed as pending)
        canceled = await f.canceled_report(record.report_request_id, request_id=cancel.request_id)
        assert code(canceled) == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.FINAL_UPDATE_DUE

        final = await f.update(data_report(record.report_request_id, value="3"))
        assert final.ei_response.response_code == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CANCELLED
        after = await f.update(data_report(record.report_request_id, value="4"))
        assert after.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 1


async def test_piggy_backed_cancel_rides_on_the_next_updated_report_r1_3050(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(
            f, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        await f.server.vtn.reports.cancel(record.report_request_id, piggyback=True)
        assert await f.ven.drain() == []  # nothing queued
        [pending] = await f.server.vtn.reports.requests(f.ven_id)
        assert pending.state == ReportRequestState.CANCEL_REQUESTED
        assert pending.piggyback_cancel

        answer = await f.update(data_report(record.report_request_id))
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.cancel_report is not None
        assert answer.cancel_report.report_request_ids == (record.report_request_id,)
        assert answer.cancel_report.report_to_follow is False
        [sent] = await f.server.vtn.reports.requests(f.ven_id)
        assert sent.state == ReportRequestState.CANCEL_REQUESTED
        assert not sent.piggyback_cancel

        # a second update before the VEN confirmed does not carry the cancellation again
        again = await f.update(data_report(record.report_request_id), request_id="up-2")
        assert again.ei_response.response_code == ResponseCode.OK
        assert again.cancel_report is None

        await f.canceled_report()
        assert await f.state(record.report_request_id) == ReportRequestState.CANCELLED
        after = await f.update(data_report(record.report_request_id), request_id="up-3")
        assert after.ei_response.response_code == ResponseCode.INVALID_ID


async def test_registration_ending_cancels_open_requests(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        open_one = await requested(f, granularity=timedelta(minutes=1))
        done = await requested(f, STATUS)
        await f.update(data_report(done.report_request_id, STATUS))
        assert await f.state(done.report_request_id) == ReportRequestState.COMPLETED
        assert f.ven.registration_id is not None

        answer = await f.ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(
                request_id="cancel-1", registration_id=f.ven.registration_id, ven_id=f.ven_id
            ),
        )
        assert isinstance(answer, OadrCanceledPartyRegistration)
        assert code(answer) == ResponseCode.OK
        assert await f.state(open_one.report_request_id) == ReportRequestState.CANCELLED
        assert await f.state(done.report_request_id) == ReportRequestState.COMPLETED


async def test_a_new_registration_cancels_the_open_requests_of_the_old_one(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, granularity=timedelta(minutes=1))
        again = await f.ven.register(ven_name="reporting-ven", ven_id=f.ven_id)
        assert again.ei_response.response_code == ResponseCode.OK
        assert again.ven_id == f.ven_id
        assert await f.state(record.report_request_id) == ReportRequestState.CANCELLED
        answer = await f.update(data_report(record.report_request_id))
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID


# --- METADATA ---------------------------------------------------------------------------------------


async def test_request_metadata_queues_create_report_for_metadata_r1_3170(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        await f.server.vtn.reports.request_metadata(f.ven_id)
        [create] = await f.ven.drain()
        assert isinstance(create, OadrCreateReport)
        [request] = create.report_requests
        assert request.report_specifier.report_specifier_id == METADATA_REPORT_SPECIFIER_ID
        # the VEN answers with its (new) capabilities, which replace the old ones
        await f.register_reports([metadata("fresh-1", ReportName.METADATA_TELEMETRY_USAGE, "power")])
        assert [r.report_specifier_id for r in await f.server.vtn.reports.capabilities(f.ven_id)] == [
            "fresh-1"
        ]


def metadata_request(specifier_id: str = METADATA_REPORT_SPECIFIER_ID) -> OadrReportRequest:
    return OadrReportRequest(
        report_request_id="ven-req-1",
        report_specifier=ReportSpecifier(
            report_specifier_id=specifier_id,
            granularity=timedelta(0),
            report_back_duration=timedelta(0),
            specifier_payloads=(
                SpecifierPayload(r_id=METADATA_REPORT_SPECIFIER_ID, reading_type=ReadingType.NOT_APPLICABLE),
            ),
        ),
    )


async def test_ven_asking_the_vtns_metadata_gets_its_register_report(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        answer = await f.ven.post(
            "EiReport",
            OadrCreateReport(request_id="vcr-1", report_requests=(metadata_request(),), ven_id=f.ven_id),
        )
        assert isinstance(answer, OadrCreatedReport)
        assert code(answer) == ResponseCode.OK
        assert answer.ei_response.request_id == "vcr-1"
        [register] = await f.ven.drain()
        assert isinstance(register, OadrRegisterReport)
        assert register.ven_id == f.ven_id


async def test_ven_asking_the_vtns_metadata_on_registered_report_gets_its_register_report(
    tmp_path: Path,
) -> None:
    async with flow(tmp_path) as f:
        answer = await f.ven.post(
            "EiReport",
            OadrRegisteredReport(ei_response=ok("x"), report_requests=(metadata_request(),), ven_id=f.ven_id),
        )
        assert isinstance(answer, OadrResponse)
        assert code(answer) == ResponseCode.OK
        queued = await f.ven.drain()
        assert [type(message) for message in queued] == [OadrRegisterReport]


async def test_ven_asking_any_other_vtn_report_is_452(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        answer = await f.ven.post(
            "EiReport",
            OadrCreateReport(
                request_id="vcr-2", report_requests=(metadata_request("vtn-telemetry"),), ven_id=f.ven_id
            ),
        )
        assert isinstance(answer, OadrCreatedReport)
        assert code(answer) == ResponseCode.INVALID_ID
        assert await f.ven.drain() == []


async def test_ven_cancelling_a_vtn_report_is_452(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        answer = await f.ven.post(
            "EiReport",
            OadrCancelReport(
                request_id="vcx-1", report_request_ids=("whatever",), report_to_follow=False, ven_id=f.ven_id
            ),
        )
        assert isinstance(answer, OadrCanceledReport)
        assert code(answer) == ResponseCode.INVALID_ID


# --- the report sink and the VTN's own reports --------------------------------------------------------


async def test_report_sink_gets_each_report_after_it_is_stored(tmp_path: Path) -> None:
    delivered: list[tuple[str, str, str, int]] = []
    holder: list[Flow] = []

    async def sink(ven: VenRecord, report: OadrReport, record: ReportRequestRecord) -> None:
        stored = await holder[0].server.vtn.reports.data(ven.ven_id)
        delivered.append((ven.ven_id, report.report_request_id, record.report_request_id, len(stored)))

    async with flow(tmp_path, handlers=VtnHandlers(on_report=sink)) as f:
        holder.append(f)
        periodic = await requested(f, granularity=timedelta(minutes=1))
        one_shot = await requested(f, STATUS)
        await f.update(
            data_report(periodic.report_request_id), data_report(one_shot.report_request_id, STATUS)
        )
        await f.update(data_report(periodic.report_request_id), request_id="up-2")
        assert delivered == [
            (f.ven_id, periodic.report_request_id, periodic.report_request_id, 2),
            (f.ven_id, one_shot.report_request_id, one_shot.report_request_id, 2),
            (f.ven_id, periodic.report_request_id, periodic.report_request_id, 3),
        ]


def test_a_vtn_cannot_be_configured_to_offer_reports_it_would_refuse() -> None:
    """The VTN produces no report data: offering reports (VtnConfig.reports) would promise what
    its answer to a request for them (452) refuses, so such a configuration is refused."""
    own = metadata("vtn-telemetry", ReportName.METADATA_TELEMETRY_USAGE, "power")
    with pytest.raises(ValueError, match=r"produces no report data.*'vtn-telemetry'"):
        VtnConfig(vtn_id="test-vtn", reports=(own,))
    assert VtnConfig(vtn_id="test-vtn", reports=()).reports == ()


async def test_vtn_without_reports_sends_an_empty_register_report(tmp_path: Path) -> None:
    async with flow(tmp_path, register_reports=False) as f:
        await f.server.vtn.reports.request_metadata(f.ven_id)  # something to poll, then ask ours
        await f.ven.drain()
        await f.ven.post(
            "EiReport",
            OadrCreateReport(request_id="vcr-3", report_requests=(metadata_request(),), ven_id=f.ven_id),
        )
        [register] = await f.ven.drain()
        assert isinstance(register, OadrRegisterReport)
        assert register.reports == ()


async def test_canceled_report_does_not_confirm_a_piggy_back_cancel_not_sent_yet(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        vtn = f.server.vtn
        queued = await requested(f, granularity=timedelta(minutes=1))
        riding = await requested(f, TELEMETRY, granularity=timedelta(minutes=1))
        await vtn.reports.cancel(queued.report_request_id)
        await vtn.reports.cancel(riding.report_request_id, piggyback=True)
        [cancel] = await f.ven.drain()
        assert isinstance(cancel, OadrCancelReport)
        assert cancel.report_request_ids == (queued.report_request_id,)
        # the VEN confirms the cancellation it got, listing no pending reports
        await f.canceled_report()
        assert await f.state(queued.report_request_id) == ReportRequestState.CANCELLED
        # the other cancellation was never sent: it still rides on the next update's answer
        assert await f.state(riding.report_request_id) == ReportRequestState.CANCEL_REQUESTED
        answer = await f.update(data_report(riding.report_request_id))
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.cancel_report is not None
        assert answer.cancel_report.report_request_ids == (riding.report_request_id,)


async def test_delayed_periodic_report_r1_3025(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        later = START + timedelta(minutes=10)
        record = await requested(
            f, start=later, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        interval = record.request.report_specifier.report_interval
        assert interval is not None
        assert interval.dtstart == later
        assert interval.duration == timedelta(0)  # open-ended
        f.server.clock.advance(timedelta(minutes=11))
        for number in range(2):
            answer = await f.update(data_report(record.report_request_id), request_id=f"up-{number}")
            assert answer.ei_response.response_code == ResponseCode.OK
            f.server.clock.advance(timedelta(minutes=1))
        assert await f.state(record.report_request_id) == ReportRequestState.CREATED


async def test_short_report_ends_by_itself_r1_3027(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(
            f,
            start=START,
            duration=timedelta(minutes=2),
            granularity=timedelta(minutes=1),
            report_back_duration=timedelta(minutes=1),
        )
        f.server.clock.advance(timedelta(minutes=1))
        first = await f.update(data_report(record.report_request_id), request_id="up-1")
        assert first.ei_response.response_code == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CREATED
        f.server.clock.advance(timedelta(minutes=1))  # the report interval is over
        last = await f.update(data_report(record.report_request_id), request_id="up-2")
        assert last.ei_response.response_code == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.COMPLETED
        after = await f.update(data_report(record.report_request_id), request_id="up-3")
        assert after.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 2


async def test_a_capabilities_handler_asking_for_an_unoffered_report_is_our_fault_500(tmp_path: Path) -> None:
    async def capabilities(ven: VenRecord, reports: Sequence[OadrReport]) -> Sequence[OadrReportRequest]:
        return [
            replace(
                report_request(reports[0]),
                report_specifier=replace(
                    report_request(reports[0]).report_specifier, report_specifier_id="not-offered"
                ),
            )
        ]

    async with flow(
        tmp_path, handlers=VtnHandlers(on_report_capabilities=capabilities), register_reports=False
    ) as f:
        registered = await f.register_reports(ven_capabilities())
        assert registered.ei_response.response_code == ResponseCode.INTERNAL_SERVER_ERROR
        assert await f.server.vtn.reports.requests(f.ven_id) == []


# --- the VEN's answer to a request: oadrCreatedReport's responseCode (R1_3190) ------------------------


async def test_a_request_the_ven_refuses_is_over_and_its_updates_are_452_r1_3190(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        earlier = await requested(
            f, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        record, create = await requested_with_message(f, STATUS)
        assert record.create_request_id == create.request_id  # what the VEN's answer echoes
        # 452 echoing the oadrCreateReport; it lists the VEN's other (earlier) report as pending
        answer = await f.created_report(
            earlier.report_request_id, request_id=create.request_id, response_code=ResponseCode.INVALID_ID
        )
        assert isinstance(answer, OadrResponse)
        assert code(answer) == ResponseCode.OK  # the refusal is acknowledged
        assert answer.ei_response.request_id == create.request_id
        assert await f.state(record.report_request_id) == ReportRequestState.REFUSED
        assert await f.state(earlier.report_request_id) == ReportRequestState.CREATED  # still pending

        refused = await f.update(data_report(record.report_request_id, STATUS))
        assert refused.ei_response.response_code == ResponseCode.INVALID_ID
        assert "refused" in (refused.ei_response.response_description or "")
        assert await f.data_count() == 0
        with pytest.raises(LocalProtocolError, match="refused"):
            await f.server.vtn.reports.cancel(record.report_request_id)
        # the VEN's other request is untouched
        taken = await f.update(data_report(earlier.report_request_id), request_id="up-2")
        assert taken.ei_response.response_code == ResponseCode.OK


async def test_a_refusal_ends_every_request_of_its_message_even_those_listed_pending(tmp_path: Path) -> None:
    """One responseCode answers the whole oadrCreateReport; some VENs (OpenLEADR) list the
    message's requests as pending when they refuse it: the refusal wins."""
    async with flow(tmp_path) as f:
        reports = f.server.vtn.reports
        offered = {report.report_specifier_id: report for report in await reports.capabilities(f.ven_id)}
        periodic = report_request(
            offered[TELEMETRY], granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        await reports.request_several(f.ven_id, [periodic, report_request(offered[STATUS])])
        [create] = await f.ven.drain()
        assert isinstance(create, OadrCreateReport)
        ids = [request.report_request_id for request in create.report_requests]
        await f.created_report(*ids, request_id=create.request_id, response_code=ResponseCode.INVALID_ID)
        assert [await f.state(rid) for rid in ids] == [ReportRequestState.REFUSED] * 2
        for rid in ids:
            specifier = TELEMETRY if rid == periodic.report_request_id else STATUS
            answer = await f.update(data_report(rid, specifier))
            assert answer.ei_response.response_code == ResponseCode.INVALID_ID


async def test_a_refusal_of_another_message_leaves_the_request_open(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record, create = await requested_with_message(f, granularity=timedelta(minutes=1))
        await f.created_report(request_id="some-other-message", response_code=ResponseCode.INVALID_ID)
        await f.created_report(request_id="", response_code=ResponseCode.INVALID_ID)
        assert await f.state(record.report_request_id) == ReportRequestState.REQUESTED
        # a late confirmation cannot undo a refusal, nor a refusal a confirmation
        await f.created_report(request_id=create.request_id)
        assert await f.state(record.report_request_id) == ReportRequestState.CREATED
        await f.created_report(request_id=create.request_id, response_code=ResponseCode.INVALID_ID)
        assert await f.state(record.report_request_id) == ReportRequestState.CREATED


async def test_a_200_omitting_a_request_from_pending_reports_accepts_it(tmp_path: Path) -> None:
    """oadrPendingReports lists the "periodic reports that have not yet been delivered" (2.0b
    schema): a request of the message it omits is accepted by the 200 all the same."""
    async with flow(tmp_path) as f:
        periodic, create = await requested_with_message(f, granularity=timedelta(minutes=1))
        one_shot, create_one = await requested_with_message(f, STATUS)
        for message in (create, create_one):
            answer = await f.created_report(request_id=message.request_id)
            assert code(answer) == ResponseCode.OK
        assert await f.state(periodic.report_request_id) == ReportRequestState.CREATED
        assert await f.state(one_shot.report_request_id) == ReportRequestState.CREATED
        answer = await f.update(
            data_report(periodic.report_request_id), data_report(one_shot.report_request_id, STATUS)
        )
        assert answer.ei_response.response_code == ResponseCode.OK
        assert await f.state(one_shot.report_request_id) == ReportRequestState.COMPLETED


async def test_requests_on_registered_report_refused_by_the_ven_r1_3060(tmp_path: Path) -> None:
    """Requests riding on the oadrRegisteredReport are answered by an oadrCreatedReport echoing
    the requestID that oadrRegisteredReport echoes (the VEN's oadrRegisterReport's)."""

    async def capabilities(ven: VenRecord, reports: Sequence[OadrReport]) -> Sequence[OadrReportRequest]:
        return [report_request(reports[0], granularity=timedelta(minutes=1), report_request_id="piggy-1")]

    async with flow(
        tmp_path, handlers=VtnHandlers(on_report_capabilities=capabilities), register_reports=False
    ) as f:
        registered = await f.register_reports(ven_capabilities())
        assert [r.report_request_id for r in registered.report_requests] == ["piggy-1"]
        [record] = await f.server.vtn.reports.requests(f.ven_id)
        assert record.create_request_id == registered.ei_response.request_id == "rr-1"
        await f.created_report(request_id="rr-1", response_code=ResponseCode.INVALID_ID)
        assert await f.state("piggy-1") == ReportRequestState.REFUSED
        answer = await f.update(data_report("piggy-1"))
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID


# --- reportToFollow: the final update is the one after the VEN's oadrCanceledReport -------------------


async def test_piggy_backed_cancel_with_report_to_follow_takes_the_final_update_r1_3050(
    tmp_path: Path,
) -> None:
    async with flow(tmp_path) as f:
        record = await requested(
            f, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        rid = record.report_request_id
        assert (await f.update(data_report(rid), request_id="up-1")).cancel_report is None
        await f.server.vtn.reports.cancel(rid, report_to_follow=True, piggyback=True)
        carrying = await f.update(data_report(rid, value="2"), request_id="up-2")
        assert carrying.ei_response.response_code == ResponseCode.OK
        cancel = carrying.cancel_report
        assert cancel is not None
        assert cancel.report_to_follow is True
        assert cancel.report_request_ids == (rid,)
        # the update that brought the cancellation back was sent before the VEN saw it
        assert await f.state(rid) == ReportRequestState.CANCEL_REQUESTED
        [stored] = [r for r in await f.server.vtn.reports.requests(f.ven_id) if r.report_request_id == rid]
        assert stored.cancel_request_id == cancel.request_id

        await f.canceled_report(request_id=cancel.request_id)
        assert await f.state(rid) == ReportRequestState.FINAL_UPDATE_DUE
        final = await f.update(data_report(rid, value="3"), request_id="up-3")
        assert final.ei_response.response_code == ResponseCode.OK
        assert await f.state(rid) == ReportRequestState.CANCELLED
        after = await f.update(data_report(rid, value="4"), request_id="up-4")
        assert after.ei_response.response_code == ResponseCode.INVALID_ID
        assert await f.data_count() == 3


async def test_an_update_crossing_a_queued_cancel_with_report_to_follow_is_not_the_final_one(
    tmp_path: Path,
) -> None:
    async with flow(tmp_path) as f:
        record = await requested(
            f, granularity=timedelta(minutes=1), report_back_duration=timedelta(minutes=1)
        )
        rid = record.report_request_id
        await f.server.vtn.reports.cancel(rid, report_to_follow=True)
        # sent before the VEN's next poll fetched the oadrCancelReport
        crossing = await f.update(data_report(rid, value="1"), request_id="up-1")
        assert crossing.ei_response.response_code == ResponseCode.OK
        assert await f.state(rid) == ReportRequestState.CANCEL_REQUESTED
        [cancel] = await f.ven.drain()
        assert isinstance(cancel, OadrCancelReport)
        await f.canceled_report(request_id=cancel.request_id)
        assert await f.state(rid) == ReportRequestState.FINAL_UPDATE_DUE
        final = await f.update(data_report(rid, value="2"), request_id="up-2")
        assert final.ei_response.response_code == ResponseCode.OK
        assert await f.state(rid) == ReportRequestState.CANCELLED
        assert await f.data_count() == 2


async def test_canceled_report_confirms_only_the_cancellation_it_echoes(tmp_path: Path) -> None:
    """Two cancellations with reportToFollow: the VEN's answer to the first does not make the
    second's final update due (its oadrCancelReport is still queued)."""
    async with flow(tmp_path) as f:
        vtn = f.server.vtn
        first = await requested(f, granularity=timedelta(minutes=1))
        second = await requested(f, granularity=timedelta(minutes=1))
        await vtn.reports.cancel(first.report_request_id, report_to_follow=True)
        [cancel] = await f.ven.drain()
        assert isinstance(cancel, OadrCancelReport)
        await vtn.reports.cancel(second.report_request_id, report_to_follow=True)  # queued, not polled
        await f.canceled_report(request_id=cancel.request_id)
        assert await f.state(first.report_request_id) == ReportRequestState.FINAL_UPDATE_DUE
        assert await f.state(second.report_request_id) == ReportRequestState.CANCEL_REQUESTED
        # an update of the second crossing its cancellation is ordinary data
        await f.update(data_report(second.report_request_id))
        assert await f.state(second.report_request_id) == ReportRequestState.CANCEL_REQUESTED
        # an answer echoing no cancellation the VTN knows confirms every one that was sent
        await f.canceled_report(request_id="unknown")
        assert await f.state(second.report_request_id) == ReportRequestState.FINAL_UPDATE_DUE


async def test_piggy_backed_cancels_of_both_kinds_ride_on_two_answers(tmp_path: Path) -> None:
    """An oadrCancelReport has one reportToFollow: cancellations with and without it wait for
    separate oadrUpdatedReports."""
    async with flow(tmp_path) as f:
        vtn = f.server.vtn
        follow = await requested(f, granularity=timedelta(minutes=1))
        stop = await requested(f, granularity=timedelta(minutes=1))
        await vtn.reports.cancel(follow.report_request_id, report_to_follow=True, piggyback=True)
        await vtn.reports.cancel(stop.report_request_id, piggyback=True)
        both = (data_report(follow.report_request_id), data_report(stop.report_request_id))
        first = await f.update(*both, request_id="up-1")
        assert first.cancel_report is not None
        assert first.cancel_report.report_request_ids == (follow.report_request_id,)
        assert first.cancel_report.report_to_follow is True
        second = await f.update(*both, request_id="up-2")
        assert second.cancel_report is not None
        assert second.cancel_report.report_request_ids == (stop.report_request_id,)
        assert second.cancel_report.report_to_follow is False
        third = await f.update(*both, request_id="up-3")
        assert third.cancel_report is None


async def test_registration_ending_cancels_a_request_whose_final_update_is_due(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, granularity=timedelta(minutes=1))
        await f.server.vtn.reports.cancel(record.report_request_id, report_to_follow=True)
        [cancel] = await f.ven.drain()
        assert isinstance(cancel, OadrCancelReport)
        await f.canceled_report(request_id=cancel.request_id)
        assert await f.state(record.report_request_id) == ReportRequestState.FINAL_UPDATE_DUE
        with pytest.raises(LocalProtocolError, match="final_update_due"):
            await f.server.vtn.reports.cancel(record.report_request_id)
        again = await f.ven.register(ven_name="reporting-ven", ven_id=f.ven_id)
        assert again.ei_response.response_code == ResponseCode.OK
        assert await f.state(record.report_request_id) == ReportRequestState.CANCELLED


# --- rule 304: a report must match the request it names ------------------------------------------------


async def test_a_report_under_another_report_specifier_id_is_452_and_not_stored(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, granularity=timedelta(minutes=1))
        answer = await f.update(data_report(record.report_request_id, HISTORY))
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        description = answer.ei_response.response_description or ""
        assert HISTORY in description
        assert TELEMETRY in description
        assert await f.data_count() == 0
        assert await f.state(record.report_request_id) == ReportRequestState.REQUESTED


async def test_a_report_with_a_data_point_not_requested_is_452_and_not_stored(tmp_path: Path) -> None:
    async with flow(tmp_path) as f:
        record = await requested(f, r_ids=["power"], granularity=timedelta(minutes=1))
        answer = await f.update(data_report(record.report_request_id, r_id="energy"))
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        assert "'energy'" in (answer.ei_response.response_description or "")
        assert await f.data_count() == 0
        # the point asked for is taken; so is a report with fewer points than asked for
        assert (await f.update(data_report(record.report_request_id))).ei_response.response_code == (
            ResponseCode.OK
        )
        both = await requested(f, granularity=timedelta(minutes=1))
        assert len(both.request.report_specifier.specifier_payloads) == 2
        answer = await f.update(data_report(both.report_request_id, r_id="energy"), request_id="up-2")
        assert answer.ei_response.response_code == ResponseCode.OK
        assert await f.data_count() == 2
