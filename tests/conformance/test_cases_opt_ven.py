"""The opt cases whose device is a VEN (P1_20xx / P0_70xx ``TH_VTN``): every one passes against
our own VEN in both transports, and each fails against a VEN that breaks what it checks."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from conformance_ven_devices import FAST, BrokenVenFactory, selected, settings_for

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import CaseResult, Transport, Verdict
from openadr_accel.conformance.devices import OptRequest
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.conformance.runner import VenRunner
from openadr_accel.errors import RefusedError
from openadr_accel.model import OadrCreateOpt, OptType

NUMBERS = ["P1_2010", "P1_2015", "P1_2020", "P1_2030", "P1_2040", "P1_2050"]

TRANSPORTS = pytest.mark.parametrize("transport", [Transport.PULL, Transport.PUSH])


async def run_one(factory: Any, number: str, transport: Transport = Transport.PULL) -> CaseResult:
    [result] = await VenRunner(factory, settings_for(factory)).run([selected(number, transport)])
    return result


@TRANSPORTS
async def test_every_opt_case_passes_against_our_ven(transport: Transport) -> None:
    results = await VenRunner(OurVenFactory(), FAST).run([selected(number, transport) for number in NUMBERS])
    failures = [
        (result.case_id, result.verdict, result.reason) for result in results if not result.verdict.is_pass
    ]
    assert not failures
    for result in results:
        assert any("in force" in check for check in result.checks), result.case_id  # observed, not just sent


# -- negative: a VEN that breaks the rule fails the case ----------------------------------------------


class AltersOptRequests(OurVen):
    """Sends something other than what it is asked to (``alter`` rewrites each request)."""

    alter: Any = staticmethod(lambda request: request)

    async def create_opt(self, request: OptRequest) -> None:
        await super().create_opt(self.alter(request))


def altering(alter: Any) -> Any:
    def breaks(device: OurVen) -> OurVen:
        altered = AltersOptRequests(device.ven, device.journal)
        altered.alter = alter
        return altered

    return breaks


def flip(opt_type: OptType) -> OptType:
    return OptType.OPT_OUT if opt_type == OptType.OPT_IN else OptType.OPT_IN


@pytest.mark.parametrize(
    ("number", "alter", "words"),
    [
        ("P1_2010", lambda request: replace(request, opt_type=flip(request.opt_type)), "is an optIn"),
        (
            "P1_2010",
            lambda request: replace(request, schedule=request.schedule[:1]),
            "carries the 2 availability",
        ),
        (
            "P1_2015",
            lambda request: replace(
                request, schedule=[(start, timedelta(hours=1)) for start, _ in request.schedule]
            ),
            "(open-ended: duration 0)",
        ),
        ("P1_2030", lambda request: replace(request, resource_ids=()), "targets resource TH-RESOURCE-1"),
        ("P1_2040", lambda request: replace(request, opt_id=None), "reuses optID"),
    ],
)
async def test_opt_cases_fail_when_the_ven_sends_other_than_asked(
    number: str, alter: Any, words: str
) -> None:
    result = await run_one(BrokenVenFactory(altering(alter)), number)
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason


def forget_confirmed_opts(device: OurVen) -> None:
    """Sends its opts, and keeps none of them once the VTN confirmed."""

    def keep_nothing(opt: OadrCreateOpt) -> None:
        pass

    device.ven.store.save_opt = keep_nothing  # type: ignore[method-assign]


def keep_cancelled_opts(device: OurVen) -> None:
    """Keeps an opt after the VTN confirmed its cancellation."""

    def keep(opt_id: str) -> bool:
        return True

    device.ven.store.delete_opt = keep  # type: ignore[method-assign]


@TRANSPORTS
async def test_p1_2010_fails_when_the_ven_does_not_keep_the_confirmed_opt(transport: Transport) -> None:
    result = await run_one(BrokenVenFactory(forget_confirmed_opts), "P1_2010", transport)
    assert result.verdict is Verdict.FAILED, result.reason
    assert "not observed in time: the VEN holds opt" in result.reason


async def test_p1_2020_fails_when_the_ven_keeps_a_cancelled_opt() -> None:
    result = await run_one(BrokenVenFactory(keep_cancelled_opts), "P1_2020")
    assert result.verdict is Verdict.FAILED, result.reason
    assert "not observed in time: the VEN no longer holds opt" in result.reason


class ForgetsRefusedCancellations(OurVen):
    """When the VTN refuses a cancellation, drops the opt all the same."""

    async def cancel_opt(self, opt_id: str) -> None:
        try:
            await super().cancel_opt(opt_id)
        except RefusedError:
            self.ven.store.delete_opt(opt_id)
            raise


class ReregistersOnARefusedCancellation(OurVen):
    """Takes a refused cancellation (452) for a lost registration and registers again."""

    async def cancel_opt(self, opt_id: str) -> None:
        try:
            await super().cancel_opt(opt_id)
        except RefusedError:
            self.ven.session.reregister_requested = True
            raise


class SwallowsRefusedCancellations(OurVen):
    """Tells its user nothing when the VTN refuses a cancellation."""

    async def cancel_opt(self, opt_id: str) -> None:
        with contextlib.suppress(RefusedError):
            await super().cancel_opt(opt_id)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (ForgetsRefusedCancellations, "still holds the opt whose cancellation was refused"),
        (ReregistersOnARefusedCancellation, "does not take the 452 for a lost registration"),
        (SwallowsRefusedCancellations, "tells its user the cancellation was refused"),
    ],
)
async def test_p1_2050_fails_when_the_ven_mishandles_a_refused_cancellation(
    kind: type[OurVen], words: str
) -> None:
    result = await run_one(BrokenVenFactory(lambda device: kind(device.ven, device.journal)), "P1_2050")
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason
