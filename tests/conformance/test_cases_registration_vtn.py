"""The registration cases whose device is a VTN (N1_00xx / N0_50xx ``TH_VEN``): every one passes
against our own VTN in both transports (N1_0015 over TLS: without it, it cannot apply), and each
fails against a VTN that breaks what it checks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from openadr_accel.conformance.context import CompressedClock, Timeouts
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory
from openadr_accel.conformance.runner import HarnessSecurity, RunSettings, VtnRunner
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
from openadr_accel.security import KeyType, TestPKI, init_pki, issue_ven
from openadr_accel.security.certificates import fingerprint
from openadr_accel.security.signature import Signer
from openadr_accel.security.tls import ven_ssl_context, vtn_ssl_context
from openadr_accel.vtn.handlers import Peer
from openadr_accel.vtn.policies import Accept, RegistrationDecision, new_id
from openadr_accel.vtn.registration import VtnRegistrations

FAST = RunSettings(speed=60, timeouts=Timeouts(message=10, action=10), case_seconds=60, jobs=4)
"""The settings of the brief: a compressed clock, bounded waits, four cases at once."""

BROKEN = replace(FAST, timeouts=Timeouts(message=3, action=3))
"""For the VTNs that break a rule: what never comes is given up on sooner (our VTN answers in
milliseconds)."""

NUMBERS = [
    "N1_0010",
    "N1_0015",
    "N1_0020",
    "N1_0025",
    "N1_0030",
    "N1_0040",
    "N1_0050",
    "N1_0060",
    "N1_0065",
    "N1_0070",
    "N1_0080",
]

NEEDS_TLS = {"N1_0015"}
"""A query names no venID: without TLS, no VTN can tell who asks (the case says so)."""

TRANSPORTS = pytest.mark.parametrize("transport", [Transport.PULL, Transport.PUSH])


def selected(number: str, transport: Transport) -> Selected:
    return Selected(REGISTRY.get(number, Role.VTN), transport)


async def run_one(
    factory: Any, number: str, transport: Transport = Transport.PULL, settings: RunSettings = BROKEN
) -> CaseResult:
    [result] = await VtnRunner(factory, settings).run([selected(number, transport)])
    return result


class BrokenVtnFactory:
    """An :class:`OurVtnFactory` (same options) whose VTN ``breaks`` alters before the case
    runs (a method of that one VTN's services replaced: nothing is patched on the classes, so
    cases running at the same time are not affected)."""

    shared_harness = False

    def __init__(self, breaks: Callable[[OurVtn], None], **options: Any) -> None:
        self._inner = OurVtnFactory(**options)
        self._breaks = breaks

    @contextlib.asynccontextmanager
    async def attach(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[OurVtn]:
        async with self._inner.attach(selected, clock) as device:
            self._breaks(device)
            yield device


def registrations(device: OurVtn) -> VtnRegistrations:
    return device.vtn.registrations


# -- every case passes against our VTN ------------------------------------------------------------------


@TRANSPORTS
async def test_every_registration_case_passes_against_our_vtn(transport: Transport) -> None:
    results = await VtnRunner(OurVtnFactory(), FAST).run([selected(number, transport) for number in NUMBERS])
    for result in results:
        expected = Verdict.NOT_APPLICABLE if result.case.number in NEEDS_TLS else Verdict.PASSED
        assert result.verdict is expected, (result.case_id, result.reason)
        assert result.checks, result.case_id
    [query] = [result for result in results if result.case.number == "N1_0015"]
    assert "the run has no TLS" in query.reason


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("registration-vtn-pki"))
    issue_ven("th", made.directory)
    return made


def secure(pki: TestPKI, base: RunSettings = BROKEN) -> tuple[OurVtnFactory, RunSettings]:
    """Our VTN over mutual TLS with XML signatures, and a run whose harness VEN has them too."""
    vtn = pki.vtn(KeyType.RSA)
    ven = pki.ven("th", KeyType.RSA)
    factory = OurVtnFactory(
        server_ssl=vtn_ssl_context(vtn, pki.ca_bundle),
        push_ssl=ven_ssl_context(vtn, pki.ca_bundle),
        signer=Signer(vtn.certificate, vtn.key),
    )
    security = HarnessSecurity(
        server_ssl=vtn_ssl_context(ven, pki.ca_bundle),
        client_ssl=ven_ssl_context(ven, pki.ca_bundle),
        signer=Signer(ven.certificate, ven.key),
        device_fingerprint=fingerprint(vtn.certificate),
    )
    return factory, replace(base, security=security)


@TRANSPORTS
async def test_every_registration_case_passes_over_mutual_tls_with_signatures(
    pki: TestPKI, transport: Transport
) -> None:
    factory, settings = secure(pki, FAST)
    results = await VtnRunner(factory, settings).run([selected(number, transport) for number in NUMBERS])
    for result in results:
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
    [query] = [result for result in results if result.case.number == "N1_0015"]
    assert any("carries the existing registrationID" in check for check in query.checks)
    signed = [
        exchange for result in results for exchange in result.exchanges if b"Signature" in exchange.body
    ]
    assert signed  # signatures were negotiated and used


# -- negative: a VTN that breaks the rule fails the case -------------------------------------------------


Route = Callable[[Any, Peer], Awaitable[Payload]]


def reroute(device: OurVtn, kind: type[Payload], make: Callable[[Route], Route]) -> None:
    """Replace how that one VTN answers ``kind`` (from a VEN's POST, or a push VEN's answer)."""
    routes = device.vtn.dispatcher._routes
    routes[kind] = make(routes[kind])


def forget_who_queries(device: OurVtn) -> None:
    """Answers every query as if nobody had registered (no registrationID, no venID)."""
    service = registrations(device)

    def make(original: Route) -> Route:
        async def on_query(message: OadrQueryRegistration, peer: Peer) -> Payload:
            return service.created(message.request_id, None)

        return on_query

    reroute(device, OadrQueryRegistration, make)


async def test_n1_0015_fails_when_the_query_forgets_the_registration(pki: TestPKI) -> None:
    factory, settings = secure(pki)
    broken = BrokenVtnFactory(
        forget_who_queries, server_ssl=factory.server_ssl, push_ssl=factory.push_ssl, signer=factory.signer
    )
    result = await run_one(broken, "N1_0015", settings=settings)
    assert result.verdict is Verdict.FAILED, result.reason
    assert "carries the existing registrationID" in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason


def keep_its_reports(device: OurVtn) -> None:
    """Never offers its own reports (no oadrRegisterReport after a registration)."""

    async def nothing(ven: object) -> None:
        pass

    device.vtn.reports.send_register_report = nothing  # type: ignore[method-assign]


@TRANSPORTS
async def test_n1_0020_fails_when_the_vtn_offers_no_reports(transport: Transport) -> None:
    result = await run_one(BrokenVtnFactory(keep_its_reports), "N1_0020", transport)
    assert result.verdict is Verdict.FAILED, result.reason
    assert "did not send its oadrRegisterReport (the VTN's METADATA reports) after the registration" in (
        result.reason
    )


class OwnVenIds:
    """A registration policy that gives every VEN a venID of its own choosing."""

    async def __call__(self, request: OadrCreatePartyRegistration, peer: Peer) -> RegistrationDecision:
        return Accept(f"VTN-CHOSEN-{new_id()[:8]}")


async def test_n1_0025_fails_when_the_vtn_ignores_the_preallocated_ven_id() -> None:
    result = await run_one(OurVtnFactory(registration=OwnVenIds()), "N1_0025", Transport.PUSH)
    assert result.verdict is Verdict.FAILED, result.reason
    assert "registers the VEN under its pre-allocated venID TH_VEN_PREALLOCATED" in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert "with 463 or 452 once its registration was cancelled" in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert "with 463 or 452 once it cancelled the registration" in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert "oadrCancelPartyRegistration names the VEN's registrationID" in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert "gives the new registration a new registrationID" in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert "with oadrCanceledPartyRegistration 452 (seen: oadrCanceledPartyRegistration 200)" in result.reason


async def test_n1_0070_fails_when_registration_ids_ignore_case() -> None:
    result = await run_one(BrokenVtnFactory(registration_ids_in_any_case), "N1_0070")
    assert result.verdict is Verdict.FAILED, result.reason
    assert "(IDs are case-sensitive) with oadrCanceledPartyRegistration 452 (seen: " in result.reason


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
    assert result.verdict is Verdict.FAILED, result.reason
    assert words in result.reason
