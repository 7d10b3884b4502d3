"""The registration cases whose device is a VTN (N1_00xx / N0_50xx ``TH_VEN``): N1_0015 does not
apply without TLS and passes over mutual TLS with signatures (RSA), and each case fails against a
VTN that breaks what it checks. That every case passes against our own VTN is
``conformance/test_ours.py``'s to show."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from conformance_runs import TRANSPORTS, assert_failed, has_check
from conformance_vtn_devices import BrokenVtnFactory, Route, reroute, run, run_one, secure

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Transport, Verdict
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory
from openadr_accel.model import (
    EiResponse,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrQueryRegistration,
    OadrResponse,
    Payload,
    ProfileName,
    ResponseCode,
    TransportName,
)
from openadr_accel.security import TestPKI
from openadr_accel.vtn.handlers import Peer
from openadr_accel.vtn.policies import Accept, RegistrationDecision, new_id
from openadr_accel.vtn.registration import VtnRegistrations


def registrations(device: OurVtn) -> VtnRegistrations:
    return device.vtn.registrations


# -- N1_0015: a query names no VEN ----------------------------------------------------------------------


@TRANSPORTS
async def test_n1_0015_does_not_apply_without_tls(transport: Transport) -> None:
    result = await run_one(OurVtnFactory(), "N1_0015", transport)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "the run has no TLS" in result.reason


@TRANSPORTS
async def test_n1_0015_passes_over_mutual_tls_with_signatures(pki: TestPKI, transport: Transport) -> None:
    factory, settings = secure(pki)
    result = await run_one(factory, "N1_0015", transport, settings)
    assert result.verdict is Verdict.PASSED, result.reason
    assert has_check(result, "carries the existing registrationID")
    assert any(b"Signature" in exchange.body for exchange in result.exchanges)  # negotiated and used


# -- negative: a VTN that breaks the rule fails the case -------------------------------------------------


def forget_who_queries(device: OurVtn) -> None:
    """Answers every query as if nobody had registered (no registrationID, no venID)."""
    service = registrations(device)

    def make(original: Route) -> Route:
        async def on_query(message: OadrQueryRegistration, peer: Peer) -> Payload:
            return service.created(message.request_id, None)

        return on_query

    reroute(device, OadrQueryRegistration, make)


async def test_n1_0015_fails_when_the_query_forgets_the_registration(pki: TestPKI) -> None:
    broken, settings = secure(pki, breaks=forget_who_queries)
    result = await run_one(broken, "N1_0015", settings=settings)
    assert_failed([result], "carries the existing registrationID")


def no_poll_frequency(device: OurVtn) -> None:
    """Answers queries without oadrRequestedOadrPollFreq."""

    def make(original: Route) -> Route:
        async def on_query(message: OadrQueryRegistration, peer: Peer) -> Payload:
            answer = await original(message, peer)
            assert isinstance(answer, OadrCreatedPartyRegistration)
            return replace(answer, requested_poll_freq=None)

        return on_query

    reroute(device, OadrQueryRegistration, make)


def register_on_query(device: OurVtn) -> None:
    """Takes a query for a registration: the querying VEN is registered."""
    vtn = device.vtn

    def make(original: Route) -> Route:
        async def on_query(message: OadrQueryRegistration, peer: Peer) -> Payload:
            await vtn.registrations.on_create(
                OadrCreatePartyRegistration(
                    request_id=message.request_id,
                    profile_name=ProfileName.B,
                    transport_name=TransportName.SIMPLE_HTTP,
                    report_only=False,
                    xml_signature=False,
                    http_pull_model=True,
                ),
                peer,
            )
            return await original(message, peer)

        return on_query

    reroute(device, OadrQueryRegistration, make)


@pytest.mark.parametrize(
    ("breaks", "words"),
    [
        (no_poll_frequency, "the answer carries a positive oadrRequestedOadrPollFreq"),
        (register_on_query, "not observed in time: the query registered no VEN at the VTN"),
    ],
)
async def test_n1_0010_fails_against_a_vtn_that_gets_the_query_wrong(breaks: Any, words: str) -> None:
    result = await run_one(BrokenVtnFactory(breaks), "N1_0010")
    assert_failed([result], words)


def keep_its_reports(device: OurVtn) -> None:
    """Never offers its own reports (no oadrRegisterReport after a registration)."""

    async def nothing(ven: object) -> None:
        pass

    device.vtn.reports.send_register_report = nothing  # type: ignore[method-assign]


@TRANSPORTS
async def test_n1_0020_fails_when_the_vtn_offers_no_reports(transport: Transport) -> None:
    result = await run_one(BrokenVtnFactory(keep_its_reports), "N1_0020", transport)
    assert_failed(
        [result], "did not send its oadrRegisterReport (the VTN's METADATA reports) after the registration"
    )


@TRANSPORTS
async def test_only_n1_0020_insists_on_the_vtns_register_report(transport: Transport) -> None:
    """A VTN that offers no reports fails the bootstrap case, not the cases about something else."""
    [bootstrap, cancel, events] = await run(
        BrokenVtnFactory(keep_its_reports), ["N1_0020", "N1_0030", "E1_1010"], [transport]
    )
    assert bootstrap.verdict is Verdict.FAILED
    assert cancel.verdict is Verdict.PASSED, cancel.reason
    assert events.verdict is Verdict.PASSED, events.reason


class OwnVenIds:
    """A registration policy that gives every VEN a venID of its own choosing."""

    async def __call__(self, request: OadrCreatePartyRegistration, peer: Peer) -> RegistrationDecision:
        return Accept(f"VTN-CHOSEN-{new_id()[:8]}")


async def test_n1_0025_fails_when_the_vtn_ignores_the_preallocated_ven_id() -> None:
    result = await run_one(OurVtnFactory(registration=OwnVenIds()), "N1_0025", Transport.PUSH)
    assert_failed([result], "registers the VEN under its pre-allocated venID TH_VEN_PREALLOCATED")


def confirm_cancel_but_keep_registration(device: OurVtn) -> None:
    """Confirms a VEN's cancellation (200) and keeps the registration."""

    def make(original: Route) -> Route:
        async def on_cancel(message: OadrCancelPartyRegistration, peer: Peer) -> Payload:
            return OadrCanceledPartyRegistration(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                registration_id=message.registration_id,
                ven_id=message.ven_id,
            )

        return on_cancel

    reroute(device, OadrCancelPartyRegistration, make)


@TRANSPORTS
async def test_n1_0030_fails_when_the_vtn_keeps_a_cancelled_registration(transport: Transport) -> None:
    result = await run_one(BrokenVtnFactory(confirm_cancel_but_keep_registration), "N1_0030", transport)
    assert_failed([result], "with 463 or 452 once its registration was cancelled")


def ignore_canceled_answers(device: OurVtn) -> None:
    """Acknowledges the VEN's oadrCanceledPartyRegistration but keeps the registration."""

    def make(original: Route) -> Route:
        async def on_canceled(message: OadrCanceledPartyRegistration, peer: Peer) -> Payload:
            return OadrResponse(
                ei_response=EiResponse(
                    response_code=ResponseCode.OK, request_id=message.ei_response.request_id
                ),
                ven_id=message.ven_id,
            )

        return on_canceled

    reroute(device, OadrCanceledPartyRegistration, make)


@TRANSPORTS
async def test_n1_0040_fails_when_the_vtn_does_not_end_the_registration(transport: Transport) -> None:
    result = await run_one(BrokenVtnFactory(ignore_canceled_answers), "N1_0040", transport)
    assert_failed([result], "with 463 or 452 once it cancelled the registration")


def cancel_someone_else(device: OurVtn) -> None:
    """Made to cancel a VEN's registration, its oadrCancelPartyRegistration names a
    registrationID that is not the VEN's."""
    vtn = device.vtn

    async def cancel(ven_id: str) -> None:
        ven = await vtn.store.get_ven(ven_id)
        assert ven is not None
        await vtn.store.save_ven(replace(ven, cancel_requested=True))
        await vtn._context.send(
            ven,
            OadrCancelPartyRegistration(request_id=new_id(), registration_id="SOMEONE-ELSE", ven_id=ven_id),
        )

    registrations(device).cancel = cancel  # type: ignore[method-assign]


async def test_n1_0040_fails_when_the_vtn_names_another_registration() -> None:
    result = await run_one(BrokenVtnFactory(cancel_someone_else), "N1_0040", Transport.PUSH)
    assert_failed([result], "oadrCancelPartyRegistration names the VEN's registrationID")


def never_asks_to_reregister(device: OurVtn) -> None:
    """Made to ask a VEN to register again, it sends nothing."""

    async def nothing(ven_id: str) -> None:
        pass

    registrations(device).request_reregistration = nothing  # type: ignore[method-assign]


def renewals_get_a_new_ven_id(device: OurVtn) -> None:
    """Takes every renewal for a new registration of a new VEN (a new venID)."""

    def make(original: Route) -> Route:
        async def on_create(message: OadrCreatePartyRegistration, peer: Peer) -> Payload:
            if message.registration_id is not None:
                message = replace(message, registration_id=None, ven_id=None)
            return await original(message, peer)

        return on_create

    reroute(device, OadrCreatePartyRegistration, make)


@pytest.mark.parametrize(
    ("number", "breaks", "words"),
    [
        ("N1_0050", never_asks_to_reregister, "did not send an oadrRequestReregistration"),
        ("N1_0050", renewals_get_a_new_ven_id, "confirms the re-registration under the same venID"),
        ("N1_0065", renewals_get_a_new_ven_id, "confirms the renewal under the same venID"),
    ],
)
async def test_reregistration_cases_fail_when_the_vtn_gets_them_wrong(
    number: str, breaks: Any, words: str
) -> None:
    result = await run_one(BrokenVtnFactory(breaks), number)
    assert_failed([result], words)


def new_registrations_renew(device: OurVtn) -> None:
    """Takes a new registration of a registered VEN for a renewal of its old one."""
    store = device.vtn.store

    def make(original: Route) -> Route:
        async def on_create(message: OadrCreatePartyRegistration, peer: Peer) -> Payload:
            if message.registration_id is None and message.ven_id is not None:
                ven = await store.get_ven(message.ven_id)
                if ven is not None and ven.registered:
                    message = replace(message, registration_id=ven.registration_id)
            return await original(message, peer)

        return on_create

    reroute(device, OadrCreatePartyRegistration, make)


@TRANSPORTS
async def test_n1_0060_fails_when_a_new_registration_keeps_the_old_registration_id(
    transport: Transport,
) -> None:
    result = await run_one(BrokenVtnFactory(new_registrations_renew), "N1_0060", transport)
    assert_failed([result], "gives the new registration a new registrationID")


def cancel_whatever_registration_id(device: OurVtn) -> None:
    """Cancels the VEN's registration whatever registrationID its cancellation names."""
    store = device.vtn.store

    def make(original: Route) -> Route:
        async def on_cancel(message: OadrCancelPartyRegistration, peer: Peer) -> Payload:
            ven = await store.get_ven(message.ven_id or "")
            if ven is not None and ven.registration_id is not None:
                message = replace(message, registration_id=ven.registration_id)
            return await original(message, peer)

        return on_cancel

    reroute(device, OadrCancelPartyRegistration, make)


def registration_ids_in_any_case(device: OurVtn) -> None:
    """Finds the registration to cancel ignoring the case of its registrationID."""
    store = device.vtn.store

    def make(original: Route) -> Route:
        async def on_cancel(message: OadrCancelPartyRegistration, peer: Peer) -> Payload:
            ven = await store.get_ven(message.ven_id or "")
            held = ven.registration_id if ven is not None else None
            if held is not None and held.casefold() == message.registration_id.casefold():
                message = replace(message, registration_id=held)
            return await original(message, peer)

        return on_cancel

    reroute(device, OadrCancelPartyRegistration, make)


@TRANSPORTS
async def test_n1_0070_fails_when_the_vtn_cancels_for_an_invalid_registration_id(
    transport: Transport,
) -> None:
    result = await run_one(BrokenVtnFactory(cancel_whatever_registration_id), "N1_0070", transport)
    assert_failed(
        [result], "with oadrCanceledPartyRegistration 452 (seen: oadrCanceledPartyRegistration 200)"
    )


async def test_n1_0070_fails_when_registration_ids_ignore_case() -> None:
    result = await run_one(BrokenVtnFactory(registration_ids_in_any_case), "N1_0070")
    assert_failed([result], "(IDs are case-sensitive) with oadrCanceledPartyRegistration 452 (seen: ")


def take_opts_from_anyone(device: OurVtn) -> None:
    """Stores every oadrCreateOpt, registered sender or not."""
    vtn = device.vtn

    def make(original: Route) -> Route:
        async def on_create_opt(message: OadrCreateOpt, peer: Peer) -> Payload:
            await vtn.store.save_opt(message)
            return OadrCreatedOpt(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
                opt_id=message.opt_id,
            )

        return on_create_opt

    reroute(device, OadrCreateOpt, make)


def store_refused_opts(device: OurVtn) -> None:
    """Refuses an unregistered VEN's oadrCreateOpt (463), but stores it all the same."""
    vtn = device.vtn

    def make(original: Route) -> Route:
        async def on_create_opt(message: OadrCreateOpt, peer: Peer) -> Payload:
            await vtn.store.save_opt(message)
            return await original(message, peer)

        return on_create_opt

    reroute(device, OadrCreateOpt, make)


@pytest.mark.parametrize(
    ("breaks", "words"),
    [
        (take_opts_from_anyone, "with oadrCreatedOpt 463 or 452 (seen: oadrCreatedOpt 200)"),
        (store_refused_opts, "not observed in time: the VTN stored none of the refused opts"),
    ],
)
async def test_n1_0080_fails_when_the_vtn_processes_an_unregistered_vens_opt(breaks: Any, words: str) -> None:
    result = await run_one(BrokenVtnFactory(breaks), "N1_0080")
    assert_failed([result], words)
