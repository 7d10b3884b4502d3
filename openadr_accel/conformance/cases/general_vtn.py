"""General, transport and security cases whose device is a VTN: G1_40xx / G0_90xx ``TH_VEN``.

The header checks of the catalogue (Host, Content-Length, Content-Type application/xml) are no
case of their own: the harness VEN checks the Content-Type and HTTP status of every answer of
the VTN's, and the headers of every push, in every case.

G1_4020 asks whether the VTN serves 2.0a VENs next to 2.0b ones. A 2.0a VEN does not register
(2.0a has no EiRegisterParty: its venID is provisioned on the VTN out of band), polls by POSTing
oadrRequestEvent to the 2.0a endpoint ``<prefix>/OpenADR2/Simple/EiEvent`` (2.0b endpoints carry
``/2.0b/``), and speaks the 2.0a schema: namespace ``http://openadr.org/oadr-2.0a/2012/07``, each
message the document's root (no oadrPayload, no signatures). The harness plays such a VEN with
hand-made 2.0a documents (our codec is 2.0b only), read leniently (root, responseCode,
eventIDs): it checks what the case needs, not the whole 2.0a schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import aiohttp
from lxml import etree

from ...model import (
    OadrCreatedEvent,
    OadrCreatedReport,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrResponse,
    Payload,
    ResponseCode,
    ServiceName,
)
from ...vtn.policies import new_id
from ...vtn.store import ReportRequestState
from .. import build
from ..case import Role, Transport, case
from ..context import VtnCaseContext
from ..devices import EventSpec, ReportSpec
from ..harness_ven import TELEMETRY_STATUS_ID
from ..our_vtn import VtnView
from ..transcript import Direction, Exchange, message_name
from ._steps import check_seen
from ._tls_steps import (
    check_version_and_suite,
    device_documents,
    refuses_anonymous_client,
    without_certificate,
)
from ._vtn_steps import answer_to, answered, holds_registration, sent_since, shown, still_served

__all__: list[str] = []

OADR_20A = "http://openadr.org/oadr-2.0a/2012/07"
"""The namespace of the 2.0a schema."""
OADR_20B = "http://openadr.org/oadr-2.0b/2012/07"
_EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
_PYLD = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
_NAMESPACES = f'xmlns:oadr="{OADR_20A}" xmlns:ei="{_EI}" xmlns:pyld="{_PYLD}"'
PATH_20A = "/OpenADR2/Simple/EiEvent"
"""The 2.0a profile's EiEvent endpoint, after the VTN's prefix."""
PATH_20B_EVENT = "/OpenADR2/Simple/2.0b/EiEvent"
"""The 2.0b EiEvent endpoint (a VTN might tell 2.0a documents by their namespace there)."""
VEN_20A_ID = "TH_VEN_2A"
"""The venID of G1_4020's 2.0a VEN (provision it on an external VTN first: 2.0a VENs do not
register)."""


@case(
    "G1_4010",
    role=Role.VTN,
    title=(
        "security: TLS 1.2 with one of the two 2.0b cipher suites and X.509 client certificates, "
        "under an event exchange"
    ),
)
async def tls_under_an_event_exchange(ctx: VtnCaseContext) -> None:
    """Over HTTPS, the harness registers and the VTN is made to create an event for it: the
    oadrDistributeEvent (queued for the poll, or pushed to the harness's https endpoint) is
    answered oadrCreatedEvent (optIn; in pull the VTN acknowledges it with oadrResponse 200), and
    the VTN stores the answer (observed). Every document the VTN sent (its answers to the
    harness's requests and, in push, its own POSTs) came over TLS 1.2 with one of the two 2.0b
    cipher suites (TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA256), and
    the VTN presented an X.509 certificate on every connection: its server certificate on its
    answers, a client certificate on its pushes (client certificates are required both ways),
    the VTN's own when the run names its fingerprint. The VTN's endpoint refuses a TLS client
    that presents no certificate, and (observed) it bound the registration to the harness's
    client certificate. The harness's client accepts whatever its TLS context admits, so what it
    records is the VTN's choice. Not applicable when the run has no TLS (the VTN serves plain
    HTTP, or in push the harness's endpoint is plain HTTP)."""
    harness = ctx.harness
    if urlsplit(harness.url).scheme != "https":
        ctx.not_applicable(
            "the run has no TLS: the VTN serves plain HTTP (run it over HTTPS, with a TLS client "
            "context for the harness, HarnessSecurity(client_ssl=...))"
        )
    if not ctx.pull and urlsplit(harness.transport_address or "").scheme != "https":
        ctx.not_applicable(
            "the harness's push endpoint serves plain HTTP, so the VTN's pushes cannot use TLS "
            "(give it a TLS server context, HarnessSecurity(server_ssl=...))"
        )
    registration = await harness.registered(timeout=ctx.timeouts.action)
    since = harness.mark()
    await ctx.device.create_event(
        EventSpec(
            ven_id=registration.ven_id, signals=[build.simple(1)], start=ctx.now() + timedelta(minutes=10)
        )
    )
    distribution = await harness.wait_for(
        OadrDistributeEvent,
        since=since,
        where=lambda message: bool(message.events),
        timeout=ctx.timeouts.action,
        what="an oadrDistributeEvent with the event it was made to create",
    )
    event_id = distribution.events[0].ei_event.event_descriptor.event_id
    await harness.settle()
    if ctx.pull:
        created = sent_since(ctx, OadrCreatedEvent, 0)
        ctx.check(bool(created), "the harness answered the event with oadrCreatedEvent")
        answered(ctx, answer_to(ctx, created[-1]), OadrResponse, "the VEN's oadrCreatedEvent")
    await ctx.observe(
        f"the VTN stored the VEN's answer to event {event_id} (the event exchange)",
        lambda view: view.responded(event_id),
    )
    sent = device_documents(ctx)
    facts = check_version_and_suite(ctx, sent, "VTN")
    presented = [("response", "its server certificate on its answers")]
    if not ctx.pull:
        presented.append(("request", "a client certificate on its pushes"))
    for http, what in presented:
        mine = [exchange for exchange in sent if exchange.http == http and exchange.tls is not None]
        anonymous = without_certificate(mine)
        check_seen(
            ctx,
            bool(mine) and not anonymous,
            f"the VTN presented an X.509 certificate on every connection: {what}",
            "none on: " + ", ".join(anonymous) if anonymous else "no such document",
        )
    seen = sorted({str(fact.peer_fingerprint) for fact in facts})
    if harness.vtn_fingerprint is not None:
        check_seen(
            ctx,
            seen == [harness.vtn_fingerprint],
            f"the certificate the VTN presented is its own ({harness.vtn_fingerprint})",
            ", ".join(seen),
        )
    else:
        ctx.check(len(seen) == 1, f"the VTN presented one certificate throughout ({', '.join(seen)})")
    refused, how = await refuses_anonymous_client(harness.url, ServiceName.OADR_POLL)
    check_seen(ctx, refused, f"the VTN refuses a TLS client that presents no certificate ({how})", how)

    async def bound(view: VtnView) -> bool:
        ven = await view.ven(registration.ven_id)
        return ven is not None and ven.fingerprint is not None

    await ctx.observe("the VTN bound the registration to the harness's client certificate", bound)


@case(
    "G1_4011",
    role=Role.VTN,
    title="empty oadrPoll: nothing queued → oadrResponse 200",
    rules=(54, 55),
    transports=(Transport.PULL,),
)
async def empty_poll(ctx: VtnCaseContext) -> None:
    """The registered harness, its queue drained (every message of the bootstrap taken and
    answered), polls three more times at the VTN's oadrRequestedOadrPollFreq (rules 54, 55). With
    nothing queued, the VTN answers each oadrPoll with oadrResponse 200 (naming the harness's
    venID, or none), never an error, a registration message or anything else. The polls change
    nothing (observed: the registration stands and the VEN's queue is still empty). Pull only (a
    push VEN does not poll)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)

    async def queue_empty(view: VtnView) -> bool:
        return not await view.vtn.store.list_queue(registration.ven_id)

    await ctx.observe("nothing is queued for the VEN at the VTN", queue_empty, timeout=0)
    gap = registration.poll_frequency.total_seconds() if registration.poll_frequency else 1.0
    answers: list[Payload] = []
    for _ in range(3):
        await asyncio.sleep(gap)
        answers.append(await harness.poll())
    check_seen(
        ctx,
        all(
            isinstance(answer, OadrResponse)
            and answer.ei_response.response_code == ResponseCode.OK
            and answer.ven_id in (None, registration.ven_id)
            for answer in answers
        ),
        f"each empty oadrPoll is answered oadrResponse 200 naming the venID {registration.ven_id} (or none)",
        [f"{shown(answer)} for {getattr(answer, 'ven_id', None)}" for answer in answers],
    )
    await ctx.observe(
        "the polls changed nothing: the registration stands",
        lambda view: holds_registration(view, registration.ven_id, registration.registration_id),
    )
    await ctx.observe("the polls changed nothing: the VEN's queue is still empty", queue_empty, timeout=0)


@case(
    "G1_4015",
    role=Role.VTN,
    title=(
        "de-queue by oadrPoll: queued oadrDistributeEvent and oadrCreateReport come out one per poll "
        "and are answered"
    ),
    transports=(Transport.PULL,),
)
async def dequeue_by_poll(ctx: VtnCaseContext) -> None:
    """With the registered harness's queue drained, the VTN is made to create an event for it
    and to request a one-shot report it offered (its TELEMETRY_STATUS), without a poll between:
    an oadrDistributeEvent and an oadrCreateReport wait in the VEN's queue (observed: two queued
    messages; an external VTN's operator has the action timeout to make both before the
    harness polls). The harness polls at the VTN's frequency: the first two polls bring one
    message each, the distribution and the report request (in either order), and the third an
    oadrResponse 200 (the queue is empty). The harness answers each (oadrCreatedEvent optIn,
    oadrCreatedReport 200) and the VTN acknowledges both with oadrResponse 200. Observed: the VTN
    stored the VEN's answer to the event, and holds the report request as created (the
    oadrCreatedReport arrived). Pull only."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    position = len(ctx.transcript.exchanges)
    await ctx.device.create_event(
        EventSpec(
            ven_id=registration.ven_id, signals=[build.simple(1)], start=ctx.now() + timedelta(minutes=10)
        )
    )
    await ctx.device.request_report(
        ReportSpec(ven_id=registration.ven_id, report_specifier_id=TELEMETRY_STATUS_ID)
    )

    async def both_queued(view: VtnView) -> bool:
        return len(await view.vtn.store.list_queue(registration.ven_id)) == 2

    await ctx.observe(
        "the VTN queued two messages for the VEN (the distribution and the request)", both_queued
    )
    if not ctx.observable:
        await asyncio.sleep(ctx.timeouts.action)  # the operator makes both before the next poll
    gap = registration.poll_frequency.total_seconds() if registration.poll_frequency else 1.0
    got: list[Payload] = []
    for _ in range(3):
        got.append(await harness.poll())
        await asyncio.sleep(gap)
    kinds = [message_name(message) for message in got]
    check_seen(
        ctx,
        sorted(kinds[:2]) == ["oadrCreateReport", "oadrDistributeEvent"],
        "the first two polls bring one queued message each: the oadrDistributeEvent and the oadrCreateReport",
        kinds,
    )
    check_seen(
        ctx,
        isinstance(got[2], OadrResponse) and got[2].ei_response.response_code == ResponseCode.OK,
        "the third poll finds the queue empty: oadrResponse 200",
        shown(got[2]),
    )
    [distribution] = [message for message in got if isinstance(message, OadrDistributeEvent)]
    [request] = [message for message in got if isinstance(message, OadrCreateReport)]
    check_seen(
        ctx,
        len(distribution.events) == 1,
        "the distribution carries the one event the VTN was made to create",
        [event.ei_event.event_descriptor.event_id for event in distribution.events],
    )
    event_id = distribution.events[0].ei_event.event_descriptor.event_id
    for kind, what in (
        (OadrCreatedEvent, "the VEN's oadrCreatedEvent"),
        (OadrCreatedReport, "the VEN's oadrCreatedReport"),
    ):
        answers = sent_since(ctx, kind, position)
        ctx.check(bool(answers), f"the harness answered with {message_name(kind)}")
        answered(ctx, answer_to(ctx, answers[-1]), OadrResponse, what)
    await ctx.observe(
        f"the VTN stored the VEN's answer to event {event_id}", lambda view: view.responded(event_id)
    )
    request_ids = {item.report_request_id for item in request.report_requests}

    async def created(view: VtnView) -> bool:
        records = await view.vtn.reports.requests(registration.ven_id)
        mine = [record for record in records if record.report_request_id in request_ids]
        return bool(mine) and all(record.state is ReportRequestState.CREATED for record in mine)

    await ctx.observe("the VTN holds the report request as created (the oadrCreatedReport arrived)", created)


@case(
    "G1_4020",
    role=Role.VTN,
    title="a VTN serves 2.0a and 2.0b VENs at the same time",
)
async def serves_2a_and_2b(ctx: VtnCaseContext) -> None:
    """The harness registers as a 2.0b VEN (the bootstrap), and plays a 2.0a VEN as well, whose
    venID ``TH_VEN_2A`` the VTN knows beforehand (2.0a VENs do not register: provision it on an
    external VTN first). The 2.0a VEN POSTs a 2.0a oadrRequestEvent to the 2.0a endpoint
    ``<prefix>/OpenADR2/Simple/EiEvent`` (and, failing that, to the 2.0b EiEvent endpoint, in
    case the VTN tells the profiles apart by namespace): a VTN that answers neither with a 2.0a
    document (an HTTP error, a 2.0b document) does not serve 2.0a VENs, and the case does not
    apply to it (once the 2.0b VEN is checked to be still served). Otherwise its 2.0a oadrDistributeEvent
    must say 200. The VTN is then made to create one event for each VEN; at the same time the
    2.0b VEN takes its oadrDistributeEvent (poll or push) and the 2.0a VEN polls with
    oadrRequestEvent until its event comes: each gets its own event and not the other's. Both
    answer optIn (2.0b oadrCreatedEvent; 2.0a oadrCreatedEvent, which the VTN answers with a 2.0a
    oadrResponse 200), and (observed) the VTN stores both answers."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    ven_2a = Ven20a(ctx)
    tried: list[str] = []
    for path in (PATH_20A, PATH_20B_EVENT):
        ven_2a.url = harness.url + path
        probe = await ven_2a.request_events()
        tried.append(f"at {ven_2a.url}: {probe.described}")
        if probe.is_20a:
            break
    else:
        await still_served(ctx, registration.ven_id, "while a 2.0a VEN knocks on its endpoints")
        ctx.not_applicable(
            "the VTN does not serve 2.0a VENs: a 2.0a oadrRequestEvent was answered "
            + "; ".join(tried)
            + " (a VTN serving 2.0a answers it with a 2.0a oadrDistributeEvent)"
        )
    check_seen(
        ctx,
        probe.name == "oadrDistributeEvent" and probe.code == ResponseCode.OK,
        f"the VTN answers the 2.0a VEN's oadrRequestEvent with a 2.0a oadrDistributeEvent 200 (its venID "
        f"{VEN_20A_ID} must be provisioned on the VTN)",
        probe.described,
    )
    start = ctx.now() + timedelta(minutes=10)
    await ctx.device.create_event(EventSpec(ven_id=VEN_20A_ID, signals=[build.simple(1)], start=start))
    since = harness.mark()
    await ctx.device.create_event(
        EventSpec(ven_id=registration.ven_id, signals=[build.simple(2)], start=start)
    )
    distribution, answer_2a = await asyncio.gather(
        harness.wait_for(
            OadrDistributeEvent,
            since=since,
            where=lambda message: bool(message.events),
            timeout=ctx.timeouts.action,
            what="an oadrDistributeEvent with its event",
        ),
        ven_2a.wait_for_events(ctx.timeouts.action),
    )
    ids_2b = [event.ei_event.event_descriptor.event_id for event in distribution.events]
    ids_2a = [event_id for event_id, _ in answer_2a.events]
    check_seen(ctx, len(ids_2b) == 1, "the 2.0b VEN gets one event", ids_2b)
    check_seen(ctx, len(ids_2a) == 1, "the 2.0a VEN gets one event (in a 2.0a oadrDistributeEvent)", ids_2a)
    check_seen(
        ctx,
        not set(ids_2a) & set(ids_2b),
        "each VEN gets its own event, not the other's",
        (ids_2a, ids_2b),
    )
    created = await ven_2a.answer(answer_2a)
    check_seen(
        ctx,
        created.is_20a and created.name == "oadrResponse" and created.code == ResponseCode.OK,
        "the VTN answers the 2.0a VEN's oadrCreatedEvent with a 2.0a oadrResponse 200",
        created.described,
    )
    await harness.settle()
    for event_id, whom in ((ids_2a[0], "2.0a"), (ids_2b[0], "2.0b")):
        await ctx.observe(
            f"the VTN stored the {whom} VEN's answer to its event {event_id}",
            lambda view, event_id=event_id: view.responded(event_id),  # type: ignore[misc]
        )


# -- a 2.0a VEN, for G1_4020 -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer20a:
    """What the VTN answered a 2.0a request with, read leniently.

    Attributes:
        status: the HTTP status (None: no answer at all).
        name: the root element's local name (None: not XML).
        is_20a: whether the root is in the 2.0a namespace.
        code: the eiResponse's responseCode.
        request_id: the requestID of an oadrDistributeEvent.
        events: (eventID, modificationNumber) of each event of an oadrDistributeEvent.
        problem: why there is no document (the connection failed, the body is no XML).
    """

    status: int | None
    name: str | None = None
    is_20a: bool = False
    code: str | None = None
    request_id: str | None = None
    events: Sequence[tuple[str, int]] = ()
    problem: str | None = None
    namespace: str | None = None

    @property
    def described(self) -> str:
        if self.status is None:
            return f"with no answer ({self.problem})"
        if self.name is None:
            return f"HTTP {self.status} without an XML document ({self.problem})"
        schema = "2.0a" if self.is_20a else "2.0b" if self.namespace == OADR_20B else "non-2.0a"
        code = f" {self.code}" if self.code else ""
        return f"HTTP {self.status} with a {schema} {self.name}{code}"


class Ven20a:
    """A 2.0a VEN (venID :data:`VEN_20A_ID`) posting hand-made 2.0a documents to the VTN's 2.0a
    EiEvent endpoint, over the harness's TLS client context; each exchange lands in the case's
    transcript (its answers are not 2.0b documents, so they are not inspected as such)."""

    def __init__(self, ctx: VtnCaseContext) -> None:
        self.ctx = ctx
        self.url = ctx.harness.url + PATH_20A

    async def request_events(self) -> Answer20a:
        """POST a 2.0a oadrRequestEvent; the VTN's answer."""
        body = (
            f"<oadr:oadrRequestEvent {_NAMESPACES}><pyld:eiRequestEvent>"
            f"<pyld:requestID>{new_id()}</pyld:requestID><ei:venID>{VEN_20A_ID}</ei:venID>"
            "</pyld:eiRequestEvent></oadr:oadrRequestEvent>"
        )
        return await self._post(body, "oadrRequestEvent")

    async def wait_for_events(self, timeout: float) -> Answer20a:
        """Poll with oadrRequestEvent (about once a second) until a 2.0a oadrDistributeEvent
        lists an event; the last answer when none did within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            answer = await self.request_events()
            if answer.events or loop.time() >= deadline:
                return answer
            await asyncio.sleep(1.0)

    async def answer(self, distribution: Answer20a) -> Answer20a:
        """POST a 2.0a oadrCreatedEvent opting in to every event of ``distribution``."""
        responses = "".join(
            "<ei:eventResponse><ei:responseCode>200</ei:responseCode>"
            f"<pyld:requestID>{escape(distribution.request_id or '')}</pyld:requestID>"
            f"<ei:qualifiedEventID><ei:eventID>{escape(event_id)}</ei:eventID>"
            f"<ei:modificationNumber>{number}</ei:modificationNumber></ei:qualifiedEventID>"
            "<ei:optType>optIn</ei:optType></ei:eventResponse>"
            for event_id, number in distribution.events
        )
        body = (
            f"<oadr:oadrCreatedEvent {_NAMESPACES}><pyld:eiCreatedEvent>"
            f"<ei:eiResponse><ei:responseCode>200</ei:responseCode><pyld:requestID>{new_id()}</pyld:requestID>"
            f"</ei:eiResponse><ei:eventResponses>{responses}</ei:eventResponses>"
            f"<ei:venID>{VEN_20A_ID}</ei:venID></pyld:eiCreatedEvent></oadr:oadrCreatedEvent>"
        )
        return await self._post(body, "oadrCreatedEvent")

    async def _post(self, body: str, name: str) -> Answer20a:
        ctx = self.ctx
        data = body.encode()
        ctx.transcript.add(
            Exchange(
                at=ctx.now(),
                direction=Direction.TO_DEVICE,
                service="EiEvent (2.0a)",
                http="request",
                body=data,
                message=f"{name} (2.0a)",
            )
        )
        client_ssl = ctx.harness._client_ssl
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ctx.timeouts.message)) as session,
                session.post(
                    self.url, data=data, headers={"Content-Type": "application/xml"}, ssl=client_ssl
                ) as response,
            ):
                status = response.status
                answer = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Answer20a(status=None, problem=f"{type(exc).__name__}: {exc}")
        read = _read_20a(status, answer)
        ctx.transcript.add(
            Exchange(
                at=ctx.now(),
                direction=Direction.FROM_DEVICE,
                service="EiEvent (2.0a)",
                http="response",
                status=status,
                body=answer,
                message=None
                if read.name is None
                else f"{read.name} ({'2.0a' if read.is_20a else 'not 2.0a'})",
            )
        )
        return read


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _read_20a(status: int, body: bytes) -> Answer20a:
    try:
        root = etree.fromstring(body, _PARSER) if body else None
    except etree.XMLSyntaxError:
        return Answer20a(status=status, problem="the body is not XML")
    if root is None:
        return Answer20a(status=status, problem="an empty body")
    name = etree.QName(root)
    response = root.find(f".//{{{_EI}}}eiResponse")
    code = response.findtext(f"{{{_EI}}}responseCode") if response is not None else None
    events = []
    for event in root.iter(f"{{{_EI}}}eiEvent"):
        event_id = event.findtext(f".//{{{_EI}}}eventID")
        number = event.findtext(f".//{{{_EI}}}modificationNumber") or "0"
        if event_id:
            events.append((event_id.strip(), int(number.strip()) if number.strip().isdigit() else 0))
    return Answer20a(
        status=status,
        name=name.localname,
        is_20a=name.namespace == OADR_20A,
        namespace=name.namespace,
        code=code.strip() if code else None,
        request_id=(root.findtext(f"{{{_PYLD}}}requestID") or "").strip() or None,
        events=tuple(events),
    )
