"""From an OpenADR event to the site's limit schedule, and from that to each charger's schedule.

Pure functions (no I/O, no clock), on the :class:`~openadr_accel.evse.limits.ChargerSchedule`
shape (a start, periods at offsets from it, a duration) for the site as for the chargers:

- :func:`site_schedule`: one event's site limits. The schedule starts at the event's
  ``dtstart`` (plus a randomized delay, if given), has one period per interval boundary of the
  signals the policy handles (with one signal: one period per event interval, at the same
  offsets), and lasts the event's active period (an open-ended event: no duration). Each
  period's limit is :meth:`~openadr_accel.evse.policy.LimitPolicy.site_limit` of the signals'
  values then (the lowest limit wins).
- :func:`merge`: the site limits of several events at once: at every moment the lowest limit of
  the events in force then; between events, the site capacity.
- :func:`charger_schedules`: a site schedule shared among chargers, period by period
  (:meth:`~openadr_accel.evse.policy.LimitPolicy.split`), each charger's schedule with the same
  start, offsets and duration as the site's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from ..model import EiEventSignal, OadrEvent
from .limits import ChargerSchedule, ChargingPeriod
from .policy import LimitPolicy

__all__ = ["charger_schedules", "merge", "site_schedule"]


def site_schedule(event: OadrEvent, policy: LimitPolicy, offset: timedelta = timedelta(0)) -> ChargerSchedule:
    """The site limit schedule of ``event`` (see the module docstring), shifted by ``offset``
    (a randomized start delay). Offsets are whole seconds (OCPP counts in seconds): sub-second
    parts of interval durations are dropped.

    Signals the policy does not handle are left out; an event with none that it handles is one
    period at the site capacity.
    """
    ei_event = event.ei_event
    start = ei_event.active_period.dtstart + offset
    duration = _whole(ei_event.active_period.duration or timedelta(0))
    handled = [signal for signal in ei_event.signals if policy.handles(signal)]
    boundaries = {timedelta(0)}
    for signal in handled:
        boundaries.update(_boundaries(signal))
    offsets = sorted(at for at in boundaries if not duration or at < duration)
    periods = tuple(
        ChargingPeriod(
            start=at,
            limit_w=policy.site_limit((signal, _value(signal, at)) for signal in handled),
        )
        for at in offsets
    )
    return ChargerSchedule(start=start, periods=periods, duration=duration or None)


def merge(schedules: Iterable[ChargerSchedule], capacity_w: Decimal) -> ChargerSchedule | None:
    """The site limits of several schedules at once: the lowest limit in force at every moment,
    ``capacity_w`` where none is. It starts with the earliest and ends with the latest (no
    duration when one of them has none); None without schedules. One schedule is returned as it
    is; otherwise consecutive periods with the same limit are joined."""
    found = list(schedules)
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    start = min(schedule.start for schedule in found)
    ends = [schedule.end for schedule in found]
    end = None if any(at is None for at in ends) else max(at for at in ends if at is not None)
    instants: set[datetime] = set()
    for schedule in found:
        instants.update(schedule.start + period.start for period in schedule.periods)
        if schedule.end is not None:
            instants.add(schedule.end)
    periods: list[ChargingPeriod] = []
    for at in sorted(instants):
        if end is not None and at >= end:
            break
        limits = [limit for schedule in found if (limit := schedule.limit_at(at)) is not None]
        limit = min(limits, default=capacity_w)
        offset = _whole(at - start)
        if periods and periods[-1].start == offset:
            # Sub-second starts: two instants in one second; the later one's limit holds.
            periods.pop()
        if periods and periods[-1].limit_w == limit:
            continue
        periods.append(ChargingPeriod(start=offset, limit_w=limit))
    duration = None if end is None else _whole(end - start)
    return ChargerSchedule(start=start, periods=tuple(periods), duration=duration)


def charger_schedules(
    site: ChargerSchedule, policy: LimitPolicy, charger_ids: Sequence[str]
) -> dict[str, ChargerSchedule]:
    """Each charger's share of ``site``, period by period (see
    :meth:`~openadr_accel.evse.policy.LimitPolicy.split`): same start, offsets and duration."""
    shares = [policy.split(period.limit_w, charger_ids) for period in site.periods]
    return {
        charger_id: ChargerSchedule(
            start=site.start,
            periods=tuple(
                ChargingPeriod(start=period.start, limit_w=share[charger_id])
                for period, share in zip(site.periods, shares, strict=True)
            ),
            duration=site.duration,
        )
        for charger_id in dict.fromkeys(charger_ids)
    }


def _whole(value: timedelta) -> timedelta:
    return timedelta(seconds=int(value.total_seconds()))


def _boundaries(signal: EiEventSignal) -> list[timedelta]:
    """The offsets (from the event's start) at which ``signal`` moves to its next interval."""
    found = []
    at = timedelta(0)
    for interval in signal.intervals[:-1]:
        if not interval.duration:
            break
        at += interval.duration
        found.append(_whole(at))
    return found


def _value(signal: EiEventSignal, offset: timedelta) -> Decimal | None:
    """The value of the interval of ``signal`` running at ``offset`` (None after its last)."""
    interval_start = timedelta(0)
    for interval in signal.intervals:
        if not interval.duration or offset < _whole(interval_start + interval.duration):
            return interval.value
        interval_start += interval.duration
    return None
