"""The VTN's HTTP face: an aiohttp application with one POST route per 2.0b service."""

from __future__ import annotations

import functools
import ssl

from aiohttp import web

from ..model import ServiceName
from ..security.tls import peer_fingerprint
from .config import VtnConfig
from .dispatch import Dispatcher
from .handlers import Peer

__all__ = ["build_app"]

_XML = "application/xml"


def build_app(config: VtnConfig, dispatcher: Dispatcher) -> web.Application:
    """An aiohttp application serving ``<prefix>/OpenADR2/Simple/2.0b/<Service>``.

    Every POST is answered HTTP 200 with an OpenADR document, errors included (their response
    code is in the document). Only an unknown path (404) or method (405) gets an HTTP error.
    A body larger than ``max_message_bytes`` is answered 454 without being read in full.
    """
    limit = config.max_message_bytes

    async def serve(service: str, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > limit:
            return web.Response(body=dispatcher.too_large(), content_type=_XML)
        try:
            data = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(body=dispatcher.too_large(), content_type=_XML)
        except web.RequestPayloadError as exc:  # a broken content (or transfer) encoding
            response = web.Response(
                body=dispatcher.unreadable(f"the body cannot be read: {exc}"), content_type=_XML
            )
            response.force_close()  # the rest of the body cannot be read either: no keep-alive
            return response
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        # No address: request.remote costs a lookup per request and nothing reads it here.
        peer = Peer(
            fingerprint=peer_fingerprint(ssl_object) if isinstance(ssl_object, ssl.SSLObject) else None
        )
        answer = await dispatcher.handle(service, data, peer)
        return web.Response(body=answer, content_type=_XML)

    app = web.Application(client_max_size=limit)
    for service in ServiceName:  # one plain route each: cheaper to match than a pattern
        app.router.add_post(config.path(service.value), functools.partial(serve, service.value))
    return app
