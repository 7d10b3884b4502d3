"""Event (EiEvent) cases of the 2.0b profile whose device is a VEN: E1_10xx / E0_60xx ``TH_VTN``.

The harness plays the VTN: it distributes events (oadrDistributeEvent, queued for the VEN's next
oadrPoll in pull, pushed in push) and checks the VEN's oadrCreatedEvent answers. The steps every
event case shares live here too (the 2.0a-profile cases of :mod:`.events_2a_ven` use them):

- :func:`distribute` sends events and remembers where the VEN's messages stood;
- :func:`answer_to` waits for the VEN's oadrCreatedEvent and :func:`check_answer` checks it: the
  venID, eiResponse 200, every eventResponse echoing the distribution's requestID, exactly one
  eventResponse for each event that needs one, each with the expected responseCode;
- :func:`expect_no_answer` checks that the VEN did *not* answer (in pull, once it has polled again
  after taking the distribution, plus :data:`QUIET_SECONDS`; in push, :data:`QUIET_SECONDS` after
  its HTTP answer, which must then be an oadrResponse 200).

Times are the run's clock: an event "in 4 minutes" starts in 4 s against our own VEN (speed 60).
The harness asks for a 1 s poll frequency, so delivering an event to a pull VEN takes up to a
(compressed) minute or so: events that must still be pending when they arrive start several
minutes ahead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ... import rules
from ...model import (
    CurrencyCode,
    CurrencyKind,
    CurrencyUnit,
    EiEventBaseline,
    EiResponse,
    EventResponse,
    EventStatus,
    OadrCancelOpt,
    OadrCreatedEvent,
    OadrCreateOpt,
    OadrDistributeEvent,
    OadrEvent,
    OadrPoll,
    OadrRequestEvent,
    OadrResponse,
    OptType,
    Payload,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    PowerUnit,
    QualifiedEventID,
    ResponseCode,
    SignalInterval,
    SignalName,
    SignalType,
    SiScaleCode,
)
from ...vtn.events import Signal
from ...vtn.policies import new_id
from ..build import distribution, event, modified, simple
from ..case import Role, case
from ..context import VenCaseContext
from ..devices import OptRequest

if TYPE_CHECKING:
    from ...ven.store import KnownEvent
    from ..our_ven import VenView

__all__ = [
    "KILOWATTS",
    "QUIET_SECONDS",
    "UNSUPPORTED_SIGNAL",
    "USD_PER_KWH",
    "Sent",
    "ahead",
    "answer_to",
    "check_answer",
    "dispatch",
    "distribute",
    "event_id_of",
    "expect_no_answer",
    "expected_load",
    "holds_version",
    "known",
    "observe_runs",
    "price",
    "registered",
    "settle",
    "started_in_time",
]

QUIET_SECONDS = 2.0
"""How long (wall clock) the harness listens for an answer that must not come."""

UNSUPPORTED_SIGNAL = SignalName("x-openadrAccelUnsupported")
"""A custom signal no VEN can claim to support: the harness made it up (E1_1070)."""

USD_PER_KWH = CurrencyUnit(kind=CurrencyKind.CURRENCY_PER_KWH, code=CurrencyCode.USD)
"""The price unit of the harness's price signals."""

KILOWATTS = PowerReal(
    attributes=PowerAttributes(hertz=Decimal(60), voltage=Decimal(240), ac=True),
    scale=SiScaleCode.KILO,
    units=PowerUnit.W,
)
"""The unit of the harness's dispatch setpoints and baselines (kW, 240 V AC at 60 Hz)."""


# -- building events ------------------------------------------------------------------------------


def ahead(ctx: VenCaseContext, minutes: float) -> datetime:
    """``minutes`` from now on the run's clock."""
    return ctx.now() + timedelta(minutes=minutes)


def price(*values: str, interval: timedelta = timedelta(minutes=1)) -> Signal:
    """An ELECTRICITY_PRICE signal (signalType price, USD per kWh), one interval per value."""
    return Signal(
        name=SignalName.ELECTRICITY_PRICE,
        type=SignalType.PRICE,
        intervals=[(interval, Decimal(value)) for value in values],
        item_base=USD_PER_KWH,
    )


def dispatch(
    *kilowatts: str, interval: timedelta = timedelta(minutes=1), kind: SignalType = SignalType.SETPOINT
) -> Signal:
    """A LOAD_DISPATCH signal (setpoint by default, powerReal in kW), one interval per value."""
    return Signal(
        name=SignalName.LOAD_DISPATCH,
        type=kind,
        intervals=[(interval, Decimal(value)) for value in kilowatts],
        item_base=KILOWATTS,
    )


def expected_load(start: datetime) -> EiEventBaseline:
    """An eiEventBaseline of two one-minute intervals in kW (7.5 then 6.25) from ``start``."""
    return EiEventBaseline(
        dtstart=start,
        duration=timedelta(minutes=2),
        intervals=tuple(
            SignalInterval(uid=str(uid), duration=timedelta(minutes=1), payloads=(PayloadFloat(value=value),))
            for uid, value in enumerate((Decimal("7.5"), Decimal("6.25")))
        ),
        baseline_id="TH-BASELINE-1",
        baseline_name="expected load without the event",
        item_base=KILOWATTS,
    )


def event_id_of(item: OadrEvent) -> str:
    """The eventID of an event."""
    return item.ei_event.event_descriptor.event_id


def _values(item: OadrEvent) -> list[list[Decimal | None]]:
    return [[interval.value for interval in signal.intervals] for signal in item.ei_event.signals]


# -- sending and answering ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """A distribution the harness sent, and where the VEN's messages stood just before.

    Attributes:
        message: the oadrDistributeEvent.
        mark: the harness inbox's position before it was sent (the VEN's answer comes after).
        pushed_answer: in push, the VEN's HTTP answer to it.
    """

    message: OadrDistributeEvent
    mark: int
    pushed_answer: Payload | None = None

    @property
    def request_id(self) -> str:
        return self.message.request_id


async def distribute(
    ctx: VenCaseContext,
    *events: OadrEvent,
    request_id: str | None = None,
    vtn_id: str | None = None,
) -> Sent:
    """Send the VEN an oadrDistributeEvent of ``events`` (ordered as rule 15 asks), from the
    harness's vtnID unless ``vtn_id`` says, and wait until the VEN took it (pull) or answered
    the push."""
    harness = ctx.harness
    message = distribution(
        vtn_id if vtn_id is not None else harness.vtn_id, *rules.sort_events(events), request_id=request_id
    )
    mark = harness.mark()
    answer = await harness.deliver(message)
    return Sent(message, mark, answer)


async def answer_to(ctx: VenCaseContext, sent: Sent, what: str) -> OadrCreatedEvent:
    """The VEN's first oadrCreatedEvent after ``sent`` (fails the case if none comes in time)."""
    return await ctx.harness.wait_for(
        OadrCreatedEvent, since=sent.mark, what=f"an oadrCreatedEvent answering {what}"
    )


def _named(qualified: Iterable[QualifiedEventID]) -> str:
    shown = sorted(f"{item.event_id}#{item.modification_number}" for item in qualified)
    return ", ".join(shown) if shown else "no event"


Expected = Mapping[QualifiedEventID, ResponseCode | Collection[ResponseCode]]
"""The responseCode each answered event version must carry (one code, or any of several)."""


def check_answer(
    ctx: VenCaseContext, created: OadrCreatedEvent, sent: Sent, expected: Expected, what: str
) -> dict[QualifiedEventID, EventResponse]:
    """Check the VEN's answer to ``sent``: its venID, eiResponse 200, exactly one eventResponse
    per event version of ``expected`` (and none other), each echoing the distribution's
    requestID, each with its expected responseCode. Returns the eventResponses by version."""
    ctx.check(
        created.ven_id == ctx.harness.ven_id, f"the oadrCreatedEvent answering {what} names the VEN's venID"
    )
    ctx.check(
        created.ei_response.response_code == ResponseCode.OK,
        f"the oadrCreatedEvent answering {what} carries eiResponse 200"
        f" (it carries {created.ei_response.response_code})",
    )
    answered = [response.qualified_event_id for response in created.event_responses]
    ctx.check(
        len(answered) == len(set(answered)),
        f"the oadrCreatedEvent answering {what} has one eventResponse per event ({_named(answered)})",
    )
    ctx.check(
        set(answered) == set(expected),
        f"the oadrCreatedEvent answering {what} answers exactly {_named(expected)}"
        f" (it answers {_named(answered)})",
    )
    ctx.check(
        all(response.request_id == sent.request_id for response in created.event_responses),
        f"every eventResponse answering {what} echoes its requestID {sent.request_id}",
    )
    found = {response.qualified_event_id: response for response in created.event_responses}
    for qualified, codes in expected.items():
        allowed = {codes} if isinstance(codes, str) else set(codes)
        code = found[qualified].response_code
        ctx.check(
            code in allowed,
            f"the VEN answers event {_named([qualified])} with responseCode"
            f" {' or '.join(sorted(allowed))} (it answered {code})",
        )
    return found


async def settle(ctx: VenCaseContext) -> None:
    """Give the VEN the time to answer what it was just sent: in pull, until it polls again
    (a VEN answers what a poll brought before it polls again), then :data:`QUIET_SECONDS` more
    for a late answer; in push (the answer is the HTTP response, or a later POST),
    :data:`QUIET_SECONDS`."""
    harness = ctx.harness
    if ctx.pull:
        await harness.wait_for(
            OadrPoll, since=harness.mark(), what="an oadrPoll after it took the distribution"
        )
    await asyncio.sleep(QUIET_SECONDS)


async def expect_no_answer(
    ctx: VenCaseContext, sent: Sent, what: str, *, about: Collection[str] = ()
) -> None:
    """Check that the VEN sends no oadrCreatedEvent after ``sent`` (none naming one of the
    eventIDs ``about``, when given) after :func:`settle`; in push, its HTTP answer must be
    an oadrResponse 200 (or, with ``about``, an oadrCreatedEvent about other events)."""
    harness = ctx.harness
    if not ctx.pull:
        pushed = sent.pushed_answer
        kinds = (OadrResponse, OadrCreatedEvent) if about else (OadrResponse,)
        ctx.check(
            isinstance(pushed, kinds) and _code_of(pushed) == ResponseCode.OK,
            f"the VEN acknowledges the pushed {what} with oadrResponse 200 (it answered {_describe(pushed)})",
        )
    await settle(ctx)
    answers = harness.inbox.of(OadrCreatedEvent, since=sent.mark)
    if about:
        named = [
            response.qualified_event_id
            for answer in answers
            for response in answer.event_responses
            if response.qualified_event_id.event_id in about
        ]
        ctx.check(not named, f"the VEN does not answer {what} (it answered {_named(named)})")
    else:
        ctx.check(not answers, f"the VEN sends no oadrCreatedEvent for {what}")


def _code_of(payload: Payload | None) -> str | None:
    response = getattr(payload, "ei_response", None)
    return response.response_code if isinstance(response, EiResponse) else None


def _describe(payload: Payload | None) -> str:
    if payload is None:
        return "nothing"
    return f"{type(payload).__name__} {_code_of(payload) or ''}".strip()


# -- what observations look at --------------------------------------------------------------------


def known(view: VenView, event_id: str) -> KnownEvent | None:
    """The event as our VEN holds it (None: it does not know it)."""
    return view.events().get(event_id)


def holds_version(item: OadrEvent) -> Callable[[VenView], bool]:
    """Our VEN holds this version of the event (eventID and modificationNumber)."""

    def holds(view: VenView) -> bool:
        held = known(view, event_id_of(item))
        return held is not None and held.event.qualified_event_id == item.qualified_event_id

    return holds


def started_in_time(ctx: VenCaseContext, item: OadrEvent, *, margin: float = 3.0) -> float:
    """How long (wall clock) to wait for the start of ``item`` to be observed: until its
    (randomized) start, plus ``margin``, and never less than the message timeout."""
    period = item.ei_event.active_period
    start = period.dtstart + (period.start_after or timedelta(0))
    seconds = ctx.clock.real_seconds(start - ctx.now())
    return max(ctx.timeouts.message, seconds + margin)


async def observe_runs(ctx: VenCaseContext, item: OadrEvent, opt_type: OptType | None, what: str) -> None:
    """What a tester watches once the VEN answered ``item`` with ``opt_type``: opted in, it
    carries the event out when it starts (our VEN: on_event_started with the first interval's
    values); opted out, it keeps out of it."""
    event_id = event_id_of(item)
    first = [signal.intervals[0].value for signal in item.ei_event.signals]
    if opt_type == OptType.OPT_OUT:
        end = item.ei_event.active_period.dtstart + timedelta(seconds=30)

        def kept_out(view: VenView) -> bool:
            return ctx.now() >= end and not view.called("started", event_id)

        await ctx.observe(
            f"the VEN keeps out of {what} it opted out of", kept_out, timeout=started_in_time(ctx, item)
        )
        return

    def carried_out(view: VenView) -> bool:
        calls = view.called("started", event_id)
        return bool(calls) and [value.value for value in calls[0].detail] == first

    shown = ", ".join(str(value) for value in first)
    await ctx.observe(
        f"the VEN carries out {what} from its start, at {shown}",
        carried_out,
        timeout=started_in_time(ctx, item),
    )


async def registered(ctx: VenCaseContext) -> None:
    """Every case starts from a registered VEN (the bootstrap, N1_0020)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)


# -- the cases ------------------------------------------------------------------------------------


@case(
    "E1_1010",
    role=Role.VEN,
    title="empty oadrDistributeEvent (no events): no oadrCreatedEvent expected",
)
async def empty_distribution(ctx: VenCaseContext) -> None:
    """The harness sends an oadrDistributeEvent without events. The VEN must send no
    oadrCreatedEvent (there is nothing to answer; in push its HTTP answer is an oadrResponse 200),
    must keep polling (pull), and must not take up any event (our VEN: it knows none and none of
    its event handlers was called)."""
    await registered(ctx)
    sent = await distribute(ctx)
    await expect_no_answer(ctx, sent, "an empty oadrDistributeEvent")
    if ctx.pull:
        await ctx.harness.wait_for(OadrPoll, since=ctx.harness.mark(), what="another oadrPoll")
        ctx.check(True, "the VEN keeps polling after an empty oadrDistributeEvent")
    await ctx.observe(
        "the VEN has no event after an empty oadrDistributeEvent",
        lambda view: not view.events() and not view.called("event"),
    )


async def _one_signal_event(ctx: VenCaseContext, signal: Signal, what: str) -> None:
    """Distribute one event of ``signal`` (response required) and check the VEN's answer."""
    await registered(ctx)
    item = event(ven_id=ctx.harness.ven_id, start=ahead(ctx, 4), signals=[signal])
    sent = await distribute(ctx, item)
    created = await answer_to(ctx, sent, what)
    codes = {response.response_code for response in created.event_responses}
    if codes == {ResponseCode.SIGNAL_NOT_SUPPORTED}:
        ctx.not_applicable(f"the VEN does not support {what} (it answered 460)")
    found = check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, what)
    opt_type = found[item.qualified_event_id].opt_type
    ctx.check(True, f"the VEN answers {what} with {opt_type}")
    await ctx.observe(
        f"the VEN holds {what} with its signal, values and units",
        lambda view: (
            (held := known(view, event_id_of(item))) is not None
            and held.event.ei_event.signals == item.ei_event.signals
        ),
    )
    await observe_runs(ctx, item, opt_type, what)


@case(
    "E1_1020",
    role=Role.VEN,
    title="ELECTRICITY_PRICE event (signalType price, currency units); VEN answers oadrCreatedEvent",
    rules=(2, 7, 8),
)
async def price_event(ctx: VenCaseContext) -> None:
    """The harness distributes one event with an ELECTRICITY_PRICE signal (signalType price,
    units USD per kWh, two one-minute intervals) requiring a response. The VEN must answer
    oadrCreatedEvent: its venID, eiResponse 200, one eventResponse 200 for the event's
    qualifiedEventID echoing the distribution's requestID, with optIn or optOut. A tester then
    watches the VEN keep the prices and, opted in, apply the first price when the event starts
    (our VEN: the stored signal equals the one sent; on_event_started with the first price).
    A VEN that answers 460 declares it does not support price signals: not applicable."""
    await _one_signal_event(ctx, price("0.1250", "0.3375"), "the ELECTRICITY_PRICE event")


@case(
    "E1_1025",
    role=Role.VEN,
    title="LOAD_DISPATCH event (setpoint, powerReal units)",
    rules=(2, 7, 8),
)
async def dispatch_event(ctx: VenCaseContext) -> None:
    """As E1_1020 with a LOAD_DISPATCH signal (signalType setpoint, powerReal in kW, two
    one-minute intervals of 5 and 2.5 kW): answered with one eventResponse 200 echoing the
    requestID; the VEN keeps the setpoints and, opted in, applies the first when the event starts.
    A VEN that answers 460 declares it does not support dispatch signals: not applicable."""
    await _one_signal_event(ctx, dispatch("5", "2.5"), "the LOAD_DISPATCH event")


@case("E1_1027", role=Role.VEN, title="event with an eiEventBaseline")
async def baseline_event(ctx: VenCaseContext) -> None:
    """The harness distributes a SIMPLE event (levels 2 then 1, one minute each; SIMPLE so that
    every VEN supports it) with an eiEventBaseline: the expected load without the event, two
    one-minute intervals in kW with its own baselineID and baselineName, covering the active
    period. The VEN must accept the event: one eventResponse 200 echoing the requestID (the
    baseline is information, never a reason to refuse); a tester confirms the VEN keeps the
    baseline (our VEN: the stored event carries the baseline exactly as sent)."""
    await registered(ctx)
    start = ahead(ctx, 5)
    item = event(ven_id=ctx.harness.ven_id, start=start, signals=[simple(2, 1)])
    baseline = expected_load(start)
    item = replace(item, ei_event=replace(item.ei_event, baseline=baseline))
    sent = await distribute(ctx, item)
    created = await answer_to(ctx, sent, "the event with a baseline")
    check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, "the event with a baseline")
    await ctx.observe(
        "the VEN keeps the event's eiEventBaseline",
        lambda view: (
            (held := known(view, event_id_of(item))) is not None and held.event.ei_event.baseline == baseline
        ),
    )


@case("E1_1030", role=Role.VEN, title="an event, then its modification: both answered")
async def modified_event(ctx: VenCaseContext) -> None:
    """The harness distributes an event (modificationNumber 0, response required), then its
    modification (modificationNumber 1: new SIMPLE levels and priority). The VEN must answer
    each: one eventResponse 200 for version 0 echoing the first distribution's requestID, then
    one for version 1 echoing the second's. A tester confirms the VEN now works with the
    modified event (our VEN: it holds version 1 with the new levels, and on_event_modified was
    told of it unless it opted out)."""
    await registered(ctx)
    original = event(ven_id=ctx.harness.ven_id, start=ahead(ctx, 10), signals=[simple(1, 2)])
    sent = await distribute(ctx, original)
    created = await answer_to(ctx, sent, "the event")
    check_answer(ctx, created, sent, {original.qualified_event_id: ResponseCode.OK}, "the event")
    changed = event(
        ven_id=ctx.harness.ven_id,
        start=original.ei_event.active_period.dtstart,
        signals=[simple(3, 1)],
        event_id=event_id_of(original),
        modification_number=1,
        priority=2,
    )
    second = await distribute(ctx, changed)
    created = await answer_to(ctx, second, "the modified event")
    found = check_answer(
        ctx, created, second, {changed.qualified_event_id: ResponseCode.OK}, "the modified event"
    )
    opt_type = found[changed.qualified_event_id].opt_type
    event_id = event_id_of(changed)

    def works_with_modification(view: VenView) -> bool:
        held = known(view, event_id)
        return (
            held is not None
            and held.event.qualified_event_id == changed.qualified_event_id
            and _values(held.event) == _values(changed)
            and (opt_type == OptType.OPT_OUT or bool(view.called("modified", event_id)))
        )

    await ctx.observe(
        "the VEN works with the modified event (version 1, new levels)", works_with_modification
    )


@case(
    "E1_1040",
    role=Role.VEN,
    title=(
        "several events, SIMPLE and complex signals, in one payload; one oadrCreatedEvent with one "
        "eventResponse each"
    ),
    rules=(7, 9, 15),
)
async def several_events(ctx: VenCaseContext) -> None:
    """One oadrDistributeEvent carries three events, ordered as rule 15 asks: a SIMPLE level
    event, an event with two signals (ELECTRICITY_PRICE in USD/kWh and LOAD_DISPATCH setpoints
    in kW), and a LOAD_DISPATCH delta event with negative values. The VEN must answer with one
    oadrCreatedEvent carrying exactly one eventResponse per event, each echoing the requestID:
    200 for the SIMPLE event (every 2.0b VEN supports SIMPLE), 200 or 460 for the complex ones (a
    VEN may not support price or dispatch signals), and no second oadrCreatedEvent for the same
    distribution. A tester confirms the VEN holds every event it accepted (our VEN: each
    answered 200 is stored in the version sent)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    level = event(ven_id=ven_id, start=ahead(ctx, 6), signals=[simple(2, 1)])
    complex_one = event(
        ven_id=ven_id, start=ahead(ctx, 7), signals=[price("0.21", "0.45"), dispatch("10", "8")]
    )
    delta = event(ven_id=ven_id, start=ahead(ctx, 8), signals=[dispatch("-1.5", "-3", kind=SignalType.DELTA)])
    sent = await distribute(ctx, level, complex_one, delta)
    created = await answer_to(ctx, sent, "the three events")
    either = (ResponseCode.OK, ResponseCode.SIGNAL_NOT_SUPPORTED)
    found = check_answer(
        ctx,
        created,
        sent,
        {
            level.qualified_event_id: ResponseCode.OK,
            complex_one.qualified_event_id: either,
            delta.qualified_event_id: either,
        },
        "the three events",
    )
    await asyncio.sleep(QUIET_SECONDS)
    answers = ctx.harness.inbox.of(OadrCreatedEvent, since=sent.mark)
    ctx.check(
        len(answers) == 1, f"the VEN answers the distribution with one oadrCreatedEvent ({len(answers)} came)"
    )
    accepted = [
        item for item in (level, complex_one, delta) if found[item.qualified_event_id].response_code == "200"
    ]
    await ctx.observe(
        "the VEN holds each event it accepted",
        lambda view: all(holds_version(item)(view) for item in accepted),
    )


@case(
    "E1_1050",
    role=Role.VEN,
    title="VEN uses oadrRequestEvent and receives all current events",
)
async def request_events(ctx: VenCaseContext) -> None:
    """The harness holds two current events for the VEN that it has not sent it yet (one
    pending, one active). The VEN is made to ask for its events: it must send oadrRequestEvent
    with its venID and a requestID; the harness answers with an oadrDistributeEvent of both
    events (eiResponse echoing that requestID). The VEN must answer that distribution like any
    other: one oadrCreatedEvent with one eventResponse 200 per event, echoing the
    distribution's requestID. A tester confirms the VEN now holds both events."""
    await registered(ctx)
    harness = ctx.harness
    ven_id = harness.ven_id
    pending = event(ven_id=ven_id, start=ahead(ctx, 10), signals=[simple(1, 2)])
    active = event(
        ven_id=ven_id,
        start=ahead(ctx, -1),
        status=EventStatus.ACTIVE,
        signals=[simple(2, 1, interval=timedelta(minutes=10))],
    )
    current = rules.sort_events([active, pending])
    harness.events = current
    request_id = f"TH-REQUEST-EVENTS-{new_id()[:8]}"
    answered: list[OadrDistributeEvent] = []

    def answer(message: Payload) -> Payload:
        assert isinstance(message, OadrRequestEvent)
        reply = replace(
            distribution(harness.vtn_id, *current, request_id=request_id),
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
        )
        answered.append(reply)
        return reply

    harness.answer_with[OadrRequestEvent] = answer
    mark = harness.mark()
    await ctx.device.request_events()
    asked = await harness.wait_for(OadrRequestEvent, since=mark, timeout=ctx.timeouts.action)
    ctx.check(asked.ven_id == ven_id, "the oadrRequestEvent names the VEN's venID")
    ctx.check(bool(asked.request_id), "the oadrRequestEvent carries a requestID")
    ctx.check(bool(answered), "the harness answered the oadrRequestEvent with the current events")
    sent = Sent(answered[0], mark)
    created = await answer_to(ctx, sent, "the events it asked for")
    check_answer(
        ctx,
        created,
        sent,
        {item.qualified_event_id: ResponseCode.OK for item in current},
        "the events it asked for",
    )
    await ctx.observe(
        "the VEN holds both current events it asked for",
        lambda view: all(holds_version(item)(view) for item in current),
    )


RESOURCE = "TH-RESOURCE-1"
"""The resource the VEN is asked to opt out for (E1_1060): an operator uses one of the device's own."""


async def _opted_in_event(ctx: VenCaseContext, item: OadrEvent) -> None:
    """Distribute ``item`` and check the VEN opted into it (the precondition of an opt-out)."""
    sent = await distribute(ctx, item)
    created = await answer_to(ctx, sent, "the event")
    found = check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, "the event")
    ctx.check(
        found[item.qualified_event_id].opt_type == OptType.OPT_IN,
        "the VEN opts into the event first (the case opts out of an event the VEN takes part in)",
    )


def _check_event_opt(ctx: VenCaseContext, opt: OadrCreateOpt, item: OadrEvent) -> None:
    ctx.check(opt.opt_type == OptType.OPT_OUT, "the oadrCreateOpt opts out (optType optOut)")
    ctx.check(
        opt.qualified_event_id == item.qualified_event_id,
        f"the oadrCreateOpt names the event's qualifiedEventID {_named([item.qualified_event_id])}",
    )
    ctx.check(not opt.availability, "an opt on an event carries no availability schedule")
    ctx.check(opt.ven_id == ctx.harness.ven_id, "the oadrCreateOpt names the VEN's venID")
    ctx.check(bool(opt.opt_id) and bool(opt.request_id), "the oadrCreateOpt carries an optID and a requestID")


@case(
    "E1_1060",
    role=Role.VEN,
    title="VEN opts out of an event for a subset of resources with oadrCreateOpt (eventID)",
)
async def opt_out_resources(ctx: VenCaseContext) -> None:
    """The VEN opts into an event (the harness distributes it, the VEN answers optIn), then is
    made to opt out of it for one of its resources only (``TH-RESOURCE-1`` for our VEN; an
    operator names one of the device's). It must send oadrCreateOpt with optType optOut, the
    event's qualifiedEventID (no availability schedule), its venID, and an eiTarget naming the
    resources concerned (a subset, not an empty target, which would mean all of them); the
    harness confirms with oadrCreatedOpt 200. A tester confirms the VEN keeps the opt for those
    resources and still takes part in the event with the others (our VEN: the opt is in force
    with that resource, and the event stays opted in)."""
    await registered(ctx)
    harness = ctx.harness
    item = event(ven_id=harness.ven_id, start=ahead(ctx, 20), signals=[simple(1, 2)])
    await _opted_in_event(ctx, item)
    mark = harness.mark()
    await ctx.device.create_opt(
        OptRequest(
            opt_type=OptType.OPT_OUT,
            event_id=event_id_of(item),
            modification_number=item.qualified_event_id.modification_number,
            resource_ids=(RESOURCE,),
        )
    )
    opt = await harness.wait_for(OadrCreateOpt, since=mark, timeout=ctx.timeouts.action)
    _check_event_opt(ctx, opt, item)
    ctx.check(
        bool(opt.target.resource_ids),
        "the oadrCreateOpt names the resources it opts out (eiTarget resourceID)",
    )
    ctx.check(opt.opt_id in harness.opts, "the harness holds the VEN's opt (it confirmed it with 200)")
    event_id = event_id_of(item)

    def opted_out_for_resource(view: VenView) -> bool:
        in_force = [
            held
            for held in view.opts().values()
            if held.qualified_event_id == item.qualified_event_id
            and held.opt_type == OptType.OPT_OUT
            and RESOURCE in held.target.resource_ids
        ]
        held_event = known(view, event_id)
        return bool(in_force) and held_event is not None and held_event.opt_type == OptType.OPT_IN

    await ctx.observe(
        "the VEN keeps out of the event for the resource it named and takes part with the others",
        opted_out_for_resource,
    )


@case(
    "E1_1065",
    role=Role.VEN,
    title="after an oadrCreateOpt, a later oadrCreatedEvent for that event is ignored by the VTN (rule 206)",
    rules=(206,),
)
async def opt_overrides_created_event(ctx: VenCaseContext) -> None:
    """Rule 206 is the VTN's: an oadrCreateOpt naming an event overrides any later
    oadrCreatedEvent for it. The VEN's side, checked here: once it opted out of an event with
    oadrCreateOpt, it keeps that opt and everything it says later about the event agrees with
    it. The VEN opts into an event (answer optIn), then is made to opt out of the whole event
    with oadrCreateOpt (optOut, the event's qualifiedEventID). The harness then distributes the
    event again unchanged (nothing new to answer), then modified (modificationNumber 1,
    response required). The VEN must answer the modification (oadrResponseRequired always), and
    every eventResponse it sends about the event after its opt must say optOut: the VTN ignores
    a later optIn (rule 206), so a VEN that said optIn would count as out while believing it is
    in; unless the VEN first withdrew its opt (oadrCancelOpt) or replaced it with an optIn, which
    it is not asked to do. A tester confirms the VEN keeps its opt and does not carry out the
    event when it starts (our VEN: the opt stays in force and on_event_started is not called)."""
    await registered(ctx)
    harness = ctx.harness
    item = event(ven_id=harness.ven_id, start=ahead(ctx, 10), signals=[simple(1, 2)])
    event_id = event_id_of(item)
    await _opted_in_event(ctx, item)
    mark = harness.mark()
    await ctx.device.create_opt(
        OptRequest(
            opt_type=OptType.OPT_OUT,
            event_id=event_id,
            modification_number=item.qualified_event_id.modification_number,
        )
    )
    opt = await harness.wait_for(OadrCreateOpt, since=mark, timeout=ctx.timeouts.action)
    _check_event_opt(ctx, opt, item)
    after_opt = harness.mark()
    again = await distribute(ctx, item)
    await expect_no_answer(ctx, again, "the unchanged event it already answered", about=(event_id,))
    changed = modified(item, priority=2)
    second = await distribute(ctx, changed)
    created = await answer_to(ctx, second, "the modified event")
    check_answer(ctx, created, second, {changed.qualified_event_id: ResponseCode.OK}, "the modified event")
    withdrawn = [
        message
        for message in harness.inbox.messages[after_opt:]
        if (isinstance(message, OadrCancelOpt) and message.opt_id == opt.opt_id)
        or (
            isinstance(message, OadrCreateOpt)
            and message.qualified_event_id is not None
            and message.qualified_event_id.event_id == event_id
            and message.opt_type == OptType.OPT_IN
        )
    ]
    ctx.check(
        not withdrawn, "the VEN keeps its opt-out (it sends no oadrCancelOpt and no optIn for the event)"
    )
    later = [
        response
        for answer in harness.inbox.of(OadrCreatedEvent, since=after_opt)
        for response in answer.event_responses
        if response.qualified_event_id.event_id == event_id
    ]
    said = ", ".join(f"{_named([r.qualified_event_id])} {r.opt_type}" for r in later)
    ctx.check(
        all(response.opt_type == OptType.OPT_OUT for response in later),
        f"every eventResponse the VEN sends about the event after its oadrCreateOpt says optOut ({said})",
    )
    end = item.ei_event.active_period.dtstart + timedelta(seconds=30)

    def keeps_out(view: VenView) -> bool:
        return opt.opt_id in view.opts() and ctx.now() >= end and not view.called("started", event_id)

    await ctx.observe(
        "the VEN keeps its opt-out and does not carry out the event when it starts",
        keeps_out,
        timeout=started_in_time(ctx, item),
    )


@case(
    "E1_1070",
    role=Role.VEN,
    title="negative: custom (x-) signal the VEN does not support → eventResponse 460",
    rules=(7,),
)
async def unsupported_signal(ctx: VenCaseContext) -> None:
    """One distribution carries two events: one whose only signal is a custom signal the
    harness made up (``x-openadrAccelUnsupported``, signalType level), and one SIMPLE event. No
    VEN can support a signal nobody defined: it must answer the custom event with an
    eventResponse 460 (signal not supported) and optOut, and the SIMPLE event with 200, in one
    oadrCreatedEvent echoing the requestID (a refusal is per event, not of the whole
    distribution). A tester confirms the VEN takes no part in the refused event (our VEN: it
    never reports it pending or started, and holds no opt-in for it)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    custom = event(
        ven_id=ven_id,
        start=ahead(ctx, 8),
        signals=[
            Signal(name=UNSUPPORTED_SIGNAL, type=SignalType.LEVEL, intervals=[(timedelta(minutes=1), 1)])
        ],
    )
    plain = event(ven_id=ven_id, start=ahead(ctx, 9), signals=[simple(1)])
    sent = await distribute(ctx, custom, plain)
    created = await answer_to(ctx, sent, "the custom-signal and SIMPLE events")
    found = check_answer(
        ctx,
        created,
        sent,
        {
            custom.qualified_event_id: ResponseCode.SIGNAL_NOT_SUPPORTED,
            plain.qualified_event_id: ResponseCode.OK,
        },
        "the custom-signal and SIMPLE events",
    )
    ctx.check(
        found[custom.qualified_event_id].opt_type == OptType.OPT_OUT,
        "the VEN opts out of the event it refuses with 460",
    )
    event_id = event_id_of(custom)

    def takes_no_part(view: VenView) -> bool:
        held = known(view, event_id)
        return (
            not view.called("pending", event_id)
            and not view.called("started", event_id)
            and (held is None or held.opt_type != OptType.OPT_IN)
        )

    await ctx.observe("the VEN takes no part in the event with the unsupported signal", takes_no_part)


@case(
    "E1_1080",
    role=Role.VEN,
    title="negative: IDs are case-sensitive; a vtnID with swapped case → 452",
    rules=(21,),
)
async def vtn_id_case(ctx: VenCaseContext) -> None:
    """The harness distributes an event in an oadrDistributeEvent whose vtnID is the harness's
    own with every letter's case swapped (``TH_VTN`` → ``th_vtn``). IDs are case-sensitive, so
    the distribution comes from an unknown VTN (rule 21): the VEN must answer it with 452
    (invalid ID), in its eiResponse or in an eventResponse for the event, and never accept the
    event (no eventResponse 200). A tester confirms the VEN did not take the event (our VEN: it
    does not hold it, and on_event was never asked about it). The harness then distributes the
    same event with its true vtnID: the VEN must now accept it (one eventResponse 200), which
    shows the refusal was about the vtnID alone."""
    await registered(ctx)
    harness = ctx.harness
    item = event(ven_id=harness.ven_id, start=ahead(ctx, 10), signals=[simple(1)])
    swapped = harness.vtn_id.swapcase()
    ctx.check(swapped != harness.vtn_id, "the swapped vtnID differs from the harness's (it has letters)")
    sent = await distribute(ctx, item, vtn_id=swapped)
    created = await answer_to(ctx, sent, "the distribution with the wrong-case vtnID")
    codes = [response.response_code for response in created.event_responses]
    ctx.check(
        created.ei_response.response_code == ResponseCode.INVALID_ID
        or (bool(codes) and all(code == ResponseCode.INVALID_ID for code in codes)),
        f"the VEN answers the vtnID {swapped!r} with 452 (eiResponse {created.ei_response.response_code},"
        f" eventResponses {', '.join(codes) or 'none'})",
    )
    ctx.check(ResponseCode.OK not in codes, "the VEN does not accept the event from the wrong-case vtnID")
    event_id = event_id_of(item)
    await ctx.observe(
        "the VEN did not take the event from the wrong-case vtnID",
        lambda view: known(view, event_id) is None and not view.called("event", event_id),
    )
    right = await distribute(ctx, item)
    created = await answer_to(ctx, right, "the same event from the right vtnID")
    check_answer(
        ctx, created, right, {item.qualified_event_id: ResponseCode.OK}, "the same event from the right vtnID"
    )
