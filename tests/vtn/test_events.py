"""EiEvent on the VTN over loopback HTTP: targeting, distribution, status over time, ordering,
modification and cancellation, oadrRequestEvent and oadrCreatedEvent (E1_10xx and the A_E3_0xxx
cases with the VTN as device under test), and the operator API's refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from vtn_harness import START, RunningVtn, VenClient, ok, running_vtn

from openadr_accel.errors import LocalProtocolError
from openadr_accel.model import (
    EiTarget,
    EventResponse,
    EventStatus,
    OadrCancelOpt,
    OadrCreatedEvent,
    OadrCreatedOpt,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrEvent,
    OadrRequestEvent,
    OadrResponse,
    OptReason,
    OptType,
    Payload,
    ProfileName,
    QualifiedEventID,
    ResponseCode,
    ResponseRequired,
    SignalType,
    TransportName,
)
from openadr_accel.vtn import Baseline, Signal, VtnConfig
from openadr_accel.vtn.store import EventResponseRecord, EventResponseSource

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)

# -- helpers -------------------------------------------------------------------------------------


def simple(*intervals: tuple[timedelta, int]) -> Signal:
    return Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=list(intervals) or [(30 * MINUTE, 1)])


async def registered(
    session: aiohttp.ClientSession, server: RunningVtn, ven_id: str, *, report_only: bool = False
) -> VenClient:
    """A VEN registered under ``ven_id``, its queue drained."""
    ven = VenClient(session, server.url)
    if report_only:
        answer = await ven.post(
            "EiRegisterParty",
            OadrCreatePartyRegistration(
                request_id="reg",
                profile_name=ProfileName.B,
                transport_name=TransportName.SIMPLE_HTTP,
                report_only=True,
                xml_signature=False,
                http_pull_model=True,
                ven_id=ven_id,
            ),
        )
        assert answer.ei_response.response_code == ResponseCode.OK  # type: ignore[union-attr]
        ven.ven_id = ven_id
    else:
        created = await ven.register(ven_id=ven_id, ven_name=ven_id)
        assert created.ei_response.response_code == ResponseCode.OK
    await ven.drain()
    return ven


def event_id(event: OadrEvent) -> str:
    return event.ei_event.event_descriptor.event_id


def ids(distribution: OadrDistributeEvent) -> list[str]:
    return [event_id(event) for event in distribution.events]


async def distributions(ven: VenClient) -> list[OadrDistributeEvent]:
    """The oadrDistributeEvents waiting for ``ven`` (nothing else may be queued)."""
    queued = await ven.drain()
    assert all(isinstance(message, OadrDistributeEvent) for message in queued), queued
    return queued  # type: ignore[return-value]


async def one_distribution(ven: VenClient) -> OadrDistributeEvent:
    found = await distributions(ven)
    assert len(found) == 1, found
    return found[0]


async def request_events(ven: VenClient, reply_limit: int | None = None) -> OadrDistributeEvent:
    assert ven.ven_id is not None
    answer = await ven.post(
        "EiEvent", OadrRequestEvent(request_id="req-ev", ven_id=ven.ven_id, reply_limit=reply_limit)
    )
    assert isinstance(answer, OadrDistributeEvent)
    assert answer.ei_response is not None
    assert answer.ei_response.response_code == ResponseCode.OK
    assert answer.ei_response.request_id == "req-ev"
    return answer


def the(events: tuple[OadrEvent, ...], wanted: str) -> OadrEvent:
    [found] = [event for event in events if event_id(event) == wanted]
    return found


def status(event: OadrEvent) -> EventStatus:
    return event.ei_event.event_descriptor.event_status


def response(
    event: str, modification: int, opt: OptType, code: ResponseCode = ResponseCode.OK, request_id: str = "d"
) -> EventResponse:
    return EventResponse(
        response_code=code,
        request_id=request_id,
        qualified_event_id=QualifiedEventID(event_id=event, modification_number=modification),
        opt_type=opt,
    )


async def created_event(ven: VenClient, *responses: EventResponse, ven_id: str | None = None) -> Payload:
    return await ven.post(
        "EiEvent",
        OadrCreatedEvent(ei_response=ok("d"), ven_id=ven_id or ven.ven_id or "", event_responses=responses),
    )


def code_of(answer: Payload) -> ResponseCode:
    ei_response = getattr(answer, "ei_response", None)
    assert ei_response is not None, answer
    return ei_response.response_code  # type: ignore[no-any-return]


# -- targeting -----------------------------------------------------------------------------------


async def test_distribution_reaches_only_the_targeted_vens(tmp_path: Path) -> None:
    """A_E3_0435: eiTarget by venID, group, resource; market contexts; an empty target reaches
    every VEN; a report-only VEN gets no events."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        registrations = server.vtn.registrations
        await registrations.assign("ven-a", group_ids=("g1",))
        await registrations.assign("ven-b", resource_ids=("r1",))
        await registrations.assign("ven-c", market_contexts=("http://mc2",))
        a = await registered(session, server, "ven-a")
        b = await registered(session, server, "ven-b")
        c = await registered(session, server, "ven-c")
        d = await registered(session, server, "ven-d", report_only=True)
        start = START + 2 * HOUR
        events = server.vtn.events
        await events.create(
            signals=[simple()], start=start, target=EiTarget(ven_ids=("ven-a",)), event_id="by-ven"
        )
        await events.create(
            signals=[simple()], start=start, target=EiTarget(group_ids=("g1",)), event_id="by-group"
        )
        await events.create(
            signals=[simple()], start=start, target=EiTarget(resource_ids=("r1",)), event_id="by-resource"
        )
        await events.create(signals=[simple()], start=start, market_context="http://mc2", event_id="mc2")
        await events.create(signals=[simple()], start=start, event_id="everyone")
        await events.create(
            signals=[simple()], start=start, target=EiTarget(group_ids=("nobody",)), event_id="no-one"
        )

        expected = {
            a: {"by-ven", "by-group", "mc2", "everyone"},
            b: {"by-resource", "mc2", "everyone"},
            c: {"mc2"},
        }
        for ven, wanted in expected.items():
            distribution = await one_distribution(ven)  # coalesced: one for all the creations
            assert distribution.vtn_id == "test-vtn"
            assert set(ids(distribution)) == wanted, ven.ven_id
            assert {event_id(e) for e in (await request_events(ven)).events} == wanted
        assert await d.drain() == []
        assert (await request_events(d)).events == ()


async def test_e1_1027_an_event_with_a_baseline(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        start = START + HOUR
        expected = Baseline(intervals=[(HOUR, "7.4"), (HOUR, 6)], baseline_id="b-1", name="usual load")
        await server.vtn.events.create(signals=[simple()], start=start, event_id="e", baseline=expected)
        [event] = (await one_distribution(ven)).events
        baseline = event.ei_event.baseline
        assert baseline is not None
        assert (baseline.dtstart, baseline.duration) == (start, 2 * HOUR)
        assert (baseline.baseline_id, baseline.baseline_name) == ("b-1", "usual load")
        assert [(interval.uid, interval.duration, interval.value) for interval in baseline.intervals] == [
            ("0", HOUR, Decimal("7.4")),
            ("1", HOUR, Decimal(6)),
        ]
        with pytest.raises(LocalProtocolError, match="baseline has no intervals"):
            await server.vtn.events.create(signals=[simple()], start=start, baseline=Baseline(intervals=[]))


async def test_a_target_of_only_meters_reaches_every_ven(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        a = await registered(session, server, "ven-a")
        await server.vtn.events.create(
            signals=[simple()], start=START + HOUR, target=EiTarget(meter_assets=("meter-1",)), event_id="m"
        )
        assert ids(await one_distribution(a)) == ["m"]


async def test_unregistered_vens_get_nothing_queued(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server:
        await server.vtn.registrations.assign("provisioned", group_ids=("g",))
        await server.vtn.events.create(
            signals=[simple()], start=START + HOUR, target=EiTarget(group_ids=("g",))
        )
        assert await server.vtn.store.list_queue("provisioned") == []


# -- status and currentValue over time -----------------------------------------------------------


async def test_status_follows_the_clock_in_distributions_and_requests(tmp_path: Path) -> None:
    """far, near (within near_window, A_E3_0527), active (A_E3_0420), completed; the distribution
    is built when it is polled, so it carries the status of that moment."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        start = START + 2 * HOUR
        await server.vtn.events.create(signals=[simple((30 * MINUTE, 2))], start=start, event_id="e")

        [event] = (await one_distribution(ven)).events
        assert status(event) == EventStatus.FAR
        assert status((await request_events(ven)).events[0]) == EventStatus.FAR

        server.clock.advance(HOUR)  # exactly near_window before the start
        assert status((await request_events(ven)).events[0]) == EventStatus.NEAR
        await server.vtn.events.modify("e", vtn_comment="queued while near")
        server.clock.advance(HOUR + 5 * MINUTE)  # polled after the start
        [event] = (await one_distribution(ven)).events
        assert status(event) == EventStatus.ACTIVE
        assert event.ei_event.event_descriptor.modification_number == 1
        assert status((await request_events(ven)).events[0]) == EventStatus.ACTIVE

        server.clock.advance(25 * MINUTE)  # the end: completed, and no longer distributed
        got = await server.vtn.events.get("e")
        assert got is not None
        assert status(got) == EventStatus.COMPLETED
        assert (await request_events(ven)).events == ()
        assert await server.vtn.events.current() == ()


async def test_near_status_in_a_distribution(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + 30 * MINUTE, event_id="e")
        [event] = (await one_distribution(ven)).events
        assert status(event) == EventStatus.NEAR


async def test_near_window_is_configurable(tmp_path: Path) -> None:
    config = VtnConfig(vtn_id="test-vtn", near_window=10 * MINUTE)
    async with running_vtn(tmp_path, config=config) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + 30 * MINUTE, event_id="e")
        assert status((await one_distribution(ven)).events[0]) == EventStatus.FAR
        server.clock.advance(20 * MINUTE)
        assert status((await request_events(ven)).events[0]) == EventStatus.NEAR


async def test_rule_14_current_value_follows_the_running_interval(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        start = START + 10 * MINUTE
        await server.vtn.events.create(
            signals=[simple((10 * MINUTE, 3), (20 * MINUTE, 1))], start=start, event_id="e"
        )
        [event] = (await one_distribution(ven)).events
        assert event.ei_event.signals[0].current_value == Decimal(0)  # not active yet

        server.clock.advance(15 * MINUTE)  # 5 minutes into the first interval
        [event] = (await request_events(ven)).events
        assert status(event) == EventStatus.ACTIVE
        assert event.ei_event.signals[0].current_value == Decimal(3)

        server.clock.advance(10 * MINUTE)  # 15 minutes in: the second interval
        [event] = (await request_events(ven)).events
        assert event.ei_event.signals[0].current_value == Decimal(1)


async def test_rule_2_interval_uids_and_rule_8_active_period(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(
            signals=[
                simple((10 * MINUTE, 1), (10 * MINUTE, 2), (10 * MINUTE, 3)),
                Signal(
                    name="ELECTRICITY_PRICE",
                    type=SignalType.PRICE,
                    intervals=[(15 * MINUTE, "0.25"), (15 * MINUTE, "0.30")],
                ),
            ],
            start=START + HOUR,
        )
        [event] = (await one_distribution(ven)).events
        first, second = event.ei_event.signals
        assert [interval.uid for interval in first.intervals] == ["0", "1", "2"]
        assert [interval.uid for interval in second.intervals] == ["0", "1"]
        assert first.signal_id != second.signal_id
        assert event.ei_event.active_period.duration == 30 * MINUTE
        assert [interval.value for interval in second.intervals] == [Decimal("0.25"), Decimal("0.30")]


# -- ordering (rule 15) ----------------------------------------------------------------------------


async def test_rule_15_ordering_active_by_priority_then_start_then_pending_by_start(tmp_path: Path) -> None:
    """A_E3_0510 / A_E3_0520 / A_E3_0525: active events first, by priority (1 highest, 0 or none
    lowest), then by start; then pending events by start."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        long = simple((3 * HOUR, 1))
        create = server.vtn.events.create
        await create(signals=[long], start=START + HOUR, event_id="pending-late")
        await create(signals=[long], start=START - 30 * MINUTE, priority=2, event_id="active-p2")
        await create(signals=[long], start=START - 40 * MINUTE, event_id="active-no-priority")
        await create(signals=[long], start=START - 10 * MINUTE, priority=1, event_id="active-p1-late")
        await create(signals=[long], start=START + 30 * MINUTE, priority=1, event_id="pending-early")
        await create(signals=[long], start=START - 20 * MINUTE, priority=1, event_id="active-p1-early")
        expected = [
            "active-p1-early",
            "active-p1-late",
            "active-p2",
            "active-no-priority",
            "pending-early",
            "pending-late",
        ]
        assert ids(await one_distribution(ven)) == expected
        assert ids(await request_events(ven)) == expected


# -- modification, cancellation, coalescing -------------------------------------------------------


async def test_modify_redistributes_to_old_and_new_targets(tmp_path: Path) -> None:
    """E1_1030 / A_E3: modificationNumber + 1; a VEN the new target drops gets a distribution
    without the event (implicit cancel), one it adds gets the event, one never targeted nothing."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        a = await registered(session, server, "ven-a")
        b = await registered(session, server, "ven-b")
        c = await registered(session, server, "ven-c")
        d = await registered(session, server, "ven-d")
        event = await server.vtn.events.create(
            signals=[simple()], start=START + 2 * HOUR, target=EiTarget(ven_ids=("ven-a", "ven-c"))
        )
        e = event_id(event)
        assert event.ei_event.event_descriptor.modification_number == 0
        assert ids(await one_distribution(a)) == [e]
        assert ids(await one_distribution(c)) == [e]
        assert await b.drain() == []

        modified = await server.vtn.events.modify(
            e, target=EiTarget(ven_ids=("ven-a", "ven-b")), signals=[simple((30 * MINUTE, 2))], reason="swap"
        )
        descriptor = modified.ei_event.event_descriptor
        assert descriptor.modification_number == 1
        assert descriptor.modification_reason == "swap"
        assert descriptor.modification_date_time == START

        [kept] = (await one_distribution(a)).events
        assert kept.ei_event.event_descriptor.modification_number == 1
        assert kept.ei_event.signals[0].intervals[0].value == Decimal(2)
        [added] = (await one_distribution(b)).events
        assert added.ei_event.event_descriptor.modification_number == 1
        dropped = await one_distribution(c)
        assert dropped.events == ()
        assert await d.drain() == []
        assert (await request_events(c)).events == ()


async def test_modify_keeps_what_is_not_given(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server:
        event = await server.vtn.events.create(
            signals=[simple((30 * MINUTE, 2))],
            start=START + HOUR,
            priority=3,
            response_required=ResponseRequired.NEVER,
            start_after=5 * MINUTE,
            vtn_comment="original",
        )
        modified = await server.vtn.events.modify(event_id(event), start=START + 2 * HOUR)
        assert modified.ei_event.active_period.dtstart == START + 2 * HOUR
        assert modified.ei_event.active_period.duration == 30 * MINUTE
        assert modified.ei_event.active_period.start_after == 5 * MINUTE
        assert modified.ei_event.event_descriptor.priority == 3
        assert modified.ei_event.event_descriptor.vtn_comment == "original"
        assert modified.response_required == ResponseRequired.NEVER
        assert modified.ei_event.signals == event.ei_event.signals


async def test_two_changes_before_a_poll_coalesce_into_one_distribution(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        event = await server.vtn.events.create(signals=[simple((30 * MINUTE, 1))], start=START + HOUR)
        await server.vtn.events.modify(event_id(event), signals=[simple((30 * MINUTE, 2))])
        await server.vtn.events.modify(event_id(event), signals=[simple((30 * MINUTE, 3))])
        [sent] = (await one_distribution(ven)).events
        assert sent.ei_event.event_descriptor.modification_number == 2
        assert sent.ei_event.signals[0].intervals[0].value == Decimal(3)


async def test_cancel_sets_status_cancelled_and_bumps_the_modification_number(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        event = await server.vtn.events.create(signals=[simple((30 * MINUTE, 1))], start=START + HOUR)
        e = event_id(event)
        await ven.drain()
        cancelled = await server.vtn.events.cancel(e, reason="grid ok")
        assert cancelled.ei_event.event_descriptor.event_status == EventStatus.CANCELLED
        assert cancelled.ei_event.event_descriptor.modification_number == 1
        assert cancelled.ei_event.event_descriptor.modification_reason == "grid ok"

        [sent] = (await one_distribution(ven)).events
        assert event_id(sent) == e
        assert status(sent) == EventStatus.CANCELLED
        assert sent.ei_event.event_descriptor.modification_number == 1
        # A cancelled event stays in the distribution until its end ...
        server.clock.advance(HOUR + 29 * MINUTE)
        [still] = (await request_events(ven)).events
        assert status(still) == EventStatus.CANCELLED
        # ... and then leaves it.
        server.clock.advance(MINUTE)
        assert (await request_events(ven)).events == ()


async def test_cancelled_open_ended_event_leaves_after_the_retention(tmp_path: Path) -> None:
    config = VtnConfig(vtn_id="test-vtn", cancelled_event_retention=2 * HOUR)
    async with running_vtn(tmp_path, config=config) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        event = await server.vtn.events.create(signals=[simple((timedelta(0), 1))], start=START + 10 * MINUTE)
        assert event.ei_event.active_period.duration == timedelta(0)
        e = event_id(event)
        server.clock.advance(HOUR)
        [active] = (await request_events(ven)).events
        assert status(active) == EventStatus.ACTIVE
        assert active.ei_event.signals[0].current_value == Decimal(1)

        await server.vtn.events.cancel(e)  # at START + 1h
        [sent] = (await one_distribution(ven)).events
        assert status(sent) == EventStatus.CANCELLED
        server.clock.advance(2 * HOUR - MINUTE)
        assert ids(await request_events(ven)) == [e]
        server.clock.advance(MINUTE)
        assert (await request_events(ven)).events == ()


async def test_an_uncancelled_open_ended_event_stays(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        event = await server.vtn.events.create(signals=[simple((timedelta(0), 2))], start=START)
        server.clock.advance(timedelta(days=30))
        [sent] = (await request_events(ven)).events
        assert event_id(sent) == event_id(event)
        assert status(sent) == EventStatus.ACTIVE


# -- oadrRequestEvent ------------------------------------------------------------------------------


async def test_e1_1050_a_e3_0680_request_event_returns_all_current_events(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        assert (await request_events(ven)).events == ()
        for number in range(3):
            await server.vtn.events.create(
                signals=[simple()], start=START + (number + 1) * HOUR, event_id=f"e{number}"
            )
        answer = await request_events(ven)
        assert ids(answer) == ["e0", "e1", "e2"]
        assert answer.vtn_id == "test-vtn"
        assert answer.request_id  # a requestID of its own


async def test_a_e3_0655_reply_limit(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        for number in range(3):
            await server.vtn.events.create(
                signals=[simple()], start=START + (number + 1) * HOUR, event_id=f"e{number}"
            )
        assert ids(await request_events(ven, reply_limit=2)) == ["e0", "e1"]
        assert ids(await request_events(ven, reply_limit=1)) == ["e0"]
        assert ids(await request_events(ven, reply_limit=10)) == ["e0", "e1", "e2"]


async def test_request_event_does_not_consume_the_queue(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        await request_events(ven)
        assert ids(await one_distribution(ven)) == ["e"]


# -- oadrCreatedEvent ------------------------------------------------------------------------------


async def test_a_e3_0440_opt_in_and_opt_out_in_one_created_event(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e1")
        await server.vtn.events.create(signals=[simple()], start=START + 2 * HOUR, event_id="e2")
        distribution = await one_distribution(ven)
        answer = await created_event(
            ven,
            response("e1", 0, OptType.OPT_IN, request_id=distribution.request_id),
            response("e2", 0, OptType.OPT_OUT, request_id=distribution.request_id),
        )
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.ei_response.request_id == "d"
        assert answer.ven_id == "ven-a"
        [first] = await server.vtn.events.responses("e1")
        [second] = await server.vtn.events.responses("e2")
        assert (first.ven_id, first.opt_type, first.modification_number) == ("ven-a", OptType.OPT_IN, 0)
        assert (second.ven_id, second.opt_type) == ("ven-a", OptType.OPT_OUT)
        assert first.source == EventResponseSource.CREATED_EVENT
        told = server.recorder.calls["event_response"]
        assert [(record.event_id, record.opt_type, overridden) for record, overridden in told] == [  # type: ignore[attr-defined]
            ("e1", OptType.OPT_IN, False),
            ("e2", OptType.OPT_OUT, False),
        ]


async def test_a_e3_0450_opt_in_and_opt_out_in_two_created_events(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        other = await registered(session, server, "ven-b")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e1")
        await server.vtn.events.create(signals=[simple()], start=START + 2 * HOUR, event_id="e2")
        assert code_of(await created_event(ven, response("e1", 0, OptType.OPT_IN))) == ResponseCode.OK
        assert code_of(await created_event(ven, response("e2", 0, OptType.OPT_OUT))) == ResponseCode.OK
        assert code_of(await created_event(other, response("e1", 0, OptType.OPT_OUT))) == ResponseCode.OK
        by_ven = {(r.ven_id, r.event_id): r.opt_type for r in await server.vtn.events.responses("e1")}
        assert by_ven == {("ven-a", "e1"): OptType.OPT_IN, ("ven-b", "e1"): OptType.OPT_OUT}
        [e2] = await server.vtn.events.responses("e2")
        assert e2.opt_type == OptType.OPT_OUT
        assert len(server.recorder.calls["event_response"]) == 3

        # A later answer replaces the VEN's earlier one.
        assert code_of(await created_event(ven, response("e1", 0, OptType.OPT_OUT))) == ResponseCode.OK
        by_ven = {r.ven_id: r.opt_type for r in await server.vtn.events.responses("e1")}
        assert by_ven == {"ven-a": OptType.OPT_OUT, "ven-b": OptType.OPT_OUT}


async def test_answers_to_a_modified_event_name_its_new_modification_number(tmp_path: Path) -> None:
    """E1_1030: an event and then its modification, both answered."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        assert code_of(await created_event(ven, response("e", 0, OptType.OPT_IN))) == ResponseCode.OK
        await server.vtn.events.modify("e", priority=1)
        assert code_of(await created_event(ven, response("e", 0, OptType.OPT_IN))) == ResponseCode.INVALID_ID
        assert code_of(await created_event(ven, response("e", 1, OptType.OPT_OUT))) == ResponseCode.OK
        [record] = await server.vtn.events.responses("e")
        assert (record.modification_number, record.opt_type) == (1, OptType.OPT_OUT)


async def test_a_e3_0720_mismatched_event_id_is_452(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        await server.vtn.events.create(
            signals=[simple()], start=START + HOUR, event_id="not-yours", target=EiTarget(ven_ids=("ven-b",))
        )
        for wrong in ("no-such-event", "E", "not-yours"):  # IDs are case-sensitive (E1_1080)
            answer = await created_event(ven, response(wrong, 0, OptType.OPT_IN))
            assert isinstance(answer, OadrResponse)
            assert answer.ei_response.response_code == ResponseCode.INVALID_ID, wrong
        assert await server.vtn.events.responses("e") == []
        assert await server.vtn.events.responses("not-yours") == []
        assert "event_response" not in server.recorder.calls


@pytest.mark.parametrize("modification", [1, 2], ids=["future", "far-future"])
async def test_a_e3_0730_mismatched_modification_number_is_452(tmp_path: Path, modification: int) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        answer = await created_event(ven, response("e", modification, OptType.OPT_IN))
        assert code_of(answer) == ResponseCode.INVALID_ID
        assert await server.vtn.events.responses("e") == []


async def test_a_e3_0730_stale_modification_number_is_452(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        await server.vtn.events.modify("e", priority=2)
        await server.vtn.events.modify("e", priority=3)
        assert code_of(await created_event(ven, response("e", 1, OptType.OPT_IN))) == ResponseCode.INVALID_ID
        assert await server.vtn.events.responses("e") == []


async def test_a_e3_0750_an_event_response_with_a_4xx_code_is_accepted_and_stored(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        answer = await created_event(
            ven, response("e", 0, OptType.OPT_OUT, code=ResponseCode.SIGNAL_NOT_SUPPORTED)
        )
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.OK
        [record] = await server.vtn.events.responses("e")
        assert record.response_code == ResponseCode.SIGNAL_NOT_SUPPORTED
        assert record.opt_type == OptType.OPT_OUT
        [(told, overridden)] = server.recorder.calls["event_response"]
        assert told == record
        assert overridden is False


async def test_a_e3_0780_created_event_from_an_unrecognized_ven_is_463(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        for stranger in ("ven-unknown", "VEN-A"):
            answer = await created_event(ven, response("e", 0, OptType.OPT_IN), ven_id=stranger)
            assert isinstance(answer, OadrResponse)
            assert answer.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await server.vtn.events.responses("e") == []
        assert "event_response" not in server.recorder.calls


async def test_e1_1060_e1_1065_rule_206_an_opt_overrides_later_created_event(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        opt = await ven.post(
            "EiOpt",
            OadrCreateOpt(
                opt_id="opt-e",
                opt_type=OptType.OPT_OUT,
                opt_reason=OptReason.PARTICIPATING,
                ven_id="ven-a",
                created_date_time=START,
                request_id="opt-req",
                qualified_event_id=QualifiedEventID(event_id="e", modification_number=0),
            ),
        )
        assert isinstance(opt, OadrCreatedOpt)
        assert opt.ei_response.response_code == ResponseCode.OK

        answer = await created_event(ven, response("e", 0, OptType.OPT_IN))
        assert code_of(answer) == ResponseCode.OK  # answered 200, but ignored
        [record] = await server.vtn.events.responses("e")
        assert record.opt_type == OptType.OPT_OUT
        assert record.source == EventResponseSource.CREATE_OPT
        assert record.opt_id == "opt-e"
        told = server.recorder.calls["event_response"]
        assert len(told) == 2
        from_opt, from_created = told
        assert isinstance(from_opt[0], EventResponseRecord)
        assert (from_opt[0].opt_type, from_opt[1]) == (OptType.OPT_OUT, False)
        assert isinstance(from_created[0], EventResponseRecord)
        assert (from_created[0].opt_type, from_created[1]) == (OptType.OPT_IN, True)
        assert from_created[0].source == EventResponseSource.CREATED_EVENT


async def test_cancelling_the_opt_lifts_rule_206(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        await ven.post(
            "EiOpt",
            OadrCreateOpt(
                opt_id="opt-e",
                opt_type=OptType.OPT_OUT,
                opt_reason=OptReason.PARTICIPATING,
                ven_id="ven-a",
                created_date_time=START,
                request_id="opt-req",
                qualified_event_id=QualifiedEventID(event_id="e", modification_number=0),
            ),
        )
        cancelled = await ven.post("EiOpt", OadrCancelOpt(request_id="c", opt_id="opt-e", ven_id="ven-a"))
        assert code_of(cancelled) == ResponseCode.OK
        assert await server.vtn.events.responses("e") == []

        assert code_of(await created_event(ven, response("e", 0, OptType.OPT_IN))) == ResponseCode.OK
        [record] = await server.vtn.events.responses("e")
        assert (record.opt_type, record.source) == (OptType.OPT_IN, EventResponseSource.CREATED_EVENT)
        assert server.recorder.calls["event_response"][-1][1] is False


# -- the operator API's refusals ---------------------------------------------------------------------


async def test_events_breaking_rules_are_local_protocol_errors(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server:
        create = server.vtn.events.create
        start = START + HOUR
        with pytest.raises(LocalProtocolError, match="rule 9"):
            await create(signals=[simple((30 * MINUTE, 5))], start=start)
        with pytest.raises(LocalProtocolError, match="rule 7"):
            await create(
                signals=[Signal(name="SIMPLE", type=SignalType.PRICE, intervals=[(30 * MINUTE, 1)])],
                start=start,
            )
        with pytest.raises(LocalProtocolError, match="rule 8"):
            await create(signals=[simple((30 * MINUTE, 1)), simple((20 * MINUTE, 1))], start=start)
        with pytest.raises(LocalProtocolError):
            await create(signals=[], start=start)
        assert await server.vtn.events.current() == ()

        await create(signals=[simple()], start=start, event_id="taken")
        with pytest.raises(LocalProtocolError, match="exists"):
            await create(signals=[simple((30 * MINUTE, 2))], start=start, event_id="taken")
        kept = await server.vtn.events.get("taken")
        assert kept is not None
        assert kept.ei_event.signals[0].intervals[0].value == Decimal(1)

        with pytest.raises(LocalProtocolError, match="rule 9"):
            await server.vtn.events.modify("taken", signals=[simple((30 * MINUTE, 7))])
        with pytest.raises(LocalProtocolError, match="rule 8"):
            await server.vtn.events.modify(
                "taken", signals=[simple((30 * MINUTE, 1)), simple((10 * MINUTE, 1))]
            )
        unchanged = await server.vtn.events.get("taken")
        assert unchanged is not None
        assert unchanged.ei_event.event_descriptor.modification_number == 0

        with pytest.raises(LocalProtocolError):
            await server.vtn.events.modify("no-such-event", priority=1)
        with pytest.raises(LocalProtocolError):
            await server.vtn.events.cancel("no-such-event")


async def test_a_cancelled_or_completed_event_cannot_change(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server:
        events = server.vtn.events
        await events.create(signals=[simple()], start=START + HOUR, event_id="cancelled")
        await events.cancel("cancelled")
        with pytest.raises(LocalProtocolError, match="cancelled"):
            await events.modify("cancelled", priority=1)
        with pytest.raises(LocalProtocolError, match="cancelled"):
            await events.cancel("cancelled")

        await events.create(signals=[simple()], start=START + HOUR, event_id="done")
        server.clock.advance(2 * HOUR)
        with pytest.raises(LocalProtocolError, match="completed"):
            await events.modify("done", priority=1)
        with pytest.raises(LocalProtocolError, match="completed"):
            await events.cancel("done")
        got = await events.get("cancelled")
        assert got is not None
        assert got.ei_event.event_descriptor.modification_number == 1


# -- what the distributed event carries ----------------------------------------------------------


async def test_a_e1_0130_test_events_are_flagged(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, test_event=True, event_id="t")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="real")
        events = (await one_distribution(ven)).events
        assert the(events, "t").ei_event.event_descriptor.test_event == "true"
        assert the(events, "real").ei_event.event_descriptor.test_event == "false"


async def test_randomization_start_after_is_distributed_and_does_not_move_the_status(tmp_path: Path) -> None:
    """A_E3_0685: the VEN randomizes its start; the VTN's status follows dtstart."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(
            signals=[simple()], start=START + 10 * MINUTE, start_after=5 * MINUTE, event_id="r"
        )
        [event] = (await one_distribution(ven)).events
        assert event.ei_event.active_period.start_after == 5 * MINUTE
        assert event.ei_event.active_period.dtstart == START + 10 * MINUTE
        server.clock.advance(11 * MINUTE)
        [event] = (await request_events(ven)).events
        assert status(event) == EventStatus.ACTIVE
        assert event.ei_event.active_period.start_after == 5 * MINUTE


async def test_response_required_never_and_always_are_carried(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="default")
        await server.vtn.events.create(
            signals=[simple()], start=START + HOUR, response_required=ResponseRequired.NEVER, event_id="never"
        )
        events = (await one_distribution(ven)).events
        assert the(events, "default").response_required == ResponseRequired.ALWAYS
        assert the(events, "never").response_required == ResponseRequired.NEVER
        await server.vtn.events.modify("never", response_required=ResponseRequired.ALWAYS)
        assert the((await one_distribution(ven)).events, "never").response_required == ResponseRequired.ALWAYS


async def test_descriptor_fields_are_carried(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(
            signals=[simple()],
            start=START + HOUR,
            priority=4,
            vtn_comment="hello",
            market_context="http://mc9",
            ramp_up=5 * MINUTE,
            recovery=10 * MINUTE,
            notification=HOUR,
            event_id="e",
        )
        [event] = (await one_distribution(ven)).events
        descriptor = event.ei_event.event_descriptor
        assert descriptor.priority == 4
        assert descriptor.vtn_comment == "hello"
        assert descriptor.market_context == "http://mc9"
        assert descriptor.created_date_time == START
        period = event.ei_event.active_period
        assert (period.ramp_up, period.recovery, period.notification) == (5 * MINUTE, 10 * MINUTE, HOUR)


async def test_a_created_event_with_one_bad_response_is_452_and_stores_none(tmp_path: Path) -> None:
    """All or nothing: an oadrCreatedEvent naming one event it cannot answer is refused whole."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        answer = await created_event(
            ven, response("e", 0, OptType.OPT_IN), response("no-such-event", 0, OptType.OPT_IN)
        )
        assert code_of(answer) == ResponseCode.INVALID_ID
        assert await server.vtn.events.responses("e") == []
        assert "event_response" not in server.recorder.calls


@pytest.mark.parametrize("opt", [OptType.OPT_IN, OptType.OPT_OUT])
@pytest.mark.parametrize("modified", [False, True], ids=["mod0", "mod1"])
@pytest.mark.parametrize("state", ["pending", "active", "cancelled"])
async def test_a_e3_0452_0498_answers_in_every_event_state(
    tmp_path: Path, state: str, modified: bool, opt: OptType
) -> None:
    """The VEN answers optIn or optOut to a pending, active or cancelled event, at modification
    number 0 or 1: answered 200 and stored at that modification number."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        events = server.vtn.events
        await events.create(signals=[simple((2 * HOUR, 1))], start=START + 10 * MINUTE, event_id="e")
        if modified:
            await events.modify("e", vtn_comment="changed")
        if state == "active":
            server.clock.advance(20 * MINUTE)
        elif state == "cancelled":
            await events.cancel("e")
        [sent] = (await one_distribution(ven)).events
        expected_status = {
            "pending": EventStatus.NEAR,
            "active": EventStatus.ACTIVE,
            "cancelled": EventStatus.CANCELLED,
        }[state]
        assert status(sent) == expected_status
        number = sent.ei_event.event_descriptor.modification_number
        assert number == int(modified) + int(state == "cancelled")
        answer = await created_event(ven, response("e", number, opt))
        assert code_of(answer) == ResponseCode.OK
        [record] = await events.responses("e")
        assert (record.opt_type, record.modification_number) == (opt, number)
