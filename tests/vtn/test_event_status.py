"""The event lifecycle table and rule 14's currentValue, at chosen instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from openadr_accel.model import (
    EiActivePeriod,
    EiEvent,
    EiEventSignal,
    EventDescriptor,
    EventStatus,
    OadrEvent,
    PayloadFloat,
    SignalInterval,
    SignalName,
    SignalType,
)
from openadr_accel.rules import check_event
from openadr_accel.vtn import event_status

START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
NEAR = timedelta(hours=1)


def event(*levels: int, minutes: int = 10, cancelled: bool = False, open_ended: bool = False) -> OadrEvent:
    duration = timedelta(0) if open_ended else timedelta(minutes=minutes * len(levels))
    return OadrEvent(
        ei_event=EiEvent(
            event_descriptor=EventDescriptor(
                event_id="e1",
                modification_number=0,
                market_context="http://m",
                created_date_time=START - timedelta(days=1),
                event_status=EventStatus.CANCELLED if cancelled else EventStatus.FAR,
            ),
            active_period=EiActivePeriod(dtstart=START, duration=duration),
            signals=(
                EiEventSignal(
                    signal_name=SignalName.SIMPLE,
                    signal_type=SignalType.LEVEL,
                    signal_id="s",
                    intervals=tuple(
                        SignalInterval(
                            uid=str(uid),
                            duration=timedelta(0) if open_ended else timedelta(minutes=minutes),
                            payloads=(PayloadFloat(value=Decimal(level)),),
                        )
                        for uid, level in enumerate(levels)
                    ),
                ),
            ),
        )
    )


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (-NEAR - timedelta(seconds=1), EventStatus.FAR),
        (-NEAR, EventStatus.NEAR),
        (-timedelta(seconds=1), EventStatus.NEAR),
        (timedelta(0), EventStatus.ACTIVE),
        (timedelta(minutes=19, seconds=59), EventStatus.ACTIVE),
        (timedelta(minutes=20), EventStatus.COMPLETED),
        (timedelta(days=3), EventStatus.COMPLETED),
    ],
)
def test_status_follows_the_clock(offset: timedelta, status: EventStatus) -> None:
    assert event_status.status_at(event(1, 2).ei_event, START + offset, NEAR) == status


def test_cancelled_stays_cancelled_at_any_time() -> None:
    for offset in (-timedelta(days=1), timedelta(0), timedelta(days=1)):
        assert event_status.status_at(event(1, cancelled=True).ei_event, START + offset, NEAR) == (
            EventStatus.CANCELLED
        )


def test_open_ended_event_never_completes() -> None:
    assert event_status.status_at(event(3, open_ended=True).ei_event, START + timedelta(days=400), NEAR) == (
        EventStatus.ACTIVE
    )


@pytest.mark.parametrize(
    ("offset", "value"),
    [
        (-timedelta(minutes=5), Decimal(0)),  # not active: 0 (rule 14)
        (timedelta(minutes=0), Decimal(1)),
        (timedelta(minutes=9, seconds=59), Decimal(1)),
        (timedelta(minutes=10), Decimal(3)),
        (timedelta(minutes=25), Decimal(0)),  # completed: 0
    ],
)
def test_current_value_is_the_running_interval(offset: timedelta, value: Decimal) -> None:
    sent = event_status.at(event(1, 3), START + offset, NEAR)
    assert sent.ei_event.signals[0].current_value == value
    assert check_event(sent, now=START + offset) == []


def test_current_value_of_open_ended_event() -> None:
    sent = event_status.at(event(2, open_ended=True), START + timedelta(hours=5), NEAR)
    assert sent.ei_event.event_descriptor.event_status == EventStatus.ACTIVE
    assert sent.ei_event.signals[0].current_value == Decimal(2)


def test_the_table_ends_with_a_catch_all() -> None:
    condition, status = event_status.LIFECYCLE[-1]
    assert status == EventStatus.FAR
    assert condition(event(1).ei_event, START - timedelta(days=30), NEAR)
