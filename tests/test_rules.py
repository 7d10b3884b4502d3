"""Conformance rules 2, 7, 8, 9, 14, 15, 21, 48 and event consistency."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from samples import HOUR, SAMPLES, T0, VTN_ID, price_event, simple_event

from openadr_accel import model as m
from openadr_accel.errors import RuleViolationError
from openadr_accel.rules import (
    check_created_event,
    check_distribute_event,
    check_event,
    check_event_changes,
    check_payload,
    raise_first,
    sort_events,
)


def _with_signal(event: m.OadrEvent, **changes: object) -> m.OadrEvent:
    ei_event = event.ei_event
    signal = replace(ei_event.signals[0], **changes)
    return replace(event, ei_event=replace(ei_event, signals=(signal, *ei_event.signals[1:])))


def _with_descriptor(event: m.OadrEvent, **changes: object) -> m.OadrEvent:
    ei_event = event.ei_event
    descriptor = replace(ei_event.event_descriptor, **changes)
    return replace(event, ei_event=replace(ei_event, event_descriptor=descriptor))


def _rules(violations: list[object]) -> list[int | None]:
    return [violation.rule for violation in violations]  # type: ignore[attr-defined]


def _intervals(*levels: int) -> tuple[m.SignalInterval, ...]:
    return tuple(
        m.SignalInterval(duration=HOUR, uid=str(index), payloads=(m.PayloadFloat(value=Decimal(level)),))
        for index, level in enumerate(levels)
    )


def test_the_samples_break_no_rule() -> None:
    for payload in SAMPLES.values():
        assert check_payload(payload) == []


def test_rule_2_interval_uids_count_from_zero() -> None:
    intervals = _intervals(1, 2)
    swapped = (replace(intervals[0], uid="1"), replace(intervals[1], uid="0"))
    assert _rules(check_event(_with_signal(simple_event(levels=(1, 2)), intervals=swapped))) == [2]
    missing = (replace(intervals[0], uid=None), intervals[1])
    assert _rules(check_event(_with_signal(simple_event(levels=(1, 2)), intervals=missing))) == [2]


@pytest.mark.parametrize(
    ("name", "signal_type", "allowed"),
    [
        (m.SignalName.SIMPLE, m.SignalType.LEVEL, True),
        (m.SignalName.SIMPLE, m.SignalType.PRICE, False),
        (m.SignalName.ELECTRICITY_PRICE, m.SignalType.PRICE_RELATIVE, True),
        (m.SignalName.ELECTRICITY_PRICE, m.SignalType.SETPOINT, False),
        (m.SignalName.LOAD_DISPATCH, m.SignalType.SETPOINT, True),
        (m.SignalName.LOAD_CONTROL, m.SignalType.LEVEL, False),
        (m.SignalName.LOAD_CONTROL, m.SignalType.LOAD_CONTROL_CAPACITY, True),
        (m.SignalName.BID_LOAD, m.SignalType.PRICE, False),
        (m.SignalName("x-vendorSignal"), m.SignalType.MULTIPLIER, True),
    ],
)
def test_rule_7_signal_name_and_type(name: m.SignalName, signal_type: m.SignalType, allowed: bool) -> None:
    event = _with_signal(
        simple_event(levels=(1,)), signal_name=name, signal_type=signal_type, current_value=None
    )
    assert (7 not in _rules(check_event(event))) is allowed


def test_rule_8_interval_durations_cover_the_active_period() -> None:
    event = simple_event(levels=(1, 2, 3))
    assert check_event(event) == []
    longer = replace(event.ei_event.active_period, duration=HOUR * 4)
    broken = replace(event, ei_event=replace(event.ei_event, active_period=longer))
    [violation] = check_event(broken)
    assert violation.rule == 8
    assert "3:00:00" in violation.message
    assert "4:00:00" in violation.message
    open_ended = replace(event.ei_event.active_period, duration=timedelta(0))
    assert check_event(replace(event, ei_event=replace(event.ei_event, active_period=open_ended))) == []


def test_rule_8_needs_a_duration_on_every_interval() -> None:
    event = simple_event(levels=(1, 2))
    intervals = event.ei_event.signals[0].intervals
    no_duration = (intervals[0], replace(intervals[1], duration=None))
    assert _rules(check_event(_with_signal(event, intervals=no_duration))) == [8]


def test_rule_9_simple_levels_are_0_to_3() -> None:
    assert _rules(check_event(simple_event(levels=(0, 3)))) == []
    assert _rules(check_event(simple_event(levels=(1, 4)))) == [9]
    assert _rules(check_event(simple_event(levels=(Decimal("1.5"),)))) == [9]  # type: ignore[arg-type]


def test_rule_14_current_value_is_zero_unless_active() -> None:
    pending = simple_event(levels=(2, 3))
    assert check_event(pending) == []
    wrong = _with_signal(pending, current_value=Decimal(2))
    [violation] = check_event(wrong)
    assert (violation.rule, violation.event_id) == (14, "event-1")


def test_rule_14_active_current_value_is_the_running_intervals() -> None:
    active = simple_event(levels=(1, 3), status=m.EventStatus.ACTIVE)  # current value 1
    in_first = T0 + timedelta(minutes=30)
    in_second = T0 + timedelta(minutes=90)
    assert check_event(active, now=in_first) == []
    assert _rules(check_event(active, now=in_second)) == [14]
    assert check_event(_with_signal(active, current_value=Decimal(3)), now=in_second) == []
    assert check_event(active) == []  # without a clock, only the static half is checked


def test_rule_15_active_by_priority_then_start_then_pending_by_start() -> None:
    high = simple_event("active-p1", status=m.EventStatus.ACTIVE, priority=1, levels=(1,))
    low_early = simple_event("active-p0", status=m.EventStatus.ACTIVE, priority=0, levels=(1,))
    low_late = simple_event(
        "active-none", status=m.EventStatus.ACTIVE, priority=None, levels=(1,), start=T0 + HOUR
    )
    pending_late = simple_event("pending-late", levels=(1,), start=T0 + HOUR * 5)
    pending_early = simple_event("pending-early", levels=(1,), start=T0 + HOUR * 3)
    ordered = (high, low_early, low_late, pending_early, pending_late)
    shuffled = (pending_late, low_late, pending_early, high, low_early)
    assert sort_events(shuffled) == ordered
    good = m.OadrDistributeEvent(request_id="r", vtn_id=VTN_ID, events=ordered)
    assert check_distribute_event(good) == []
    bad = replace(good, events=(pending_early, high))
    assert _rules(check_distribute_event(bad)) == [15]


def test_an_event_id_may_appear_only_once() -> None:
    message = m.OadrDistributeEvent(request_id="r", vtn_id=VTN_ID, events=(simple_event(), simple_event()))
    [violation] = check_distribute_event(message)
    assert (violation.rule, violation.response_code) == (21, m.ResponseCode.INVALID_ID)


def test_changes_vtn_id_is_case_sensitive() -> None:
    message = m.OadrDistributeEvent(request_id="r", vtn_id=VTN_ID.upper(), events=())
    [violation] = check_event_changes({}, message, vtn_id=VTN_ID)
    assert violation.response_code == m.ResponseCode.INVALID_ID
    assert check_event_changes({}, replace(message, vtn_id=VTN_ID), vtn_id=VTN_ID) == []


def test_changes_lower_modification_number_is_refused() -> None:
    known = {"event-1": simple_event(modification_number=3).ei_event}
    message = m.OadrDistributeEvent(
        request_id="r", vtn_id=VTN_ID, events=(simple_event(modification_number=2),)
    )
    [violation] = check_event_changes(known, message)
    assert violation.response_code == m.ResponseCode.INVALID_ID
    assert violation.event_id == "event-1"


def test_changes_content_may_not_change_without_a_new_modification_number() -> None:
    known = {"event-1": simple_event(levels=(1, 2)).ei_event}
    same_number = m.OadrDistributeEvent(request_id="r", vtn_id=VTN_ID, events=(simple_event(levels=(1, 3)),))
    assert _rules(check_event_changes(known, same_number)) == [None]
    new_number = replace(same_number, events=(simple_event(levels=(1, 3), modification_number=1),))
    assert check_event_changes(known, new_number) == []


def test_changes_status_and_current_value_move_without_a_new_modification_number() -> None:
    known = {"event-1": simple_event(levels=(2, 1)).ei_event}
    now_active = simple_event(levels=(2, 1), status=m.EventStatus.ACTIVE)  # current value 2 now
    message = m.OadrDistributeEvent(request_id="r", vtn_id=VTN_ID, events=(now_active,))
    assert check_event_changes(known, message) == []


def test_changes_unknown_cancelled_event_is_not_an_error() -> None:
    cancelled = simple_event("never-seen", status=m.EventStatus.CANCELLED, modification_number=4)
    message = m.OadrDistributeEvent(request_id="r", vtn_id=VTN_ID, events=(cancelled,))
    assert check_event_changes({}, message, vtn_id=VTN_ID) == []


def test_created_event_must_name_sent_events_at_their_current_modification() -> None:
    created = SAMPLES["oadrCreatedEvent"]
    assert isinstance(created, m.OadrCreatedEvent)
    assert check_created_event({"event-1": 0, "event-price-2": 2}, created) == []
    stale = check_created_event({"event-1": 1, "event-price-2": 2}, created)
    assert [(v.rule, v.response_code, v.event_id) for v in stale] == [
        (48, m.ResponseCode.INVALID_ID, "event-1")
    ]
    unknown = check_created_event({"event-1": 0}, created)
    assert [(v.rule, v.event_id) for v in unknown] == [(21, "event-price-2")]


def test_raise_first_carries_rule_and_response_code() -> None:
    raise_first([])
    violations = check_event(simple_event(levels=(9,)))
    with pytest.raises(RuleViolationError) as raised:
        raise_first(violations)
    assert raised.value.rule == 9
    assert raised.value.response_code == "454"
    assert "event-1" in str(raised.value)


def test_price_event_with_two_signals_and_a_baseline_passes() -> None:
    assert check_event(price_event()) == []
