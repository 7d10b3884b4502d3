"""A VEN's events: answering distributions, and telling the handlers of each event's moments.

:meth:`VenEvents.read` turns an oadrDistributeEvent into an :class:`AcceptedDistribution`: the
answer to send (an oadrCreatedEvent, or None when none is needed) and the changes to keep. The
changes are kept, and the handlers told, by :meth:`AcceptedDistribution.commit` once the answer
was delivered: a VEN that could not deliver its answer reads the next distribution as new again
and answers it then (``on_event`` may so be asked twice about one version, never an answer lost).

:meth:`VenEvents.fire_due` reports every moment (start, interval change, end) that fell since it
last looked, for the events the VEN opted into, and returns when the next one falls; the VEN's
scheduler task calls it. What was reported is stored, so a restart repeats nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from ..clock import Clock
from ..model import EiTarget, EventStatus, OadrCreatedEvent, OadrDistributeEvent, OadrEvent, OptType
from .distribution import (
    REFUSALS,
    Change,
    DistributionReading,
    SignalFilter,
    created_event,
    read_distribution,
)
from .handlers import SignalValue, VenHandlers
from .schedule import Moment, MomentKind, due, start_offset, timeline
from .store import KnownEvent, VenStore

__all__ = ["AcceptedDistribution", "VenEvents"]

logger = logging.getLogger("openadr_accel.ven")

_P = ParamSpec("_P")
_T = TypeVar("_T")


async def notify(callback: Callable[_P, Awaitable[None]] | None, *args: _P.args, **kwargs: _P.kwargs) -> None:
    """Call a handler, if set; its exceptions are logged, never raised."""
    if callback is None:
        return
    try:
        await callback(*args, **kwargs)
    except Exception:
        logger.exception("the VEN handler %s failed", getattr(callback, "__name__", callback))


@dataclass(slots=True)
class AcceptedDistribution:
    """What a distribution means for the VEN: the answer, and the changes to commit once it was
    delivered (see the module docstring)."""

    reading: DistributionReading
    answer: OadrCreatedEvent | None
    _commit: Callable[[], Awaitable[None]] = field(repr=False)

    async def commit(self) -> None:
        """Keep the changes and tell the handlers."""
        await self._commit()


class VenEvents:
    """The events side of one VEN.

    Args:
        store: where known events are kept.
        handlers: the vendor's callbacks.
        supports: which signals the VEN supports (others are answered 460).
        clock: the time source.
        rng: the randomness of randomized starts.
        forget_after: how long a finished event is remembered.
        market_contexts: the market contexts the VEN is enrolled in (empty: any).
    """

    def __init__(
        self,
        store: VenStore,
        handlers: VenHandlers,
        *,
        supports: SignalFilter,
        clock: Clock,
        rng: random.Random,
        forget_after: timedelta,
        market_contexts: frozenset[str] = frozenset(),
    ) -> None:
        self._store = store
        self._handlers = handlers
        self._supports = supports
        self._clock = clock
        self._rng = rng
        self._forget_after = forget_after
        self._market_contexts = market_contexts
        self._known = store.events()
        self._lock = asyncio.Lock()
        self.changed: Callable[[], None] = lambda: None
        """Called whenever the known events change (the VEN's scheduler then looks again)."""

    def known(self) -> dict[str, KnownEvent]:
        """The events the VEN knows (pending, active, and finished ones not forgotten yet)."""
        return dict(self._known)

    async def read(self, message: OadrDistributeEvent, *, vtn_id: str, ven_id: str) -> AcceptedDistribution:
        """Read a distribution and decide (``on_event``) about each new or modified event."""
        async with self._lock:
            reading = read_distribution(
                {event_id: known.event for event_id, known in self._known.items()},
                message,
                vtn_id=vtn_id,
                supports=self._supports,
                ven_id=ven_id,
                market_contexts=self._market_contexts,
            )
            if not reading.accepted:
                return AcceptedDistribution(
                    reading=reading,
                    answer=created_event(reading, message, ven_id=ven_id, opt={}),
                    _commit=_nothing,
                )
            decisions: dict[str, OptType] = {}
            for update in reading.updates:
                if update.change in (Change.NEW, Change.MODIFIED):
                    assert update.event is not None
                    opted = self._opted(update.event_id) if update.change == Change.MODIFIED else None
                    # An opt of the whole event (oadrCreateOpt) stands for its later versions too.
                    decisions[update.event_id] = opted or await self._decide(update.event)
                elif update.change == Change.CANCELLED:
                    previous = self._known.get(update.event_id)
                    decisions[update.event_id] = (previous and previous.opt_type) or OptType.OPT_IN
                elif update.change == Change.IGNORED_UNKNOWN_CANCELLED:
                    decisions[update.event_id] = OptType.OPT_IN  # acknowledged: nothing to execute
            answer = created_event(reading, message, ven_id=ven_id, opt=decisions)

        async def commit() -> None:
            async with self._lock:
                await self._apply(reading, decisions)

        return AcceptedDistribution(reading=reading, answer=answer, _commit=commit)

    def opted(self, event_id: str, opt_type: OptType) -> None:
        """The VEN opted in or out of one event after answering it (oadrCreateOpt): its
        lifecycle callbacks stop (optOut) or start (optIn) from now on."""
        known = self._known.get(event_id)
        if known is None:
            return
        self._keep(replace(known, opt_type=opt_type))
        self.changed()

    async def fire_due(self) -> datetime | None:
        """Report the moments that fell since the last look; when the next one falls (None:
        no moment ahead)."""
        now = self._clock()
        upcoming: datetime | None = None
        async with self._lock:
            for known in list(self._known.values()):
                if known.finished_at is not None or known.opt_type != OptType.OPT_IN:
                    continue
                moments = timeline(known.event, known.start_offset)
                fired = due(moments, known.reported_until, now)
                for moment in fired:
                    await self._report(known.event, moment)
                if fired:
                    ended = fired[-1].kind == MomentKind.ENDED
                    self._keep(replace(known, reported_until=now, finished_at=now if ended else None))
                ahead = next((moment.at for moment in moments if moment.at > now), None)
                if ahead is not None and (upcoming is None or ahead < upcoming):
                    upcoming = ahead
            forget_at = self._forget_finished(now)
        if forget_at is not None and (upcoming is None or forget_at < upcoming):
            upcoming = forget_at
        return upcoming

    # -- helpers ---------------------------------------------------------------------------------

    def _opted(self, event_id: str) -> OptType | None:
        """The optType of the VEN's last opt in force about the whole of one event, if any."""
        found = None
        for opt in self._store.opts().values():
            qualified = opt.qualified_event_id
            if qualified is not None and qualified.event_id == event_id and opt.target == EiTarget():
                found = opt.opt_type
        return found

    async def _decide(self, event: OadrEvent) -> OptType:
        decide = self._handlers.on_event
        if decide is None:
            return OptType.OPT_IN
        try:
            decision = await decide(event)
        except Exception:
            logger.exception(
                "on_event failed for event %r: opting out", event.ei_event.event_descriptor.event_id
            )
            return OptType.OPT_OUT
        if not isinstance(decision, OptType):
            logger.error("on_event returned %r, not an OptType: opting out", decision)
            return OptType.OPT_OUT
        return decision

    async def _apply(self, reading: DistributionReading, decisions: dict[str, OptType]) -> None:
        now = self._clock()
        handlers = self._handlers
        for update in reading.updates:
            previous = self._known.get(update.event_id)
            event = update.event
            if update.change == Change.NEW:
                assert event is not None
                known = KnownEvent(
                    event=event,
                    opt_type=decisions[update.event_id],
                    start_offset=start_offset(event, self._rng),
                )
                if _over(known, now):  # it ended before the VEN heard of it: nothing to execute
                    known = replace(known, reported_until=now, finished_at=now)
                self._keep(known)
                if known.opt_type == OptType.OPT_IN and _start(known) > now:
                    await notify(handlers.on_event_pending, event)
            elif update.change == Change.MODIFIED:
                assert event is not None
                assert previous is not None
                started = previous.reported_until is not None and previous.reported_until >= _start(previous)
                window = event.ei_event.active_period.start_after
                # The random delay is drawn once per event: a modification keeps it unless it
                # changes the randomization window itself (and the event has not started).
                keep_offset = started or window == previous.event.ei_event.active_period.start_after
                self._keep(
                    replace(
                        previous,
                        event=event,
                        opt_type=decisions[update.event_id],
                        start_offset=previous.start_offset if keep_offset else start_offset(event, self._rng),
                    )
                )
                if decisions[update.event_id] == OptType.OPT_IN:
                    await notify(handlers.on_event_modified, event, previous.event)
            elif update.change == Change.CANCELLED:
                assert event is not None
                assert previous is not None
                self._keep(replace(previous, event=event, finished_at=previous.finished_at or now))
                if previous.finished_at is None and previous.opt_type == OptType.OPT_IN:
                    await notify(handlers.on_event_cancelled, event)
            elif update.change in REFUSALS:
                assert event is not None
                self._keep(KnownEvent(event=event, opt_type=None, start_offset=timedelta(0), finished_at=now))
            elif update.change == Change.IMPLICITLY_CANCELLED and previous is not None:
                self._known.pop(update.event_id, None)
                self._store.delete_event(update.event_id)
                was_live = previous.finished_at is None and (
                    previous.event.ei_event.event_descriptor.event_status != EventStatus.CANCELLED
                )
                if was_live and previous.opt_type == OptType.OPT_IN:
                    await notify(handlers.on_event_cancelled, previous.event)
        self.changed()

    async def _report(self, event: OadrEvent, moment: Moment) -> None:
        handlers = self._handlers
        if moment.kind == MomentKind.ENDED:
            await notify(handlers.on_event_ended, event)
            return
        values = tuple(
            SignalValue(
                signal_id=signal.signal_id,
                signal_name=signal.signal_name,
                signal_type=signal.signal_type,
                value=moment.values.get(signal.signal_id),
            )
            for signal in event.ei_event.signals
        )
        callback = (
            handlers.on_event_started if moment.kind == MomentKind.STARTED else handlers.on_interval_changed
        )
        await notify(callback, event, values)

    def _keep(self, known: KnownEvent) -> None:
        self._store.save_event(known)
        self._known[known.event_id] = known

    def _forget_finished(self, now: datetime) -> datetime | None:
        """Forget the events that finished more than ``forget_after`` ago; when the next
        finished one is to be forgotten (None: no finished event is left)."""
        cutoff = now - self._forget_after
        stale = [event_id for event_id, known in self._known.items() if _finished_by(known, cutoff)]
        if stale:
            for event_id in stale:
                del self._known[event_id]
            self._store.forget_finished(cutoff)
        finished = [known.finished_at for known in self._known.values() if known.finished_at is not None]
        return min(finished) + self._forget_after if finished else None


def _over(known: KnownEvent, now: datetime) -> bool:
    """Whether the event's active period (randomized start included) ended by ``now``."""
    period = known.event.ei_event.active_period
    if known.event.ei_event.event_descriptor.event_status == EventStatus.COMPLETED:
        return True
    return bool(period.duration) and _start(known) + period.duration <= now


def _finished_by(known: KnownEvent, cutoff: datetime) -> bool:
    return known.finished_at is not None and known.finished_at <= cutoff


def _start(known: KnownEvent) -> datetime:
    return known.event.ei_event.active_period.dtstart + known.start_offset


async def _nothing() -> None:
    return None
