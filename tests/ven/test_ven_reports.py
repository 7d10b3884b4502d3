"""The VEN's reports (openadr_accel.ven.reports): the R1_30xx cases where the VEN reports, with a
settable clock and real async data sources that count their calls."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar, cast

import pytest

from openadr_accel import xml
from openadr_accel.model import (
    EiResponse,
    LoadControlValues,
    OadrCancelReport,
    OadrCreateReport,
    OadrLoadControlState,
    OadrPayloadResourceStatus,
    OadrRegisteredReport,
    OadrReport,
    OadrReportRequest,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    PayloadFloat,
    PowerReal,
    Properties,
    ReadingType,
    ReportName,
    ReportSpecifier,
    ReportType,
    ResponseCode,
    SpecifierPayload,
)
from openadr_accel.ven.reports import (
    ActiveReportRequest,
    DataPoint,
    DataValue,
    ReportCapability,
    VenReports,
    history_usage,
    telemetry_status,
    telemetry_usage,
)
from openadr_accel.xml.stored import dump_report_request, load_report_request

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
VEN = "ven-1"

_P = TypeVar("_P", bound=Payload)


class SettableClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Source:
    """An async data source that counts its calls; ``values`` are returned in turn (the last one
    repeats); an exception instance among them is raised instead."""

    values: list[object]
    calls: int = 0

    async def __call__(self) -> DataValue:
        await asyncio.sleep(0)
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        if isinstance(value, BaseException):
            raise value
        return cast(DataValue, value)  # maybe not: the tests of bad values


def counting(*values: object) -> Source:
    return Source(list(values))


STATUS = OadrPayloadResourceStatus(
    online=True,
    manual_override=False,
    load_control_state=OadrLoadControlState(
        capacity=LoadControlValues(current=Decimal("7.4"), min=Decimal(0), max=Decimal(11))
    ),
)


@dataclass
class Rig:
    clock: SettableClock
    power: Source
    energy: Source
    status: Source
    history: Source
    reports: VenReports


def rig(*, history_size: int = 10_000, power: Source | None = None, status: Source | None = None) -> Rig:
    clock = SettableClock()
    sources = {
        "power": power or counting(Decimal("1000"), 2000.5, 3000, Decimal("4000")),
        "energy": counting(*(Decimal(100 + i) for i in range(20))),
        "status": status or counting(STATUS),
        "history": counting(*(Decimal(i) for i in range(100))),
    }
    reports = VenReports(
        [
            telemetry_usage("tel", power=sources["power"], energy=sources["energy"]),
            telemetry_status("stat", status=sources["status"]),
            history_usage("hist", energy=sources["history"], duration=timedelta(days=1)),
        ],
        history_size=history_size,
        clock=clock,
    )
    return Rig(clock, sources["power"], sources["energy"], sources["status"], sources["history"], reports)


def request(
    report_request_id: str,
    specifier_id: str = "tel",
    r_ids: tuple[str, ...] = ("power", "energy"),
    *,
    granularity: timedelta = timedelta(0),
    report_back: timedelta = timedelta(0),
    interval: Properties | None = None,
) -> OadrReportRequest:
    return OadrReportRequest(
        report_request_id=report_request_id,
        report_specifier=ReportSpecifier(
            report_specifier_id=specifier_id,
            granularity=granularity,
            report_back_duration=report_back,
            report_interval=interval,
            specifier_payloads=tuple(
                SpecifierPayload(r_id=r_id, reading_type=ReadingType.DIRECT_READ) for r_id in r_ids
            ),
        ),
    )


def create_report(*requests: OadrReportRequest, ven_id: str | None = VEN) -> OadrCreateReport:
    return OadrCreateReport(request_id="create-1", report_requests=requests, ven_id=ven_id)


def cancel_report(*ids: str, follow: bool = False) -> OadrCancelReport:
    return OadrCancelReport(
        request_id="cancel-1", report_request_ids=ids, report_to_follow=follow, ven_id=VEN
    )


def valid(message: _P) -> _P:
    """The message is valid 2.0b, and reads back as itself."""
    data = xml.serialize(message, validate=True)
    assert xml.parse(data) == message
    return message


async def collect(r: Rig) -> OadrUpdateReport | None:
    update = await r.reports.collect(request_id="upd", ven_id=VEN)
    if update is not None:
        valid(update)
    return update


def values(report: OadrReport) -> list[dict[str, object]]:
    """Each reading's payloads, by rID (numbers as Decimal). The VEN sends one rID per interval
    (several intervals of one reading share dtstart and duration): they are put back together."""
    result: list[dict[str, object]] = []
    previous: tuple[datetime | None, object] | None = None
    for interval in report.intervals:
        assert len(interval.payloads) == 1, "one rID per interval"
        key = (interval.dtstart, interval.duration)
        if key != previous:
            result.append({})
            previous = key
        [payload] = interval.payloads
        result[-1][payload.r_id] = (
            payload.payload.value if isinstance(payload.payload, PayloadFloat) else payload.payload
        )
    return result


def starts(report: OadrReport) -> list[datetime | None]:
    """The start of each reading (intervals of one reading counted once)."""
    found: list[datetime | None] = []
    previous: tuple[datetime | None, object] | None = None
    for interval in report.intervals:
        if (interval.dtstart, interval.duration) != previous:
            found.append(interval.dtstart)
            previous = (interval.dtstart, interval.duration)
    return found


def only(update: OadrUpdateReport | None) -> OadrReport:
    assert update is not None
    assert len(update.reports) == 1
    return update.reports[0]


# -- METADATA ------------------------------------------------------------------------------------


def test_register_report_offers_every_capability_as_metadata() -> None:
    r = rig()
    message = valid(r.reports.register_report(request_id="reg-1", ven_id=VEN))
    assert message.request_id == "reg-1"
    assert message.ven_id == VEN
    assert message.report_request_id is None
    by_id = {report.report_specifier_id: report for report in message.reports}
    assert set(by_id) == {"tel", "stat", "hist"}
    assert {report.report_request_id for report in message.reports} == {"0"}
    assert {report.created_date_time for report in message.reports} == {T0}
    assert by_id["tel"].report_name == ReportName.METADATA_TELEMETRY_USAGE
    assert by_id["stat"].report_name == ReportName.METADATA_TELEMETRY_STATUS
    assert by_id["hist"].report_name == ReportName.METADATA_HISTORY_USAGE
    assert by_id["hist"].duration == timedelta(days=1)
    power, energy = by_id["tel"].descriptions
    assert (power.r_id, energy.r_id) == ("power", "energy")
    assert isinstance(power.item_base, PowerReal)
    assert power.sampling_rate is not None
    assert power.sampling_rate.min_period == timedelta(seconds=10)
    [status] = by_id["stat"].descriptions
    assert status.report_type == ReportType.RESOURCE_STATUS
    assert status.reading_type == ReadingType.NOT_APPLICABLE
    assert status.item_base is None
    # nothing was read to describe the reports
    assert r.power.calls == r.status.calls == 0


async def test_r1_3170_metadata_request_asks_for_register_report_again() -> None:
    r = rig()
    metadata = OadrReportRequest(
        report_request_id="meta-1",
        report_specifier=ReportSpecifier(
            report_specifier_id="METADATA",
            granularity=timedelta(0),
            report_back_duration=timedelta(0),
            specifier_payloads=(SpecifierPayload(r_id="METADATA", reading_type=ReadingType.NOT_APPLICABLE),),
        ),
    )
    assert not r.reports.metadata_requested
    answer = valid(r.reports.created_report(create_report(metadata), ven_id=VEN))
    assert answer.ei_response.response_code == ResponseCode.OK
    assert answer.pending_reports == ()  # a METADATA request is no data report
    assert r.reports.metadata_requested
    assert r.reports.metadata_request_id == "meta-1"
    assert r.reports.next_due() is None
    message = valid(r.reports.register_report(request_id="reg-2", ven_id=VEN))
    assert message.report_request_id == "meta-1"
    assert {report.report_request_id for report in message.reports} == {"meta-1"}
    assert not r.reports.metadata_requested
    again = r.reports.register_report(request_id="reg-3", ven_id=VEN)
    assert again.report_request_id is None
    assert {report.report_request_id for report in again.reports} == {"0"}
    r.reports.create([metadata])
    r.reports.restore([])
    assert not r.reports.metadata_requested


# -- one-shot ------------------------------------------------------------------------------------


async def test_r1_3010_one_shot_status_report() -> None:
    r = rig()
    answer = valid(r.reports.created_report(create_report(request("st-1", "stat", ("status",))), ven_id=VEN))
    assert answer.ei_response.response_code == ResponseCode.OK
    assert answer.ei_response.request_id == "create-1"
    assert answer.pending_reports == ("st-1",)
    assert r.reports.next_due() == T0
    report = only(await collect(r))
    assert report.report_request_id == "st-1"
    assert report.report_specifier_id == "stat"
    assert report.report_name == ReportName.TELEMETRY_STATUS
    assert report.created_date_time == T0
    assert values(report) == [{"status": STATUS}]
    assert report.intervals[0].dtstart == T0
    assert r.status.calls == 1
    # done: one update only
    assert r.reports.pending() == ()
    assert r.reports.next_due() is None
    r.clock.advance(MINUTE)
    assert await collect(r) is None
    assert r.status.calls == 1


async def test_r1_3150_one_shot_telemetry_usage_power_and_energy() -> None:
    r = rig()
    assert r.reports.create([request("use-1")]) == (ResponseCode.OK, None)
    update = await collect(r)
    assert update is not None
    assert update.request_id == "upd"
    assert update.ven_id == VEN
    report = only(update)
    assert report.report_name == ReportName.TELEMETRY_USAGE
    assert values(report) == [{"power": Decimal(1000), "energy": Decimal(100)}]
    assert (r.power.calls, r.energy.calls) == (1, 1)
    assert r.reports.pending() == ()


async def test_numbers_of_every_kind_become_payload_floats() -> None:
    r = rig(power=counting(2000.5, 7, Decimal("1.25")))
    for i in range(3):
        r.reports.create([request(f"one-{i}", r_ids=("power",))])
        report = only(await collect(r))
        [[payload]] = [interval.payloads for interval in report.intervals]
        assert isinstance(payload.payload, PayloadFloat)
        assert payload.payload.value == [Decimal("2000.5"), Decimal(7), Decimal("1.25")][i]


async def test_a_later_report_interval_delays_a_one_shot() -> None:
    r = rig()
    r.reports.create([request("later", interval=Properties(dtstart=T0 + MINUTE, duration=timedelta(0)))])
    assert r.reports.next_due() == T0 + MINUTE
    assert await collect(r) is None
    assert r.power.calls == 0
    r.clock.advance(MINUTE)
    assert starts(only(await collect(r))) == [T0 + MINUTE]


# -- periodic ------------------------------------------------------------------------------------


async def test_r1_3020_periodic_report_one_update_per_granularity() -> None:
    r = rig()
    r.reports.create([request("per-1", "stat", ("status",), granularity=MINUTE, report_back=MINUTE)])
    assert r.reports.next_due() == T0
    assert await collect(r) is None  # the first reading, nothing to send yet
    assert r.status.calls == 1
    assert r.reports.next_due() == T0 + MINUTE
    r.clock.advance(MINUTE)
    first = only(await collect(r))
    assert starts(first) == [T0]
    assert [interval.duration for interval in first.intervals] == [MINUTE]
    r.clock.advance(MINUTE)
    second = only(await collect(r))
    assert starts(second) == [T0 + MINUTE]
    assert second.created_date_time == T0 + 2 * MINUTE
    assert r.status.calls == 3
    assert r.reports.pending() == ("per-1",)  # open-ended: still going


async def test_r1_3160_periodic_usage_granularity_one_minute_back_every_two() -> None:
    r = rig()
    r.reports.create([request("per-2", granularity=MINUTE, report_back=2 * MINUTE)])
    sent = []
    for _ in range(5):
        update = await collect(r)
        if update is not None:
            sent.append((r.clock.now, only(update)))
        r.clock.advance(MINUTE)
    assert [at for at, _ in sent] == [T0 + 2 * MINUTE, T0 + 4 * MINUTE]
    first, second = (report for _, report in sent)
    assert starts(first) == [T0, T0 + MINUTE]
    assert starts(second) == [T0 + 2 * MINUTE, T0 + 3 * MINUTE]
    assert values(first) == [
        {"power": Decimal(1000), "energy": Decimal(100)},
        {"power": Decimal("2000.5"), "energy": Decimal(101)},
    ]
    assert r.power.calls == 5  # one reading a minute, T0 to T0+4m


async def test_r1_3025_delayed_report_sends_nothing_before_dtstart() -> None:
    r = rig()
    start = T0 + 10 * MINUTE
    r.reports.create(
        [
            request(
                "delayed",
                "stat",
                ("status",),
                granularity=MINUTE,
                report_back=MINUTE,
                interval=Properties(dtstart=start, duration=timedelta(0)),
            )
        ]
    )
    assert r.reports.pending() == ("delayed",)
    assert r.reports.next_due() == start
    for _ in range(10):
        assert await collect(r) is None
        r.clock.advance(MINUTE)
    assert r.status.calls == 0
    assert r.clock.now == start
    assert await collect(r) is None
    r.clock.advance(MINUTE)
    report = only(await collect(r))
    assert starts(report) == [start]
    # the load control state arrives as the data source gave it
    assert values(report) == [{"status": STATUS}]


async def test_r1_3027_short_report_ends_by_itself() -> None:
    r = rig()
    r.reports.create(
        [
            request(
                "short",
                granularity=MINUTE,
                report_back=MINUTE,
                interval=Properties(dtstart=T0, duration=2 * MINUTE),
            )
        ]
    )
    assert await collect(r) is None
    r.clock.advance(MINUTE)
    assert starts(only(await collect(r))) == [T0]
    assert r.reports.next_due() == T0 + 2 * MINUTE
    r.clock.advance(MINUTE)
    assert starts(only(await collect(r))) == [T0 + MINUTE]
    assert r.reports.pending() == ()
    assert r.reports.next_due() is None
    r.clock.advance(MINUTE)
    assert await collect(r) is None
    assert r.power.calls == 2  # T0 and T0+1m: no reading at the end


async def test_late_collect_reads_once_for_the_current_interval() -> None:
    r = rig()
    r.reports.create([request("late", granularity=MINUTE, report_back=5 * MINUTE)])
    assert await collect(r) is None
    r.clock.advance(timedelta(minutes=3, seconds=30))  # three readings missed
    assert await collect(r) is None
    assert r.power.calls == 2
    assert r.reports.next_due() == T0 + 4 * MINUTE
    r.clock.advance(timedelta(seconds=90))  # T0+5m: the reading of T0+4m was missed too
    report = only(await collect(r))
    assert starts(report) == [T0, T0 + 3 * MINUTE]
    assert r.power.calls == 3  # the reading of T0+5m goes with the next update


async def test_granularity_zero_reads_once_per_update() -> None:
    r = rig()
    r.reports.create([request("rb-only", r_ids=("power",), report_back=2 * MINUTE)])
    assert await collect(r) is None
    r.clock.advance(2 * MINUTE)
    report = only(await collect(r))
    assert starts(report) == [T0]
    assert [interval.duration for interval in report.intervals] == [2 * MINUTE]


# -- several requests ----------------------------------------------------------------------------


async def test_r1_3030_and_r1_3180_several_requests_one_message_and_one_update() -> None:
    r = rig()
    answer = r.reports.created_report(
        create_report(
            request("a", "stat", ("status",)),
            request("b", r_ids=("power",)),
            request("c", r_ids=("power", "energy"), granularity=MINUTE, report_back=MINUTE),
        ),
        ven_id=VEN,
    )
    assert answer.ei_response.response_code == ResponseCode.OK
    assert answer.pending_reports == ("a", "b", "c")
    first = await collect(r)
    assert first is not None
    assert [report.report_request_id for report in first.reports] == ["a", "b"]
    assert r.power.calls == 1  # read once for b and c in the same round
    r.clock.advance(MINUTE)
    assert [report.report_request_id for report in only_reports(await collect(r))] == ["c"]
    assert r.reports.pending() == ("c",)


def only_reports(update: OadrUpdateReport | None) -> tuple[OadrReport, ...]:
    assert update is not None
    return update.reports


async def test_r1_3060_requests_riding_on_oadr_registered_report() -> None:
    r = rig()
    registered = valid(
        OadrRegisteredReport(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id="reg-1"),
            report_requests=(request("ride-1", "stat", ("status",), granularity=MINUTE, report_back=MINUTE),),
            ven_id=VEN,
        )
    )
    assert r.reports.create(registered.report_requests) == (ResponseCode.OK, None)
    assert r.reports.pending() == ("ride-1",)


async def test_reusing_a_report_request_id_replaces_the_request() -> None:
    r = rig()
    r.reports.create([request("same", granularity=MINUTE, report_back=10 * MINUTE)])
    r.reports.create([request("same", "stat", ("status",))])
    assert r.reports.pending() == ("same",)
    report = only(await collect(r))
    assert report.report_specifier_id == "stat"
    assert r.reports.pending() == ()
    assert r.power.calls == 0


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [request("bad", "no-such-report"), request("bad", "tel", ("power", "voltage"))],
    ids=["unknown reportSpecifierID", "unknown rID"],
)
async def test_r1_3190_invalid_specifier_or_rid_refuses_the_whole_message(bad: OadrReportRequest) -> None:
    r = rig()
    r.reports.create([request("kept", granularity=MINUTE, report_back=MINUTE)])
    answer = valid(
        r.reports.created_report(create_report(request("fine", "stat", ("status",)), bad), ven_id=VEN)
    )
    assert answer.ei_response.response_code == ResponseCode.INVALID_ID
    assert answer.ei_response.response_description
    assert "bad" in answer.ei_response.response_description
    assert answer.pending_reports == ("kept",)  # "fine" was not accepted either
    assert r.reports.pending() == ("kept",)


def test_metadata_request_is_not_accepted_from_a_refused_message() -> None:
    r = rig()
    metadata = request("meta", "METADATA", ("METADATA",))
    code, _ = r.reports.create([metadata, request("bad", "nope")])
    assert code == ResponseCode.INVALID_ID
    assert not r.reports.metadata_requested


def test_negative_durations_are_invalid_data() -> None:
    r = rig()
    code, description = r.reports.create([request("neg", granularity=-MINUTE, report_back=MINUTE)])
    assert code == ResponseCode.INVALID_DATA
    assert description
    assert r.reports.pending() == ()


def test_a_create_report_for_another_ven_is_refused() -> None:
    r = rig()
    answer = valid(r.reports.created_report(create_report(request("x"), ven_id="ven-2"), ven_id=VEN))
    assert answer.ei_response.response_code == ResponseCode.INVALID_ID
    assert answer.ven_id == VEN
    assert r.reports.pending() == ()


# -- cancellations -------------------------------------------------------------------------------


async def test_r1_3040_cancel_without_report_to_follow() -> None:
    r = rig()
    r.reports.create(
        [
            request("p1", granularity=MINUTE, report_back=MINUTE),
            request("p2", "stat", ("status",), granularity=MINUTE, report_back=MINUTE),
        ]
    )
    await collect(r)
    answer = valid(r.reports.cancel(cancel_report("p1"), ven_id=VEN))
    assert answer.ei_response.response_code == ResponseCode.OK
    assert answer.ei_response.request_id == "cancel-1"
    assert answer.pending_reports == ("p2",)
    r.clock.advance(MINUTE)
    assert [report.report_request_id for report in only_reports(await collect(r))] == ["p2"]


async def test_r1_3045_cancel_with_report_to_follow_sends_one_final_update() -> None:
    r = rig()
    r.reports.create([request("open", granularity=MINUTE, report_back=10 * MINUTE)])
    await collect(r)
    r.clock.advance(MINUTE)
    await collect(r)
    r.clock.advance(timedelta(seconds=30))
    answer = valid(r.reports.cancel(cancel_report("open", follow=True), ven_id=VEN))
    assert answer.ei_response.response_code == ResponseCode.OK
    assert answer.pending_reports == ()
    assert r.reports.pending() == ()
    assert r.reports.next_due() == r.clock.now
    final = only(await collect(r))
    assert final.report_request_id == "open"
    assert starts(final) == [T0, T0 + MINUTE]
    assert r.reports.next_due() is None
    r.clock.advance(10 * MINUTE)
    assert await collect(r) is None


async def test_final_update_reads_now_when_nothing_is_buffered() -> None:
    r = rig()
    r.reports.create(
        [
            request(
                "future",
                granularity=MINUTE,
                report_back=MINUTE,
                interval=Properties(dtstart=T0 + 60 * MINUTE, duration=timedelta(0)),
            )
        ]
    )
    r.reports.cancel(cancel_report("future", follow=True), ven_id=VEN)
    final = only(await collect(r))
    assert starts(final) == [T0]
    assert r.power.calls == 1
    assert r.reports.next_due() is None


async def test_r1_3050_cancel_riding_on_oadr_updated_report() -> None:
    r = rig()
    r.reports.create([request("p", granularity=MINUTE, report_back=MINUTE)])
    plain = OadrUpdatedReport(ei_response=EiResponse(response_code=ResponseCode.OK, request_id="upd"))
    assert r.reports.on_updated_report(plain, ven_id=VEN) is None
    assert r.reports.pending() == ("p",)
    riding = valid(
        OadrUpdatedReport(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id="upd"),
            cancel_report=cancel_report("p"),
            ven_id=VEN,
        )
    )
    answer = r.reports.on_updated_report(riding, ven_id=VEN)
    assert answer is not None
    valid(answer)
    assert answer.ei_response.response_code == ResponseCode.OK
    assert r.reports.pending() == ()


async def test_cancel_of_an_unknown_id_is_452_but_known_ones_are_cancelled() -> None:
    r = rig()
    r.reports.create([request("known", granularity=MINUTE, report_back=MINUTE)])
    answer = valid(r.reports.cancel(cancel_report("nope"), ven_id=VEN))
    assert answer.ei_response.response_code == ResponseCode.INVALID_ID
    assert answer.ei_response.response_description
    assert "nope" in answer.ei_response.response_description
    assert answer.pending_reports == ("known",)
    answer = r.reports.cancel(cancel_report("known", "nope"), ven_id=VEN)
    assert answer.ei_response.response_code == ResponseCode.INVALID_ID
    assert answer.pending_reports == ()
    assert r.reports.next_due() is None


async def test_cancel_of_a_finished_one_shot_is_unknown() -> None:
    r = rig()
    r.reports.create([request("once")])
    await collect(r)
    answer = r.reports.cancel(cancel_report("once"), ven_id=VEN)
    assert answer.ei_response.response_code == ResponseCode.INVALID_ID


# -- HISTORY_USAGE -------------------------------------------------------------------------------


async def fill_history(r: Rig, minutes: int) -> None:
    for _ in range(minutes):
        await r.reports.sample()
        r.clock.advance(MINUTE)


async def test_r1_3130_history_usage_sends_all_buffered_data() -> None:
    r = rig()
    await fill_history(r, 60)
    assert r.history.calls == 60
    r.reports.create([request("hist-all", "hist", ("energy",), granularity=MINUTE)])
    assert r.reports.next_due() == r.clock.now
    report = only(await collect(r))
    assert report.report_name == ReportName.HISTORY_USAGE
    assert len(report.intervals) == 60
    assert report.intervals[0].dtstart == T0
    assert report.intervals[-1].dtstart == T0 + 59 * MINUTE
    assert [row["energy"] for row in values(report)] == [Decimal(i) for i in range(60)]
    assert r.history.calls == 60  # answered from the buffer, not read again
    assert r.reports.pending() == ()


async def test_r1_3140_history_usage_subset_from_thirty_minutes_ago() -> None:
    r = rig()
    await fill_history(r, 60)
    since = r.clock.now - 30 * MINUTE
    r.reports.create(
        [request("hist-sub", "hist", ("energy",), interval=Properties(dtstart=since, duration=timedelta(0)))]
    )
    report = only(await collect(r))
    assert starts(report) == [since + i * MINUTE for i in range(30)]
    bounded = Properties(dtstart=since, duration=10 * MINUTE)
    r.reports.create([request("hist-ten", "hist", ("energy",), interval=bounded)])
    assert len(only(await collect(r)).intervals) == 10


async def test_history_request_with_nothing_buffered_still_answers() -> None:
    r = rig()
    r.reports.create([request("hist-empty", "hist", ("energy",))])
    report = only(await collect(r))
    assert report.intervals == ()
    assert r.reports.pending() == ()


async def test_history_buffer_is_bounded_oldest_dropped() -> None:
    r = rig(history_size=5)
    await fill_history(r, 8)
    assert len(r.reports.history) == 5
    assert [sample.at for sample in r.reports.history] == [T0 + i * MINUTE for i in range(3, 8)]
    r.reports.create([request("h", "hist", ("energy",))])
    assert [row["energy"] for row in values(only(await collect(r)))] == [Decimal(i) for i in range(3, 8)]


async def test_sample_reads_each_point_once_per_sampling_period() -> None:
    r = rig()
    first = r.reports.next_sample()
    assert first is not None
    assert first <= T0  # never sampled: due at once, whenever one looks
    await r.reports.sample()
    await r.reports.sample()
    r.clock.advance(timedelta(seconds=59))
    await r.reports.sample()
    assert r.history.calls == 1
    assert r.reports.next_sample() == T0 + MINUTE
    r.clock.advance(timedelta(seconds=1))
    await r.reports.sample()
    assert r.history.calls == 2
    # only HISTORY_USAGE points are sampled
    assert r.power.calls == r.status.calls == 0


def test_no_history_report_means_nothing_to_sample() -> None:
    reports = VenReports([telemetry_status("stat", status=counting(STATUS))], clock=SettableClock())
    assert reports.next_sample() is None


# -- failing data sources ------------------------------------------------------------------------


async def test_a_failing_source_is_logged_and_left_out_of_that_round(
    caplog: pytest.LogCaptureFixture,
) -> None:
    r = rig(power=counting(RuntimeError("modbus timeout"), Decimal(5)))
    r.reports.create([request("p", granularity=MINUTE, report_back=MINUTE)])
    with caplog.at_level(logging.ERROR, logger="openadr_accel.ven"):
        await collect(r)
    assert any("power" in record.getMessage() for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)
    r.clock.advance(MINUTE)
    first = only(await collect(r))
    assert values(first) == [{"energy": Decimal(100)}]  # power skipped this round only
    r.clock.advance(MINUTE)
    assert values(only(await collect(r))) == [{"power": Decimal(5), "energy": Decimal(101)}]
    assert r.reports.pending() == ("p",)


@pytest.mark.parametrize("bad", ["12", True, float("nan"), Decimal("Infinity"), None])
async def test_a_source_returning_no_number_or_status_is_left_out(bad: object) -> None:
    r = rig(power=counting(bad))
    r.reports.create([request("one", r_ids=("power", "energy"))])
    assert values(only(await collect(r))) == [{"energy": Decimal(100)}]


async def test_when_every_point_fails_periodic_sends_nothing_and_one_shot_sends_empty() -> None:
    r = rig(status=counting(OSError("charger offline")))
    r.reports.create([request("per", "stat", ("status",), granularity=MINUTE, report_back=MINUTE)])
    await collect(r)
    r.clock.advance(MINUTE)
    assert await collect(r) is None
    assert r.reports.pending() == ("per",)
    r.reports.create([request("once", "stat", ("status",))])
    report = only(await collect(r))
    assert report.report_request_id == "once"
    assert report.intervals == ()
    assert r.reports.pending() == ("per",)


async def test_a_hanging_source_times_out() -> None:
    async def hang() -> Decimal:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    clock = SettableClock()
    reports = VenReports(
        [telemetry_usage("tel", power=hang, energy=counting(Decimal(1)))],
        clock=clock,
        read_timeout=timedelta(milliseconds=20),
    )
    reports.create([request("t")])
    update = await reports.collect(request_id="u", ven_id=VEN)
    assert values(only(update)) == [{"energy": Decimal(1)}]


async def test_a_failing_history_source_skips_that_sample() -> None:
    clock = SettableClock()
    source = counting(Decimal(1), ValueError("bad"), Decimal(3))
    reports = VenReports([history_usage("hist", energy=source)], clock=clock)
    for _ in range(3):
        await reports.sample()
        clock.advance(MINUTE)
    assert [sample.at for sample in reports.history] == [T0, T0 + 2 * MINUTE]
    assert reports.next_sample() == T0 + 3 * MINUTE


# -- persistence ---------------------------------------------------------------------------------


def through_store(records: tuple[ActiveReportRequest, ...]) -> list[ActiveReportRequest]:
    """What a store keeps: the request as a codec document, the rest as the state text."""
    stored = [(dump_report_request(record.request), record.state) for record in records]
    return [ActiveReportRequest.from_stored(load_report_request(doc), state) for doc, state in stored]


async def test_restore_after_snapshot_carries_on_at_the_same_rhythm() -> None:
    r = rig()
    r.reports.create(
        [
            request("per", granularity=MINUTE, report_back=2 * MINUTE),
            request("follow", "stat", ("status",), granularity=MINUTE, report_back=10 * MINUTE),
            request("later", "stat", ("status",), interval=Properties(dtstart=T0 + HOUR, duration=HOUR)),
        ]
    )
    r.reports.cancel(cancel_report("follow", follow=True), ven_id=VEN)
    for _ in range(3):
        update = await collect(r)
        r.clock.advance(MINUTE)
    assert update is not None  # T0+2m: the first update of "per"
    snapshot = r.reports.snapshot()
    assert [record.report_request_id for record in snapshot] == ["per", "later"]
    assert snapshot[0].last_sent == T0 + 2 * MINUTE
    assert snapshot[0].accepted_at == T0

    # a new process, at T0+3m
    restored = through_store(snapshot)
    assert restored == list(snapshot)
    clock = SettableClock(r.clock.now)
    power = counting(Decimal(42))
    reports = VenReports(
        [
            telemetry_usage("tel", power=power, energy=counting(Decimal(1))),
            telemetry_status("stat", status=counting(STATUS)),
        ],
        clock=clock,
    )
    reports.restore(restored)
    assert reports.pending() == ("per", "later")
    assert reports.next_due() == T0 + 2 * MINUTE  # the reading of T0+2m was lost: taken now
    assert await reports.collect(request_id="u", ven_id=VEN) is None
    clock.advance(MINUTE)
    report = only(await reports.collect(request_id="u", ven_id=VEN))
    assert starts(report) == [T0 + 3 * MINUTE]  # labelled with the interval that holds the time read
    assert power.calls == 2
    clock.now = T0 + HOUR
    update = await reports.collect(request_id="u", ven_id=VEN)
    assert [report.report_request_id for report in only_reports(update)] == ["per", "later"]


HOUR = timedelta(hours=1)


async def test_restore_keeps_an_owed_final_update_and_drops_what_no_longer_fits() -> None:
    r = rig()
    r.reports.create(
        [
            request("follow", r_ids=("power",), granularity=MINUTE, report_back=10 * MINUTE),
            request("gone", "hist", ("energy",)),
        ]
    )
    r.reports.cancel(cancel_report("follow", follow=True), ven_id=VEN)
    records = through_store(r.reports.snapshot())
    assert [record.final_update_owed for record in records] == [True, False]
    clock = SettableClock(T0 + HOUR)
    reports = VenReports([telemetry_usage("tel", power=counting(Decimal(9)))], clock=clock)
    reports.restore(records)  # "hist" is no longer offered
    assert reports.pending() == ()
    assert reports.next_due() == T0 + HOUR
    final = only(await reports.collect(request_id="u", ven_id=VEN))
    assert final.report_request_id == "follow"
    assert values(final) == [{"power": Decimal(9)}]
    assert reports.next_due() is None


def test_a_stored_state_that_is_not_ours_is_refused() -> None:
    with pytest.raises(ValueError, match="not the state"):
        ActiveReportRequest.from_stored(request("x"), "{}")
    with pytest.raises(ValueError, match="not the state"):
        ActiveReportRequest.from_stored(
            request("x"),
            '{"accepted_at": "2024-05-01T12:00:00", "last_sent": null, "final_update_owed": false}',
        )


# -- capabilities --------------------------------------------------------------------------------


async def _zero() -> Decimal:
    return Decimal(0)


def test_capabilities_refuse_what_cannot_be_offered() -> None:
    point = DataPoint(
        r_id="p", read=_zero, report_type=ReportType.USAGE, reading_type=ReadingType.DIRECT_READ
    )
    with pytest.raises(ValueError, match="rIDs"):
        ReportCapability(report_specifier_id="r", name=ReportName.TELEMETRY_USAGE, points=(point, point))
    with pytest.raises(ValueError, match="METADATA"):
        ReportCapability(report_specifier_id="r", name=ReportName.METADATA_TELEMETRY_USAGE, points=(point,))
    with pytest.raises(ValueError, match="reportSpecifierID"):
        ReportCapability(report_specifier_id="METADATA", name=ReportName.TELEMETRY_USAGE, points=(point,))
    with pytest.raises(ValueError, match="no data points"):
        ReportCapability(report_specifier_id="r", name=ReportName.TELEMETRY_USAGE, points=())
    with pytest.raises(ValueError, match="power or an energy"):
        telemetry_usage("r")
    with pytest.raises(ValueError, match="min_period"):
        DataPoint(
            r_id="p",
            read=_zero,
            report_type=ReportType.USAGE,
            reading_type=ReadingType.DIRECT_READ,
            min_period=timedelta(0),
        )
    capability = telemetry_usage("r", power=_zero)
    with pytest.raises(ValueError, match="must differ"):
        VenReports([capability, capability])
