"""The 2.0b-profile event cases whose device is a VTN (E1_10xx / E0_60xx ``TH_VEN``): each fails
against a VTN that breaks what it checks. That every case passes against our own VTN is
``conformance/test_ours.py``'s to show.

The broken VTNs are our real VTN (over loopback, a real SQLite file) with one behaviour altered on
that one instance (``conformance_vtn_devices``): the events it creates built otherwise
(:func:`~conformance_vtn_devices.tampered`), what it sends or answers rewritten on its way out
(:func:`~conformance_vtn_devices.sending`, :func:`~conformance_vtn_devices.answering`), or its
store made to forget or misrecord.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from conformance_runs import BOTH, assert_failed
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

from openadr_accel import xml
from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.cases.events_ven import expected_load
from openadr_accel.conformance.devices import EventSpec
from openadr_accel.conformance.our_vtn import OurVtn
from openadr_accel.model import (
    CurrencyCode,
    CurrencyKind,
    CurrencyUnit,
    EiEventSignal,
    EiResponse,
    EiTarget,
    OadrCreatedEvent,
    OadrCreateOpt,
    OadrDistributeEvent,
    OadrEvent,
    OadrRequestEvent,
    Payload,
    PayloadFloat,
    ResponseCode,
    ResponseRequired,
    SignalType,
)
from openadr_accel.vtn.handlers import Peer
from openadr_accel.vtn.store import MessageKind


def each_signal(change: Callable[[EiEventSignal], EiEventSignal]) -> Alter:
    """An alteration of every signal of an event."""

    def alter(item: OadrEvent) -> OadrEvent:
        signals = tuple(change(signal) for signal in item.ei_event.signals)
        return replace(item, ei_event=replace(item.ei_event, signals=signals))

    return alter


# -- each case fails against a VTN that breaks what it checks -----------------------------------------


async def test_a_vtn_that_never_creates_the_event_fails() -> None:
    class Idle(OurVtn):
        async def create_event(self, spec: EventSpec) -> None:
            """Does nothing: the operator's action never happens."""

    results = await run_broken(lambda device: Idle(device.vtn, device.url, device.journal), ["E1_1020"])
    assert_failed(results, "did not send an oadrDistributeEvent with the ELECTRICITY_PRICE event")


EURO = CurrencyUnit(kind=CurrencyKind.CURRENCY_PER_KWH, code=CurrencyCode.EUR)


@pytest.mark.parametrize(
    ("alter", "because"),
    [
        (each_signal(lambda signal: replace(signal, item_base=EURO)), "carries the units asked for"),
        (each_signal(lambda signal: replace(signal, item_base=None)), "carries the units asked for"),
        (
            each_signal(
                lambda signal: replace(
                    signal,
                    intervals=tuple(
                        replace(interval, payloads=(PayloadFloat(value=Decimal(9)),))
                        for interval in signal.intervals
                    ),
                )
            ),
            "has the intervals asked for",
        ),
        (lambda item: replace(item, response_required=ResponseRequired.NEVER), "oadrResponseRequired always"),
        (
            lambda item: replace(item, ei_event=replace(item.ei_event, target=EiTarget())),
            "names the VEN's venID",
        ),
        (
            lambda item: replace(
                item,
                ei_event=replace(
                    item.ei_event,
                    active_period=replace(
                        item.ei_event.active_period,
                        dtstart=item.ei_event.active_period.dtstart + timedelta(minutes=5),
                    ),
                ),
            ),
            "no new event starting at",
        ),
        (descriptor(test_event="true"), "is not a test event"),
    ],
    ids=[
        "other-currency",
        "no-units",
        "other-values",
        "response-never",
        "other-target",
        "late-start",
        "test",
    ],
)
async def test_the_price_event_fails_against_a_vtn_that_builds_it_otherwise(
    alter: Alter, because: str
) -> None:
    assert_failed(await run_broken(tampered(on_create=alter), ["E1_1020"]), because)


async def test_the_dispatch_event_fails_against_a_vtn_that_sends_another_signal_type() -> None:
    alter = each_signal(lambda signal: replace(signal, signal_type=SignalType.DELTA))
    assert_failed(await run_broken(tampered(on_create=alter), ["E1_1025"], BOTH), "of signalType setpoint")


async def test_a_vtn_that_refuses_valid_answers_fails_rule_48() -> None:
    breaks = answering(coded(ResponseCode.INVALID_ID, is_created_event))
    results = await run_broken(breaks, ["E1_1020", "E1_1030", "E1_1040", "E1_1070"], BOTH)
    assert_failed(results, "with 200 (it answered 452)")


async def test_a_vtn_that_accepts_any_eventid_fails_the_case_sensitivity_case() -> None:
    breaks = answering(coded(ResponseCode.OK, is_created_event))
    assert_failed(await run_broken(breaks, ["E1_1080"], BOTH), "with 452 (it answered 200")


async def test_a_vtn_that_ignores_case_when_it_reads_eventids_fails() -> None:
    """A VTN that matches eventIDs case-insensitively (it reads the lower-cased ID) accepts the
    swapped case: the case must fail on its answer 200."""

    def lower(request: Payload) -> Payload:
        if not isinstance(request, OadrCreatedEvent):
            return request
        responses = tuple(
            replace(
                response,
                qualified_event_id=replace(
                    response.qualified_event_id, event_id=response.qualified_event_id.event_id.lower()
                ),
            )
            for response in request.event_responses
        )
        return replace(request, event_responses=responses)

    assert_failed(await run_broken(reading(lower), ["E1_1080"]), "with 452 (it answered 200")


async def test_a_vtn_that_refuses_an_unsupported_signal_answer_fails() -> None:
    def refused(request: Payload) -> bool:
        return isinstance(request, OadrCreatedEvent) and any(
            response.response_code != ResponseCode.OK for response in request.event_responses
        )

    breaks = answering(coded(ResponseCode.INVALID_DATA, refused))
    assert_failed(await run_broken(breaks, ["E1_1070"], BOTH), "with 200 (it answered 454)")


async def test_a_vtn_that_modifies_without_a_new_modification_number_fails() -> None:
    results = await run_broken(tampered(on_modify=descriptor(modification_number=0)), ["E1_1030"], BOTH)
    assert_failed(results, "changed without a new modificationNumber")


async def test_a_vtn_that_misorders_events_fails_rule_15() -> None:
    assert_failed(await run_broken(sending(reversed_events), ["E1_1040", "E1_1050"], BOTH), "rule 15")


def without_active(request: Payload, answer: Payload) -> Payload:
    if not isinstance(request, OadrRequestEvent) or not isinstance(answer, OadrDistributeEvent):
        return answer
    return replace(answer, events=answer.events[1:])


async def test_a_vtn_that_answers_oadrrequestevent_with_part_of_the_events_fails() -> None:
    assert_failed(
        await run_broken(answering(without_active), ["E1_1050"], BOTH), "carries both current events"
    )


def eiresponse(code: ResponseCode) -> Callable[[Payload, Payload], Payload]:
    def change(request: Payload, answer: Payload) -> Payload:
        if not isinstance(request, OadrRequestEvent) or not isinstance(answer, OadrDistributeEvent):
            return answer
        return replace(answer, ei_response=EiResponse(response_code=code, request_id=request.request_id))

    return change


async def test_a_vtn_that_refuses_oadrrequestevent_fails_the_empty_distribution_case() -> None:
    breaks = answering(eiresponse(ResponseCode.NOT_ALLOWED))
    assert_failed(await run_broken(breaks, ["E1_1010"], BOTH), "eiResponse 200 (it answered 451)")


async def test_a_vtn_that_waits_for_an_answer_to_an_empty_distribution_fails() -> None:
    """After its empty answer the VTN sends the harness empty distributions again and again (as
    if it waited for an oadrCreatedEvent)."""

    def breaks(device: OurVtn) -> None:
        dispatcher, store, context = device.vtn.dispatcher, device.vtn.store, device.vtn._context
        handle = dispatcher.handle

        async def nagging(service: str, data: bytes, peer: Peer) -> bytes:
            answer = await handle(service, data, peer)
            request = xml.parse(data, validate=False)
            if isinstance(request, OadrRequestEvent):
                await store.enqueue(request.ven_id, MessageKind.DISTRIBUTE_EVENTS, None, now=context.clock())
                context.push_wakeup.set()
            return answer

        dispatcher.handle = nagging  # type: ignore[method-assign]

    assert_failed(await run_broken(breaks, ["E1_1010"], BOTH), "sends no oadrDistributeEvent afterwards")


async def test_a_vtn_that_refuses_opts_fails() -> None:
    breaks = answering(coded(ResponseCode.NOT_ALLOWED, lambda request: isinstance(request, OadrCreateOpt)))
    assert_failed(await run_broken(breaks, ["E1_1060", "E1_1065"], BOTH), "accepts the oadrCreateOpt")


async def test_a_vtn_where_a_later_oadrcreatedevent_overrides_the_opt_fails_rule_206() -> None:
    """The VTN forgets the VEN's earlier answer (and so its opt) when an oadrCreatedEvent comes:
    the later optIn replaces the opt-out."""

    def forgetting(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def get_event_response(ven_id: str, event_id: str) -> None:
            return None

        return get_event_response

    results = await run_broken(store_patched("get_event_response", forgetting), ["E1_1065"], BOTH)
    assert_failed(results, "the VTN ignores the later optIn")


def with_baseline(item: OadrEvent, *, uids: tuple[str, ...] = ("0", "1")) -> OadrEvent:
    baseline = expected_load(item.ei_event.active_period.dtstart)
    intervals = tuple(
        replace(interval, uid=uid) for interval, uid in zip(baseline.intervals, uids, strict=True)
    )
    return replace(item, ei_event=replace(item.ei_event, baseline=replace(baseline, intervals=intervals)))


async def test_the_baseline_case_fails_against_a_vtn_that_numbers_its_intervals_wrongly() -> None:
    results = await run_broken(
        tampered(on_create=lambda item: with_baseline(item, uids=("1", "2"))), ["E1_1027"]
    )
    assert_failed(results, "carry uids 0, 1, 2")


async def test_the_baseline_case_fails_when_the_intervals_do_not_cover_the_baseline() -> None:
    def short(item: OadrEvent) -> OadrEvent:
        built = with_baseline(item)
        baseline = built.ei_event.baseline
        assert baseline is not None
        first = replace(baseline.intervals[0], duration=timedelta(seconds=30))
        changed = replace(baseline, intervals=(first, *baseline.intervals[1:]))
        return replace(built, ei_event=replace(built.ei_event, baseline=changed))

    assert_failed(await run_broken(tampered(on_create=short), ["E1_1027"]), "add up to its duration")
