"""The runner against our own VEN: cases run over loopback, verdicts follow the rules (a failed
check, a problem in a document, a broken script, an observation an external device needs)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from conformance_ven_devices import external_ven, free_port, selected

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Case, CaseRegistry, Role, Selected, Transport, Verdict
from openadr_accel.conformance.context import Timeouts, VenCaseContext
from openadr_accel.conformance.devices import ExternalVenFactory, PrintingOperator
from openadr_accel.conformance.our_ven import OurVenFactory
from openadr_accel.conformance.runner import RunSettings, VenRunner
from openadr_accel.model import OadrPoll

FAST = RunSettings(speed=60, timeouts=Timeouts(message=10, action=10), case_seconds=30, jobs=2)


@pytest.mark.parametrize("transport", [Transport.PULL, Transport.PUSH])
async def test_bootstrap_cases_pass_against_our_ven(transport: Transport) -> None:
    runner = VenRunner(OurVenFactory(), FAST)
    results = await runner.run([selected("N1_0010", transport), selected("N1_0020", transport)])
    for result in results:
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
        assert result.checks, result.case_id
        directions = {exchange.direction for exchange in result.exchanges}
        assert len(directions) == 2, result.case_id  # both ways recorded
    assert [result.case_id for result in results] == (
        ["N1_0010_TH_VTN", "N1_0020_TH_VTN"]
        if transport is Transport.PULL
        else ["N0_5010_TH_VTN", "N0_5020_TH_VTN"]
    )


def one_case(body, number: str = "G1_4011") -> Selected:  # type: ignore[no-untyped-def]
    registry = CaseRegistry()
    registry.add(Case(number=number, role=Role.VEN, title="a test case", body=body))
    return Selected(registry.get(number, Role.VEN), Transport.PULL)


async def test_a_failed_check_fails_the_case_with_its_words() -> None:
    async def body(ctx: VenCaseContext) -> None:
        await ctx.harness.registered()
        ctx.check(True, "the VEN registered")
        ctx.check(False, "the VEN sent something it never sends")

    [result] = await VenRunner(OurVenFactory(), FAST).run([one_case(body)])
    assert result.verdict is Verdict.FAILED
    assert result.reason == "the VEN sent something it never sends"
    assert result.checks == ["the VEN registered"]


async def test_a_message_that_does_not_come_fails_the_case() -> None:
    async def body(ctx: VenCaseContext) -> None:
        await ctx.harness.registered()
        await ctx.harness.wait_for(OadrPoll, since=ctx.harness.mark(), where=lambda poll: False, timeout=0.5)

    [result] = await VenRunner(OurVenFactory(), FAST).run([one_case(body)])
    assert result.verdict is Verdict.FAILED
    assert "did not send an oadrPoll within" in result.reason


async def test_a_broken_script_is_an_error_not_a_verdict_on_the_device() -> None:
    async def body(ctx: VenCaseContext) -> None:
        raise KeyError("harness bug")

    [result] = await VenRunner(OurVenFactory(), FAST).run([one_case(body)])
    assert result.verdict is Verdict.ERROR
    assert "KeyError" in result.reason
    assert not result.verdict.is_pass


async def test_a_case_that_outlives_its_time_fails() -> None:
    async def body(ctx: VenCaseContext) -> None:
        await asyncio.sleep(5)

    settings = RunSettings(speed=60, timeouts=FAST.timeouts, case_seconds=0.3)
    [result] = await VenRunner(OurVenFactory(), settings).run([one_case(body)])
    assert result.verdict is Verdict.FAILED
    assert "did not end within" in result.reason


async def test_observations_of_our_ven_are_checks(tmp_path: Path) -> None:
    async def body(ctx: VenCaseContext) -> None:
        await ctx.harness.registered()
        await ctx.observe(
            "the VEN told its handlers it registered", lambda seen: bool(seen.called("registered"))
        )

    [ours] = await VenRunner(OurVenFactory(), FAST).run([one_case(body)])
    assert ours.verdict is Verdict.PASSED, ours.reason
    assert "the VEN told its handlers it registered" in ours.checks


async def test_an_external_ven_gets_one_harness_prompts_and_needs_observation(tmp_path: Path) -> None:
    """An external VEN (here our own VEN, started by hand against the harness's fixed port):
    the operator is asked to act, the observation is left to a person, never passed."""

    async def body(ctx: VenCaseContext) -> None:
        await ctx.device.begin_registration()
        await ctx.harness.registered()
        await ctx.observe("the charger shows it is registered", lambda seen: True)

    port = free_port()
    operator = PrintingOperator(stream=io.StringIO())
    settings = RunSettings(
        speed=1, timeouts=Timeouts(message=10, action=10), case_seconds=30, harness_port=port
    )
    runner = VenRunner(ExternalVenFactory(operator), settings)
    ven = external_ven(port, tmp_path)
    async with ven.running():
        first, second, empty_polls = await runner.run(
            [one_case(body), one_case(body, "G1_4015"), selected("G1_4011", Transport.PULL)]
        )
    ven.store.close()
    # G1_4011 tells the VEN's polls apart though they are equal messages (all oadrPoll of one venID)
    assert empty_polls.verdict is Verdict.NEEDS_OBSERVATION, empty_polls.reason
    assert sum(exchange.message == "oadrPoll" for exchange in empty_polls.exchanges) >= 3
    assert first.verdict is Verdict.NEEDS_OBSERVATION, first.reason
    assert first.observations == ["the charger shows it is registered"]
    assert not first.verdict.is_pass
    assert "Restart the VEN" in operator.asked[0]
    assert second.verdict is Verdict.NEEDS_OBSERVATION, second.reason  # the registration carried over
    assert not any(exchange.message == "oadrCreatePartyRegistration" for exchange in second.exchanges)
