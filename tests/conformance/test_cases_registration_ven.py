"""The registration cases whose device is a VEN (N1_00xx / N0_50xx ``TH_VTN``): N1_0025 does not
apply to a VEN without a pre-allocated venID and passes against one with it, and each case fails
against a VEN that breaks what it checks. That every case passes against our own VEN is
``conformance/test_ours.py``'s to show."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from conformance_runs import FAST, TRANSPORTS, assert_failed, has_check
from conformance_ven_devices import BrokenVenFactory, replace_method, run_one

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Case, CaseRegistry, Role, Selected, Transport, Verdict
from openadr_accel.conformance.cases.registration_ven import vtn_cancels_registration
from openadr_accel.conformance.context import VenCaseContext
from openadr_accel.conformance.harness_vtn import _RawDocument
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.conformance.runner import VenRunner
from openadr_accel.model import (
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatePartyRegistration,
)
from openadr_accel.ven.session import Reply
from openadr_accel.ven.store import Registration


@TRANSPORTS
async def test_n1_0025_does_not_apply_to_a_ven_without_a_preallocated_ven_id(transport: Transport) -> None:
    result = await run_one(OurVenFactory(), "N1_0025", transport)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "no pre-allocated" in result.reason or "none pre-allocated" in result.reason


@TRANSPORTS
async def test_a_ven_with_a_preallocated_ven_id_passes_n1_0025(transport: Transport) -> None:
    result = await run_one(OurVenFactory(ven_id="VEN-PRE-ALLOCATED-7"), "N1_0025", transport)
    assert result.verdict is Verdict.PASSED, result.reason
    assert has_check(result, "VEN-PRE-ALLOCATED-7")


# -- negative: a VEN that breaks the rule fails the case ----------------------------------------------


def drop_ven_id(device: OurVen) -> None:
    """A VEN provisioned with a venID that leaves it out of its oadrCreatePartyRegistration."""

    def make(original: Any) -> Any:
        def request(previous: Registration | None) -> OadrCreatePartyRegistration:
            made: OadrCreatePartyRegistration = original(previous)
            return replace(made, ven_id=None)

        return request

    replace_method(device.ven.session, "_registration_request", make)


async def test_n1_0025_fails_when_the_provisioned_ven_id_is_not_sent() -> None:
    result = await run_one(
        BrokenVenFactory(drop_ven_id, ven_id="VEN-PRE-ALLOCATED-7"), "N1_0025", Transport.PULL
    )
    assert_failed([result], "has none pre-allocated")


class RegistersAgainTheOtherWay(OurVen):
    """Asked to renew its registration it registers anew, and the other way round."""

    async def register_again(self, *, keep_registration_id: bool) -> None:
        await super().register_again(keep_registration_id=not keep_registration_id)


def the_other_way(device: OurVen) -> OurVen:
    return RegistersAgainTheOtherWay(device.ven, device.journal)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("N1_0015", "renews its registration with the existing registrationID"),
        ("N1_0065", "the renewal carries the existing registrationID"),
        ("N1_0060", "carries no registrationID"),
    ],
)
async def test_renewal_and_new_registration_cases_fail_when_the_ven_does_the_other(
    number: str, words: str
) -> None:
    result = await run_one(BrokenVenFactory(the_other_way), number, Transport.PULL)
    assert_failed([result], words)


def cancel_but_keep_registration(device: OurVen) -> None:
    """Its cancellation is confirmed, yet it keeps its registration and goes on polling."""
    session = device.ven.session

    async def keep(registration: Registration) -> None:
        pass

    session._forget = keep  # type: ignore[method-assign]
    device.ven.cancel_registration = session.cancel_registration  # type: ignore[method-assign]


async def test_n1_0030_fails_when_the_ven_goes_on_polling_after_cancelling() -> None:
    result = await run_one(BrokenVenFactory(cancel_but_keep_registration), "N1_0030", Transport.PULL)
    assert_failed([result], "stops polling once its registration ended")


def confirm_any_cancel_and_carry_on(device: OurVen) -> None:
    """Confirms the VTN's cancellation (200, for any registrationID) but carries on registered."""
    session = device.ven.session

    def make(original: Any) -> Any:
        def cancelled(message: OadrCancelPartyRegistration, registration: Registration) -> Reply:
            reply: Reply = original(
                replace(message, registration_id=registration.registration_id), registration
            )
            return Reply(reply.answer)  # the answer, without forgetting the registration

        return cancelled

    replace_method(session, "_cancelled_by_vtn", make)


@TRANSPORTS
async def test_n1_0040_fails_when_the_ven_carries_on_after_the_vtn_cancelled(transport: Transport) -> None:
    result = await run_one(BrokenVenFactory(confirm_any_cancel_and_carry_on), "N1_0040", transport)
    expected = "stops polling" if transport is Transport.PULL else "considers itself unregistered"
    assert_failed([result], expected)


async def test_n1_0070_fails_when_the_ven_accepts_a_cancel_with_a_wrong_registration_id() -> None:
    result = await run_one(BrokenVenFactory(confirm_any_cancel_and_carry_on), "N1_0070", Transport.PUSH)
    assert_failed(
        [result], "with oadrCanceledPartyRegistration 452 (seen: oadrCanceledPartyRegistration 200)"
    )


@TRANSPORTS
async def test_n1_0080_fails_when_the_ven_processes_a_payload_after_the_registration_ended(
    transport: Transport,
) -> None:
    result = await run_one(BrokenVenFactory(confirm_any_cancel_and_carry_on), "N1_0080", transport)
    expected = (
        "stops polling once its registration ended"
        if transport is Transport.PULL
        else "answers the oadrDistributeEvent for its ended registration with an error"
    )
    assert_failed([result], expected)


def ignore_reregistration_requests(device: OurVen) -> None:
    """Answers oadrRequestReregistration with oadrResponse 200, and never registers again."""

    async def ignore() -> None:
        pass

    device.ven.session._request_reregistration = ignore  # type: ignore[method-assign]


@TRANSPORTS
async def test_n1_0050_fails_when_the_ven_does_not_register_again(transport: Transport) -> None:
    result = await run_one(BrokenVenFactory(ignore_reregistration_requests), "N1_0050", transport)
    assert_failed([result], "did not send an oadrCreatePartyRegistration after the request")


# -- a bug of our VEN, fixed: the follow-up of a reply happens even when its acknowledgement is lost --


async def test_our_ven_ends_a_cancelled_registration_even_if_the_ack_of_its_confirmation_is_lost() -> None:
    async def body(ctx: VenCaseContext) -> None:
        def unreadable(message: Any) -> Any:
            return _RawDocument(b"")  # an empty HTTP 200 body

        ctx.harness.answer_with[OadrCanceledPartyRegistration] = unreadable
        await vtn_cancels_registration(ctx)

    registry = CaseRegistry()
    registry.add(Case(number="N1_0040", role=Role.VEN, title="N1_0040, the ack lost", body=body))
    [result] = await VenRunner(OurVenFactory(), FAST).run(
        [Selected(registry.get("N1_0040", Role.VEN), Transport.PULL)]
    )
    assert result.verdict is Verdict.PASSED, result.reason
