"""The 2.0a-profile event cases whose device is a VEN (A_E1_0xxx / A_E0_0xxx ``TH_VTN``): each fails
against a VEN that breaks what it checks. That every case passes against our own VEN is
``conformance/test_ours.py``'s to show."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from conformance_runs import BOTH, assert_failed, each_event
from conformance_ven_devices import (
    BrokenVenFactory,
    Read,
    answering,
    keep_responses,
    reading,
    replace_method,
    run,
    selected,
)

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Transport, Verdict
from openadr_accel.conformance.cases.events_2a_ven import SEQUENCES
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.model import (
    EiResponse,
    EiTarget,
    EventResponse,
    EventStatus,
    OadrCreatedEvent,
    OadrDistributeEvent,
    OadrEvent,
    OptType,
    PayloadFloat,
    ResponseCode,
    ResponseRequired,
    SignalName,
)
from openadr_accel.ven.events import AcceptedDistribution

ALWAYS = [sequence.number for sequence in SEQUENCES if sequence.required is ResponseRequired.ALWAYS]
NEVER = [sequence.number for sequence in SEQUENCES if sequence.required is ResponseRequired.NEVER]


def test_the_state_sequences_follow_the_catalogue_numbering() -> None:
    """State outermost, then modificationNumber, then oadrResponseRequired (module docstring)."""
    expected = [
        (f"A_E1_{number:04d}", state, modification, required)
        for number, (state, modification, required) in zip(
            range(82, 105, 2),
            [
                (state, modification, required)
                for state in ("pending", "active", "cancelled")
                for modification in (0, 1)
                for required in ("always", "never")
            ],
            strict=True,
        )
    ]
    found = [(item.number, item.state_name, item.modification, item.required.value) for item in SEQUENCES]
    assert found == expected
    assert selected("A_E1_0104", Transport.PUSH).case_id == "A_E0_0104_TH_VTN"


# -- negative: a VEN that breaks the rule fails the case --------------------------------------------


def set_response_required(required: ResponseRequired) -> Any:
    return each_event(lambda item: replace(item, response_required=required))


def answer_every_event(
    answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
) -> OadrCreatedEvent | None:
    """An answer change: every event of the distribution answered (200, optIn unless answered)."""
    if not message.events:
        return answer
    given = {response.qualified_event_id: response for response in (answer.event_responses if answer else ())}
    responses = tuple(
        given.get(item.qualified_event_id)
        or EventResponse(
            response_code=ResponseCode.OK,
            request_id=message.request_id,
            qualified_event_id=item.qualified_event_id,
            opt_type=OptType.OPT_IN,
        )
        for item in message.events
    )
    return OadrCreatedEvent(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
        ven_id=ven_id,
        event_responses=responses,
    )


async def test_the_never_sequences_fail_against_a_ven_that_answers_every_event() -> None:
    """A VEN that ignores oadrResponseRequired never (it answers every event it gets)."""
    results = await run(BrokenVenFactory(answering(answer_every_event)), NEVER, BOTH)
    assert_failed(results, "the VEN does not answer")


async def test_the_always_sequences_fail_against_a_ven_that_answers_no_event() -> None:
    """A VEN that ignores oadrResponseRequired always (it never answers)."""
    results = await run(BrokenVenFactory(reading(set_response_required(ResponseRequired.NEVER))), ALWAYS)
    assert_failed(results, "did not send an oadrCreatedEvent answering")


async def test_the_cancellation_sequences_fail_against_a_ven_that_ignores_cancellations() -> None:
    def uncancel(item: OadrEvent) -> OadrEvent:
        descriptor = item.ei_event.event_descriptor
        if descriptor.event_status != EventStatus.CANCELLED:
            return item
        descriptor = replace(descriptor, event_status=EventStatus.FAR)
        return replace(item, ei_event=replace(item.ei_event, event_descriptor=descriptor))

    results = await run(BrokenVenFactory(reading(each_event(uncancel))), ["A_E1_0102", "A_E1_0104"])
    assert_failed(results, "cancels the event and does not carry it out")


async def test_the_active_sequence_fails_against_a_ven_that_does_not_start_a_running_event() -> None:
    """A VEN that takes an event already active for a pending one (it waits for a start that
    has passed): modelled by moving the start it sees a day ahead."""

    def later(item: OadrEvent) -> OadrEvent:
        period = replace(
            item.ei_event.active_period, dtstart=item.ei_event.active_period.dtstart + timedelta(days=1)
        )
        return replace(item, ei_event=replace(item.ei_event, active_period=period))

    results = await run(BrokenVenFactory(reading(each_event(later))), ["A_E1_0090", "A_E1_0092"])
    assert_failed(results, "carries out the active event at once")


def answering_empty(
    answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
) -> OadrCreatedEvent | None:
    if message.events:
        return answer
    return OadrCreatedEvent(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id), ven_id=ven_id
    )


async def test_a_e1_0020_fails_against_a_ven_that_answers_empty_distributions() -> None:
    assert_failed(
        await run(BrokenVenFactory(answering(answering_empty)), ["A_E1_0020"]),
        "sends no oadrCreatedEvent for the empty answer to its oadrRequestEvent",
    )


async def test_a_e1_0040_fails_against_a_ven_that_keeps_twelve_intervals() -> None:
    def twelve(item: OadrEvent) -> OadrEvent:
        signals = tuple(replace(signal, intervals=signal.intervals[:12]) for signal in item.ei_event.signals)
        return replace(item, ei_event=replace(item.ei_event, signals=signals))

    assert_failed(
        await run(BrokenVenFactory(reading(each_event(twelve))), ["A_E1_0040"], BOTH), "holds the 24 prices"
    )


async def test_a_e1_0040_does_not_apply_to_a_ven_without_price_signals() -> None:
    only_simple = OurVenFactory(supports=lambda signal: signal.signal_name == SignalName.SIMPLE)
    [result] = await run(only_simple, ["A_E1_0040"])
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason


async def test_a_e1_0060_fails_against_a_ven_that_drops_optional_elements() -> None:
    def plain(item: OadrEvent) -> OadrEvent:
        ei_event = item.ei_event
        descriptor = replace(ei_event.event_descriptor, vtn_comment=None, modification_reason=None)
        period = replace(ei_event.active_period, notification=None, ramp_up=None, recovery=None)
        return replace(item, ei_event=replace(ei_event, event_descriptor=descriptor, active_period=period))

    assert_failed(
        await run(BrokenVenFactory(reading(each_event(plain))), ["A_E1_0060"], BOTH),
        "keeps every optional element",
    )


async def test_a_e1_0070_fails_against_a_ven_that_keeps_only_ven_ids() -> None:
    def ven_ids_only(item: OadrEvent) -> OadrEvent:
        target = EiTarget(ven_ids=item.ei_event.target.ven_ids)
        return replace(item, ei_event=replace(item.ei_event, target=target))

    assert_failed(
        await run(BrokenVenFactory(reading(each_event(ven_ids_only))), ["A_E1_0070"], BOTH),
        "every sub-element",
    )


async def test_a_e1_0110_fails_against_a_ven_that_answers_a_new_event_as_version_0() -> None:
    def as_first(
        answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
    ) -> OadrCreatedEvent | None:
        if answer is None:
            return None
        responses = tuple(
            replace(response, qualified_event_id=replace(response.qualified_event_id, modification_number=0))
            for response in answer.event_responses
        )
        return replace(answer, event_responses=responses)

    assert_failed(await run(BrokenVenFactory(answering(as_first)), ["A_E1_0110"], BOTH), "answers exactly")


async def test_a_e1_0130_fails_against_a_ven_that_loses_the_test_marking() -> None:
    def unmarked(item: OadrEvent) -> OadrEvent:
        descriptor = replace(item.ei_event.event_descriptor, test_event=None)
        return replace(item, ei_event=replace(item.ei_event, event_descriptor=descriptor))

    assert_failed(
        await run(BrokenVenFactory(reading(each_event(unmarked))), ["A_E1_0130"], BOTH), "as test events"
    )


async def test_a_e1_0180_fails_against_a_ven_that_answers_only_new_events() -> None:
    new_only = keep_responses(lambda response: response.qualified_event_id.modification_number == 0)
    assert_failed(await run(BrokenVenFactory(answering(new_only)), ["A_E1_0180"], BOTH), "answers exactly")


async def test_a_e1_0190_fails_against_a_ven_that_skips_a_request_id_it_has_seen() -> None:
    """A VEN that takes a distribution whose requestID it has seen for a repeat, and skips it."""

    def breaks(device: OurVen) -> None:
        seen: set[str] = set()

        def make(original: Read) -> Read:
            async def read(message: OadrDistributeEvent, *, vtn_id: str, ven_id: str) -> AcceptedDistribution:
                accepted = await original(message, vtn_id=vtn_id, ven_id=ven_id)
                if message.request_id in seen:
                    return AcceptedDistribution(reading=accepted.reading, answer=None, _commit=skip)
                seen.add(message.request_id)
                return accepted

            return read

        replace_method(device.ven.events, "read", make)

    async def skip() -> None:
        return None

    assert_failed(await run(BrokenVenFactory(breaks), ["A_E1_0190"], BOTH), "under the same requestID")


async def test_a_e1_0190_fails_against_a_ven_that_answers_a_resent_distribution_differently() -> None:
    """A VEN that answers the re-sent distribution again, opting out where it first opted in."""
    first: dict[str, OadrCreatedEvent] = {}

    def change(
        answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
    ) -> OadrCreatedEvent | None:
        earlier = first.get(message.request_id)
        if earlier is None:
            if answer is not None:
                first[message.request_id] = answer
            return answer
        if answer is not None:
            return answer
        flipped = tuple(replace(response, opt_type=OptType.OPT_OUT) for response in earlier.event_responses)
        return replace(earlier, event_responses=flipped)

    assert_failed(
        await run(BrokenVenFactory(answering(change)), ["A_E1_0190"], BOTH),
        "exactly as it answered it the first time",
    )


async def test_a_e1_0200_fails_against_a_ven_that_keeps_values_as_binary_floats() -> None:
    def as_float(item: OadrEvent) -> OadrEvent:
        signals = tuple(
            replace(
                signal,
                intervals=tuple(
                    replace(
                        interval,
                        payloads=tuple(
                            PayloadFloat(value=Decimal(float(payload.value)))
                            if isinstance(payload, PayloadFloat)
                            else payload
                            for payload in interval.payloads
                        ),
                    )
                    for interval in signal.intervals
                ),
            )
            for signal in item.ei_event.signals
        )
        return replace(item, ei_event=replace(item.ei_event, signals=signals))

    assert_failed(
        await run(BrokenVenFactory(reading(each_event(as_float))), ["A_E1_0200"], BOTH),
        "every limit value exactly",
    )
