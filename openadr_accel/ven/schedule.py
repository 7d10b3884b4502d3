"""When an event's moments fall for a VEN: start (after randomization), interval changes, end.

No I/O and no clock of its own: :func:`timeline` lists an event's moments once, and
:func:`due` picks those between two instants, so a VEN's scheduler only has to remember the
last instant it looked at (and a test can jump hours ahead in one call).

Randomization: an event with ``startafter`` (``tolerance/tolerate/startafter``) starts, and
every moment of it shifts, by a random offset in ``[0, startafter]`` chosen once per VEN and
event version (:func:`start_offset`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ..model import EiEventSignal, OadrEvent

__all__ = ["Moment", "MomentKind", "due", "start_offset", "timeline"]


class MomentKind(StrEnum):
    """What happens at a moment of an event."""

    STARTED = "started"
    """The event becomes active: the first intervals' values apply."""
    INTERVAL = "interval"
    """At least one signal moves to its next interval."""
    ENDED = "ended"
    """The active period (shifted by the randomization) is over."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Moment:
    """One moment of an event, with every signal's value from then on (None: no value, e.g.
    after the signal's last interval or at the end)."""

    at: datetime
    kind: MomentKind
    values: Mapping[str, Decimal | None]


def start_offset(event: OadrEvent, rng: random.Random) -> timedelta:
    """The randomized delay of this event's start: uniform in ``[0, startafter]``, whole seconds
    (zero without ``startafter``)."""
    window = event.ei_event.active_period.start_after
    if not window:
        return timedelta(0)
    return timedelta(seconds=rng.randint(0, int(window.total_seconds())))


def timeline(event: OadrEvent, offset: timedelta = timedelta(0)) -> tuple[Moment, ...]:
    """Every moment of ``event``, in time order, shifted by ``offset``.

    An open-ended event (duration zero) has no ENDED moment; a signal interval of duration zero
    lasts until the end of the event.
    """
    ei_event = event.ei_event
    start = ei_event.active_period.dtstart + offset
    changes: dict[datetime, None] = {start: None}
    for signal in ei_event.signals:
        changes.update(dict.fromkeys(_boundaries(signal, start)))
    duration = ei_event.active_period.duration
    end = start + duration if duration else None
    moments = []
    for at in sorted(changes):
        if end is not None and at >= end:
            break
        kind = MomentKind.STARTED if at == start else MomentKind.INTERVAL
        moments.append(
            Moment(at=at, kind=kind, values={s.signal_id: _value(s, start, at) for s in ei_event.signals})
        )
    if end is not None:
        moments.append(
            Moment(at=end, kind=MomentKind.ENDED, values=dict.fromkeys(s.signal_id for s in ei_event.signals))
        )
    return tuple(moments)


def due(moments: Iterable[Moment], after: datetime | None, until: datetime) -> list[Moment]:
    """The moments in ``(after, until]`` (all up to ``until`` when ``after`` is None), in order."""
    return [moment for moment in moments if (after is None or moment.at > after) and moment.at <= until]


def _boundaries(signal: EiEventSignal, start: datetime) -> list[datetime]:
    """The instants at which ``signal`` moves to its next interval."""
    found = []
    at = start
    for interval in signal.intervals[:-1]:
        if not interval.duration:
            break
        at += interval.duration
        found.append(at)
    return found


def _value(signal: EiEventSignal, start: datetime, at: datetime) -> Decimal | None:
    """The value of the interval of ``signal`` running at ``at``."""
    interval_start = start
    for interval in signal.intervals:
        if not interval.duration or at < interval_start + interval.duration:
            return interval.value
        interval_start += interval.duration
    return None
