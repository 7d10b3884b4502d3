"""The harness VEN: a scriptable 2.0b VEN that talks to a VTN under test.

It is the counterpart of :class:`~openadr_accel.conformance.harness_vtn.HarnessVtn`. It POSTs to
``<url>/OpenADR2/Simple/2.0b/<Service>`` and, in push mode, serves its own endpoint (its
transportAddress) where the VTN POSTs what it would otherwise queue for polls. Unless a case
says otherwise (:attr:`HarnessVen.answer_with`), it answers what the VTN initiates like a plain,
correct VEN::

    from the VTN                   the harness's answer
    -----------------------------  ------------------------------------------------------------
    oadrDistributeEvent            oadrCreatedEvent: one eventResponse (200, optType from
                                   ``decide``) per event that wants a response (always) and is
                                   new or has a new modificationNumber; nothing when none does
    oadrCreateReport               oadrCreatedReport (pendingReports: the outstanding requests);
                                   a METADATA request (rule 306): its oadrRegisterReport again;
                                   an unknown reportSpecifierID or rID: 452, nothing accepted
    oadrCancelReport               oadrCanceledReport (452 for unknown IDs); with reportToFollow,
                                   one final oadrUpdateReport per cancelled request
    oadrRegisterReport             oadrRegisteredReport (the VTN's reports are kept)
    oadrRequestReregistration      oadrResponse 200, then it registers again (renewing)
    oadrCancelPartyRegistration    oadrCanceledPartyRegistration 200 (452 for another
                                   registrationID), and the registration is forgotten
    oadrUpdateReport               oadrUpdatedReport 200
    anything else                  oadrResponse 200

In pull mode the answer is a new POST to the VTN (after the poll that brought the message); in
push mode it is the HTTP response body, and what follows it (a re-registration, an
oadrRegisterReport) runs once the response is written.

Everything the VTN sends (its answers, what it pushes, what polls bring) is recorded in the
case's transcript and inspected (schema, signature once negotiated, conformance rules, HTTP
headers of pushes, the HTTP status of answers, and the events compared with the versions seen
before: a change without a new modificationNumber, a lower modificationNumber, another vtnID);
each problem lands in the exchange's ``problems`` and fails the case. Over HTTPS, each
exchange from the VTN also records the TLS facts of its connection (``Exchange.tls``: version,
cipher suite, the certificate the VTN presented: its server certificate on its answers, its
client certificate on its pushes), for G1_4010. The harness does not use our VEN's session
logic: it has to find bugs in our VTN, not share them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import TypeVar

import aiohttp
from aiohttp import web

from .. import rules, xml
from ..clock import Clock
from ..model import (
    METADATA_REPORT_SPECIFIER_ID,
    UNSOLICITED_REPORT_REQUEST_ID,
    EiEvent,
    EiResponse,
    EnergyReal,
    EventResponse,
    OadrCanceledPartyRegistration,
    OadrCanceledReport,
    OadrCancelPartyRegistration,
    OadrCancelReport,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreatedReport,
    OadrCreatePartyRegistration,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrEvent,
    OadrPayloadResourceStatus,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportDescription,
    OadrReportPayload,
    OadrReportRequest,
    OadrRequestReregistration,
    OadrResponse,
    OadrSamplingRate,
    OadrUpdatedReport,
    OadrUpdateReport,
    OptType,
    Payload,
    PayloadBase,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    ProfileName,
    ReadingType,
    ReportInterval,
    ReportName,
    ReportType,
    ResponseCode,
    ResponseRequired,
    ServiceName,
    TransportName,
)
from ..security.replay import ReplayGuard
from ..security.signature import SignatureVerifier, Signer
from ..services import SERVICE_OF
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
from .transcript import Exchange, Transcript, message_name

__all__ = [
    "DEFAULT_VALUES",
    "ENERGY_RID",
    "HISTORY_USAGE_ID",
    "POWER_RID",
    "STATUS_RID",
    "TELEMETRY_STATUS_ID",
    "TELEMETRY_USAGE_ID",
    "HarnessVen",
    "HarnessVenRegistration",
    "ReportValue",
    "default_reports",
]

logger = logging.getLogger("openadr_accel.conformance")

P = TypeVar("P", bound=Payload)

Answerer = Callable[[Payload], Payload | None]
"""A case's own answer to a message of the VTN's (None: the harness's default answer)."""

FollowUp = Callable[[], Awaitable[object]]
"""What the harness does once an answer was delivered (register again, offer its reports)."""

ReportValue = Decimal | int | float | OadrPayloadResourceStatus
"""A data point's value in a report update: a number (``ei:payloadFloat``) or a resource status."""

_METADATA_PREFIX = "METADATA_"
_MIN_POLL_GAP = 0.2
_MAX_POLL_GAP = 1.0
_MAX_DRAIN = 100
"""Polls in a row that bring a message before the harness gives up draining the VTN's queue."""

TELEMETRY_USAGE_ID = "TH_TELEMETRY_USAGE"
"""reportSpecifierID of the harness's TELEMETRY_USAGE report (rIDs ``power`` and ``energy``)."""
TELEMETRY_STATUS_ID = "TH_TELEMETRY_STATUS"
"""reportSpecifierID of the harness's TELEMETRY_STATUS report (rID ``status``)."""
HISTORY_USAGE_ID = "TH_HISTORY_USAGE"
"""reportSpecifierID of the harness's HISTORY_USAGE report (rID ``energy``)."""
POWER_RID = "power"
"""rID of real power (W, ``powerReal``) in TELEMETRY_USAGE."""
ENERGY_RID = "energy"
"""rID of real energy (Wh, ``energyReal``) in TELEMETRY_USAGE and HISTORY_USAGE."""
STATUS_RID = "status"
"""rID of the resource status (``x-resourceStatus``) in TELEMETRY_STATUS."""

DEFAULT_VALUES: Mapping[str, ReportValue] = {
    POWER_RID: Decimal(1500),
    ENERGY_RID: Decimal(250),
    STATUS_RID: OadrPayloadResourceStatus(online=True, manual_override=False),
}
"""The values the harness reports unless told others (see :meth:`HarnessVen.build_update`)."""

_POWER = PowerReal(attributes=PowerAttributes(hertz=Decimal(60), voltage=Decimal(240), ac=True))
_SAMPLING = OadrSamplingRate(min_period=timedelta(seconds=1), max_period=timedelta(hours=1), on_change=False)


def default_reports(created: datetime) -> tuple[OadrReport, ...]:
    """The harness's METADATA reports: TELEMETRY_USAGE (``power`` in powerReal, ``energy`` in
    energyReal), TELEMETRY_STATUS (``status``) and HISTORY_USAGE (``energy``, a day back)."""

    def usage(r_id: str, item: PowerReal | EnergyReal) -> OadrReportDescription:
        return OadrReportDescription(
            r_id=r_id,
            report_type=ReportType.USAGE,
            reading_type=ReadingType.DIRECT_READ,
            item_base=item,
            sampling_rate=_SAMPLING,
        )

    def metadata(
        specifier_id: str,
        name: ReportName,
        descriptions: tuple[OadrReportDescription, ...],
        duration: timedelta | None = None,
    ) -> OadrReport:
        return OadrReport(
            report_request_id=UNSOLICITED_REPORT_REQUEST_ID,
            report_specifier_id=specifier_id,
            created_date_time=created,
            report_name=name,
            descriptions=descriptions,
            duration=duration,
        )

    return (
        metadata(
            TELEMETRY_USAGE_ID,
            ReportName.METADATA_TELEMETRY_USAGE,
            (usage(POWER_RID, _POWER), usage(ENERGY_RID, EnergyReal())),
        ),
        metadata(
            TELEMETRY_STATUS_ID,
            ReportName.METADATA_TELEMETRY_STATUS,
            (
                OadrReportDescription(
                    r_id=STATUS_RID,
                    report_type=ReportType.RESOURCE_STATUS,
                    reading_type=ReadingType.NOT_APPLICABLE,
                    sampling_rate=_SAMPLING,
                ),
            ),
        ),
        metadata(
            HISTORY_USAGE_ID,
            ReportName.METADATA_HISTORY_USAGE,
            (usage(ENERGY_RID, EnergyReal()),),
            duration=timedelta(days=1),
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class HarnessVenRegistration:
    """The harness's registration with the VTN, as the VTN granted it.

    Attributes:
        poll_frequency: the VTN's oadrRequestedOadrPollFreq (None: it gave none).
        xml_signature: whether XML signatures were negotiated.
        pull: whether the harness polls (else the VTN pushes to its transportAddress).
    """

    ven_id: str
    registration_id: str
    vtn_id: str
    poll_frequency: timedelta | None
    xml_signature: bool
    pull: bool


def new_id() -> str:
    """A fresh requestID."""
    return uuid.uuid4().hex


class HarnessVen:
    """A scriptable 2.0b VEN that talks to a VTN under test (see the module docstring).

    Args:
        url: the VTN's base URL, the part before ``/OpenADR2/Simple/2.0b``.
        clock: the run's clock.
        transcript: where exchanges are recorded (replace :attr:`transcript` between cases).
        pull: poll (True) or be pushed to (False: :meth:`start` serves the harness's endpoint).
        ven_name: the oadrVenName it registers with.
        client_ssl: the TLS client context for an ``https`` VTN (its certificate is the VEN's).
        server_ssl: the TLS server context of its push endpoint (None: plain HTTP).
        signer: signs what it sends once XML signatures were negotiated; with one, the harness
            asks for signatures when it registers (unless told otherwise). It is re-made on
            ``clock`` (same certificate and key), so that its ReplayProtect timestamps follow
            the run's clock, which a VTN on that clock checks them against.
        verifier: verifies the VTN's signatures (default, given ``vtn_fingerprint``: a verifier
            with its own replay guard on ``clock``).
        vtn_fingerprint: the fingerprint of the VTN's certificate: its signatures must verify
            with it, and its TLS client certificate (when it pushes over TLS) must be it.
        timeout: the default wait, in seconds, for a message of the VTN's (and the limit of one
            HTTP request).
        reports: the METADATA reports it offers (default: :func:`default_reports`).
    """

    def __init__(
        self,
        *,
        url: str,
        clock: Clock,
        transcript: Transcript,
        pull: bool,
        ven_name: str = "TH_VEN",
        client_ssl: ssl.SSLContext | None = None,
        server_ssl: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        verifier: SignatureVerifier | None = None,
        vtn_fingerprint: str | None = None,
        timeout: float = 30.0,
        reports: Sequence[OadrReport] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        """The VTN's base URL (before ``/OpenADR2/Simple/2.0b/``)."""
        self.clock = clock
        self.transcript = transcript
        self.pull = pull
        self.ven_name = ven_name
        self.signer = None if signer is None else Signer(signer.certificate, signer.key, clock=clock)
        """Signs the harness's messages once XML signatures are negotiated (on the run's clock)."""
        if verifier is None and vtn_fingerprint is not None:
            verifier = SignatureVerifier(ReplayGuard(clock=clock), clock=clock)
        self.verifier = verifier
        self.vtn_fingerprint = vtn_fingerprint
        self.timeout = timeout
        self.reports: tuple[OadrReport, ...] = default_reports(clock()) if reports is None else tuple(reports)
        """The METADATA reports the harness offers in its oadrRegisterReport."""
        self.values: dict[str, ReportValue] = dict(DEFAULT_VALUES)
        """The values :meth:`build_update` reports for each rID unless told others."""
        self.inbox = Inbox()
        """Every message the VTN sent the harness: its answers, and what it pushed or polls brought."""
        self.registration: HarnessVenRegistration | None = None
        """The harness's registration with the VTN (None: not registered)."""
        self.answer_with: dict[type[Payload], Answerer] = {}
        """A case's own answers to what the VTN initiates, by the type of the VTN's message."""
        self.decide: Callable[[OadrEvent], OptType] = lambda event: OptType.OPT_IN
        """The optType of the default oadrCreatedEvent answer, per event."""
        self.report_requests: dict[str, OadrReportRequest] = {}
        """Every report request the harness accepted from the VTN (this registration), by ID."""
        self.pending_reports: list[str] = []
        """The reportRequestIDs of the requests still outstanding, oldest first."""
        self.vtn_reports: tuple[OadrReport, ...] = ()
        """The METADATA reports the VTN offered in its last oadrRegisterReport."""
        self.events: dict[str, EiEvent] = {}
        """The latest version of each event the VTN sent, by eventID."""
        self.polls: list[float] = []
        """When (loop time) each oadrPoll was sent."""
        self.transport_address: str | None = None
        """Push mode: the harness's endpoint (set by :meth:`start`)."""
        self._client_ssl: ssl.SSLContext | bool = client_ssl if client_ssl is not None else True
        self._server_ssl = server_ssl
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._answered: dict[str, int] = {}
        self._signed = False
        self._registering_signed = False
        self._registered_at = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures: list[BaseException] = []

    # -- running -----------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Open the HTTP session; in push mode also serve the harness's endpoint on
        ``host``:``port`` (0: any free port) and set :attr:`transport_address`."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        if self.pull or self._runner is not None:
            return
        self._runner, self.transport_address = await serve(
            self._serve, host=host, port=port, ssl_context=self._server_ssl
        )

    async def close(self) -> None:
        """Stop what follows answers, the endpoint and the HTTP session."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> HarnessVen:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- what cases use ----------------------------------------------------------------------------

    @property
    def ven_id(self) -> str:
        """The harness's venID.

        Raises:
            CaseFailed: the harness is not registered.
        """
        return self._require_registration().ven_id

    def mark(self) -> int:
        """A position in what the VTN sent (see :meth:`wait_for`)."""
        return self.inbox.mark()

    async def send(self, payload: Payload) -> Payload:
        """POST ``payload`` to the VTN service it belongs to (oadrResponse: EiRegisterParty),
        signed once signatures were negotiated; returns the VTN's answer (also in the inbox).

        Raises:
            CaseFailed: the VTN cannot be reached, answered with an HTTP status other than 200,
                or with a document that cannot be read.
        """
        self._raise_background()
        service = SERVICE_OF.get(type(payload), ServiceName.EI_REGISTER_PARTY)
        status, exchange = await self._post(
            service,
            self._encode(payload),
            payload,
            signature_required=self._signed and not isinstance(payload, OadrQueryRegistration),
        )
        name = message_name(payload)
        if status != 200:
            raise CaseFailed(f"the VTN answered {name} with HTTP {status}, not 200")
        if exchange.payload is None:
            raise CaseFailed(f"the VTN's answer to {name} cannot be read: {'; '.join(exchange.problems)}")
        return exchange.payload

    async def acknowledge(self, response: OadrResponse) -> Payload | None:
        """POST an oadrResponse (the answer to an oadrRequestReregistration, say): it ends its
        exchange, so the VTN may answer with an empty HTTP 200 (returns None) or with a document
        (returned, as :meth:`send` does).

        Raises:
            CaseFailed: as :meth:`send`.
        """
        self._raise_background()
        service = SERVICE_OF.get(type(response), ServiceName.EI_REGISTER_PARTY)
        status, exchange = await self._post(
            service, self._encode(response), response, signature_required=self._signed, empty_allowed=True
        )
        if status != 200:
            raise CaseFailed(f"the VTN answered oadrResponse with HTTP {status}, not 200")
        if not exchange.body.strip():
            return None
        if exchange.payload is None:
            problems = "; ".join(exchange.problems)
            raise CaseFailed(f"the VTN's answer to oadrResponse cannot be read: {problems}")
        return exchange.payload

    async def send_document(self, body: bytes, service: ServiceName) -> Payload | None:
        """POST a ready document (deliberately invalid, say) to ``service`` as it is; returns
        the VTN's answer (None when it cannot be read; an HTTP status other than 200 is
        recorded as a problem, not raised)."""
        self._raise_background()
        _, exchange = await self._post(service, body, None, signature_required=self._signed)
        return exchange.payload

    async def query(self) -> OadrCreatedPartyRegistration:
        """oadrQueryRegistration; the VTN's oadrCreatedPartyRegistration, whatever its code.

        Raises:
            CaseFailed: the VTN answered with another message.
        """
        return _expect(
            OadrCreatedPartyRegistration,
            await self.send(OadrQueryRegistration(request_id=new_id())),
            "oadrQueryRegistration",
        )

    async def register(
        self,
        *,
        ven_id: str | None = None,
        registration_id: str | None = None,
        register_reports: bool = True,
        xml_signature: bool | None = None,
    ) -> HarnessVenRegistration:
        """Register: oadrQueryRegistration, oadrCreatePartyRegistration (profile 2.0b,
        simpleHttp, pull or push with the harness's transportAddress), then (``register_reports``)
        oadrRegisterReport with its METADATA reports; report requests riding on the
        oadrRegisteredReport are answered with oadrCreatedReport.

        Args:
            ven_id: a venID to ask for (a pre-allocated one, N1_0025).
            registration_id: renew this registration (N1_0065); None registers afresh.
            xml_signature: ask for XML signatures (default: whether the harness has a signer).

        Raises:
            CaseFailed: the VTN refused (with its code and description), or answered wrongly.
        """
        signatures = self.signer is not None if xml_signature is None else xml_signature
        if signatures and self.signer is None:
            raise ValueError("the harness VEN cannot ask for XML signatures without a signer")
        if not self.pull and self.transport_address is None:
            raise RuntimeError("start() the harness first: a push VEN registers its endpoint's address")
        queried = await self.query()
        _checkok(queried.ei_response, "the VTN refused the oadrQueryRegistration")
        self._registered_at = self.inbox.mark()
        request = OadrCreatePartyRegistration(
            request_id=new_id(),
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            report_only=False,
            xml_signature=signatures,
            registration_id=registration_id,
            ven_id=ven_id,
            transport_address=None if self.pull else self.transport_address,
            ven_name=self.ven_name,
            http_pull_model=self.pull,
        )
        self._registering_signed = signatures
        try:
            created = _expect(OadrCreatedPartyRegistration, await self.send(request), "the registration")
        finally:
            self._registering_signed = False
        _checkok(created.ei_response, "the VTN refused the registration")
        if not created.ven_id or not created.registration_id:
            raise CaseFailed(
                "the VTN accepted the registration without a venID or registrationID "
                f"(venID {created.ven_id!r}, registrationID {created.registration_id!r})"
            )
        previous = self.registration
        if previous is None or previous.registration_id != created.registration_id:
            self._forget_reports()
            self._answered.clear()
        self.registration = HarnessVenRegistration(
            ven_id=created.ven_id,
            registration_id=created.registration_id,
            vtn_id=created.vtn_id,
            poll_frequency=created.requested_poll_freq,
            xml_signature=signatures,
            pull=self.pull,
        )
        self._signed = signatures
        if register_reports:
            await self.register_reports()
        return self.registration

    async def registered(
        self, *, timeout: float | None = None, expect_register_report: bool = False
    ) -> HarnessVenRegistration:
        """The bootstrap (N1_0020): register if not registered yet, then (``expect_register_report``)
        wait for the VTN's oadrRegisterReport; in pull mode, poll until the VTN's queue is empty
        (answering what it brings, the VTN's oadrRegisterReport among it), in push let what the VTN
        pushes settle. Only N1_0020 insists on the VTN's oadrRegisterReport: the other cases check
        what they are about, not the bootstrap again."""
        wait = self.timeout if timeout is None else timeout
        if self.registration is None:
            await self.register()
        since = self._registered_at
        if expect_register_report:
            await self.wait_for(
                OadrRegisterReport,
                since=since,
                timeout=wait,
                what="its oadrRegisterReport (the VTN's METADATA reports) after the registration",
            )
        if self.pull:
            await self.drain()
        else:
            await self.settle(timeout=wait)
        return self._require_registration()

    async def poll(self) -> Payload:
        """One oadrPoll; what it brings (other than an oadrResponse) gets its answer (the
        case's, else the default); returns what came."""
        registration = self._require_registration()
        self.polls.append(asyncio.get_running_loop().time())
        got = await self.send(OadrPoll(ven_id=registration.ven_id))
        if not isinstance(got, OadrResponse):
            await self.answer(got)
        return got

    async def drain(self) -> list[Payload]:
        """Poll until the VTN answers with an oadrResponse (nothing queued); the messages the
        polls brought, each answered.

        Raises:
            CaseFailed: the queue did not empty within many polls.
        """
        found: list[Payload] = []
        for _ in range(_MAX_DRAIN):
            got = await self.poll()
            if isinstance(got, OadrResponse):
                return found
            found.append(got)
        raise CaseFailed(f"the VTN's queue did not empty in {_MAX_DRAIN} polls in a row")

    async def answer(self, message: Payload) -> Payload | None:
        """Give a message of the VTN's its answer (the case's, else the default) by POSTing it
        to the VTN, then do what follows it; returns the answer sent (None: no answer needed).

        Polls do this by themselves; call it for messages that came otherwise (the
        oadrDistributeEvent answering an oadrRequestEvent, say)."""
        reply, follow_ups = self._reply(message)
        if isinstance(reply, OadrResponse):
            await self.acknowledge(reply)
        elif reply is not None:
            await self.send(reply)
        for follow_up in follow_ups:
            await follow_up()
        return reply

    async def wait_for(
        self,
        kind: type[P],
        *,
        since: int = 0,
        where: Callable[[P], bool] | None = None,
        timeout: float | None = None,
        what: str | None = None,
    ) -> P:
        """The first message of ``kind`` the VTN sent from ``since`` on (matching ``where``).

        Pull: polls (each polled message gets its answer) until it comes, one round of polls
        after another, the rounds at least max(0.2 s, min(the VTN's poll frequency, 1 s))
        apart. Push: waits for the VTN to push it. Either way, up to ``timeout`` seconds
        (default :attr:`timeout`).

        Raises:
            CaseFailed: it did not come in time (``what`` says what was expected).
        """
        wait = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        expected = what or f"an {message_name(kind)}"
        while True:
            self._raise_background()
            found = _first(self.inbox, kind, since, where)
            if found is not None:
                return found
            if loop.time() >= deadline:
                raise CaseFailed(f"the VTN did not send {expected} within {wait:g} s")
            if self.pull:
                started = loop.time()
                for _ in range(_MAX_DRAIN):  # one round: poll until found or the queue is empty
                    got = await self.poll()
                    if isinstance(got, OadrResponse) or _first(self.inbox, kind, since, where) is not None:
                        break
                if _first(self.inbox, kind, since, where) is None:
                    pause = min(self._poll_gap() - (loop.time() - started), deadline - loop.time())
                    await asyncio.sleep(max(0.0, pause))
            else:
                with contextlib.suppress(CaseFailed):
                    await self.inbox.wait_for(
                        kind, since=since, where=where, timeout=max(0.0, min(0.1, deadline - loop.time()))
                    )

    async def cancel_registration(self) -> OadrCanceledPartyRegistration:
        """oadrCancelPartyRegistration (N1_0030); the registration is forgotten when the VTN
        confirms with 200. Returns the VTN's answer, whatever its code."""
        registration = self._require_registration()
        answer = _expect(
            OadrCanceledPartyRegistration,
            await self.send(
                OadrCancelPartyRegistration(
                    request_id=new_id(),
                    registration_id=registration.registration_id,
                    ven_id=registration.ven_id,
                )
            ),
            "oadrCancelPartyRegistration",
        )
        if answer.ei_response.response_code == ResponseCode.OK:
            self._forget_registration()
        return answer

    async def register_reports(self) -> OadrRegisteredReport:
        """oadrRegisterReport with the harness's METADATA reports (reportRequestID "0"); report
        requests riding on the oadrRegisteredReport (R1_3060) are answered with
        oadrCreatedReport.

        Raises:
            CaseFailed: the VTN refused the reports or answered with another message.
        """
        now = self.clock()
        reports = tuple(
            replace(report, report_request_id=UNSOLICITED_REPORT_REQUEST_ID, created_date_time=now)
            for report in self.reports
        )
        answer = _expect(
            OadrRegisteredReport,
            await self.send(OadrRegisterReport(request_id=new_id(), reports=reports, ven_id=self.ven_id)),
            "oadrRegisterReport",
        )
        _checkok(answer.ei_response, "the VTN refused the harness's oadrRegisterReport")
        if answer.report_requests:
            created, follow_ups = self._created_report(new_id(), answer.report_requests)
            await self.send(created)
            for follow_up in follow_ups:
                await follow_up()
        return answer

    def build_update(
        self,
        report_request_id: str,
        values: Mapping[str, ReportValue] | None = None,
        *,
        samples: int = 1,
        start: datetime | None = None,
    ) -> OadrUpdateReport:
        """An oadrUpdateReport for a request the VTN made (one report, ``samples`` intervals).

        Every requested rID gets ``values[rID]``, else :attr:`values`' value, else 0 (a resource
        status for an ``x-resourceStatus`` point). Intervals last the request's granularity and
        follow each other up to now, from ``start`` if given (else, when the request's report
        interval began in the past, its start: a HISTORY_USAGE request; else now for a one-shot
        report); they carry uids 0, 1, 2, ...

        Raises:
            CaseFailed: the VTN made no such request.
        """
        request = self.report_requests.get(report_request_id)
        if request is None:
            known = ", ".join(self.report_requests) or "none"
            raise CaseFailed(
                f"the VTN made no report request {report_request_id!r} of the harness (known: {known})"
            )
        if samples < 1:
            raise ValueError(f"an update needs at least one sample, not {samples}")
        specifier = request.report_specifier
        offered = self._offered(specifier.report_specifier_id)
        now = self.clock()
        step = specifier.granularity if specifier.granularity > timedelta(0) else None
        if start is None:
            interval = specifier.report_interval
            if interval is not None and interval.dtstart <= now:
                start = interval.dtstart
            elif step is not None:
                start = now - step * samples
            else:
                start = now
        intervals = tuple(
            ReportInterval(
                uid=str(index),
                dtstart=start + (step * index if step is not None else timedelta(0)),
                duration=step or timedelta(0),
                payloads=tuple(
                    OadrReportPayload(r_id=point.r_id, payload=self._value(point.r_id, values or {}, offered))
                    for point in specifier.specifier_payloads
                ),
            )
            for index in range(samples)
        )
        report = OadrReport(
            report_request_id=report_request_id,
            report_specifier_id=specifier.report_specifier_id,
            created_date_time=now,
            report_name=_data_name(offered),
            dtstart=start,
            duration=step * samples if step is not None else timedelta(0),
            intervals=intervals,
        )
        return OadrUpdateReport(request_id=new_id(), reports=(report,), ven_id=self.ven_id)

    async def send_update(
        self,
        report_request_id: str,
        values: Mapping[str, ReportValue] | None = None,
        *,
        samples: int = 1,
        start: datetime | None = None,
    ) -> OadrUpdatedReport:
        """Build (:meth:`build_update`) and send an oadrUpdateReport; returns the VTN's
        oadrUpdatedReport. A one-shot request is over once sent; a cancellation riding on the
        answer (R1_3050) is answered with oadrCanceledReport.

        Raises:
            CaseFailed: no such request, or the VTN answered with another message.
        """
        update = self.build_update(report_request_id, values, samples=samples, start=start)
        answer = _expect(OadrUpdatedReport, await self.send(update), "oadrUpdateReport")
        specifier = self.report_requests[report_request_id].report_specifier
        if not specifier.granularity and not specifier.report_back_duration:
            self._drop_pending(report_request_id)
        if answer.cancel_report is not None:
            await self.answer(answer.cancel_report)
        return answer

    async def settle(self, *, timeout: float | None = None) -> None:
        """Wait until what follows the harness's push answers (a re-registration, an
        oadrRegisterReport) is done; raises what failed in it.

        Raises:
            CaseFailed: it did not end within ``timeout`` seconds (default :attr:`timeout`), or
                failed.
        """
        wait = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise CaseFailed(f"what follows the harness's answers did not end within {wait:.0f} s")
            await asyncio.wait(set(self._tasks), timeout=remaining)
        self._raise_background()

    # -- answering the VTN -------------------------------------------------------------------------

    def _reply(self, message: Payload) -> tuple[Payload | None, list[FollowUp]]:
        """The answer to a VTN-initiated message (None: none is due) and what follows it."""
        custom = self.answer_with.get(type(message))
        if custom is not None:
            answer = custom(message)
            if answer is not None:
                if isinstance(message, OadrDistributeEvent):
                    self._note_answered(message)
                return answer, []
        match message:
            case OadrDistributeEvent():
                created = self._created_event(message)
                self._note_answered(message)
                return created, []
            case OadrCreateReport():
                return self._created_report(message.request_id, message.report_requests)
            case OadrCancelReport():
                return self._canceled_report(message)
            case OadrRegisterReport():
                self.vtn_reports = message.reports
                return (
                    OadrRegisteredReport(
                        ei_response=ok(message.request_id), ven_id=self._ven_id_or(message.ven_id)
                    ),
                    [],
                )
            case OadrRequestReregistration():
                acknowledged = oadr_response(
                    ResponseCode.OK, "", ven_id=self._ven_id_or(message.ven_id) or None
                )
                return acknowledged, [self._reregister]
            case OadrCancelPartyRegistration():
                return self._canceled_registration(message)
            case OadrUpdateReport():
                return (
                    OadrUpdatedReport(
                        ei_response=ok(message.request_id), ven_id=self._ven_id_or(message.ven_id)
                    ),
                    [],
                )
            case _:
                return oadr_response(
                    ResponseCode.OK, request_id_of(message), ven_id=self._ven_id_or(None) or None
                ), []

    def _created_event(self, message: OadrDistributeEvent) -> OadrCreatedEvent | None:
        responses = tuple(
            EventResponse(
                response_code=ResponseCode.OK,
                request_id=message.request_id,
                qualified_event_id=event.qualified_event_id,
                opt_type=self.decide(event),
            )
            for event in message.events
            if event.response_required == ResponseRequired.ALWAYS
            and self._answered.get(event.qualified_event_id.event_id)
            != event.qualified_event_id.modification_number
        )
        if not responses:
            return None
        return OadrCreatedEvent(
            ei_response=ok(message.request_id), ven_id=self._ven_id_or(None), event_responses=responses
        )

    def _note_answered(self, message: OadrDistributeEvent) -> None:
        for event in message.events:
            qualified = event.qualified_event_id
            self._answered[qualified.event_id] = qualified.modification_number

    def _created_report(
        self, request_id: str, requests: Sequence[OadrReportRequest]
    ) -> tuple[OadrCreatedReport, list[FollowUp]]:
        problem = self._refusal(requests)
        metadata = False
        if problem is None:
            for request in requests:
                if request.report_specifier.report_specifier_id == METADATA_REPORT_SPECIFIER_ID:
                    metadata = True
                    continue
                self.report_requests[request.report_request_id] = request
                self._drop_pending(request.report_request_id)  # a reused ID replaces, and goes last
                self.pending_reports.append(request.report_request_id)
        response = ok(request_id) if problem is None else error(ResponseCode.INVALID_ID, request_id, problem)
        answer = OadrCreatedReport(
            ei_response=response, pending_reports=tuple(self.pending_reports), ven_id=self._ven_id_or(None)
        )
        return answer, [self.register_reports] if metadata else []

    def _refusal(self, requests: Sequence[OadrReportRequest]) -> str | None:
        """Why report requests cannot be accepted (an unknown report or rID), or None."""
        for request in requests:
            specifier = request.report_specifier
            if specifier.report_specifier_id == METADATA_REPORT_SPECIFIER_ID:
                continue
            offered = self._offered(specifier.report_specifier_id)
            if offered is None:
                return f"the VEN offers no report {specifier.report_specifier_id!r}"
            r_ids = {description.r_id for description in offered.descriptions}
            unknown = [point.r_id for point in specifier.specifier_payloads if point.r_id not in r_ids]
            if unknown:
                return f"report {specifier.report_specifier_id!r} has no rID {', '.join(map(repr, unknown))}"
        return None

    def _canceled_report(self, message: OadrCancelReport) -> tuple[OadrCanceledReport, list[FollowUp]]:
        unknown = [
            request_id for request_id in message.report_request_ids if request_id not in self.pending_reports
        ]
        cancelled = [
            request_id for request_id in message.report_request_ids if request_id in self.pending_reports
        ]
        for request_id in cancelled:
            self._drop_pending(request_id)
        response = (
            ok(message.request_id)
            if not unknown
            else error(
                ResponseCode.INVALID_ID,
                message.request_id,
                f"no outstanding report request {', '.join(map(repr, unknown))}",
            )
        )
        follow_ups: list[FollowUp] = (
            [functools.partial(self.send_update, request_id) for request_id in cancelled]
            if message.report_to_follow
            else []
        )
        answer = OadrCanceledReport(
            ei_response=response, pending_reports=tuple(self.pending_reports), ven_id=self._ven_id_or(None)
        )
        return answer, follow_ups

    def _canceled_registration(
        self, message: OadrCancelPartyRegistration
    ) -> tuple[OadrCanceledPartyRegistration, list[FollowUp]]:
        registration = self.registration
        ven_id = self._ven_id_or(message.ven_id)
        if registration is None or message.registration_id != registration.registration_id:
            ours = registration.registration_id if registration is not None else "none"
            return (
                OadrCanceledPartyRegistration(
                    ei_response=error(
                        ResponseCode.INVALID_ID,
                        message.request_id,
                        f"registrationID {message.registration_id!r} is not the VEN's ({ours})",
                    ),
                    registration_id=message.registration_id,
                    ven_id=ven_id,
                ),
                [],
            )

        async def forget() -> None:
            if self.registration is not None and self.registration.registration_id == message.registration_id:
                self._forget_registration()

        return (
            OadrCanceledPartyRegistration(
                ei_response=ok(message.request_id), registration_id=message.registration_id, ven_id=ven_id
            ),
            [forget],
        )

    async def _reregister(self) -> None:
        """Register again after oadrRequestReregistration, renewing the current registration."""
        current = self.registration
        if current is None:
            await self.register()
            return
        await self.register(
            ven_id=current.ven_id,
            registration_id=current.registration_id,
            xml_signature=current.xml_signature,
        )

    # -- push --------------------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        service = request.path.rsplit("/", 1)[-1]
        body = await request.read()
        exchange = self._record_from_device(
            body,
            service,
            "request",
            None,
            signature_required=self._signed or self._registering_signed,
            headers=dict(request.headers),
        )
        wrong, seen = client_certificate(exchange, request, self.vtn_fingerprint)
        if wrong:
            exchange.problems.append(
                f"the TLS client certificate {seen or '(none)'} that pushed is not the VTN's "
                f"({self.vtn_fingerprint})"
            )
        message = exchange.payload
        follow_ups: list[FollowUp] = []
        answer: Payload | None
        if message is None:
            answer = oadr_response(
                ResponseCode.INVALID_DATA,
                "",
                ven_id=self._ven_id_or(None) or None,
                description="the document cannot be read",
            )
        else:
            self.inbox.add(message)
            answer, follow_ups = self._reply(message)
            if answer is None:
                answer = oadr_response(
                    ResponseCode.OK, request_id_of(message), ven_id=self._ven_id_or(None) or None
                )
        data = self._encode(answer)
        self._record_to_device(data, service, "response", 200, answer)
        response = web.Response(body=data, content_type=XML)
        await response.prepare(request)
        await response.write_eof()
        if follow_ups:
            task = asyncio.create_task(self._follow(follow_ups), name="openadr-harness-ven-follow-up")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return response

    async def _follow(self, follow_ups: Sequence[FollowUp]) -> None:
        for follow_up in follow_ups:
            try:
                await follow_up()
            except Exception as exc:  # raised by the harness's next call (see _raise_background)
                logger.warning("the harness VEN failed after answering a push: %s", exc)
                self._failures.append(exc)
                return

    def _raise_background(self) -> None:
        if self._failures:
            raise self._failures.pop(0)

    # -- HTTP, encoding and recording --------------------------------------------------------------

    async def _post(
        self,
        service: ServiceName,
        body: bytes,
        sent: Payload | None,
        *,
        signature_required: bool,
        empty_allowed: bool = False,
    ) -> tuple[int, Exchange]:
        """POST ``body`` to ``service``, recording both documents; ``empty_allowed``: an empty
        HTTP 200 answer is recorded as such, not as a problem."""
        url = f"{self.url}{PATH}{service.value}"
        self._record_to_device(body, service.value, "request", None, sent)
        if self._session is None:
            await self.start()
        assert self._session is not None
        answer = await post(
            self._session,
            url,
            body,
            ssl_context=self._client_ssl,
            cap=xml.DEFAULT_MAX_BYTES,
            failing="reach the VTN",
        )
        status = answer.status
        empty_answer = empty_allowed and status == 200 and not answer.body.strip()
        exchange = self._record_from_device(
            answer.body,
            service.value,
            "response",
            status,
            signature_required=signature_required,
            empty_allowed=empty_answer,
        )
        exchange.tls = answer.tls
        if status != 200:
            exchange.problems.append(
                f"the VTN answered the POST to {service.value} with HTTP {status}, not 200"
            )
        elif answer.content_type != XML and not empty_answer:
            exchange.problems.append(f"the VTN's answer has Content-Type {answer.content_type!r}, not {XML}")
        if answer.too_large:
            exchange.problems.append(f"the VTN's answer is larger than {xml.DEFAULT_MAX_BYTES} bytes")
        if exchange.payload is not None:
            self.inbox.add(exchange.payload)
        return status, exchange

    def _signs(self, payload: Payload) -> bool:
        if self.signer is None or isinstance(payload, OadrQueryRegistration):
            return False
        if self._signed or self._registering_signed:
            return True
        return isinstance(payload, OadrCreatePartyRegistration) and payload.xml_signature

    def _encode(self, payload: Payload) -> bytes:
        data = xml.serialize(payload)
        if self._signs(payload):
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
        signature_required: bool,
        headers: dict[str, str] | None = None,
        empty_allowed: bool = False,
    ) -> Exchange:
        exchange = record_from_device(
            self.transcript,
            body,
            at=self.clock(),
            service=service,
            http=http,
            status=status,
            verifier=self.verifier,
            fingerprint=self.vtn_fingerprint,
            signature_required=signature_required,
            headers=headers,
            empty_allowed=empty_allowed,
        )
        if isinstance(exchange.payload, OadrDistributeEvent):
            exchange.problems.extend(self._event_changes(exchange.payload))
        return exchange

    def _event_changes(self, message: OadrDistributeEvent) -> list[str]:
        """What is wrong with a distribution compared with the events seen before (and note
        the events' latest versions)."""
        vtn_id = self.registration.vtn_id if self.registration is not None else None
        violations = rules.check_event_changes(self.events, message, vtn_id=vtn_id)
        for event in message.events:
            descriptor = event.ei_event.event_descriptor
            known = self.events.get(descriptor.event_id)
            if known is None or descriptor.modification_number >= known.event_descriptor.modification_number:
                self.events[descriptor.event_id] = event.ei_event
        return [
            f"rule {violation.rule}: {violation.message}" if violation.rule is not None else violation.message
            for violation in violations
        ]

    def _record_to_device(
        self, body: bytes, service: str, http: str, status: int | None, payload: Payload | None
    ) -> None:
        record_to_device(
            self.transcript, body, at=self.clock(), service=service, http=http, status=status, payload=payload
        )

    # -- state -------------------------------------------------------------------------------------

    def _require_registration(self) -> HarnessVenRegistration:
        if self.registration is None:
            raise CaseFailed("the harness VEN is not registered with the VTN")
        return self.registration

    def _ven_id_or(self, fallback: str | None) -> str:
        if self.registration is not None:
            return self.registration.ven_id
        return fallback or ""

    def _poll_gap(self) -> float:
        frequency = self.registration.poll_frequency if self.registration is not None else None
        seconds = frequency.total_seconds() if frequency is not None else _MAX_POLL_GAP
        return max(_MIN_POLL_GAP, min(seconds, _MAX_POLL_GAP))

    def _offered(self, report_specifier_id: str) -> OadrReport | None:
        for report in self.reports:
            if report.report_specifier_id == report_specifier_id:
                return report
        return None

    def _value(self, r_id: str, values: Mapping[str, ReportValue], offered: OadrReport | None) -> PayloadBase:
        value = values.get(r_id, self.values.get(r_id))
        if value is None:
            status = offered is not None and any(
                description.r_id == r_id and description.report_type == ReportType.RESOURCE_STATUS
                for description in offered.descriptions
            )
            value = DEFAULT_VALUES[STATUS_RID] if status else Decimal(0)
        if isinstance(value, OadrPayloadResourceStatus):
            return value
        return PayloadFloat(value=Decimal(str(value)) if isinstance(value, float) else Decimal(value))

    def _drop_pending(self, report_request_id: str) -> None:
        with contextlib.suppress(ValueError):
            self.pending_reports.remove(report_request_id)

    def _forget_reports(self) -> None:
        self.report_requests.clear()
        self.pending_reports.clear()

    def _forget_registration(self) -> None:
        self.registration = None
        self._signed = False
        self._forget_reports()
        self._answered.clear()


def _first(inbox: Inbox, kind: type[P], since: int, where: Callable[[P], bool] | None) -> P | None:
    for message in inbox.of(kind, since=since):
        if where is None or where(message):
            return message
    return None


def _expect(kind: type[P], answer: Payload, what: str) -> P:
    if not isinstance(answer, kind):
        raise CaseFailed(f"the VTN answered {what} with {message_name(answer)}, not {message_name(kind)}")
    return answer


def _checkok(response: EiResponse, what: str) -> None:
    if response.response_code != ResponseCode.OK:
        description = f": {response.response_description}" if response.response_description else ""
        raise CaseFailed(f"{what} with {response.response_code.value}{description}")


def _data_name(offered: OadrReport | None) -> ReportName | None:
    """The name of the data report a METADATA report offers (``METADATA_X`` → ``X``)."""
    if offered is None or offered.report_name is None:
        return None
    name = offered.report_name.value
    if not name.startswith(_METADATA_PREFIX):
        return offered.report_name
    return ReportName(name[len(_METADATA_PREFIX) :])
