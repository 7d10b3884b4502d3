"""What the two harnesses (:class:`~.harness_vtn.HarnessVtn`, :class:`~.harness_ven.HarnessVen`)
share on the wire: serving the simpleHttp endpoints, POSTing a document, recording every document
in the case's transcript (inspected, with the TLS facts of its connection, when it comes from the
device), and the plain answers they build."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from aiohttp import web

from .. import xml
from ..errors import OpenADRError
from ..model import EiResponse, OadrResponse, Payload, ResponseCode, ServiceName
from ..security.signature import SignatureVerifier
from ..security.tls import peer_fingerprint
from .case import CaseFailed
from .transcript import (
    Direction,
    Exchange,
    TlsFacts,
    Transcript,
    check_http_headers,
    inspect_document,
    message_name,
    tls_facts,
)

__all__ = [
    "PATH",
    "XML",
    "Answer",
    "client_certificate",
    "error",
    "oadr_response",
    "ok",
    "post",
    "record_from_device",
    "record_to_device",
    "request_id_of",
    "serve",
]

PATH = "/OpenADR2/Simple/2.0b/"
"""The simpleHttp endpoints' path, after a base URL: ``PATH + service``."""
XML = "application/xml"
"""The Content-Type of every document."""


# -- serving and posting -----------------------------------------------------------------------------


async def serve(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    *,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
) -> tuple[web.AppRunner, str]:
    """Serve every simpleHttp service's endpoint with ``handler`` on ``host``:``port`` (0: any
    free port), over TLS with ``ssl_context``; the runner (to clean up) and the base URL."""
    app = web.Application(client_max_size=xml.DEFAULT_MAX_BYTES + 1)
    for service in ServiceName:
        app.router.add_post(PATH + service.value, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
    scheme = "https" if ssl_context is not None else "http"
    return runner, f"{scheme}://{host}:{bound[1]}"


@dataclass(frozen=True, slots=True)
class Answer:
    """The device's HTTP answer to a POST of the harness's.

    Attributes:
        status: the HTTP status.
        headers: its HTTP headers.
        content_type: its Content-Type, without parameters.
        tls: the TLS facts of the connection it came over (None: plain HTTP).
        body: its body (up to the cap the POST was given).
        too_large: whether the body was longer than that cap (the rest was not read).
    """

    status: int
    headers: dict[str, str]
    content_type: str
    tls: TlsFacts | None
    body: bytes
    too_large: bool


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    *,
    ssl_context: ssl.SSLContext | bool,
    cap: int | None,
    failing: str,
) -> Answer:
    """POST ``body`` as application/xml to ``url``; the answer, its body read up to ``cap``
    bytes (None: whole).

    Raises:
        CaseFailed: the device could not be reached ("the harness could not ``failing`` at
            ``url``: ...").
    """
    try:
        async with session.post(url, data=body, headers={"Content-Type": XML}, ssl=ssl_context) as answer:
            status = answer.status
            headers = dict(answer.headers)
            content_type = answer.content_type
            tls = _answer_tls(answer)
            if cap is None:
                data, too_large = await answer.read(), False
            else:
                data, too_large = await _read_capped(answer.content, cap)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise CaseFailed(f"the harness could not {failing} at {url}: {type(exc).__name__}: {exc}") from exc
    return Answer(status, headers, content_type, tls, data, too_large)


def client_certificate(
    exchange: Exchange, request: web.Request, expected: str | None
) -> tuple[bool, str | None]:
    """Record on ``exchange`` the TLS facts of the connection ``request`` came over; whether the
    client certificate presented there is not the ``expected`` one (a fingerprint; None: any
    will do), with the fingerprint of the one presented."""
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    exchange.tls = tls_facts(ssl_object)
    if ssl_object is None or expected is None:
        return False, None
    seen = peer_fingerprint(ssl_object)
    return seen != expected, seen


def _answer_tls(answer: aiohttp.ClientResponse) -> TlsFacts | None:
    """The TLS facts of the connection an answer came over, read while the answer is held (its
    connection may already be back in the pool, or closed, when the whole body came at once: its
    protocol still knows its transport)."""
    connection = answer.connection
    protocol = connection.protocol if connection is not None else getattr(answer, "_protocol", None)
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return None
    return tls_facts(transport.get_extra_info("ssl_object"))


async def _read_capped(content: aiohttp.StreamReader, cap: int) -> tuple[bytes, bool]:
    """The body, up to ``cap`` bytes, and whether it was longer (the rest is not read)."""
    chunks = []
    size = 0
    async for chunk in content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > cap:
            chunks.append(chunk[: len(chunk) - (size - cap)])
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


# -- recording -----------------------------------------------------------------------------------------


def record_from_device(
    transcript: Transcript,
    body: bytes,
    *,
    at: datetime,
    service: str,
    http: str,
    status: int | None,
    verifier: SignatureVerifier | None,
    fingerprint: str | None,
    signature_required: bool,
    headers: Mapping[str, str] | None = None,
    request: bool = True,
    empty_allowed: bool = False,
) -> Exchange:
    """Add a document the device sent to ``transcript``, with everything wrong with it
    (:func:`~.transcript.inspect_document` at ``at``; and, given ``headers``, the problems of its
    HTTP headers: those of a ``request``, or of an answer); returns the exchange.
    ``empty_allowed``: an empty body is recorded as an empty answer (no message, no problem)."""
    if empty_allowed and not body.strip():
        return transcript.add(
            Exchange(
                at=at, direction=Direction.FROM_DEVICE, service=service, http=http, status=status, body=body
            )
        )
    inspection = inspect_document(
        body, now=at, verifier=verifier, fingerprint=fingerprint, signature_required=signature_required
    )
    problems = list(inspection.problems)
    if headers is not None:
        problems.extend(check_http_headers(headers, body_length=len(body), request=request))
    return transcript.add(
        Exchange(
            at=at,
            direction=Direction.FROM_DEVICE,
            service=service,
            http=http,
            status=status,
            body=body,
            message=inspection.message,
            payload=inspection.payload,
            problems=problems,
        )
    )


def record_to_device(
    transcript: Transcript,
    body: bytes,
    *,
    at: datetime,
    service: str,
    http: str,
    status: int | None,
    payload: Payload | None = None,
) -> Exchange:
    """Add a document the harness sent (``payload``, else read leniently from ``body``) to
    ``transcript``; returns the exchange."""
    if payload is None:
        try:
            payload = xml.parse(body, validate=False)
        except OpenADRError:
            payload = None
    return transcript.add(
        Exchange(
            at=at,
            direction=Direction.TO_DEVICE,
            service=service,
            http=http,
            status=status,
            body=body,
            message=None if payload is None else message_name(payload),
            payload=payload,
        )
    )


# -- plain answers ---------------------------------------------------------------------------------------


def ok(request_id: str) -> EiResponse:
    """An eiResponse 200 echoing ``request_id``."""
    return EiResponse(response_code=ResponseCode.OK, request_id=request_id)


def error(code: ResponseCode, request_id: str, description: str) -> EiResponse:
    """An eiResponse with the error ``code`` echoing ``request_id``, saying why."""
    return EiResponse(response_code=code, request_id=request_id, response_description=description)


def oadr_response(
    code: ResponseCode, request_id: str, *, ven_id: str | None, description: str | None = None
) -> OadrResponse:
    """An oadrResponse with ``code`` echoing ``request_id``, for ``ven_id``."""
    return OadrResponse(
        ei_response=EiResponse(response_code=code, request_id=request_id, response_description=description),
        ven_id=ven_id,
    )


def request_id_of(message: Payload) -> str:
    """The requestID a message carries (its own, or its eiResponse's); empty if none."""
    request_id = getattr(message, "request_id", None)
    if isinstance(request_id, str):
        return request_id
    ei_response = getattr(message, "ei_response", None)
    return ei_response.request_id if isinstance(ei_response, EiResponse) else ""
