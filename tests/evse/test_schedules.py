"""An event's site limit schedule (periods = event intervals, start = dtstart), several events
merged (the lowest limit wins), and the site schedule shared among chargers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openadr_accel.evse.limits import ChargerSchedule, ChargingPeriod
from openadr_accel.evse.policy import LimitPolicy
from openadr_accel.evse.schedules import charger_schedules, merge, site_schedule
from openadr_accel.model import (
    EiActivePeriod,
    EiEvent,
    EiEventSignal,
    EventDescriptor,
    EventStatus,
    OadrEvent,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    SignalInterval,
    SignalName,
    SignalType,
    SiScaleCode,
)

T0 = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
M = timedelta(minutes=1)
POLICY = LimitPolicy(site_capacity_w=Decimal(22_000))


def signal(
    name: SignalName, kind: SignalType, *intervals: tuple[timedelta, int | str], signal_id: str = "0"
) -> EiEventSignal:
    item_base = None
    if name == SignalName.LOAD_DISPATCH:
        item_base = PowerReal(
            attributes=PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True),
            scale=SiScaleCode.KILO,
        )
    return EiEventSignal(
        signal_name=name,
        signal_type=kind,
        signal_id=signal_id,
        item_base=item_base,
        intervals=tuple(
            SignalInterval(uid=str(uid), duration=duration, payloads=(PayloadFloat(value=Decimal(value)),))
            for uid, (duration, value) in enumerate(intervals)
        ),
    )


def simple(*intervals: tuple[timedelta, int | str]) -> EiEventSignal:
    return signal(SignalName.SIMPLE, SignalType.LEVEL, *intervals)


def event(duration: timedelta, *signals: EiEventSignal, start: datetime = T0) -> OadrEvent:
    return OadrEvent(
        ei_event=EiEvent(
            event_descriptor=EventDescriptor(
                event_id="e",
                modification_number=0,
                market_context="http://market",
                created_date_time=T0,
                event_status=EventStatus.FAR,
            ),
            active_period=EiActivePeriod(dtstart=start, duration=duration),
            signals=signals,
        )
    )


def periods(*pairs: tuple[timedelta, int | str]) -> tuple[ChargingPeriod, ...]:
    return tuple(ChargingPeriod(start=start, limit_w=Decimal(limit)) for start, limit in pairs)


def test_one_period_per_interval_from_dtstart() -> None:
    site = site_schedule(event(30 * M, simple((10 * M, 1), (10 * M, 2), (10 * M, 3))), POLICY)
    assert site == ChargerSchedule(
        start=T0,
        periods=periods((0 * M, 11_000), (10 * M, 5_500), (20 * M, 0)),
        duration=30 * M,
    )


def test_a_randomized_delay_shifts_the_start() -> None:
    site = site_schedule(
        event(20 * M, simple((10 * M, 1), (10 * M, 2))), POLICY, offset=timedelta(seconds=42)
    )
    assert site.start == T0 + timedelta(seconds=42)
    assert [p.start for p in site.periods] == [0 * M, 10 * M]
    assert site.duration == 20 * M


def test_several_signals_the_union_of_boundaries_and_the_lowest_limit() -> None:
    dispatch = signal(
        SignalName.LOAD_DISPATCH, SignalType.SETPOINT, (15 * M, 8), (15 * M, 20), signal_id="dispatch"
    )
    site = site_schedule(event(30 * M, simple((10 * M, 1), (10 * M, 2), (10 * M, 0)), dispatch), POLICY)
    assert site.periods == periods((0 * M, 8_000), (10 * M, 5_500), (15 * M, 5_500), (20 * M, 20_000))


def test_open_ended_event_and_last_interval_without_duration() -> None:
    site = site_schedule(event(timedelta(0), simple((10 * M, 2), (timedelta(0), 3))), POLICY)
    assert site.duration is None
    assert site.periods == periods((0 * M, 5_500), (10 * M, 0))


def test_boundaries_beyond_the_end_are_dropped() -> None:
    site = site_schedule(event(15 * M, simple((10 * M, 1), (10 * M, 2))), POLICY)
    assert site.periods == periods((0 * M, 11_000), (10 * M, 5_500))
    assert site.duration == 15 * M


def test_signals_not_handled_are_left_out() -> None:
    other = signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE, (5 * M, "0.9"), signal_id="p")
    site = site_schedule(event(10 * M, simple((10 * M, 2)), other), POLICY)
    assert site.periods == periods((0 * M, 5_500))
    alone = site_schedule(event(10 * M, other), POLICY)
    assert alone.periods == periods((0 * M, 22_000))


def test_sub_second_durations_are_dropped() -> None:
    site = site_schedule(event(timedelta(seconds=90.5), simple((timedelta(seconds=30.7), 1), (M, 2))), POLICY)
    assert [p.start for p in site.periods] == [timedelta(0), timedelta(seconds=30)]
    assert site.duration == timedelta(seconds=90)


def test_merge_lowest_wins_and_capacity_between_events() -> None:
    first = ChargerSchedule(start=T0, periods=periods((0 * M, 10_000), (10 * M, 4_000)), duration=20 * M)
    second = ChargerSchedule(start=T0 + 15 * M, periods=periods((0 * M, 6_000)), duration=10 * M)
    later = ChargerSchedule(start=T0 + 40 * M, periods=periods((0 * M, 1_000)), duration=5 * M)
    merged = merge([first, second, later], Decimal(22_000))
    assert merged == ChargerSchedule(
        start=T0,
        periods=periods((0 * M, 10_000), (10 * M, 4_000), (20 * M, 6_000), (25 * M, 22_000), (40 * M, 1_000)),
        duration=45 * M,
    )


def test_merge_of_one_or_none() -> None:
    one = ChargerSchedule(start=T0, periods=periods((0 * M, 1)), duration=M)
    assert merge([one], Decimal(5)) is one
    assert merge([], Decimal(5)) is None


def test_merge_with_an_open_ended_schedule_has_no_end() -> None:
    bounded = ChargerSchedule(start=T0, periods=periods((0 * M, 3_000)), duration=10 * M)
    open_ended = ChargerSchedule(start=T0 + 5 * M, periods=periods((0 * M, 5_000)))
    merged = merge([bounded, open_ended], Decimal(22_000))
    assert merged is not None
    assert merged.duration is None
    assert merged.periods == periods((0 * M, 3_000), (10 * M, 5_000))


def test_merge_with_sub_second_starts() -> None:
    first = ChargerSchedule(start=T0, periods=periods((0 * M, 3_000)), duration=10 * M)
    second = ChargerSchedule(
        start=T0 + timedelta(microseconds=300), periods=periods((0 * M, 1_000)), duration=M
    )
    merged = merge([first, second], Decimal(22_000))
    assert merged is not None
    assert merged.periods == periods((0 * M, 1_000), (M, 3_000))


def test_charger_schedules_share_each_period() -> None:
    site = ChargerSchedule(
        start=T0, periods=periods((0 * M, 11_000), (10 * M, 5_500), (20 * M, 0)), duration=30 * M
    )
    schedules = charger_schedules(site, POLICY, ["CP-1", "CP-2"])
    expected = ChargerSchedule(
        start=T0, periods=periods((0 * M, 5_500), (10 * M, 2_750), (20 * M, 0)), duration=30 * M
    )
    assert schedules == {"CP-1": expected, "CP-2": expected}
    assert charger_schedules(site, POLICY, []) == {}


schedules_strategy = st.lists(
    st.builds(
        lambda start, limits, duration: ChargerSchedule(
            start=T0 + timedelta(minutes=start),
            periods=tuple(
                ChargingPeriod(start=timedelta(minutes=5 * i), limit_w=Decimal(limit))
                for i, limit in enumerate(limits)
            ),
            duration=None if duration is None else timedelta(minutes=5 * len(limits) + duration),
        ),
        st.integers(0, 60),
        st.lists(st.integers(0, 30_000), min_size=1, max_size=4),
        st.none() | st.integers(0, 10),
    ),
    min_size=1,
    max_size=4,
)


@given(found=schedules_strategy, minute=st.integers(-5, 120))
def test_merged_limit_is_the_lowest_in_force(found: list[ChargerSchedule], minute: int) -> None:
    merged = merge(found, Decimal(22_000))
    assert merged is not None
    at = T0 + timedelta(minutes=minute, seconds=30)
    in_force = [limit for schedule in found if (limit := schedule.limit_at(at)) is not None]
    got = merged.limit_at(at)
    if in_force:
        assert got == min(in_force)
    elif got is not None:
        assert len(found) > 1  # between schedules: the capacity
        assert got == 22_000
