"""Event (EiEvent) cases of the 2.0b profile whose device is a VTN: E1_10xx / E0_60xx ``TH_VEN``.

The harness plays a VEN. The VTN under test is made to create, modify and cancel events
(:class:`~openadr_accel.conformance.devices.EventSpec`, through ``ctx.device``: our VTN's API, or
an operator for an external VTN); the harness takes the oadrDistributeEvent that follows (queued
for its next oadrPoll in pull, POSTed to its endpoint in push), checks it against what was asked
(signal names, types, units, interval durations and values, start, oadrResponseRequired, target,
optional elements), answers it, and checks the VTN's answer. Every distribution is also
inspected automatically: the schema, rules 2, 7, 8, 9, 14 and 15, and events that change
without a new modificationNumber.

How the harness answers, alike in both transports: it never lets its default answers speak for
a case. It POSTs each oadrCreatedEvent itself to the VTN's EiEvent service and so always gets
the VTN's oadrResponse (rule 48: 200, unless the answer names an invalid ID: 452). In push, a
VEN may give its oadrCreatedEvent as the HTTP response to the pushed oadrDistributeEvent, but
the VTN's oadrResponse then has nowhere to go; the harness acknowledges the push with an
oadrResponse 200 instead and POSTs its oadrCreatedEvent, as a 2.0b push VEN may. In pull it
polls by itself without answering the distributions the polls bring (messages of other kinds
get the harness's default answers). The distribution answering the harness's own
oadrRequestEvent is told apart from those the VTN initiates by its eiResponse (it echoes the
harness's requestID, which starts with :data:`REQUEST_PREFIX`).

The steps the 2.0a-profile cases of :mod:`.events_2a_vtn` share live here too:

- :func:`registered` (the bootstrap, and the harness's answering set up as above);
- :func:`create_events`, :func:`create_event`, :func:`modify_event`, :func:`cancel_event`: make
  the VTN act, wait for the oadrDistributeEvent that follows and check the events in it against
  the :class:`EventSpec` asked for (:func:`check_built`);
- :func:`respond`: POST an oadrCreatedEvent (one :class:`Answer` per event) and check the VTN's
  oadrResponse; :func:`create_opt`: opt out of (or into) an event with oadrCreateOpt;
- :func:`request_events`: oadrRequestEvent, and the checks of its answer;
- :func:`receive`, :func:`quiet`, :func:`wait_until`: listen to the VTN (polling in pull);
- :func:`stored` and :func:`nothing_stored`: observations of the VEN's answers the VTN keeps.

Times are the run's clock: against our own VTN (speed 60) an event "in 10 minutes" starts in
10 s. Starts are whole seconds (an operator types them), and a VTN's dtstart may be up to
:data:`START_TOLERANCE` from the one asked for. Our VTN sends the events within its near window
(``VtnConfig.near_window``, one hour by default) as near, and earlier ones as far: both are
pending.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ...model import (
    EiEventSignal,
    EiResponse,
    EiTarget,
    EventResponse,
    EventStatus,
    OadrCreatedEvent,
    OadrCreatedOpt,
    OadrCreateOpt,
    OadrDistributeEvent,
    OadrEvent,
    OadrPoll,
    OadrRequestEvent,
    OadrResponse,
    OptReason,
    OptType,
    Payload,
    PayloadFloat,
    QualifiedEventID,
    ResponseCode,
    SignalName,
    SignalType,
)
from ...vtn.events import Baseline, Signal
from ...vtn.policies import new_id
from ...vtn.store import EventResponseSource
from ..build import simple
from ..case import Role, case
from ..context import VtnCaseContext
from ..devices import EventSpec
from ..harness_ven import HarnessVen
from ..transcript import message_name
from .events_ven import UNSUPPORTED_SIGNAL, dispatch, price

if TYPE_CHECKING:
    from ..our_vtn import VtnView

__all__ = [
    "PENDING",
    "QUIET_SECONDS",
    "REQUEST_PREFIX",
    "RESOURCE",
    "START_TOLERANCE",
    "Answer",
    "Delivered",
    "ahead",
    "cancel_event",
    "check_built",
    "check_status",
    "create_event",
    "create_events",
    "create_opt",
    "event_id_of",
    "find",
    "initiated",
    "levels",
    "modify_event",
    "nothing_stored",
    "quiet",
    "receive",
    "registered",
    "request_events",
    "respond",
    "send_request_event",
    "slack",
    "stored",
    "wait_until",
]

QUIET_SECONDS = 2.0
"""How long (wall clock) the harness listens for what the VTN must not send."""

START_TOLERANCE = timedelta(minutes=1)
"""How far an event's dtstart may be from the one asked for (an operator may round it)."""

REQUEST_PREFIX = "TH-REQUEST-EVENT-"
"""The start of the requestID of every oadrRequestEvent the harness sends."""

RESOURCE = "TH-RESOURCE-1"
"""The resource of the harness VEN that its opts and targets name."""

PENDING = frozenset({EventStatus.FAR, EventStatus.NEAR})
"""The statuses of an event that has not started."""

_SLACK_SECONDS = 2.0
"""Wall-clock seconds a message may take on a loaded machine: timing checks leave this much."""


# -- time -------------------------------------------------------------------------------------------


def ahead(ctx: VtnCaseContext, minutes: float) -> datetime:
    """``minutes`` from now on the run's clock, to the whole second."""
    return (ctx.now() + timedelta(minutes=minutes)).replace(microsecond=0)


def slack(ctx: VtnCaseContext) -> timedelta:
    """The run's time that :data:`_SLACK_SECONDS` of wall clock last (timing checks leave it)."""
    return timedelta(seconds=_SLACK_SECONDS * ctx.clock.speed)


def levels(*values: int, minutes: float = 10) -> Signal:
    """A SIMPLE signal, one interval of ``minutes`` per level."""
    return simple(*values, interval=timedelta(minutes=minutes))


# -- events in a distribution -----------------------------------------------------------------------


def event_id_of(item: OadrEvent) -> str:
    """The eventID of an event."""
    return item.ei_event.event_descriptor.event_id


def find(distribution: OadrDistributeEvent, event_id: str) -> OadrEvent | None:
    """The event ``event_id`` in a distribution, if it is there."""
    for item in distribution.events:
        if event_id_of(item) == event_id:
            return item
    return None


def _named(item: OadrEvent) -> str:
    qualified = item.qualified_event_id
    return f"{qualified.event_id}#{qualified.modification_number}"


@dataclass(frozen=True, slots=True)
class Delivered:
    """An event as the VTN sent it, and the oadrDistributeEvent that carried it."""

    distribution: OadrDistributeEvent
    event: OadrEvent

    @property
    def event_id(self) -> str:
        return event_id_of(self.event)

    @property
    def qualified(self) -> QualifiedEventID:
        return self.event.qualified_event_id


# -- listening to the VTN -----------------------------------------------------------------------------


async def registered(ctx: VtnCaseContext) -> str:
    """Every case starts from a registered harness (the bootstrap, N1_0020); in push the harness
    then acknowledges each pushed oadrDistributeEvent with an oadrResponse 200 (the case POSTs
    its own oadrCreatedEvent). Returns the harness's venID."""
    harness = ctx.harness
    if not ctx.pull:
        harness.answer_with[OadrDistributeEvent] = functools.partial(_acknowledge, harness)
    await harness.registered(timeout=ctx.timeouts.action)
    return harness.ven_id


def _acknowledge(harness: HarnessVen, message: Payload) -> Payload:
    request_id = message.request_id if isinstance(message, OadrDistributeEvent) else ""
    registration = harness.registration
    return OadrResponse(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=request_id),
        ven_id=registration.ven_id if registration is not None else None,
    )


def initiated(message: OadrDistributeEvent) -> bool:
    """Whether the VTN sent the distribution by itself (not as the answer to the harness's
    oadrRequestEvent)."""
    response = message.ei_response
    return response is None or not response.request_id.startswith(REQUEST_PREFIX)


def _gap(ctx: VtnCaseContext) -> float:
    registration = ctx.harness.registration
    frequency = registration.poll_frequency if registration is not None else None
    seconds = frequency.total_seconds() if frequency is not None else 1.0
    return max(0.2, min(seconds, 1.0))


async def _listen(ctx: VtnCaseContext, seconds: float) -> None:
    """Give the VTN up to ``seconds`` to send something. Pull: one oadrPoll (a message it brings
    other than an oadrDistributeEvent gets the harness's default answer; nothing queued: wait);
    push: wait."""
    if not ctx.pull:
        await asyncio.sleep(max(0.0, min(seconds, 0.05)))
        return
    harness = ctx.harness
    harness.polls.append(asyncio.get_running_loop().time())
    got = await harness.send(OadrPoll(ven_id=harness.ven_id))
    if isinstance(got, OadrResponse):
        await asyncio.sleep(max(0.0, seconds))
    elif not isinstance(got, OadrDistributeEvent):
        await harness.answer(got)


async def receive(
    ctx: VtnCaseContext,
    *,
    since: int,
    where: Callable[[OadrDistributeEvent], bool],
    what: str,
    timeout: float | None = None,
) -> OadrDistributeEvent:
    """The first oadrDistributeEvent the VTN sent by itself from ``since`` on that matches
    ``where``, polling for it in pull (default timeout: the message timeout)."""
    harness = ctx.harness
    wait = ctx.timeouts.message if timeout is None else timeout
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        for message in harness.inbox.of(OadrDistributeEvent, since=since):
            if initiated(message) and where(message):
                return message
        remaining = deadline - loop.time()
        if remaining <= 0:
            ctx.fail(f"the VTN did not send {what} within {wait:g} s")
        await _listen(ctx, min(_gap(ctx), remaining))


async def quiet(ctx: VtnCaseContext, seconds: float = QUIET_SECONDS) -> list[OadrDistributeEvent]:
    """Listen ``seconds`` (polling in pull); the distributions the VTN sent by itself meanwhile."""
    harness = ctx.harness
    mark = harness.mark()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (remaining := deadline - loop.time()) > 0:
        await _listen(ctx, min(_gap(ctx), remaining))
    return [message for message in harness.inbox.of(OadrDistributeEvent, since=mark) if initiated(message)]


async def wait_until(ctx: VtnCaseContext, when: datetime) -> None:
    """Listen (polling in pull, like any VEN) until ``when`` on the run's clock."""
    while (remaining := ctx.clock.real_seconds(when - ctx.now())) > 0:
        await _listen(ctx, min(_gap(ctx), remaining))


# -- checking what the VTN built ------------------------------------------------------------------------


def _units(signal: Signal | EiEventSignal) -> str:
    unit = signal.item_base
    if unit is None:
        return "no units"
    shown = ", ".join(
        f"{item.name}={value}"
        for item in dataclasses.fields(unit)
        if (value := getattr(unit, item.name)) is not None
    )
    return f"{type(unit).__name__}({shown})"


def _check_signal(ctx: VtnCaseContext, built: EiEventSignal, wanted: Signal, what: str) -> None:
    name = f"the {wanted.name} signal of {what}"
    if wanted.item_base is not None:
        ctx.check(
            built.item_base == wanted.item_base,
            f"{name} carries the units asked for ({_units(wanted)}; it carries {_units(built)})",
        )
    asked = [(duration, Decimal(value)) for duration, value in wanted.intervals]
    got = [(interval.duration, interval.value) for interval in built.intervals]
    ctx.check(
        got == asked,
        f"{name} has the intervals asked for, in order ({_intervals(asked)}; it has {_intervals(got)})",
    )


def _intervals(pairs: Sequence[tuple[timedelta | None, Decimal | None]]) -> str:
    return ", ".join(f"{duration} at {value}" for duration, value in pairs) or "none"


def _targets(ctx: VtnCaseContext, item: OadrEvent, spec: EventSpec, what: str) -> None:
    target = item.ei_event.target
    if spec.target is None:
        ctx.check(
            spec.ven_id in target.ven_ids,
            f"the eiTarget of {what} names the VEN's venID {spec.ven_id} (it names venIDs"
            f" {', '.join(target.ven_ids) or 'none'})",
        )
        return
    for kind in ("ven_ids", "group_ids", "resource_ids", "party_ids"):
        asked: tuple[str, ...] = getattr(spec.target, kind)
        got: tuple[str, ...] = getattr(target, kind)
        missing = [value for value in asked if value not in got]
        ctx.check(
            not missing,
            f"the eiTarget of {what} names every {kind[:-1].replace('_', '')} asked for"
            f" ({', '.join(asked) or 'none'}; it names {', '.join(got) or 'none'})",
        )


def check_built(
    ctx: VtnCaseContext, item: OadrEvent, spec: EventSpec, what: str, *, modification_number: int = 0
) -> None:
    """Check an event the VTN sent against the :class:`EventSpec` it was made from: its
    modificationNumber, oadrResponseRequired, dtstart (within :data:`START_TOLERANCE`), the
    duration its intervals cover, every signal (name, type, units, interval durations and values,
    in order), the eiTarget, and the optional elements the spec names (priority, marketContext,
    testEvent, randomization, vtnComment)."""
    ei_event = item.ei_event
    descriptor = ei_event.event_descriptor
    period = ei_event.active_period
    ctx.check(
        descriptor.modification_number == modification_number,
        f"{what} carries modificationNumber {modification_number} (it carries"
        f" {descriptor.modification_number})",
    )
    ctx.check(
        item.response_required == spec.response_required,
        f"{what} says oadrResponseRequired {spec.response_required} (it says {item.response_required})",
    )
    ctx.check(
        abs(period.dtstart - spec.start) <= START_TOLERANCE,
        f"{what} starts at {spec.start.isoformat()} (its dtstart is {period.dtstart.isoformat()})",
    )
    duration = spec.signals[0].duration if spec.signals else timedelta(0)
    ctx.check(
        period.duration == duration,
        f"the active period of {what} lasts {duration}, as its intervals (it lasts {period.duration})",
    )
    ctx.check(
        len(ei_event.signals) == len(spec.signals),
        f"{what} carries {len(spec.signals)} signal(s) (it carries {len(ei_event.signals)})",
    )
    unmatched = list(ei_event.signals)
    for wanted in spec.signals:
        name, kind = SignalName(wanted.name), wanted.type
        built = next((s for s in unmatched if s.signal_name == name and s.signal_type == kind), None)
        if built is None:
            shown = ", ".join(f"{s.signal_name} {s.signal_type}" for s in ei_event.signals) or "none"
            ctx.fail(f"{what} carries the signal {name} of signalType {kind} (it carries {shown})")
        unmatched.remove(built)
        ctx.check(True, f"{what} carries the signal {name} of signalType {kind}")
        _check_signal(ctx, built, wanted, what)
    _targets(ctx, item, spec, what)
    if spec.priority is not None:
        ctx.check(
            descriptor.priority == spec.priority,
            f"{what} has priority {spec.priority} (it has {descriptor.priority})",
        )
    if spec.market_context is not None:
        ctx.check(
            descriptor.market_context == spec.market_context,
            f"{what} is in the market context {spec.market_context} (it is in {descriptor.market_context})",
        )
    is_test = descriptor.test_event is not None and descriptor.test_event.strip().lower() != "false"
    ctx.check(
        is_test == spec.test_event,
        f"{what} is {'' if spec.test_event else 'not '}a test event (its testEvent is"
        f" {descriptor.test_event!r}; rule 6)",
    )
    if spec.start_after is not None:
        ctx.check(
            period.start_after == spec.start_after,
            f"{what} randomizes its start within {spec.start_after} (tolerance startafter"
            f" {period.start_after})",
        )
    if spec.vtn_comment is not None:
        ctx.check(
            descriptor.vtn_comment == spec.vtn_comment,
            f"{what} carries the vtnComment {spec.vtn_comment!r} (it carries {descriptor.vtn_comment!r})",
        )


def check_status(ctx: VtnCaseContext, item: OadrEvent, allowed: Collection[EventStatus], what: str) -> None:
    """Check the eventStatus of an event the VTN sent."""
    status = item.ei_event.event_descriptor.event_status
    ctx.check(
        status in allowed,
        f"{what} has eventStatus {' or '.join(sorted(allowed))} (it has {status})",
    )


def _check_clock(ctx: VtnCaseContext, item: OadrEvent, what: str) -> None:
    """The eventStatus agrees with the clock (leaving :func:`slack` around each boundary): not
    yet started is pending, running is active, over is completed; a cancellation stays."""
    ei_event = item.ei_event
    status = ei_event.event_descriptor.event_status
    if status == EventStatus.CANCELLED:
        return
    now, margin = ctx.now(), slack(ctx)
    start = ei_event.active_period.dtstart
    end = ei_event.active_period.end if ei_event.active_period.duration else None
    if now + margin < start:
        check_status(ctx, item, PENDING, f"{what}, which has not started,")
    elif start + margin <= now and (end is None or now + margin < end):
        check_status(ctx, item, {EventStatus.ACTIVE}, f"{what}, which is running,")
    elif end is not None and now >= end + margin:
        check_status(ctx, item, {EventStatus.COMPLETED}, f"{what}, which is over,")


# -- making the VTN act -------------------------------------------------------------------------------


def _new(distribution: OadrDistributeEvent, known: Collection[str]) -> list[OadrEvent]:
    return [item for item in distribution.events if event_id_of(item) not in known]


async def create_events(
    ctx: VtnCaseContext, specs: Mapping[str, EventSpec]
) -> tuple[OadrDistributeEvent, dict[str, OadrEvent]]:
    """Make the VTN create each event of ``specs`` (by what the case calls it), in order; wait
    for the oadrDistributeEvent that carries them all, tell them apart by their starts (the
    specs' starts differ by more than :data:`START_TOLERANCE`), and check each against its spec
    (:func:`check_built`) and the clock. Returns the distribution and the events by name."""
    harness = ctx.harness
    known = set(harness.events)
    mark = harness.mark()
    for spec in specs.values():
        await ctx.device.create_event(spec)
    names = " and ".join(specs)
    distribution = await receive(
        ctx,
        since=mark,
        where=lambda message: len(_new(message, known)) >= len(specs),
        what=f"an oadrDistributeEvent with {names}",
        timeout=ctx.timeouts.action,
    )
    fresh = _new(distribution, known)
    ctx.check(
        len(fresh) == len(specs),
        f"the oadrDistributeEvent brings {names}: {len(specs)} new event(s) (it brings {len(fresh)})",
    )
    found: dict[str, OadrEvent] = {}
    for name, spec in specs.items():
        near = [
            item for item in fresh if abs(item.ei_event.active_period.dtstart - spec.start) <= START_TOLERANCE
        ]
        if not near:
            ctx.fail(f"the VTN sent no new event starting at {spec.start.isoformat()}, as {name} does")
        item = min(near, key=lambda item: abs(item.ei_event.active_period.dtstart - spec.start))
        fresh.remove(item)
        found[name] = item
        check_built(ctx, item, spec, name)
        _check_clock(ctx, item, name)
    return distribution, found


async def create_event(ctx: VtnCaseContext, spec: EventSpec, what: str) -> Delivered:
    """Make the VTN create one event; the distribution and the event (see :func:`create_events`)."""
    distribution, found = await create_events(ctx, {what: spec})
    return Delivered(distribution, found[what])


async def _next_version(ctx: VtnCaseContext, before: OadrEvent, what: str, mark: int) -> Delivered:
    event_id = event_id_of(before)
    number = before.qualified_event_id.modification_number

    def newer(message: OadrDistributeEvent) -> bool:
        item = find(message, event_id)
        return item is not None and item.qualified_event_id.modification_number > number

    distribution = await receive(
        ctx,
        since=mark,
        where=newer,
        what=f"an oadrDistributeEvent with {what} (event {event_id}, modificationNumber above {number})",
        timeout=ctx.timeouts.action,
    )
    item = find(distribution, event_id)
    assert item is not None
    return Delivered(distribution, item)


async def modify_event(ctx: VtnCaseContext, before: OadrEvent, spec: EventSpec, what: str) -> Delivered:
    """Make the VTN modify ``before`` to ``spec``; wait for the distribution with the new version
    and check it (modificationNumber + 1, and :func:`check_built`)."""
    mark = ctx.harness.mark()
    await ctx.device.modify_event(event_id_of(before), spec)
    delivered = await _next_version(ctx, before, what, mark)
    number = before.qualified_event_id.modification_number + 1
    check_built(ctx, delivered.event, spec, what, modification_number=number)
    _check_clock(ctx, delivered.event, what)
    return delivered


async def cancel_event(ctx: VtnCaseContext, before: OadrEvent, what: str) -> Delivered:
    """Make the VTN cancel ``before``; wait for the distribution with the cancellation and check
    it: modificationNumber + 1 (a cancellation is a modification), eventStatus cancelled, the
    same signals and active period."""
    mark = ctx.harness.mark()
    await ctx.device.cancel_event(event_id_of(before))
    delivered = await _next_version(ctx, before, what, mark)
    number = before.qualified_event_id.modification_number + 1
    descriptor = delivered.event.ei_event.event_descriptor
    ctx.check(
        descriptor.modification_number == number,
        f"{what} carries modificationNumber {number} (it carries {descriptor.modification_number})",
    )
    check_status(ctx, delivered.event, {EventStatus.CANCELLED}, what)
    ctx.check(
        delivered.event.ei_event.active_period == before.ei_event.active_period,
        f"{what} keeps the event's active period",
    )
    return delivered


# -- answering the VTN ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """One eventResponse of an oadrCreatedEvent the harness sends."""

    qualified: QualifiedEventID
    opt_type: OptType = OptType.OPT_IN
    code: ResponseCode = ResponseCode.OK
    description: str | None = None

    @classmethod
    def to(
        cls, item: OadrEvent, opt_type: OptType = OptType.OPT_IN, code: ResponseCode = ResponseCode.OK
    ) -> Answer:
        """The answer to ``item`` (its qualifiedEventID)."""
        return cls(item.qualified_event_id, opt_type, code)


def _description(response: EiResponse) -> str:
    return f" {response.response_description!r}" if response.response_description else ""


async def respond(
    ctx: VtnCaseContext,
    distribution: OadrDistributeEvent,
    answers: Sequence[Answer],
    what: str,
    *,
    expect: Collection[ResponseCode] = (ResponseCode.OK,),
    ven_id: str | None = None,
) -> OadrResponse:
    """POST an oadrCreatedEvent answering ``distribution`` (eiResponse 200 echoing its
    requestID, one eventResponse per answer echoing it too), from the harness's venID unless
    ``ven_id`` says; check that the VTN answers with an oadrResponse whose responseCode is one
    of ``expect`` (rule 48), echoing the requestID and, with the harness's venID, naming it."""
    harness = ctx.harness
    request_id = distribution.request_id
    sender = harness.ven_id if ven_id is None else ven_id
    created = OadrCreatedEvent(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=request_id),
        ven_id=sender,
        event_responses=tuple(
            EventResponse(
                response_code=answer.code,
                request_id=request_id,
                qualified_event_id=answer.qualified,
                opt_type=answer.opt_type,
                response_description=answer.description,
            )
            for answer in answers
        ),
    )
    reply = await harness.send(created)
    if not isinstance(reply, OadrResponse):
        ctx.fail(
            f"the VTN answers the oadrCreatedEvent for {what} with oadrResponse"
            f" (it answered {message_name(reply)})"
        )
    response = reply.ei_response
    ctx.check(
        response.response_code in expect,
        f"the VTN answers the oadrCreatedEvent for {what} with {' or '.join(sorted(expect))}"
        f" (it answered {response.response_code}{_description(response)})",
    )
    ctx.check(
        response.request_id == request_id,
        f"the VTN's oadrResponse to the oadrCreatedEvent for {what} echoes its requestID {request_id}"
        f" (it carries {response.request_id!r})",
    )
    if ven_id is None and reply.ven_id is not None:
        ctx.check(reply.ven_id == sender, f"the VTN's oadrResponse names the VEN's venID {sender}")
    return reply


async def create_opt(
    ctx: VtnCaseContext,
    item: OadrEvent,
    what: str,
    *,
    opt_type: OptType = OptType.OPT_OUT,
    resource_ids: Sequence[str] = (),
) -> OadrCreateOpt:
    """POST an oadrCreateOpt about ``item`` (its qualifiedEventID; for ``resource_ids`` only, when
    given) and check the VTN's oadrCreatedOpt: 200, echoing the requestID and the optID."""
    harness = ctx.harness
    opt = OadrCreateOpt(
        opt_id=f"TH-OPT-{new_id()[:12]}",
        opt_type=opt_type,
        opt_reason=OptReason.NOT_PARTICIPATING if opt_type == OptType.OPT_OUT else OptReason.PARTICIPATING,
        ven_id=harness.ven_id,
        created_date_time=ctx.now(),
        request_id=new_id(),
        target=EiTarget(resource_ids=tuple(resource_ids)),
        market_context=item.ei_event.event_descriptor.market_context,
        qualified_event_id=item.qualified_event_id,
    )
    reply = await harness.send(opt)
    if not isinstance(reply, OadrCreatedOpt):
        ctx.fail(
            f"the VTN answers the oadrCreateOpt ({what}) with oadrCreatedOpt"
            f" (it answered {message_name(reply)})"
        )
    response = reply.ei_response
    ctx.check(
        response.response_code == ResponseCode.OK,
        f"the VTN accepts the oadrCreateOpt ({what}) with 200 (it answered"
        f" {response.response_code}{_description(response)})",
    )
    ctx.check(
        response.request_id == opt.request_id and reply.opt_id == opt.opt_id,
        f"the VTN's oadrCreatedOpt echoes the requestID and the optID {opt.opt_id}",
    )
    return opt


async def send_request_event(
    ctx: VtnCaseContext, *, reply_limit: int | None = None, ven_id: str | None = None
) -> tuple[OadrRequestEvent, Payload]:
    """POST an oadrRequestEvent (from the harness's venID unless ``ven_id`` says); the request
    and the VTN's answer, unchecked."""
    harness = ctx.harness
    request = OadrRequestEvent(
        request_id=f"{REQUEST_PREFIX}{new_id()[:16]}",
        ven_id=harness.ven_id if ven_id is None else ven_id,
        reply_limit=reply_limit,
    )
    return request, await harness.send(request)


async def request_events(
    ctx: VtnCaseContext, what: str, *, reply_limit: int | None = None, record: bool = True
) -> OadrDistributeEvent:
    """oadrRequestEvent; check the answer: an oadrDistributeEvent with eiResponse 200 echoing
    the requestID, from the VTN's vtnID, every event agreeing with the clock. With ``record``
    False what holds is not listed among the case's checks (repeated samples), but a check that
    does not hold still fails the case."""
    request, reply = await send_request_event(ctx, reply_limit=reply_limit)

    def check(condition: bool, text: str) -> None:
        if record:
            ctx.check(condition, text)
        elif not condition:
            ctx.fail(text)

    if not isinstance(reply, OadrDistributeEvent):
        ctx.fail(f"the VTN answers {what} with oadrDistributeEvent (it answered {message_name(reply)})")
    response = reply.ei_response
    code = response.response_code if response is not None else "no eiResponse"
    check(
        response is not None and response.response_code == ResponseCode.OK,
        f"the VTN answers {what} with eiResponse 200 (it answered {code})",
    )
    check(
        response is not None and response.request_id == request.request_id,
        f"the answer to {what} echoes its requestID",
    )
    registration = ctx.harness.registration
    if registration is not None:
        check(
            reply.vtn_id == registration.vtn_id,
            f"the answer to {what} comes from the VTN's vtnID {registration.vtn_id} (it says {reply.vtn_id})",
        )
    if record:
        for item in reply.events:
            _check_clock(ctx, item, f"event {_named(item)} in the answer to {what}")
    return reply


# -- observations ----------------------------------------------------------------------------------------


def stored(
    ven_id: str,
    event_id: str,
    *,
    modification_number: int,
    opt_type: OptType,
    code: ResponseCode = ResponseCode.OK,
    by_opt: bool = False,
) -> Callable[[VtnView], Awaitable[bool]]:
    """Our VTN keeps this answer of the VEN's to the event as its latest (from an oadrCreateOpt
    with ``by_opt``, else from an oadrCreatedEvent)."""
    source = EventResponseSource.CREATE_OPT if by_opt else EventResponseSource.CREATED_EVENT

    async def holds(view: VtnView) -> bool:
        return any(
            record.ven_id == ven_id
            and record.modification_number == modification_number
            and record.opt_type == opt_type
            and record.response_code == code
            and record.source == source
            for record in await view.responses(event_id)
        )

    return holds


def nothing_stored(ven_id: str, event_id: str) -> Callable[[VtnView], Awaitable[bool]]:
    """Our VTN keeps no answer of the VEN's to the event."""

    async def holds(view: VtnView) -> bool:
        return not [record for record in await view.responses(event_id) if record.ven_id == ven_id]

    return holds


# -- the cases --------------------------------------------------------------------------------------------


@case(
    "E1_1010",
    role=Role.VTN,
    title="empty oadrDistributeEvent (no events): no oadrCreatedEvent expected",
)
async def empty_distribution(ctx: VtnCaseContext) -> None:
    """How a VTN gives a VEN an empty oadrDistributeEvent on demand: the harness, for which the
    VTN holds no event (a fresh registration, nothing created), asks with oadrRequestEvent. The
    VTN must answer with an oadrDistributeEvent from its vtnID, eiResponse 200 echoing the
    requestID, and no event at all. There is nothing to answer, so the harness sends no
    oadrCreatedEvent, and the VTN must not wait for one: for the next few seconds it sends the
    harness no oadrDistributeEvent (in pull, the harness's polls are answered with oadrResponse
    200: nothing queued). A tester confirms the VTN holds no event for the VEN and no answer of
    it (our VTN: no current event for the VEN, no eventResponse recorded)."""
    ven_id = await registered(ctx)
    answer = await request_events(ctx, "the oadrRequestEvent of a VEN without events")
    ctx.check(
        not answer.events,
        f"the VTN's answer carries no event (it carries {', '.join(map(_named, answer.events))})",
    )
    mark = ctx.harness.mark()
    later = await quiet(ctx)
    ctx.check(
        not later,
        f"the VTN sends no oadrDistributeEvent afterwards ({len(later)} came): it expects no"
        " oadrCreatedEvent for an empty one",
    )
    if ctx.pull:
        answers = ctx.harness.inbox.of(OadrResponse, since=mark)
        ctx.check(
            bool(answers) and all(item.ei_response.response_code == ResponseCode.OK for item in answers),
            "the VTN answers the harness's polls with oadrResponse 200 (nothing queued)",
        )

    async def holds_nothing(view: VtnView) -> bool:
        ven = await view.ven(ven_id)
        return ven is not None and not await view.vtn.events.current(ven) and not view.journal.event_responses

    await ctx.observe("the VTN holds no event for the VEN and no answer of it", holds_nothing)


async def _one_signal_event(ctx: VtnCaseContext, signal: Signal, what: str) -> None:
    """The VTN creates one pending event of ``signal``; the harness checks it and opts in."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[signal], start=ahead(ctx, 10))
    delivered = await create_event(ctx, spec, what)
    check_status(ctx, delivered.event, PENDING, what)
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], what)
    await ctx.observe(
        f"the VTN records the VEN's optIn to {what}",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )


@case(
    "E1_1020",
    role=Role.VTN,
    title="ELECTRICITY_PRICE event (signalType price, currency units); VEN answers oadrCreatedEvent",
    rules=(2, 7, 8, 14, 48),
)
async def price_event(ctx: VtnCaseContext) -> None:
    """The VTN is made to create an event for the harness starting in 10 minutes with one
    ELECTRICITY_PRICE signal: signalType price, units USD per kWh (itemBase currencyPerKWh),
    two one-minute intervals at 0.1250 and 0.3375, response required. The oadrDistributeEvent
    that follows must carry it as asked: modificationNumber 0, pending (far or near), dtstart
    and duration, the signal's name, type, units and interval values in order, oadrResponseRequired
    always, an eiTarget naming the venID (rules 2, 7, 8 and 14 are checked on the way). The
    harness answers with an oadrCreatedEvent opting in; the VTN must answer with oadrResponse 200
    echoing the requestID (rule 48). A tester confirms the VTN records the optIn (our VTN: the
    VEN's stored answer to version 0 is optIn)."""
    await _one_signal_event(ctx, price("0.1250", "0.3375"), "the ELECTRICITY_PRICE event")


@case(
    "E1_1025",
    role=Role.VTN,
    title="LOAD_DISPATCH event (setpoint, powerReal units)",
    rules=(2, 7, 8, 14, 48),
)
async def dispatch_event(ctx: VtnCaseContext) -> None:
    """As E1_1020 with a LOAD_DISPATCH signal: signalType setpoint, units powerReal in kW (240 V
    AC at 60 Hz), two one-minute intervals of 5 and 2.5 kW. The distribution must carry the signal
    exactly as asked; the harness opts in and the VTN must answer oadrResponse 200 (rule 48); a
    tester confirms the VTN records the optIn."""
    await _one_signal_event(ctx, dispatch("5", "2.5"), "the LOAD_DISPATCH event")


@case("E1_1027", role=Role.VTN, title="event with an eiEventBaseline", rules=(2, 8, 48))
async def baseline_event(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (levels 2 then 1, a minute each, starting in 10
    minutes) with an eiEventBaseline (7.4 then 6.9, a minute each, from the event's start); it is
    checked as in E1_1020 and answered with optIn (oadrResponse 200, rule 48). A baseline is
    optional for a VTN: when the VTN sends the event without one the case is not applicable. The
    baseline must be well built: a baselineID and a baselineName, intervals with uids 0, 1, 2, ...
    (as rule 2 asks of signals) each with a duration and a value, their durations adding up to the
    baseline's duration (as rule 8 asks), and the values asked for."""
    ven_id = await registered(ctx)
    asked = Baseline(intervals=[(timedelta(minutes=1), "7.4"), (timedelta(minutes=1), "6.9")])
    spec = EventSpec(ven_id=ven_id, signals=[simple(2, 1)], start=ahead(ctx, 10), baseline=asked)
    delivered = await create_event(ctx, spec, "the event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event")
    baseline = delivered.event.ei_event.baseline
    if baseline is None:
        ctx.not_applicable(
            "the VTN sent the event without an eiEventBaseline: a baseline is optional for a VTN"
        )
    ctx.check(
        bool(baseline.baseline_id.strip()) and bool(baseline.baseline_name.strip()),
        "the eiEventBaseline has a baselineID and a baselineName",
    )
    uids = [interval.uid for interval in baseline.intervals]
    ctx.check(
        bool(uids) and uids == [str(index) for index in range(len(uids))],
        f"the baseline's intervals carry uids 0, 1, 2, ... in order (they carry {uids})",
    )
    durations = [interval.duration for interval in baseline.intervals]
    ctx.check(
        all(duration is not None for duration in durations),
        "every interval of the baseline has a duration",
    )
    total = sum((duration for duration in durations if duration is not None), timedelta())
    ctx.check(
        total == baseline.duration,
        f"the baseline's intervals add up to its duration {baseline.duration} (they last {total})",
    )
    ctx.check(
        all(
            any(isinstance(payload, PayloadFloat) for payload in interval.payloads)
            for interval in baseline.intervals
        ),
        "every interval of the baseline carries a value",
    )
    values = [
        payload.value
        for interval in baseline.intervals
        for payload in interval.payloads
        if isinstance(payload, PayloadFloat)
    ]
    ctx.check(
        values == [Decimal("7.4"), Decimal("6.9")], f"the baseline carries the values asked for ({values})"
    )


@case("E1_1030", role=Role.VTN, title="an event, then its modification: both answered", rules=(48,))
async def modified_event(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (levels 1 then 2, five minutes each, starting in
    10 minutes); the harness opts in (oadrResponse 200). The VTN is then made to modify it: the
    same start, levels 3 then 1, priority 2. The distribution that follows must carry the same
    eventID with modificationNumber 1, still pending, with the new levels and priority (a change
    without a new modificationNumber is a failure, checked on every distribution). The harness
    answers version 1 with optOut; the VTN must answer oadrResponse 200 (rule 48). A tester
    confirms the VTN records the answer to each version in turn (our VTN: optIn to version 0,
    then optOut to version 1 as the VEN's latest answer)."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, 2, minutes=5)], start=ahead(ctx, 10), priority=1)
    first = await create_event(ctx, spec, "the event")
    check_status(ctx, first.event, PENDING, "the event")
    await respond(ctx, first.distribution, [Answer.to(first.event)], "the event")
    await ctx.observe(
        "the VTN records the VEN's optIn to version 0",
        stored(ven_id, first.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )
    changed = EventSpec(ven_id=ven_id, signals=[levels(3, 1, minutes=5)], start=spec.start, priority=2)
    second = await modify_event(ctx, first.event, changed, "the modified event")
    check_status(ctx, second.event, PENDING, "the modified event")
    await respond(ctx, second.distribution, [Answer.to(second.event, OptType.OPT_OUT)], "the modified event")
    await ctx.observe(
        "the VTN records the VEN's optOut to version 1 as its latest answer",
        stored(ven_id, first.event_id, modification_number=1, opt_type=OptType.OPT_OUT),
    )


@case(
    "E1_1040",
    role=Role.VTN,
    title=(
        "several events, SIMPLE and complex signals, in one payload; one oadrCreatedEvent with one "
        "eventResponse each"
    ),
    rules=(7, 9, 15, 48),
)
async def several_events(ctx: VtnCaseContext) -> None:
    """The VTN is made to create three events for the harness: a SIMPLE event (levels 2, 1;
    in 10 minutes), an event with two signals (ELECTRICITY_PRICE in USD/kWh and LOAD_DISPATCH
    setpoints in kW; in 15 minutes), and a LOAD_DISPATCH delta event with negative values (in 20
    minutes). An oadrDistributeEvent must then carry all three (each checked against what was
    asked, and ordered by start as rule 15 asks of pending events). The harness answers them in
    one oadrCreatedEvent with one eventResponse each (optIn, optIn, optOut); the VTN must answer
    oadrResponse 200 (rule 48). A tester confirms the VTN records each answer (our VTN: the three
    answers are stored)."""
    ven_id = await registered(ctx)
    specs = {
        "the SIMPLE event": EventSpec(ven_id=ven_id, signals=[simple(2, 1)], start=ahead(ctx, 10)),
        "the price and dispatch event": EventSpec(
            ven_id=ven_id, signals=[price("0.21", "0.45"), dispatch("10", "8")], start=ahead(ctx, 15)
        ),
        "the delta dispatch event": EventSpec(
            ven_id=ven_id, signals=[dispatch("-1.5", "-3", kind=SignalType.DELTA)], start=ahead(ctx, 20)
        ),
    }
    distribution, found = await create_events(ctx, specs)
    order = [event_id_of(item) for item in distribution.events if item in found.values()]
    expected = [event_id_of(found[name]) for name in specs]
    ctx.check(order == expected, "the distribution lists the three pending events by start (rule 15)")
    decisions = dict(zip(specs, (OptType.OPT_IN, OptType.OPT_IN, OptType.OPT_OUT), strict=True))
    answers = [Answer.to(found[name], decisions[name]) for name in specs]
    await respond(ctx, distribution, answers, "the three events")

    async def all_recorded(view: VtnView) -> bool:
        for name, item in found.items():
            holds = stored(ven_id, event_id_of(item), modification_number=0, opt_type=decisions[name])
            if not await holds(view):
                return False
        return True

    await ctx.observe("the VTN records the VEN's answer to each of the three events", all_recorded)


@case(
    "E1_1050",
    role=Role.VTN,
    title="VEN uses oadrRequestEvent and receives all current events",
    rules=(14, 15, 48),
)
async def request_all_events(ctx: VtnCaseContext) -> None:
    """The VTN is made to create two events for the harness: one pending (in 10 minutes) and one
    active (started a minute ago, 20 minutes long). The harness takes the distribution that
    follows without answering it, then asks with oadrRequestEvent: the answer must be an
    oadrDistributeEvent with eiResponse 200 echoing the requestID, from the VTN's vtnID, with
    both events in the versions sent (no more events), the active one first with its running
    level as currentValue (rules 14 and 15). The harness answers that distribution with one
    oadrCreatedEvent (both optIn); the VTN must answer oadrResponse 200 (rule 48), and a tester
    confirms it records both answers."""
    ven_id = await registered(ctx)
    specs = {
        "the pending event": EventSpec(
            ven_id=ven_id, signals=[levels(1, 2, minutes=5)], start=ahead(ctx, 10)
        ),
        "the active event": EventSpec(ven_id=ven_id, signals=[levels(2, 1)], start=ahead(ctx, -1)),
    }
    _, found = await create_events(ctx, specs)
    check_status(ctx, found["the active event"], {EventStatus.ACTIVE}, "the active event")
    answer = await request_events(ctx, "the oadrRequestEvent")
    got = {_named(item) for item in answer.events}
    wanted = {_named(item) for item in found.values()}
    ctx.check(
        got == wanted,
        f"the answer carries both current events in the versions sent ({', '.join(sorted(wanted))};"
        f" it carries {', '.join(sorted(got)) or 'none'})",
    )
    ctx.check(
        [event_id_of(item) for item in answer.events][:1] == [event_id_of(found["the active event"])],
        "the active event comes first in the answer (rule 15)",
    )
    await respond(ctx, answer, [Answer.to(item) for item in answer.events], "the events it asked for")

    async def both_recorded(view: VtnView) -> bool:
        for item in found.values():
            if not await stored(ven_id, event_id_of(item), modification_number=0, opt_type=OptType.OPT_IN)(
                view
            ):
                return False
        return True

    await ctx.observe("the VTN records the VEN's optIn to both events", both_recorded)


@case(
    "E1_1060",
    role=Role.VTN,
    title="VEN opts out of an event for a subset of resources with oadrCreateOpt (eventID)",
)
async def opt_out_resources(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 15 minutes); the harness opts in
    (oadrCreatedEvent, oadrResponse 200). The harness then opts out of that event for one of its
    resources only (``TH-RESOURCE-1``): an oadrCreateOpt with optType optOut, optReason
    notParticipating, the event's qualifiedEventID (no availability schedule) and an eiTarget
    naming the resource. The VTN must accept it with an oadrCreatedOpt 200 echoing the requestID
    and the optID. A tester confirms the VTN keeps the opt for that event and resource, and still
    counts the VEN in for the event with its other resources: an opt for a subset of resources is
    not an optOut of the whole VEN (our VTN: the opt is in force, naming the event and the
    resource, and the VEN's answer to the event as a whole is still its optIn)."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[simple(1, 2)], start=ahead(ctx, 15))
    delivered = await create_event(ctx, spec, "the event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event")
    opt = await create_opt(
        ctx, delivered.event, "an optOut of the event for one resource", resource_ids=[RESOURCE]
    )

    async def keeps_opt(view: VtnView) -> bool:
        return any(
            held.opt_id == opt.opt_id
            and held.qualified_event_id == delivered.qualified
            and held.opt_type == OptType.OPT_OUT
            and RESOURCE in held.target.resource_ids
            for held in await view.vtn.opts.list(ven_id)
        )

    await ctx.observe(f"the VTN keeps the VEN's optOut of the event for {RESOURCE}", keeps_opt)
    await ctx.observe(
        f"the VTN still counts the VEN in for the event with its resources other than {RESOURCE}",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )


@case(
    "E1_1065",
    role=Role.VTN,
    title="after an oadrCreateOpt, a later oadrCreatedEvent for that event is ignored by the VTN (rule 206)",
    rules=(48, 206),
)
async def opt_overrides_created_event(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 15 minutes); the harness opts in
    (oadrCreatedEvent, oadrResponse 200), then opts out of the whole event with oadrCreateOpt
    (optOut, the event's qualifiedEventID; oadrCreatedOpt 200). Then it sends another
    oadrCreatedEvent for the same version saying optIn. The VTN must answer it with oadrResponse
    200 (it names valid IDs, rule 48) but ignore it (rule 206: the opt overrides any later
    oadrCreatedEvent for the event). A tester confirms the VTN still counts the VEN out of the
    event (our VTN: the VEN's stored answer is the optOut of its oadrCreateOpt, and the journal
    shows the later optIn reached the VTN and was overridden)."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[simple(1, 2)], start=ahead(ctx, 15))
    delivered = await create_event(ctx, spec, "the event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event")
    opt = await create_opt(ctx, delivered.event, "an optOut of the whole event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event, after the opt")
    event_id = delivered.event_id

    async def opt_stands(view: VtnView) -> bool:
        latest = [record for record in await view.responses(event_id) if record.ven_id == ven_id]
        overridden = [
            record
            for record, ignored in view.journal.event_responses
            if ignored and record.event_id == event_id and record.opt_type == OptType.OPT_IN
        ]
        return (
            len(latest) == 1
            and latest[0].opt_type == OptType.OPT_OUT
            and latest[0].opt_id == opt.opt_id
            and bool(overridden)
        )

    await ctx.observe(
        "the VTN ignores the later optIn: the VEN stays opted out of the event by its oadrCreateOpt",
        opt_stands,
    )


@case(
    "E1_1070",
    role=Role.VTN,
    title="negative: custom (x-) signal the VEN does not support → eventResponse 460",
    rules=(7, 48),
)
async def unsupported_signal(ctx: VtnCaseContext) -> None:
    """The VTN is made to create an event (in 10 minutes) whose only signal is a custom one
    (``x-openadrAccelUnsupported``, signalType level, two one-minute intervals at 1 and 2): rule 7
    lets a custom name take any type, and the distribution must carry it as asked. The harness
    cannot support a signal nobody defined: it answers with an eventResponse 460 (signal not
    supported) and optOut. That is a valid answer naming valid IDs, so the VTN must accept it with
    oadrResponse 200 (rule 48). A tester confirms the VTN records the refusal (our VTN: the VEN's
    stored answer is 460, optOut)."""
    ven_id = await registered(ctx)
    custom = Signal(
        name=UNSUPPORTED_SIGNAL,
        type=SignalType.LEVEL,
        intervals=[(timedelta(minutes=1), 1), (timedelta(minutes=1), 2)],
    )
    spec = EventSpec(ven_id=ven_id, signals=[custom], start=ahead(ctx, 10))
    delivered = await create_event(ctx, spec, "the custom-signal event")
    refusal = Answer.to(delivered.event, OptType.OPT_OUT, ResponseCode.SIGNAL_NOT_SUPPORTED)
    await respond(ctx, delivered.distribution, [refusal], "the custom-signal event (460)")
    await ctx.observe(
        "the VTN records the VEN's refusal of the custom signal (460, optOut)",
        stored(
            ven_id,
            delivered.event_id,
            modification_number=0,
            opt_type=OptType.OPT_OUT,
            code=ResponseCode.SIGNAL_NOT_SUPPORTED,
        ),
    )


@case(
    "E1_1080",
    role=Role.VTN,
    title="negative: IDs are case-sensitive; an eventID with swapped case → 452",
    rules=(21, 48),
)
async def event_id_case(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 10 minutes). The harness answers it with an
    oadrCreatedEvent whose eventResponse names the eventID with every letter's case swapped (the
    same modificationNumber). IDs are case-sensitive, so that names no event of the VEN's: the VTN
    must answer oadrResponse 452 (rules 21 and 48), and a tester confirms it recorded no answer
    (our VTN: no stored answer to the event). The harness then answers with the true eventID: the
    VTN must answer 200 and record the optIn, which shows the refusal was about the case alone.
    An eventID without letters cannot be tested this way: not applicable."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[simple(1)], start=ahead(ctx, 10))
    delivered = await create_event(ctx, spec, "the event")
    event_id = delivered.event_id
    swapped = event_id.swapcase()
    if swapped == event_id:
        ctx.not_applicable(f"the eventID {event_id!r} has no letters whose case could be swapped")
    wrong = Answer(
        QualifiedEventID(event_id=swapped, modification_number=delivered.qualified.modification_number)
    )
    await respond(
        ctx,
        delivered.distribution,
        [wrong],
        f"the event named {swapped!r}",
        expect=(ResponseCode.INVALID_ID,),
    )
    await ctx.observe(
        "the VTN records no answer from the eventID in the wrong case", nothing_stored(ven_id, event_id)
    )
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event, rightly named")
    await ctx.observe(
        "the VTN records the VEN's optIn under the true eventID",
        stored(ven_id, event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )
