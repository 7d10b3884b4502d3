"""The 2.0a-profile observation and negative event cases (A_E1_0210-0392, A_E0 push twins),
against our own VEN over loopback at 60 times the wall clock. That every case passes against our
own VEN is ``conformance/test_ours.py``'s to show.

- A_E0_0310 cannot apply to our VEN (our push VEN answers inline, so there is no oadrResponse of
  the VTN's to carry an error); the test says so with its reason.
- Negative tests run the cases against VENs that break the rule each case checks (our VEN with one
  behaviour broken: it opts out, starts late, confirms new versions without applying them, takes
  any vtnID, ...), and every one of those cases must fail; a VEN that lacks LOAD_DISPATCH makes
  the dispatch case not applicable, never passed.
- Positive controls run the cases that fail against our VEN (:data:`BUGS`) against our VEN with
  the missing behaviour added, to show those cases can pass and fail only for the bug.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from conformance_runs import TRANSPORTS, by_number
from conformance_ven_devices import BrokenVenFactory, opting_out, run

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.build import MARKET_CONTEXT
from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from openadr_accel.conformance.cases import events_2a_observed_ven as module
from openadr_accel.conformance.context import CompressedClock
from openadr_accel.conformance.devices import OptRequest
from openadr_accel.conformance.harness_vtn import HarnessVtn
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.model import (
    EiEventSignal,
    EiResponse,
    EventResponse,
    OadrCreatedEvent,
    OadrDistributeEvent,
    OadrEvent,
    OptType,
    Payload,
    ResponseCode,
    ServiceName,
    SignalName,
)
from openadr_accel.ven import events as ven_events
from openadr_accel.ven.distribution import (
    Change,
    DistributionReading,
    EventUpdate,
    read_distribution,
)
from openadr_accel.ven.events import AcceptedDistribution, VenEvents

NUMBERS = (
    "A_E1_0210",
    "A_E1_0220",
    "A_E1_0230",
    "A_E1_0240",
    "A_E1_0250",
    "A_E1_0255",
    "A_E1_0260",
    "A_E1_0265",
    "A_E1_0270",
    "A_E1_0275",
    "A_E1_0280",
    "A_E1_0285",
    "A_E1_0300",
    "A_E1_0310",
    "A_E1_0325",
    "A_E1_0340",
    "A_E1_0345",
    "A_E1_0360",
    "A_E1_0370",
    "A_E1_0390",
    "A_E1_0392",
)

BUGS: Mapping[str, tuple[str, str]] = {}
"""Our VEN's bugs, by case: (the symptom in the failure reason, the bug)."""

NOT_APPLICABLE: Mapping[tuple[str, Transport], str] = {
    ("A_E1_0310", Transport.PUSH): "there is no oadrResponse of the VTN's to carry an error code",
}
"""Cases that cannot apply to our VEN, with the words their reason must contain."""


async def run_by_number(
    factory: Any, numbers: Iterable[str], transport: Transport = Transport.PULL
) -> dict[str, CaseResult]:
    """Run the cases against a VEN of ``factory`` in ``transport``; the results by pull number."""
    return by_number(await run(factory, numbers, [transport]))


def test_the_module_registers_exactly_these_cases() -> None:
    registered = sorted(
        found.number
        for found in REGISTRY
        if found.role is Role.VEN and found.body.__module__ == module.__name__
    )
    assert registered == list(NUMBERS)
    for number in NUMBERS:
        found = REGISTRY.get(number, Role.VEN)
        assert found.transports == (Transport.PULL, Transport.PUSH)
        assert found.description, number
        assert found.case_id(Transport.PUSH) == number.replace("A_E1_", "A_E0_") + "_TH_VTN"
    assert "A_E1_0210 simple event" in (module.__doc__ or "")


@pytest.mark.parametrize(("number", "transport"), list(NOT_APPLICABLE))
async def test_a_case_that_cannot_apply_to_our_ven_says_why(number: str, transport: Transport) -> None:
    [result] = await run(OurVenFactory(), [number], [transport])
    assert result.verdict is Verdict.NOT_APPLICABLE, (result.case_id, result.verdict, result.reason)
    assert NOT_APPLICABLE[(number, transport)] in result.reason


# -- VENs that break a rule -------------------------------------------------------------------------


def rewrite_updates(monkeypatch: pytest.MonkeyPatch, rewrite: Callable[[EventUpdate], EventUpdate]) -> None:
    """Make every VEN of this test read distributions with each event's update rewritten."""
    original = read_distribution

    def patched(
        known: Mapping[str, OadrEvent], message: OadrDistributeEvent, **options: Any
    ) -> DistributionReading:
        reading = original(known, message, **options)
        return replace(reading, updates=tuple(rewrite(update) for update in reading.updates))

    monkeypatch.setattr(ven_events, "read_distribution", patched)


def assert_all_fail(results: Mapping[str, CaseResult], numbers: Iterable[str], *symptoms: str) -> None:
    """Each case failed, with one of ``symptoms`` (when given) in its reason."""
    for number in numbers:
        result = results[number]
        assert result.verdict is Verdict.FAILED, (result.case_id, result.verdict, result.reason)
        assert not symptoms or any(symptom in result.reason for symptom in symptoms), (
            result.case_id,
            result.reason,
        )


@TRANSPORTS
async def test_a_ven_that_opts_out_fails_every_case(transport: Transport) -> None:
    """Every case needs the VEN to take part in its valid events: a VEN whose application opts
    out of everything fails each one, at the opt-in check."""
    numbers = [number for number in NUMBERS if (number, transport) not in NOT_APPLICABLE]
    results = await run_by_number(BrokenVenFactory(opting_out), numbers, transport)
    assert_all_fail(results, numbers, "the VEN opts in to")


async def test_a_ven_that_starts_events_late_fails_the_timing_observations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A VEN that starts every event 3 minutes late (beyond any startafter window) fails every
    case that watches a start, with the instant it started."""

    def late(event: OadrEvent, rng: object) -> timedelta:
        return (event.ei_event.active_period.start_after or timedelta(0)) + timedelta(minutes=3)

    monkeypatch.setattr(ven_events, "start_offset", late)
    numbers = ("A_E1_0210", "A_E1_0250", "A_E1_0255", "A_E1_0275", "A_E1_0285")
    results = await run_by_number(OurVenFactory(), numbers)
    # the late start is seen outside its span, or not by the span's end
    assert_all_fail(results, numbers, "outside", "not observed in time")
    assert all("starts" in result.reason for result in results.values())


async def test_a_ven_that_confirms_new_versions_without_applying_them_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A VEN that answers modifications and cancellations (200) but carries on with the version it
    had, and ignores events vanishing from a distribution, fails the cases that watch what it
    does with a modified, cancelled or vanished event."""
    original = VenEvents._apply

    async def keeps_old_versions(
        self: VenEvents, reading: DistributionReading, decisions: dict[str, OptType]
    ) -> None:
        ignored = (Change.MODIFIED, Change.CANCELLED, Change.IMPLICITLY_CANCELLED)
        kept = tuple(update for update in reading.updates if update.change not in ignored)
        await original(self, replace(reading, updates=kept), decisions)

    monkeypatch.setattr(VenEvents, "_apply", keeps_old_versions)
    numbers = ("A_E1_0220", "A_E1_0230", "A_E1_0240", "A_E1_0260", "A_E1_0265", "A_E1_0270", "A_E1_0392")
    results = await run_by_number(OurVenFactory(), numbers)
    assert_all_fail(results, numbers)
    assert "with 1" in results["A_E1_0230"].reason  # level 1 kept where the modification says 3
    assert "stops" in results["A_E1_0240"].reason
    assert "stops" in results["A_E1_0270"].reason


async def test_a_ven_that_keeps_executing_an_event_it_opted_out_of_fails_0280() -> None:
    def opt_ignored(device: OurVen) -> None:
        events = device.ven.events

        def opted(event_id: str, opt_type: OptType) -> None:
            pass

        events.opted = opted  # type: ignore[method-assign]

    results = await run_by_number(BrokenVenFactory(opt_ignored), ["A_E1_0280"])
    assert_all_fail(results, ["A_E1_0280"], "opted out")


async def test_a_ven_without_load_dispatch_makes_the_dispatch_case_not_applicable() -> None:
    def no_dispatch(signal: EiEventSignal) -> bool:
        return signal.signal_name != SignalName.LOAD_DISPATCH

    [result] = (await run_by_number(OurVenFactory(supports=no_dispatch), ["A_E1_0250"])).values()
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "460" in result.reason
    assert not result.verdict.is_pass


async def test_a_ven_that_supports_every_signal_fails_0360() -> None:
    results = await run_by_number(OurVenFactory(supports=lambda signal: True), ["A_E1_0360"])
    assert_all_fail(results, ["A_E1_0360"], "is not supported) with a 4xx error code")


async def test_a_ven_that_answers_an_unknown_cancelled_event_with_an_error_fails_0345(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse_unknown_cancelled(update: EventUpdate) -> EventUpdate:
        if update.change is Change.IGNORED_UNKNOWN_CANCELLED:
            return replace(update, response_code=ResponseCode.INVALID_ID, needs_response=True)
        return update

    rewrite_updates(monkeypatch, refuse_unknown_cancelled)
    results = await run_by_number(OurVenFactory(), ["A_E1_0345"])
    assert_all_fail(results, ["A_E1_0345"], "with an error (it answered 452)")


async def test_a_ven_that_takes_content_changed_without_a_new_modification_number_fails_0370(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def credulous(update: EventUpdate) -> EventUpdate:
        previous, now = update.previous, update.event
        if (
            update.change is Change.UNCHANGED
            and previous is not None
            and now is not None
            and previous.ei_event.active_period != now.ei_event.active_period
        ):
            return replace(update, change=Change.MODIFIED, needs_response=True)
        return update

    rewrite_updates(monkeypatch, credulous)
    results = await run_by_number(OurVenFactory(), ["A_E1_0370"])
    assert_all_fail(results, ["A_E1_0370"])


async def test_a_ven_that_takes_events_from_any_vtn_id_fails_0390(monkeypatch: pytest.MonkeyPatch) -> None:
    original = read_distribution

    def any_vtn(
        known: Mapping[str, OadrEvent], message: OadrDistributeEvent, **options: Any
    ) -> DistributionReading:
        return original(known, message, **{**options, "vtn_id": message.vtn_id})

    monkeypatch.setattr(ven_events, "read_distribution", any_vtn)
    results = await run_by_number(OurVenFactory(), ["A_E1_0390"])
    assert_all_fail(results, ["A_E1_0390"], "with 452")


async def test_a_ven_that_takes_a_lower_modification_number_fails_0392(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def takes_stale(update: EventUpdate) -> EventUpdate:
        if update.change is Change.IGNORED_STALE:
            return replace(update, change=Change.MODIFIED, response_code=ResponseCode.OK)
        return update

    rewrite_updates(monkeypatch, takes_stale)
    results = await run_by_number(OurVenFactory(), ["A_E1_0392"])
    assert_all_fail(results, ["A_E1_0392"], "with 452 in its eventResponse (it answered 200)")


async def test_a_ven_that_gives_up_when_its_answer_is_refused_fails_0310() -> None:
    """A VEN that stops when the VTN answers its oadrCreatedEvent with an error (pull)."""

    def gives_up(device: OurVen) -> None:
        client = device.ven.client
        send = client.send

        async def send_and_give_up(service: ServiceName, payload: Payload) -> Payload:
            answer = await send(service, payload)
            response = getattr(answer, "ei_response", None)
            if (
                isinstance(payload, OadrCreatedEvent)
                and isinstance(response, EiResponse)
                and response.response_code != ResponseCode.OK
            ):
                device.ven.stop()
            return answer

        client.send = send_and_give_up  # type: ignore[method-assign]

    results = await run_by_number(BrokenVenFactory(gives_up), ["A_E1_0310"])
    assert_all_fail(results, ["A_E1_0310"])


# -- an external device: nothing can be seen of it ---------------------------------------------------


class Blind:
    """Our VEN as an external device would be: driven the same way (a perfect operator), but
    nothing of it can be seen, so that a person must make every observation."""

    name = "unobservable VEN"

    def __init__(self, device: OurVen) -> None:
        self.device = device

    def observer(self) -> None:
        return None

    async def begin_registration(self) -> None:
        await self.device.begin_registration()

    async def cancel_registration(self) -> None:
        await self.device.cancel_registration()

    async def register_again(self, *, keep_registration_id: bool) -> None:
        await self.device.register_again(keep_registration_id=keep_registration_id)

    async def request_events(self) -> None:
        await self.device.request_events()

    async def create_opt(self, request: OptRequest) -> None:
        await self.device.create_opt(request)

    async def cancel_opt(self, opt_id: str) -> None:
        await self.device.cancel_opt(opt_id)


class BlindFactory:
    shared_harness = False

    @contextlib.asynccontextmanager
    async def attach(
        self, selected: Selected, harness: HarnessVtn, clock: CompressedClock
    ) -> AsyncIterator[Blind]:
        async with OurVenFactory().attach(selected, harness, clock) as device:
            yield Blind(device)


async def test_against_a_device_that_cannot_be_observed_the_cases_need_observation() -> None:
    """Where nothing of the VEN can be seen, what a tester watches is left to a person: a case
    whose checks all hold needs observation, never passes; a check that fails still fails."""
    numbers = ("A_E1_0210", "A_E1_0240", "A_E1_0260", "A_E1_0280", "A_E1_0300", "A_E1_0370", "A_E1_0390")
    results = await run_by_number(BlindFactory(), numbers)
    for number in numbers:
        result = results[number]
        assert result.verdict is Verdict.NEEDS_OBSERVATION, (result.case_id, result.verdict, result.reason)
        assert result.observations, result.case_id
        assert result.checks, result.case_id
    assert any("starts" in line for line in results["A_E1_0210"].observations)
    assert any("stops" in line for line in results["A_E1_0240"].observations)
    assert any("opted out" in line for line in results["A_E1_0280"].observations)


# -- positive controls: the cases our VEN fails pass against a VEN without its bugs -----------------

ENROLLED = (MARKET_CONTEXT, module.SECOND_MARKET_CONTEXT)


def discerning(device: OurVen) -> None:
    """Our VEN as 2.0b wants it for 0300, 0325 and 0340: an event targeted at other VENs only is
    answered 462, one of a market context it is not enrolled in 454 (neither is executed), and an
    event whose active period is over is ignored."""
    events = device.ven.events
    read = events.read
    clock = device.journal.clock

    async def reading(message: OadrDistributeEvent, *, vtn_id: str, ven_id: str) -> AcceptedDistribution:
        refused: list[tuple[OadrEvent, ResponseCode]] = []
        kept: list[OadrEvent] = []
        for item in message.events:
            ei_event = item.ei_event
            targets = ei_event.target.ven_ids
            if targets and ven_id not in targets:
                refused.append((item, ResponseCode.TARGET_MISMATCH))
            elif ei_event.event_descriptor.market_context not in ENROLLED:
                refused.append((item, ResponseCode.INVALID_DATA))
            elif not _over(item, clock()):
                kept.append(item)
        accepted = await read(replace(message, events=tuple(kept)), vtn_id=vtn_id, ven_id=ven_id)
        if not refused:
            return accepted
        responses = tuple(
            EventResponse(
                response_code=code,
                request_id=message.request_id,
                qualified_event_id=item.qualified_event_id,
                opt_type=OptType.OPT_OUT,
            )
            for item, code in refused
        )
        answer = accepted.answer or OadrCreatedEvent(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            ven_id=ven_id,
        )
        return replace(accepted, answer=replace(answer, event_responses=answer.event_responses + responses))

    events.read = reading  # type: ignore[method-assign]


def _over(item: OadrEvent, now: datetime) -> bool:
    period = item.ei_event.active_period
    return bool(period.duration) and period.end + (period.start_after or timedelta(0)) <= now


def steady_offset(event: OadrEvent, rng: object) -> timedelta:
    """A random start offset drawn once per event (from its eventID), not per version."""
    window = event.ei_event.active_period.start_after
    if not window:
        return timedelta(0)
    seed = zlib.crc32(event.ei_event.event_descriptor.event_id.encode())
    return timedelta(seconds=seed % (int(window.total_seconds()) + 1))


@TRANSPORTS
async def test_the_cases_our_ven_fails_pass_against_a_ven_without_those_bugs(
    transport: Transport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ven_events, "start_offset", steady_offset)
    numbers = sorted(BUGS)
    results = await run_by_number(BrokenVenFactory(discerning), numbers, transport)
    for number in numbers:
        result = results[number]
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
