"""EiRegisterParty on the VTN over loopback HTTP: the N1_00xx certification cases with the VTN as
device under test (the harness plays the VEN), plus the refusals and the registration policy."""

from __future__ import annotations

import ssl
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from vtn_harness import START, VenClient, ok, running_vtn, telemetry_metadata

from openadr_accel.errors import LocalProtocolError
from openadr_accel.model import (
    EiTarget,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrPoll,
    OadrProfile,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrRequestEvent,
    OadrRequestReregistration,
    OadrResponse,
    OptReason,
    OptType,
    Payload,
    ProfileName,
    ResponseCode,
    SignalType,
    TransportName,
)
from openadr_accel.security import (
    KeyType,
    TestPKI,
    fingerprint,
    init_pki,
    issue_ven,
    ven_ssl_context,
    vtn_ssl_context,
)
from openadr_accel.vtn import Accept, AllowedVen, AllowList, Peer, Reject, Signal, VtnConfig, VtnHandlers

# -- helpers -------------------------------------------------------------------------------------


def query() -> OadrQueryRegistration:
    return OadrQueryRegistration(request_id="query-1")


def create_request(**fields: object) -> OadrCreatePartyRegistration:
    """An oadrCreatePartyRegistration of a plain pull VEN; ``fields`` override."""
    values: dict[str, object] = {
        "request_id": "reg-1",
        "profile_name": ProfileName.B,
        "transport_name": TransportName.SIMPLE_HTTP,
        "report_only": False,
        "xml_signature": False,
        "http_pull_model": True,
        "ven_name": "test-ven",
    }
    values.update(fields)
    return OadrCreatePartyRegistration(**values)  # type: ignore[arg-type]


async def register_raw(ven: VenClient, **fields: object) -> OadrCreatedPartyRegistration:
    """POST an oadrCreatePartyRegistration built from ``fields`` (the answer, whatever its code)."""
    answer = await ven.post("EiRegisterParty", create_request(**fields))
    assert isinstance(answer, OadrCreatedPartyRegistration), answer
    return answer


def code_of(answer: Payload) -> ResponseCode:
    ei_response = getattr(answer, "ei_response", None)
    assert ei_response is not None, answer
    return ei_response.response_code  # type: ignore[no-any-return]


def simple_signal() -> Signal:
    return Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])


def create_opt(ven_id: str, opt_id: str = "opt-1") -> OadrCreateOpt:
    return OadrCreateOpt(
        opt_id=opt_id,
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.SCHEDULE,
        ven_id=ven_id,
        created_date_time=START,
        request_id="opt-req",
    )


# -- N1_0010 / N1_0015: oadrQueryRegistration ------------------------------------------------------


async def test_n1_0010_query_answers_profile_poll_frequency_and_vtn_id(tmp_path: Path) -> None:
    config = VtnConfig(vtn_id="query-vtn", poll_frequency=timedelta(seconds=42))
    async with running_vtn(tmp_path, config=config) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        answer = await ven.post("EiRegisterParty", query())
        assert isinstance(answer, OadrCreatedPartyRegistration)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.ei_response.request_id == "query-1"
        assert answer.profiles == (
            OadrProfile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),
        )
        assert answer.requested_poll_freq == timedelta(seconds=42)
        assert answer.vtn_id == "query-vtn"
        assert answer.registration_id is None
        assert answer.ven_id is None
        assert await server.vtn.registrations.list() == []


async def test_n1_0015_query_while_registered_over_plain_http_carries_no_registration(
    tmp_path: Path,
) -> None:
    """Without TLS the VTN cannot tell who queries (docs/vtn.md: only a VEN recognised by its
    certificate gets its registration back), so the answer is the registration-less one."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        answer = await ven.post("EiRegisterParty", query())
        assert isinstance(answer, OadrCreatedPartyRegistration)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.registration_id is None
        assert answer.ven_id is None


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("registration-pki"))
    issue_ven("reg-ven-a", made.directory, key_types=(KeyType.ECC,))
    issue_ven("reg-ven-b", made.directory, key_types=(KeyType.ECC,))
    return made


def ven_tls(pki: TestPKI, name: str) -> ssl.SSLContext:
    return ven_ssl_context(pki.ven(name, KeyType.ECC), pki.ca_bundle)


async def test_n1_0015_query_while_registered_over_tls_carries_the_registration(
    tmp_path: Path, pki: TestPKI
) -> None:
    server_tls = vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle)
    async with running_vtn(tmp_path, ssl_context=server_tls) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url, ssl_context=ven_tls(pki, "reg-ven-a"))
        other = VenClient(session, server.url, ssl_context=ven_tls(pki, "reg-ven-b"))

        before = await ven.post("EiRegisterParty", query())
        assert isinstance(before, OadrCreatedPartyRegistration)
        assert before.registration_id is None

        created = await ven.register()
        assert created.ei_response.response_code == ResponseCode.OK
        answer = await ven.post("EiRegisterParty", query())
        assert isinstance(answer, OadrCreatedPartyRegistration)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.registration_id == created.registration_id
        assert answer.ven_id == created.ven_id

        # Another certificate is another VEN: it learns nothing of the first one's registration.
        foreign = await other.post("EiRegisterParty", query())
        assert isinstance(foreign, OadrCreatedPartyRegistration)
        assert foreign.registration_id is None
        assert foreign.ven_id is None

        # Once cancelled, the query is answered without a registration again.
        assert ven.registration_id is not None
        cancelled = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(
                request_id="c", registration_id=ven.registration_id, ven_id=ven.ven_id
            ),
        )
        assert code_of(cancelled) == ResponseCode.OK
        after = await ven.post("EiRegisterParty", query())
        assert isinstance(after, OadrCreatedPartyRegistration)
        assert after.registration_id is None
        assert after.ven_id is None


async def test_venid_bound_to_a_certificate_refuses_another_certificate_463(
    tmp_path: Path, pki: TestPKI
) -> None:
    server_tls = vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle)
    async with running_vtn(tmp_path, ssl_context=server_tls) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url, ssl_context=ven_tls(pki, "reg-ven-a"))
        impostor = VenClient(session, server.url, ssl_context=ven_tls(pki, "reg-ven-b"))
        await ven.register()
        assert ven.ven_id is not None
        impostor.ven_id = ven.ven_id
        answer = await impostor.poll()
        assert code_of(answer) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        stolen = await register_raw(impostor, ven_id=ven.ven_id)
        assert stolen.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.registration_id == ven.registration_id
        # The genuine VEN's queue (its oadrRegisterReport) was not handed to the impostor.
        assert [type(message) for message in await ven.drain()] == [OadrRegisterReport]


# -- N1_0020: bootstrap --------------------------------------------------------------------------


async def test_n1_0020_bootstrap_queues_the_vtn_register_report_first(tmp_path: Path) -> None:
    config = VtnConfig(vtn_id="boot-vtn", poll_frequency=timedelta(seconds=30))
    async with running_vtn(tmp_path, config=config) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        queried = await ven.post("EiRegisterParty", query())
        assert isinstance(queried, OadrCreatedPartyRegistration)
        created = await ven.register()
        assert created.ei_response.response_code == ResponseCode.OK
        assert created.requested_poll_freq == timedelta(seconds=30)
        assert created.vtn_id == "boot-vtn"
        assert created.registration_id
        assert created.ven_id
        assert server.recorder.calls["registered"][0][0].ven_id == created.ven_id

        # The VEN's METADATA: stored, answered oadrRegisteredReport.
        registered = await ven.post(
            "EiReport",
            OadrRegisterReport(
                request_id="ven-rr",
                reports=(replace(telemetry_metadata("vtn-telemetry"), report_specifier_id="ven-telemetry"),),
                ven_id=ven.ven_id,
            ),
        )
        assert isinstance(registered, OadrRegisteredReport)
        assert registered.ei_response.response_code == ResponseCode.OK
        assert registered.ei_response.request_id == "ven-rr"
        assert ven.ven_id is not None
        [capability] = await server.vtn.reports.capabilities(ven.ven_id)
        assert capability.report_specifier_id == "ven-telemetry"

        # The VTN's own oadrRegisterReport is the first (and only) thing queued; unsolicited, it
        # carries no reportRequestID, and no reports: the VTN produces no report data.
        [first] = await ven.drain()
        assert isinstance(first, OadrRegisterReport)
        assert first.ven_id == ven.ven_id
        assert first.report_request_id is None
        assert first.reports == ()
        answered = await ven.post(
            "EiReport", OadrRegisteredReport(ei_response=ok(first.request_id), ven_id=ven.ven_id)
        )
        assert code_of(answered) == ResponseCode.OK


async def test_n1_0020_without_vtn_reports_the_register_report_is_empty(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        [first] = await ven.drain()
        assert isinstance(first, OadrRegisterReport)
        assert first.reports == ()
        assert server.vtn.config.reports == ()


async def test_registration_with_current_events_queues_a_distribution_after_the_register_report(
    tmp_path: Path,
) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        event = await server.vtn.events.create(signals=[simple_signal()], start=START + timedelta(hours=2))
        ven = VenClient(session, server.url)
        await ven.register()
        queued = await ven.drain()
        assert [type(message) for message in queued] == [OadrRegisterReport, OadrDistributeEvent]
        distribution = queued[1]
        assert isinstance(distribution, OadrDistributeEvent)
        assert [e.ei_event.event_descriptor.event_id for e in distribution.events] == [
            event.ei_event.event_descriptor.event_id
        ]


# -- N1_0025: pre-allocated venID ------------------------------------------------------------------


async def test_n1_0025_pre_allocated_ven_id_is_kept(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        created = await ven.register(ven_id="pre-allocated-7")
        assert created.ei_response.response_code == ResponseCode.OK
        assert created.ven_id == "pre-allocated-7"
        record = await server.vtn.registrations.get("pre-allocated-7")
        assert record is not None
        assert record.registered
        assert record.registration_id == created.registration_id
        assert record.ven_name == "test-ven"


async def test_n1_0025_without_a_ven_id_the_vtn_assigns_one(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        first = VenClient(session, server.url)
        second = VenClient(session, server.url)
        await first.register(ven_name="a")
        await second.register(ven_name="b")
        assert first.ven_id
        assert second.ven_id
        assert first.ven_id != second.ven_id
        assert first.registration_id != second.registration_id
        assert {ven.ven_id for ven in await server.vtn.registrations.list()} == {first.ven_id, second.ven_id}


# -- N1_0030 / N1_0040: cancellation -----------------------------------------------------------------


async def test_n1_0030_ven_cancels_and_its_poll_is_then_463(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        assert ven.registration_id is not None
        answer = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(
                request_id="cancel-1", registration_id=ven.registration_id, ven_id=ven.ven_id
            ),
        )
        assert isinstance(answer, OadrCanceledPartyRegistration)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.ei_response.request_id == "cancel-1"
        assert answer.registration_id == ven.registration_id
        assert answer.ven_id == ven.ven_id

        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert not record.registered
        [(told,)] = server.recorder.calls["registration_cancelled"]
        assert isinstance(told, type(record))
        assert told.ven_id == ven.ven_id

        polled = await ven.poll()
        assert isinstance(polled, OadrResponse)
        assert polled.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        # Its queue (the unpolled oadrRegisterReport) ended with the registration.
        assert await server.vtn.store.list_queue(ven.ven_id) == []


async def test_n1_0040_vtn_cancels_and_the_ven_confirms(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        await ven.drain()
        await server.vtn.registrations.cancel(ven.ven_id)
        pending = await server.vtn.registrations.get(ven.ven_id)
        assert pending is not None
        assert pending.registered
        assert pending.cancel_requested

        [message] = await ven.drain()
        assert isinstance(message, OadrCancelPartyRegistration)
        assert message.registration_id == ven.registration_id
        assert message.ven_id == ven.ven_id
        assert "registration_cancelled" not in server.recorder.calls

        answer = await ven.post(
            "EiRegisterParty",
            OadrCanceledPartyRegistration(
                ei_response=ok(message.request_id), registration_id=message.registration_id, ven_id=ven.ven_id
            ),
        )
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.ei_response.request_id == message.request_id
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert not record.registered
        assert not record.cancel_requested
        [(told,)] = server.recorder.calls["registration_cancelled"]
        assert told.ven_id == ven.ven_id
        assert code_of(await ven.poll()) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


async def test_n1_0040_a_ven_refusing_the_cancellation_stays_registered(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        await ven.drain()
        await server.vtn.registrations.cancel(ven.ven_id)
        [message] = await ven.drain()
        assert isinstance(message, OadrCancelPartyRegistration)
        refusal = OadrCanceledPartyRegistration(
            ei_response=replace(ok(message.request_id), response_code=ResponseCode.NOT_ALLOWED),
            registration_id=message.registration_id,
            ven_id=ven.ven_id,
        )
        answer = await ven.post("EiRegisterParty", refusal)
        assert code_of(answer) == ResponseCode.OK
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.registered
        assert record.cancel_requested
        assert "registration_cancelled" not in server.recorder.calls


async def test_vtn_cancel_of_an_unregistered_ven_is_a_local_error(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server:
        with pytest.raises(LocalProtocolError):
            await server.vtn.registrations.cancel("nobody")
        with pytest.raises(LocalProtocolError):
            await server.vtn.registrations.request_reregistration("nobody")


# -- N1_0050: reregistration -----------------------------------------------------------------------


async def test_n1_0050_request_reregistration_then_the_ven_registers_again(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        first_registration = ven.registration_id
        await ven.drain()

        await server.vtn.registrations.request_reregistration(ven.ven_id)
        [message] = await ven.drain()
        assert isinstance(message, OadrRequestReregistration)
        assert message.ven_id == ven.ven_id

        answer = await ven.post("EiRegisterParty", OadrResponse(ei_response=ok("rereg"), ven_id=ven.ven_id))
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.ei_response.request_id == "rereg"

        again = await ven.register(ven_id=ven.ven_id, registration_id=first_registration)
        assert again.ei_response.response_code == ResponseCode.OK
        assert again.ven_id == ven.ven_id
        assert again.registration_id == first_registration
        assert len(server.recorder.calls["registered"]) == 2
        assert [type(m) for m in await ven.drain()] == [OadrRegisterReport]


async def test_an_oadr_response_from_an_unregistered_ven_is_463(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        answer = await ven.post("EiRegisterParty", OadrResponse(ei_response=ok("x"), ven_id="ghost"))
        assert code_of(answer) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await server.vtn.registrations.list() == []


# -- N1_0060 / N1_0065: registering again ----------------------------------------------------------


async def test_n1_0060_new_registration_while_registered_replaces_it(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        old_registration = ven.registration_id
        # Leave something in the queue: the oadrRegisterReport and a reregistration request.
        await server.vtn.registrations.request_reregistration(ven.ven_id)
        assert len(await server.vtn.store.list_queue(ven.ven_id)) == 2

        again = await ven.register(ven_id=ven.ven_id)  # no registrationID: a new registration
        assert again.ei_response.response_code == ResponseCode.OK
        assert again.ven_id == ven.ven_id
        assert again.registration_id
        assert again.registration_id != old_registration
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.registration_id == again.registration_id

        # The old queue is gone; the new registration starts with the VTN's oadrRegisterReport.
        assert [type(message) for message in await ven.drain()] == [OadrRegisterReport]

        # The old registrationID is not the VEN's any more.
        stale = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(
                request_id="c", registration_id=old_registration or "", ven_id=ven.ven_id
            ),
        )
        assert code_of(stale) == ResponseCode.INVALID_ID


async def test_n1_0065_reregistration_with_the_registration_id_keeps_it(tmp_path: Path) -> None:
    asked: list[OadrCreatePartyRegistration] = []

    async def counting(request: OadrCreatePartyRegistration, peer: Peer) -> Accept:
        asked.append(request)
        return Accept(request.ven_id)

    async with running_vtn(tmp_path, registration=counting) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        registration_id = ven.registration_id
        await server.vtn.registrations.request_reregistration(ven.ven_id)

        again = await ven.register(ven_id=ven.ven_id, registration_id=registration_id, ven_name="renamed")
        assert again.ei_response.response_code == ResponseCode.OK
        assert again.registration_id == registration_id
        assert again.ven_id == ven.ven_id
        assert len(asked) == 1  # a re-registration is not put to the policy again
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.registration_id == registration_id
        assert record.ven_name == "renamed"
        # The queue was kept (a second oadrRegisterReport follows, as after every registration).
        assert [type(message) for message in await ven.drain()] == [
            OadrRegisterReport,
            OadrRequestReregistration,
            OadrRegisterReport,
        ]


async def test_n1_0065_reregistration_with_an_unknown_or_foreign_registration_id_is_452(
    tmp_path: Path,
) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        other = VenClient(session, server.url)
        await ven.register(ven_id="ven-a")
        await other.register(ven_id="ven-b")

        unknown = await register_raw(ven, ven_id="ven-a", registration_id="no-such-registration")
        assert unknown.ei_response.response_code == ResponseCode.INVALID_ID
        foreign = await register_raw(ven, ven_id="ven-a", registration_id=other.registration_id)
        assert foreign.ei_response.response_code == ResponseCode.INVALID_ID
        for ven_id, client in (("ven-a", ven), ("ven-b", other)):
            record = await server.vtn.registrations.get(ven_id)
            assert record is not None
            assert record.registration_id == client.registration_id


# -- N1_0070: cancel with an invalid registrationID ------------------------------------------------


async def test_n1_0070_cancel_with_invalid_registration_id_is_452_then_valid_cancel_works(
    tmp_path: Path,
) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        assert ven.registration_id is not None
        wrong = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(request_id="bad", registration_id="not-mine", ven_id=ven.ven_id),
        )
        assert isinstance(wrong, OadrCanceledPartyRegistration)
        assert wrong.ei_response.response_code == ResponseCode.INVALID_ID
        assert wrong.ei_response.request_id == "bad"
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.registered
        assert "registration_cancelled" not in server.recorder.calls

        right = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(
                request_id="good", registration_id=ven.registration_id, ven_id=ven.ven_id
            ),
        )
        assert isinstance(right, OadrCanceledPartyRegistration)
        assert right.ei_response.response_code == ResponseCode.OK
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert not record.registered


async def test_n1_0070_cancel_naming_another_vens_registration_is_452(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        other = VenClient(session, server.url)
        await ven.register(ven_id="ven-a")
        await other.register(ven_id="ven-b")
        assert other.registration_id is not None
        answer = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(
                request_id="x", registration_id=other.registration_id, ven_id="ven-a"
            ),
        )
        assert code_of(answer) == ResponseCode.INVALID_ID
        record = await server.vtn.registrations.get("ven-b")
        assert record is not None
        assert record.registered


# -- N1_0080: payloads from unregistered VENs ------------------------------------------------------


@pytest.mark.parametrize("cancelled_before", [False, True], ids=["never-registered", "cancelled"])
async def test_n1_0080_payloads_from_unregistered_vens_are_463_and_not_stored(
    tmp_path: Path, cancelled_before: bool
) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        await server.vtn.events.create(signals=[simple_signal()], start=START + timedelta(hours=2))
        ven = VenClient(session, server.url)
        ven_id = "unregistered-ven"
        if cancelled_before:
            await ven.register(ven_id=ven_id)
            assert ven.registration_id is not None
            cancelled = await ven.post(
                "EiRegisterParty",
                OadrCancelPartyRegistration(
                    request_id="c", registration_id=ven.registration_id, ven_id=ven_id
                ),
            )
            assert code_of(cancelled) == ResponseCode.OK
        ven.ven_id = ven_id

        opt = await ven.post("EiOpt", create_opt(ven_id))
        assert isinstance(opt, OadrCreatedOpt)
        assert opt.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED

        polled = await ven.post("OadrPoll", OadrPoll(ven_id=ven_id))
        assert isinstance(polled, OadrResponse)
        assert polled.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED

        requested = await ven.post("EiEvent", OadrRequestEvent(request_id="re", ven_id=ven_id))
        assert isinstance(requested, OadrDistributeEvent)
        assert requested.ei_response is not None
        assert requested.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert requested.events == ()

        registered = await ven.post(
            "EiReport",
            OadrRegisterReport(
                request_id="rr", reports=(telemetry_metadata("vtn-telemetry"),), ven_id=ven_id
            ),
        )
        assert isinstance(registered, OadrRegisteredReport)
        assert registered.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED

        assert await server.vtn.opts.list() == []
        assert await server.vtn.reports.capabilities(ven_id) == []
        assert await server.vtn.store.list_queue(ven_id) == []
        assert "opt" not in server.recorder.calls
        record = await server.vtn.registrations.get(ven_id)
        assert record is None or not record.registered


# -- refused registrations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "element"),
    [
        ({"profile_name": ProfileName.A}, "2.0a"),
        ({"transport_name": TransportName.XMPP}, "xmpp"),
        ({"http_pull_model": False}, "oadrTransportAddress"),
        ({"xml_signature": True}, "oadrXmlSignature"),
    ],
    ids=["profile-2.0a", "transport-xmpp", "push-without-address", "signature-without-signer"],
)
async def test_refused_registrations_are_454_and_nothing_is_stored(
    tmp_path: Path, fields: dict[str, object], element: str
) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        answer = await register_raw(ven, ven_id="refused-ven", **fields)
        assert answer.ei_response.response_code == ResponseCode.INVALID_DATA
        assert element in (answer.ei_response.response_description or "")
        assert answer.registration_id is None
        assert answer.ven_id is None
        assert await server.vtn.registrations.list() == []
        assert "registered" not in server.recorder.calls


async def test_push_with_a_transport_address_is_accepted(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        answer = await register_raw(
            ven, ven_id="push-ven", http_pull_model=False, transport_address="http://127.0.0.1:9"
        )
        assert answer.ei_response.response_code == ResponseCode.OK
        record = await server.vtn.registrations.get("push-ven")
        assert record is not None
        assert record.push
        assert record.transport_address == "http://127.0.0.1:9"


# -- the registration policy ---------------------------------------------------------------------


async def test_allow_list_assigns_the_ven_id_and_refuses_others_with_463(tmp_path: Path) -> None:
    policy = AllowList([AllowedVen(ven_name="lab-ven", ven_id="lab-7")])
    async with running_vtn(tmp_path, registration=policy) as server, aiohttp.ClientSession() as session:
        stranger = VenClient(session, server.url)
        refused = await register_raw(stranger, ven_name="stranger", ven_id="stranger-1")
        assert refused.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert refused.registration_id is None
        assert await server.vtn.registrations.list() == []

        wrong_id = await register_raw(stranger, ven_name="lab-ven", ven_id="not-lab-7")
        assert wrong_id.ei_response.response_code == ResponseCode.INVALID_ID
        assert await server.vtn.registrations.list() == []

        ven = VenClient(session, server.url)
        created = await ven.register(ven_name="lab-ven")
        assert created.ei_response.response_code == ResponseCode.OK
        assert created.ven_id == "lab-7"
        [record] = await server.vtn.registrations.list()
        assert record.ven_id == "lab-7"
        assert record.registered


async def test_a_policy_rejection_carries_its_code(tmp_path: Path) -> None:
    async def closed(request: OadrCreatePartyRegistration, peer: Peer) -> Reject:
        return Reject("maintenance", ResponseCode.NOT_ALLOWED)

    async with running_vtn(tmp_path, registration=closed) as server, aiohttp.ClientSession() as session:
        answer = await register_raw(VenClient(session, server.url))
        assert answer.ei_response.response_code == ResponseCode.NOT_ALLOWED
        assert "maintenance" in (answer.ei_response.response_description or "")
        assert await server.vtn.registrations.list() == []


async def test_a_policy_that_raises_is_answered_500_not_http_500(tmp_path: Path) -> None:
    async def broken(request: OadrCreatePartyRegistration, peer: Peer) -> Accept:
        raise RuntimeError("the policy's database is down")

    async with running_vtn(tmp_path, registration=broken) as server, aiohttp.ClientSession() as session:
        # VenClient.post asserts HTTP 200 and an XML body.
        answer = await register_raw(VenClient(session, server.url), ven_id="v")
        assert answer.ei_response.response_code == ResponseCode.INTERNAL_SERVER_ERROR
        assert answer.ei_response.request_id == "reg-1"
        assert "database" not in (answer.ei_response.response_description or "")
        assert await server.vtn.registrations.list() == []


async def test_a_registered_handler_that_raises_is_answered_500(tmp_path: Path) -> None:
    async def failing(ven: object) -> None:
        raise ValueError("boom")

    handlers = VtnHandlers(on_registered=failing)
    async with running_vtn(tmp_path, handlers=handlers) as server, aiohttp.ClientSession() as session:
        answer = await register_raw(VenClient(session, server.url), ven_id="v")
        assert answer.ei_response.response_code == ResponseCode.INTERNAL_SERVER_ERROR


async def test_assign_before_registration_survives_it(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        await server.vtn.registrations.assign(
            "provisioned", group_ids=("north",), resource_ids=("r1",), market_contexts=("http://mc",)
        )
        provisioned = await server.vtn.registrations.get("provisioned")
        assert provisioned is not None
        assert not provisioned.registered

        ven = VenClient(session, server.url)
        created = await ven.register(ven_id="provisioned")
        assert created.ei_response.response_code == ResponseCode.OK
        record = await server.vtn.registrations.get("provisioned")
        assert record is not None
        assert record.registered
        assert record.group_ids == ("north",)
        assert record.resource_ids == ("r1",)
        assert record.market_contexts == ("http://mc",)
        await ven.drain()

        # ... and is used for targeting.
        event = await server.vtn.events.create(
            signals=[simple_signal()],
            start=START + timedelta(hours=2),
            target=EiTarget(group_ids=("north",)),
            market_context="http://mc",
        )
        [distribution] = await ven.drain()
        assert isinstance(distribution, OadrDistributeEvent)
        assert [e.ei_event.event_descriptor.event_id for e in distribution.events] == [
            event.ei_event.event_descriptor.event_id
        ]

        # A new registration (no registrationID) keeps the assignment too.
        await ven.register(ven_id="provisioned")
        record = await server.vtn.registrations.get("provisioned")
        assert record is not None
        assert record.group_ids == ("north",)


async def test_allow_list_by_certificate_fingerprint_over_tls(tmp_path: Path, pki: TestPKI) -> None:
    allowed = fingerprint(pki.ven("reg-ven-a", KeyType.ECC).certificate)
    policy = AllowList([AllowedVen(fingerprint=allowed, ven_id="fixed-a")])
    server_tls = vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle)
    async with (
        running_vtn(tmp_path, registration=policy, ssl_context=server_tls) as server,
        aiohttp.ClientSession() as session,
    ):
        other = VenClient(session, server.url, ssl_context=ven_tls(pki, "reg-ven-b"))
        refused = await register_raw(other)
        assert refused.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await server.vtn.registrations.list() == []

        ven = VenClient(session, server.url, ssl_context=ven_tls(pki, "reg-ven-a"))
        created = await ven.register()
        assert created.ei_response.response_code == ResponseCode.OK
        assert created.ven_id == "fixed-a"
        record = await server.vtn.registrations.get("fixed-a")
        assert record is not None
        assert record.fingerprint == allowed


async def test_n1_0030_a_cancelled_ven_may_register_again(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register(ven_id="ven-a")
        old_registration = ven.registration_id
        assert old_registration is not None
        cancelled = await ven.post(
            "EiRegisterParty",
            OadrCancelPartyRegistration(request_id="c", registration_id=old_registration, ven_id="ven-a"),
        )
        assert code_of(cancelled) == ResponseCode.OK
        # The old registrationID no longer re-registers ...
        stale = await register_raw(ven, ven_id="ven-a", registration_id=old_registration)
        assert stale.ei_response.response_code == ResponseCode.INVALID_ID
        # ... a new registration does.
        again = await ven.register(ven_id="ven-a")
        assert again.ei_response.response_code == ResponseCode.OK
        assert again.registration_id not in (None, old_registration)
        assert [type(message) for message in await ven.drain()] == [OadrRegisterReport]


async def test_an_unasked_canceled_party_registration_is_out_of_sequence(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        await ven.register()
        assert ven.ven_id is not None
        answer = await ven.post(
            "EiRegisterParty",
            OadrCanceledPartyRegistration(
                ei_response=ok("nobody-asked"), registration_id=ven.registration_id, ven_id=ven.ven_id
            ),
        )
        assert code_of(answer) == ResponseCode.OUT_OF_SEQUENCE
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.registered
        assert "registration_cancelled" not in server.recorder.calls
