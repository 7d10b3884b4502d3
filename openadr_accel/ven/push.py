"""HTTP push: the VEN's own endpoint, where its VTN POSTs what it would otherwise queue for polls.

``POST <prefix>/OpenADR2/Simple/2.0b/<Service>`` with one 2.0b document; the answer (an
oadrCreatedEvent, oadrCreatedReport, ..., or an oadrResponse when there is nothing more to say)
is the HTTP response body. Documents are size-capped, schema-validated and, once signatures were
negotiated, verified; a document that cannot be read is answered with an oadrResponse carrying
the error's code (HTTP 200 all the same, as 2.0b wants). Over TLS with a known VTN fingerprint,
a client certificate other than the VTN's is refused with 463.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..errors import NotAuthorizedError, RemoteProtocolError
from ..model import EiResponse, OadrResponse, Payload, ResponseCode
from ..security.tls import peer_fingerprint
from .session import NotRegisteredError, Reply, VenSession

__all__ = ["build_push_app"]

logger = logging.getLogger("openadr_accel.ven")

_SERVICES = ("EiRegisterParty", "EiEvent", "EiOpt", "EiReport")


def build_push_app(
    session: VenSession,
    *,
    encode: Callable[[Payload], bytes],
    vtn_fingerprint: str | None,
    prefix: str = "",
    after_reply: Callable[[Reply], Awaitable[None]],
) -> web.Application:
    """The aiohttp application of a push VEN.

    Args:
        session: answers the VTN's messages.
        encode: writes (and signs, if the VEN signs) an answer.
        vtn_fingerprint: the VTN's certificate fingerprint, checked against TLS clients.
        prefix: the path before ``/OpenADR2/...`` (the path of the VEN's transport address).
        after_reply: runs a reply's follow-up once the answer is written.
    """
    reader = session.client.reader

    async def serve(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport else None
        fingerprint = peer_fingerprint(ssl_object)
        try:
            # over TLS, a client without a certificate is not the VTN either
            if vtn_fingerprint is not None and ssl_object is not None and fingerprint != vtn_fingerprint:
                raise NotAuthorizedError(f"the client certificate {fingerprint or '(none)'} is not the VTN's")
            message = reader.read(await request.read())  # aiohttp answers 413 past client_max_size
            reply = await session.answer(message)
        except RemoteProtocolError as exc:
            return _respond(encode(await session.refused(exc)))
        except NotRegisteredError as exc:
            return _respond(encode(_response(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, str(exc), session)))
        answer = reply.answer or _response(ResponseCode.OK, None, session)
        response = _respond(encode(answer))
        await response.prepare(request)
        await response.write_eof()
        await after_reply(reply)
        return response

    app = web.Application(client_max_size=reader.max_bytes + 1)
    for service in _SERVICES:
        app.router.add_post(f"{prefix}/OpenADR2/Simple/2.0b/{service}", serve)
    return app


def _respond(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/xml")


def _response(code: ResponseCode, description: str | None, session: VenSession) -> OadrResponse:
    registration = session.registration
    return OadrResponse(
        ei_response=EiResponse(response_code=code, request_id="", response_description=description),
        ven_id=None if registration is None else registration.ven_id,
    )
