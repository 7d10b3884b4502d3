"""2.0a-profile event cases re-run on a 2.0b VTN: A_E3_0xxx (pull) / A_E2_0xxx (push) ``TH_VEN``.

The harness plays a VEN; the VTN under test is made to create, modify and cancel events, and the
harness checks what it distributes and how it takes the VEN's answers. The shared steps
(making the VTN act and checking the distribution that follows, answering with the harness's own
oadrCreatedEvent, asking with oadrRequestEvent, listening) are those of :mod:`.events_vtn`.

The state sequences A_E3_0452 … A_E3_0498 are one case per combination of the event's state,
whether it was modified, the VEN's answer and oadrResponseRequired, numbered in this nesting
order (state outermost)::

    case       state      modified  VEN answer  oadrResponseRequired
    A_E3_0452  pending    no        optIn       always
    A_E3_0454  pending    no        optIn       never
    A_E3_0456  pending    no        optOut      always
    A_E3_0458  pending    no        optOut      never
    A_E3_0460  pending    once      optIn       always
    A_E3_0462  pending    once      optIn       never
    A_E3_0464  pending    once      optOut      always
    A_E3_0466  pending    once      optOut      never
    A_E3_0468  active     no        optIn       always
    A_E3_0470  active     no        optIn       never
    A_E3_0472  active     no        optOut      always
    A_E3_0474  active     no        optOut      never
    A_E3_0476  active     once      optIn       always
    A_E3_0478  active     once      optIn       never
    A_E3_0480  active     once      optOut      always
    A_E3_0482  active     once      optOut      never
    A_E3_0484  cancelled  no        optIn       always
    A_E3_0486  cancelled  no        optIn       never
    A_E3_0488  cancelled  no        optOut      always
    A_E3_0490  cancelled  no        optOut      never
    A_E3_0492  cancelled  once      optIn       always
    A_E3_0494  cancelled  once      optIn       never
    A_E3_0496  cancelled  once      optOut      always
    A_E3_0498  cancelled  once      optOut      never

Each sequence: the VTN is made to create a SIMPLE event (levels 1, 2; ten minutes each) with that
oadrResponseRequired, pending (starting in 10 minutes) or active (started a minute ago, for the
active sequences); "modified once": it then modifies it (levels 2, 3; same start), still in its
state; "cancelled": it then cancels it (while pending). Every version the VTN distributes must
be built as asked and carry the state (pending: far or near; active: active; the cancellation:
cancelled, with modificationNumber + 1). With ``always`` the harness answers every version with
an oadrCreatedEvent of its answer, and the VTN must accept each with oadrResponse 200 (rule 48).
With ``never`` the harness sends no oadrCreatedEvent at all; an optOut is then given the 2.0b way
that needs no response, an oadrCreateOpt naming the version first received (oadrCreatedOpt 200);
an optIn is simply silence. The VTN must not require the missing answers: a few seconds later
it still holds the event, at its last version, for the VEN (checked with oadrRequestEvent). A
tester then confirms what the VTN recorded (our VTN: ``always``, the answer to the last version;
``never`` with optIn, no answer at all; ``never`` with optOut, the opt's optOut).

Rule 15 (event ordering) is checked on every distribution; A_E3_0510, 0520 and 0525 also check it
explicitly on events made for the purpose. The near eventStatus (A_E3_0527) is the VTN's choice
of window: our VTN calls it ``VtnConfig.near_window`` (one hour by default, which
:class:`~openadr_accel.conformance.our_vtn.OurVtnFactory` keeps).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from ...model import (
    EiTarget,
    EventStatus,
    OadrDistributeEvent,
    OadrEvent,
    OadrResponse,
    OptType,
    QualifiedEventID,
    ResponseCode,
    ResponseRequired,
)
from ...vtn.policies import new_id
from ..build import MARKET_CONTEXT
from ..case import CaseBody, Role, case
from ..context import VtnCaseContext
from ..devices import EventSpec
from ..transcript import message_name
from .events_vtn import (
    PENDING,
    RESOURCE,
    START_TOLERANCE,
    Answer,
    Delivered,
    ahead,
    cancel_event,
    check_built,
    check_status,
    create_event,
    create_events,
    create_opt,
    event_id_of,
    find,
    levels,
    modify_event,
    nothing_stored,
    quiet,
    receive,
    registered,
    request_events,
    respond,
    send_request_event,
    slack,
    stored,
    wait_until,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..our_vtn import VtnView

    VtnPredicate = Callable[[VtnView], Awaitable[bool]]

__all__ = ["SEQUENCES", "State", "StateSequence"]

_ACTIVE = frozenset({EventStatus.ACTIVE})
_STATUS_ORDER = {EventStatus.FAR: 0, EventStatus.NEAR: 1, EventStatus.ACTIVE: 2}


def _named(item: OadrEvent) -> str:
    qualified = item.qualified_event_id
    return f"{qualified.event_id}#{qualified.modification_number}"


def _all_stored(ven_id: str, answers: Sequence[tuple[OadrEvent, OptType, ResponseCode]]) -> VtnPredicate:
    """Our VTN keeps each (event version, optType, responseCode) as the VEN's latest answer."""

    async def holds(view: VtnView) -> bool:
        for item, opt_type, code in answers:
            number = item.qualified_event_id.modification_number
            if not await stored(
                ven_id, event_id_of(item), modification_number=number, opt_type=opt_type, code=code
            )(view):
                return False
        return True

    return holds


async def _still_held(ctx: VtnCaseContext, item: OadrEvent, what: str) -> None:
    """After :func:`quiet`, the VTN still holds ``item`` (that version) for the VEN."""
    await quiet(ctx)
    answer = await request_events(ctx, f"the oadrRequestEvent after {what}")
    held = find(answer, event_id_of(item))
    ctx.check(
        held is not None and held.qualified_event_id == item.qualified_event_id,
        f"the VTN still holds {what} at version {_named(item)} for the VEN, without an answer"
        f" (it lists {', '.join(map(_named, answer.events)) or 'no event'})",
    )


# -- active, optional elements, targets ------------------------------------------------------------


@case("A_E3_0420", role=Role.VTN, title="eventStatus active", rules=(14, 48))
async def status_active(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event starting in 3 minutes (levels 1 then 2, ten
    minutes each); it is distributed pending and the harness opts in (oadrResponse 200). Once the
    event has started (a minute after its dtstart), the harness asks with oadrRequestEvent: the
    VTN must list the event with eventStatus active, still at modificationNumber 0 (a change of
    status is no modification), with currentValue 1, the level of the interval running (rule
    14). A tester confirms the VTN records the optIn."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, 2)], start=ahead(ctx, 3))
    delivered = await create_event(ctx, spec, "the event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event")
    await wait_until(ctx, delivered.event.ei_event.active_period.dtstart + timedelta(minutes=1))
    answer = await request_events(ctx, "the oadrRequestEvent once the event has started")
    item = find(answer, delivered.event_id)
    if item is None:
        ctx.fail("the VTN lists the event once it has started")
    check_status(ctx, item, _ACTIVE, "the started event")
    ctx.check(
        item.qualified_event_id.modification_number == 0,
        "the started event keeps modificationNumber 0 (a change of status is no modification)",
    )
    values = [signal.current_value for signal in item.ei_event.signals]
    ctx.check(values == [1], f"the started event's currentValue is 1, its first level (it is {values})")
    await ctx.observe(
        "the VTN records the VEN's optIn to the event",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )


async def _optional(ctx: VtnCaseContext, spec: EventSpec, what: str) -> Delivered:
    delivered = await create_event(ctx, spec, what)
    created = delivered.event.ei_event.event_descriptor.created_date_time
    ctx.check(
        created <= ctx.now() + slack(ctx),
        f"{what} was created no later than it arrived (createdDateTime {created.isoformat()})",
    )
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], what)
    await ctx.observe(
        f"the VTN records the VEN's optIn to {what}",
        stored(spec.ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )
    return delivered


@case("A_E3_0430", role=Role.VTN, title="optional elements (event descriptor)", rules=(6, 48))
async def optional_descriptor(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 10 minutes) with the optional elements of the
    eventDescriptor: priority 3 and a vtnComment, not a test event. The distribution must carry
    each as asked (priority 3, the vtnComment, testEvent absent or false: rule 6), a
    createdDateTime no later than its arrival, and everything else asked (checked as in E1_1020).
    The harness opts in: oadrResponse 200 (rule 48), and a tester confirms the optIn is recorded."""
    ven_id = await registered(ctx)
    spec = EventSpec(
        ven_id=ven_id,
        signals=[levels(1, 2, minutes=2)],
        start=ahead(ctx, 10),
        priority=3,
        vtn_comment="TH A_E3_0430: optional elements",
    )
    await _optional(ctx, spec, "the event with optional descriptor elements")


@case("A_E3_0432", role=Role.VTN, title="optional elements (test event, randomization, market context)")
async def optional_period(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE test event (in 10 minutes) with a randomized start
    (tolerance startafter of 5 minutes) in the market context
    ``http://conformance.openadr-accel.example/market``. The distribution must carry testEvent
    true (rule 6: anything other than false is a test event), the startafter of 5 minutes and the
    market context as asked, and everything else asked. The harness opts in: oadrResponse 200,
    and a tester confirms the optIn is recorded."""
    ven_id = await registered(ctx)
    spec = EventSpec(
        ven_id=ven_id,
        signals=[levels(1, 2, minutes=2)],
        start=ahead(ctx, 10),
        test_event=True,
        start_after=timedelta(minutes=5),
        market_context=MARKET_CONTEXT,
    )
    await _optional(ctx, spec, "the randomized test event")


OTHER_VEN = "TH-OTHER-VEN"
"""A venID that is not the harness's: an event for it must not reach the harness (A_E3_0435)."""


@case("A_E3_0435", role=Role.VTN, title="eiTarget configuration", rules=(48,))
async def target_configuration(ctx: VtnCaseContext) -> None:
    """The VTN is made to create two events: first one targeted at another VEN only (venID
    ``TH-OTHER-VEN``, in 20 minutes), then, a few seconds later, one targeted at the harness's
    venID and its resource ``TH-RESOURCE-1`` (in 10 minutes). The distribution that brings the
    harness's event must carry its eiTarget as configured (the venID and the resourceID), and
    neither it, nor any distribution before it, nor the answer to an oadrRequestEvent may carry
    the other VEN's event (a VTN sends a VEN only the events that
    target it). The harness opts in: oadrResponse 200."""
    ven_id = await registered(ctx)
    other = EventSpec(
        ven_id=OTHER_VEN,
        signals=[levels(1, minutes=2)],
        start=ahead(ctx, 20),
        target=EiTarget(ven_ids=(OTHER_VEN,)),
    )
    mine = EventSpec(
        ven_id=ven_id,
        signals=[levels(2, minutes=2)],
        start=ahead(ctx, 10),
        target=EiTarget(ven_ids=(ven_id,), resource_ids=(RESOURCE,)),
    )
    await ctx.device.create_event(other)
    early = await quiet(ctx)  # a VTN that sends the other VEN's event to the harness does it now
    mark = ctx.harness.mark()
    await ctx.device.create_event(mine)

    def starts_as_mine(item: OadrEvent) -> bool:
        return abs(item.ei_event.active_period.dtstart - mine.start) <= START_TOLERANCE

    distribution = await receive(
        ctx,
        since=mark,
        where=lambda message: any(starts_as_mine(item) for item in message.events),
        what="an oadrDistributeEvent with the event targeted at the VEN and its resource",
        timeout=ctx.timeouts.action,
    )
    answer = await request_events(ctx, "the oadrRequestEvent")

    def foreign(message: OadrDistributeEvent) -> list[str]:
        return [
            _named(item)
            for item in message.events
            if abs(item.ei_event.active_period.dtstart - other.start) <= START_TOLERANCE
            or OTHER_VEN in item.ei_event.target.ven_ids
        ]

    for message, what in (
        *((message, "distribution") for message in early),
        (distribution, "distribution"),
        (answer, "answer to oadrRequestEvent"),
    ):
        found = foreign(message)
        ctx.check(
            not found, f"the VTN's {what} carries no event targeted at another VEN ({', '.join(found)})"
        )
    item = next(item for item in distribution.events if starts_as_mine(item))
    check_built(ctx, item, mine, "the event targeted at the VEN and its resource")
    delivered = Delivered(distribution, item)
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the targeted event")


# -- answers: optIn and optOut ---------------------------------------------------------------------


def _two(ctx: VtnCaseContext, ven_id: str) -> dict[str, EventSpec]:
    return {
        "the first event": EventSpec(ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, 10)),
        "the second event": EventSpec(ven_id=ven_id, signals=[levels(2, minutes=2)], start=ahead(ctx, 15)),
    }


@case("A_E3_0440", role=Role.VTN, title="optIn and optOut in one oadrCreatedEvent", rules=(48,))
async def mixed_answers_in_one(ctx: VtnCaseContext) -> None:
    """The VTN is made to create two events (in 10 and 15 minutes); once one distribution carries
    both, the harness answers them in one oadrCreatedEvent: optIn to the first, optOut to the
    second. The VTN must accept it with oadrResponse 200 (rule 48), and a tester confirms it
    records each answer for its own event (our VTN: optIn and optOut stored apart)."""
    ven_id = await registered(ctx)
    distribution, found = await create_events(ctx, _two(ctx, ven_id))
    first, second = found["the first event"], found["the second event"]
    answers = [Answer.to(first), Answer.to(second, OptType.OPT_OUT)]
    await respond(ctx, distribution, answers, "both events (optIn and optOut)")
    await ctx.observe(
        "the VTN records the optIn to the first event and the optOut of the second",
        _all_stored(
            ven_id, [(first, OptType.OPT_IN, ResponseCode.OK), (second, OptType.OPT_OUT, ResponseCode.OK)]
        ),
    )


@case("A_E3_0450", role=Role.VTN, title="optIn and optOut in two oadrCreatedEvents", rules=(48,))
async def mixed_answers_in_two(ctx: VtnCaseContext) -> None:
    """As A_E3_0440, but the harness answers in two oadrCreatedEvents, one per event: optOut of
    the second event first, then optIn to the first. The VTN must accept each with oadrResponse
    200 (rule 48), the second answer not undoing the first, and a tester confirms it records
    both."""
    ven_id = await registered(ctx)
    distribution, found = await create_events(ctx, _two(ctx, ven_id))
    first, second = found["the first event"], found["the second event"]
    await respond(ctx, distribution, [Answer.to(second, OptType.OPT_OUT)], "the second event (optOut)")
    await respond(ctx, distribution, [Answer.to(first)], "the first event (optIn)")
    await ctx.observe(
        "the VTN records the optIn to the first event and the optOut of the second",
        _all_stored(
            ven_id, [(first, OptType.OPT_IN, ResponseCode.OK), (second, OptType.OPT_OUT, ResponseCode.OK)]
        ),
    )


# -- the state sequences ----------------------------------------------------------------------------


class State(StrEnum):
    """The state an event of a sequence ends in."""

    PENDING = "pending"
    ACTIVE = "active"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class StateSequence:
    """One of the state sequences A_E3_0452 … A_E3_0498 (see the module docstring)."""

    number: str
    state: State
    modified: bool
    answer: OptType
    required: ResponseRequired

    @property
    def title(self) -> str:
        modified = "modified once" if self.modified else "not modified"
        return (
            f"state sequence: {self.state} event, {modified}, the VEN answers {self.answer},"
            f" oadrResponseRequired {self.required}"
        )

    def describe(self) -> str:
        """The case's docstring."""
        start = "that started a minute ago" if self.state is State.ACTIVE else "starting in 10 minutes"
        steps = [
            f"The VTN is made to create a SIMPLE event (levels 1, 2; ten minutes each) {start}, with"
            f" oadrResponseRequired {self.required}; the distribution must carry it as asked, "
            + ("active." if self.state is State.ACTIVE else "pending (far or near).")
        ]
        if self.modified:
            steps.append(
                "The VTN is then made to modify it (levels 2, 3, the same start): modificationNumber 1,"
                f" still {'active' if self.state is State.ACTIVE else 'pending'}."
            )
        if self.state is State.CANCELLED:
            steps.append(
                "The VTN is then made to cancel it: the next version must be eventStatus cancelled with"
                " modificationNumber + 1."
            )
        if self.required is ResponseRequired.ALWAYS:
            steps.append(
                f"The harness answers every version with an oadrCreatedEvent saying {self.answer}; the VTN"
                " must accept each with oadrResponse 200 (rule 48), and a tester confirms it records the"
                f" {self.answer} to the last version."
            )
        else:
            how = (
                "an optIn is silence, so a tester confirms the VTN records no answer at all"
                if self.answer == OptType.OPT_IN
                else "its optOut is an oadrCreateOpt naming the first version (oadrCreatedOpt 200), and a"
                " tester confirms the VTN records that optOut"
            )
            steps.append(
                "The harness sends no oadrCreatedEvent (none is required) and the VTN must not require one:"
                " a few seconds later an oadrRequestEvent still lists the event at its last version;"
                f" {how}."
            )
        return " ".join(steps)


SEQUENCES: tuple[StateSequence, ...] = tuple(
    StateSequence(f"A_E3_{452 + 2 * index:04d}", state, modified, answer, required)
    for index, (state, modified, answer, required) in enumerate(
        itertools.product(
            State,
            (False, True),
            (OptType.OPT_IN, OptType.OPT_OUT),
            (ResponseRequired.ALWAYS, ResponseRequired.NEVER),
        )
    )
)
"""The 24 state sequences, in catalogue order (the table of the module docstring)."""


async def _run_sequence(ctx: VtnCaseContext, sequence: StateSequence) -> None:
    ven_id = await registered(ctx)
    always = sequence.required is ResponseRequired.ALWAYS
    active = sequence.state is State.ACTIVE
    start = ahead(ctx, -1) if active else ahead(ctx, 10)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, 2)], start=start, response_required=sequence.required)
    expected: Collection[EventStatus] = _ACTIVE if active else PENDING
    current = await create_event(ctx, spec, "the event")
    first = current.event
    check_status(ctx, current.event, expected, "the event")

    async def answer(delivered: Delivered, what: str) -> None:
        if always:
            await respond(ctx, delivered.distribution, [Answer.to(delivered.event, sequence.answer)], what)

    await answer(current, "the event")
    if not always and sequence.answer == OptType.OPT_OUT:
        await create_opt(ctx, first, "the VEN's optOut of the event, which needs no oadrCreatedEvent")
    if sequence.modified:
        changed = replace(spec, signals=[levels(2, 3)])
        current = await modify_event(ctx, current.event, changed, "the modified event")
        check_status(ctx, current.event, expected, "the modified event")
        await answer(current, "the modified event")
    if sequence.state is State.CANCELLED:
        current = await cancel_event(ctx, current.event, "the cancelled event")
        await answer(current, "the cancelled event")
    last = current.event
    event_id = event_id_of(last)
    if always:
        await ctx.observe(
            f"the VTN records the VEN's {sequence.answer} to the last version {_named(last)}",
            stored(
                ven_id,
                event_id,
                modification_number=last.qualified_event_id.modification_number,
                opt_type=sequence.answer,
            ),
        )
        return
    await _still_held(ctx, last, "the event")
    if sequence.answer == OptType.OPT_IN:
        await ctx.observe(
            "the VTN records no answer of the VEN's to the event (none was sent)",
            nothing_stored(ven_id, event_id),
        )
    else:
        await ctx.observe(
            "the VTN records the VEN's optOut of its oadrCreateOpt",
            stored(ven_id, event_id, modification_number=0, opt_type=OptType.OPT_OUT, by_opt=True),
        )


def _sequence_body(sequence: StateSequence) -> CaseBody:
    async def body(ctx: VtnCaseContext) -> None:
        await _run_sequence(ctx, sequence)

    body.__doc__ = sequence.describe()
    body.__name__ = body.__qualname__ = f"state_sequence_{sequence.number[-4:]}"
    return body


for _sequence in SEQUENCES:
    case(_sequence.number, role=Role.VTN, title=_sequence.title, rules=(14, 48))(_sequence_body(_sequence))


# -- asynchronous opt-out, ordering, near, overlap -----------------------------------------------------


@case("A_E3_0500", role=Role.VTN, title="asynchronous opt-out", rules=(48, 206))
async def asynchronous_opt_out(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 15 minutes); the harness opts in with
    oadrCreatedEvent (oadrResponse 200), and a tester confirms the VTN records the optIn. Later,
    with no new distribution, the harness opts out of the whole event with oadrCreateOpt (optOut,
    the event's qualifiedEventID); the VTN must accept it with oadrCreatedOpt 200 echoing the
    requestID and optID, and a tester confirms the VTN now counts the VEN out of the event (our
    VTN: the VEN's stored answer becomes the opt's optOut)."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, 2, minutes=2)], start=ahead(ctx, 15))
    delivered = await create_event(ctx, spec, "the event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event")
    await ctx.observe(
        "the VTN records the VEN's optIn to the event",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )
    await quiet(ctx, 1.0)
    await create_opt(ctx, delivered.event, "the later optOut of the event")
    await ctx.observe(
        "the VTN counts the VEN out of the event after its asynchronous optOut",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_OUT, by_opt=True),
    )


async def _ordering(
    ctx: VtnCaseContext, specs: dict[str, EventSpec], order: Sequence[str], what: str
) -> None:
    """Create ``specs`` (in the dict's order); the distribution carrying them all, and the answer
    to an oadrRequestEvent, must list them in ``order``; the harness answers them all."""
    distribution, found = await create_events(ctx, specs)
    names = {event_id_of(item): name for name, item in found.items()}
    expected = " < ".join(order)
    answer = await request_events(ctx, "the oadrRequestEvent")
    for message, where in ((distribution, "distribution"), (answer, "answer to oadrRequestEvent")):
        listed = [names[event_id_of(item)] for item in message.events if event_id_of(item) in names]
        ctx.check(
            listed == list(order),
            f"the VTN's {where} lists {what} as rule 15 asks: {expected} (it lists {' < '.join(listed)})",
        )
    await respond(ctx, answer, [Answer.to(item) for item in answer.events], what)


@case("A_E3_0510", role=Role.VTN, title="event ordering: pending events by start", rules=(15, 48))
async def order_pending(ctx: VtnCaseContext) -> None:
    """The VTN is made to create three pending events, the latest first: starting in 30, 20 and
    10 minutes. The distribution that carries all three and the answer to an oadrRequestEvent
    must list them by start, earliest first (rule 15). The harness answers them (200)."""
    ven_id = await registered(ctx)
    specs = {
        f"the event in {minutes} minutes": EventSpec(
            ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, minutes)
        )
        for minutes in (30, 20, 10)
    }
    await _ordering(ctx, specs, list(reversed(specs)), "the pending events")


@case(
    "A_E3_0520",
    role=Role.VTN,
    title="event ordering: active events by priority, then start",
    rules=(15, 48),
)
async def order_active(ctx: VtnCaseContext) -> None:
    """The VTN is made to create four events that are already active (twenty minutes long):
    priority 2 started 8 minutes ago, priority 1 started 6 minutes ago, priority 2 started 4
    minutes ago, priority 3 started 2 minutes ago. The distribution that carries them all and the
    answer to an oadrRequestEvent must list them by priority (1 highest) and, at equal priority,
    by start: priority 1, then the two of priority 2 (the earlier first), then priority 3 (rule
    15). The harness answers them (200)."""
    ven_id = await registered(ctx)
    specs = {
        f"the priority {priority} event from {minutes} minutes ago": EventSpec(
            ven_id=ven_id, signals=[levels(1, 2)], start=ahead(ctx, -minutes), priority=priority
        )
        for priority, minutes in ((2, 8), (1, 6), (2, 4), (3, 2))
    }
    names = list(specs)
    await _ordering(ctx, specs, [names[1], names[0], names[2], names[3]], "the active events")


@case(
    "A_E3_0525",
    role=Role.VTN,
    title="event ordering: active events first, then pending events",
    rules=(15, 48),
)
async def order_mixed(ctx: VtnCaseContext) -> None:
    """The VTN is made to create, in this order, a pending event starting in 20 minutes, an
    active event of priority 2 (started 4 minutes ago), a pending event starting in 10 minutes
    and an active event of priority 1 (started 2 minutes ago). The distribution that carries them
    all and the answer to an oadrRequestEvent must list the active events first, by priority
    (priority 1, then 2), then the pending ones by start (10, then 20 minutes) (rule 15). The
    harness answers them (200)."""
    ven_id = await registered(ctx)
    specs = {
        "the pending event in 20 minutes": EventSpec(
            ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, 20), priority=1
        ),
        "the active priority 2 event": EventSpec(
            ven_id=ven_id, signals=[levels(1, 2)], start=ahead(ctx, -4), priority=2
        ),
        "the pending event in 10 minutes": EventSpec(
            ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, 10), priority=3
        ),
        "the active priority 1 event": EventSpec(
            ven_id=ven_id, signals=[levels(2, 1)], start=ahead(ctx, -2), priority=1
        ),
    }
    names = list(specs)
    await _ordering(ctx, specs, [names[3], names[1], names[2], names[0]], "the active and pending events")


@case("A_E3_0527", role=Role.VTN, title="near eventStatus", rules=(14,))
async def status_near(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event starting in 8 minutes (four minutes long). The
    harness then asks for its events (oadrRequestEvent) every fraction of a second until the
    event has started. What the VTN says of the event must run forward only, far → near →
    active, never back; it must say near at least once before the event is active (the event is
    then inside the VTN's notification window: near is how a VTN says so); when the event
    carries an x-eiNotification, far only before that window and near only inside it; and
    active once it has started. Our VTN's window is ``VtnConfig.near_window`` (one hour by
    default), so it says near from the start."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, minutes=4)], start=ahead(ctx, 8))
    delivered = await create_event(ctx, spec, "the event")
    event_id = delivered.event_id
    period = delivered.event.ei_event.active_period
    margin = slack(ctx)
    seen: list[tuple[EventStatus, datetime]] = [
        (delivered.event.ei_event.event_descriptor.event_status, ctx.now())
    ]
    deadline = period.dtstart + timedelta(minutes=2)
    while ctx.now() < deadline and seen[-1][0] != EventStatus.ACTIVE:
        await quiet(ctx, 0.25)
        answer = await request_events(ctx, "the oadrRequestEvent", record=False)
        item = find(answer, event_id)
        if item is None:
            ctx.fail(f"the VTN lists the event {event_id} until it has started")
        seen.append((item.ei_event.event_descriptor.event_status, ctx.now()))
    statuses = [status for status, _ in seen]
    shown = " → ".join(
        status for index, status in enumerate(statuses) if index == 0 or status != statuses[index - 1]
    )
    ctx.check(
        all(status in _STATUS_ORDER for status in statuses),
        f"the VTN says far, near or active of the event before it ends ({shown})",
    )
    ranks = [_STATUS_ORDER[status] for status in statuses]
    ctx.check(ranks == sorted(ranks), f"the event's status runs forward only, far → near → active ({shown})")
    ctx.check(EventStatus.NEAR in statuses, f"the VTN says near of the event before it starts ({shown})")
    ctx.check(
        statuses[-1] == EventStatus.ACTIVE, f"the VTN says active of the event once it started ({shown})"
    )
    notification = period.notification
    if notification:
        window = period.dtstart - notification
        early = [when for status, when in seen if status == EventStatus.NEAR and when + margin < window]
        late = [when for status, when in seen if status == EventStatus.FAR and when >= window + margin]
        ctx.check(
            not early and not late,
            f"the VTN says far before the event's x-eiNotification window ({notification})"
            " and near inside it",
        )


@case("A_E3_0530", role=Role.VTN, title="overlapping events", rules=(14, 15, 48))
async def overlapping(ctx: VtnCaseContext) -> None:
    """The VTN is made to create two events whose active periods overlap: priority 2 from 2
    minutes on (levels 1, 2; ten minutes each) and priority 1 from 4 minutes on (levels 2, 3).
    The VTN must distribute both (overlap is no reason to drop or refuse one); the harness
    answers both in one oadrCreatedEvent (200). Once both have started, an oadrRequestEvent must
    list both as active, the priority 1 event first (rule 15), each with its own running level
    as currentValue (rule 14). A tester confirms the VTN records both optIns."""
    ven_id = await registered(ctx)
    specs = {
        "the priority 2 event": EventSpec(
            ven_id=ven_id, signals=[levels(1, 2)], start=ahead(ctx, 2), priority=2
        ),
        "the priority 1 event": EventSpec(
            ven_id=ven_id, signals=[levels(2, 3)], start=ahead(ctx, 4), priority=1
        ),
    }
    distribution, found = await create_events(ctx, specs)
    lower, higher = found["the priority 2 event"], found["the priority 1 event"]
    await respond(ctx, distribution, [Answer.to(lower), Answer.to(higher)], "both overlapping events")
    await wait_until(ctx, higher.ei_event.active_period.dtstart + timedelta(minutes=1))
    answer = await request_events(ctx, "the oadrRequestEvent while both events run")
    listed = [
        item for item in answer.events if event_id_of(item) in {event_id_of(lower), event_id_of(higher)}
    ]
    for item, name in ((lower, "the priority 2 event"), (higher, "the priority 1 event")):
        now = find(answer, event_id_of(item))
        if now is None:
            ctx.fail(f"the VTN lists {name} while both overlapping events run")
        check_status(ctx, now, _ACTIVE, f"{name}, which has started,")
    ctx.check(
        [event_id_of(item) for item in listed] == [event_id_of(higher), event_id_of(lower)],
        "the priority 1 event comes before the priority 2 event while both run (rule 15)",
    )
    await ctx.observe(
        "the VTN records the VEN's optIn to both overlapping events",
        _all_stored(
            ven_id, [(lower, OptType.OPT_IN, ResponseCode.OK), (higher, OptType.OPT_IN, ResponseCode.OK)]
        ),
    )


# -- oadrRequestEvent: limits, retries, all events, completion --------------------------------------


@case("A_E3_0655", role=Role.VTN, title="reply limit", rules=(15,))
async def reply_limit(ctx: VtnCaseContext) -> None:
    """The VTN is made to create three pending events (in 10, 20 and 30 minutes). The harness
    then asks with oadrRequestEvent and replyLimit 2: the answer must carry exactly two events,
    the first two of the full list in rule 15's order (the events starting in 10 and 20 minutes);
    with replyLimit 1, only the first; with replyLimit 5 (more than there are), all three. The
    answers carry eiResponse 200 echoing each requestID."""
    ven_id = await registered(ctx)
    specs = {
        f"the event in {minutes} minutes": EventSpec(
            ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, minutes)
        )
        for minutes in (10, 20, 30)
    }
    _, found = await create_events(ctx, specs)
    everything = [event_id_of(found[name]) for name in specs]
    for limit in (2, 1, 5):
        answer = await request_events(ctx, f"the oadrRequestEvent with replyLimit {limit}", reply_limit=limit)
        listed = [event_id_of(item) for item in answer.events]
        expected = everything[:limit]
        ctx.check(
            listed == expected,
            f"with replyLimit {limit} the VTN answers with the first {len(expected)} event(s) in order"
            f" ({', '.join(expected)}; it answers {', '.join(listed) or 'none'})",
        )


@case("A_E3_0657", role=Role.VTN, title="VTN cancel retries", rules=(21, 48))
async def cancel_retries(ctx: VtnCaseContext) -> None:
    """What 2.0b asks of a VTN whose cancellation is not acknowledged: an oadrDistributeEvent
    always carries all of a VEN's current events, so the VTN need not push or queue the
    cancellation again by itself, but it must keep telling it until the VEN acknowledges it (and
    at least until the event would have ended): every later distribution and every answer to
    oadrRequestEvent must carry the event cancelled at its cancelling version, never drop it or
    go back to an earlier version. The case: the VTN is made to create a SIMPLE event (in 10
    minutes, response required); the harness opts in (200). The VTN is made to cancel it; the
    harness takes the cancellation (modificationNumber 1, cancelled) and does not answer. Twice,
    a few seconds apart, it asks with oadrRequestEvent: the cancellation must still be there.
    Then it acknowledges the cancellation with an oadrCreatedEvent for version 1: oadrResponse
    200, and a tester confirms the VTN records it."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, 2, minutes=5)], start=ahead(ctx, 10))
    delivered = await create_event(ctx, spec, "the event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event")
    cancelled = await cancel_event(ctx, delivered.event, "the cancellation")
    for attempt in (1, 2):
        later = await quiet(ctx)
        for message in later:
            item = find(message, cancelled.event_id)
            ctx.check(
                item is not None and item.qualified_event_id == cancelled.qualified,
                "every later distribution carries the unacknowledged cancellation",
            )
        answer = await request_events(
            ctx, f"oadrRequestEvent number {attempt} after the unanswered cancellation"
        )
        item = find(answer, cancelled.event_id)
        ctx.check(
            item is not None
            and item.qualified_event_id == cancelled.qualified
            and item.ei_event.event_descriptor.event_status == EventStatus.CANCELLED,
            f"the VTN still tells the VEN of the cancellation it did not acknowledge (request {attempt})",
        )
    await respond(ctx, cancelled.distribution, [Answer.to(cancelled.event)], "the cancellation")
    await ctx.observe(
        "the VTN records the VEN's acknowledgement of the cancellation",
        stored(ven_id, cancelled.event_id, modification_number=1, opt_type=OptType.OPT_IN),
    )


@case("A_E3_0680", role=Role.VTN, title="return all events", rules=(15, 48))
async def return_all_events(ctx: VtnCaseContext) -> None:
    """The VTN is made to create three events one after the other (in 10, 15 and 20 minutes),
    the harness taking the distribution that follows each without answering. Each distribution
    must carry every current event of the VEN, not only the new one (an oadrDistributeEvent is
    the full list, not a delta): the second carries the first two, the third all three, each in
    the version sent. An oadrRequestEvent must then return all three. The harness answers them
    in one oadrCreatedEvent (200)."""
    ven_id = await registered(ctx)
    seen: list[OadrEvent] = []
    for minutes in (10, 15, 20):
        name = f"the event in {minutes} minutes"
        spec = EventSpec(ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, minutes))
        delivered = await create_event(ctx, spec, name)
        missing = [_named(item) for item in seen if find(delivered.distribution, event_id_of(item)) != item]
        ctx.check(
            not missing,
            f"the distribution bringing {name} also carries every earlier event, unchanged"
            f" (missing or changed: {', '.join(missing)})",
        )
        seen.append(delivered.event)
    answer = await request_events(ctx, "the oadrRequestEvent")
    listed = {_named(item) for item in answer.events}
    wanted = {_named(item) for item in seen}
    ctx.check(
        wanted <= listed,
        "the answer to oadrRequestEvent carries all three events"
        f" ({', '.join(sorted(wanted - listed)) or 'none'} missing)",
    )
    await respond(ctx, answer, [Answer.to(item) for item in answer.events], "all the events")


@case("A_E3_0685", role=Role.VTN, title="randomized event while complete", rules=(14,))
async def randomized_complete(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event with a randomized start (tolerance startafter of
    10 minutes), starting in 3 minutes and lasting 6 (levels 1, 2). Randomization is the VEN's:
    it delays the VEN's own start, not the event's status. So a minute and a half after dtstart
    (inside the randomization window) an oadrRequestEvent must list the event active; and two
    minutes after its end, while a VEN that drew a late start may still run it, the VTN must
    treat the event as complete: not list it, or list it completed (never active or pending),
    with currentValue 0 (rule 14)."""
    ven_id = await registered(ctx)
    spec = EventSpec(
        ven_id=ven_id,
        signals=[levels(1, 2, minutes=3)],
        start=ahead(ctx, 3),
        start_after=timedelta(minutes=10),
    )
    delivered = await create_event(ctx, spec, "the randomized event")
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the randomized event")
    period = delivered.event.ei_event.active_period
    await wait_until(ctx, period.dtstart + timedelta(minutes=1.5))
    running = await request_events(ctx, "the oadrRequestEvent while the event runs")
    item = find(running, delivered.event_id)
    if item is None:
        ctx.fail("the VTN lists the randomized event once it has started")
    check_status(ctx, item, _ACTIVE, "the randomized event, inside its randomization window,")
    await wait_until(ctx, period.end + timedelta(minutes=2))
    over = await request_events(ctx, "the oadrRequestEvent after the event's end")
    item = find(over, delivered.event_id)
    if item is None:
        ctx.check(True, "the VTN no longer lists the randomized event once it is complete")
        return
    check_status(ctx, item, {EventStatus.COMPLETED}, "the randomized event, after its end,")
    values = [signal.current_value for signal in item.ei_event.signals]
    ctx.check(all(not value for value in values), f"the complete event's currentValue is 0 (it is {values})")


# -- answers the VTN must take or refuse -----------------------------------------------------------


async def _refused_answer(ctx: VtnCaseContext, code: ResponseCode, why: str) -> None:
    """A SIMPLE event, answered with eventResponse ``code`` and optOut: accepted (200), recorded."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, 2, minutes=2)], start=ahead(ctx, 10))
    delivered = await create_event(ctx, spec, "the event")
    refusal = Answer(delivered.qualified, OptType.OPT_OUT, code, why)
    await respond(ctx, delivered.distribution, [refusal], f"the event (eventResponse {code})")
    await ctx.observe(
        f"the VTN records the VEN's answer {code} (optOut) to the event",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_OUT, code=code),
    )


@case("A_E3_0710", role=Role.VTN, title="application error code", rules=(48,))
async def application_error(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 10 minutes). The harness answers it with an
    eventResponse carrying an application error, responseCode 500 ("the VEN's application failed
    to take the event"), and optOut. The oadrCreatedEvent is valid and names valid IDs, so the
    VTN must accept it with oadrResponse 200 (rule 48: 200 unless invalid IDs), and a tester
    confirms it records the VEN's answer as given (500, optOut)."""
    await _refused_answer(
        ctx, ResponseCode.INTERNAL_SERVER_ERROR, "the VEN's application failed to take the event"
    )


@case("A_E3_0720", role=Role.VTN, title="mismatched eventID", rules=(21, 48))
async def mismatched_event_id(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 10 minutes). The harness answers the
    distribution with an eventResponse naming an eventID the VTN never sent
    (``TH-UNKNOWN-EVENT-…``, modificationNumber 0): the VTN must answer oadrResponse 452 (rules 21
    and 48) and record nothing. The harness then answers with the true eventID: 200, recorded."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, 10))
    delivered = await create_event(ctx, spec, "the event")
    unknown = QualifiedEventID(event_id=f"TH-UNKNOWN-EVENT-{new_id()[:10]}", modification_number=0)
    await respond(
        ctx,
        delivered.distribution,
        [Answer(unknown)],
        "an event it never sent",
        expect=(ResponseCode.INVALID_ID,),
    )
    await ctx.observe(
        "the VTN records no answer to its event from the mismatched one",
        nothing_stored(ven_id, delivered.event_id),
    )
    await respond(ctx, delivered.distribution, [Answer.to(delivered.event)], "the event, rightly named")
    await ctx.observe(
        "the VTN records the VEN's optIn under the right eventID",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )


@case("A_E3_0730", role=Role.VTN, title="mismatched modificationNumber", rules=(21, 48))
async def mismatched_modification(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 10 minutes, version 0). The harness answers
    it naming modificationNumber 1, a version that does not exist: the VTN must answer 452 (rule
    48) and record nothing. The VTN is then made to modify the event (version 1); the harness
    answers naming version 0, which is stale now: 452 again. Then it answers version 1 rightly:
    200, and a tester confirms the VTN records the answer to version 1 only."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, 2, minutes=2)], start=ahead(ctx, 10))
    first = await create_event(ctx, spec, "the event")
    future = QualifiedEventID(event_id=first.event_id, modification_number=1)
    await respond(
        ctx,
        first.distribution,
        [Answer(future)],
        "version 1 before it exists",
        expect=(ResponseCode.INVALID_ID,),
    )
    await ctx.observe(
        "the VTN records no answer to a version that does not exist", nothing_stored(ven_id, first.event_id)
    )
    second = await modify_event(
        ctx, first.event, replace(spec, signals=[levels(2, 3, minutes=2)]), "the modified event"
    )
    await respond(
        ctx,
        second.distribution,
        [Answer.to(first.event)],
        "the stale version 0",
        expect=(ResponseCode.INVALID_ID,),
    )
    await ctx.observe(
        "the VTN records no answer to the stale version", nothing_stored(ven_id, first.event_id)
    )
    await respond(ctx, second.distribution, [Answer.to(second.event)], "version 1")
    await ctx.observe(
        "the VTN records the VEN's optIn to version 1",
        stored(ven_id, first.event_id, modification_number=1, opt_type=OptType.OPT_IN),
    )


@case("A_E3_0750", role=Role.VTN, title="eventResponse 4xx error", rules=(48,))
async def event_response_4xx(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 10 minutes). The harness refuses it with an
    eventResponse carrying a 4xx error, 462 (target mismatch: the event is not for its
    resources), and optOut. That is the VEN's answer, not an invalid ID: the VTN must accept the
    oadrCreatedEvent with oadrResponse 200 (rule 48), and a tester confirms it records the
    refusal as given (462, optOut)."""
    await _refused_answer(ctx, ResponseCode.TARGET_MISMATCH, "the event targets none of the VEN's resources")


@case("A_E3_0780", role=Role.VTN, title="unrecognized venID", rules=(21, 48))
async def unrecognized_ven_id(ctx: VtnCaseContext) -> None:
    """The VTN is made to create a SIMPLE event (in 10 minutes). The harness answers it with an
    oadrCreatedEvent from a venID the VTN never registered (``TH-UNKNOWN-VEN-…``): the VTN must
    answer oadrResponse 452 or 463 (not registered) and record nothing. An oadrRequestEvent from
    that venID must be refused the same way (452 or 463, in the eiResponse of an
    oadrDistributeEvent without events, or in an oadrResponse). The harness then answers from its
    own venID: 200, recorded."""
    ven_id = await registered(ctx)
    spec = EventSpec(ven_id=ven_id, signals=[levels(1, minutes=2)], start=ahead(ctx, 10))
    delivered = await create_event(ctx, spec, "the event")
    stranger = f"TH-UNKNOWN-VEN-{new_id()[:10]}"
    refusals = (ResponseCode.INVALID_ID, ResponseCode.NOT_REGISTERED_OR_AUTHORIZED)
    await respond(
        ctx,
        delivered.distribution,
        [Answer.to(delivered.event)],
        f"the event, from the unknown venID {stranger}",
        expect=refusals,
        ven_id=stranger,
    )
    await ctx.observe(
        "the VTN records no answer from the unknown venID", nothing_stored(stranger, delivered.event_id)
    )
    _, reply = await send_request_event(ctx, ven_id=stranger)
    code = getattr(getattr(reply, "ei_response", None), "response_code", None)
    events = reply.events if isinstance(reply, OadrDistributeEvent) else ()
    ctx.check(
        isinstance(reply, OadrDistributeEvent | OadrResponse) and code in refusals and not events,
        f"the VTN refuses the oadrRequestEvent from the unknown venID with 452 or 463 and no event"
        f" (it answered {message_name(reply)} {code}, {len(events)} event(s))",
    )
    await respond(
        ctx, delivered.distribution, [Answer.to(delivered.event)], "the event, from the VEN's venID"
    )
    await ctx.observe(
        "the VTN records the VEN's optIn from its own venID",
        stored(ven_id, delivered.event_id, modification_number=0, opt_type=OptType.OPT_IN),
    )
