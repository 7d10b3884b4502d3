"""Bad input to a VTN over loopback HTTP: never a crash, always an OpenADR answer with a code.

Whatever a client POSTs to a service path, the VTN answers HTTP 200 with a schema-valid OpenADR
document of the type the request calls for (oadrResponse when the request cannot be read) carrying
the response code; only an unknown path (404) or method (405) is an HTTP error. After each bad
request the VTN still serves a registered VEN.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest
from test_bad_input import CASES, Case
from vtn_harness import START, RunningVtn, VenClient, ok, running_vtn

from openadr_accel import xml
from openadr_accel.errors import RemoteProtocolError
from openadr_accel.model import (
    Available,
    EiTarget,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrDistributeEvent,
    OadrPoll,
    OadrProfile,
    OadrRegisteredReport,
    OadrRegisterReport,
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
from openadr_accel.vtn import Signal, VtnConfig, VtnHandlers

SERVICES = ("EiRegisterParty", "EiEvent", "EiOpt", "EiReport", "OadrPoll")
SMALL_CAP = 2048


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def payload(self) -> Payload:
        assert self.status == 200, (self.status, self.body[:200])
        assert self.content_type == "application/xml"
        return xml.parse(self.body)  # schema-valid, or this raises

    def code(self) -> ResponseCode:
        ei_response = getattr(self.payload(), "ei_response", None)
        assert ei_response is not None
        return ei_response.response_code


@dataclass
class Client:
    server: RunningVtn
    session: aiohttp.ClientSession
    ven: VenClient

    def url(self, service: str) -> str:
        return f"{self.server.url}/OpenADR2/Simple/2.0b/{service}"

    async def raw(self, service: str, data: object, *, method: str = "POST") -> Reply:
        async with self.session.request(
            method, self.url(service), data=data, headers={"Content-Type": "application/xml"}
        ) as response:
            return Reply(response.status, response.content_type, await response.read())

    async def still_serving(self) -> None:
        """The registered VEN still polls and gets its queued oadrRegisterReport, then nothing."""
        found = await self.ven.drain()
        assert [type(message) for message in found] in ([OadrRegisterReport], [])
        answer = await self.ven.poll()
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.OK


@asynccontextmanager
async def client(
    tmp_path: Path, *, config: VtnConfig | None = None, handlers: VtnHandlers | None = None
) -> AsyncIterator[Client]:
    async with (
        running_vtn(tmp_path, config=config, handlers=handlers) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = VenClient(session, server.url)
        created = await ven.register()
        assert created.ei_response.response_code == ResponseCode.OK
        yield Client(server, session, ven)


def poll_bytes(ven_id: str) -> bytes:
    return xml.serialize(OadrPoll(ven_id=ven_id))


def create_opt(ven_id: str) -> OadrCreateOpt:
    return OadrCreateOpt(
        opt_id="opt-1",
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.PARTICIPATING,
        ven_id=ven_id,
        created_date_time=START,
        request_id="req-opt",
        availability=(Available(dtstart=START, duration=timedelta(hours=1)),),
    )


# --- the parser's corpus, through HTTP -----------------------------------------------------------------

_TRAPS = SimpleNamespace(url="http://127.0.0.1:9", secret_uri="file:///nonexistent/openadr-secret")
_CORPUS = [
    pytest.param(case, id=case.id)
    for case in CASES
    if case.bug is None and case.max_bytes == xml.DEFAULT_MAX_BYTES
]


@pytest.mark.parametrize("case", _CORPUS)
async def test_every_corpus_document_gets_its_error_code(tmp_path: Path, case: Case) -> None:
    async with client(tmp_path) as c:
        data = case.data(_TRAPS)  # type: ignore[arg-type]
        reply = await c.raw("OadrPoll", data)
        answer = reply.payload()
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == case.validated.code
        await c.still_serving()


# --- kinds of bad documents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<oadr:oadrPayload",
        b"not xml at all",
        b'<?xml version="1.0"?><a><b></a>',
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
        b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07"><oadrSignedObject/></oadrPayload>',
    ],
    ids=["empty", "truncated", "text", "mismatched-tags", "external-entity", "entity-expansion", "schema"],
)
@pytest.mark.parametrize("service", SERVICES)
async def test_unreadable_document_is_454_on_every_service(tmp_path: Path, data: bytes, service: str) -> None:
    async with client(tmp_path) as c:
        reply = await c.raw(service, data)
        answer = reply.payload()
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.INVALID_DATA
        assert b"/root:" not in reply.body  # nothing of /etc/passwd came back
        await c.still_serving()


async def test_schema_invalid_message_is_454_and_answered_in_kind(tmp_path: Path) -> None:
    async with client(tmp_path) as c:
        assert c.ven.ven_id is not None
        poll = poll_bytes(c.ven.ven_id)
        no_ven_id = poll.replace(f"<ei:venID>{c.ven.ven_id}</ei:venID>".encode(), b"")
        assert no_ven_id != poll
        reply = await c.raw("OadrPoll", no_ven_id)
        assert reply.code() == ResponseCode.INVALID_DATA
        # extra element in a readable message: still 454, and nothing stored
        opt = xml.serialize(create_opt(c.ven.ven_id))
        bad_opt = opt.replace(b"<ei:optType>optOut</ei:optType>", b"<ei:optType>optMaybe</ei:optType>")
        assert bad_opt != opt
        reply = await c.raw("EiOpt", bad_opt)
        assert reply.code() == ResponseCode.INVALID_DATA
        assert await c.server.vtn.opts.list() == []
        await c.still_serving()


def small_cap_config() -> VtnConfig:
    return VtnConfig(vtn_id="test-vtn", max_message_bytes=SMALL_CAP)


def oversized(ven_id: str) -> bytes:
    data = poll_bytes(ven_id)
    padding = b"<!--" + b"x" * (SMALL_CAP * 4) + b"-->"
    return data.replace(b"<oadr:oadrPayload", padding + b"<oadr:oadrPayload", 1)


async def test_document_over_the_cap_with_content_length_is_454(tmp_path: Path) -> None:
    async with client(tmp_path, config=small_cap_config()) as c:
        assert c.ven.ven_id is not None
        reply = await c.raw("OadrPoll", oversized(c.ven.ven_id))
        answer = reply.payload()
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.INVALID_DATA
        assert "2048" in (answer.ei_response.response_description or "")
        # the message was not acted on: the queued oadrRegisterReport is still there
        [queued] = await c.ven.drain()
        assert isinstance(queued, OadrRegisterReport)


async def test_document_over_the_cap_chunked_is_454(tmp_path: Path) -> None:
    async with client(tmp_path, config=small_cap_config()) as c:
        assert c.ven.ven_id is not None
        document = oversized(c.ven.ven_id)

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(document), 512):
                yield document[start : start + 512]

        reply = await c.raw("OadrPoll", chunks())
        answer = reply.payload()
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.INVALID_DATA
        [queued] = await c.ven.drain()
        assert isinstance(queued, OadrRegisterReport)


async def test_document_under_the_cap_chunked_is_served(tmp_path: Path) -> None:
    async with client(tmp_path, config=small_cap_config()) as c:
        assert c.ven.ven_id is not None
        document = poll_bytes(c.ven.ven_id)
        assert len(document) < SMALL_CAP

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(document), 64):
                yield document[start : start + 64]

        reply = await c.raw("OadrPoll", chunks())
        assert isinstance(reply.payload(), OadrRegisterReport)


# --- messages in the wrong place ------------------------------------------------------------------------


async def test_message_posted_to_the_wrong_service_is_454(tmp_path: Path) -> None:
    async with client(tmp_path) as c:
        assert c.ven.ven_id is not None
        reply = await c.raw("EiEvent", poll_bytes(c.ven.ven_id))
        answer = reply.payload()
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.INVALID_DATA
        opt_reply = await c.raw("EiReport", xml.serialize(create_opt(c.ven.ven_id)))
        created = opt_reply.payload()
        assert isinstance(created, OadrCreatedOpt)  # answered in kind
        assert created.ei_response.response_code == ResponseCode.INVALID_DATA
        assert await c.server.vtn.opts.list() == []
        [queued] = await c.ven.drain()  # the misdirected poll took nothing
        assert isinstance(queued, OadrRegisterReport)


@pytest.mark.parametrize(
    ("service", "message"),
    [
        (
            "EiEvent",
            OadrDistributeEvent(request_id="d-1", vtn_id="someone", ei_response=ok("d-1")),
        ),
        ("EiRegisterParty", OadrRequestReregistration(ven_id="VEN_ID")),
        (
            "EiRegisterParty",
            OadrCreatedPartyRegistration(
                ei_response=ok("r-1"),
                vtn_id="someone",
                profiles=(OadrProfile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),),
            ),
        ),
    ],
    ids=["oadrDistributeEvent", "oadrRequestReregistration", "oadrCreatedPartyRegistration"],
)
async def test_message_a_vtn_does_not_take_is_453(tmp_path: Path, service: str, message: Payload) -> None:
    async with client(tmp_path) as c:
        assert c.ven.ven_id is not None
        data = xml.serialize(message).replace(b"VEN_ID", c.ven.ven_id.encode())
        reply = await c.raw(service, data)
        assert reply.code() == ResponseCode.NOT_RECOGNIZED
        await c.still_serving()


async def test_unknown_service_path_is_http_404(tmp_path: Path) -> None:
    async with client(tmp_path) as c:
        assert c.ven.ven_id is not None
        reply = await c.raw("EiTelemetry", poll_bytes(c.ven.ven_id))
        assert reply.status == 404
        async with c.session.post(
            f"{c.server.url}/OpenADR2/Simple/2.0a/OadrPoll", data=poll_bytes(c.ven.ven_id)
        ) as response:
            assert response.status == 404
        await c.still_serving()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_are_http_405(tmp_path: Path, method: str) -> None:
    async with client(tmp_path) as c:
        reply = await c.raw("OadrPoll", b"", method=method)
        assert reply.status == 405
        await c.still_serving()


# --- failing handlers -------------------------------------------------------------------------------------


async def test_handler_raising_a_plain_exception_is_answered_500_and_the_vtn_keeps_serving(
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    async def broken(message: OadrCreateOpt) -> None:
        calls.append(message.opt_id)
        raise RuntimeError("the vendor's code is broken")

    async with client(tmp_path, handlers=VtnHandlers(on_opt=broken)) as c:
        assert c.ven.ven_id is not None
        for _ in range(2):
            answer = await c.ven.post("EiOpt", create_opt(c.ven.ven_id))
            assert isinstance(answer, OadrCreatedOpt)
            assert answer.ei_response.response_code == ResponseCode.INTERNAL_SERVER_ERROR
            assert answer.opt_id == "opt-1"
        assert calls == ["opt-1", "opt-1"]
        await c.still_serving()


async def test_handler_raising_remote_protocol_error_answers_with_its_code(tmp_path: Path) -> None:
    async def deployment(*args: object) -> None:
        raise RemoteProtocolError("not in this deployment", response_code="469")

    async with client(tmp_path, handlers=VtnHandlers(on_report_capabilities=deployment)) as c:
        assert c.ven.ven_id is not None
        answer = await c.ven.post(
            "EiReport", OadrRegisterReport(request_id="rr-1", reports=(), ven_id=c.ven.ven_id)
        )
        assert isinstance(answer, OadrRegisteredReport)
        assert answer.ei_response.response_code == ResponseCode("469")
        await c.still_serving()


async def test_registration_handler_error_code_reaches_the_ven(tmp_path: Path) -> None:
    async def deployment(*args: object) -> None:
        raise RemoteProtocolError("not in this deployment", response_code="469")

    async with (
        running_vtn(tmp_path, handlers=VtnHandlers(on_registered=deployment)) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = VenClient(session, server.url)
        created = await ven.register(ven_name="unlucky")
        assert created.ei_response.response_code == ResponseCode("469")
        assert created.ven_id is None


async def test_bad_document_does_not_disturb_queued_messages(tmp_path: Path) -> None:
    """A bad document in the middle of a distribution does not disturb it."""
    async with client(tmp_path) as c:
        assert c.ven.ven_id is not None
        await c.ven.drain()
        await c.server.vtn.events.create(
            signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])],
            start=START + timedelta(hours=2),
            target=EiTarget(ven_ids=(c.ven.ven_id,)),
        )
        reply = await c.raw("OadrPoll", b"<garbage")
        assert reply.code() == ResponseCode.INVALID_DATA
        [distribution] = await c.ven.drain()
        assert isinstance(distribution, OadrDistributeEvent)


def exactly(ven_id: str, size: int) -> bytes:
    data = poll_bytes(ven_id)
    filler = size - len(data) - len(b"<!---->")
    assert filler >= 0
    padded = data.replace(b"<oadr:oadrPayload", b"<!--" + b"x" * filler + b"--><oadr:oadrPayload", 1)
    assert len(padded) == size
    return padded


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_size_cap_boundary(tmp_path: Path, chunked: bool) -> None:
    async with client(tmp_path, config=small_cap_config()) as c:
        assert c.ven.ven_id is not None

        def body(data: bytes) -> object:
            if not chunked:
                return data

            async def chunks() -> AsyncIterator[bytes]:
                for start in range(0, len(data), 100):
                    yield data[start : start + 100]

            return chunks()

        over = await c.raw("OadrPoll", body(exactly(c.ven.ven_id, SMALL_CAP + 1)))
        assert over.code() == ResponseCode.INVALID_DATA
        at = await c.raw("OadrPoll", body(exactly(c.ven.ven_id, SMALL_CAP)))
        assert isinstance(at.payload(), OadrRegisterReport)


async def test_compressed_body_over_the_cap_is_454(tmp_path: Path) -> None:
    async with client(tmp_path, config=small_cap_config()) as c:
        assert c.ven.ven_id is not None
        bomb = gzip.compress(oversized(c.ven.ven_id) + b" " * 1_000_000)
        assert len(bomb) < SMALL_CAP
        async with c.session.post(
            c.url("OadrPoll"),
            data=bomb,
            headers={"Content-Type": "application/xml", "Content-Encoding": "gzip"},
        ) as response:
            reply = Reply(response.status, response.content_type, await response.read())
        assert reply.code() == ResponseCode.INVALID_DATA
        await c.still_serving()


async def test_body_with_a_broken_content_encoding_gets_an_openadr_answer(tmp_path: Path) -> None:
    async with client(tmp_path) as c:
        assert c.ven.ven_id is not None
        async with c.session.post(
            c.url("OadrPoll"),
            data=b"this is not gzip at all",
            headers={"Content-Type": "application/xml", "Content-Encoding": "gzip"},
        ) as response:
            reply = Reply(response.status, response.content_type, await response.read())
        assert reply.code() == ResponseCode.INVALID_DATA
        await c.still_serving()


@pytest.mark.parametrize("response_code", ["nope", "4690", ""])
async def test_handler_error_with_an_invalid_response_code_is_answered_500(
    tmp_path: Path, response_code: str
) -> None:
    async def confused(*args: object) -> None:
        error = RemoteProtocolError("the vendor's own code")
        error.response_code = response_code
        raise error

    async with (
        running_vtn(tmp_path, handlers=VtnHandlers(on_opt=confused)) as server,
        aiohttp.ClientSession() as session,
    ):
        ven = VenClient(session, server.url)
        assert (await ven.register()).ei_response.response_code == ResponseCode.OK
        assert ven.ven_id is not None
        answer = await ven.post("EiOpt", create_opt(ven.ven_id))
        assert isinstance(answer, OadrCreatedOpt)
        assert answer.ei_response.response_code == ResponseCode.INTERNAL_SERVER_ERROR

    (tmp_path / "registration").mkdir()
    async with (
        running_vtn(tmp_path / "registration", handlers=VtnHandlers(on_registered=confused)) as server,
        aiohttp.ClientSession() as session,
    ):
        created = await VenClient(session, server.url).register(ven_name="unlucky")
        assert created.ei_response.response_code == ResponseCode.INTERNAL_SERVER_ERROR
