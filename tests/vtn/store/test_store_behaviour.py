"""The behaviour every :class:`~openadr_accel.vtn.store.Store` keeps, run against each one.

The ``store`` fixture is a SqliteStore, then a PostgresStore (in a schema of its own);
``open_store`` opens a second store on the same database, as another process would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from samples import metadata_report, report_request, telemetry_report

from openadr_accel import model as m
from openadr_accel.vtn.store import (
    EventResponseRecord,
    EventResponseSource,
    MessageKind,
    QueuedMessage,
    ReportRequestRecord,
    ReportRequestState,
    Store,
    VenRecord,
)

StoreOpener = Callable[..., Awaitable[Store]]

T0 = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE = timezone(timedelta(hours=-5))
MARKET = "http://market.example.com/dr"
PAYLOAD = MessageKind.PAYLOAD
NOTE = MessageKind.DISTRIBUTE_EVENTS


# -- building records --------------------------------------------------------------------------


def full_ven(ven_id: str = "ven-1") -> VenRecord:
    """A VEN with every field away from its default."""
    return VenRecord(
        ven_id=ven_id,
        registration_id=f"reg-{ven_id}",
        ven_name=f"name of {ven_id}",
        fingerprint=f"fp:{ven_id}",
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address=f"https://{ven_id}.example.com:8443/oadr",
        http_pull_model=False,
        xml_signature=True,
        report_only=True,
        registered_at=datetime(2026, 6, 30, 23, 15, 7, 123456, tzinfo=PLUS_TWO),
        cancel_requested=True,
        group_ids=("north", "depot-7"),
        resource_ids=("charger-1", "charger-2", "charger-3"),
        market_contexts=(MARKET, "http://other.example.com/x"),
    )


def push_ven(ven_id: str) -> VenRecord:
    """A VEN registered in push mode."""
    return VenRecord(
        ven_id=ven_id,
        registration_id=f"reg-{ven_id}",
        http_pull_model=False,
        transport_address=f"http://{ven_id}.example.com",
    )


def event(
    event_id: str,
    *,
    start: datetime = T0,
    duration: timedelta = HOUR,
    modification_number: int = 0,
    levels: tuple[int, ...] = (1, 2),
    status: m.EventStatus = m.EventStatus.FAR,
) -> m.OadrEvent:
    """A SIMPLE event; ``duration`` zero makes it open-ended."""
    interval = duration / len(levels)
    return m.OadrEvent(
        ei_event=m.EiEvent(
            event_descriptor=m.EventDescriptor(
                event_id=event_id,
                modification_number=modification_number,
                market_context=MARKET,
                created_date_time=T0 - timedelta(days=1),
                event_status=status,
                priority=1,
                test_event="false",
                vtn_comment=f"comment on {event_id}",
            ),
            active_period=m.EiActivePeriod(
                dtstart=start,
                duration=duration,
                notification=timedelta(days=1),
                ramp_up=timedelta(minutes=5),
            ),
            signals=(
                m.EiEventSignal(
                    intervals=tuple(
                        m.SignalInterval(
                            duration=interval,
                            uid=str(index),
                            payloads=(m.PayloadFloat(value=Decimal(level)),),
                        )
                        for index, level in enumerate(levels)
                    ),
                    signal_name=m.SignalName.SIMPLE,
                    signal_type=m.SignalType.LEVEL,
                    signal_id="signal-1",
                    current_value=Decimal(0),
                ),
            ),
            target=m.EiTarget(group_ids=("north",), ven_ids=("ven-1", "ven-2")),
        ),
        response_required=m.ResponseRequired.ALWAYS,
    )


def ids(events: list[m.OadrEvent]) -> list[str]:
    return [found.ei_event.event_descriptor.event_id for found in events]


def answer(
    ven_id: str,
    event_id: str,
    *,
    opt_type: m.OptType = m.OptType.OPT_IN,
    source: EventResponseSource = EventResponseSource.CREATED_EVENT,
    at: datetime = T0,
    opt_id: str | None = None,
) -> EventResponseRecord:
    return EventResponseRecord(
        ven_id=ven_id,
        event_id=event_id,
        modification_number=2,
        opt_type=opt_type,
        response_code=m.ResponseCode.OK,
        source=source,
        received_at=at,
        opt_id=opt_id,
    )


def opt(ven_id: str, opt_id: str, *, opt_type: m.OptType = m.OptType.OPT_OUT) -> m.OadrCreateOpt:
    return m.OadrCreateOpt(
        opt_id=opt_id,
        opt_type=opt_type,
        opt_reason=m.OptReason.ECONOMIC,
        ven_id=ven_id,
        created_date_time=T0,
        request_id=f"request-{opt_id}",
        market_context=MARKET,
        availability=(m.Available(dtstart=T0 + HOUR, duration=2 * HOUR),),
        target=m.EiTarget(resource_ids=("charger-1",)),
    )


def request_record(
    ven_id: str,
    request_id: str,
    *,
    state: ReportRequestState = ReportRequestState.REQUESTED,
    created_at: datetime = T0,
    one_shot: bool = False,
) -> ReportRequestRecord:
    request = report_request(request_id)
    if one_shot:
        specifier = replace(
            request.report_specifier, granularity=timedelta(0), report_back_duration=timedelta(0)
        )
        request = replace(request, report_specifier=specifier)
    return ReportRequestRecord(ven_id=ven_id, request=request, state=state, created_at=created_at)


def capability(specifier_id: str) -> m.OadrReport:
    return replace(metadata_report(), report_specifier_id=specifier_id)


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.utcoffset() == timedelta(0)


# -- the protocol ------------------------------------------------------------------------------


def test_implements_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


async def test_close_and_open_again(store: Store) -> None:
    await store.save_ven(VenRecord(ven_id="ven-1"))
    await store.close()
    await store.open()
    await store.open()  # idempotent
    assert await store.get_ven("ven-1") == VenRecord(ven_id="ven-1")


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.enqueue("ven-1", PAYLOAD, b"x", now=datetime(2026, 7, 1, 14, 0))  # naive on purpose
    assert await store.list_queue("ven-1") == []


# -- VENs --------------------------------------------------------------------------------------


async def test_ven_round_trip_keeps_every_field(store: Store) -> None:
    full = full_ven()
    minimal = VenRecord(ven_id="ven-2")
    await store.save_ven(full)
    await store.save_ven(minimal)
    found = await store.get_ven("ven-1")
    assert found == full
    assert found is not None
    assert_utc(found.registered_at)
    assert found.registered_at == datetime(2026, 6, 30, 21, 15, 7, 123456, tzinfo=UTC)
    assert isinstance(found.group_ids, tuple)
    assert found.push
    assert await store.get_ven("ven-2") == minimal
    assert await store.get_ven("ven-3") is None


async def test_save_ven_replaces(store: Store) -> None:
    await store.save_ven(full_ven())
    changed = replace(full_ven(), registration_id=None, ven_name=None, group_ids=(), http_pull_model=True)
    await store.save_ven(changed)
    assert await store.get_ven("ven-1") == changed
    assert await store.list_vens() == [changed]


async def test_find_by_registration_and_fingerprint(store: Store) -> None:
    await store.save_ven(full_ven("ven-1"))
    await store.save_ven(full_ven("ven-2"))
    by_registration = await store.find_ven_by_registration("reg-ven-2")
    by_fingerprint = await store.find_ven_by_fingerprint("fp:ven-1")
    assert by_registration is not None
    assert by_registration.ven_id == "ven-2"
    assert by_fingerprint == full_ven("ven-1")
    assert await store.find_ven_by_registration("reg-ven-3") is None
    assert await store.find_ven_by_fingerprint("fp:VEN-1") is None
    await store.save_ven(replace(full_ven("ven-2"), registration_id=None))
    assert await store.find_ven_by_registration("reg-ven-2") is None
    assert await store.find_ven_by_fingerprint("fp:ven-2") is not None


async def test_list_vens_by_ven_id(store: Store) -> None:
    names = ["ven-b", "ven-a", "Ven-1", "ven-A", "ven-10", "ven-2", "vén"]
    for name in names:
        await store.save_ven(VenRecord(ven_id=name, ven_name=name.upper()))
    assert [ven.ven_id for ven in await store.list_vens()] == sorted(names)


async def test_ven_ids_are_case_sensitive(store: Store) -> None:
    await store.save_ven(VenRecord(ven_id="ven-A", ven_name="upper"))
    await store.save_ven(VenRecord(ven_id="ven-a", ven_name="lower"))
    upper, lower = await store.get_ven("ven-A"), await store.get_ven("ven-a")
    assert upper is not None
    assert lower is not None
    assert (upper.ven_name, lower.ven_name) == ("upper", "lower")
    assert await store.get_ven("VEN-A") is None
    assert await store.delete_ven("ven-a")
    assert [ven.ven_id for ven in await store.list_vens()] == ["ven-A"]


async def test_delete_ven_forgets_everything_but_report_data(store: Store) -> None:
    for ven_id in ("ven-1", "ven-2"):
        await store.save_ven(full_ven(ven_id))
        await store.enqueue(ven_id, PAYLOAD, b"<x/>", now=T0)
        await store.save_opt(opt(ven_id, "opt-1"))
        await store.save_event_response(answer(ven_id, "event-1"))
        await store.save_report_request(request_record(ven_id, f"req-{ven_id}"))
        await store.save_report_capabilities(ven_id, [capability("spec-1")])
        await store.add_report_data(ven_id, telemetry_report(f"req-{ven_id}"), received_at=T0)

    assert await store.delete_ven("ven-1") is True

    assert await store.get_ven("ven-1") is None
    assert await store.find_ven_by_fingerprint("fp:ven-1") is None
    assert await store.list_queue("ven-1") == []
    assert await store.dequeue("ven-1") is None
    assert await store.list_opts("ven-1") == []
    assert await store.get_event_response("ven-1", "event-1") is None
    assert await store.list_report_requests("ven-1") == []
    assert await store.get_report_request("req-ven-1") is None
    assert await store.list_report_capabilities("ven-1") == []
    assert [stored.ven_id for stored in await store.list_report_data()] == ["ven-1", "ven-2"]
    # the other VEN keeps everything
    assert await store.get_ven("ven-2") == full_ven("ven-2")
    assert len(await store.list_queue("ven-2")) == 1
    assert len(await store.list_opts("ven-2")) == 1
    assert await store.get_event_response("ven-2", "event-1") is not None
    assert len(await store.list_report_requests("ven-2")) == 1
    assert len(await store.list_report_capabilities("ven-2")) == 1

    assert await store.delete_ven("ven-1") is False
    assert await store.delete_ven("nobody") is False


# -- events ------------------------------------------------------------------------------------


async def test_event_round_trip(store: Store) -> None:
    original = event("event-1", start=T0.astimezone(MINUS_FIVE), levels=(3, 1, 2))
    await store.save_event(original)
    assert await store.get_event("event-1") == original
    assert await store.get_event("event-2") is None
    assert await store.list_events() == [original]


async def test_save_event_replaces_by_event_id(store: Store) -> None:
    await store.save_event(event("event-1", start=T0))
    await store.save_event(event("event-2", start=T0 + HOUR))
    modified = event("event-1", start=T0 + 2 * HOUR, modification_number=1, levels=(3,))
    await store.save_event(modified)
    assert await store.get_event("event-1") == modified
    assert ids(await store.list_events()) == ["event-2", "event-1"]  # placed by its new start


async def test_list_events_by_start_then_event_id(store: Store) -> None:
    await store.save_event(event("b", start=T0))
    await store.save_event(event("d", start=(T0 + timedelta(minutes=30)).astimezone(MINUS_FIVE)))
    await store.save_event(event("a", start=T0.astimezone(PLUS_TWO)))
    await store.save_event(event("c", start=T0 - HOUR))
    assert ids(await store.list_events()) == ["c", "a", "b", "d"]


async def test_list_events_ending_after(store: Store) -> None:
    now = T0
    await store.save_event(event("ended", start=now - 3 * HOUR))
    await store.save_event(event("ends-now", start=now - HOUR))
    await store.save_event(event("running", start=now - timedelta(minutes=30)))
    await store.save_event(event("future", start=now + HOUR))
    await store.save_event(
        event("open-ended", start=now - timedelta(days=10), duration=timedelta(0), levels=(1,))
    )
    await store.save_event(event("open-future", start=now + HOUR, duration=timedelta(0), levels=(1,)))
    assert ids(await store.list_events(ending_after=now)) == [
        "open-ended",
        "running",
        "future",
        "open-future",
    ]
    assert ids(await store.list_events(ending_after=now.astimezone(MINUS_FIVE) - HOUR)) == [
        "open-ended",
        "ends-now",
        "running",
        "future",
        "open-future",
    ]
    assert len(await store.list_events()) == 6


# -- answers to events -------------------------------------------------------------------------


async def test_event_responses_upsert_per_ven_and_event(store: Store) -> None:
    first = answer("ven-1", "event-1", opt_type=m.OptType.OPT_IN, at=T0)
    await store.save_event_response(first)
    assert await store.get_event_response("ven-1", "event-1") == first
    second = answer(
        "ven-1",
        "event-1",
        opt_type=m.OptType.OPT_OUT,
        source=EventResponseSource.CREATE_OPT,
        at=(T0 + HOUR).astimezone(PLUS_TWO),
        opt_id="opt-9",
    )
    await store.save_event_response(second)
    found = await store.get_event_response("ven-1", "event-1")
    assert found == second
    assert found is not None
    assert_utc(found.received_at)
    assert await store.list_event_responses() == [second]
    assert await store.get_event_response("ven-1", "event-2") is None
    assert await store.get_event_response("VEN-1", "event-1") is None


async def test_delete_event_response(store: Store) -> None:
    await store.save_event_response(answer("ven-1", "event-1"))
    await store.save_event_response(answer("ven-1", "event-2"))
    assert await store.delete_event_response("ven-1", "event-1") is True
    assert await store.delete_event_response("ven-1", "event-1") is False
    assert await store.get_event_response("ven-1", "event-1") is None
    assert [record.event_id for record in await store.list_event_responses()] == ["event-2"]


async def test_event_responses_filters_and_order(store: Store) -> None:
    records = [
        answer("ven-2", "event-1"),
        answer("ven-1", "event-2"),
        answer("ven-1", "event-1", opt_type=m.OptType.OPT_OUT),
        answer("ven-2", "event-2"),
        answer("ven-3", "event-1"),
    ]
    for record in records:
        await store.save_event_response(record)

    def keys(found: list[EventResponseRecord]) -> list[tuple[str, str]]:
        return [(record.ven_id, record.event_id) for record in found]

    assert keys(await store.list_event_responses()) == sorted(keys(records))
    assert keys(await store.list_event_responses(event_id="event-1")) == [
        ("ven-1", "event-1"),
        ("ven-2", "event-1"),
        ("ven-3", "event-1"),
    ]
    assert keys(await store.list_event_responses(ven_id="ven-1")) == [
        ("ven-1", "event-1"),
        ("ven-1", "event-2"),
    ]
    assert await store.list_event_responses(event_id="event-1", ven_id="ven-1") == [records[2]]
    assert await store.list_event_responses(event_id="event-3") == []
    assert await store.list_event_responses(event_id="event-2", ven_id="ven-3") == []


# -- opts --------------------------------------------------------------------------------------


async def test_opt_round_trip_and_replace_by_opt_id(store: Store) -> None:
    original = opt("ven-1", "opt-1", opt_type=m.OptType.OPT_OUT)
    await store.save_opt(original)
    assert await store.get_opt("ven-1", "opt-1") == original
    reused = replace(opt("ven-1", "opt-1", opt_type=m.OptType.OPT_IN), availability=None)
    await store.save_opt(reused)
    assert await store.get_opt("ven-1", "opt-1") == reused
    assert await store.list_opts() == [reused]
    assert await store.get_opt("ven-2", "opt-1") is None


async def test_delete_opt(store: Store) -> None:
    await store.save_opt(opt("ven-1", "opt-1"))
    await store.save_opt(opt("ven-2", "opt-1"))
    assert await store.delete_opt("ven-1", "opt-1") is True
    assert await store.delete_opt("ven-1", "opt-1") is False
    assert await store.delete_opt("ven-1", "opt-2") is False
    assert await store.get_opt("ven-1", "opt-1") is None
    assert await store.get_opt("ven-2", "opt-1") == opt("ven-2", "opt-1")


async def test_list_opts_by_ven_then_opt_id(store: Store) -> None:
    for ven_id, opt_id in [("ven-2", "b"), ("ven-1", "c"), ("ven-2", "a"), ("ven-1", "a"), ("ven-3", "z")]:
        await store.save_opt(opt(ven_id, opt_id))
    assert [(found.ven_id, found.opt_id) for found in await store.list_opts()] == [
        ("ven-1", "a"),
        ("ven-1", "c"),
        ("ven-2", "a"),
        ("ven-2", "b"),
        ("ven-3", "z"),
    ]
    assert [found.opt_id for found in await store.list_opts("ven-2")] == ["a", "b"]
    assert await store.list_opts("ven-4") == []


# -- the queue ---------------------------------------------------------------------------------


async def test_queue_is_fifo_per_ven(store: Store) -> None:
    assert await store.dequeue("ven-1") is None
    first = await store.enqueue("ven-1", PAYLOAD, b"<one/>", now=T0)
    other = await store.enqueue("ven-2", PAYLOAD, b"<other/>", now=T0)
    second = await store.enqueue("ven-1", NOTE, None, now=(T0 + HOUR).astimezone(PLUS_TWO))
    third = await store.enqueue("ven-1", PAYLOAD, b"<three/>", now=T0 + 2 * HOUR)
    assert first is not None
    assert second is not None
    assert third is not None
    assert other is not None
    assert first < other < second < third

    one = await store.dequeue("ven-1")
    assert one == QueuedMessage(id=first, ven_id="ven-1", kind=PAYLOAD, body=b"<one/>", created_at=T0)
    two = await store.dequeue("ven-1")
    assert two == QueuedMessage(id=second, ven_id="ven-1", kind=NOTE, body=None, created_at=T0 + HOUR)
    assert two is not None
    assert_utc(two.created_at)
    three = await store.dequeue("ven-1")
    assert three is not None
    assert three.body == b"<three/>"
    assert await store.dequeue("ven-1") is None
    assert await store.dequeue("VEN-1") is None
    remaining = await store.dequeue("ven-2")
    assert remaining is not None
    assert remaining.id == other


async def test_ven_and_queue_head_in_one_read(store: Store) -> None:
    assert await store.get_ven_and_queue_head("ven-1") is None
    ven = VenRecord(ven_id="ven-1", registration_id="reg-1", group_ids=("north",))
    await store.save_ven(ven)
    assert await store.get_ven_and_queue_head("ven-1") == (ven, None)
    first = await store.enqueue("ven-1", PAYLOAD, b"<one/>", now=T0)
    await store.enqueue("ven-2", PAYLOAD, b"<other/>", now=T0)
    await store.enqueue("ven-1", NOTE, None, now=T0 + HOUR)
    found = await store.get_ven_and_queue_head("ven-1")
    assert found == (
        ven,
        QueuedMessage(id=first, ven_id="ven-1", kind=PAYLOAD, body=b"<one/>", created_at=T0),
    )
    assert len(await store.list_queue("ven-1")) == 2  # read, not taken
    assert first is not None
    assert await store.delete_message(first) is True
    assert await store.delete_message(first) is False  # taken already
    found = await store.get_ven_and_queue_head("ven-1")
    assert found is not None
    assert found[1] is not None
    assert found[1].kind == NOTE


async def test_coalesce_adds_no_second_waiting_note(store: Store) -> None:
    first = await store.enqueue("ven-1", NOTE, None, now=T0, coalesce=True)
    assert first is not None
    assert await store.enqueue("ven-1", NOTE, None, now=T0, coalesce=True) is None
    # another kind, or another VEN, is not coalesced
    payload = await store.enqueue("ven-1", PAYLOAD, b"<x/>", now=T0, coalesce=True)
    assert payload is not None
    assert await store.enqueue("ven-2", NOTE, None, now=T0, coalesce=True) is not None
    # without coalesce, a note is always added
    plain = await store.enqueue("ven-1", NOTE, None, now=T0)
    assert plain is not None
    assert [message.id for message in await store.list_queue("ven-1")] == [first, payload, plain]

    for _ in range(3):
        assert await store.dequeue("ven-1") is not None
    assert await store.enqueue("ven-1", NOTE, None, now=T0, coalesce=True) is not None


async def test_coalesce_ignores_a_note_claimed_for_a_push(store: Store) -> None:
    await store.save_ven(push_ven("ven-1"))
    claimed_id = await store.enqueue("ven-1", NOTE, None, now=T0, coalesce=True)
    claimed = await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=10)
    assert [message.id for message in claimed] == [claimed_id]
    # the claimed note may be on its way already: the change needs a note of its own
    added = await store.enqueue("ven-1", NOTE, None, now=T0 + timedelta(minutes=1), coalesce=True)
    assert added is not None
    assert added != claimed_id
    assert await store.enqueue("ven-1", NOTE, None, now=T0 + timedelta(minutes=2), coalesce=True) is None


async def test_claim_push_only_for_registered_push_vens(store: Store) -> None:
    await store.save_ven(push_ven("push"))
    await store.save_ven(VenRecord(ven_id="pull", registration_id="reg-pull", http_pull_model=True))
    await store.save_ven(replace(push_ven("unregistered"), registration_id=None))
    for ven_id in ("pull", "unregistered", "unknown", "push"):
        await store.enqueue(ven_id, PAYLOAD, ven_id.encode(), now=T0)
    claimed = await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=10)
    assert [(message.ven_id, message.body) for message in claimed] == [("push", b"push")]
    # the others wait for their poll
    pull = await store.dequeue("pull")
    assert pull is not None
    assert pull.body == b"pull"


async def test_claim_push_oldest_first_one_per_ven_up_to_limit(store: Store) -> None:
    for ven_id in ("ven-1", "ven-2", "ven-3"):
        await store.save_ven(push_ven(ven_id))
    order = ["ven-3", "ven-1", "ven-3", "ven-2", "ven-1"]
    positions = [await store.enqueue(ven_id, PAYLOAD, b"x", now=T0) for ven_id in order]
    claimed = await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=2)
    assert [(message.id, message.ven_id) for message in claimed] == [
        (positions[0], "ven-3"),
        (positions[1], "ven-1"),
    ]
    rest = await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=10)
    assert [(message.id, message.ven_id) for message in rest] == [(positions[3], "ven-2")]
    assert await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=10) == []
    assert await store.claim_push(now=T0 + 2 * HOUR, lease_until=T0 + 3 * HOUR, limit=0) == []


async def test_claim_push_keeps_a_ven_s_messages_in_order(store: Store) -> None:
    await store.save_ven(push_ven("ven-1"))
    first = await store.enqueue("ven-1", PAYLOAD, b"1", now=T0)
    second = await store.enqueue("ven-1", PAYLOAD, b"2", now=T0)
    assert [message.id for message in await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=10)] == [
        first
    ]
    # the second waits while the first is on its way
    assert await store.claim_push(now=T0 + timedelta(minutes=1), lease_until=T0 + HOUR, limit=10) == []
    assert first is not None
    await store.delete_message(first)
    assert [message.id for message in await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=10)] == [
        second
    ]


async def test_claim_push_lease(store: Store) -> None:
    await store.save_ven(push_ven("ven-1"))
    position = await store.enqueue("ven-1", PAYLOAD, b"x", now=T0)
    lease = T0 + timedelta(seconds=30)
    assert [message.id for message in await store.claim_push(now=T0, lease_until=lease, limit=10)] == [
        position
    ]
    before = lease - timedelta(microseconds=1)
    assert await store.claim_push(now=before, lease_until=before + HOUR, limit=10) == []
    again = await store.claim_push(now=lease.astimezone(MINUS_FIVE), lease_until=lease + HOUR, limit=10)
    assert [message.id for message in again] == [position]
    assert (
        await store.claim_push(now=lease + timedelta(minutes=59), lease_until=lease + 2 * HOUR, limit=10)
        == []
    )
    # a claimed message is still in the queue until it is settled
    assert [message.id for message in await store.list_queue("ven-1")] == [position]


async def test_reschedule_releases_for_the_next_attempt(store: Store) -> None:
    await store.save_ven(push_ven("ven-1"))
    position = await store.enqueue("ven-1", PAYLOAD, b"x", now=T0)
    assert position is not None
    (claimed,) = await store.claim_push(now=T0, lease_until=T0 + HOUR, limit=10)
    assert claimed.attempts == 0
    assert claimed.next_attempt_at is None
    retry_at = T0 + timedelta(minutes=5)
    await store.reschedule(position, attempts=1, next_attempt_at=retry_at.astimezone(PLUS_TWO))
    assert await store.claim_push(now=retry_at - timedelta(seconds=1), lease_until=T0 + HOUR, limit=10) == []
    # due at next_attempt_at, although the lease of the first claim had not run out
    (again,) = await store.claim_push(now=retry_at, lease_until=retry_at + HOUR, limit=10)
    assert again == replace(claimed, attempts=1, next_attempt_at=retry_at)
    assert_utc(again.next_attempt_at)
    (listed,) = await store.list_queue("ven-1")
    assert listed.attempts == 1


async def test_delete_message_list_and_clear_queue(store: Store) -> None:
    positions = [await store.enqueue("ven-1", PAYLOAD, bytes([n]), now=T0 + n * HOUR) for n in range(4)]
    await store.enqueue("ven-2", NOTE, None, now=T0)
    assert positions[1] is not None
    await store.delete_message(positions[1])
    await store.delete_message(10_000)  # unknown: nothing happens
    listed = await store.list_queue("ven-1")
    assert [message.id for message in listed] == [positions[0], positions[2], positions[3]]
    assert [message.body for message in listed] == [b"\x00", b"\x02", b"\x03"]
    assert [message.created_at for message in listed] == [T0, T0 + 2 * HOUR, T0 + 3 * HOUR]
    assert await store.clear_queue("ven-1") == 3
    assert await store.clear_queue("ven-1") == 0
    assert await store.list_queue("ven-1") == []
    assert len(await store.list_queue("ven-2")) == 1


async def test_positions_are_never_reused(store: Store) -> None:
    first = await store.enqueue("ven-1", PAYLOAD, b"1", now=T0)
    assert first is not None
    await store.delete_message(first)
    second = await store.enqueue("ven-1", PAYLOAD, b"2", now=T0)
    assert second is not None
    assert second > first


# -- reports -----------------------------------------------------------------------------------


async def test_report_capabilities_are_replaced_as_a_whole(store: Store) -> None:
    offered = [capability("spec-b"), capability("spec-a"), capability("spec-c")]
    await store.save_report_capabilities("ven-1", offered)
    await store.save_report_capabilities("ven-2", [capability("spec-x")])
    assert await store.list_report_capabilities("ven-1") == offered
    await store.save_report_capabilities("ven-1", [capability("spec-d")])
    assert await store.list_report_capabilities("ven-1") == [capability("spec-d")]
    await store.save_report_capabilities("ven-1", [])
    assert await store.list_report_capabilities("ven-1") == []
    assert await store.list_report_capabilities("ven-2") == [capability("spec-x")]


async def test_report_request_round_trip_and_upsert(store: Store) -> None:
    record = request_record("ven-1", "req-1", created_at=T0.astimezone(PLUS_TWO))
    await store.save_report_request(record)
    found = await store.get_report_request("req-1")
    assert found == record
    assert found is not None
    assert_utc(found.created_at)
    assert not found.one_shot
    changed = replace(
        record, state=ReportRequestState.CANCEL_REQUESTED, report_to_follow=True, piggyback_cancel=True
    )
    await store.save_report_request(changed)
    assert await store.get_report_request("req-1") == changed
    assert await store.list_report_requests() == [changed]
    assert await store.get_report_request("req-2") is None
    await store.save_report_request(request_record("ven-1", "req-once", one_shot=True))
    once = await store.get_report_request("req-once")
    assert once is not None
    assert once.one_shot


async def test_report_requests_filters_and_order(store: Store) -> None:
    records = [
        request_record("ven-1", "req-c", created_at=T0 + HOUR),
        request_record("ven-2", "req-b", created_at=T0, state=ReportRequestState.CREATED),
        request_record("ven-1", "req-a", created_at=T0 + 2 * HOUR, state=ReportRequestState.CREATED),
        request_record("ven-1", "req-d", created_at=T0, state=ReportRequestState.CANCELLED),
        request_record("ven-2", "req-0", created_at=T0 + HOUR),
    ]
    for record in records:
        await store.save_report_request(record)

    def request_ids(found: list[ReportRequestRecord]) -> list[str]:
        return [record.report_request_id for record in found]

    # oldest first; of two made at the same time, the one saved first
    assert request_ids(await store.list_report_requests()) == ["req-b", "req-d", "req-c", "req-0", "req-a"]
    assert request_ids(await store.list_report_requests("ven-1")) == ["req-d", "req-c", "req-a"]
    assert request_ids(
        await store.list_report_requests(
            "ven-1", states=(ReportRequestState.CREATED, ReportRequestState.REQUESTED)
        )
    ) == ["req-c", "req-a"]
    assert request_ids(await store.list_report_requests(states=[ReportRequestState.CREATED])) == [
        "req-b",
        "req-a",
    ]
    assert await store.list_report_requests(states=()) == []
    assert await store.list_report_requests("ven-3") == []
    # a state change keeps the request in its place
    await store.save_report_request(replace(records[0], state=ReportRequestState.COMPLETED))
    assert request_ids(await store.list_report_requests()) == ["req-b", "req-d", "req-c", "req-0", "req-a"]


async def test_report_requests_by_the_messages_that_carried_and_cancelled_them(store: Store) -> None:
    records = [
        replace(request_record("ven-1", "req-a"), create_request_id="create-1"),
        replace(request_record("ven-1", "req-b", created_at=T0 + HOUR), create_request_id="create-1"),
        replace(request_record("ven-1", "req-c"), create_request_id="create-2", cancel_request_id="cancel-1"),
        replace(request_record("ven-2", "req-d"), create_request_id="create-1", cancel_request_id="cancel-1"),
        request_record("ven-1", "req-e"),  # kept by an older version: neither is known
    ]
    for record in records:
        await store.save_report_request(record)
    assert await store.get_report_request("req-c") == records[2]
    assert await store.get_report_request("req-e") == records[4]

    def request_ids(found: list[ReportRequestRecord]) -> list[str]:
        return [record.report_request_id for record in found]

    # requestIDs are the VEN's (or ours, per VEN): the filters keep to one VEN
    assert request_ids(await store.list_report_requests("ven-1", create_request_id="create-1")) == [
        "req-a",
        "req-b",
    ]
    assert request_ids(await store.list_report_requests("ven-2", create_request_id="create-1")) == ["req-d"]
    assert request_ids(await store.list_report_requests("ven-1", cancel_request_id="cancel-1")) == ["req-c"]
    assert request_ids(await store.list_report_requests(create_request_id="create-1")) == [
        "req-a",
        "req-d",
        "req-b",
    ]
    assert await store.list_report_requests("ven-1", create_request_id="create-9") == []
    # filters combine
    assert request_ids(
        await store.list_report_requests("ven-1", create_request_id="create-2", cancel_request_id="cancel-1")
    ) == ["req-c"]
    assert (
        await store.list_report_requests("ven-1", create_request_id="create-1", cancel_request_id="cancel-1")
        == []
    )
    assert (
        request_ids(
            await store.list_report_requests(
                "ven-1", create_request_id="create-1", states=(ReportRequestState.CREATED,)
            )
        )
        == []
    )
    # an upsert changes them
    await store.save_report_request(replace(records[0], cancel_request_id="cancel-2"))
    assert request_ids(await store.list_report_requests("ven-1", cancel_request_id="cancel-2")) == ["req-a"]


async def test_report_data_in_order_of_arrival(store: Store) -> None:
    deliveries = [
        ("ven-2", telemetry_report("req-2"), T0 + HOUR),
        ("ven-1", telemetry_report("req-1"), T0 + 2 * HOUR),
        ("ven-1", replace(telemetry_report("req-1"), ei_report_id="report-43"), T0),
        ("ven-1", telemetry_report("req-3"), (T0 + 3 * HOUR).astimezone(MINUS_FIVE)),
    ]
    positions = [await store.add_report_data(ven, report, received_at=at) for ven, report, at in deliveries]
    assert positions == sorted(positions)
    assert len(set(positions)) == 4

    stored = await store.list_report_data()
    assert [entry.id for entry in stored] == positions
    assert [(entry.ven_id, entry.report, entry.received_at) for entry in stored] == deliveries
    for entry in stored:
        assert_utc(entry.received_at)
    assert [entry.id for entry in await store.list_report_data("ven-1")] == positions[1:]
    assert [entry.id for entry in await store.list_report_data(report_request_id="req-1")] == positions[1:3]
    assert [
        entry.id for entry in await store.list_report_data("ven-2", report_request_id="req-2")
    ] == positions[:1]
    assert await store.list_report_data("ven-2", report_request_id="req-1") == []
    assert await store.list_report_data("ven-3") == []


# -- transactions ------------------------------------------------------------------------------


class Boom(Exception):
    pass


async def fail_in_transaction(store: Store, body: Callable[[], Awaitable[object]]) -> None:
    """Run ``body`` in a transaction of ``store``, then raise :class:`Boom` inside it."""
    async with store.transaction():
        await body()
        raise Boom


async def test_transaction_rolls_back_every_write_of_a_failing_body(store: Store) -> None:
    await store.save_ven(full_ven("ven-1"))
    await store.save_report_capabilities("ven-1", [capability("spec-1")])

    async def body() -> None:
        await store.save_ven(VenRecord(ven_id="ven-2"))
        await store.save_ven(replace(full_ven("ven-1"), ven_name="changed"))
        await store.save_event(event("event-1"))
        await store.save_opt(opt("ven-1", "opt-1"))
        await store.save_event_response(answer("ven-1", "event-1"))
        await store.enqueue("ven-1", PAYLOAD, b"x", now=T0)
        await store.save_report_request(request_record("ven-1", "req-1"))
        await store.add_report_data("ven-1", telemetry_report(), received_at=T0)
        await store.save_report_capabilities("ven-1", [])
        assert await store.get_ven("ven-2") is not None  # the body sees its own writes

    with pytest.raises(Boom):
        await fail_in_transaction(store, body)
    assert await store.list_vens() == [full_ven("ven-1")]
    assert await store.list_events() == []
    assert await store.list_opts() == []
    assert await store.list_event_responses() == []
    assert await store.list_queue("ven-1") == []
    assert await store.list_report_requests() == []
    assert await store.list_report_data() == []
    assert await store.list_report_capabilities("ven-1") == [capability("spec-1")]


async def test_transaction_rollback_covers_deletes(store: Store) -> None:
    await store.save_ven(full_ven("ven-1"))
    await store.enqueue("ven-1", PAYLOAD, b"x", now=T0)

    async def body() -> None:
        assert await store.delete_ven("ven-1")
        assert await store.dequeue("ven-1") is None

    with pytest.raises(Boom):
        await fail_in_transaction(store, body)
    assert await store.get_ven("ven-1") == full_ven("ven-1")
    assert len(await store.list_queue("ven-1")) == 1


async def test_nested_transaction_joins_the_outer_one(store: Store, open_store: StoreOpener) -> None:
    other = await open_store()
    async with store.transaction():
        async with store.transaction():
            await store.save_ven(VenRecord(ven_id="ven-1"))
        async with store.transaction():
            await store.save_ven(VenRecord(ven_id="ven-2"))
        await store.save_report_capabilities("ven-1", [capability("spec-1")])  # nests one of its own
        assert await other.get_ven("ven-1") is None  # the inner ends committed nothing
        assert await other.list_report_capabilities("ven-1") == []
    assert [ven.ven_id for ven in await other.list_vens()] == ["ven-1", "ven-2"]
    assert await other.list_report_capabilities("ven-1") == [capability("spec-1")]

    async def body() -> None:
        await store.save_ven(VenRecord(ven_id="ven-3"))
        async with store.transaction():
            await store.save_ven(VenRecord(ven_id="ven-4"))

    with pytest.raises(Boom):
        await fail_in_transaction(store, body)
    assert [ven.ven_id for ven in await other.list_vens()] == ["ven-1", "ven-2"]


async def test_committed_writes_are_seen_by_another_store(store: Store, open_store: StoreOpener) -> None:
    other = await open_store()
    await store.save_ven(full_ven("ven-1"))  # outside a transaction: committed at once
    assert await other.get_ven("ven-1") == full_ven("ven-1")
    async with store.transaction():
        await store.save_event(event("event-1"))
        await store.enqueue("ven-1", PAYLOAD, b"x", now=T0)
        assert await other.get_event("event-1") is None
    assert await other.get_event("event-1") == event("event-1")
    message = await other.dequeue("ven-1")
    assert message is not None
    assert message.body == b"x"
    assert await store.dequeue("ven-1") is None
