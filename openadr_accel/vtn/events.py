"""EiEvent on the VTN: the operator's event API, targeting, distribution, and the VENs' answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from ..errors import LocalProtocolError
from ..model import (
    EiActivePeriod,
    EiEvent,
    EiEventBaseline,
    EiEventSignal,
    EiResponse,
    EiTarget,
    EventDescriptor,
    EventStatus,
    ItemBase,
    OadrCreatedEvent,
    OadrDistributeEvent,
    OadrEvent,
    OadrRequestEvent,
    OadrResponse,
    PayloadFloat,
    QualifiedEventID,
    ResponseCode,
    ResponseRequired,
    SignalInterval,
    SignalName,
    SignalType,
)
from ..rules import check_event, sort_events
from . import event_status
from .core import VtnContext, building, call_handler, refuse, require_registered
from .policies import new_id
from .store import EventResponseRecord, EventResponseSource, VenRecord

__all__ = ["Baseline", "Signal", "VtnEvents", "answerable_event", "reaches"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """One signal of an event to create: its name, type and consecutive intervals.

    Attributes:
        intervals: (duration, value) pairs, in order; they get uids 0, 1, 2, ... (rule 2) and
            their durations add up to the event's active period (rule 8).
        signal_id: unique within the event; the signal's position if not given.
    """

    name: SignalName | str
    type: SignalType
    intervals: Sequence[tuple[timedelta, Decimal | int | str]]
    signal_id: str | None = None
    item_base: ItemBase | None = None
    target: EiTarget | None = None

    def build(self, position: int) -> EiEventSignal:
        """The schema's eiEventSignal for this signal."""
        if not self.intervals:
            raise LocalProtocolError(f"signal {position} has no intervals")
        return EiEventSignal(
            signal_name=SignalName(self.name),
            signal_type=self.type,
            signal_id=self.signal_id if self.signal_id is not None else str(position),
            item_base=self.item_base,
            target=self.target,
            current_value=Decimal(0),
            intervals=tuple(
                SignalInterval(
                    uid=str(uid), duration=duration, payloads=(PayloadFloat(value=Decimal(value)),)
                )
                for uid, (duration, value) in enumerate(self.intervals)
            ),
        )

    @property
    def duration(self) -> timedelta:
        """The sum of the interval durations."""
        return sum((duration for duration, _ in self.intervals), timedelta())


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """The expected load without the event (``eiEventBaseline``), from the event's start.

    Attributes:
        intervals: (duration, value) pairs, in order; they get uids 0, 1, 2, ...
        baseline_id: unique within the event.
        name: the baselineName.
        item_base: its units (powerReal, say).
        resource_ids: the resources it is for (none: all of the event's).
    """

    intervals: Sequence[tuple[timedelta, Decimal | int | str]]
    baseline_id: str = "baseline"
    name: str = "baseline"
    item_base: ItemBase | None = None
    resource_ids: Sequence[str] = ()

    def build(self, start: datetime) -> EiEventBaseline:
        """The schema's eiEventBaseline, starting at ``start``."""
        if not self.intervals:
            raise LocalProtocolError("the baseline has no intervals")
        return EiEventBaseline(
            dtstart=start,
            duration=sum((duration for duration, _ in self.intervals), timedelta()),
            intervals=tuple(
                SignalInterval(
                    uid=str(uid), duration=duration, payloads=(PayloadFloat(value=Decimal(value)),)
                )
                for uid, (duration, value) in enumerate(self.intervals)
            ),
            baseline_id=self.baseline_id,
            baseline_name=self.name,
            resource_ids=tuple(self.resource_ids),
            item_base=self.item_base,
        )


_EVERYONE = EiTarget()

_VEN_TARGETS = ("ven_ids", "group_ids", "resource_ids", "party_ids")


def reaches(event: EiEvent, ven: VenRecord) -> bool:
    """Whether ``event`` is for ``ven``.

    The VEN must take part in the event's market context (a VEN with no market contexts takes
    part in all), must not be report-only, and the event's eiTarget must name the VEN, one of its
    groups, resources or parties. A target that names none of those kinds (an empty one, or one of
    only meters, nodes or areas) reaches every VEN: the VEN decides which of its devices it covers.
    """
    if ven.report_only:
        return False
    if ven.market_contexts and event.event_descriptor.market_context not in ven.market_contexts:
        return False
    target = event.target
    if not any(getattr(target, kind) for kind in _VEN_TARGETS):
        return True
    return (
        ven.ven_id in target.ven_ids
        or ven.ven_id in target.party_ids
        or not set(target.group_ids).isdisjoint(ven.group_ids)
        or not set(target.resource_ids).isdisjoint(ven.resource_ids)
    )


class VtnEvents:
    """Create, modify and cancel events; answer oadrRequestEvent and oadrCreatedEvent.

    Every change is stored, then each VEN the event reaches (before or after the change) gets an
    oadrDistributeEvent with all of its current events: on its next poll, or pushed.
    """

    def __init__(self, context: VtnContext) -> None:
        self._context = context

    # -- the operator's API ----------------------------------------------------------------------

    async def create(
        self,
        *,
        signals: Sequence[Signal],
        start: datetime,
        target: EiTarget = _EVERYONE,
        market_context: str | None = None,
        priority: int | None = None,
        response_required: ResponseRequired = ResponseRequired.ALWAYS,
        test_event: bool = False,
        start_after: timedelta | None = None,
        notification: timedelta | None = None,
        ramp_up: timedelta | None = None,
        recovery: timedelta | None = None,
        vtn_comment: str | None = None,
        event_id: str | None = None,
        baseline: Baseline | None = None,
    ) -> OadrEvent:
        """Create an event and distribute it to the VENs it reaches.

        The active period lasts as long as the signals' intervals (all signals must agree); a
        ``baseline`` starts with the event.

        Raises:
            LocalProtocolError: the event breaks a rule (SIMPLE levels, signal name and type, ...),
                its signals disagree on the duration, or ``event_id`` is taken.
        """
        event_id = event_id if event_id is not None else new_id()
        now = self._context.clock()
        with building("the event"):
            built_signals, duration = _build_signals(signals)
            event = OadrEvent(
                response_required=response_required,
                ei_event=EiEvent(
                    event_descriptor=EventDescriptor(
                        event_id=event_id,
                        modification_number=0,
                        market_context=market_context or self._context.config.market_context,
                        created_date_time=now,
                        event_status=EventStatus.FAR,
                        priority=priority,
                        test_event="true" if test_event else "false",
                        vtn_comment=vtn_comment,
                    ),
                    active_period=EiActivePeriod(
                        dtstart=start,
                        duration=duration,
                        start_after=start_after,
                        notification=notification,
                        ramp_up=ramp_up,
                        recovery=recovery,
                    ),
                    signals=built_signals,
                    target=target,
                    baseline=baseline.build(start) if baseline is not None else None,
                ),
            )
        _check(event)
        store = self._context.store
        async with store.transaction():
            if await store.get_event(event_id) is not None:
                raise LocalProtocolError(f"event {event_id!r} exists already; modify it instead")
            await store.save_event(event)
            await self._context.distribute_events(await self._recipients(event.ei_event))
        return event

    async def modify(
        self,
        event_id: str,
        *,
        signals: Sequence[Signal] | None = None,
        start: datetime | None = None,
        target: EiTarget | None = None,
        priority: int | None = None,
        response_required: ResponseRequired | None = None,
        start_after: timedelta | None = None,
        vtn_comment: str | None = None,
        reason: str | None = None,
    ) -> OadrEvent:
        """Change an event: its modificationNumber goes up by one and it is distributed again
        (to the VENs it reached before and to those it reaches now). Arguments left out are kept.

        Raises:
            LocalProtocolError: no such event, it was cancelled or has completed, or the change
                breaks a rule.
        """
        store = self._context.store
        async with store.transaction():
            old = await self._changeable(event_id)
            with building("the event"):
                ei_event = old.ei_event
                period = ei_event.active_period
                if signals is not None:
                    built_signals, duration = _build_signals(signals)
                    period = replace(period, duration=duration)
                    ei_event = replace(ei_event, signals=built_signals)
                if start is not None:
                    period = replace(period, dtstart=start)
                if start_after is not None:
                    period = replace(period, start_after=start_after)
                descriptor = ei_event.event_descriptor
                if priority is not None:
                    descriptor = replace(descriptor, priority=priority)
                if vtn_comment is not None:
                    descriptor = replace(descriptor, vtn_comment=vtn_comment)
                ei_event = replace(
                    ei_event,
                    active_period=period,
                    target=target if target is not None else ei_event.target,
                    event_descriptor=self._next_version(descriptor, reason),
                )
                event = OadrEvent(
                    ei_event=ei_event,
                    response_required=response_required
                    if response_required is not None
                    else old.response_required,
                )
            _check(event)
            await store.save_event(event)
            await self._redistribute(old, event)
        return event

    async def cancel(self, event_id: str, *, reason: str | None = None) -> OadrEvent:
        """Cancel an event: modificationNumber + 1 and status cancelled, distributed to its VENs.

        Raises:
            LocalProtocolError: no such event, or it was cancelled or has completed already.
        """
        store = self._context.store
        async with store.transaction():
            old = await self._changeable(event_id)
            descriptor = replace(
                self._next_version(old.ei_event.event_descriptor, reason), event_status=EventStatus.CANCELLED
            )
            event = replace(old, ei_event=replace(old.ei_event, event_descriptor=descriptor))
            await store.save_event(event)
            await self._redistribute(old, event)
        return event

    async def get(self, event_id: str) -> OadrEvent | None:
        """An event as it would be sent now (status and currentValues set), or None."""
        event = await self._context.store.get_event(event_id)
        if event is None:
            return None
        return event_status.at(event, self._context.clock(), self._context.config.near_window)

    async def current(self, ven: VenRecord | None = None) -> tuple[OadrEvent, ...]:
        """The events not yet completed (of one VEN, if given), as they would be sent now, in
        the order of rule 15. Cancelled events stay until their end (an open-ended one for
        :attr:`VtnConfig.cancelled_event_retention`), so that VENs see the cancellation."""
        now = self._context.clock()
        config = self._context.config
        found = []
        for event in await self._context.store.list_events(ending_after=now):
            ei_event = event.ei_event
            if ven is not None and not reaches(ei_event, ven):
                continue
            if _retention_over(ei_event, now, config.cancelled_event_retention):
                continue
            found.append(event_status.at(event, now, config.near_window))
        return sort_events(found)

    async def responses(self, event_id: str) -> list[EventResponseRecord]:
        """Every VEN's latest answer to an event."""
        return await self._context.store.list_event_responses(event_id=event_id)

    # -- messages from VENs ----------------------------------------------------------------------

    async def distribution(self, ven: VenRecord, request_id: str | None = None) -> OadrDistributeEvent:
        """The oadrDistributeEvent a VEN gets now: all its current events."""
        return OadrDistributeEvent(
            request_id=request_id or new_id(),
            vtn_id=self._context.config.vtn_id,
            events=await self.current(ven),
        )

    async def on_request_event(self, message: OadrRequestEvent) -> OadrDistributeEvent:
        """oadrRequestEvent: all current events (up to replyLimit), answered 200."""
        ven = await require_registered(self._context, message.ven_id)
        events = await self.current(ven)
        if message.reply_limit:
            events = events[: message.reply_limit]
        return OadrDistributeEvent(
            request_id=new_id(),
            vtn_id=self._context.config.vtn_id,
            events=events,
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
        )

    async def on_created_event(self, message: OadrCreatedEvent) -> OadrResponse:
        """oadrCreatedEvent: record each eventResponse (452 for unknown events or stale or future
        modification numbers, rules 21 and 48; an earlier opt for the event wins, rule 206)."""
        context = self._context
        ven = await require_registered(context, message.ven_id)
        store = context.store
        notices: list[tuple[EventResponseRecord, bool]] = []
        async with store.transaction():
            for response in message.event_responses:
                qualified = response.qualified_event_id
                await answerable_event(context, ven, qualified)
                record = EventResponseRecord(
                    ven_id=ven.ven_id,
                    event_id=qualified.event_id,
                    modification_number=qualified.modification_number,
                    opt_type=response.opt_type,
                    response_code=response.response_code,
                    source=EventResponseSource.CREATED_EVENT,
                    received_at=context.clock(),
                )
                earlier = await store.get_event_response(ven.ven_id, qualified.event_id)
                overridden = earlier is not None and earlier.source == EventResponseSource.CREATE_OPT
                if not overridden:
                    await store.save_event_response(record)
                notices.append((record, overridden))
        for record, overridden in notices:
            await call_handler(context.handlers.on_event_response, record, overridden)
        return OadrResponse(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.ei_response.request_id),
            ven_id=ven.ven_id,
        )

    # -- helpers ---------------------------------------------------------------------------------

    async def _recipients(self, *events: EiEvent) -> list[VenRecord]:
        return [
            ven
            for ven in await self._context.store.list_vens()
            if ven.registered and any(reaches(event, ven) for event in events)
        ]

    async def _redistribute(self, old: OadrEvent, new: OadrEvent) -> None:
        await self._context.distribute_events(await self._recipients(old.ei_event, new.ei_event))

    async def _changeable(self, event_id: str) -> OadrEvent:
        event = await self._context.store.get_event(event_id)
        if event is None:
            raise LocalProtocolError(f"no event {event_id!r}")
        status = event_status.status_at(
            event.ei_event, self._context.clock(), self._context.config.near_window
        )
        if status in (EventStatus.CANCELLED, EventStatus.COMPLETED):
            raise LocalProtocolError(f"event {event_id!r} is {status} and cannot change any more")
        return event

    def _next_version(self, descriptor: EventDescriptor, reason: str | None) -> EventDescriptor:
        return replace(
            descriptor,
            modification_number=descriptor.modification_number + 1,
            modification_date_time=self._context.clock(),
            modification_reason=reason,
        )


async def answerable_event(context: VtnContext, ven: VenRecord, qualified: QualifiedEventID) -> OadrEvent:
    """The event a VEN's answer or opt names, which must be one of its events at its current
    modification number; else 452 (rules 21 and 48)."""
    event = await context.store.get_event(qualified.event_id)
    if event is None or not reaches(event.ei_event, ven):
        raise refuse(
            ResponseCode.INVALID_ID, f"event {qualified.event_id!r} is unknown to this VEN", element="eventID"
        )
    current_number = event.ei_event.event_descriptor.modification_number
    if qualified.modification_number != current_number:
        raise refuse(
            ResponseCode.INVALID_ID,
            f"event {qualified.event_id!r} is named with modificationNumber "
            f"{qualified.modification_number}, but it is at {current_number}",
            element="modificationNumber",
        )
    return event


def _build_signals(signals: Sequence[Signal]) -> tuple[tuple[EiEventSignal, ...], timedelta]:
    """The eiEventSignals, and the active period they cover (all must cover the same, rule 8)."""
    if not signals:
        raise LocalProtocolError("an event needs at least one signal")
    durations = {signal.duration for signal in signals}
    if len(durations) != 1:
        raise LocalProtocolError("the signals of an event must last equally long (rule 8)")
    return tuple(signal.build(position) for position, signal in enumerate(signals)), durations.pop()


def _check(event: OadrEvent) -> None:
    violations = check_event(event)
    if violations:
        first = violations[0]
        raise LocalProtocolError(f"the event breaks rule {first.rule}: {first.message}")


def _retention_over(event: EiEvent, now: datetime, retention: timedelta) -> bool:
    """An open-ended cancelled event is kept only for ``retention`` after its cancellation."""
    descriptor = event.event_descriptor
    if descriptor.event_status != EventStatus.CANCELLED or event.active_period.duration:
        return False
    cancelled_at = descriptor.modification_date_time or descriptor.created_date_time
    return now >= cancelled_at + retention
