"""The general cases whose device is a VEN (G1_40xx / G0_90xx ``TH_VTN``) and the header checks:
G1_4010 passes against our own VEN over mutual TLS (RSA and ECC, pull and push) and does not
apply without TLS, and each case fails against a VEN (or a TLS setup) that breaks what it
checks. That G1_4011 and G1_4015 pass against our own VEN is ``conformance/test_ours.py``'s to
show."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conformance_runs import FAST, KEY_TYPES, SUITE_OF, TRANSPORTS, assert_failed, has_check
from conformance_ven_devices import BrokenVenFactory, run, run_one, selected

from openadr_accel import xml
from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Case, CaseRegistry, Role, Selected, Transport, Verdict
from openadr_accel.conformance.context import VenCaseContext
from openadr_accel.conformance.harness_vtn import HarnessRegistration, HarnessVtn
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.conformance.runner import HarnessSecurity, RunSettings, VenRunner
from openadr_accel.conformance.transcript import Direction, Transcript, check_http_headers
from openadr_accel.model import (
    EiResponse,
    OadrCreateReport,
    OadrQueryRegistration,
    OadrRequestReregistration,
    OadrResponse,
    Payload,
    ResponseCode,
)
from openadr_accel.security import KeyType, TestPKI
from openadr_accel.security.certificates import fingerprint
from openadr_accel.security.signature import Signer
from openadr_accel.security.tls import OPENSSL_CIPHERS, ven_ssl_context, vtn_ssl_context
from openadr_accel.ven.session import Reply

# -- G1_4011 and G1_4015 (pull only) ------------------------------------------------------------------


def test_the_pull_cases_exist_in_pull_only() -> None:
    for number in ("G1_4011", "G1_4015"):
        assert selected(number, Transport.PULL).case.transports == (Transport.PULL,)


def answer_empty_polls_back(device: OurVen) -> None:
    """Answers the oadrResponse of an empty poll with an oadrResponse of its own."""
    session = device.ven.session
    original = session.answer

    async def answer(message: Payload) -> Reply:
        if isinstance(message, OadrResponse):
            ven_id = session.ven_id
            return Reply(
                OadrResponse(
                    ei_response=EiResponse(response_code=ResponseCode.OK, request_id=""), ven_id=ven_id
                )
            )
        return await original(message)

    session.answer = answer  # type: ignore[method-assign]


def take_empty_polls_for_a_lost_registration(device: OurVen) -> None:
    """Takes every empty poll's oadrResponse for a lost registration, and registers again."""
    session = device.ven.session
    original = session.answer

    async def answer(message: Payload) -> Reply:
        if isinstance(message, OadrResponse):
            session.reregister_requested = True
        return await original(message)

    session.answer = answer  # type: ignore[method-assign]


def poll_too_fast(device: OurVen) -> None:
    """Polls every 0.2 s whatever the VTN asked for."""
    device.ven._poll_interval = lambda: timedelta(seconds=0.2)  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("breaks", "words"),
    [
        (answer_empty_polls_back, "sends nothing back in answer to the empty poll's oadrResponse"),
        (take_empty_polls_for_a_lost_registration, "does not register again after an empty poll"),
        (poll_too_fast, "polls again in about 1 s, not sooner (seen: 0.2"),
    ],
)
async def test_g1_4011_fails_against_a_ven_that_mistakes_an_empty_poll(breaks: Any, words: str) -> None:
    result = await run_one(BrokenVenFactory(breaks), "G1_4011")
    assert_failed([result], words)


def ignore_report_requests(device: OurVen) -> None:
    """Takes an oadrCreateReport off the queue and never answers it."""
    session = device.ven.session
    original = session.answer

    async def answer(message: Payload) -> Reply:
        if isinstance(message, OadrCreateReport):
            return Reply(None)
        return await original(message)

    session.answer = answer  # type: ignore[method-assign]


async def test_g1_4015_fails_against_a_ven_that_does_not_answer_a_dequeued_message() -> None:
    result = await run_one(BrokenVenFactory(ignore_report_requests), "G1_4015")
    assert_failed([result], "did not send an oadrCreatedReport answering the queued oadrCreateReport")


# -- G1_4010: TLS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tls:
    """The TLS contexts of one G1_4010 run."""

    pki: TestPKI
    key_type: KeyType

    @property
    def ven_fingerprint(self) -> str:
        return fingerprint(self.pki.ven("th", self.key_type).certificate)

    @property
    def vtn_fingerprint(self) -> str:
        return fingerprint(self.pki.vtn(self.key_type).certificate)

    def harness_server(self, **options: Any) -> ssl.SSLContext:
        return vtn_ssl_context(self.pki.vtn(self.key_type), self.pki.ca_bundle, **options)

    def harness_pusher(self) -> ssl.SSLContext:
        return ven_ssl_context(self.pki.vtn(self.key_type), self.pki.ca_bundle)

    def ven_client(self, **options: Any) -> ssl.SSLContext:
        return ven_ssl_context(self.pki.ven("th", self.key_type), self.pki.ca_bundle, **options)

    def ven_server(self) -> ssl.SSLContext:
        return vtn_ssl_context(self.pki.ven("th", self.key_type), self.pki.ca_bundle)

    def settings(
        self, server: ssl.SSLContext | None = None, *, device_fingerprint: bool = True
    ) -> RunSettings:
        return replace(
            FAST,
            security=HarnessSecurity(
                server_ssl=server or self.harness_server(),
                client_ssl=self.harness_pusher(),
                device_fingerprint=self.ven_fingerprint if device_fingerprint else None,
            ),
        )

    def ven(self, **options: Any) -> OurVenFactory:
        chosen: dict[str, Any] = {
            "client_ssl": self.ven_client(),
            "push_ssl": self.ven_server(),
            "vtn_fingerprint": self.vtn_fingerprint,
        }
        chosen.update(options)
        return OurVenFactory(**chosen)


@KEY_TYPES
@TRANSPORTS
async def test_g1_4010_passes_against_our_ven_over_mutual_tls(
    pki: TestPKI, key_type: KeyType, transport: Transport
) -> None:
    tls = Tls(pki, key_type)
    result = await run_one(tls.ven(), "G1_4010", transport, tls.settings())
    assert result.verdict is Verdict.PASSED, result.reason
    assert has_check(result, SUITE_OF[key_type]), result.checks
    assert has_check(result, tls.ven_fingerprint), result.checks
    recorded = [exchange.tls for exchange in result.exchanges if exchange.direction is Direction.FROM_DEVICE]
    assert recorded
    assert all(facts is not None and facts.version == "TLSv1.2" for facts in recorded)
    if transport is Transport.PUSH:
        assert has_check(result, "refuses a TLS client that presents no certificate")


@TRANSPORTS
async def test_g1_4010_does_not_apply_without_tls(transport: Transport) -> None:
    result = await run_one(OurVenFactory(), "G1_4010", transport)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "no TLS" in result.reason
    assert not result.verdict.is_pass


async def test_g1_4010_fails_when_the_ven_negotiates_tls_1_3(pki: TestPKI) -> None:
    """A harness that would accept TLS 1.3 sees what the VEN offers: a VEN that allows it gets it."""
    tls = Tls(pki, KeyType.ECC)
    settings = tls.settings(tls.harness_server(allow_tls13=True))
    result = await run_one(
        tls.ven(client_ssl=tls.ven_client(allow_tls13=True)), "G1_4010", Transport.PULL, settings
    )
    assert_failed([result], "the VEN's connections use TLS 1.2 (seen: TLSv1.3)")


async def test_g1_4010_fails_when_the_ven_negotiates_another_cipher_suite(pki: TestPKI) -> None:
    tls = Tls(pki, KeyType.RSA)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.minimum_version = server.maximum_version = ssl.TLSVersion.TLSv1_2
    server.set_ciphers("AES128-SHA256:AES256-GCM-SHA384")
    server.verify_mode = ssl.CERT_REQUIRED
    server.load_verify_locations(cafile=str(pki.ca_bundle))
    server.load_cert_chain(str(pki.vtn(KeyType.RSA).certificate), str(pki.vtn(KeyType.RSA).key))
    client = tls.ven_client()
    client.set_ciphers("AES256-GCM-SHA384")  # a VEN offering a suite 2.0b does not name
    result = await run_one(tls.ven(client_ssl=client), "G1_4010", Transport.PULL, tls.settings(server))
    assert_failed([result], "use a 2.0b cipher suite")
    assert "AES256-GCM-SHA384" in result.reason


async def test_g1_4010_fails_when_the_ven_presents_no_client_certificate(pki: TestPKI) -> None:
    """A harness that does not insist on a client certificate sees that the VEN presents none."""
    tls = Tls(pki, KeyType.RSA)
    server = tls.harness_server()
    server.verify_mode = ssl.CERT_OPTIONAL
    anonymous = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    anonymous.minimum_version = anonymous.maximum_version = ssl.TLSVersion.TLSv1_2
    anonymous.set_ciphers(OPENSSL_CIPHERS)
    anonymous.load_verify_locations(cafile=str(pki.ca_bundle))
    result = await run_one(
        tls.ven(client_ssl=anonymous),
        "G1_4010",
        Transport.PULL,
        tls.settings(server, device_fingerprint=False),
    )
    assert_failed([result], "presented an X.509 client certificate on every connection")


async def test_g1_4010_fails_when_the_push_endpoint_takes_clients_without_a_certificate(pki: TestPKI) -> None:
    tls = Tls(pki, KeyType.ECC)
    lax = tls.ven_server()
    lax.verify_mode = ssl.CERT_NONE
    # without the VTN's fingerprint to check, the VEN takes whatever TLS client comes
    result = await run_one(
        tls.ven(push_ssl=lax, vtn_fingerprint=None), "G1_4010", Transport.PUSH, tls.settings()
    )
    assert_failed([result], "refuses a TLS client that presents no certificate")
    assert "it answered 'HTTP/1.1" in result.reason


async def test_g1_4010_fails_when_the_push_endpoint_is_plain_http(pki: TestPKI) -> None:
    tls = Tls(pki, KeyType.RSA)
    result = await run_one(tls.ven(push_ssl=None), "G1_4010", Transport.PUSH, tls.settings())
    assert_failed([result], "push endpoint (its transportAddress) is https")


async def test_g1_4010_fails_when_the_client_certificate_is_not_the_vens(pki: TestPKI) -> None:
    """The run names the VEN's certificate; the VEN connects with another one of the same PKI."""
    tls = Tls(pki, KeyType.RSA)
    other = ven_ssl_context(pki.vtn(KeyType.RSA), pki.ca_bundle)
    result = await run_one(tls.ven(client_ssl=other), "G1_4010", Transport.PULL, tls.settings())
    assert_failed([result], "is not the VEN's")


# -- HTTP headers ----------------------------------------------------------------------------------------


def test_header_rules_for_requests_and_push_answers() -> None:
    good = {
        "Host": "127.0.0.1:8080",
        "Content-Type": "application/xml; charset=utf-8",
        "Content-Length": "12",
    }
    assert check_http_headers(good, body_length=12) == []
    assert check_http_headers(
        {"Content-Type": "application/xml", "Content-Length": "12"}, body_length=12
    ) == ["the HTTP request has no Host header"]
    [problem] = check_http_headers({**good, "Content-Type": "text/xml"}, body_length=12)
    assert "Content-Type is 'text/xml', not application/xml" in problem
    [problem] = check_http_headers({"Host": "h", "Content-Type": "application/xml"}, body_length=12)
    assert "no Content-Length" in problem
    [problem] = check_http_headers(good, body_length=13)
    assert "Content-Length 12 does not match the body's 13 bytes" in problem
    # an answer needs no Host and may be chunked, but its Content-Type and any Content-Length count
    assert check_http_headers({"Content-Type": "application/xml"}, body_length=5, request=False) == []
    assert check_http_headers(
        {"Content-Type": "text/plain", "Content-Length": "4"}, body_length=5, request=False
    ) == [
        "Content-Type is 'text/plain', not application/xml",
        "the HTTP response's Content-Length 4 does not match the body's 5 bytes",
    ]


def one_case(body: Any, number: str = "G1_4011") -> Selected:
    registry = CaseRegistry()
    registry.add(Case(number=number, role=Role.VEN, title="a header test", body=body))
    return Selected(registry.get(number, Role.VEN), Transport.PULL)


@pytest.mark.parametrize(
    ("content_type", "chunked", "words"),
    [
        ("text/plain", False, "Content-Type is 'text/plain', not application/xml"),
        ("application/xml", True, "no Content-Length (chunked bodies are not simpleHttp)"),
    ],
)
async def test_a_device_request_with_a_bad_header_fails_the_case(
    content_type: str, chunked: bool, words: str
) -> None:
    """A device that POSTs a document with a bad header (crafted here with aiohttp, from inside a
    case whose VEN is otherwise ours and fine): the case fails with the header problem."""

    async def body(ctx: VenCaseContext) -> None:
        await ctx.harness.registered()
        document = xml.serialize(OadrQueryRegistration(request_id="crafted"))

        async def in_chunks() -> AsyncIterator[bytes]:
            yield document[:100]
            yield document[100:]

        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{ctx.harness.url}/OpenADR2/Simple/2.0b/EiRegisterParty",
                data=in_chunks() if chunked else document,
                headers={"Content-Type": content_type},
            ) as answer,
        ):
            ctx.check(answer.status == 200, "the crafted request was answered")

    [result] = await VenRunner(OurVenFactory(), FAST).run([one_case(body)])
    assert_failed([result], words)
    assert result.checks == ["the crafted request was answered"]


@contextlib.asynccontextmanager
async def push_endpoint(content_type: str) -> AsyncIterator[str]:
    """A push endpoint that answers every POST with a valid oadrResponse as ``content_type``."""
    document = xml.serialize(
        OadrResponse(ei_response=EiResponse(response_code=ResponseCode.OK, request_id=""), ven_id="VEN-1")
    )

    async def serve(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=document, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_post("/ven/OpenADR2/Simple/2.0b/{service}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/ven"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(("content_type", "problems"), [("application/xml", 0), ("text/html", 1)])
async def test_the_headers_of_a_push_answer_are_checked(content_type: str, problems: int) -> None:
    transcript = Transcript()
    harness = HarnessVtn(clock=lambda: datetime.now(UTC), transcript=transcript, timeout=10)
    async with push_endpoint(content_type) as address:
        harness.registration = HarnessRegistration(
            ven_id="VEN-1",
            registration_id="REG-1",
            ven_name=None,
            pull=False,
            transport_address=address,
            xml_signature=False,
            report_only=False,
        )
        answer = await harness.deliver(OadrRequestReregistration(ven_id="VEN-1"))
        await harness.close()
    assert isinstance(answer, OadrResponse)
    [pushed] = [exchange for exchange in transcript.exchanges if exchange.direction is Direction.FROM_DEVICE]
    assert pushed.http == "response"
    assert len(pushed.problems) == problems, pushed.problems
    if problems:
        assert pushed.problems == ["Content-Type is 'text/html', not application/xml"]


async def test_our_ven_pushed_to_answers_with_good_headers() -> None:
    """Against our VEN in push, the header checks of its answers run and find nothing (N0_5050:
    its answer to a pushed oadrRequestReregistration, among others)."""
    result = await run_one(OurVenFactory(), "N1_0050", Transport.PUSH)
    assert result.verdict is Verdict.PASSED, result.reason
    answers = [
        exchange
        for exchange in result.exchanges
        if exchange.direction is Direction.FROM_DEVICE and exchange.http == "response"
    ]
    assert answers
    assert all(not exchange.problems for exchange in answers)


# -- XML signatures -----------------------------------------------------------------------------------


@TRANSPORTS
async def test_cancellations_pass_with_xml_signatures(pki: TestPKI, transport: Transport) -> None:
    """With oadrXmlSignature negotiated, the harness's answer to the message that ends a
    registration is signed still (our VEN refuses an unsigned one): N1_0030, N1_0040 and N1_0080
    pass (both signers stamp ReplayProtect on the case's compressed clock)."""
    tls = Tls(pki, KeyType.RSA)
    vtn, ven = pki.vtn(KeyType.RSA), pki.ven("th", KeyType.RSA)
    settings = replace(
        FAST,
        security=HarnessSecurity(
            server_ssl=tls.harness_server(),
            client_ssl=tls.harness_pusher(),
            device_fingerprint=tls.ven_fingerprint,
            signer=Signer(vtn.certificate, vtn.key),
        ),
    )
    factory = tls.ven(signer=Signer(ven.certificate, ven.key))
    for result in await run(factory, ("N1_0030", "N1_0040", "N1_0080"), [transport], settings):
        assert result.verdict is Verdict.PASSED, (result.case_id, result.reason)
        signed = [exchange for exchange in result.exchanges if b"Signature" in exchange.body]
        assert len(signed) >= 4, result.case_id
