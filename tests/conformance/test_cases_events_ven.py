"""The 2.0b-profile event cases whose device is a VEN (E1_10xx / E0_60xx ``TH_VTN``): each fails
against a VEN that breaks what it checks, and some do not apply to a VEN without the signals they
are about. That every case passes against our own VEN is ``conformance/test_ours.py``'s to show.

The broken VENs are our real VEN with one behaviour altered on that instance
(:class:`conformance_ven_devices.BrokenVenFactory`; :func:`~conformance_ven_devices.reading` and
:func:`~conformance_ven_devices.answering` alter how it reads a distribution or what it answers).
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance_runs import BOTH, assert_failed, each_event, has_check
from conformance_ven_devices import (
    BrokenVenFactory,
    Read,
    answering,
    external_ven,
    free_port,
    keep_responses,
    opting_out,
    reading,
    replace_method,
    run,
    selected,
)

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Transport, Verdict
from openadr_accel.conformance.context import Timeouts
from openadr_accel.conformance.devices import ExternalVenFactory, OptRequest, PrintingOperator
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.conformance.runner import RunSettings, VenRunner
from openadr_accel.model import (
    EiResponse,
    OadrCreatedEvent,
    OadrDistributeEvent,
    OadrRequestEvent,
    ResponseCode,
    SignalName,
)
from openadr_accel.ven.events import AcceptedDistribution
from openadr_accel.ven.session import new_id

# -- negative: a VEN that breaks the rule fails the case --------------------------------------------


async def test_e1_1010_fails_against_a_ven_that_answers_an_empty_distribution() -> None:
    def answer_nothing(
        answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
    ) -> OadrCreatedEvent | None:
        if message.events:
            return answer
        return OadrCreatedEvent(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            ven_id=ven_id,
        )

    pull, push = await run(BrokenVenFactory(answering(answer_nothing)), ["E1_1010"], BOTH)
    assert_failed([pull], "sends no oadrCreatedEvent for an empty oadrDistributeEvent")
    assert_failed([push], "acknowledges the pushed an empty oadrDistributeEvent with oadrResponse 200")


async def test_answers_that_echo_another_request_id_fail_the_cases() -> None:
    def elsewhere(
        answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
    ) -> OadrCreatedEvent | None:
        if answer is None:
            return None
        responses = tuple(
            replace(response, request_id="NOT-THE-REQUEST") for response in answer.event_responses
        )
        return replace(answer, event_responses=responses)

    results = await run(
        BrokenVenFactory(answering(elsewhere)), ["E1_1020", "E1_1025", "E1_1030", "E1_1040", "E1_1050"]
    )
    assert_failed(results, "echoes its requestID")


async def test_price_and_dispatch_cases_do_not_apply_to_a_ven_with_only_simple_signals() -> None:
    """A VEN that supports only SIMPLE signals answers 460 to price and dispatch events: E1_1020
    and E1_1025 do not apply to it (never a pass), E1_1040 accepts the refusals of the complex
    events, E1_1027 (a SIMPLE event) still passes."""
    only_simple = OurVenFactory(supports=lambda signal: signal.signal_name == SignalName.SIMPLE)
    price, dispatch, several, baseline = await run(only_simple, ["E1_1020", "E1_1025", "E1_1040", "E1_1027"])
    for result in (price, dispatch):
        assert result.verdict is Verdict.NOT_APPLICABLE, (result.case_id, result.reason)
        assert "answered 460" in result.reason
        assert not result.verdict.is_pass
    assert several.verdict is Verdict.PASSED, several.reason
    assert baseline.verdict is Verdict.PASSED, baseline.reason


async def test_e1_1040_fails_against_a_ven_that_refuses_simple_events() -> None:
    no_simple = OurVenFactory(supports=lambda signal: signal.signal_name != SignalName.SIMPLE)
    assert_failed(await run(no_simple, ["E1_1040"]), "with responseCode 200 (it answered 460)")


async def test_e1_1027_fails_against_a_ven_that_drops_the_baseline() -> None:
    drop = each_event(lambda item: replace(item, ei_event=replace(item.ei_event, baseline=None)))
    assert_failed(
        await run(BrokenVenFactory(reading(drop)), ["E1_1027"], BOTH), "keeps the event's eiEventBaseline"
    )


async def test_e1_1030_fails_against_a_ven_that_does_not_answer_modifications() -> None:
    first_versions = keep_responses(lambda response: response.qualified_event_id.modification_number == 0)
    assert_failed(
        await run(BrokenVenFactory(answering(first_versions)), ["E1_1030"], BOTH),
        "answering the modified event",
    )


async def test_e1_1040_fails_against_a_ven_that_answers_one_event_only() -> None:
    def first_only(
        answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
    ) -> OadrCreatedEvent | None:
        return None if answer is None else replace(answer, event_responses=answer.event_responses[:1])

    assert_failed(await run(BrokenVenFactory(answering(first_only)), ["E1_1040"], BOTH), "answers exactly")


async def test_e1_1050_fails_against_a_ven_that_does_not_answer_the_events_it_asked_for() -> None:
    def breaks(device: OurVen) -> None:
        session = device.ven.session

        def make(original: Any) -> Any:
            async def request_events() -> OadrDistributeEvent:
                request = OadrRequestEvent(request_id=new_id(), ven_id=session.ven_id)
                return await session._send(request, OadrDistributeEvent)

            return request_events

        replace_method(session, "request_events", make)

    assert_failed(await run(BrokenVenFactory(breaks), ["E1_1050"], BOTH), "answering the events it asked for")


async def test_e1_1060_fails_against_a_ven_that_opted_out_of_the_event() -> None:
    assert_failed(await run(BrokenVenFactory(opting_out), ["E1_1060"]), "opts into the event first")


def opts_for_every_resource(device: OurVen) -> None:
    """A VEN asked to opt out for some resources that opts out for all of them."""
    original = device.create_opt

    async def create_opt(request: OptRequest) -> None:
        await original(replace(request, resource_ids=()))

    device.create_opt = create_opt  # type: ignore[method-assign]


async def test_e1_1060_fails_against_a_ven_that_opts_out_for_every_resource() -> None:
    assert_failed(
        await run(BrokenVenFactory(opts_for_every_resource), ["E1_1060"], BOTH),
        "names the resources it opts out",
    )


def remembers_its_opts(device: OurVen) -> None:
    """A VEN whose handler answers each event as its latest oadrCreateOpt on it says (what our
    VEN's handler must do today, since the VEN does not do it by itself: see BUGS)."""
    original = device.create_opt

    async def create_opt(request: OptRequest) -> None:
        await original(request)
        if request.event_id is not None and not request.resource_ids:
            device.journal.decisions[request.event_id] = request.opt_type

    device.create_opt = create_opt  # type: ignore[method-assign]


async def test_e1_1065_passes_against_a_ven_whose_handler_keeps_to_its_opt() -> None:
    for result in await run(BrokenVenFactory(remembers_its_opts), ["E1_1065"], BOTH):
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)


async def test_e1_1065_fails_against_a_ven_that_withdraws_its_opt() -> None:
    def breaks(device: OurVen) -> None:
        remembers_its_opts(device)
        opt_out = device.create_opt

        async def create_opt(request: OptRequest) -> None:
            await opt_out(request)
            [opt_id] = list(device.ven.opts())
            await device.cancel_opt(opt_id)

        device.create_opt = create_opt  # type: ignore[method-assign]

    assert_failed(await run(BrokenVenFactory(breaks), ["E1_1065"]), "keeps its opt-out")


async def test_e1_1070_fails_against_a_ven_that_supports_every_signal() -> None:
    every_signal = OurVenFactory(supports=lambda signal: True)
    assert_failed(await run(every_signal, ["E1_1070"], BOTH), "with responseCode 460 (it answered 200)")


async def test_e1_1080_fails_against_a_ven_that_takes_any_vtn_id() -> None:
    def breaks(device: OurVen) -> None:
        def make(original: Read) -> Read:
            async def read(message: OadrDistributeEvent, *, vtn_id: str, ven_id: str) -> AcceptedDistribution:
                return await original(message, vtn_id=message.vtn_id, ven_id=ven_id)

            return read

        replace_method(device.ven.events, "read", make)

    assert_failed(await run(BrokenVenFactory(breaks), ["E1_1080"], BOTH), "with 452")


async def test_e1_1080_fails_against_a_ven_that_refuses_every_distribution() -> None:
    """The second half of the case: a VEN that answers 452 to everything is not one that checks
    the vtnID."""

    def refuse(
        answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
    ) -> OadrCreatedEvent | None:
        return OadrCreatedEvent(
            ei_response=EiResponse(response_code=ResponseCode.INVALID_ID, request_id=message.request_id),
            ven_id=ven_id,
        )

    assert_failed(
        await run(BrokenVenFactory(answering(refuse)), ["E1_1080"]),
        "from the right vtnID carries eiResponse 200",
    )


async def test_an_opting_out_ven_passes_the_cases_that_allow_it() -> None:
    """Opting out is a VEN's right: the price and dispatch cases then check it keeps out."""
    results = await run(BrokenVenFactory(opting_out), ["E1_1020", "E1_1025"])
    for result in results:
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
        assert has_check(result, "keeps out of"), result.checks


async def test_against_an_external_ven_the_observations_are_left_to_a_person(tmp_path: Path) -> None:
    """An external VEN (our VEN, started by hand against the harness's fixed port, the harness
    unable to look inside it): the automatic checks run, what a tester watches is left to a
    person, and the cases end "needs observation", never passed."""
    port = free_port()
    settings = RunSettings(
        speed=1, timeouts=Timeouts(message=10, action=10), case_seconds=40, harness_port=port
    )
    runner = VenRunner(ExternalVenFactory(PrintingOperator(stream=io.StringIO())), settings)
    ven = external_ven(port, tmp_path)
    try:
        async with ven.running():
            results = await runner.run(
                [selected("E1_1020", Transport.PULL), selected("E1_1010", Transport.PULL)]
            )
    finally:
        ven.store.close()
    for result in results:
        assert result.verdict is Verdict.NEEDS_OBSERVATION, (result.case_id, result.reason)
        assert not result.verdict.is_pass
        assert result.observations, result.case_id
        assert result.checks, result.case_id
    price, empty = results
    assert any("carries out the ELECTRICITY_PRICE event" in seen for seen in price.observations)
    assert has_check(price, "echoes its requestID")
    assert empty.observations == ["the VEN has no event after an empty oadrDistributeEvent"]
