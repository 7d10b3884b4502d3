"""2.0a-profile event cases whose device is a VEN, part 2: what a tester watches the VEN do with
events, and the negative cases (A_E1_02xx-03xx ``TH_VTN``; the push twins are A_E0_02xx-03xx).

Numbering. The catalogue lists "0210-0280 observation: simple event, modify pending, modify
active, cancel, dispatch, randomization (start, modified, explicit and implicit cancel), multiple
event execution, asynchronous opt-out" without individual numbers; this module numbers them:

- A_E1_0210 simple event: the VEN starts the event at its start, follows its intervals with the
  right signal values, and ends it;
- A_E1_0220 modify a pending event; A_E1_0230 modify an active event;
- A_E1_0240 cancel: an active event is cancelled, the VEN stops;
- A_E1_0250 dispatch: a LOAD_DISPATCH setpoint event is executed with its setpoints;
- A_E1_0255 randomized start: the start falls within [dtstart, dtstart + startafter];
- A_E1_0260 randomization of a modified event; A_E1_0265 explicit cancel of a randomized event;
  A_E1_0270 implicit cancel of a randomized event (it vanishes from the next distribution);
- A_E1_0275 multiple event execution (overlapping and consecutive events, by priority where they
  overlap: rule 15);
- A_E1_0280 asynchronous opt-out (oadrCreateOpt after the VEN opted in).

The numbered cases follow: 0285 multiple market contexts, 0300 non-matching eiTarget, 0310
application error code, 0325 non-matching marketContext, 0340 mixed current and expired events,
0345 unknown cancelled event, 0360 mixed valid and invalid events, 0370 inconsistent returned
events, 0390 unrecognized vtnID, 0392 lower modificationNumber.

Observations. What a certification tester watches on the device ("the charger starts at 14:02")
is a :meth:`~openadr_accel.conformance.context.CaseContext.observe`: against our own VEN, a check
on its journal of handler calls (``pending``, ``started``, ``interval``, ``modified``,
``cancelled``, ``ended``, each with the run-clock instant it was made and the signal values)
and on its stored events; against an external device, a line a person must confirm. A moment must
fall between :data:`EARLY` before and :data:`LATE` after the instant the event sets: the run's
clock goes 60 times faster than the wall clock and the machine is loaded, so the margins are a
couple of protocol minutes, while the signal values must match exactly. Events are built a few
protocol minutes ahead with intervals of :data:`STEP`, so that each case takes seconds.

Market contexts. The harness's events belong to :data:`~openadr_accel.conformance.build.MARKET_CONTEXT`
and :data:`SECOND_MARKET_CONTEXT`, the two programs the VEN under test is enrolled in (an external
VEN is configured so, as the certification PICS asks); :data:`FOREIGN_MARKET_CONTEXT` is one it is
not enrolled in.

Beyond the rules the catalogue confirms by number, the cases rest on the 2.0a conformance rules
(re-run on 2.0b devices) quoted in words in their docstrings: a VEN must detect and answer with
a 4xx error in the event's eventResponse a non-matching marketContext, a non-matching eiTarget or
an unsupported signal; answer only the valid events of a mixed distribution rather than refuse it
whole; randomize the start when startafter is given (the end is the randomized start plus the
duration) and keep the random offset through modifications unless startafter itself changes; and
treat a lower modificationNumber of a known event as an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ... import rules
from ...model import (
    EiResponse,
    EiTarget,
    EventResponse,
    EventStatus,
    OadrCreatedEvent,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrEvent,
    OadrPoll,
    OadrQueryRegistration,
    OadrRequestEvent,
    OadrResponse,
    OptType,
    Payload,
    PowerAttributes,
    PowerReal,
    PowerUnit,
    ResponseCode,
    SignalName,
    SignalType,
    SiScaleCode,
)
from ...vtn.events import Signal
from ..build import MARKET_CONTEXT, SECOND_MARKET_CONTEXT, distribution, event, modified
from ..case import CaseFailed, Role, case
from ..context import VenCaseContext
from ..devices import OptRequest

if TYPE_CHECKING:
    from ...ven.store import KnownEvent
    from ..our_ven import Call, VenView

__all__ = [
    "EARLY",
    "FOREIGN_MARKET_CONTEXT",
    "LATE",
    "OTHER_VEN_ID",
    "SECOND_MARKET_CONTEXT",
    "STEP",
    "UNKNOWN_VTN_ID",
    "UNSUPPORTED_SIGNAL",
]

EARLY = timedelta(seconds=30)
"""How much earlier than the event says a moment may be observed (clock skew)."""

LATE = timedelta(minutes=2)
"""How much later than the event says a moment may be observed (a loaded machine, a 60x clock)."""

STEP = timedelta(minutes=2)
"""The usual interval length of the harness's events."""

LEAD = timedelta(minutes=3)
"""How far ahead an event starts when it must reach a pull VEN while still pending."""

FOREIGN_MARKET_CONTEXT = "http://another-utility.example/market/not-enrolled"
"""A program the VEN under test is not enrolled in (0325)."""

OTHER_VEN_ID = "TH-OTHER-VEN"
"""The venID of another VEN, which the harness targets in 0300."""

UNKNOWN_VTN_ID = "TH_UNKNOWN_VTN"
"""A vtnID that is not the harness's (0390)."""

UNSUPPORTED_SIGNAL = SignalName("x-openadrAccelNotSupported")
"""A custom signal the harness made up, so that no VEN supports it (0360)."""

KILOWATTS = PowerReal(
    attributes=PowerAttributes(hertz=Decimal(60), voltage=Decimal(240), ac=True),
    scale=SiScaleCode.KILO,
    units=PowerUnit.W,
)
"""The unit of the dispatch setpoints (kW, 240 V AC at 60 Hz)."""

_RUN_NAMES = ("pending", "started", "interval", "ended")
"""The journal calls that mean the VEN takes up or carries out an event."""


# -- building events ------------------------------------------------------------------------------


def _levels(*levels: int, step: timedelta = STEP) -> Signal:
    """A SIMPLE signal, one interval of ``step`` per level."""
    return Signal(
        name=SignalName.SIMPLE, type=SignalType.LEVEL, intervals=[(step, level) for level in levels]
    )


def _steps(*steps: tuple[int, int]) -> Signal:
    """A SIMPLE signal of (minutes, level) intervals."""
    return Signal(
        name=SignalName.SIMPLE,
        type=SignalType.LEVEL,
        intervals=[(timedelta(minutes=minutes), level) for minutes, level in steps],
    )


def _dispatch(*kilowatts: int) -> Signal:
    """A LOAD_DISPATCH setpoint signal (powerReal, kW), one interval of :data:`STEP` per value."""
    return Signal(
        name=SignalName.LOAD_DISPATCH,
        type=SignalType.SETPOINT,
        intervals=[(STEP, Decimal(value)) for value in kilowatts],
        item_base=KILOWATTS,
    )


def _status(now: datetime, start: datetime, duration: timedelta) -> EventStatus:
    if now < start:
        return EventStatus.FAR
    if duration and now >= start + duration:
        return EventStatus.COMPLETED
    return EventStatus.ACTIVE


def _current(item: OadrEvent, now: datetime) -> OadrEvent:
    """``item`` with each signal's currentValue as rule 14 wants it at ``now``."""
    ei_event = item.ei_event
    active = ei_event.event_descriptor.event_status == EventStatus.ACTIVE
    signals = tuple(
        replace(
            signal,
            current_value=(rules.signal_value_at(ei_event, signal, now) or Decimal(0))
            if active
            else Decimal(0),
        )
        for signal in ei_event.signals
    )
    return replace(item, ei_event=replace(ei_event, signals=signals))


def _new(
    ctx: VenCaseContext,
    start: datetime,
    *signals: Signal,
    market_context: str = MARKET_CONTEXT,
    priority: int | None = 1,
    start_after: timedelta | None = None,
    target: EiTarget | None = None,
    status: EventStatus | None = None,
    event_id: str | None = None,
    modification_number: int = 0,
) -> OadrEvent:
    """An event for the VEN under test, its status (and currentValue) as they are now."""
    now = ctx.now()
    duration = signals[0].duration
    built = event(
        ven_id=ctx.harness.ven_id,
        start=start,
        signals=signals,
        event_id=event_id,
        modification_number=modification_number,
        status=status or _status(now, start, duration),
        priority=priority,
        market_context=market_context,
        start_after=start_after,
        target=target,
    )
    return _current(built, now)


def _revised(
    ctx: VenCaseContext, item: OadrEvent, *signals: Signal, start: datetime | None = None
) -> OadrEvent:
    """The next version of ``item`` (modificationNumber + 1) with new signals (and start); the
    rest of it (eventID, market context, priority, startafter, target, created) stays."""
    ei_event = item.ei_event
    descriptor = ei_event.event_descriptor
    period = ei_event.active_period
    begins = start or period.dtstart
    now = ctx.now()
    built = event(
        ven_id=ctx.harness.ven_id,
        start=begins,
        signals=signals,
        event_id=descriptor.event_id,
        modification_number=descriptor.modification_number + 1,
        status=_status(now, begins, signals[0].duration),
        response_required=item.response_required,
        priority=descriptor.priority,
        market_context=descriptor.market_context,
        test_event=descriptor.test_event or "false",
        start_after=period.start_after,
        created=descriptor.created_date_time,
        target=ei_event.target,
    )
    return _current(built, now)


def _cancelled(item: OadrEvent) -> OadrEvent:
    """The cancellation of ``item``: its next version, eventStatus cancelled, currentValue 0."""
    cancelled = modified(item, event_status=EventStatus.CANCELLED)
    signals = tuple(replace(signal, current_value=Decimal(0)) for signal in cancelled.ei_event.signals)
    return replace(cancelled, ei_event=replace(cancelled.ei_event, signals=signals))


def _id(item: OadrEvent) -> str:
    return item.ei_event.event_descriptor.event_id


def _label(item: OadrEvent) -> str:
    """An event version in words: ``event TH-EVENT-... #1``."""
    qualified = item.qualified_event_id
    return f"event {qualified.event_id}#{qualified.modification_number}"


def _start(item: OadrEvent) -> datetime:
    return item.ei_event.active_period.dtstart


def _end(item: OadrEvent) -> datetime:
    return item.ei_event.active_period.end


def _window(item: OadrEvent) -> timedelta:
    return item.ei_event.active_period.start_after or timedelta(0)


def _first_values(item: OadrEvent) -> tuple[Decimal | None, ...]:
    return tuple(signal.intervals[0].value for signal in item.ei_event.signals)


# -- sending, and the VEN's answers ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sent:
    """A distribution the harness sent: the message, where the VEN's messages stood before it,
    and when (the run's clock) it was sent and when the VEN had it."""

    message: OadrDistributeEvent
    mark: int
    sent_at: datetime
    delivered_at: datetime

    @property
    def request_id(self) -> str:
        return self.message.request_id


async def _registered(ctx: VenCaseContext) -> None:
    """Every case starts from a registered VEN (the bootstrap, N1_0020)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)


async def _distribute(ctx: VenCaseContext, *events: OadrEvent, vtn_id: str | None = None) -> _Sent:
    """Send an oadrDistributeEvent of ``events`` (in rule 15's order) from the harness's vtnID
    unless ``vtn_id`` says; returns once the VEN took it (pull) or answered the push."""
    harness = ctx.harness
    message = distribution(vtn_id if vtn_id is not None else harness.vtn_id, *rules.sort_events(events))
    mark = harness.mark()
    sent_at = ctx.now()
    await harness.deliver(message)
    return _Sent(message, mark, sent_at, ctx.now())


async def _answer(ctx: VenCaseContext, sent: _Sent, what: str) -> OadrCreatedEvent:
    """The VEN's oadrCreatedEvent answering ``sent`` (its eiResponse or an eventResponse echoes
    the distribution's requestID); fails the case if none comes in time."""

    def answers(created: OadrCreatedEvent) -> bool:
        return created.ei_response.request_id == sent.request_id or any(
            response.request_id == sent.request_id for response in created.event_responses
        )

    return await ctx.harness.wait_for(
        OadrCreatedEvent,
        since=sent.mark,
        where=answers,
        what=f"an oadrCreatedEvent answering {what} (echoing requestID {sent.request_id})",
    )


def _responses(created: OadrCreatedEvent, item: OadrEvent) -> list[EventResponse]:
    """The eventResponses of ``created`` about ``item``'s eventID (any modificationNumber)."""
    return [
        response for response in created.event_responses if response.qualified_event_id.event_id == _id(item)
    ]


def _is_error(code: str) -> bool:
    return str(code).startswith("4")


async def _taken_up(
    ctx: VenCaseContext, what: str, *events: OadrEvent, opted: Sequence[OadrEvent] | None = None
) -> tuple[_Sent, OadrCreatedEvent]:
    """Distribute ``events`` (:func:`_distribute`) and check the VEN's answer (``what`` names the
    distribution): it answers the whole distribution (:func:`_check_whole`) and opts in to
    ``opted`` (default: every one of ``events``). The distribution sent and the answer."""
    sent = await _distribute(ctx, *events)
    created = await _answer(ctx, sent, what)
    _check_whole(ctx, created, what)
    _check_opted_in(ctx, created, sent, *(events if opted is None else opted))
    return sent, created


def _check_whole(ctx: VenCaseContext, created: OadrCreatedEvent, what: str) -> None:
    """The answer names the VEN and does not refuse the distribution as a whole."""
    ctx.check(
        created.ven_id == ctx.harness.ven_id, f"the oadrCreatedEvent answering {what} names the VEN's venID"
    )
    ctx.check(
        created.ei_response.response_code == ResponseCode.OK,
        f"the oadrCreatedEvent answering {what} carries eiResponse 200, not refusing the distribution"
        f" as a whole (it carries {created.ei_response.response_code})",
    )


def _one_response(
    ctx: VenCaseContext, created: OadrCreatedEvent, sent: _Sent, item: OadrEvent
) -> EventResponse:
    """The one eventResponse about ``item``, naming its version and echoing the requestID."""
    found = _responses(created, item)
    ctx.check(
        len(found) == 1, f"the VEN answers {_label(item)} with one eventResponse (it sent {len(found)})"
    )
    response = found[0]
    named = response.qualified_event_id
    ctx.check(
        named == item.qualified_event_id,
        f"the eventResponse about {_label(item)} names that version (it names #{named.modification_number})",
    )
    ctx.check(
        response.request_id == sent.request_id,
        f"the eventResponse about {_label(item)} echoes the distribution's requestID {sent.request_id}",
    )
    return response


def _check_opted_in(ctx: VenCaseContext, created: OadrCreatedEvent, sent: _Sent, *items: OadrEvent) -> None:
    """Each of ``items`` is answered 200 optIn (the cases that watch an event run need the VEN to
    take part; an external VEN is configured to)."""
    for item in items:
        response = _one_response(ctx, created, sent, item)
        ctx.check(
            response.response_code == ResponseCode.OK and response.opt_type == OptType.OPT_IN,
            f"the VEN opts in to {_label(item)} (eventResponse 200 optIn; it answered"
            f" {response.response_code} {response.opt_type})",
        )


def _check_refused(
    ctx: VenCaseContext,
    created: OadrCreatedEvent,
    sent: _Sent,
    item: OadrEvent,
    why: str,
    *,
    codes: Collection[str] = (),
) -> None:
    """``item`` is answered with a 4xx error code (one of ``codes`` when given)."""
    response = _one_response(ctx, created, sent, item)
    code = response.response_code
    wanted = " or ".join(sorted(codes)) if codes else "a 4xx error code"
    ctx.check(
        _is_error(code) and (not codes or code in codes),
        f"the VEN answers {_label(item)} ({why}) with {wanted} in its eventResponse (it answered {code})",
    )


# -- observations ----------------------------------------------------------------------------------


def _hm(at: datetime) -> str:
    return at.strftime("%H:%M:%S")


def _shown(values: Sequence[Decimal | None]) -> str:
    return ", ".join("none" if value is None else f"{value:g}" for value in values)


def _values(call: Call) -> tuple[Decimal | None, ...]:
    return tuple(value.value for value in call.detail)


def _real_wait(ctx: VenCaseContext, until: datetime) -> float:
    """Wall-clock seconds until ``until`` on the run's clock, plus a second for the observer."""
    return ctx.clock.real_seconds(until - ctx.now()) + 1.0


async def _sleep_until(ctx: VenCaseContext, at: datetime) -> None:
    await ctx.sleep(at - ctx.now())


def _known(view: VenView, item: OadrEvent) -> KnownEvent | None:
    return view.events().get(_id(item))


async def _see(
    ctx: VenCaseContext,
    what: str,
    name: str,
    item: OadrEvent,
    *,
    earliest: datetime,
    latest: datetime,
    values: Sequence[Decimal | None] | None = None,
    index: int = 0,
    due: datetime | None = None,
) -> Call | None:
    """Observe the VEN's ``index``-th ``name`` moment of ``item`` between ``earliest`` and
    ``latest`` (with ``values`` when given). Our VEN: waits for the journal's call, and fails at
    once, saying when and with what, if it came outside the span or with other values; returns
    the call. An external device: ``what`` is left to a person, and the case waits until the
    moment is ``due`` (default ``latest``), so that it moves on in step with what the person
    watches (returns None)."""
    found: list[Call] = []
    if not ctx.observable:
        await ctx.observe(what, lambda view: True)
        await _sleep_until(ctx, due or latest)
        return None

    def holds(view: VenView) -> bool:
        calls = view.called(name, _id(item))
        if len(calls) <= index:
            return False
        call = calls[index]
        if not earliest <= call.at <= latest:
            raise CaseFailed(
                f"{what}: the VEN did so at {_hm(call.at)}, outside {_hm(earliest)}-{_hm(latest)}"
            )
        if values is not None and _values(call) != tuple(values):
            raise CaseFailed(f"{what}: the VEN did so with {_shown(_values(call))}")
        found.append(call)
        return True

    await ctx.observe(what, holds, timeout=_real_wait(ctx, latest))
    return found[0] if found else None


async def _see_at(
    ctx: VenCaseContext,
    verb: str,
    name: str,
    item: OadrEvent,
    at: datetime,
    *,
    values: Sequence[Decimal | None] | None = None,
    index: int = 0,
) -> Call | None:
    """:func:`_see` at ``at`` within the usual margins (:data:`EARLY`, :data:`LATE`)."""
    with_values = f" with {_shown(values)}" if values is not None else ""
    what = f"the VEN {verb} {_label(item)} at {_hm(at)} (-30 s/+2 min){with_values}"
    return await _see(
        ctx, what, name, item, earliest=at - EARLY, latest=at + LATE, values=values, index=index, due=at
    )


async def _never(
    ctx: VenCaseContext,
    what: str,
    item: OadrEvent,
    *,
    until: datetime,
    names: Sequence[str] = _RUN_NAMES,
    after: datetime | None = None,
) -> None:
    """Wait until ``until`` (the run's clock), then observe that the VEN made none of the
    ``names`` calls about ``item`` (after ``after``, when given)."""
    await _sleep_until(ctx, until)

    def holds(view: VenView) -> bool:
        calls = [
            call
            for call in view.calls
            if call.event_id == _id(item) and call.name in names and (after is None or call.at > after)
        ]
        if calls:
            raise CaseFailed(f"{what}: the VEN made its {calls[0].name} call at {_hm(calls[0].at)}")
        return True

    await ctx.observe(what, holds, timeout=0)


async def _holds(ctx: VenCaseContext, what: str, holds: Callable[[VenView], bool]) -> None:
    """Observe something of the VEN's stored state (within the message timeout)."""
    await ctx.observe(what, holds)


def _holds_version(item: OadrEvent) -> Callable[[VenView], bool]:
    def holds(view: VenView) -> bool:
        known = _known(view, item)
        return known is not None and known.event.qualified_event_id == item.qualified_event_id

    return holds


async def _runs(ctx: VenCaseContext, item: OadrEvent, *, verb: str = "starts") -> None:
    """Observe ``item`` (no randomization) run through: its start with the first intervals'
    values, each interval change with the next values, and its end."""
    start = _start(item)
    await _see_at(ctx, verb, "started", item, start, values=_first_values(item))
    await _intervals(ctx, item)
    await _see_at(ctx, "ends", "ended", item, _end(item))


async def _intervals(ctx: VenCaseContext, item: OadrEvent, *, offset: timedelta = timedelta(0)) -> None:
    """Observe each interval change of ``item`` (one signal's boundaries), shifted by ``offset``."""
    signal = item.ei_event.signals[0]
    at = _start(item) + offset
    for index, interval in enumerate(signal.intervals[:-1]):
        assert interval.duration is not None
        at += interval.duration
        following = tuple(
            other.intervals[index + 1].value if len(other.intervals) > index + 1 else None
            for other in item.ei_event.signals
        )
        await _see_at(
            ctx, f"moves to interval {index + 1} of", "interval", item, at, values=following, index=index
        )


# -- the observation cases: 0210-0280 ---------------------------------------------------------------


@case("A_E1_0210", role=Role.VEN, title="observation: simple event", rules=(2, 8))
async def simple_event(ctx: VenCaseContext) -> None:
    """The harness distributes one SIMPLE event starting in 3 minutes with three 2-minute
    intervals at levels 1, 2 and 3. The VEN must opt in (eventResponse 200 optIn echoing the
    requestID), hold the event as pending, start it at its dtstart with level 1, move to level 2
    and level 3 at the interval boundaries (rule 2: intervals in uid order) and end it when its
    active period is over (rule 8: the intervals cover it), each within -30 s/+2 min, and do
    nothing more with it."""
    await _registered(ctx)
    item = _new(ctx, ctx.now() + LEAD, _levels(1, 2, 3))
    sent, _ = await _taken_up(ctx, "the simple event", item)
    await _see(
        ctx,
        f"the VEN holds {_label(item)} as pending before its start {_hm(_start(item))}",
        "pending",
        item,
        earliest=sent.sent_at,
        latest=_start(item),
    )
    await _runs(ctx, item)
    await ctx.observe(
        f"the VEN did nothing more with {_label(item)} once it ended",
        lambda view: (
            [call.name for call in view.calls if call.event_id == _id(item) and call.name != "event"]
            == ["pending", "started", "interval", "interval", "ended"]
        ),
        timeout=1.0,
    )


@case("A_E1_0220", role=Role.VEN, title="observation: modify a pending event", rules=(8,))
async def modify_pending(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event (level 1, two 2-minute intervals, starting in 5
    minutes), then, while it is still pending, its modification (modificationNumber 1) moving
    its start 3 minutes later and its levels to 3 then 2. The VEN must answer both versions 200
    optIn, hold the modified version, and run it as modified: no start at the first dtstart, a
    start at the new dtstart with level 3, level 2 two minutes later, the end at the new end."""
    await _registered(ctx)
    first = _new(ctx, ctx.now() + timedelta(minutes=5), _levels(1, 1))
    await _taken_up(ctx, "the event", first)
    later = _revised(ctx, first, _levels(3, 2), start=_start(first) + timedelta(minutes=3))
    ctx.check(ctx.now() < _start(first), f"{_label(first)} is still pending when it is modified")
    await _taken_up(ctx, "the modified event", later)
    await _holds(ctx, f"the VEN holds the modified {_label(later)}", _holds_version(later))
    await _runs(ctx, later, verb="starts the modified (not at the first dtstart)")


@case("A_E1_0230", role=Role.VEN, title="observation: modify an active event", rules=(8, 14))
async def modify_active(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event of 3+2+2 minutes at level 1 starting in 3 minutes;
    once it is active, its modification (modificationNumber 1, eventStatus active, currentValue
    of the running interval: rule 14) changes the coming intervals to level 3 for 2 minutes then
    level 2 for 4 minutes, so the event lasts 9 minutes instead of 7. The VEN must answer the
    modification 200 optIn and carry on without starting the event again: level 3 at minute 3,
    level 2 at minute 5, the end at minute 9 (not 7)."""
    await _registered(ctx)
    first = _new(ctx, ctx.now() + LEAD, _steps((3, 1), (2, 1), (2, 1)))
    await _taken_up(ctx, "the event", first)
    await _see_at(ctx, "starts", "started", first, _start(first), values=_first_values(first))
    await _sleep_until(ctx, _start(first) + timedelta(seconds=20))
    later = _revised(ctx, first, _steps((3, 1), (2, 3), (4, 2)))
    ctx.check(
        later.ei_event.event_descriptor.event_status == EventStatus.ACTIVE,
        f"{_label(first)} is active when it is modified",
    )
    await _taken_up(ctx, "the modification of the active event", later)
    await _intervals(ctx, later)
    await _see_at(ctx, "ends the modified", "ended", later, _end(later))
    await ctx.observe(
        f"the VEN did not start {_label(later)} again when it was modified",
        lambda view: len(view.called("started", _id(later))) == 1,
        timeout=1.0,
    )


@case("A_E1_0240", role=Role.VEN, title="observation: cancel (an active event is cancelled)")
async def cancel_active(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event of three 2-minute intervals (levels 1, 2, 3)
    starting in 3 minutes; once it is active, its cancellation (modificationNumber 1, eventStatus
    cancelled). The VEN must confirm the cancellation (eventResponse 200), stop the event at once
    (within 2 minutes of receiving the cancellation) and not follow its remaining intervals nor
    end it at its original end."""
    await _registered(ctx)
    item = _new(ctx, ctx.now() + LEAD, _levels(1, 2, 3))
    await _taken_up(ctx, "the event", item)
    await _see_at(ctx, "starts", "started", item, _start(item), values=_first_values(item))
    await _sleep_until(ctx, _start(item) + timedelta(seconds=20))
    cancellation = _cancelled(item)
    sent = await _distribute(ctx, cancellation)
    created = await _answer(ctx, sent, "the cancellation")
    _check_whole(ctx, created, "the cancellation")
    response = _one_response(ctx, created, sent, cancellation)
    ctx.check(
        response.response_code == ResponseCode.OK,
        f"the VEN confirms the cancellation {_label(cancellation)} with eventResponse 200"
        f" (it answered {response.response_code})",
    )
    stop = await _see(
        ctx,
        f"the VEN stops {_label(item)} when it receives its cancellation"
        f" (by {_hm(sent.delivered_at + LATE)})",
        "cancelled",
        item,
        earliest=sent.sent_at - EARLY,
        latest=sent.delivered_at + LATE,
    )
    await _never(
        ctx,
        f"the VEN follows no further interval of the cancelled {_label(item)} and does not end it at"
        f" {_hm(_end(item))}",
        item,
        until=_end(item) + LATE,
        names=("started", "interval", "ended"),
        after=stop.at if stop is not None else sent.delivered_at,
    )


@case(
    "A_E1_0250",
    role=Role.VEN,
    title="observation: dispatch (a LOAD_DISPATCH setpoint event is executed with its setpoints)",
    rules=(7, 8),
)
async def dispatch_event(ctx: VenCaseContext) -> None:
    """The harness distributes a LOAD_DISPATCH event (signalType setpoint, a combination rule 7
    allows; powerReal in kW) of two 2-minute intervals with setpoints 50 and 75 kW, starting in
    3 minutes. The VEN must opt in, start at dtstart with the 50 kW setpoint, move to 75 kW two
    minutes later and end after 4 minutes. A VEN that does not support LOAD_DISPATCH (it answers
    460) is not concerned: the case is then not applicable."""
    await _registered(ctx)
    item = _new(ctx, ctx.now() + LEAD, _dispatch(50, 75))
    sent = await _distribute(ctx, item)
    created = await _answer(ctx, sent, "the dispatch event")
    if [response.response_code for response in _responses(created, item)] == [
        ResponseCode.SIGNAL_NOT_SUPPORTED
    ]:
        ctx.not_applicable("the VEN does not support LOAD_DISPATCH setpoints (it answered 460)")
    _check_whole(ctx, created, "the dispatch event")
    _check_opted_in(ctx, created, sent, item)
    await _runs(ctx, item, verb="starts dispatching (setpoint in kW)")


@case("A_E1_0255", role=Role.VEN, title="observation: randomized start (startafter)", rules=(8,))
async def randomized_start(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event (levels 2 then 1, two 2-minute intervals) starting
    in 3 minutes with startafter 4 minutes. The VEN must start it at a random instant within
    [dtstart, dtstart + startafter] (2 minutes of margin after), follow its interval and end it
    4 minutes after its own randomized start (the 2.0a rule: the completion time is the
    randomized start plus the duration). A VEN that happened to draw no delay is not told apart
    from one that ignores startafter: the window and the end relative to the start are what is
    checked."""
    await _registered(ctx)
    window = timedelta(minutes=4)
    item = _new(ctx, ctx.now() + LEAD, _levels(2, 1), start_after=window)
    await _taken_up(ctx, "the randomized event", item)
    start = _start(item)
    began = await _see(
        ctx,
        f"the VEN starts {_label(item)} with level 2 between {_hm(start)} and {_hm(start + window)}"
        " (dtstart + startafter)",
        "started",
        item,
        earliest=start - EARLY,
        latest=start + window + LATE,
        values=_first_values(item),
    )
    offset = began.at - start if began is not None else window
    await _intervals(ctx, item, offset=max(offset, timedelta(0)))
    duration = item.ei_event.active_period.duration
    await _see(
        ctx,
        f"the VEN ends {_label(item)} {duration} after its randomized start",
        "ended",
        item,
        earliest=(began.at if began is not None else start) + duration - EARLY,
        latest=(began.at if began is not None else start + window) + duration + LATE,
    )


@case("A_E1_0260", role=Role.VEN, title="observation: randomization of a modified event")
async def randomized_modified(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event (level 1, two 2-minute intervals) starting in 6
    minutes with startafter 3 minutes, then modifies it twice while it is pending (levels 2,
    then 3; dtstart and startafter unchanged). The VEN must answer each version 200 optIn and
    keep the random delay it drew for the first version (the 2.0a randomization rule:
    modifications keep the same random offset unless startafter itself changes; our VEN: the
    stored start offset stays the same through both modifications), start the last version
    within [dtstart, dtstart + startafter] at that offset with level 3, and end it 4 minutes
    after its randomized start."""
    await _registered(ctx)
    window = timedelta(minutes=3)
    first = _new(ctx, ctx.now() + timedelta(minutes=6), _levels(1, 1), start_after=window)
    await _taken_up(ctx, "the randomized event", first)
    drawn: list[timedelta] = []

    def drew(view: VenView) -> bool:
        known = _known(view, first)
        if known is None:
            return False
        if not timedelta(0) <= known.start_offset <= window:
            raise CaseFailed(f"the VEN drew a start delay of {known.start_offset}, outside [0, {window}]")
        drawn.append(known.start_offset)
        return True

    await _holds(ctx, f"the VEN draws a start for {_label(first)} within startafter {window}", drew)
    version = first
    for level in (2, 3):
        version = _revised(ctx, version, _levels(level, level))
        ctx.check(ctx.now() < _start(first), f"{_label(version)} is sent while the event is pending")
        sent = await _distribute(ctx, version)
        created = await _answer(ctx, sent, f"modification {version.qualified_event_id.modification_number}")
        _check_whole(ctx, created, "the modification")
        _check_opted_in(ctx, created, sent, version)
        await _holds(
            ctx, f"the VEN keeps its random start delay for {_label(version)}", _kept(version, drawn)
        )
    start = _start(version)
    offset = drawn[0] if drawn else None
    began = await _see(
        ctx,
        f"the VEN starts {_label(version)} with level 3 between {_hm(start)} and {_hm(start + window)}"
        + ("" if offset is None else f", at its drawn delay {offset} ({_hm(start + offset)})"),
        "started",
        version,
        earliest=start + (offset or timedelta(0)) - EARLY,
        latest=start + (window if offset is None else offset) + LATE,
        values=_first_values(version),
    )
    duration = version.ei_event.active_period.duration
    await _see(
        ctx,
        f"the VEN ends {_label(version)} {duration} after its randomized start",
        "ended",
        version,
        earliest=(began.at if began is not None else start) + duration - EARLY,
        latest=(began.at if began is not None else start + window) + duration + LATE,
    )


def _kept(version: OadrEvent, drawn: list[timedelta]) -> Callable[[VenView], bool]:
    """Our VEN holds ``version`` with the start delay it drew first (fails at once if not)."""

    def holds(view: VenView) -> bool:
        known = _known(view, version)
        if known is None or known.event.qualified_event_id != version.qualified_event_id:
            return False
        if drawn and known.start_offset != drawn[0]:
            raise CaseFailed(
                f"the VEN keeps its random start delay for {_label(version)}: it drew {drawn[0]} first,"
                f" and {known.start_offset} for the modification"
            )
        return True

    return holds


async def _randomized_active(ctx: VenCaseContext, window: timedelta) -> tuple[OadrEvent, Call | None]:
    """Distribute a randomized SIMPLE event (levels 1, 2, 3 of 2 minutes, starting in 3 minutes,
    startafter ``window``), check it is opted in and observe its randomized start; returns once
    it is active."""
    item = _new(ctx, ctx.now() + LEAD, _levels(1, 2, 3), start_after=window)
    await _taken_up(ctx, "the randomized event", item)
    start = _start(item)
    began = await _see(
        ctx,
        f"the VEN starts {_label(item)} between {_hm(start)} and {_hm(start + window)}"
        " (dtstart + startafter)",
        "started",
        item,
        earliest=start - EARLY,
        latest=start + window + LATE,
        values=_first_values(item),
    )
    await _sleep_until(ctx, (began.at if began is not None else start + window) + timedelta(seconds=20))
    return item, began


async def _stops_randomized(
    ctx: VenCaseContext, item: OadrEvent, sent: _Sent, window: timedelta, how: str
) -> None:
    """Observe that the VEN stops the randomized ``item`` within ``window`` (plus the margin) of
    receiving ``sent`` (a randomized cancellation may be delayed up to startafter), and does
    nothing more with it up to its latest possible end."""
    stop = await _see(
        ctx,
        f"the VEN stops {_label(item)} {how}, within startafter {window} (by"
        f" {_hm(sent.delivered_at + window + LATE)})",
        "cancelled",
        item,
        earliest=sent.sent_at - EARLY,
        latest=sent.delivered_at + window + LATE,
    )
    await _never(
        ctx,
        f"the VEN follows no further interval of {_label(item)} once it stopped it, nor ends it later",
        item,
        until=_end(item) + window + LATE,
        names=("started", "interval", "ended"),
        after=stop.at if stop is not None else sent.delivered_at + window,
    )


@case("A_E1_0265", role=Role.VEN, title="observation: explicit cancel of a randomized event")
async def randomized_cancel(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event (levels 1, 2, 3 of 2 minutes) starting in 3 minutes
    with startafter 2 minutes; once the VEN started it (within the window), the harness cancels
    it (modificationNumber 1, eventStatus cancelled). The VEN must confirm the cancellation
    (eventResponse 200) and stop the event no later than startafter after receiving it (a
    randomized event's cancellation may itself be randomized within startafter), then follow
    none of its remaining intervals."""
    await _registered(ctx)
    window = timedelta(minutes=2)
    item, _ = await _randomized_active(ctx, window)
    cancellation = _cancelled(item)
    sent = await _distribute(ctx, cancellation)
    created = await _answer(ctx, sent, "the cancellation")
    _check_whole(ctx, created, "the cancellation")
    response = _one_response(ctx, created, sent, cancellation)
    ctx.check(
        response.response_code == ResponseCode.OK,
        f"the VEN confirms the cancellation {_label(cancellation)} with eventResponse 200"
        f" (it answered {response.response_code})",
    )
    await _stops_randomized(ctx, item, sent, window, "when it receives its cancellation")


@case(
    "A_E1_0270",
    role=Role.VEN,
    title="observation: implicit cancel of a randomized event (it vanishes from the next distribution)",
)
async def randomized_implicit_cancel(ctx: VenCaseContext) -> None:
    """The harness distributes a randomized SIMPLE event (levels 1, 2, 3 of 2 minutes, startafter
    2 minutes); once the VEN started it, the next oadrDistributeEvent no longer carries it (it
    carries only a new event, 20 minutes ahead). A distribution carries all of a VEN's current
    events, so the vanished event is implicitly cancelled: the VEN must answer the new event
    (200 optIn), send no eventResponse about the vanished one, and stop it within startafter of
    receiving the distribution, following none of its remaining intervals."""
    await _registered(ctx)
    window = timedelta(minutes=2)
    item, _ = await _randomized_active(ctx, window)
    other = _new(ctx, ctx.now() + timedelta(minutes=20), _levels(1))
    sent, created = await _taken_up(ctx, "the distribution without the randomized event", other)
    ctx.check(
        not _responses(created, item),
        f"the VEN sends no eventResponse about {_label(item)}, which the distribution no longer carries",
    )
    await _stops_randomized(ctx, item, sent, window, "once it vanished from the distribution")


@case(
    "A_E1_0275",
    role=Role.VEN,
    title="observation: multiple event execution (overlapping and consecutive events, by priority)",
    rules=(15,),
)
async def multiple_events(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent (ordered as rule 15 asks) carries three events: A (market context
    1, priority 2, level 1 for 6 minutes from t0 = now + 3 minutes), B (market context 2,
    priority 1, level 3 from t0+2 to t0+4, overlapping A: overlapping events come from different
    market contexts) and C (market context 1, priority 2, level 2 from t0+6 to t0+8, right after
    A). The VEN must opt in to all three and execute each at its own time: A starts at t0, B
    starts at t0+2 and ends at t0+4, A ends and C starts at t0+6, C ends at t0+8. Where A and B
    overlap, B governs, being of higher priority (1 before 2). Our VEN hands every event to its
    application, which arbitrates: the checks are that B starts and ends inside A's run and that
    the VEN holds both with their priorities."""
    await _registered(ctx)
    t0 = ctx.now() + LEAD
    two = timedelta(minutes=2)
    first = _new(ctx, t0, _levels(1, 1, 1), priority=2)
    urgent = _new(ctx, t0 + two, _levels(3), priority=1, market_context=SECOND_MARKET_CONTEXT)
    after = _new(ctx, t0 + 3 * two, _levels(2), priority=2)
    await _taken_up(ctx, "the three events", first, urgent, after)
    await _see_at(ctx, "starts", "started", first, t0, values=(Decimal(1),))
    await _see_at(
        ctx, "starts the overlapping, higher-priority", "started", urgent, t0 + two, values=(Decimal(3),)
    )
    await _see_at(ctx, "ends", "ended", urgent, t0 + 2 * two)

    def priority_governs(view: VenView) -> bool:
        a_start, a_end = view.called("started", _id(first)), view.called("ended", _id(first))
        b_start, b_end = view.called("started", _id(urgent)), view.called("ended", _id(urgent))
        held_a, held_b = _known(view, first), _known(view, urgent)
        if not (a_start and b_start and b_end) or held_a is None or held_b is None:
            return False
        return (
            a_start[0].at <= b_start[0].at
            and (not a_end or b_end[0].at <= a_end[0].at)
            and held_b.event.ei_event.event_descriptor.priority == 1
            and held_a.event.ei_event.event_descriptor.priority == 2
        )

    await ctx.observe(
        f"while {_label(first)} (priority 2) and {_label(urgent)} (priority 1) overlap, the VEN follows"
        f" {_label(urgent)}: it runs inside {_label(first)}'s run, both held with their priorities",
        priority_governs,
        timeout=1.0,
    )
    await _see_at(ctx, "ends", "ended", first, t0 + 3 * two)
    await _see_at(ctx, "starts the consecutive", "started", after, t0 + 3 * two, values=(Decimal(2),))
    await _see_at(ctx, "ends", "ended", after, t0 + 4 * two)


@case(
    "A_E1_0280",
    role=Role.VEN,
    title="observation: asynchronous opt-out (oadrCreateOpt after opting in)",
    rules=(206,),
)
async def asynchronous_opt_out(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event starting in 4 minutes; the VEN opts in
    (eventResponse 200 optIn). Then the VEN is made to opt out of it (rule 206: an oadrCreateOpt
    naming an event overrides the earlier answer). The VEN must send an oadrCreateOpt with
    optType optOut, the event's qualifiedEventID (eventID, modificationNumber 0), its venID and
    no availability schedule; the harness confirms it (oadrCreatedOpt 200). The VEN must then
    hold itself opted out and not start the event at its dtstart."""
    await _registered(ctx)
    harness = ctx.harness
    item = _new(ctx, ctx.now() + timedelta(minutes=4), _levels(1, 1))
    await _taken_up(ctx, "the event", item)
    mark = harness.mark()
    await ctx.device.create_opt(
        OptRequest(opt_type=OptType.OPT_OUT, event_id=_id(item), modification_number=0)
    )
    opt = await harness.wait_for(
        OadrCreateOpt,
        since=mark,
        timeout=ctx.timeouts.action,
        what=f"an oadrCreateOpt opting out of {_label(item)}",
    )
    ctx.check(
        opt.opt_type == OptType.OPT_OUT, f"the oadrCreateOpt has optType optOut (it has {opt.opt_type})"
    )
    ctx.check(
        opt.qualified_event_id == item.qualified_event_id,
        f"the oadrCreateOpt names {_label(item)} in its qualifiedEventID",
    )
    ctx.check(opt.ven_id == harness.ven_id, "the oadrCreateOpt names the VEN's venID")
    ctx.check(not opt.availability, "the oadrCreateOpt about an event carries no availability schedule")
    ctx.check(ctx.now() < _start(item), f"the VEN opted out while {_label(item)} was pending")

    def opted_out(view: VenView) -> bool:
        known = _known(view, item)
        return known is not None and known.opt_type == OptType.OPT_OUT

    await _holds(ctx, f"the VEN holds itself opted out of {_label(item)}", opted_out)
    await _never(
        ctx,
        f"the VEN does not start {_label(item)} it opted out of (at {_hm(_start(item))})",
        item,
        until=_start(item) + LATE,
        names=("started", "interval"),
    )


# -- the numbered cases: 0285-0392 ------------------------------------------------------------------


@case("A_E1_0285", role=Role.VEN, title="multiple market contexts")
async def multiple_market_contexts(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent carries two events of the two programs the VEN is enrolled in:
    one of market context 1 (level 1, 2 minutes from now + 3 minutes), one of market context 2
    (level 2, 2 minutes, a minute after the first ends). The VEN must opt in to both and execute
    each at its time: start, end, start, end."""
    await _registered(ctx)
    t0 = ctx.now() + LEAD
    first = _new(ctx, t0, _levels(1))
    second = _new(ctx, t0 + timedelta(minutes=3), _levels(2), market_context=SECOND_MARKET_CONTEXT)
    await _taken_up(ctx, "the events of two market contexts", first, second)
    await _runs(ctx, first, verb="starts (market context 1)")
    await _runs(ctx, second, verb="starts (market context 2)")


async def _refused_beside_valid(ctx: VenCaseContext, odd: OadrEvent, valid: OadrEvent, why: str) -> None:
    """Distribute ``valid`` and ``odd``; the VEN must answer ``valid`` 200 optIn and ``odd`` with a
    4xx, take up ``valid`` and never ``odd``."""
    sent, created = await _taken_up(ctx, f"a valid event and an event {why}", valid, odd, opted=[valid])
    _check_refused(ctx, created, sent, odd, why)
    await _see(
        ctx,
        f"the VEN takes up the valid {_label(valid)} (pending)",
        "pending",
        valid,
        earliest=sent.sent_at,
        latest=_start(valid),
    )
    await _see_at(ctx, "starts the valid", "started", valid, _start(valid), values=_first_values(valid))
    await _never(ctx, f"the VEN never takes up {_label(odd)}, an event {why}", odd, until=_start(odd) + LATE)


@case("A_E1_0300", role=Role.VEN, title="non-matching eiTarget")
async def non_matching_target(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent carries an event for the VEN (targeted at its venID) and one whose
    eiTarget names only another VEN's venID (a target the VEN does not match: eiTarget criteria
    are OR'd, and none names this VEN). The 2.0b behaviour implemented here, from the 2.0a rule
    that a VEN must detect a non-matching eiTarget and report it in the event's eventResponse
    with a 4xx code (462, target mismatch, is the fitting one): the VEN answers its own event
    200 optIn and the other with a 4xx code, in one oadrCreatedEvent whose eiResponse is 200,
    takes up its own event and never the other."""
    await _registered(ctx)
    t0 = ctx.now() + LEAD
    valid = _new(ctx, t0, _levels(1))
    foreign = _new(ctx, t0 + STEP, _levels(2), target=EiTarget(ven_ids=(OTHER_VEN_ID,)))
    await _refused_beside_valid(ctx, foreign, valid, f"targeted at another VEN ({OTHER_VEN_ID})")


@case("A_E1_0310", role=Role.VEN, title="application error code", rules=(48,))
async def application_error_code(ctx: VenCaseContext) -> None:
    """The harness distributes an event (level 1, starting in 7 minutes) and answers the VEN's
    oadrCreatedEvent with an oadrResponse carrying the application error 454 (invalid data)
    instead of 200 (rule 48 makes 200 the normal answer). The VEN must cope: keep its
    registration (no new oadrQueryRegistration or oadrCreatePartyRegistration), keep polling
    (pull), and answer the event's modification (levels 2, 2; modificationNumber 1) normally with
    200 optIn, which the harness accepts; it then executes the modified event at its time. In
    push, a VEN that answers the pushed oadrDistributeEvent with its oadrCreatedEvent in the HTTP
    response (as our VEN does) gives the VTN no exchange in which to answer it: the case is then
    not applicable; a push VEN that POSTs its oadrCreatedEvent gets the error."""
    await _registered(ctx)
    harness = ctx.harness
    refused: list[OadrCreatedEvent] = []

    def refuse_first(message: Payload) -> Payload | None:
        if not isinstance(message, OadrCreatedEvent) or refused:
            return None
        refused.append(message)
        return OadrResponse(
            ei_response=EiResponse(
                response_code=ResponseCode.INVALID_DATA,
                request_id=message.ei_response.request_id,
                response_description="application error (A_E1_0310)",
            ),
            ven_id=message.ven_id,
        )

    harness.answer_with[OadrCreatedEvent] = refuse_first
    item = _new(ctx, ctx.now() + timedelta(minutes=7), _levels(1, 1))
    mark = harness.mark()
    sent = await _distribute(ctx, item)
    created = await _answer(ctx, sent, "the event")
    if not ctx.pull and not refused:
        ctx.not_applicable(
            "the VEN answers a pushed oadrDistributeEvent with its oadrCreatedEvent in the HTTP response:"
            " there is no oadrResponse of the VTN's to carry an error code"
        )
    ctx.check(bool(refused), "the harness answered the VEN's oadrCreatedEvent with error 454")
    _check_whole(ctx, created, "the event")
    _check_opted_in(ctx, created, sent, item)
    if ctx.pull:
        position = harness.mark()
        for _ in range(2):
            await harness.wait_for(OadrPoll, since=position, what="an oadrPoll after the error answer")
            position = harness.mark()
        ctx.check(True, "the VEN keeps polling after the error answer")
    later = _revised(ctx, item, _levels(2, 2))
    await _taken_up(ctx, "the modified event", later)
    registering = [
        message
        for message in harness.inbox.messages[mark:]
        if isinstance(message, OadrQueryRegistration | OadrCreatePartyRegistration)
    ]
    ctx.check(
        not registering, "the VEN keeps its registration after the error answer (it does not register again)"
    )
    await _runs(ctx, later)


@case("A_E1_0325", role=Role.VEN, title="non-matching marketContext")
async def non_matching_market_context(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent carries an event of a program the VEN is enrolled in and one of a
    market context it is not enrolled in (:data:`FOREIGN_MARKET_CONTEXT`). From the 2.0a rule
    that a VEN must detect a non-matching market context and report it in the event's
    eventResponse with a 4xx code: the VEN answers the first 200 optIn and the second with a 4xx
    code (eiResponse 200), takes up the first and never the second."""
    await _registered(ctx)
    t0 = ctx.now() + LEAD
    valid = _new(ctx, t0, _levels(1))
    foreign = _new(ctx, t0 + STEP, _levels(2), market_context=FOREIGN_MARKET_CONTEXT)
    await _refused_beside_valid(ctx, foreign, valid, f"of market context {FOREIGN_MARKET_CONTEXT}")


@case("A_E1_0340", role=Role.VEN, title="mixed current and expired events")
async def current_and_expired(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent carries an expired event (eventStatus completed, its active period
    ended 20 minutes ago) and a current one (level 2 for 4 minutes, starting in 3 minutes). The
    VEN must not refuse the distribution (eiResponse 200), must opt in to the current event, and
    may answer the expired one or not (any eventResponse about it naming its version); it must
    never execute the expired event (no start, no interval, no end for it) and must run the
    current one at its time."""
    await _registered(ctx)
    now = ctx.now()
    expired = _new(ctx, now - timedelta(minutes=30), _levels(1, 1, step=timedelta(minutes=5)))
    ctx.check(
        expired.ei_event.event_descriptor.event_status == EventStatus.COMPLETED,
        "the expired event is completed",
    )
    current = _new(ctx, now + LEAD, _levels(2, 2))
    sent, created = await _taken_up(
        ctx, "the current and the expired event", expired, current, opted=[current]
    )
    ctx.check(
        all(
            response.qualified_event_id == expired.qualified_event_id
            for response in _responses(created, expired)
        ),
        f"any eventResponse about the expired {_label(expired)} names that version",
    )
    await _never(
        ctx,
        f"the VEN does not execute the expired {_label(expired)}",
        expired,
        until=sent.delivered_at + timedelta(minutes=1),
    )
    await _runs(ctx, current, verb="starts the current")
    await _never(ctx, f"the VEN never executes the expired {_label(expired)}", expired, until=ctx.now())


@case("A_E1_0345", role=Role.VEN, title="unknown cancelled event (must not be an error)", rules=(21,))
async def unknown_cancelled(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent carries a current event (level 2, starting in 3 minutes) and a
    cancelled event the VEN never knew (modificationNumber 2, eventStatus cancelled, market
    context 2). Rule 21: unexpected IDs are errors, except an unknown event that arrives
    cancelled. The VEN must not refuse the distribution (eiResponse 200), must opt in to the
    current event, must not answer the cancelled one with an error (no eventResponse about it,
    or 200), must never take it up, and must start the current event at its time."""
    await _registered(ctx)
    t0 = ctx.now() + LEAD
    current = _new(ctx, t0, _levels(2))
    unknown = _new(
        ctx,
        t0,
        _levels(1),
        market_context=SECOND_MARKET_CONTEXT,
        status=EventStatus.CANCELLED,
        modification_number=2,
    )
    _, created = await _taken_up(
        ctx, "the current event and the unknown cancelled one", current, unknown, opted=[current]
    )
    codes = sorted({response.response_code for response in _responses(created, unknown)})
    ctx.check(
        all(code == ResponseCode.OK for code in codes),
        f"the VEN does not answer the unknown cancelled {_label(unknown)} with an error (it answered"
        f" {', '.join(codes) or 'nothing'})",
    )
    await _see_at(ctx, "starts the current", "started", current, t0, values=_first_values(current))
    await _never(
        ctx, f"the VEN never takes up the unknown cancelled {_label(unknown)}", unknown, until=t0 + LATE
    )


@case("A_E1_0360", role=Role.VEN, title="mixed valid and invalid events")
async def valid_and_invalid(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent carries three consecutive events: a valid SIMPLE one, an invalid
    one (its only signal is a custom signal no VEN supports, :data:`UNSUPPORTED_SIGNAL`), and
    another valid SIMPLE one. From the 2.0a rule that a distribution mixing valid and invalid
    events is answered event by event, not refused whole: the VEN answers with eiResponse 200,
    opts in to both valid events, answers the invalid one with a 4xx code (460, signal not
    supported, fits), takes up both valid events and never the invalid one."""
    await _registered(ctx)
    t0 = ctx.now() + LEAD
    valid = _new(ctx, t0, _levels(1))
    unsupported = Signal(name=UNSUPPORTED_SIGNAL, type=SignalType.LEVEL, intervals=[(STEP, 1)])
    invalid = _new(ctx, t0 + STEP, unsupported)
    also_valid = _new(ctx, t0 + 2 * STEP, _levels(2))
    sent, created = await _taken_up(
        ctx, "the valid and invalid events", valid, invalid, also_valid, opted=[valid, also_valid]
    )
    _check_refused(ctx, created, sent, invalid, f"its signal {UNSUPPORTED_SIGNAL} is not supported")
    for item in (valid, also_valid):
        await _see(
            ctx,
            f"the VEN takes up the valid {_label(item)} (pending)",
            "pending",
            item,
            earliest=sent.sent_at,
            latest=_start(item),
        )
    await _see_at(ctx, "starts the valid", "started", valid, t0, values=_first_values(valid))
    await _never(
        ctx, f"the VEN never takes up the invalid {_label(invalid)}", invalid, until=t0 + STEP + LATE
    )


@case("A_E1_0370", role=Role.VEN, title="inconsistent returned events")
async def inconsistent_returned(ctx: VenCaseContext) -> None:
    """The harness distributes an event (level 1, two 2-minute intervals, starting in 5 minutes);
    the VEN opts in. Then the VEN is made to ask for its events (oadrRequestEvent) and the
    harness returns the same event, with the same eventID and modificationNumber 0, but changed
    content (it starts 5 minutes later, at level 3): returned events inconsistent with what was
    distributed, since any change must increment the modificationNumber (the qualified event ID
    names one version). The VEN must keep the version it knows: any eventResponse it sends about
    the event names modificationNumber 0 (an error code is acceptable); it runs the event as
    first distributed, starting at the first dtstart with level 1, never at the returned start
    with level 3."""
    await _registered(ctx)
    harness = ctx.harness
    item = _new(ctx, ctx.now() + timedelta(minutes=5), _levels(1, 1))
    await _taken_up(ctx, "the event", item)
    altered = _new(
        ctx, _start(item) + timedelta(minutes=5), _levels(3, 3), event_id=_id(item), modification_number=0
    )
    harness.events = (altered,)
    mark = harness.mark()
    await ctx.device.request_events()
    await harness.wait_for(
        OadrRequestEvent, since=mark, timeout=ctx.timeouts.action, what="an oadrRequestEvent"
    )
    ctx.check(ctx.now() < _start(item), f"{_label(item)} is still pending when the VEN asks for its events")
    await asyncio.sleep(ctx.harness.poll_frequency.total_seconds() + 1.0)
    named = [
        response.qualified_event_id
        for answer in harness.inbox.of(OadrCreatedEvent, since=mark)
        for response in _responses(answer, item)
    ]
    ctx.check(
        all(qualified == item.qualified_event_id for qualified in named),
        f"any eventResponse about the returned {_label(item)} names modificationNumber 0",
    )
    await _holds(ctx, f"the VEN keeps {_label(item)} as first distributed", _holds_same(item))
    await _runs(ctx, item, verb="starts, as first distributed,")


def _holds_same(item: OadrEvent) -> Callable[[VenView], bool]:
    def holds(view: VenView) -> bool:
        known = _known(view, item)
        return known is not None and known.event.ei_event.active_period == item.ei_event.active_period

    return holds


@case("A_E1_0390", role=Role.VEN, title="unrecognized vtnID", rules=(21,))
async def unrecognized_vtn_id(ctx: VenCaseContext) -> None:
    """The harness distributes an event from a vtnID that is not its own (:data:`UNKNOWN_VTN_ID`;
    rule 21: unexpected IDs are errors). The VEN must answer with 452 (invalid ID: in its
    eiResponse, or in the eventResponse of every event; no 200 for the event) and must not take
    the event up. Then the same event, from the harness's own vtnID, must be answered 200 optIn
    and taken up: the VEN refused the ID, not the event."""
    await _registered(ctx)
    item = _new(ctx, ctx.now() + timedelta(minutes=6), _levels(1, 1))
    sent = await _distribute(ctx, item, vtn_id=UNKNOWN_VTN_ID)
    created = await _answer(ctx, sent, f"the distribution from vtnID {UNKNOWN_VTN_ID}")
    codes = [response.response_code for response in _responses(created, item)]
    whole = created.ei_response.response_code
    ctx.check(
        whole == ResponseCode.INVALID_ID
        or (bool(codes) and all(code == ResponseCode.INVALID_ID for code in codes)),
        f"the VEN answers the distribution from vtnID {UNKNOWN_VTN_ID} with 452 (it answered eiResponse"
        f" {whole}, eventResponses {', '.join(codes) or 'none'})",
    )
    ctx.check(
        ResponseCode.OK not in codes, f"the VEN does not accept {_label(item)} from vtnID {UNKNOWN_VTN_ID}"
    )
    await _never(
        ctx,
        f"the VEN does not take up {_label(item)} from vtnID {UNKNOWN_VTN_ID}",
        item,
        until=sent.delivered_at + timedelta(minutes=1),
    )
    sent, _ = await _taken_up(ctx, "the same event from the harness's vtnID", item)
    await _see(
        ctx,
        f"the VEN takes up {_label(item)} from its own VTN (pending)",
        "pending",
        item,
        earliest=sent.sent_at,
        latest=_start(item),
    )


@case("A_E1_0392", role=Role.VEN, title="lower modificationNumber", rules=(21,))
async def lower_modification_number(ctx: VenCaseContext) -> None:
    """The harness distributes an event (modificationNumber 0, level 1), then its modification
    (modificationNumber 1, level 2), then the first version again (modificationNumber 0, lower
    than the one the VEN knows). A lower modificationNumber of a known event is an error (rule
    21; the 2.0a rule: whatever the event's state): the VEN must answer it with 452 in the
    eventResponse naming modificationNumber 0, keep version 1, and run version 1 at its time
    (level 2)."""
    await _registered(ctx)
    first = _new(ctx, ctx.now() + timedelta(minutes=6), _levels(1, 1))
    await _taken_up(ctx, "the event", first)
    later = _revised(ctx, first, _levels(2, 2))
    await _taken_up(ctx, "the modified event", later)
    sent = await _distribute(ctx, first)
    created = await _answer(ctx, sent, "the event with the lower modificationNumber")
    _check_whole(ctx, created, "the event with the lower modificationNumber")
    _check_refused(
        ctx,
        created,
        sent,
        first,
        "a lower modificationNumber than the known one",
        codes=(ResponseCode.INVALID_ID,),
    )
    await _holds(ctx, f"the VEN keeps {_label(later)}", _holds_version(later))
    await _runs(ctx, later, verb="starts version 1 of")
