"""The harness VTN: a scriptable 2.0b VTN that a VEN under test talks to.

It serves ``<url>/OpenADR2/Simple/2.0b/<Service>`` and, unless a case says otherwise
(:attr:`HarnessVtn.answer_with`), answers like a plain, correct VTN: it registers the VEN (one
VEN at a time), takes its METADATA reports, hands out what a case queued on each oadrPoll (or
pushes it to the VEN's transportAddress), confirms opts, events and reports with 200.

Everything the VEN sends is recorded in the case's transcript and inspected (schema, signature,
conformance rules, HTTP headers): a problem fails the case. Cases send the VEN what they want
with :meth:`HarnessVtn.deliver` (any payload, valid or deliberately wrong) and wait for its
messages with :meth:`HarnessVtn.wait_for`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar

import aiohttp
from aiohttp import web

from .. import xml
from ..clock import Clock
from ..model import (
    OadrCanceledOpt,
    OadrCanceledPartyRegistration,
    OadrCancelOpt,
    OadrCancelPartyRegistration,
    OadrCancelReport,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrDistributeEvent,
    OadrEvent,
    OadrPoll,
    OadrProfile,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportRequest,
    OadrRequestEvent,
    OadrResponse,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    ProfileName,
    ResponseCode,
    ServiceName,
    TransportName,
)
from ..security.binding import payload_ven_id
from ..security.signature import SignatureVerifier, Signer
from ..services import PUSH_SERVICE_OF
from ..vtn.policies import new_id
from .case import CaseFailed
from .harness_http import (
    PATH,
    XML,
    client_certificate,
    error,
    oadr_response,
    ok,
    post,
    record_from_device,
    record_to_device,
    request_id_of,
    serve,
)
from .inbox import Inbox
from .transcript import Exchange, Transcript

__all__ = ["HarnessRegistration", "HarnessVtn", "Poll", "idle_poll_gaps"]

logger = logging.getLogger("openadr_accel.conformance")

P = TypeVar("P", bound=Payload)

Answerer = Callable[[Payload], Payload | None]
"""A case's own answer to a message of the VEN's (None: the harness's default answer)."""

_PROFILES = (OadrProfile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),)


@dataclass(frozen=True, slots=True, kw_only=True)
class HarnessRegistration:
    """The VEN's registration with the harness, as the VEN asked for it."""

    ven_id: str
    registration_id: str
    ven_name: str | None
    pull: bool
    transport_address: str | None
    xml_signature: bool
    report_only: bool


class HarnessVtn:
    """A scriptable VTN for one VEN under test.

    Args:
        clock: the run's clock.
        transcript: where exchanges are recorded (replace :attr:`transcript` between cases).
        vtn_id: the vtnID it announces.
        poll_frequency: the oadrRequestedOadrPollFreq it asks for.
        server_ssl: its TLS server context (None: plain HTTP).
        push_ssl: the TLS client context for pushing to an ``https`` transportAddress.
        signer: signs what it sends once the VEN negotiated XML signatures.
        verifier: verifies the VEN's signatures (with ``ven_fingerprint``).
        ven_fingerprint: the VEN certificate's fingerprint (its signatures must verify with it).
        timeout: the default wait, in seconds, for a message of the VEN's.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        transcript: Transcript,
        vtn_id: str = "TH_VTN",
        poll_frequency: timedelta = timedelta(seconds=1),
        server_ssl: ssl.SSLContext | None = None,
        push_ssl: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        verifier: SignatureVerifier | None = None,
        ven_fingerprint: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.clock = clock
        self.transcript = transcript
        self.vtn_id = vtn_id
        self.poll_frequency = poll_frequency
        self.signer = signer
        self.verifier = verifier
        self.ven_fingerprint = ven_fingerprint
        self.timeout = timeout
        self._server_ssl = server_ssl
        self._push_ssl: ssl.SSLContext | bool = push_ssl if push_ssl is not None else True
        self.inbox = Inbox()
        self.registration: HarnessRegistration | None = None
        self.registrations = 0
        """How many registrations the harness has accepted (a new registrationID each)."""
        self.offered_reports: tuple[OadrReport, ...] = ()
        """The reports the VEN offered in its last oadrRegisterReport."""
        self.events: tuple[OadrEvent, ...] = ()
        """The events the harness answers oadrRequestEvent with (the last distribution's)."""
        self.opts: dict[str, OadrCreateOpt] = {}
        """The opts the VEN created and has not cancelled, by optID."""
        self.requests_on_registered: tuple[OadrReportRequest, ...] = ()
        """Report requests to carry on the next oadrRegisteredReport (R1_3060), then cleared."""
        self.cancel_on_updated: OadrCancelReport | None = None
        """An oadrCancelReport to carry on the next oadrUpdatedReport (R1_3050), then cleared."""
        self.answer_with: dict[type[Payload], Answerer] = {}
        """A case's own answers, by the type of the VEN's message."""
        self.polls: list[Poll] = []
        """Every oadrPoll, in order."""
        self._queue: deque[Payload | _RawDocument] = deque()
        self._taken = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""
        """The base URL the harness serves (before ``/OpenADR2/Simple/2.0b/``), once started."""

    # -- running -----------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host``:``port`` (0: any free port); returns :attr:`url`."""
        self._runner, self.url = await serve(self._serve, host=host, port=port, ssl_context=self._server_ssl)
        return self.url

    async def close(self) -> None:
        """Stop serving."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def begin_case(self, transcript: Transcript, clock: Clock) -> None:
        """Start the next case of a run that shares this harness (an external VEN): a fresh
        transcript, inbox, queue and answers; the registration and offered reports stay."""
        self.transcript = transcript
        self.clock = clock
        self.inbox = Inbox()
        self._registered_at = 0
        self._queue.clear()
        self.answer_with = {}
        self.requests_on_registered = ()
        self.cancel_on_updated = None
        self.polls = []

    # -- what cases use ----------------------------------------------------------------------------

    @property
    def ven_id(self) -> str:
        """The registered VEN's venID.

        Raises:
            CaseFailed: the VEN is not registered.
        """
        if self.registration is None:
            raise CaseFailed("the VEN is not registered with the harness")
        return self.registration.ven_id

    def mark(self) -> int:
        """A position in what the VEN sent (see :meth:`wait_for`)."""
        return self.inbox.mark()

    async def wait_for(
        self,
        kind: type[P],
        *,
        since: int = 0,
        where: Callable[[P], bool] | None = None,
        timeout: float | None = None,
        what: str | None = None,
    ) -> P:
        """The first message of ``kind`` the VEN sent from ``since`` on (matching ``where``),
        waiting for it (default :attr:`timeout` seconds); fails the case if it does not come."""
        return await self.inbox.wait_for(
            kind, since=since, where=where, timeout=self.timeout if timeout is None else timeout, what=what
        )

    async def registered(self, *, timeout: float | None = None) -> HarnessRegistration:
        """Wait until the VEN is registered and has offered its reports (the bootstrap of
        N1_0020); in pull mode, until it has polled once after that too."""
        wait = self.timeout if timeout is None else timeout
        if self.registration is not None and self.registration == self._bootstrapped:
            return self.registration  # an external VEN, registered in an earlier case
        if self.registration is None:
            await self.wait_for(OadrCreatePartyRegistration, timeout=wait, what="a registration")
            await self._until(lambda: self.registration is not None, wait, "a successful registration")
        since = self._registered_at
        registration = self.registration
        assert registration is not None
        await self.wait_for(OadrRegisterReport, since=since, timeout=wait, what="its oadrRegisterReport")
        if registration.pull:
            await self.wait_for(OadrPoll, since=since, timeout=wait, what="an oadrPoll after registering")
        self._bootstrapped = registration
        return registration

    async def deliver(self, payload: Payload, *, wait: bool = True) -> Payload | None:
        """Send ``payload`` to the VEN: queued for its next oadrPoll (pull), or pushed to its
        transportAddress (push). Pull: waits (``wait``) until the VEN polled it; returns None.
        Push: returns the VEN's answer (also in the inbox)."""
        registration = self.registration
        if isinstance(payload, OadrDistributeEvent) and payload.events:
            self.events = payload.events
        if registration is None or registration.pull:
            self._queue.append(payload)
            if wait:
                await self._until(lambda: payload not in self._queue, self.timeout, "an oadrPoll to take it")
            return None
        return await self._push(payload, registration)

    async def deliver_document(self, body: bytes, service: ServiceName) -> Payload | None:
        """Send a ready document (deliberately odd, say) as :meth:`deliver` does."""
        registration = self.registration
        if registration is None or registration.pull:
            raw = _RawDocument(body)
            self._queue.append(raw)
            await self._until(lambda: raw not in self._queue, self.timeout, "an oadrPoll to take it")
            return None
        return await self._post(registration, service, body, signed_already=True)

    async def deliver_to(self, registration: HarnessRegistration, payload: Payload) -> Payload | None:
        """Push ``payload`` to the transportAddress of ``registration``, even one that has
        ended (N0_5080: what a VEN does with a payload after its registration ended); returns
        the VEN's answer (also in the inbox).

        Raises:
            CaseFailed: the registration is a pull one, or the VEN cannot be reached (the
                message says why).
        """
        if registration.pull:
            raise CaseFailed("a pull VEN cannot be pushed to")
        signed = self.signer is not None and registration.xml_signature  # as while it stood
        return await self._push(payload, registration, signed=signed)

    def queued(self) -> int:
        """How many messages wait for the VEN's polls."""
        return len(self._queue)

    # -- serving -----------------------------------------------------------------------------------

    _registered_at = 0
    _bootstrapped: HarnessRegistration | None = None

    async def _serve(self, request: web.Request) -> web.Response:
        service = request.path.rsplit("/", 1)[-1]
        body = await request.read()
        exchange = self._record_from_device(body, service, "request", None, headers=dict(request.headers))
        wrong, seen = client_certificate(exchange, request, self.ven_fingerprint)
        if wrong:
            exchange.problems.append(f"the TLS client certificate {seen} is not the VEN's")
        message = exchange.payload
        # The answer to a message that ends the registration (the VEN's cancellation, or its
        # confirmation of ours) is signed still, as the message was.
        signed = self._signs()
        answer: Payload | _RawDocument
        if message is None:
            answer = oadr_response(
                ResponseCode.INVALID_DATA, "", ven_id=None, description="the document cannot be read"
            )
        else:
            self.inbox.add(message)
            self._follow(message)
            answer = self._answer(message)
        data = answer.body if isinstance(answer, _RawDocument) else self._encode(answer, signed=signed)
        self._record_to_device(data, service, "response", 200)
        return web.Response(body=data, content_type=XML)

    def _answer(self, message: Payload) -> Payload | _RawDocument:
        custom = self.answer_with.get(type(message))
        if custom is not None:
            answer = custom(message)
            if answer is not None:
                return answer
        match message:
            case OadrQueryRegistration():
                return self._created(message.request_id, self.registration)
            case OadrCreatePartyRegistration():
                return self._register(message)
            case OadrCancelPartyRegistration():
                return self._cancel_registration(message)
            case OadrPoll():
                polled = self._next_for_poll(message.ven_id)
                self.polls.append(
                    Poll(asyncio.get_running_loop().time(), delivered=not isinstance(polled, OadrResponse))
                )
                return polled
            case OadrRegisterReport():
                self.offered_reports = message.reports
                requests, self.requests_on_registered = self.requests_on_registered, ()
                return OadrRegisteredReport(
                    ei_response=ok(message.request_id), report_requests=requests, ven_id=message.ven_id
                )
            case OadrRequestEvent():
                return OadrDistributeEvent(
                    request_id=new_id(),
                    vtn_id=self.vtn_id,
                    events=self.events,
                    ei_response=ok(message.request_id),
                )
            case OadrCreateOpt():
                self.opts[message.opt_id] = message
                return OadrCreatedOpt(ei_response=ok(message.request_id), opt_id=message.opt_id)
            case OadrCancelOpt():
                if self.opts.pop(message.opt_id, None) is None:
                    return OadrCanceledOpt(
                        ei_response=error(ResponseCode.INVALID_ID, message.request_id, "no such optID"),
                        opt_id=message.opt_id,
                    )
                return OadrCanceledOpt(ei_response=ok(message.request_id), opt_id=message.opt_id)
            case OadrUpdateReport():
                cancel, self.cancel_on_updated = self.cancel_on_updated, None
                return OadrUpdatedReport(
                    ei_response=ok(message.request_id), cancel_report=cancel, ven_id=message.ven_id
                )
            case _:  # oadrCreatedEvent, oadrCreatedReport, oadrCanceledReport, ...
                return oadr_response(ResponseCode.OK, request_id_of(message), ven_id=payload_ven_id(message))

    def _created(
        self, request_id: str, registration: HarnessRegistration | None
    ) -> OadrCreatedPartyRegistration:
        return OadrCreatedPartyRegistration(
            ei_response=ok(request_id),
            vtn_id=self.vtn_id,
            profiles=_PROFILES,
            registration_id=None if registration is None else registration.registration_id,
            ven_id=None if registration is None else registration.ven_id,
            requested_poll_freq=self.poll_frequency,
        )

    def _register(self, message: OadrCreatePartyRegistration) -> OadrCreatedPartyRegistration:
        current = self.registration
        if message.registration_id is not None and (
            current is None or message.registration_id != current.registration_id
        ):
            answer = self._created(message.request_id, current)
            return replace(
                answer,
                ei_response=error(
                    ResponseCode.INVALID_ID,
                    message.request_id,
                    f"unknown registrationID {message.registration_id}",
                ),
            )
        renewing = current is not None and message.registration_id == current.registration_id
        if renewing:
            assert current is not None
            registration_id = current.registration_id
        else:
            self.registrations += 1
            registration_id = f"TH-REG-{self.registrations}-{new_id()[:8]}"
        ven_id = message.ven_id or (current.ven_id if current is not None else f"TH-VEN-{new_id()[:8]}")
        self.registration = HarnessRegistration(
            ven_id=ven_id,
            registration_id=registration_id,
            ven_name=message.ven_name,
            pull=message.http_pull_model is not False,
            transport_address=message.transport_address,
            xml_signature=message.xml_signature,
            report_only=message.report_only,
        )
        self._registered_at = self.inbox.mark()
        return self._created(message.request_id, self.registration)

    def _cancel_registration(self, message: OadrCancelPartyRegistration) -> OadrCanceledPartyRegistration:
        current = self.registration
        if current is None or message.registration_id != current.registration_id:
            return OadrCanceledPartyRegistration(
                ei_response=error(
                    ResponseCode.INVALID_ID,
                    message.request_id,
                    f"unknown registrationID {message.registration_id}",
                ),
                registration_id=message.registration_id,
                ven_id=message.ven_id,
            )
        self.registration = None
        self._queue.clear()
        return OadrCanceledPartyRegistration(
            ei_response=ok(message.request_id),
            registration_id=message.registration_id,
            ven_id=message.ven_id,
        )

    def _follow(self, message: Payload) -> None:
        """What a message of the VEN's changes for the harness: a VEN confirming (200) the
        harness's oadrCancelPartyRegistration of its registration ends it (N1_0040)."""
        current = self.registration
        if (
            isinstance(message, OadrCanceledPartyRegistration)
            and current is not None
            and message.ei_response.response_code == ResponseCode.OK
            and message.registration_id == current.registration_id
        ):
            self.registration = None
            self._queue.clear()

    def _next_for_poll(self, ven_id: str) -> Payload | _RawDocument:
        if self._queue:
            return self._queue.popleft()
        return oadr_response(ResponseCode.OK, "", ven_id=ven_id)

    # -- pushing -----------------------------------------------------------------------------------

    async def _push(
        self, payload: Payload, registration: HarnessRegistration, *, signed: bool = False
    ) -> Payload | None:
        service = PUSH_SERVICE_OF.get(type(payload), ServiceName.EI_REGISTER_PARTY)
        return await self._post(
            registration, service, self._encode(payload, signed=signed), signed_already=True
        )

    async def _post(
        self, registration: HarnessRegistration, service: ServiceName, body: bytes, *, signed_already: bool
    ) -> Payload | None:
        address = registration.transport_address
        if not address:
            raise CaseFailed("the VEN registered for push without a transportAddress")
        url = f"{address.rstrip('/')}{PATH}{service.value}"
        self._record_to_device(body, service.value, "request", None)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        answer = await post(
            self._session, url, body, ssl_context=self._push_ssl, cap=None, failing="push to the VEN"
        )
        status = answer.status
        exchange = self._record_from_device(
            answer.body,
            service.value,
            "response",
            status,
            headers=answer.headers if status == 200 else None,
            request=False,
        )
        exchange.tls = answer.tls
        if status != 200:
            exchange.problems.append(f"the VEN answered the push with HTTP {status}, not 200")
        if exchange.payload is not None:
            self.inbox.add(exchange.payload)
            self._follow(exchange.payload)
        return exchange.payload

    # -- encoding and recording --------------------------------------------------------------------

    def _signs(self) -> bool:
        return self.signer is not None and self.registration is not None and self.registration.xml_signature

    def _encode(self, payload: Payload | _RawDocument, *, signed: bool = False) -> bytes:
        """The document for ``payload``, signed when signatures are in force (or ``signed``)."""
        if isinstance(payload, _RawDocument):
            return payload.body
        data = xml.serialize(payload)
        if signed or self._signs():
            assert self.signer is not None
            data = self.signer.sign(data)
        return data

    def _record_from_device(
        self,
        body: bytes,
        service: str,
        http: str,
        status: int | None,
        *,
        headers: dict[str, str] | None = None,
        request: bool = True,
    ) -> Exchange:
        return record_from_device(
            self.transcript,
            body,
            at=self.clock(),
            service=service,
            http=http,
            status=status,
            verifier=self.verifier,
            fingerprint=self.ven_fingerprint,
            signature_required=self._signs(),
            headers=headers,
            request=request,
        )

    def _record_to_device(self, body: bytes, service: str, http: str, status: int | None) -> None:
        record_to_device(self.transcript, body, at=self.clock(), service=service, http=http, status=status)

    async def _until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() >= deadline:
                raise CaseFailed(f"the device did not send {what} within {timeout:.0f} s")
            await asyncio.sleep(0.01)


@dataclass(frozen=True, slots=True)
class Poll:
    """One oadrPoll of the VEN.

    Attributes:
        at: when it came (the event loop's monotonic time, seconds).
        delivered: whether it took a queued message (else it was answered oadrResponse).
    """

    at: float
    delivered: bool


def idle_poll_gaps(polls: list[Poll]) -> list[float]:
    """The seconds between each poll answered with nothing and the next poll (the VEN's own
    rhythm; a VEN may poll again at once after it received a message)."""
    return [later.at - earlier.at for earlier, later in itertools.pairwise(polls) if not earlier.delivered]


@dataclass(frozen=True, slots=True, eq=False)
class _RawDocument:
    """A ready document queued for a poll (compared by identity)."""

    body: bytes
