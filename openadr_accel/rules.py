"""Conformance rules that the 2.0b schema cannot express, for both roles.

Every check is a pure function: it takes model objects (and, where the rule depends on time or
history, the current instant or what the caller already knows) and returns the list of
:class:`Violation` it finds, in document order. Nothing here raises on a finding: the caller
decides whether a violation rejects a message (:func:`raise_first` does that), is answered with
an error code, or is only logged.

Rule numbers are those of the certification catalogue:

- 2: the intervals of a signal carry uids 0, 1, 2, ... in order;
- 7: signalName and signalType must be a combination the specification lists;
- 8: the durations of a signal's intervals add up to the event's active period;
- 9: SIMPLE signal levels are 0, 1, 2 or 3;
- 14: currentValue is 0 unless the event is active, and then the current interval's value;
- 15: events are ordered active first (by priority, then start), then pending by start;
- 21: unexpected IDs are errors, except an unknown event that arrives cancelled;

plus the consistency of event IDs and modification numbers between messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from .errors import RuleViolationError
from .model import (
    EiEvent,
    EiEventSignal,
    EventStatus,
    OadrCreatedEvent,
    OadrDistributeEvent,
    OadrEvent,
    Payload,
    ResponseCode,
    SignalName,
    SignalType,
)

__all__ = [
    "SIGNAL_TYPES_BY_NAME",
    "Violation",
    "check_created_event",
    "check_distribute_event",
    "check_event",
    "check_event_changes",
    "check_payload",
    "event_order_key",
    "raise_first",
    "signal_value_at",
    "sort_events",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """One broken rule.

    Attributes:
        rule: the conformance rule number, or None for a consistency check without a number.
        message: what is wrong, naming the event and signal concerned.
        response_code: what to answer with.
        event_id: the event concerned, if any.
    """

    rule: int | None
    message: str
    response_code: ResponseCode = ResponseCode.INVALID_DATA
    event_id: str | None = None


SIGNAL_TYPES_BY_NAME: Mapping[SignalName, frozenset[SignalType]] = {
    SignalName.SIMPLE: frozenset({SignalType.LEVEL}),
    SignalName.SIMPLE_LOWERCASE: frozenset({SignalType.LEVEL}),
    SignalName.ELECTRICITY_PRICE: frozenset(
        {SignalType.PRICE, SignalType.PRICE_RELATIVE, SignalType.PRICE_MULTIPLIER}
    ),
    SignalName.ENERGY_PRICE: frozenset(
        {SignalType.PRICE, SignalType.PRICE_RELATIVE, SignalType.PRICE_MULTIPLIER}
    ),
    SignalName.DEMAND_CHARGE: frozenset(
        {SignalType.PRICE, SignalType.PRICE_RELATIVE, SignalType.PRICE_MULTIPLIER}
    ),
    SignalName.BID_PRICE: frozenset({SignalType.PRICE}),
    SignalName.BID_LOAD: frozenset({SignalType.SETPOINT}),
    SignalName.BID_ENERGY: frozenset({SignalType.SETPOINT}),
    SignalName.CHARGE_STATE: frozenset({SignalType.SETPOINT, SignalType.DELTA, SignalType.MULTIPLIER}),
    SignalName.LOAD_DISPATCH: frozenset(
        {SignalType.SETPOINT, SignalType.DELTA, SignalType.MULTIPLIER, SignalType.LEVEL}
    ),
    SignalName.LOAD_CONTROL: frozenset(
        {
            SignalType.LOAD_CONTROL_CAPACITY,
            SignalType.LOAD_CONTROL_LEVEL_OFFSET,
            SignalType.LOAD_CONTROL_PERCENT_OFFSET,
            SignalType.LOAD_CONTROL_SETPOINT,
        }
    ),
}
"""Rule 7: the signalTypes allowed with each standard signalName (custom ``x-`` names take any)."""

_SIMPLE_LEVELS = frozenset(Decimal(level) for level in range(4))
_ZERO = Decimal(0)


def _signal_violations(
    event_id: str, signal: EiEventSignal, event: EiEvent, now: datetime | None
) -> list[Violation]:
    found: list[Violation] = []
    where = f"event {event_id!r}, signal {signal.signal_id!r}"

    def violation(rule: int, message: str) -> None:
        found.append(Violation(rule=rule, message=f"{where}: {message}", event_id=event_id))

    # Rule 2: uids 0, 1, 2, ...
    for index, interval in enumerate(signal.intervals):
        if interval.uid is None or interval.uid.strip() != str(index):
            violation(2, f"interval {index} has uid {interval.uid!r}, expected {str(index)!r}")
            break

    # Rule 7: name and type combination
    allowed = SIGNAL_TYPES_BY_NAME.get(signal.signal_name)
    if allowed is not None and signal.signal_type not in allowed:
        expected = ", ".join(sorted(allowed))
        violation(7, f"signalType {signal.signal_type} is not allowed with {signal.signal_name} ({expected})")

    # Rule 8: interval durations add up to the active period
    period = event.active_period.duration
    if period:
        durations = [interval.duration for interval in signal.intervals]
        if any(duration is None for duration in durations):
            violation(8, "an interval has no duration, so the intervals cannot cover the active period")
        else:
            total = sum((duration for duration in durations if duration is not None), timedelta())
            if total != period:
                violation(8, f"intervals last {total} in all but the active period lasts {period}")

    # Rule 9: SIMPLE levels
    is_simple = signal.signal_name in (SignalName.SIMPLE, SignalName.SIMPLE_LOWERCASE)
    if is_simple:
        for index, interval in enumerate(signal.intervals):
            value = interval.value
            if value is not None and value not in _SIMPLE_LEVELS:
                violation(9, f"interval {index} has level {value}; SIMPLE levels are 0, 1, 2 and 3")
                break

    # Rule 14: currentValue
    current = signal.current_value
    if current is not None:
        status = event.event_descriptor.event_status
        if status != EventStatus.ACTIVE and current != _ZERO:
            violation(14, f"currentValue is {current} but the event is {status}, so it must be 0")
        elif status == EventStatus.ACTIVE and now is not None:
            expected_value = signal_value_at(event, signal, now)
            if expected_value is not None and current != expected_value:
                violation(14, f"currentValue is {current} but the interval running now has {expected_value}")
        if is_simple and current not in _SIMPLE_LEVELS:
            violation(9, f"currentValue {current} is not a SIMPLE level (0 to 3)")
    return found


def signal_value_at(event: EiEvent, signal: EiEventSignal, now: datetime) -> Decimal | None:
    """The value of the interval of ``signal`` running at ``now``, if the intervals say."""
    start = event.active_period.dtstart
    for interval in signal.intervals:
        if interval.duration is None:
            return None
        end = start + interval.duration
        if start <= now < end:
            return interval.value
        start = end
    return None


def check_event(event: OadrEvent | EiEvent, *, now: datetime | None = None) -> list[Violation]:
    """Rules 2, 7, 8, 9 and 14 for one event.

    Rule 14's second half (an active event's currentValue equals the running interval's value)
    is checked only when ``now`` is given.
    """
    ei_event = event.ei_event if isinstance(event, OadrEvent) else event
    event_id = ei_event.event_descriptor.event_id
    found: list[Violation] = []
    for signal in ei_event.signals:
        found.extend(_signal_violations(event_id, signal, ei_event, now))
    return found


def event_order_key(event: OadrEvent) -> tuple[int, int, datetime]:
    """Rule 15's sort key: active events first by priority (1 highest, 0 or none lowest), then start."""
    descriptor = event.ei_event.event_descriptor
    start = event.ei_event.active_period.dtstart
    if descriptor.event_status == EventStatus.ACTIVE:
        priority = descriptor.priority or 0
        rank = priority if priority > 0 else 2**32
        return (0, rank, start)
    return (1, 0, start)


def sort_events(events: Iterable[OadrEvent]) -> tuple[OadrEvent, ...]:
    """Events in the order rule 15 asks for (stable for ties)."""
    return tuple(sorted(events, key=event_order_key))


def check_distribute_event(message: OadrDistributeEvent, *, now: datetime | None = None) -> list[Violation]:
    """Every event's rules, unique event IDs, and rule 15's ordering of the events."""
    found: list[Violation] = []
    seen: set[str] = set()
    for event in message.events:
        event_id = event.ei_event.event_descriptor.event_id
        if event_id in seen:
            found.append(
                Violation(
                    rule=21,
                    message=f"event {event_id!r} appears more than once",
                    response_code=ResponseCode.INVALID_ID,
                    event_id=event_id,
                )
            )
        seen.add(event_id)
        found.extend(check_event(event, now=now))
    for earlier, later in pairwise(message.events):
        if event_order_key(earlier) > event_order_key(later):
            found.append(
                Violation(
                    rule=15,
                    message=(
                        f"event {later.ei_event.event_descriptor.event_id!r} must come before "
                        f"{earlier.ei_event.event_descriptor.event_id!r}: active events first by "
                        "priority then start, then pending events by start"
                    ),
                    event_id=later.ei_event.event_descriptor.event_id,
                )
            )
            break
    return found


def _comparable(event: EiEvent) -> EiEvent:
    """The event without what changes over time without a new modification number."""
    descriptor = replace(event.event_descriptor, event_status=EventStatus.NONE)
    signals = tuple(replace(signal, current_value=None) for signal in event.signals)
    return replace(event, event_descriptor=descriptor, signals=signals)


def check_event_changes(
    known: Mapping[str, EiEvent], message: OadrDistributeEvent, *, vtn_id: str | None = None
) -> list[Violation]:
    """A VEN's view: compare a distribution with the events it already knows.

    Args:
        known: the latest version of each event the VEN holds, by eventID.
        message: the new oadrDistributeEvent.
        vtn_id: the VTN the VEN is registered with; a different vtnID (IDs are case-sensitive)
            is answered 452.

    Finds: a vtnID mismatch (452), a modification number lower than the known one (452; the event
    should be ignored), and an event whose content changed without a new modification number.
    An unknown event that arrives cancelled is not a violation (rule 21's exception).
    """
    found: list[Violation] = []
    if vtn_id is not None and message.vtn_id != vtn_id:
        found.append(
            Violation(
                rule=21,
                message=(
                    f"vtnID {message.vtn_id!r} is not this VEN's VTN ({vtn_id!r}); IDs are case-sensitive"
                ),
                response_code=ResponseCode.INVALID_ID,
            )
        )
    for event in message.events:
        descriptor = event.ei_event.event_descriptor
        previous = known.get(descriptor.event_id)
        if previous is None:
            continue
        known_number = previous.event_descriptor.modification_number
        if descriptor.modification_number < known_number:
            found.append(
                Violation(
                    rule=21,
                    message=(
                        f"event {descriptor.event_id!r} arrives with modificationNumber "
                        f"{descriptor.modification_number}, lower than the known {known_number}"
                    ),
                    response_code=ResponseCode.INVALID_ID,
                    event_id=descriptor.event_id,
                )
            )
        elif descriptor.modification_number == known_number and _comparable(event.ei_event) != _comparable(
            previous
        ):
            found.append(
                Violation(
                    rule=None,
                    message=(
                        f"event {descriptor.event_id!r} changed without a new modificationNumber "
                        f"(still {known_number})"
                    ),
                    event_id=descriptor.event_id,
                )
            )
    return found


def check_created_event(sent: Mapping[str, int], message: OadrCreatedEvent) -> list[Violation]:
    """A VTN's view: check a VEN's oadrCreatedEvent against the events it sent that VEN.

    Args:
        sent: the current modification number of each event sent to this VEN, by eventID.

    Each eventResponse naming an unknown eventID or a stale or future modification number is a
    452 (rules 21 and 48).
    """
    found: list[Violation] = []
    for response in message.event_responses:
        qualified = response.qualified_event_id
        current = sent.get(qualified.event_id)
        if current is None:
            found.append(
                Violation(
                    rule=21,
                    message=f"eventResponse names unknown event {qualified.event_id!r}",
                    response_code=ResponseCode.INVALID_ID,
                    event_id=qualified.event_id,
                )
            )
        elif qualified.modification_number != current:
            found.append(
                Violation(
                    rule=48,
                    message=(
                        f"eventResponse for {qualified.event_id!r} names modificationNumber "
                        f"{qualified.modification_number}, but the event is at {current}"
                    ),
                    response_code=ResponseCode.INVALID_ID,
                    event_id=qualified.event_id,
                )
            )
    return found


def check_payload(payload: Payload, *, now: datetime | None = None) -> list[Violation]:
    """The rules that can be checked on one message alone, whatever its type."""
    if isinstance(payload, OadrDistributeEvent):
        return check_distribute_event(payload, now=now)
    return []


def raise_first(violations: Iterable[Violation]) -> None:
    """Raise :class:`~openadr_accel.errors.RuleViolationError` for the first violation, if any."""
    for violation in violations:
        raise RuleViolationError(
            violation.message, rule=violation.rule, response_code=violation.response_code.value
        )
