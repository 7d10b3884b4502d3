"""The VTN's security over loopback: mutual TLS (G1_4010), the venID bound to the certificate (463),
XML signatures when negotiated (signed, unsigned, tampered, replayed, stale), and the allow-list.

Every VTN here runs on a clock that starts at the real time (``real_time_clock``): the test PKI's
certificates are made now, and a signature is only good at a time its certificate is valid.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from security_fixtures import (
    client_context,
    fingerprint_of,
    no_certificate_context,
    real_time_clock,
    server_context,
    signer_of,
    vtn_pki,
)
from vtn_harness import RunningVtn, SettableClock, VenClient, answer_event, ok, running_vtn

from openadr_accel import xml
from openadr_accel.model import (
    Available,
    EventResponse,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedEvent,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisterReport,
    OadrResponse,
    OptReason,
    OptType,
    Payload,
    ProfileName,
    QualifiedEventID,
    ResponseCode,
    SignalType,
    TransportName,
)
from openadr_accel.security import KeyType, TestPKI, init_pki, issue_ven
from openadr_accel.security.replay import ReplayGuard
from openadr_accel.security.signature import SignatureVerifier, Signer
from openadr_accel.security.tls import OPENSSL_CIPHERS
from openadr_accel.vtn import AllowedVen, AllowList, Signal, VtnConfig

__all__ = ["vtn_pki"]  # the fixture, imported for pytest

KEY_TYPES = pytest.mark.parametrize("key_type", list(KeyType), ids=[k.value for k in KeyType])

CIPHER_OF = {KeyType.RSA: "AES128-SHA256", KeyType.ECC: "ECDHE-ECDSA-AES128-SHA256"}


@asynccontextmanager
async def tls_vtn(
    tmp_path: Path, pki: TestPKI, key_type: KeyType, **options: object
) -> AsyncIterator[tuple[RunningVtn, aiohttp.ClientSession]]:
    clock = options.pop("clock", None) or real_time_clock()
    async with (
        running_vtn(
            tmp_path,
            ssl_context=server_context(pki.vtn(key_type), pki),
            clock=clock,  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        ) as server,
        aiohttp.ClientSession() as session,
    ):
        yield server, session


def ven_over_tls(
    server: RunningVtn,
    session: aiohttp.ClientSession,
    pki: TestPKI,
    name: str,
    key_type: KeyType,
    *,
    signer: Signer | None = None,
) -> VenClient:
    return VenClient(
        session, server.url, ssl_context=client_context(pki.ven(name, key_type), pki), signer=signer
    )


def code(answer: Payload) -> ResponseCode:
    ei_response = getattr(answer, "ei_response", None)
    assert ei_response is not None, answer
    return ei_response.response_code


def opt(ven_id: str, clock: SettableClock, opt_id: str = "opt-1") -> OadrCreateOpt:
    return OadrCreateOpt(
        opt_id=opt_id,
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.PARTICIPATING,
        ven_id=ven_id,
        created_date_time=clock(),
        request_id=f"req-{opt_id}",
        availability=(Available(dtstart=clock() + timedelta(hours=1), duration=timedelta(hours=2)),),
    )


# --- mutual TLS ----------------------------------------------------------------------------------------


@KEY_TYPES
async def test_mutual_tls_register_poll_and_event_exchange_g1_4010(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    async with tls_vtn(tmp_path, vtn_pki, key_type) as (server, session):
        # TLS 1.2 with the 2.0b suite of the certificate's key type
        port = int(server.url.rsplit(":", 1)[1])
        _, writer = await asyncio.open_connection(
            "localhost", port, ssl=client_context(vtn_pki.ven("ven1", key_type), vtn_pki)
        )
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object.version() == "TLSv1.2"
        assert ssl_object.cipher()[0] == CIPHER_OF[key_type]
        assert ssl_object.cipher()[0] in OPENSSL_CIPHERS.split(":")
        writer.close()
        await writer.wait_closed()

        ven = ven_over_tls(server, session, vtn_pki, "ven1", key_type)
        created = await ven.register(ven_name="tls-ven")
        assert created.ei_response.response_code == ResponseCode.OK
        assert ven.ven_id is not None
        record = await server.vtn.registrations.get(ven.ven_id)
        assert record is not None
        assert record.fingerprint == fingerprint_of(vtn_pki.ven("ven1", key_type))
        assert [type(m) for m in await ven.drain()] == [OadrRegisterReport]

        event = await server.vtn.events.create(
            signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 2)])],
            start=server.clock() + timedelta(hours=2),
        )
        event_id = event.ei_event.event_descriptor.event_id
        [distribution] = await ven.drain()
        assert isinstance(distribution, OadrDistributeEvent)
        answer = await ven.post(
            "EiEvent",
            OadrCreatedEvent(
                ei_response=ok(distribution.request_id),
                ven_id=ven.ven_id,
                event_responses=(
                    EventResponse(
                        response_code=ResponseCode.OK,
                        request_id=distribution.request_id,
                        qualified_event_id=QualifiedEventID(event_id=event_id, modification_number=0),
                        opt_type=OptType.OPT_IN,
                    ),
                ),
            ),
        )
        assert code(answer) == ResponseCode.OK
        [response] = await server.vtn.events.responses(event_id)
        assert response.opt_type == OptType.OPT_IN


@KEY_TYPES
async def test_another_certificate_using_a_bound_ven_id_is_463(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    async with tls_vtn(tmp_path, vtn_pki, key_type) as (server, session):
        owner = ven_over_tls(server, session, vtn_pki, "ven1", key_type)
        await owner.register(ven_name="owner")
        assert owner.ven_id is not None
        intruder = ven_over_tls(server, session, vtn_pki, "ven2", key_type)
        intruder.ven_id = owner.ven_id

        polled = await intruder.poll()
        assert isinstance(polled, OadrResponse)
        assert code(polled) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED

        opted = await intruder.post("EiOpt", opt(owner.ven_id, server.clock))
        assert isinstance(opted, OadrCreatedOpt)
        assert code(opted) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await server.vtn.opts.list() == []

        taken = await intruder.register(ven_name="intruder", ven_id=owner.ven_id)
        assert taken.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        record = await server.vtn.registrations.get(owner.ven_id)
        assert record is not None
        assert record.fingerprint == fingerprint_of(vtn_pki.ven("ven1", key_type))
        assert record.registration_id == owner.registration_id

        # the owner's queue was not touched by the intruder's poll
        assert [type(m) for m in await owner.drain()] == [OadrRegisterReport]
        mine = await owner.post("EiOpt", opt(owner.ven_id, server.clock))
        assert code(mine) == ResponseCode.OK


async def test_query_registration_answers_with_the_registration_of_the_certificate(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    async with tls_vtn(tmp_path, vtn_pki, KeyType.RSA) as (server, session):
        owner = ven_over_tls(server, session, vtn_pki, "ven1", KeyType.RSA)
        await owner.register()
        stranger = ven_over_tls(server, session, vtn_pki, "ven2", KeyType.RSA)
        mine = await owner.post("EiRegisterParty", OadrQueryRegistration(request_id="q-1"))
        assert isinstance(mine, OadrCreatedPartyRegistration)
        assert (mine.ven_id, mine.registration_id) == (owner.ven_id, owner.registration_id)
        theirs = await stranger.post("EiRegisterParty", OadrQueryRegistration(request_id="q-2"))
        assert isinstance(theirs, OadrCreatedPartyRegistration)
        assert code(theirs) == ResponseCode.OK
        assert (theirs.ven_id, theirs.registration_id) == (None, None)


@KEY_TYPES
async def test_client_without_certificate_is_refused_by_tls(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    async with tls_vtn(tmp_path, vtn_pki, key_type) as (server, session):
        data = xml.serialize(OadrQueryRegistration(request_id="q-1"))
        url = f"{server.url}/OpenADR2/Simple/2.0b/EiRegisterParty"
        with pytest.raises((aiohttp.ClientError, ssl.SSLError, OSError)):
            async with session.post(url, data=data, ssl=no_certificate_context(vtn_pki)) as response:
                await response.read()
        assert await server.vtn.registrations.list() == []
        # the VTN still serves VENs that have a certificate
        ven = ven_over_tls(server, session, vtn_pki, "ven1", key_type)
        assert (await ven.register()).ei_response.response_code == ResponseCode.OK


async def test_client_with_a_certificate_of_another_pki_is_refused_by_tls(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    other = init_pki(tmp_path / "other-pki")
    issue_ven("ven1", other.directory, key_types=[KeyType.ECC])
    foreign = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    foreign.minimum_version = foreign.maximum_version = ssl.TLSVersion.TLSv1_2
    foreign.load_verify_locations(cafile=str(vtn_pki.ca_bundle))  # trusts the VTN
    foreign.load_cert_chain(other.ven("ven1", KeyType.ECC).certificate, other.ven("ven1", KeyType.ECC).key)
    async with tls_vtn(tmp_path, vtn_pki, KeyType.ECC) as (server, session):
        data = xml.serialize(OadrQueryRegistration(request_id="q-1"))
        url = f"{server.url}/OpenADR2/Simple/2.0b/EiRegisterParty"
        with pytest.raises((aiohttp.ClientError, ssl.SSLError, OSError)):
            async with session.post(url, data=data, ssl=foreign) as response:
                await response.read()
        assert await server.vtn.registrations.list() == []


# --- XML signatures ------------------------------------------------------------------------------------


@dataclass
class SignedPair:
    server: RunningVtn
    ven: VenClient
    ven_signer: Signer
    verifier: SignatureVerifier
    vtn_certificate: Path

    @property
    def clock(self) -> SettableClock:
        return self.server.clock

    async def send(self, service: str, data: bytes) -> Payload:
        """POST ``data`` as it is; the answer must carry the VTN's valid signature."""
        answer = await self.ven.post_bytes(service, data)
        return self.verifier.parse(answer, certificate=self.vtn_certificate)

    async def send_signed(self, service: str, payload: Payload) -> Payload:
        return await self.send(service, self.ven_signer.serialize(payload))

    async def poll(self) -> Payload:
        assert self.ven.ven_id is not None
        return await self.send_signed("OadrPoll", OadrPoll(ven_id=self.ven.ven_id))

    @property
    def ven_id(self) -> str:
        assert self.ven.ven_id is not None
        return self.ven.ven_id


@asynccontextmanager
async def signed_pair(
    tmp_path: Path, pki: TestPKI, key_type: KeyType, config: VtnConfig | None = None
) -> AsyncIterator[SignedPair]:
    clock = real_time_clock()
    vtn_credentials = pki.vtn(key_type)
    async with tls_vtn(
        tmp_path, pki, key_type, clock=clock, signer=signer_of(vtn_credentials, clock), config=config
    ) as (
        server,
        session,
    ):
        ven_signer = signer_of(pki.ven("ven1", key_type), clock)
        ven = ven_over_tls(server, session, pki, "ven1", key_type)
        pair = SignedPair(
            server,
            ven,
            ven_signer,
            SignatureVerifier(ReplayGuard(clock=clock), clock=clock),
            vtn_credentials.certificate,
        )
        registration = OadrCreatePartyRegistration(
            request_id="reg-signed",
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            report_only=False,
            xml_signature=True,
            http_pull_model=True,
            ven_name="signing-ven",
        )
        created = await pair.send_signed("EiRegisterParty", registration)
        assert isinstance(created, OadrCreatedPartyRegistration)
        assert created.ei_response.response_code == ResponseCode.OK
        ven.ven_id = created.ven_id
        ven.registration_id = created.registration_id
        yield pair


@KEY_TYPES
async def test_signed_messages_are_verified_and_answers_signed(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    async with signed_pair(tmp_path, vtn_pki, key_type) as pair:
        record = await pair.server.vtn.registrations.get(pair.ven_id)
        assert record is not None
        assert record.xml_signature
        # a poll answer with a queued message, signed
        queued = await pair.poll()
        assert isinstance(queued, OadrRegisterReport)
        # the empty answer, signed too
        empty = await pair.poll()
        assert isinstance(empty, OadrResponse)
        assert code(empty) == ResponseCode.OK
        # a signed request with a stored effect
        created = await pair.send_signed("EiOpt", opt(pair.ven_id, pair.clock))
        assert isinstance(created, OadrCreatedOpt)
        assert code(created) == ResponseCode.OK
        assert [o.opt_id for o in await pair.server.vtn.opts.list()] == ["opt-1"]
        # an event distribution, built when it is polled, is signed as well
        await pair.server.vtn.events.create(
            signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])],
            start=pair.clock() + timedelta(hours=2),
        )
        distribution = await pair.poll()
        assert isinstance(distribution, OadrDistributeEvent)
        assert len(distribution.events) == 1


async def test_unsigned_message_from_a_signing_ven_is_463(tmp_path: Path, vtn_pki: TestPKI) -> None:
    async with signed_pair(tmp_path, vtn_pki, KeyType.RSA) as pair:
        refused = await pair.send("OadrPoll", xml.serialize(OadrPoll(ven_id=pair.ven_id)))
        assert isinstance(refused, OadrResponse)
        assert code(refused) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        unsigned_opt = await pair.send("EiOpt", xml.serialize(opt(pair.ven_id, pair.clock)))
        assert isinstance(unsigned_opt, OadrCreatedOpt)
        assert code(unsigned_opt) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await pair.server.vtn.opts.list() == []
        # the refused poll took nothing from the queue
        assert isinstance(await pair.poll(), OadrRegisterReport)


@KEY_TYPES
async def test_tampered_signed_message_is_463(tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType) -> None:
    async with signed_pair(tmp_path, vtn_pki, key_type) as pair:
        original = pair.ven_signer.serialize(opt(pair.ven_id, pair.clock, opt_id="opt-1"))
        tampered = original.replace(b">opt-1<", b">opt-9<")
        assert tampered != original
        refused = await pair.send("EiOpt", tampered)
        assert isinstance(refused, OadrCreatedOpt)
        assert code(refused) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await pair.server.vtn.opts.list() == []
        # the genuine message is still good (its nonce was not spent by the forgery)
        accepted = await pair.send("EiOpt", original)
        assert code(accepted) == ResponseCode.OK
        assert [o.opt_id for o in await pair.server.vtn.opts.list()] == ["opt-1"]


async def test_replayed_signed_message_is_463(tmp_path: Path, vtn_pki: TestPKI) -> None:
    async with signed_pair(tmp_path, vtn_pki, KeyType.ECC) as pair:
        message = pair.ven_signer.serialize(opt(pair.ven_id, pair.clock, opt_id="opt-1"))
        first = await pair.send("EiOpt", message)
        assert code(first) == ResponseCode.OK
        replayed = await pair.send("EiOpt", message)
        assert isinstance(replayed, OadrCreatedOpt)
        assert code(replayed) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert len(await pair.server.vtn.opts.list()) == 1
        # a signed poll replayed does not take a second message from the queue
        poll = pair.ven_signer.serialize(OadrPoll(ven_id=pair.ven_id))
        assert isinstance(await pair.send("OadrPoll", poll), OadrRegisterReport)
        again = await pair.send("OadrPoll", poll)
        assert isinstance(again, OadrResponse)
        assert code(again) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


async def test_a_full_replay_guard_refuses_signed_messages(tmp_path: Path, vtn_pki: TestPKI) -> None:
    # The registration and one poll fill a guard of two nonces: the VTN fails closed after that.
    config = VtnConfig(vtn_id="test-vtn", replay_max_nonces=2)
    async with signed_pair(tmp_path, vtn_pki, KeyType.ECC, config) as pair:
        assert isinstance(await pair.poll(), OadrRegisterReport)
        refused = await pair.poll()
        assert isinstance(refused, OadrResponse)
        assert code(refused) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


async def test_stale_signed_message_is_463(tmp_path: Path, vtn_pki: TestPKI) -> None:
    async with signed_pair(tmp_path, vtn_pki, KeyType.RSA) as pair:
        late_clock = SettableClock(pair.clock() - timedelta(hours=1))
        late = signer_of(vtn_pki.ven("ven1", KeyType.RSA), late_clock)
        stale = await pair.send("OadrPoll", late.serialize(OadrPoll(ven_id=pair.ven_id)))
        assert isinstance(stale, OadrResponse)
        assert code(stale) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


async def test_message_signed_with_another_certificate_is_463(tmp_path: Path, vtn_pki: TestPKI) -> None:
    async with signed_pair(tmp_path, vtn_pki, KeyType.ECC) as pair:
        other = signer_of(vtn_pki.ven("ven2", KeyType.ECC), pair.clock)
        refused = await pair.send("EiOpt", other.serialize(opt(pair.ven_id, pair.clock)))
        assert isinstance(refused, OadrCreatedOpt)
        assert code(refused) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await pair.server.vtn.opts.list() == []


async def test_vtn_without_signer_refuses_signature_negotiation(tmp_path: Path, vtn_pki: TestPKI) -> None:
    async with tls_vtn(tmp_path, vtn_pki, KeyType.RSA) as (server, session):
        ven = ven_over_tls(
            server,
            session,
            vtn_pki,
            "ven1",
            KeyType.RSA,
            signer=signer_of(vtn_pki.ven("ven1", "rsa"), server.clock),
        )
        created = await ven.register()
        assert created.ei_response.response_code == ResponseCode.INVALID_DATA
        assert await server.vtn.registrations.list() == []


# --- the allow-list -------------------------------------------------------------------------------------


async def test_allow_list_by_fingerprint_over_tls(tmp_path: Path, vtn_pki: TestPKI) -> None:
    allowed = fingerprint_of(vtn_pki.ven("ven1", KeyType.ECC))
    policy = AllowList([AllowedVen(fingerprint=allowed.lower(), ven_id="charger-park-7")])
    async with tls_vtn(tmp_path, vtn_pki, KeyType.ECC, registration=policy) as (server, session):
        listed = ven_over_tls(server, session, vtn_pki, "ven1", KeyType.ECC)
        wrong_id = await listed.register(ven_id="some-other-id")
        assert wrong_id.ei_response.response_code == ResponseCode.INVALID_ID
        created = await listed.register()
        assert created.ei_response.response_code == ResponseCode.OK
        assert created.ven_id == "charger-park-7"
        record = await server.vtn.registrations.get("charger-park-7")
        assert record is not None
        assert record.fingerprint == allowed

        unlisted = ven_over_tls(server, session, vtn_pki, "ven2", KeyType.ECC)
        refused = await unlisted.register(ven_name="not-listed")
        assert refused.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert refused.ven_id is None
        assert [ven.ven_id for ven in await server.vtn.registrations.list()] == ["charger-park-7"]


@KEY_TYPES
async def test_another_certificate_cannot_cancel_a_registration_by_its_registration_id(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    async with tls_vtn(tmp_path, vtn_pki, key_type) as (server, session):
        owner = ven_over_tls(server, session, vtn_pki, "ven1", key_type)
        await owner.register(ven_name="owner")
        assert owner.ven_id is not None
        assert owner.registration_id is not None
        intruder = ven_over_tls(server, session, vtn_pki, "ven2", key_type)
        for ven_id in (owner.ven_id, None):  # naming the venID, or only the registrationID
            answer = await intruder.post(
                "EiRegisterParty",
                OadrCancelPartyRegistration(
                    request_id="cancel-x", registration_id=owner.registration_id, ven_id=ven_id
                ),
            )
            assert isinstance(answer, OadrCanceledPartyRegistration)
            assert code(answer) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, ven_id
            record = await server.vtn.registrations.get(owner.ven_id)
            assert record is not None
            assert record.registration_id == owner.registration_id
        assert "registration_cancelled" not in server.recorder.calls


async def test_unsigned_cancel_by_registration_id_from_a_signing_ven_is_463(
    tmp_path: Path, vtn_pki: TestPKI
) -> None:
    async with signed_pair(tmp_path, vtn_pki, KeyType.ECC) as pair:
        assert pair.ven.registration_id is not None
        cancel = OadrCancelPartyRegistration(request_id="cancel-1", registration_id=pair.ven.registration_id)
        refused = await pair.send("EiRegisterParty", xml.serialize(cancel))
        assert isinstance(refused, OadrCanceledPartyRegistration)
        assert code(refused) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        record = await pair.server.vtn.registrations.get(pair.ven_id)
        assert record is not None
        assert record.registered
        # signed, it is accepted
        accepted = await pair.send_signed("EiRegisterParty", cancel)
        assert code(accepted) == ResponseCode.OK
        record = await pair.server.vtn.registrations.get(pair.ven_id)
        assert record is not None
        assert not record.registered


@KEY_TYPES
async def test_error_answers_to_a_signing_ven_are_signed_whatever_venid_its_message_names(
    tmp_path: Path, vtn_pki: TestPKI, key_type: KeyType
) -> None:
    """A VEN that negotiated signatures takes signed answers only: the VTN signs its refusal of a
    message naming an unknown venID, or another VEN's, deciding from the TLS certificate."""
    async with signed_pair(tmp_path, vtn_pki, key_type) as pair:
        other = ven_over_tls(pair.server, pair.ven.session, vtn_pki, "ven2", key_type)
        created = await other.register(ven_name="unsigned-ven")
        assert created.ei_response.response_code == ResponseCode.OK
        assert other.ven_id is not None
        for ven_id in ("no-such-ven", other.ven_id):
            # pair.send verifies the answer's signature (it raises on an unsigned one)
            answer = await pair.send_signed("EiEvent", answer_event(ven_id, "dist-1", "no-event"))
            assert isinstance(answer, OadrResponse), ven_id
            assert code(answer) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, ven_id
            polled = await pair.send_signed("OadrPoll", OadrPoll(ven_id=ven_id))
            assert isinstance(polled, OadrResponse), ven_id
            assert code(polled) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, ven_id
        unreadable = await pair.send("EiEvent", b"<not-a-document")
        assert isinstance(unreadable, OadrResponse)
        assert code(unreadable) == ResponseCode.INVALID_DATA
        # the VEN's own messages are answered signed as before
        assert isinstance(await pair.poll(), OadrRegisterReport)

        # a VEN that did not negotiate signatures gets unsigned answers, for an unknown venID too
        raw = await other.post_bytes("EiEvent", xml.serialize(answer_event("no-such-ven", "dist-1", "x")))
        assert b"Signature" not in raw
        assert code(xml.parse(raw)) == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
