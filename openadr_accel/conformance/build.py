"""Building what cases send: events for the harness VTN to distribute.

Times are the run's (compressed) clock: build an event a few minutes ahead with
``start=ctx.now() + timedelta(minutes=2)`` and short intervals, so that it runs through its
lifecycle in seconds against our own VEN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from ..model import (
    EiActivePeriod,
    EiEvent,
    EiTarget,
    EventDescriptor,
    EventStatus,
    OadrDistributeEvent,
    OadrEvent,
    ResponseRequired,
    SignalName,
    SignalType,
)
from ..vtn.events import Signal
from ..vtn.policies import new_id

__all__ = [
    "ENROLLED_MARKET_CONTEXTS",
    "MARKET_CONTEXT",
    "SECOND_MARKET_CONTEXT",
    "distribution",
    "event",
    "modified",
    "simple",
]

MARKET_CONTEXT = "http://conformance.openadr-accel.example/market"
"""The market context of the harness's events."""

SECOND_MARKET_CONTEXT = f"{MARKET_CONTEXT}/second-program"
"""A second program the VEN under test is enrolled in (A_E1_0275, A_E1_0285)."""

ENROLLED_MARKET_CONTEXTS = frozenset({MARKET_CONTEXT, SECOND_MARKET_CONTEXT})
"""The programs a VEN under test must be enrolled in (an external VEN is configured so)."""


def simple(*levels: int, interval: timedelta = timedelta(minutes=1)) -> Signal:
    """A SIMPLE level signal, one interval of ``interval`` per level."""
    return Signal(
        name=SignalName.SIMPLE, type=SignalType.LEVEL, intervals=[(interval, level) for level in levels]
    )


def event(
    *,
    ven_id: str,
    start: datetime,
    signals: Sequence[Signal] = (),
    event_id: str | None = None,
    modification_number: int = 0,
    status: EventStatus = EventStatus.FAR,
    response_required: ResponseRequired = ResponseRequired.ALWAYS,
    priority: int | None = 1,
    market_context: str = MARKET_CONTEXT,
    test_event: str = "false",
    start_after: timedelta | None = None,
    created: datetime | None = None,
    target: EiTarget | None = None,
    vtn_comment: str | None = None,
) -> OadrEvent:
    """An event for one VEN (targeted at its venID unless ``target`` says), with consecutive
    intervals numbered 0, 1, 2, ... (rule 2) covering its active period (rule 8); one SIMPLE
    signal of level 1 for a minute when no signal is given. The signals' currentValue is that
    of the interval in force when ``status`` is active, else 0 (rule 14)."""
    chosen = list(signals) or [simple(1)]
    built = tuple(signal.build(position) for position, signal in enumerate(chosen))
    durations = {signal.duration for signal in chosen}
    if len(durations) != 1:
        raise ValueError("the signals of an event must last equally long (rule 8)")
    if status is EventStatus.ACTIVE:
        built = tuple(
            replace(signal, current_value=_first_value(spec))
            for signal, spec in zip(built, chosen, strict=True)
        )
    return OadrEvent(
        response_required=response_required,
        ei_event=EiEvent(
            event_descriptor=EventDescriptor(
                event_id=event_id or f"TH-EVENT-{new_id()[:10]}",
                modification_number=modification_number,
                market_context=market_context,
                created_date_time=created or start - timedelta(hours=1),
                event_status=status,
                priority=priority,
                test_event=test_event,
                vtn_comment=vtn_comment,
            ),
            active_period=EiActivePeriod(dtstart=start, duration=durations.pop(), start_after=start_after),
            signals=built,
            target=target if target is not None else EiTarget(ven_ids=(ven_id,)),
        ),
    )


def modified(original: OadrEvent, **changes: object) -> OadrEvent:
    """The next version of ``original``: modificationNumber + 1, with ``changes`` applied to its
    eventDescriptor (``event_status=...``, ``priority=...``)."""
    descriptor = original.ei_event.event_descriptor
    descriptor = replace(descriptor, modification_number=descriptor.modification_number + 1, **changes)  # type: ignore[arg-type]
    return replace(original, ei_event=replace(original.ei_event, event_descriptor=descriptor))


def distribution(vtn_id: str, *events: OadrEvent, request_id: str | None = None) -> OadrDistributeEvent:
    """An oadrDistributeEvent of ``events`` (none: the empty distribution of E1_1010)."""
    return OadrDistributeEvent(request_id=request_id or new_id(), vtn_id=vtn_id, events=events)


def _first_value(signal: Signal) -> Decimal:
    return Decimal(signal.intervals[0][1])
