"""An event's moments for a VEN: start, interval changes, end, randomized start, and picking the
moments due between two instants (hours of schedule checked without waiting)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from samples import simple_event

from openadr_accel.model import (
    EiActivePeriod,
    EiEventSignal,
    OadrEvent,
    PayloadFloat,
    SignalInterval,
    SignalName,
    SignalType,
)
from openadr_accel.ven.schedule import MomentKind, due, start_offset, timeline

START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def signal(signal_id: str, *intervals: tuple[timedelta, int]) -> EiEventSignal:
    return EiEventSignal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id=signal_id,
        intervals=tuple(
            SignalInterval(uid=str(uid), duration=duration, payloads=(PayloadFloat(value=Decimal(value)),))
            for uid, (duration, value) in enumerate(intervals)
        ),
    )


def event(duration: timedelta, *signals: EiEventSignal, start_after: timedelta | None = None) -> OadrEvent:
    base = simple_event("e", start=START)
    period = EiActivePeriod(dtstart=START, duration=duration, start_after=start_after)
    return replace(base, ei_event=replace(base.ei_event, active_period=period, signals=signals))


def test_start_interval_changes_and_end_with_values() -> None:
    moments = timeline(event(30 * M, signal("a", (10 * M, 1), (20 * M, 3))))
    assert [(m.at - START, m.kind, dict(m.values)) for m in moments] == [
        (timedelta(0), MomentKind.STARTED, {"a": Decimal(1)}),
        (10 * M, MomentKind.INTERVAL, {"a": Decimal(3)}),
        (30 * M, MomentKind.ENDED, {"a": None}),
    ]


def test_two_signals_with_different_boundaries() -> None:
    moments = timeline(
        event(30 * M, signal("a", (10 * M, 1), (20 * M, 2)), signal("b", (15 * M, 0), (15 * M, 3)))
    )
    assert [(m.at - START, dict(m.values)) for m in moments] == [
        (timedelta(0), {"a": Decimal(1), "b": Decimal(0)}),
        (10 * M, {"a": Decimal(2), "b": Decimal(0)}),
        (15 * M, {"a": Decimal(2), "b": Decimal(3)}),
        (30 * M, {"a": None, "b": None}),
    ]


def test_an_open_ended_event_never_ends() -> None:
    moments = timeline(event(timedelta(0), signal("a", (timedelta(0), 2))))
    assert [(m.kind, dict(m.values)) for m in moments] == [(MomentKind.STARTED, {"a": Decimal(2)})]


def test_randomization_shifts_every_moment_within_start_after() -> None:
    randomized = event(20 * M, signal("a", (10 * M, 1), (10 * M, 2)), start_after=5 * M)
    offsets = {start_offset(randomized, random.Random(seed)) for seed in range(200)}
    assert min(offsets) >= timedelta(0)
    assert max(offsets) <= 5 * M
    assert len(offsets) > 50  # spread, not one fixed delay
    offset = start_offset(randomized, random.Random(7))
    assert [m.at for m in timeline(randomized, offset)] == [m.at + offset for m in timeline(randomized)]


def test_no_randomization_without_start_after() -> None:
    assert start_offset(event(10 * M, signal("a", (10 * M, 1))), random.Random(1)) == timedelta(0)


def test_due_picks_the_moments_between_two_looks() -> None:
    moments = timeline(event(30 * M, signal("a", (10 * M, 1), (10 * M, 2), (10 * M, 3))))
    assert [m.kind for m in due(moments, None, START - M)] == []
    assert [m.kind for m in due(moments, None, START)] == [MomentKind.STARTED]
    assert [dict(m.values) for m in due(moments, START, START + 25 * M)] == [
        {"a": Decimal(2)},
        {"a": Decimal(3)},
    ]
    # a VEN that looks again hours later gets everything it missed, once, in order
    assert [m.kind for m in due(moments, START + 25 * M, START + timedelta(hours=5))] == [MomentKind.ENDED]
    assert due(moments, START + timedelta(hours=5), START + timedelta(hours=6)) == []
