"""General, transport and security cases whose device is a VEN: G1_40xx / G0_90xx ``TH_VTN``.

G1_4020 (a VTN serving 2.0a and 2.0b VENs at once) concerns VTNs only. The header checks of the
catalogue (Host, Content-Length, Content-Type application/xml) are no case of their own: the
harness VTN checks the headers of every request the VEN makes, and of the VEN's answers to its
pushes, in every case (:func:`~openadr_accel.conformance.transcript.check_http_headers`): a bad
header fails whichever case it happens in.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlsplit

from ...model import (
    METADATA_REPORT_SPECIFIER_ID,
    OadrCanceledPartyRegistration,
    OadrCanceledReport,
    OadrCreatedEvent,
    OadrCreatedReport,
    OadrCreatePartyRegistration,
    OadrCreateReport,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrReportRequest,
    OadrResponse,
    OadrUpdatedReport,
    OptType,
    ReadingType,
    ReportSpecifier,
    ServiceName,
    SpecifierPayload,
)
from ...vtn.policies import new_id
from .. import build
from ..case import Role, Transport, case
from ..context import VenCaseContext
from ..harness_vtn import idle_poll_gaps
from ..transcript import Direction, message_name
from ._steps import check_seen, until
from ._tls_steps import (
    check_version_and_suite,
    device_documents,
    refuses_anonymous_client,
    without_certificate,
)
from ._ven_steps import answer_to, poll_seconds

__all__: list[str] = []

_ANSWERS = (
    OadrResponse,
    OadrCreatedEvent,
    OadrCreatedReport,
    OadrCanceledReport,
    OadrRegisteredReport,
    OadrUpdatedReport,
    OadrCanceledPartyRegistration,
)
"""What a VEN sends only to answer a message of the VTN's."""


@case(
    "G1_4010",
    role=Role.VEN,
    title=(
        "security: TLS 1.2 with one of the two 2.0b cipher suites and X.509 client certificates, "
        "under an event exchange"
    ),
)
async def tls_under_an_event_exchange(ctx: VenCaseContext) -> None:
    """Over HTTPS, the VEN registers and answers an event (oadrDistributeEvent, queued for its
    poll or pushed, answered oadrCreatedEvent 200). Every document the VEN sent, its requests and
    (push) its answers to the harness's POSTs, came over TLS 1.2 with one of the two 2.0b cipher
    suites (TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA256), and the VEN
    presented an X.509 certificate on each connection: a client certificate on its requests (the
    harness fails the case if it is not the VEN's expected one, when the run names it), and
    (push) a server certificate on its endpoint, which is https and refuses a TLS client that
    presents no certificate (client certificates are required both ways). The harness's own
    server accepts whatever the VEN offers that its context admits, so what it records is the
    VEN's choice. Not applicable when the run has no TLS (the harness VTN serves plain HTTP)."""
    harness = ctx.harness
    if urlsplit(harness.url).scheme != "https":
        ctx.not_applicable(
            "the run has no TLS: the harness VTN serves plain HTTP (run it with a TLS server "
            "context, HarnessSecurity(server_ssl=...))"
        )
    registration = await harness.registered(timeout=ctx.timeouts.action)
    address = registration.transport_address or ""
    if not ctx.pull:
        check_seen(
            ctx,
            urlsplit(address).scheme == "https",
            "the VEN's push endpoint (its transportAddress) is https",
            address,
        )
    since = harness.mark()
    event = build.event(ven_id=registration.ven_id, start=ctx.now() + timedelta(minutes=10))
    event_id = event.ei_event.event_descriptor.event_id
    await harness.deliver(build.distribution(harness.vtn_id, event))
    created = await harness.wait_for(
        OadrCreatedEvent,
        since=since,
        where=lambda answer: any(
            response.qualified_event_id.event_id == event_id for response in answer.event_responses
        ),
        what=f"an oadrCreatedEvent for event {event_id}",
    )
    codes = [str(response.response_code) for response in created.event_responses]
    check_seen(
        ctx,
        codes == ["200"],
        "the VEN answered the event with one eventResponse 200 (the event exchange)",
        codes,
    )
    sent = device_documents(ctx)
    check_version_and_suite(ctx, sent, "VEN")
    requests = [exchange for exchange in sent if exchange.http == "request"]
    anonymous = without_certificate(requests)
    check_seen(
        ctx,
        bool(requests) and not anonymous,
        "the VEN presented an X.509 client certificate on every connection it made",
        "none on: " + ", ".join(anonymous) if anonymous else "no request",
    )
    seen = sorted({str(exchange.tls.peer_fingerprint) for exchange in requests if exchange.tls})
    if harness.ven_fingerprint is not None:
        check_seen(
            ctx,
            seen == [harness.ven_fingerprint],
            f"its client certificate is the VEN's ({harness.ven_fingerprint})",
            ", ".join(seen),
        )
    else:
        ctx.check(len(seen) == 1, f"the VEN presented one client certificate throughout ({', '.join(seen)})")
    if not ctx.pull:
        answers = [exchange for exchange in sent if exchange.http == "response"]
        unnamed = without_certificate(answers)
        check_seen(
            ctx,
            bool(answers) and not unnamed,
            "the VEN's push endpoint presented an X.509 server certificate",
            ", ".join(unnamed) or "no push answer",
        )
        refused, how = await refuses_anonymous_client(address, ServiceName.EI_EVENT)
        check_seen(
            ctx,
            refused,
            f"the VEN's push endpoint refuses a TLS client that presents no certificate ({how})",
            how,
        )


@case(
    "G1_4011",
    role=Role.VEN,
    title="empty oadrPoll: nothing queued → oadrResponse 200",
    rules=(54, 55),
    transports=(Transport.PULL,),
)
async def empty_poll(ctx: VenCaseContext) -> None:
    """With nothing queued for it, the registered VEN's oadrPoll (naming its venID) is answered
    with oadrResponse 200; the VEN takes that as "nothing for you": over three more polls it
    keeps polling, no faster than the oadrRequestedOadrPollFreq and not much slower (rules 54
    and 55), sends nothing in answer to the oadrResponse (no oadrResponse or other answer back),
    does not register again, and stays registered. Pull only (a push VEN does not poll)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    ctx.check(harness.queued() == 0, "nothing is queued for the VEN")
    since = harness.mark()
    polls: list[OadrPoll] = []
    for _ in range(3):
        position = since if not polls else harness.inbox.index_of(polls[-1]) + 1
        polls.append(await harness.wait_for(OadrPoll, since=position, what="another oadrPoll"))
    check_seen(
        ctx,
        all(poll.ven_id == registration.ven_id for poll in polls),
        f"each oadrPoll names the VEN's venID {registration.ven_id}",
        sorted({poll.ven_id for poll in polls}),
    )
    answers = [answer_to(ctx, poll) for poll in polls]
    check_seen(
        ctx,
        all(
            isinstance(answer, OadrResponse) and answer.ei_response.response_code == "200"
            for answer in answers
        ),
        "each oadrPoll was answered oadrResponse 200",
        [message_name(answer) if answer is not None else None for answer in answers],
    )
    await asyncio.sleep(0.5)  # what the VEN might send after the last answer
    later = harness.inbox.messages[since:]
    echoes = sorted({message_name(message) for message in later if isinstance(message, _ANSWERS)})
    check_seen(
        ctx, not echoes, "the VEN sends nothing back in answer to the empty poll's oadrResponse", echoes
    )
    again = [
        message
        for message in later
        if isinstance(message, OadrQueryRegistration | OadrCreatePartyRegistration)
    ]
    check_seen(
        ctx,
        not again,
        "the VEN does not register again after an empty poll",
        [message_name(m) for m in again],
    )
    gaps = idle_poll_gaps(harness.polls)[-2:]
    interval = poll_seconds(ctx)
    check_seen(
        ctx,
        len(gaps) == 2 and all(interval * 0.9 <= gap <= interval * 3 + 1 for gap in gaps),
        f"after an empty poll the VEN polls again in about {interval:g} s, not sooner",
        ", ".join(f"{gap:.2f} s" for gap in gaps),
    )
    await ctx.observe("the VEN stays registered", lambda seen: seen.registration is not None, timeout=0)


@case(
    "G1_4015",
    role=Role.VEN,
    title=(
        "de-queue by oadrPoll: queued oadrDistributeEvent and oadrCreateReport come out one per poll "
        "and are answered"
    ),
    rules=(306,),
    transports=(Transport.PULL,),
)
async def dequeue_by_poll(ctx: VenCaseContext) -> None:
    """The harness queues two messages for the registered VEN at once: an oadrDistributeEvent
    (one event, oadrResponseRequired always) and an oadrCreateReport (a METADATA request,
    reportSpecifierID METADATA, which every VEN can take: rule 306). The VEN's polls take them
    one per poll, in order, until a poll is answered oadrResponse (the queue is empty); the VEN
    answers each: oadrCreatedEvent 200 with an eventResponse echoing the distribution's requestID,
    and oadrCreatedReport 200 echoing the oadrCreateReport's requestID. Pull only."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    since = harness.mark()
    first_poll = len(harness.polls)
    event = build.event(ven_id=registration.ven_id, start=ctx.now() + timedelta(minutes=10))
    event_id = event.ei_event.event_descriptor.event_id
    distribution = build.distribution(harness.vtn_id, event)
    request = OadrCreateReport(
        request_id=new_id(),
        report_requests=(
            OadrReportRequest(
                report_request_id=new_id(),
                report_specifier=ReportSpecifier(
                    report_specifier_id=METADATA_REPORT_SPECIFIER_ID,
                    granularity=timedelta(0),
                    report_back_duration=timedelta(0),
                    specifier_payloads=(
                        SpecifierPayload(
                            r_id=METADATA_REPORT_SPECIFIER_ID, reading_type=ReadingType.NOT_APPLICABLE
                        ),
                    ),
                ),
            ),
        ),
        ven_id=registration.ven_id,
    )
    await harness.deliver(distribution, wait=False)
    await harness.deliver(request, wait=False)
    ctx.check(harness.queued() == 2, "two messages are queued for the VEN")
    created = await harness.wait_for(
        OadrCreatedEvent, since=since, what="an oadrCreatedEvent answering the queued oadrDistributeEvent"
    )
    ctx.check(created.ei_response.response_code == "200", "the VEN's oadrCreatedEvent says 200")
    responses = [
        (
            str(response.response_code),
            response.request_id,
            response.qualified_event_id.event_id,
            response.opt_type,
        )
        for response in created.event_responses
    ]
    check_seen(
        ctx,
        len(responses) == 1
        and responses[0][:3] == ("200", distribution.request_id, event_id)
        and responses[0][3] in (OptType.OPT_IN, OptType.OPT_OUT),
        "the VEN answers the event with one eventResponse 200 echoing the distribution's requestID",
        responses,
    )
    report = await harness.wait_for(
        OadrCreatedReport,
        since=since,
        where=lambda answer: answer.ei_response.request_id == request.request_id,
        what="an oadrCreatedReport answering the queued oadrCreateReport",
    )
    check_seen(
        ctx,
        report.ei_response.response_code == "200",
        "the VEN answers the oadrCreateReport with oadrCreatedReport 200 echoing its requestID",
        report.ei_response.response_code,
    )
    await until(lambda: any(not poll.delivered for poll in harness.polls[first_poll:]), ctx.timeouts.message)
    polls = harness.polls[first_poll:]
    delivered = [poll.delivered for poll in polls]
    empty = delivered.index(False) if False in delivered else len(delivered)
    check_seen(
        ctx,
        delivered[:empty] == [True, True],
        "the two queued messages came out on two polls, one each, before a poll found the queue empty",
        delivered,
    )
    taken = [
        exchange.message
        for exchange in ctx.transcript.exchanges
        if exchange.direction is Direction.TO_DEVICE and exchange.service == "OadrPoll"
    ]
    check_seen(
        ctx,
        [name for name in taken if name != "oadrResponse"][:2] == ["oadrDistributeEvent", "oadrCreateReport"],
        "the polls took the oadrDistributeEvent, then the oadrCreateReport",
        taken,
    )
