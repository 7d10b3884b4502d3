"""2.0a-profile event cases re-run on a 2.0b VEN: A_E1_0xxx (pull) / A_E0_0xxx (push) ``TH_VTN``.

The harness plays the VTN and distributes events; the shared steps (sending, waiting for the
VEN's oadrCreatedEvent and checking it, checking that no answer comes) are those of
:mod:`.events_ven`.

The event state sequences A_E1_0082 … A_E1_0104 are one case per combination of the event's
state, its modificationNumber and its oadrResponseRequired, numbered in this nesting order
(state outermost, then modificationNumber, then oadrResponseRequired)::

    case       state      modificationNumber  oadrResponseRequired
    A_E1_0082  pending    0                   always
    A_E1_0084  pending    0                   never
    A_E1_0086  pending    1                   always
    A_E1_0088  pending    1                   never
    A_E1_0090  active     0                   always
    A_E1_0092  active     0                   never
    A_E1_0094  active     1                   always
    A_E1_0096  active     1                   never
    A_E1_0098  cancelled  0                   always
    A_E1_0100  cancelled  0                   never
    A_E1_0102  cancelled  1                   always
    A_E1_0104  cancelled  1                   never

ModificationNumber 0 is an event the VEN gets for the first time, in that state (a cancelled
one is then an event it never knew, which rule 21 says is not an error). ModificationNumber 1
is a sequence: the VEN first gets version 0 (pending; active for the active cases), then
version 1 in the state (pending: new levels; active: new levels while it runs; cancelled: the
cancellation of the event it knows). Every version must be answered with one eventResponse 200
exactly when its oadrResponseRequired is ``always`` (2.0b: "always send a response for every
event received"), and not at all when it is ``never``; a tester then confirms the VEN is in the
state the event says (pending and not started; carrying the event out; not carrying out the
cancelled event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ...model import (
    EiTarget,
    EventResponse,
    EventStatus,
    FeatureCollection,
    OadrCreatedEvent,
    OadrEvent,
    OadrRequestEvent,
    OptType,
    QualifiedEventID,
    ResponseCode,
    ResponseRequired,
    SignalType,
    TransportInterface,
)
from ...vtn.policies import new_id
from ..build import event, modified, simple
from ..case import CaseBody, Role, case
from ..context import VenCaseContext
from .events_ven import (
    ahead,
    answer_to,
    check_answer,
    dispatch,
    distribute,
    event_id_of,
    expect_no_answer,
    expected_load,
    holds_version,
    known,
    observe_runs,
    price,
    registered,
    settle,
    started_in_time,
)

if TYPE_CHECKING:
    from ..our_ven import VenView

__all__ = ["SEQUENCES"]


def _with_status(item: OadrEvent, status: EventStatus) -> OadrEvent:
    """``item`` with another eventStatus (same version)."""
    ei_event = item.ei_event
    descriptor = replace(ei_event.event_descriptor, event_status=status)
    return replace(item, ei_event=replace(ei_event, event_descriptor=descriptor))


def _decisions(view: VenView, event_id: str) -> list[int]:
    """The versions on_event was asked about, in order (our VEN)."""
    return [call.detail for call in view.called("event", event_id)]


@case("A_E1_0020", role=Role.VEN, title="no events")
async def no_events(ctx: VenCaseContext) -> None:
    """The VEN is made to ask for its events (oadrRequestEvent, as a 2.0a VEN polls) while the
    harness has none: the harness answers with an oadrDistributeEvent without events. Then the
    harness also sends it an empty oadrDistributeEvent by itself (poll or push). Neither may be
    answered with an oadrCreatedEvent (there is nothing to answer), and the VEN must take up no
    event (our VEN: it knows none, and on_event was never called)."""
    await registered(ctx)
    harness = ctx.harness
    harness.events = ()
    mark = harness.mark()
    await ctx.device.request_events()
    asked = await harness.wait_for(OadrRequestEvent, since=mark, timeout=ctx.timeouts.action)
    ctx.check(asked.ven_id == harness.ven_id, "the oadrRequestEvent names the VEN's venID")
    await settle(ctx)
    ctx.check(
        not harness.inbox.of(OadrCreatedEvent, since=mark),
        "the VEN sends no oadrCreatedEvent for the empty answer to its oadrRequestEvent",
    )
    sent = await distribute(ctx)
    await expect_no_answer(ctx, sent, "an empty oadrDistributeEvent")
    await ctx.observe(
        "the VEN has no event when the VTN has none",
        lambda view: not view.events() and not view.called("event"),
    )


@case("A_E1_0040", role=Role.VEN, title="24 prices event", rules=(2, 8))
async def day_of_prices(ctx: VenCaseContext) -> None:
    """The harness distributes one ELECTRICITY_PRICE event of 24 consecutive intervals (a day
    of hourly prices, here a minute each: uids 0 to 23, their durations adding up to the active
    period), each with its own price in USD/kWh. The VEN must answer with one eventResponse 200
    echoing the requestID; a tester confirms the VEN holds the 24 prices in order and, opted in,
    applies the first price at the start and the second when its interval begins (our VEN:
    on_event_started, then on_interval_changed, with those prices). A VEN that answers 460 does
    not support price signals: not applicable."""
    await registered(ctx)
    prices = [Decimal("0.0800") + Decimal("0.0125") * hour for hour in range(24)]
    item = event(ven_id=ctx.harness.ven_id, start=ahead(ctx, 4), signals=[price(*map(str, prices))])
    what = "the 24-interval price event"
    sent = await distribute(ctx, item)
    created = await answer_to(ctx, sent, what)
    if {response.response_code for response in created.event_responses} == {
        ResponseCode.SIGNAL_NOT_SUPPORTED
    }:
        ctx.not_applicable("the VEN does not support ELECTRICITY_PRICE signals (it answered 460)")
    found = check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, what)
    event_id = event_id_of(item)

    def holds_prices(view: VenView) -> bool:
        held = known(view, event_id)
        if held is None:
            return False
        intervals = held.event.ei_event.signals[0].intervals
        return [interval.value for interval in intervals] == prices and [
            interval.uid for interval in intervals
        ] == [str(uid) for uid in range(24)]

    await ctx.observe("the VEN holds the 24 prices in order", holds_prices)
    opt_type = found[item.qualified_event_id].opt_type
    await observe_runs(ctx, item, opt_type, "the price event")
    if opt_type == OptType.OPT_IN:

        def second_price(view: VenView) -> bool:
            return any(
                [value.value for value in call.detail] == [prices[1]]
                for call in view.called("interval", event_id)
            )

        await ctx.observe(
            f"the VEN applies the second price ({prices[1]}) when its interval begins",
            second_price,
            timeout=started_in_time(ctx, item) + ctx.clock.real_seconds(timedelta(minutes=1)),
        )


@case("A_E1_0060", role=Role.VEN, title="optional elements")
async def optional_elements(ctx: VenCaseContext) -> None:
    """The harness distributes an event carrying every optional element an event has:
    modificationDateTime, modificationReason, priority, testEvent ``false`` and vtnComment in its
    descriptor; a randomization window (tolerance/startafter), x-eiNotification, x-eiRampUp and
    x-eiRecovery in its active period; a SIMPLE signal (every VEN supports it) with its own
    eiTarget and currentValue; an eiTarget naming the venID and a resource; an eiEventBaseline
    in kW (a signal's itemBase is covered by E1_1020 and E1_1025). Optional elements are never a
    reason to refuse: the VEN must answer one eventResponse 200 echoing the requestID, and a
    tester confirms the VEN keeps every element (our VEN: the event it stores equals the one
    sent)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    start = ahead(ctx, 30)
    base = event(
        ven_id=ven_id,
        start=start,
        signals=[simple(1, 2)],
        priority=3,
        vtn_comment="every optional element of an event",
        target=EiTarget(ven_ids=(ven_id,), resource_ids=("TH-RESOURCE-1",)),
        start_after=timedelta(minutes=2),
    )
    ei_event = base.ei_event
    item = replace(
        base,
        ei_event=replace(
            ei_event,
            event_descriptor=replace(
                ei_event.event_descriptor,
                modification_date_time=start - timedelta(minutes=50),
                modification_reason="created by the conformance harness",
            ),
            active_period=replace(
                ei_event.active_period,
                notification=timedelta(minutes=20),
                ramp_up=timedelta(minutes=1),
                recovery=timedelta(minutes=1),
            ),
            signals=(replace(ei_event.signals[0], target=EiTarget(resource_ids=("TH-RESOURCE-1",))),),
            baseline=expected_load(start),
        ),
    )
    what = "the event with every optional element"
    sent = await distribute(ctx, item)
    created = await answer_to(ctx, sent, what)
    check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, what)
    await ctx.observe(
        "the VEN keeps every optional element of the event",
        lambda view: (held := known(view, event_id_of(item))) is not None and held.event == item,
    )


@case("A_E1_0070", role=Role.VEN, title="eiTarget sub-elements")
async def target_elements(ctx: VenCaseContext) -> None:
    """The harness distributes an event whose eiTarget carries every sub-element the 2.0b
    schema has: the VEN's venID, and a groupID, groupName, resourceID, partyID, meterAsset,
    endDeviceAsset, pnode, aggregatedPnode, serviceDeliveryPoint, transportInterface,
    serviceArea and serviceLocation (GML polygons). The VEN must accept the event (one
    eventResponse 200 echoing the requestID): it is named by its venID, and the other
    sub-elements are information it may use. A tester confirms the VEN keeps the whole target
    (our VEN: the stored eiTarget equals the one sent)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    ring = (45.0, -122.0, 45.1, -122.0, 45.1, -122.1, 45.0, -122.0)
    target = EiTarget(
        ven_ids=(ven_id,),
        group_ids=("TH-GROUP-1",),
        group_names=("conformance group",),
        resource_ids=("TH-RESOURCE-1",),
        party_ids=("TH-PARTY-1",),
        meter_assets=("TH-METER-1",),
        end_device_assets=("TH-DEVICE-1",),
        pnodes=("TH-PNODE-1",),
        aggregated_pnodes=("TH-APNODE-1",),
        service_delivery_points=("TH-SDP-1",),
        transport_interfaces=(TransportInterface(point_of_receipt="TH-POR-1", point_of_delivery="TH-POD-1"),),
        service_areas=(FeatureCollection(positions=ring, id="th-area", polygon_id="th-area-polygon"),),
        service_locations=(FeatureCollection(positions=ring, id="th-place", polygon_id="th-place-polygon"),),
    )
    item = event(ven_id=ven_id, start=ahead(ctx, 30), signals=[simple(1)], target=target)
    what = "the event with every eiTarget sub-element"
    sent = await distribute(ctx, item)
    created = await answer_to(ctx, sent, what)
    check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, what)
    await ctx.observe(
        "the VEN keeps every sub-element of the event's eiTarget",
        lambda view: (
            (held := known(view, event_id_of(item))) is not None and held.event.ei_event.target == target
        ),
    )


# -- the event state sequences (A_E1_0082 … A_E1_0104) -------------------------------------------


@dataclass(frozen=True, slots=True)
class Sequence:
    """One event state sequence (see the module docstring)."""

    number: str
    state: EventStatus
    """FAR stands for pending: an event that has not started."""
    modification: int
    required: ResponseRequired

    @property
    def state_name(self) -> str:
        return "pending" if self.state is EventStatus.FAR else self.state.value

    @property
    def expectation(self) -> str:
        """What a tester confirms at the end, in words."""
        if self.state is EventStatus.FAR:
            return f"the VEN holds the pending event in version {self.modification} and has not started it"
        if self.state is EventStatus.ACTIVE:
            if self.modification == 0:
                return "the VEN carries out the active event at once (unless it opted out)"
            return "the VEN carries on with the active event in its modified version (unless it opted out)"
        if self.modification == 0:
            return "the VEN does not take up the cancelled event it never knew"
        return "the VEN cancels the event and does not carry it out"


def _sequences() -> tuple[Sequence, ...]:
    found: list[Sequence] = []
    for state in (EventStatus.FAR, EventStatus.ACTIVE, EventStatus.CANCELLED):
        for modification in (0, 1):
            for required in (ResponseRequired.ALWAYS, ResponseRequired.NEVER):
                found.append(Sequence(f"A_E1_{82 + 2 * len(found):04d}", state, modification, required))
    return tuple(found)


SEQUENCES = _sequences()
"""The twelve state sequences, in catalogue order (the table in the module docstring)."""


def _versions(ctx: VenCaseContext, sequence: Sequence) -> list[OadrEvent]:
    """The versions of the event the VEN gets, in order."""
    ven_id = ctx.harness.ven_id
    required = sequence.required
    if sequence.state is EventStatus.ACTIVE:
        first = event(
            ven_id=ven_id,
            start=ahead(ctx, -1),
            status=EventStatus.ACTIVE,
            signals=[simple(2, 1, interval=timedelta(minutes=15))],
            response_required=required,
        )
    else:
        first = event(ven_id=ven_id, start=ahead(ctx, 30), signals=[simple(1, 2)], response_required=required)
    if sequence.modification == 0:
        return [
            _with_status(first, EventStatus.CANCELLED) if sequence.state is EventStatus.CANCELLED else first
        ]
    if sequence.state is EventStatus.CANCELLED:
        return [first, modified(first, event_status=EventStatus.CANCELLED)]
    period = first.ei_event.active_period
    second = event(
        ven_id=ven_id,
        start=period.dtstart,
        status=sequence.state,
        signals=[simple(3, 1, interval=period.duration / 2)],
        event_id=event_id_of(first),
        modification_number=1,
        response_required=required,
    )
    return [first, second]


def _in_state(sequence: Sequence, item: OadrEvent) -> Callable[[VenView], bool]:
    """Whether our VEN is in the state ``item`` (the last version it got) says."""
    event_id = event_id_of(item)

    def cancelled(view: VenView) -> bool:
        held = known(view, event_id)
        return held is None or held.event.ei_event.event_descriptor.event_status == EventStatus.CANCELLED

    def holds(view: VenView) -> bool:
        held = known(view, event_id)
        if sequence.state is EventStatus.FAR:
            return holds_version(item)(view) and not view.called("started", event_id)
        if sequence.state is EventStatus.ACTIVE:
            told = "started" if sequence.modification == 0 else "modified"
            return (
                holds_version(item)(view)
                and held is not None
                and (held.opt_type == OptType.OPT_OUT or bool(view.called(told, event_id)))
            )
        if view.called("started", event_id):
            return False
        if sequence.modification == 0:
            return (
                cancelled(view)
                and not view.called("pending", event_id)
                and not view.called("event", event_id)
            )
        opted_in = held is not None and held.opt_type == OptType.OPT_IN
        return cancelled(view) and (bool(view.called("cancelled", event_id)) or not opted_in)

    return holds


def _state_case(sequence: Sequence) -> CaseBody:
    always = sequence.required is ResponseRequired.ALWAYS

    async def body(ctx: VenCaseContext) -> None:
        await registered(ctx)
        versions = _versions(ctx, sequence)
        event_id = event_id_of(versions[0])
        for item in versions:
            descriptor = item.ei_event.event_descriptor
            what = (
                f"the {descriptor.event_status} event (modificationNumber {descriptor.modification_number})"
            )
            sent = await distribute(ctx, item)
            if always:
                created = await answer_to(ctx, sent, what)
                check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, what)
            else:
                await expect_no_answer(
                    ctx, sent, f"{what} with oadrResponseRequired never", about=(event_id,)
                )
        await ctx.observe(sequence.expectation, _in_state(sequence, versions[-1]))

    body.__name__ = body.__qualname__ = f"state_sequence_{sequence.number[-4:]}"
    if sequence.modification:
        first = "active" if sequence.state is EventStatus.ACTIVE else "pending"
        opening = f"The VEN first gets an event as version 0 ({first}), then as version 1 "
    else:
        opening = "The VEN gets an event it has never seen, as version 0, "
    states = {
        EventStatus.FAR: "pending (eventStatus far, starting in 30 minutes; version 1 has new levels)",
        EventStatus.ACTIVE: (
            "active (started a minute ago, currentValue the running interval's level, rule 14"
            + ("; version 1 has new levels)" if sequence.modification else ")")
        ),
        EventStatus.CANCELLED: (
            "cancelled (an event it never knew: not an error, rule 21)"
            if sequence.modification == 0
            else "cancelled (the cancellation of the event it knows)"
        ),
    }
    answer = (
        "Each version must be answered with one eventResponse 200 for its qualifiedEventID, echoing "
        "the distribution's requestID."
        if always
        else "No version may be answered: the VEN sends no oadrCreatedEvent naming the event (in push, "
        "its HTTP answer is an oadrResponse 200)."
    )
    body.__doc__ = (
        f"{opening}{states[sequence.state]}, with oadrResponseRequired {sequence.required.value}. "
        f"{answer} A tester then confirms {sequence.expectation} (our VEN: its stored event and its "
        "handler calls)."
    )
    return body


for _sequence in SEQUENCES:
    case(
        _sequence.number,
        role=Role.VEN,
        title=(
            f"event state sequence: {_sequence.state_name} event, modificationNumber"
            f" {_sequence.modification}, oadrResponseRequired {_sequence.required.value}"
        ),
        rules={EventStatus.ACTIVE: (14,), EventStatus.CANCELLED: (21,)}.get(_sequence.state, ()),
    )(_state_case(_sequence))


# -- the other cases ------------------------------------------------------------------------------


@case("A_E1_0110", role=Role.VEN, title="new event with modificationNumber > 0")
async def new_event_modified_before(ctx: VenCaseContext) -> None:
    """The harness distributes an event the VEN has never seen with modificationNumber 3 (the
    VTN modified it before the VEN first heard of it). The VEN must accept it as a new event:
    one eventResponse 200 naming modificationNumber 3 (not an error, not a request for the
    earlier versions), echoing the requestID. A tester confirms the VEN holds the event as new
    (our VEN: it holds version 3, on_event was asked about it once, and on_event_modified was
    never called, since it knew no earlier version)."""
    await registered(ctx)
    item = event(ven_id=ctx.harness.ven_id, start=ahead(ctx, 30), signals=[simple(2)], modification_number=3)
    what = "the new event with modificationNumber 3"
    sent = await distribute(ctx, item)
    created = await answer_to(ctx, sent, what)
    check_answer(ctx, created, sent, {item.qualified_event_id: ResponseCode.OK}, what)
    event_id = event_id_of(item)
    await ctx.observe(
        "the VEN takes the event with modificationNumber 3 as a new event",
        lambda view: (
            holds_version(item)(view)
            and _decisions(view, event_id) == [3]
            and not view.called("modified", event_id)
        ),
    )


@case("A_E1_0130", role=Role.VEN, title="test event", rules=(6,))
async def test_events(ctx: VenCaseContext) -> None:
    """One distribution carries three events requiring a response: one with testEvent ``true``,
    one with testEvent ``dry run of the conformance harness`` (rule 6: any value other than
    ``false`` marks a test event) and one with testEvent ``false`` (a real event). The VEN must
    answer all three (a test event is answered like any other: one eventResponse 200 each,
    echoing the requestID), and treat the first two as test events, not acting on them: a
    tester confirms the device does not change its load for them. Our VEN hands every event to
    its handlers, which decide what to do; what is checked is that it keeps each event's
    marking so its handlers can tell (the stored events read as test events, by
    EventDescriptor.is_test_event, exactly for the first two)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    marked_true = event(ven_id=ven_id, start=ahead(ctx, 30), signals=[simple(1)], test_event="true")
    marked_text = event(
        ven_id=ven_id,
        start=ahead(ctx, 31),
        signals=[simple(2)],
        test_event="dry run of the conformance harness",
    )
    real = event(ven_id=ven_id, start=ahead(ctx, 32), signals=[simple(1)], test_event="false")
    what = "the two test events and the real one"
    sent = await distribute(ctx, marked_true, marked_text, real)
    created = await answer_to(ctx, sent, what)
    check_answer(
        ctx,
        created,
        sent,
        {item.qualified_event_id: ResponseCode.OK for item in (marked_true, marked_text, real)},
        what,
    )
    expected = {event_id_of(marked_true): True, event_id_of(marked_text): True, event_id_of(real): False}

    def marked(view: VenView) -> bool:
        held = {event_id: known(view, event_id) for event_id in expected}
        return all(
            item is not None and item.event.ei_event.event_descriptor.is_test_event is expected[event_id]
            for event_id, item in held.items()
        )

    await ctx.observe(
        "the VEN treats the events marked testEvent (other than false) as test events and does not act on"
        " them, and the one marked false as a real event",
        marked,
    )


@case("A_E1_0180", role=Role.VEN, title="new, modified and cancelled event in one payload")
async def new_modified_cancelled(ctx: VenCaseContext) -> None:
    """The VEN first gets two events (both answered). The next distribution carries a new
    event, the first event modified (modificationNumber 1, new levels) and the second
    cancelled (modificationNumber 1, eventStatus cancelled). The VEN must answer with one
    oadrCreatedEvent carrying exactly three eventResponses 200, one per changed version (new
    #0, modified #1, cancelled #1), echoing the second distribution's requestID. A tester
    confirms the VEN holds the new event, works with the modified one, and cancelled the
    other (our VEN: the stored versions, on_event_modified and on_event_cancelled)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    to_modify = event(ven_id=ven_id, start=ahead(ctx, 30), signals=[simple(1, 2)])
    to_cancel = event(ven_id=ven_id, start=ahead(ctx, 31), signals=[simple(2, 1)])
    first = await distribute(ctx, to_modify, to_cancel)
    created = await answer_to(ctx, first, "the first two events")
    check_answer(
        ctx,
        created,
        first,
        {to_modify.qualified_event_id: ResponseCode.OK, to_cancel.qualified_event_id: ResponseCode.OK},
        "the first two events",
    )
    new = event(ven_id=ven_id, start=ahead(ctx, 32), signals=[simple(3)])
    changed = event(
        ven_id=ven_id,
        start=to_modify.ei_event.active_period.dtstart,
        signals=[simple(3, 3)],
        event_id=event_id_of(to_modify),
        modification_number=1,
    )
    cancelled = modified(to_cancel, event_status=EventStatus.CANCELLED)
    what = "the new, modified and cancelled events"
    second = await distribute(ctx, new, changed, cancelled)
    created = await answer_to(ctx, second, what)
    check_answer(
        ctx,
        created,
        second,
        {item.qualified_event_id: ResponseCode.OK for item in (new, changed, cancelled)},
        what,
    )

    def each_applied(view: VenView) -> bool:
        gone = known(view, event_id_of(cancelled))
        return (
            holds_version(new)(view)
            and holds_version(changed)(view)
            and bool(view.called("modified", event_id_of(changed)))
            and (gone is None or gone.event.ei_event.event_descriptor.event_status == EventStatus.CANCELLED)
            and (
                bool(view.called("cancelled", event_id_of(cancelled)))
                or gone is None
                or gone.opt_type != OptType.OPT_IN
            )
        )

    await ctx.observe("the VEN takes the new event, the modification and the cancellation", each_applied)


@case("A_E1_0190", role=Role.VEN, title="static requestID")
async def static_request_id(ctx: VenCaseContext) -> None:
    """Some VTNs reuse one requestID for every oadrDistributeEvent. The requestID names the
    distribution the VEN answers; what is new is told by the events' modificationNumbers, so a
    VEN must neither take a re-sent distribution for a new one nor skip a distribution because
    its requestID is not new. The harness sends the VEN an event with requestID R; then the same
    distribution again (same requestID R, same event version): nothing is new, so no answer is
    needed, and an answer, if the VEN sends one, must repeat its first answer exactly (same
    qualifiedEventID, responseCode and optType, requestID R). Then a distribution with the same
    requestID R carrying the event modified and a new event: the VEN must answer both (one
    eventResponse 200 each, requestID R). A tester confirms the VEN took each version once (our
    VEN: on_event was asked about version 0 then 1 of the first event and version 0 of the
    second, once each)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    request_id = f"TH-STATIC-{new_id()[:8]}"
    original = event(ven_id=ven_id, start=ahead(ctx, 30), signals=[simple(1)])
    sent = await distribute(ctx, original, request_id=request_id)
    created = await answer_to(ctx, sent, "the event")
    first = check_answer(ctx, created, sent, {original.qualified_event_id: ResponseCode.OK}, "the event")
    again = await distribute(ctx, original, request_id=request_id)
    await settle(ctx)
    repeated: list[EventResponse] = [
        response
        for answer in ctx.harness.inbox.of(OadrCreatedEvent, since=again.mark)
        for response in answer.event_responses
    ]
    earlier = first[original.qualified_event_id]
    ctx.check(
        all(response == earlier for response in repeated),
        "the VEN answers the re-sent distribution not at all, or exactly as it answered it the first time",
    )
    changed = modified(original, priority=2)
    added = event(ven_id=ven_id, start=ahead(ctx, 31), signals=[simple(2)])
    what = "the modified and new events under the same requestID"
    third = await distribute(ctx, changed, added, request_id=request_id)
    created = await answer_to(ctx, third, what)
    check_answer(
        ctx,
        created,
        third,
        {changed.qualified_event_id: ResponseCode.OK, added.qualified_event_id: ResponseCode.OK},
        what,
    )

    def once_each(view: VenView) -> bool:
        return (
            _decisions(view, event_id_of(original)) == [0, 1]
            and _decisions(view, event_id_of(added)) == [0]
            and holds_version(changed)(view)
        )

    await ctx.observe("the VEN takes each event version once, whatever the requestID", once_each)


@case("A_E1_0200", role=Role.VEN, title="limit values", rules=(9,))
async def limit_values(ctx: VenCaseContext) -> None:
    """Signal values at the edges the schema allows (payloadFloat is an xs:float), in one
    distribution: a SIMPLE event with levels 0 then 3 (the lowest and highest, rule 9); an
    ELECTRICITY_PRICE event with the largest and the most negative float (±3.4028235E+38), the
    smallest positive and negative ones (±1.4E-45) and 0; a LOAD_DISPATCH delta event with a
    large negative value. The VEN must answer each event with an eventResponse, echoing the
    requestID: 200 for the SIMPLE event, 200 or 460 for the price and dispatch ones (a VEN may
    not support those signals; a value at the edge of the schema is never a reason to refuse).
    A tester confirms the VEN keeps every value exactly, and, opted into the SIMPLE event, takes
    level 0 as a level (not as "no value") at the start and level 3 next (our VEN: the stored
    values equal those sent; on_event_started with 0, on_interval_changed with 3)."""
    await registered(ctx)
    ven_id = ctx.harness.ven_id
    levels = event(ven_id=ven_id, start=ahead(ctx, 4), signals=[simple(0, 3)])
    extremes = ("3.4028235E+38", "-3.4028235E+38", "1.4E-45", "-1.4E-45", "0")
    prices = event(ven_id=ven_id, start=ahead(ctx, 30), signals=[price(*extremes)])
    deltas = event(
        ven_id=ven_id, start=ahead(ctx, 31), signals=[dispatch("-99999999.5", "0.001", kind=SignalType.DELTA)]
    )
    what = "the events with limit values"
    sent = await distribute(ctx, levels, prices, deltas)
    created = await answer_to(ctx, sent, what)
    either = (ResponseCode.OK, ResponseCode.SIGNAL_NOT_SUPPORTED)
    expected: dict[QualifiedEventID, ResponseCode | tuple[ResponseCode, ...]] = {
        levels.qualified_event_id: ResponseCode.OK,
        prices.qualified_event_id: either,
        deltas.qualified_event_id: either,
    }
    found = check_answer(ctx, created, sent, expected, what)
    accepted = [
        item for item in (levels, prices, deltas) if found[item.qualified_event_id].response_code == "200"
    ]

    def exact(view: VenView) -> bool:
        for item in accepted:
            held = known(view, event_id_of(item))
            if held is None:
                return False
            sent_values = [i.value for s in item.ei_event.signals for i in s.intervals]
            held_values = [i.value for s in held.event.ei_event.signals for i in s.intervals]
            if sent_values != held_values:
                return False
        return True

    await ctx.observe("the VEN keeps every limit value exactly", exact)
    opt_type = found[levels.qualified_event_id].opt_type
    await observe_runs(ctx, levels, opt_type, "the SIMPLE event")
    if opt_type == OptType.OPT_IN:
        event_id = event_id_of(levels)
        await ctx.observe(
            "the VEN moves to level 3 when the second interval begins",
            lambda view: any(
                [value.value for value in call.detail] == [Decimal(3)]
                for call in view.called("interval", event_id)
            ),
            timeout=started_in_time(ctx, levels) + ctx.clock.real_seconds(timedelta(minutes=1)),
        )
