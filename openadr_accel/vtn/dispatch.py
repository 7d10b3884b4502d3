"""From request bytes to answer bytes: parse, authenticate, route, answer (errors included).

This is the VTN without HTTP: :meth:`Dispatcher.handle` takes the service a document was POSTed
to, the document and who sent it, and returns the document to answer with. It never raises:
every problem becomes the answer the request's type calls for, carrying the response code
(454 for invalid documents, 463 for unknown or unauthenticated senders, 452 for wrong IDs, ...).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from lxml import etree

from .. import xml
from ..errors import NotAuthorizedError, OpenADRError, SignatureError
from ..model import (
    EiResponse,
    OadrCanceledOpt,
    OadrCanceledPartyRegistration,
    OadrCanceledReport,
    OadrCancelOpt,
    OadrCancelPartyRegistration,
    OadrCancelReport,
    OadrCreatedEvent,
    OadrCreatedOpt,
    OadrCreatedReport,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrRequestEvent,
    OadrResponse,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    ResponseCode,
)
from ..security.binding import check_sender, payload_ven_id
from ..security.signature import SignatureVerifier
from ..services import SERVICE_OF
from .core import VtnContext, refuse
from .events import VtnEvents
from .handlers import Peer
from .opt import VtnOpts
from .policies import new_id
from .registration import VtnRegistrations
from .reports import VtnReports
from .store import MessageKind, QueuedMessage, VenRecord

__all__ = ["Dispatcher", "SERVICE_OF"]

logger = logging.getLogger("openadr_accel.vtn")

_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"

_Route = Callable[[Any, Peer], Awaitable[Payload]]

_REGISTRATION_REQUESTS = (OadrQueryRegistration, OadrCreatePartyRegistration)


class Dispatcher:
    """Answers VEN requests (see the module docstring)."""

    def __init__(
        self,
        context: VtnContext,
        *,
        registrations: VtnRegistrations,
        events: VtnEvents,
        opts: VtnOpts,
        reports: VtnReports,
        verifier: SignatureVerifier,
    ) -> None:
        self._context = context
        self._registrations = registrations
        self._events = events
        self._verifier = verifier
        self._routes: dict[type[Payload], _Route] = {
            OadrQueryRegistration: registrations.on_query,
            OadrCreatePartyRegistration: registrations.on_create,
            OadrCancelPartyRegistration: _without_peer(registrations.on_cancel),
            OadrCanceledPartyRegistration: _without_peer(registrations.on_canceled),
            OadrResponse: _without_peer(registrations.on_response),
            OadrRequestEvent: _without_peer(events.on_request_event),
            OadrCreatedEvent: _without_peer(events.on_created_event),
            OadrCreateOpt: _without_peer(opts.on_create_opt),
            OadrCancelOpt: _without_peer(opts.on_cancel_opt),
            OadrRegisterReport: _without_peer(reports.on_register_report),
            OadrRegisteredReport: _without_peer(reports.on_registered_report),
            OadrCreateReport: _without_peer(reports.on_create_report),
            OadrCreatedReport: _without_peer(reports.on_created_report),
            OadrUpdateReport: _without_peer(reports.on_update_report),
            OadrUpdatedReport: _without_peer(reports.on_updated_report),
            OadrCancelReport: _without_peer(reports.on_cancel_report),
            OadrCanceledReport: _without_peer(reports.on_canceled_report),
        }

    async def handle(self, service: str, data: bytes, peer: Peer) -> bytes:
        """The answer to ``data`` POSTed to ``service`` by ``peer`` (never raises)."""
        payload: Payload | None = None
        sign: bool | None = None  # decided once the sender is known
        try:
            root = xml.parse_tree(data, max_bytes=self._context.config.max_message_bytes)
            payload = xml.decode(root)
            ven, head = await self._sender(payload, peer)
            sign = await self._wants_signature(payload, ven, peer)
            await self._authenticate(root, payload, ven, peer)
            expected = SERVICE_OF.get(type(payload))
            if expected is not None and expected != service:
                raise refuse(
                    ResponseCode.INVALID_DATA,
                    f"{_name(payload)} belongs to the service {expected.value}, not {service}",
                )
            if isinstance(payload, OadrPoll):
                return await self._poll(payload, ven, head, sign)
            route = self._routes.get(type(payload))
            if route is None:
                raise refuse(ResponseCode.NOT_RECOGNIZED, f"a VTN does not take {_name(payload)} from a VEN")
            answer = await route(payload, peer)
        except OpenADRError as exc:
            logger.info("answering %s with %s: %s", _name(payload), exc.response_code, exc.message)
            answer = self._error_answer(payload, exc.response_code, exc.message)
        except Exception:
            logger.exception("the VTN failed on %s", _name(payload))
            answer = self._error_answer(payload, ResponseCode.INTERNAL_SERVER_ERROR.value, "internal error")
        if sign is None:  # refused before the sender was known (unreadable, or another VEN's venID)
            sign = await self._signs_for_peer(payload, peer)
        return self._encode(answer, sign)

    def too_large(self) -> bytes:
        """The answer to a document refused unread for its size (454)."""
        limit = self._context.config.max_message_bytes
        description = f"the document exceeds the size cap of {limit} bytes"
        return self._encode(
            self._error_answer(None, ResponseCode.INVALID_DATA.value, description), sign=False
        )

    def unreadable(self, description: str) -> bytes:
        """The answer to a request whose body could not be read (454)."""
        return self._encode(
            self._error_answer(None, ResponseCode.INVALID_DATA.value, description), sign=False
        )

    async def outbound(self, ven: VenRecord, message: QueuedMessage) -> bytes:
        """The document for a queued message, as it goes out now (signed if negotiated)."""
        if message.kind == MessageKind.DISTRIBUTE_EVENTS:
            data = xml.serialize(await self._events.distribution(ven))
        elif message.body is None:
            raise ValueError(f"queued message {message.id} has no body")
        else:
            data = message.body
        return self._sign(data) if self._signs_for(ven) else data

    # -- steps -----------------------------------------------------------------------------------

    async def _sender(self, payload: Payload, peer: Peer) -> tuple[VenRecord | None, QueuedMessage | None]:
        """The VEN the payload names, checked against the TLS certificate it came with; for a
        poll, also the head of its queue (read in the same query, still in the queue)."""
        ven_id = payload_ven_id(payload)
        if ven_id is None and isinstance(payload, OadrCancelPartyRegistration):
            # Its registrationID names the VEN: the same certificate and signature rules apply.
            owner = await self._context.store.find_ven_by_registration(payload.registration_id)
            if owner is not None:
                payload = replace(payload, ven_id=owner.ven_id)
                ven_id = owner.ven_id
        if ven_id is None:
            return None, None
        store = self._context.store
        head = None
        if isinstance(payload, OadrPoll):
            found = await store.get_ven_and_queue_head(ven_id)
            ven, head = found if found is not None else (None, None)
        else:
            ven = await store.get_ven(ven_id)
        if isinstance(payload, _REGISTRATION_REQUESTS):
            return ven, None  # registration checks certificates itself (a first registration binds one)
        if ven is not None and (ven.fingerprint is not None or peer.fingerprint is not None):
            check_sender(payload, ven.fingerprint, peer.fingerprint)
        return ven, head

    async def _authenticate(
        self, root: etree._Element, payload: Payload, ven: VenRecord | None, peer: Peer
    ) -> None:
        """Verify the XML signature when there is one, and require one when it was negotiated."""
        signed = root[0].tag == _DS_SIGNATURE  # the schema puts an oadrPayload's Signature first
        required = ven is not None and ven.xml_signature and not isinstance(payload, OadrQueryRegistration)
        if not signed:
            if required:
                raise SignatureError("this VEN negotiated XML signatures, but the message is not signed")
            return
        expected = peer.fingerprint or (ven.fingerprint if ven is not None else None)
        if expected is None:
            raise NotAuthorizedError("a signed message needs a client certificate (or a bound one) to verify")
        self._verifier.verify(root, fingerprint=expected)

    async def _poll(
        self, message: OadrPoll, ven: VenRecord | None, head: QueuedMessage | None, sign: bool
    ) -> bytes:
        """One queued message, or oadrResponse 200 when nothing waits (one message per poll).
        ``head`` is the queue's first message as read with the VEN, taken only now that the
        sender is authenticated."""
        if ven is None or not ven.registered:
            raise refuse(
                ResponseCode.NOT_REGISTERED_OR_AUTHORIZED,
                f"venID {message.ven_id!r} is not registered",
                element="venID",
            )
        store = self._context.store
        queued = head
        if head is not None and not await store.delete_message(head.id):
            queued = await store.dequeue(ven.ven_id)  # another poll took it meanwhile: the next one
        if queued is None:
            return self._sign(_nothing_queued(ven.ven_id)) if sign else _nothing_queued(ven.ven_id)
        return await self.outbound(ven, queued)

    # -- answers ---------------------------------------------------------------------------------

    async def _wants_signature(self, payload: Payload, ven: VenRecord | None, peer: Peer) -> bool:
        """Whether the answer is signed: for a registration, as it negotiates; else as the VEN
        the payload names negotiated, or, when it names none the VTN knows, as the VEN bound to
        the sender's certificate did (see :meth:`_signs_for_peer`)."""
        if isinstance(payload, OadrCreatePartyRegistration):
            return payload.xml_signature and self._context.signer is not None
        if ven is not None:
            return self._signs_for(ven)
        return await self._signs_for_peer(payload, peer)

    async def _signs_for_peer(self, payload: Payload | None, peer: Peer) -> bool:
        """Whether the TLS peer's certificate is bound to a registered VEN that negotiated XML
        signatures: that VEN takes signed answers only, error answers included (a message naming
        an unknown venID, or another VEN's). Registration requests keep their own rule."""
        if self._context.signer is None or peer.fingerprint is None:
            return False
        if isinstance(payload, _REGISTRATION_REQUESTS):
            return False
        try:
            owner = await self._context.store.find_ven_by_fingerprint(peer.fingerprint)
        except Exception:  # the answer goes out all the same, unsigned; the VEN will refuse it
            logger.exception("cannot look up the VEN of a certificate to sign an answer")
            return False
        return owner is not None and owner.registered and self._signs_for(owner)

    def _signs_for(self, ven: VenRecord) -> bool:
        return ven.xml_signature and self._context.signer is not None

    def _sign(self, data: bytes) -> bytes:
        signer = self._context.signer
        assert signer is not None
        return signer.sign(data)

    def _encode(self, answer: Payload | bytes, sign: bool) -> bytes:
        data = answer if isinstance(answer, bytes) else xml.serialize(answer)
        return self._sign(data) if sign else data

    def _error_answer(self, request: Payload | None, code: str, description: str) -> Payload:
        """The answer of the request's type carrying an error code."""
        ven_id = None if request is None else payload_ven_id(request)
        request_id = _request_id(request)
        try:
            response_code = ResponseCode(code)
        except ValueError:  # a handler's error with something that is no response code
            response_code = ResponseCode.INTERNAL_SERVER_ERROR
        response = EiResponse(
            response_code=response_code, request_id=request_id, response_description=description[:1000]
        )
        match request:
            case OadrQueryRegistration() | OadrCreatePartyRegistration():
                return self._registrations.created(request_id, None, response_code, description[:1000])
            case OadrCancelPartyRegistration():
                return OadrCanceledPartyRegistration(
                    ei_response=response, registration_id=request.registration_id, ven_id=ven_id
                )
            case OadrRequestEvent():
                return OadrDistributeEvent(
                    request_id=new_id(), vtn_id=self._context.config.vtn_id, ei_response=response
                )
            case OadrCreateOpt():
                return OadrCreatedOpt(ei_response=response, opt_id=request.opt_id)
            case OadrCancelOpt():
                return OadrCanceledOpt(ei_response=response, opt_id=request.opt_id)
            case OadrRegisterReport():
                return OadrRegisteredReport(ei_response=response, ven_id=ven_id)
            case OadrCreateReport():
                return OadrCreatedReport(ei_response=response, ven_id=ven_id)
            case OadrUpdateReport():
                return OadrUpdatedReport(ei_response=response, ven_id=ven_id)
            case OadrCancelReport():
                return OadrCanceledReport(ei_response=response, ven_id=ven_id)
            case _:
                return OadrResponse(ei_response=response, ven_id=ven_id)


def _without_peer(handler: Callable[[Any], Awaitable[Payload]]) -> _Route:
    async def route(payload: Any, peer: Peer) -> Payload:
        return await handler(payload)

    return route


def _request_id(request: Payload | None) -> str:
    if request is None:
        return ""
    request_id = getattr(request, "request_id", None)
    if isinstance(request_id, str):
        return request_id
    ei_response = getattr(request, "ei_response", None)
    return ei_response.request_id if isinstance(ei_response, EiResponse) else ""


@lru_cache(maxsize=4096)
def _nothing_queued(ven_id: str) -> bytes:
    """The answer to a poll when nothing waits (the same bytes every time for a VEN: cached)."""
    return xml.serialize(
        OadrResponse(ei_response=EiResponse(response_code=ResponseCode.OK, request_id=""), ven_id=ven_id)
    )


def _name(payload: Payload | None) -> str:
    return "an unreadable document" if payload is None else type(payload).__name__
