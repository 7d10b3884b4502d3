"""The 2.0b-profile event cases whose device is a VTN (E1_10xx / E0_60xx ``TH_VEN``): each runs
against our own VTN in both transports, and each fails against a VTN that breaks what it checks.

The broken VTNs are our real VTN (over loopback, a real SQLite file) with one behaviour altered on
that one instance (:class:`BrokenVtnFactory`): the events it creates built otherwise
(:class:`TamperedVtn`), what it sends or answers rewritten on its way out (:func:`sending`,
:func:`answering`), or its store made to forget or misrecord. Nothing is patched on a class, so
cases running at the same time are not affected. ``test_cases_events_2a_vtn.py`` uses the same
tools.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from openadr_accel import xml
from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from openadr_accel.conformance.cases.events_ven import expected_load
from openadr_accel.conformance.context import CompressedClock, Timeouts
from openadr_accel.conformance.devices import EventSpec
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory
from openadr_accel.conformance.runner import RunSettings, VtnRunner
from openadr_accel.model import (
    CurrencyCode,
    CurrencyKind,
    CurrencyUnit,
    EiEventSignal,
    EiResponse,
    EiTarget,
    OadrCreatedEvent,
    OadrCreatedOpt,
    OadrCreateOpt,
    OadrDistributeEvent,
    OadrEvent,
    OadrRequestEvent,
    OadrResponse,
    Payload,
    PayloadFloat,
    ResponseCode,
    ResponseRequired,
    SignalType,
)
from openadr_accel.vtn.handlers import Peer
from openadr_accel.vtn.store import (
    MessageKind,
    QueuedMessage,
    VenRecord,
)

FAST = RunSettings(speed=60, timeouts=Timeouts(message=10, action=10), case_seconds=60, jobs=4)
"""The settings of the brief: a compressed clock, bounded waits, four cases at once."""

BOTH = (Transport.PULL, Transport.PUSH)

NUMBERS = [
    "E1_1010",
    "E1_1020",
    "E1_1025",
    "E1_1027",
    "E1_1030",
    "E1_1040",
    "E1_1050",
    "E1_1060",
    "E1_1065",
    "E1_1070",
    "E1_1080",
]

NOT_APPLICABLE: dict[str, str] = {}
"""Cases that cannot apply to our VTN, by pull number, and what their reason says."""

BUGS: dict[str, str] = {}
"""Cases our VTN fails, by pull number: a bug of the VTN's, reported (not a fault of the case)."""


def selected(number: str, transport: Transport) -> Selected:
    """The VTN case ``number`` in ``transport``."""
    return Selected(REGISTRY.get(number, Role.VTN), transport)


def every_case(numbers: Iterable[str], bugs: dict[str, str]) -> list[Any]:
    """One pytest param per case and transport (marked xfail, strict, for a bug of ours)."""
    params = []
    for number in numbers:
        for transport in BOTH:
            item = selected(number, transport)
            marks = [pytest.mark.xfail(strict=True, reason=bugs[number])] if number in bugs else []
            params.append(pytest.param(item.case_id, marks=marks, id=item.case_id))
    return params


def run_all(numbers: Iterable[str]) -> dict[str, CaseResult]:
    """Every case of ``numbers`` in both transports against our own VTN, four at a time."""
    selection = [selected(number, transport) for number in numbers for transport in BOTH]
    results = asyncio.run(VtnRunner(OurVtnFactory(), FAST).run(selection))
    return {result.case_id: result for result in results}


@pytest.fixture(scope="module")
def ours() -> dict[str, CaseResult]:
    return run_all(NUMBERS)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case_id", every_case(NUMBERS, BUGS))
def test_every_event_case_passes_against_our_vtn(ours: dict[str, CaseResult], case_id: str) -> None:
    result = ours[case_id]
    number = result.case.number
    assert result.case.description, case_id
    assert result.checks, case_id
    if number in NOT_APPLICABLE:
        assert result.verdict is Verdict.NOT_APPLICABLE, (case_id, result.verdict, result.reason)
        assert NOT_APPLICABLE[number] in result.reason, (case_id, result.reason)
        return
    assert result.verdict is Verdict.PASSED, (case_id, result.reason)


# -- broken VTNs ------------------------------------------------------------------------------------

Breaks = Callable[[OurVtn], OurVtn | None]


class BrokenVtnFactory:
    """An :class:`OurVtnFactory` whose VTN ``breaks`` alters once it serves (before the case
    runs); ``breaks`` may return another device to use instead (a :class:`TamperedVtn`)."""

    shared_harness = False

    def __init__(self, breaks: Breaks, **options: Any) -> None:
        self._inner = OurVtnFactory(**options)
        self._breaks = breaks

    @contextlib.asynccontextmanager
    async def attach(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[OurVtn]:
        async with self._inner.attach(selected, clock) as device:
            altered = self._breaks(device)
            yield device if altered is None else altered


Alter = Callable[[OadrEvent], OadrEvent]


class TamperedVtn(OurVtn):
    """Our VTN, but each event it creates (``on_create``), modifies (``on_modify``) or cancels
    (``on_cancel``) is stored altered, in the same transaction, so it goes out altered."""

    def __init__(
        self,
        device: OurVtn,
        *,
        on_create: Alter | None = None,
        on_modify: Alter | None = None,
        on_cancel: Alter | None = None,
    ) -> None:
        super().__init__(device.vtn, device.url, device.journal)
        self._alter = {"create": on_create, "modify": on_modify, "cancel": on_cancel}

    async def _altered(self, kind: str, act: Awaitable[None]) -> None:
        alter = self._alter[kind]
        if alter is None:
            await act
            return
        store = self.vtn.store
        async with store.transaction():
            await act
            changed = alter(self.events[-1])
            await store.save_event(changed)
            self.events[-1] = changed

    async def create_event(self, spec: EventSpec) -> None:
        await self._altered("create", super().create_event(spec))

    async def modify_event(self, event_id: str, spec: EventSpec) -> None:
        await self._altered("modify", super().modify_event(event_id, spec))

    async def cancel_event(self, event_id: str) -> None:
        await self._altered("cancel", super().cancel_event(event_id))


def tampered(**alterations: Alter | None) -> Breaks:
    """A VTN whose events are stored altered (see :class:`TamperedVtn`)."""
    return lambda device: TamperedVtn(device, **alterations)


def each_signal(change: Callable[[EiEventSignal], EiEventSignal]) -> Alter:
    """An alteration of every signal of an event."""

    def alter(item: OadrEvent) -> OadrEvent:
        signals = tuple(change(signal) for signal in item.ei_event.signals)
        return replace(item, ei_event=replace(item.ei_event, signals=signals))

    return alter


def descriptor(**changes: Any) -> Alter:
    """An alteration of an event's eventDescriptor."""

    def alter(item: OadrEvent) -> OadrEvent:
        changed = replace(item.ei_event.event_descriptor, **changes)
        return replace(item, ei_event=replace(item.ei_event, event_descriptor=changed))

    return alter


def sending(change: Callable[[OadrDistributeEvent], OadrDistributeEvent]) -> Breaks:
    """A VTN whose every oadrDistributeEvent (polled, pushed, or answering oadrRequestEvent)
    goes out as ``change`` makes it."""

    def breaks(device: OurVtn) -> None:
        dispatcher = device.vtn.dispatcher
        outbound, handle = dispatcher.outbound, dispatcher.handle

        def rewrite(data: bytes) -> bytes:
            payload = xml.parse(data, validate=False)
            return xml.serialize(change(payload)) if isinstance(payload, OadrDistributeEvent) else data

        async def changed_outbound(ven: VenRecord, message: QueuedMessage) -> bytes:
            return rewrite(await outbound(ven, message))

        async def changed_handle(service: str, data: bytes, peer: Peer) -> bytes:
            answer = await handle(service, data, peer)  # a poll's answer went through outbound
            return (
                rewrite(answer) if isinstance(xml.parse(data, validate=False), OadrRequestEvent) else answer
            )

        dispatcher.outbound = changed_outbound  # type: ignore[method-assign]
        dispatcher.handle = changed_handle  # type: ignore[method-assign]

    return breaks


def answering(change: Callable[[Payload, Payload], Payload]) -> Breaks:
    """A VTN whose answer to each request of a VEN is ``change(request, answer)``."""

    def breaks(device: OurVtn) -> None:
        dispatcher = device.vtn.dispatcher
        handle = dispatcher.handle

        async def changed_handle(service: str, data: bytes, peer: Peer) -> bytes:
            answer = await handle(service, data, peer)
            try:
                request = xml.parse(data, validate=False)
            except Exception:
                return answer
            return xml.serialize(change(request, xml.parse(answer, validate=False)))

        dispatcher.handle = changed_handle  # type: ignore[method-assign]

    return breaks


def reading(change: Callable[[Payload], Payload]) -> Breaks:
    """A VTN that reads each request of a VEN as ``change`` makes it."""

    def breaks(device: OurVtn) -> None:
        dispatcher = device.vtn.dispatcher
        handle = dispatcher.handle

        async def changed_handle(service: str, data: bytes, peer: Peer) -> bytes:
            request = xml.parse(data, validate=False)
            return await handle(service, xml.serialize(change(request)), peer)

        dispatcher.handle = changed_handle  # type: ignore[method-assign]

    return breaks


def coded(code: ResponseCode, when: Callable[[Payload], bool]) -> Callable[[Payload, Payload], Payload]:
    """An answer change: the VTN's oadrResponse (or oadrCreatedOpt) carries ``code`` whenever
    ``when(request)`` holds."""

    def change(request: Payload, answer: Payload) -> Payload:
        if not when(request) or not isinstance(answer, OadrResponse | OadrCreatedOpt):
            return answer
        response = replace(answer.ei_response, response_code=code)
        return replace(answer, ei_response=response)

    return change


def is_created_event(request: Payload) -> bool:
    return isinstance(request, OadrCreatedEvent)


def store_patched(name: str, make: Callable[[Any], Any]) -> Breaks:
    """A VTN whose store's method ``name`` (on that one store) is ``make(original)``."""

    def breaks(device: OurVtn) -> None:
        store = device.vtn.store
        setattr(store, name, make(getattr(store, name)))

    return breaks


async def run(
    breaks: Breaks, numbers: Iterable[str], transports: Iterable[Transport] = (Transport.PULL,)
) -> list[CaseResult]:
    """The cases ``numbers`` in each of ``transports`` against a VTN broken by ``breaks``."""
    chosen = list(transports)
    selection = [selected(number, transport) for number in numbers for transport in chosen]
    return await VtnRunner(BrokenVtnFactory(breaks), FAST).run(selection)


def assert_failed(results: list[CaseResult], because: str) -> None:
    assert results
    for result in results:
        assert result.verdict is Verdict.FAILED, (result.case_id, result.verdict, result.reason)
        assert because in result.reason, (result.case_id, result.reason)


# -- each case fails against a VTN that breaks what it checks -----------------------------------------


async def test_a_vtn_that_never_creates_the_event_fails() -> None:
    class Idle(OurVtn):
        async def create_event(self, spec: EventSpec) -> None:
            """Does nothing: the operator's action never happens."""

    results = await run(lambda device: Idle(device.vtn, device.url, device.journal), ["E1_1020"])
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
    assert_failed(await run(tampered(on_create=alter), ["E1_1020"]), because)


async def test_the_dispatch_event_fails_against_a_vtn_that_sends_another_signal_type() -> None:
    alter = each_signal(lambda signal: replace(signal, signal_type=SignalType.DELTA))
    assert_failed(await run(tampered(on_create=alter), ["E1_1025"], BOTH), "of signalType setpoint")


async def test_a_vtn_that_refuses_valid_answers_fails_rule_48() -> None:
    breaks = answering(coded(ResponseCode.INVALID_ID, is_created_event))
    results = await run(breaks, ["E1_1020", "E1_1030", "E1_1040", "E1_1070"], BOTH)
    assert_failed(results, "with 200 (it answered 452)")


async def test_a_vtn_that_accepts_any_eventid_fails_the_case_sensitivity_case() -> None:
    breaks = answering(coded(ResponseCode.OK, is_created_event))
    assert_failed(await run(breaks, ["E1_1080"], BOTH), "with 452 (it answered 200")


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

    assert_failed(await run(reading(lower), ["E1_1080"]), "with 452 (it answered 200")


async def test_a_vtn_that_refuses_an_unsupported_signal_answer_fails() -> None:
    def refused(request: Payload) -> bool:
        return isinstance(request, OadrCreatedEvent) and any(
            response.response_code != ResponseCode.OK for response in request.event_responses
        )

    breaks = answering(coded(ResponseCode.INVALID_DATA, refused))
    assert_failed(await run(breaks, ["E1_1070"], BOTH), "with 200 (it answered 454)")


async def test_a_vtn_that_modifies_without_a_new_modification_number_fails() -> None:
    results = await run(tampered(on_modify=descriptor(modification_number=0)), ["E1_1030"], BOTH)
    assert_failed(results, "changed without a new modificationNumber")


def reversed_events(message: OadrDistributeEvent) -> OadrDistributeEvent:
    return replace(message, events=tuple(reversed(message.events)))


async def test_a_vtn_that_misorders_events_fails_rule_15() -> None:
    assert_failed(await run(sending(reversed_events), ["E1_1040", "E1_1050"], BOTH), "rule 15")


def without_active(request: Payload, answer: Payload) -> Payload:
    if not isinstance(request, OadrRequestEvent) or not isinstance(answer, OadrDistributeEvent):
        return answer
    return replace(answer, events=answer.events[1:])


async def test_a_vtn_that_answers_oadrrequestevent_with_part_of_the_events_fails() -> None:
    assert_failed(await run(answering(without_active), ["E1_1050"], BOTH), "carries both current events")


def eiresponse(code: ResponseCode) -> Callable[[Payload, Payload], Payload]:
    def change(request: Payload, answer: Payload) -> Payload:
        if not isinstance(request, OadrRequestEvent) or not isinstance(answer, OadrDistributeEvent):
            return answer
        return replace(answer, ei_response=EiResponse(response_code=code, request_id=request.request_id))

    return change


async def test_a_vtn_that_refuses_oadrrequestevent_fails_the_empty_distribution_case() -> None:
    breaks = answering(eiresponse(ResponseCode.NOT_ALLOWED))
    assert_failed(await run(breaks, ["E1_1010"], BOTH), "eiResponse 200 (it answered 451)")


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

    assert_failed(await run(breaks, ["E1_1010"], BOTH), "sends no oadrDistributeEvent afterwards")


async def test_a_vtn_that_refuses_opts_fails() -> None:
    breaks = answering(coded(ResponseCode.NOT_ALLOWED, lambda request: isinstance(request, OadrCreateOpt)))
    assert_failed(await run(breaks, ["E1_1060", "E1_1065"], BOTH), "accepts the oadrCreateOpt")


async def test_a_vtn_where_a_later_oadrcreatedevent_overrides_the_opt_fails_rule_206() -> None:
    """The VTN forgets the VEN's earlier answer (and so its opt) when an oadrCreatedEvent comes:
    the later optIn replaces the opt-out."""

    def forgetting(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def get_event_response(ven_id: str, event_id: str) -> None:
            return None

        return get_event_response

    results = await run(store_patched("get_event_response", forgetting), ["E1_1065"], BOTH)
    assert_failed(results, "the VTN ignores the later optIn")


def with_baseline(item: OadrEvent, *, uids: tuple[str, ...] = ("0", "1")) -> OadrEvent:
    baseline = expected_load(item.ei_event.active_period.dtstart)
    intervals = tuple(
        replace(interval, uid=uid) for interval, uid in zip(baseline.intervals, uids, strict=True)
    )
    return replace(item, ei_event=replace(item.ei_event, baseline=replace(baseline, intervals=intervals)))


async def test_the_baseline_case_fails_against_a_vtn_that_numbers_its_intervals_wrongly() -> None:
    results = await run(tampered(on_create=lambda item: with_baseline(item, uids=("1", "2"))), ["E1_1027"])
    assert_failed(results, "carry uids 0, 1, 2")


async def test_the_baseline_case_fails_when_the_intervals_do_not_cover_the_baseline() -> None:
    def short(item: OadrEvent) -> OadrEvent:
        built = with_baseline(item)
        baseline = built.ei_event.baseline
        assert baseline is not None
        first = replace(baseline.intervals[0], duration=timedelta(seconds=30))
        changed = replace(baseline, intervals=(first, *baseline.intervals[1:]))
        return replace(built, ei_event=replace(built.ei_event, baseline=changed))

    assert_failed(await run(tampered(on_create=short), ["E1_1027"]), "add up to its duration")
