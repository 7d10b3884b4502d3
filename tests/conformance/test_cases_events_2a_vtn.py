"""The 2.0a-profile event cases whose device is a VTN (A_E3 / A_E2 ``TH_VEN``): each fails against
a VTN that breaks what it checks. That every case passes against our own VTN is
``conformance/test_ours.py``'s to show.

The broken VTNs are made with the tools of ``conformance_vtn_devices`` (our real VTN with one
behaviour altered on that one instance).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from conformance_runs import BOTH, assert_failed, each_event
from conformance_vtn_devices import (
    Alter,
    answering,
    coded,
    descriptor,
    is_created_event,
    reading,
    reversed_events,
    run_broken,
    sending,
    store_patched,
    tampered,
)

from openadr_accel.conformance.case import Transport
from openadr_accel.conformance.cases.events_2a_vtn import OTHER_VEN, SEQUENCES, State
from openadr_accel.model import (
    EiTarget,
    EventStatus,
    OadrCreatedEvent,
    OadrDistributeEvent,
    OadrEvent,
    OadrRequestEvent,
    OptType,
    Payload,
    ResponseCode,
    ResponseRequired,
)
from openadr_accel.vtn.store import EventResponseRecord, EventResponseSource


def test_the_sequences_are_numbered_as_the_module_docstring_says() -> None:
    assert len(SEQUENCES) == 24
    assert [sequence.number for sequence in SEQUENCES] == [f"A_E3_{n:04d}" for n in range(452, 499, 2)]
    first, last = SEQUENCES[0], SEQUENCES[-1]
    assert (first.state, first.modified, first.answer, first.required) == (
        State.PENDING,
        False,
        OptType.OPT_IN,
        ResponseRequired.ALWAYS,
    )
    assert (last.state, last.modified, last.answer, last.required) == (
        State.CANCELLED,
        True,
        OptType.OPT_OUT,
        ResponseRequired.NEVER,
    )
    assert SEQUENCES[9].number == "A_E3_0470"  # active, not modified, optIn, never
    assert (SEQUENCES[9].state, SEQUENCES[9].answer, SEQUENCES[9].required) == (
        State.ACTIVE,
        OptType.OPT_IN,
        ResponseRequired.NEVER,
    )


def numbers_of(*, state: State | None = None, required: ResponseRequired | None = None) -> list[str]:
    return [
        sequence.number
        for sequence in SEQUENCES
        if (state is None or sequence.state is state) and (required is None or sequence.required is required)
    ]


# -- ways to break our VTN --------------------------------------------------------------------------


def in_request_answers(keep: Callable[[OadrEvent], bool]) -> Callable[[Payload, Payload], Payload]:
    """An answer change: the answers to oadrRequestEvent keep only the events ``keep`` likes."""

    def change(request: Payload, answer: Payload) -> Payload:
        if not isinstance(request, OadrRequestEvent) or not isinstance(answer, OadrDistributeEvent):
            return answer
        return replace(answer, events=tuple(item for item in answer.events if keep(item)))

    return change


def status_of(item: OadrEvent) -> EventStatus:
    return item.ei_event.event_descriptor.event_status


def shown_as(status: EventStatus, when: Callable[[OadrEvent], bool]) -> Callable[[OadrEvent], OadrEvent]:
    """An event sent with eventStatus ``status`` (and currentValue 0) whenever ``when`` holds."""

    def change(item: OadrEvent) -> OadrEvent:
        if not when(item):
            return item
        signals = tuple(replace(signal, current_value=Decimal(0)) for signal in item.ei_event.signals)
        changed = descriptor(event_status=status)(item)
        return replace(changed, ei_event=replace(changed.ei_event, signals=signals))

    return change


def recording(change: Callable[[EventResponseRecord], EventResponseRecord | None]) -> Any:
    """A store patch: each answer of a VEN is saved as ``change`` makes it (None: not saved)."""

    def make(original: Callable[[EventResponseRecord], Awaitable[None]]) -> Any:
        async def save_event_response(record: EventResponseRecord) -> None:
            changed = change(record)
            if changed is not None:
                await original(changed)

        return save_event_response

    return store_patched("save_event_response", make)


# -- the state sequences ----------------------------------------------------------------------------


async def test_a_vtn_that_forgets_unanswered_events_fails_the_never_sequences() -> None:
    breaks = answering(in_request_answers(lambda item: item.response_required != ResponseRequired.NEVER))
    results = await run_broken(breaks, numbers_of(required=ResponseRequired.NEVER)[::3])
    assert_failed(results, "still holds the event")


async def test_a_vtn_that_sends_an_active_event_as_pending_fails_the_active_sequences() -> None:
    breaks = sending(
        each_event(shown_as(EventStatus.NEAR, lambda item: status_of(item) == EventStatus.ACTIVE))
    )
    results = await run_broken(breaks, numbers_of(state=State.ACTIVE)[::2], BOTH)
    assert_failed(results, "has eventStatus active")


async def test_a_vtn_that_cancels_without_the_cancelled_status_fails_the_cancelled_sequences() -> None:
    breaks = tampered(on_cancel=descriptor(event_status=EventStatus.FAR))
    results = await run_broken(breaks, numbers_of(state=State.CANCELLED)[::3])
    assert_failed(results, "the cancelled event has eventStatus cancelled")


async def test_a_vtn_that_records_no_answer_fails() -> None:
    results = await run_broken(
        recording(lambda record: None), ["A_E3_0452", "A_E3_0458", "A_E3_0492", "A_E3_0440"]
    )
    assert_failed(results, "not observed in time: the VTN records")


async def test_a_vtn_that_records_every_answer_as_an_opt_in_fails() -> None:
    breaks = recording(lambda record: replace(record, opt_type=OptType.OPT_IN))
    results = await run_broken(
        breaks, ["A_E3_0456", "A_E3_0464", "A_E3_0480", "A_E3_0440", "A_E3_0450"], BOTH
    )
    assert_failed(results, "not observed in time")


async def test_a_vtn_that_ignores_opts_on_events_fails_the_asynchronous_opt_out() -> None:
    breaks = recording(lambda record: None if record.source == EventResponseSource.CREATE_OPT else record)
    assert_failed(await run_broken(breaks, ["A_E3_0500", "A_E3_0474"], BOTH), "not observed in time")


# -- the other cases --------------------------------------------------------------------------------


async def test_a_vtn_whose_events_never_become_active_fails() -> None:
    breaks = sending(
        each_event(shown_as(EventStatus.FAR, lambda item: status_of(item) == EventStatus.ACTIVE))
    )
    assert_failed(await run_broken(breaks, ["A_E3_0420", "A_E3_0530"], BOTH), "eventStatus active")


@pytest.mark.parametrize(
    ("number", "alter", "because"),
    [
        ("A_E3_0430", descriptor(priority=None), "has priority 3"),
        ("A_E3_0430", descriptor(vtn_comment=None), "carries the vtnComment"),
        ("A_E3_0432", descriptor(test_event="false"), "is a test event"),
        (
            "A_E3_0432",
            lambda item: replace(
                item,
                ei_event=replace(
                    item.ei_event, active_period=replace(item.ei_event.active_period, start_after=None)
                ),
            ),
            "randomizes its start",
        ),
        ("A_E3_0432", descriptor(market_context="http://MarketContext1"), "is in the market context"),
    ],
    ids=["priority", "comment", "test-event", "randomization", "market-context"],
)
async def test_a_vtn_that_drops_optional_elements_fails(number: str, alter: Alter, because: str) -> None:
    assert_failed(await run_broken(tampered(on_create=alter), [number]), because)


async def test_a_vtn_that_sends_another_vens_event_fails_the_target_case() -> None:
    def to_everyone(item: OadrEvent) -> OadrEvent:
        if OTHER_VEN not in item.ei_event.target.ven_ids:
            return item
        return replace(item, ei_event=replace(item.ei_event, target=EiTarget()))

    results = await run_broken(tampered(on_create=to_everyone), ["A_E3_0435"], BOTH)
    assert_failed(results, "carries no event targeted at another VEN")


async def test_a_vtn_that_loses_the_resource_of_a_target_fails() -> None:
    def venid_only(item: OadrEvent) -> OadrEvent:
        target = item.ei_event.target
        return replace(item, ei_event=replace(item.ei_event, target=replace(target, resource_ids=())))

    assert_failed(await run_broken(tampered(on_create=venid_only), ["A_E3_0435"]), "names every resourceid")


async def test_a_vtn_that_misorders_events_fails_the_ordering_cases() -> None:
    results = await run_broken(sending(reversed_events), ["A_E3_0510", "A_E3_0520", "A_E3_0525"], BOTH)
    assert_failed(results, "rule 15")


async def test_a_vtn_that_never_says_near_fails() -> None:
    breaks = sending(each_event(shown_as(EventStatus.FAR, lambda item: status_of(item) == EventStatus.NEAR)))
    assert_failed(await run_broken(breaks, ["A_E3_0527"], BOTH), "says near of the event before it starts")


async def test_a_vtn_that_drops_one_of_two_overlapping_events_fails() -> None:
    seen: set[str] = set()

    def first_only(item: OadrEvent) -> bool:
        if not seen:
            seen.add(item.ei_event.event_descriptor.event_id)
        return item.ei_event.event_descriptor.event_id in seen

    assert_failed(await run_broken(answering(in_request_answers(first_only)), ["A_E3_0530"]), "while both")


async def test_a_vtn_that_ignores_the_reply_limit_fails() -> None:
    def unlimited(request: Payload) -> Payload:
        return replace(request, reply_limit=None) if isinstance(request, OadrRequestEvent) else request

    assert_failed(await run_broken(reading(unlimited), ["A_E3_0655"], BOTH), "with replyLimit 2")


async def test_a_vtn_that_forgets_an_unacknowledged_cancellation_fails() -> None:
    breaks = answering(in_request_answers(lambda item: status_of(item) != EventStatus.CANCELLED))
    assert_failed(await run_broken(breaks, ["A_E3_0657"], BOTH), "still tells the VEN of the cancellation")


def newest_only(message: OadrDistributeEvent) -> OadrDistributeEvent:
    if not message.events:
        return message
    newest = max(message.events, key=lambda item: item.ei_event.event_descriptor.created_date_time)
    return replace(message, events=(newest,))


async def test_a_vtn_that_sends_deltas_fails_the_return_all_events_case() -> None:
    assert_failed(
        await run_broken(sending(newest_only), ["A_E3_0680"], BOTH), "also carries every earlier event"
    )


async def test_a_vtn_that_delays_the_status_by_the_randomization_fails() -> None:
    def randomized(item: OadrEvent) -> bool:
        return item.ei_event.active_period.start_after is not None and status_of(item) == EventStatus.ACTIVE

    breaks = sending(each_event(shown_as(EventStatus.NEAR, randomized)))
    assert_failed(await run_broken(breaks, ["A_E3_0685"]), "inside its randomization window")


async def test_a_vtn_that_refuses_error_answers_fails() -> None:
    def refused(request: Payload) -> bool:
        return isinstance(request, OadrCreatedEvent) and any(
            response.response_code != ResponseCode.OK for response in request.event_responses
        )

    breaks = answering(coded(ResponseCode.INVALID_DATA, refused))
    assert_failed(await run_broken(breaks, ["A_E3_0710", "A_E3_0750"], BOTH), "(it answered 454")


async def test_a_vtn_that_accepts_any_ids_fails_the_mismatch_cases() -> None:
    breaks = answering(coded(ResponseCode.OK, is_created_event))
    results = await run_broken(breaks, ["A_E3_0720", "A_E3_0730", "A_E3_0780"], BOTH)
    assert_failed(results, "(it answered 200")


async def test_a_vtn_that_serves_unknown_vens_fails_the_unrecognized_venid_case() -> None:
    """A VTN that answers any venID's oadrRequestEvent with the harness's events."""

    def as_the_harness(request: Payload) -> Payload:
        if isinstance(request, OadrRequestEvent) and request.ven_id.startswith("TH-UNKNOWN-VEN-"):
            return replace(request, ven_id=known_ven[0])
        ven_id = getattr(request, "ven_id", None)
        if isinstance(ven_id, str) and ven_id and not ven_id.startswith("TH-"):
            known_ven[:] = [ven_id]
        return request

    known_ven: list[str] = [""]
    results = await run_broken(reading(as_the_harness), ["A_E3_0780"], (Transport.PULL,))
    assert_failed(results, "refuses the oadrRequestEvent from the unknown venID")
