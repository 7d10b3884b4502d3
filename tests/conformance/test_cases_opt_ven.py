"""The opt cases whose device is a VEN (P1_20xx / P0_70xx ``TH_VTN``): each checks the VEN holds
what it opted (not only what it sent), and each fails against a VEN that breaks what it checks.
That every case passes against our own VEN in both transports is ``conformance/test_ours.py``'s
to show."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from conformance_runs import TRANSPORTS, assert_failed, has_check
from conformance_ven_devices import BrokenVenFactory, run, run_one

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Transport, Verdict
from openadr_accel.conformance.devices import OptRequest
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.errors import RefusedError
from openadr_accel.model import OadrCreateOpt, OptType

NUMBERS = ["P1_2010", "P1_2015", "P1_2020", "P1_2030", "P1_2040", "P1_2050"]


async def test_every_opt_case_observes_what_the_ven_holds() -> None:
    for result in await run(OurVenFactory(), NUMBERS):
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
        assert has_check(result, "in force"), result.case_id  # observed, not just sent


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
    assert_failed([result], words)


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
    assert_failed([result], "not observed in time: the VEN holds opt")


async def test_p1_2020_fails_when_the_ven_keeps_a_cancelled_opt() -> None:
    result = await run_one(BrokenVenFactory(keep_cancelled_opts), "P1_2020")
    assert_failed([result], "not observed in time: the VEN no longer holds opt")


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
    assert_failed([result], words)
