"""An event's status follows the clock: far, near, active, completed (or cancelled, for good).

The lifecycle as a table, checked top to bottom at the instant of sending::

    condition                                   status
    ------------------------------------------  ---------
    the VTN cancelled it                        cancelled
    it has an end and now >= end                completed
    now >= dtstart                              active
    now >= dtstart - near window                near
    otherwise                                   far

(An open-ended event, of duration zero, never completes.) Randomization (``startafter``) does not
move the status: it is the VEN that delays its own start.

:func:`at` returns the event as it must be sent at an instant: that status, and every signal's
``currentValue`` per rule 14 (0 unless active, else the value of the interval running now).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from ..model import EiEvent, EiEventSignal, EventStatus, OadrEvent
from ..rules import signal_value_at

__all__ = ["LIFECYCLE", "at", "current_value", "end_of", "status_at"]

_ZERO = Decimal(0)

_Condition = Callable[[EiEvent, datetime, timedelta], bool]


def end_of(event: EiEvent) -> datetime | None:
    """When the active period ends, or None for an open-ended event."""
    period = event.active_period
    return period.end if period.duration else None


def _cancelled(event: EiEvent, now: datetime, near: timedelta) -> bool:
    return event.event_descriptor.event_status == EventStatus.CANCELLED


def _ended(event: EiEvent, now: datetime, near: timedelta) -> bool:
    end = end_of(event)
    return end is not None and now >= end


def _started(event: EiEvent, now: datetime, near: timedelta) -> bool:
    return now >= event.active_period.dtstart


def _within_near_window(event: EiEvent, now: datetime, near: timedelta) -> bool:
    return now >= event.active_period.dtstart - near


def _always(event: EiEvent, now: datetime, near: timedelta) -> bool:
    return True


LIFECYCLE: tuple[tuple[_Condition, EventStatus], ...] = (
    (_cancelled, EventStatus.CANCELLED),
    (_ended, EventStatus.COMPLETED),
    (_started, EventStatus.ACTIVE),
    (_within_near_window, EventStatus.NEAR),
    (_always, EventStatus.FAR),
)
"""The table of the module docstring: the first condition that holds gives the status."""


def status_at(event: EiEvent, now: datetime, near_window: timedelta) -> EventStatus:
    """The status of ``event`` at ``now``."""
    for condition, status in LIFECYCLE:
        if condition(event, now, near_window):
            return status
    raise AssertionError("the lifecycle table ends with a condition that always holds")


def current_value(event: EiEvent, signal: EiEventSignal, now: datetime) -> Decimal:
    """Rule 14 for an active event: the value of the interval running at ``now`` (an interval of
    zero duration runs until the end of an open-ended event), 0 when none is."""
    value = signal_value_at(event, signal, now)
    if value is not None:
        return value
    start = event.active_period.dtstart
    for interval in signal.intervals:
        if not interval.duration:
            return (interval.value or _ZERO) if start <= now else _ZERO
        start += interval.duration
    return _ZERO


def at(event: OadrEvent, now: datetime, near_window: timedelta) -> OadrEvent:
    """``event`` as it must be sent at ``now``: its status and currentValues (rule 14) set."""
    ei_event = event.ei_event
    status = status_at(ei_event, now, near_window)
    signals = tuple(
        replace(
            signal,
            current_value=current_value(ei_event, signal, now) if status == EventStatus.ACTIVE else _ZERO,
        )
        for signal in ei_event.signals
    )
    descriptor = replace(ei_event.event_descriptor, event_status=status)
    return replace(event, ei_event=replace(ei_event, event_descriptor=descriptor, signals=signals))
