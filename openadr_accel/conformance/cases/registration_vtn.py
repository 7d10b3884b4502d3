"""Registration (EiRegisterParty) cases whose device is a VTN: N1_00xx / N0_50xx ``TH_VEN``.

The harness plays a VEN (:class:`~openadr_accel.conformance.harness_ven.HarnessVen`): it queries,
registers, cancels and re-registers, and answers what the VTN initiates. What a VTN must do, from
the 2.0b profile and the annotations of its schema:

- oadrQueryRegistration is answered with oadrCreatedPartyRegistration listing the VTN's profiles
  and transports, its vtnID and oadrRequestedOadrPollFreq; "venID not included in query unless
  already registered" (the query carries only a requestID: a VTN knows who asks only from the
  TLS client certificate, N1_0015).
- oadrCreatePartyRegistration is answered with the venID and a registrationID; with a
  registrationID it renews that registration ("used for re-registering an existing
  registration"), without one it is a new registration, which replaces the VEN's earlier one.
- oadrCancelPartyRegistration from the VEN ends the registration (oadrCanceledPartyRegistration
  200); a registrationID that is not the VEN's is 452. The VTN may cancel too, and the VEN's
  oadrCanceledPartyRegistration ends it.
- Every later message names the venID; a VTN answers 463 (not registered or authorized) or 452
  (invalid ID) to a VEN that is not registered, and does not process what it sent.

The module also holds the steps the VTN cases of :mod:`.general_vtn` and :mod:`.opt_vtn` share
(they import them from here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from ...model import (
    UNSOLICITED_REPORT_REQUEST_ID,
    Available,
    EiResponse,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrRequestEvent,
    OadrRequestReregistration,
    OadrResponse,
    OptReason,
    OptType,
    Payload,
    ProfileName,
    ResponseCode,
    TransportName,
)
from ...vtn.policies import new_id
from ..case import Role, case
from ..context import CaseContext, VtnCaseContext
from ..harness_ven import HarnessVenRegistration
from ..our_vtn import VtnView
from ..transcript import Direction, message_name

__all__: list[str] = []

P = TypeVar("P", bound=Payload)

REFUSED_AS_UNREGISTERED = (ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, ResponseCode.INVALID_ID)
"""The codes a VTN refuses a message of an unregistered VEN with: 463, or 452 for its venID."""

PREALLOCATED_VEN_ID = "TH_VEN_PREALLOCATED"
"""The venID of N1_0025 (provision it on an external VTN before the case)."""


# -- steps the VTN cases share ------------------------------------------------------------------------


def check_seen(ctx: CaseContext[Any], holds: bool, what: str, seen: object) -> None:
    """:meth:`~..context.CaseContext.check` ``what``; when it does not hold, the failure also
    says what was seen instead."""
    ctx.check(holds, what if holds else f"{what} (seen: {seen})")


def code_of(answer: Payload | None) -> str | None:
    """The responseCode of an answer's eiResponse (None: it has none, or there is no answer)."""
    response = getattr(answer, "ei_response", None)
    return str(response.response_code) if isinstance(response, EiResponse) else None


def shown(answer: Payload | None) -> str:
    """An answer in words for a failed check: its type and responseCode."""
    if answer is None:
        return "nothing readable"
    code = code_of(answer)
    return message_name(answer) + (f" {code}" if code is not None else "")


def answered(
    ctx: CaseContext[Any],
    answer: Payload | None,
    kind: type[P],
    what: str,
    *,
    request_id: str | None = None,
    codes: Sequence[str] = (ResponseCode.OK,),
) -> P:
    """Check that ``answer`` is a ``kind`` with one of ``codes`` (echoing ``request_id`` when
    given), and return it; ``what`` names the request ("the oadrCreateOpt")."""
    wanted = " or ".join(str(code) for code in codes)
    check_seen(
        ctx,
        isinstance(answer, kind) and code_of(answer) in codes,
        f"the VTN answers {what} with {message_name(kind)} {wanted}",
        shown(answer),
    )
    assert isinstance(answer, kind)
    if request_id is not None:
        echoed = getattr(answer, "ei_response", None)
        check_seen(
            ctx,
            isinstance(echoed, EiResponse) and echoed.request_id == request_id,
            f"the VTN's {message_name(kind)} echoes the requestID of {what}",
            echoed.request_id if isinstance(echoed, EiResponse) else None,
        )
    return answer


def sent_last(ctx: CaseContext[Any], kind: type[P]) -> P | None:
    """The last request of ``kind`` the harness sent the VTN."""
    for exchange in reversed(ctx.transcript.exchanges):
        if (
            exchange.direction is Direction.TO_DEVICE
            and exchange.http == "request"
            and isinstance(exchange.payload, kind)
        ):
            return exchange.payload
    return None


def answer_to(ctx: CaseContext[Any], sent: Payload | None) -> Payload | None:
    """The VTN's answer (its HTTP response) to a request the harness sent, from the transcript."""
    exchanges = ctx.transcript.exchanges
    for position, exchange in enumerate(exchanges):
        if (
            exchange.payload is sent
            and exchange.direction is Direction.TO_DEVICE
            and exchange.http == "request"
        ):
            for later in exchanges[position + 1 :]:
                if (
                    later.direction is Direction.FROM_DEVICE
                    and later.http == "response"
                    and later.service == exchange.service
                ):
                    return later.payload
            return None
    return None


def probe_for(ctx: VtnCaseContext, ven_id: str) -> OadrPoll | OadrRequestEvent:
    """A message naming ``ven_id`` that only a registered VEN gets a 200 for: an oadrPoll in
    pull, an oadrRequestEvent in push (a push VEN does not poll)."""
    if ctx.pull:
        return OadrPoll(ven_id=ven_id)
    return OadrRequestEvent(request_id=new_id(), ven_id=ven_id)


async def still_served(ctx: VtnCaseContext, ven_id: str, why: str) -> None:
    """Check that the VTN still serves the registered harness as ``ven_id``: in pull a poll
    (what it brings is answered), in push an oadrRequestEvent, answered without an error."""
    harness = ctx.harness
    if ctx.pull:
        got = await harness.poll()
        check_seen(
            ctx,
            not isinstance(got, OadrResponse) or got.ei_response.response_code == ResponseCode.OK,
            f"the VTN still serves the VEN's oadrPoll as {ven_id} {why}",
            shown(got),
        )
        return
    got = await harness.send(OadrRequestEvent(request_id=new_id(), ven_id=ven_id))
    check_seen(
        ctx,
        code_of(got) == ResponseCode.OK,
        f"the VTN still answers the VEN's oadrRequestEvent as {ven_id} with 200 {why}",
        shown(got),
    )


async def refused_as_unregistered(ctx: VtnCaseContext, ven_id: str, why: str) -> None:
    """Check that the VTN refuses a message naming ``ven_id`` (:func:`probe_for`) with 463 or
    452; a VTN may take a moment to end a registration, so it is asked again (bounded by the
    message timeout) while it still answers 200."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ctx.timeouts.message
    while True:
        probe = probe_for(ctx, ven_id)
        got = await ctx.harness.send(probe)
        if code_of(got) != ResponseCode.OK or loop.time() >= deadline:
            break
        await asyncio.sleep(0.5)
    codes = " or ".join(str(code) for code in REFUSED_AS_UNREGISTERED)
    check_seen(
        ctx,
        code_of(got) in REFUSED_AS_UNREGISTERED,
        f"the VTN refuses the {message_name(probe)} naming {ven_id} with {codes} {why}",
        shown(got),
    )


async def holds_registration(view: VtnView, ven_id: str, registration_id: str | None) -> bool:
    """Whether our VTN holds ``ven_id`` with ``registration_id`` (None: not registered)."""
    ven = await view.ven(ven_id)
    if registration_id is None:
        return ven is None or not ven.registered
    return ven is not None and ven.registration_id == registration_id


async def observe_registration(ctx: VtnCaseContext, ven_id: str, registration_id: str | None) -> None:
    """Observe that the VTN holds the VEN's registration (None: that it holds none)."""
    what = (
        f"the VTN holds VEN {ven_id} as registered with registrationID {registration_id}"
        if registration_id is not None
        else f"the VTN holds VEN {ven_id} as not registered"
    )
    await ctx.observe(what, lambda view: holds_registration(view, ven_id, registration_id))


def schedule_opt(
    ctx: CaseContext[Any],
    ven_id: str,
    periods: Sequence[tuple[timedelta, timedelta]],
    *,
    opt_id: str | None = None,
    opt_type: OptType = OptType.OPT_IN,
    reason: OptReason = OptReason.ECONOMIC,
    **more: Any,
) -> OadrCreateOpt:
    """An oadrCreateOpt availability schedule: ``periods`` are (start from now, duration) pairs
    of the run's clock (a zero duration is open-ended); ``more`` sets other fields (target,
    market_context)."""
    now = ctx.now().replace(microsecond=0)
    return OadrCreateOpt(
        opt_id=opt_id or f"TH-OPT-{new_id()[:10]}",
        opt_type=opt_type,
        opt_reason=reason,
        ven_id=ven_id,
        created_date_time=now,
        request_id=new_id(),
        availability=tuple(Available(dtstart=now + start, duration=duration) for start, duration in periods),
        **more,
    )


async def until(condition: Callable[[], bool], timeout: float) -> bool:
    """Wait (bounded by ``timeout`` seconds) until ``condition()`` holds; whether it did (the
    checks that follow say what was expected)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def sent_since(ctx: CaseContext[Any], kind: type[P], position: int) -> list[P]:
    """The requests of ``kind`` the harness sent from the transcript position ``position`` on."""
    return [
        exchange.payload
        for exchange in ctx.transcript.exchanges[position:]
        if exchange.direction is Direction.TO_DEVICE
        and exchange.http == "request"
        and isinstance(exchange.payload, kind)
    ]


def _poll_seconds(registration: HarnessVenRegistration) -> float:
    frequency = registration.poll_frequency
    return frequency.total_seconds() if frequency is not None else 1.0


# -- the cases ------------------------------------------------------------------------------------------


@case(
    "N1_0010",
    role=Role.VTN,
    title="VEN sends oadrQueryRegistration; VTN answers oadrCreatedPartyRegistration",
)
async def query_registration(ctx: VtnCaseContext) -> None:
    """The harness, not registered yet, sends oadrQueryRegistration. The VTN answers
    oadrCreatedPartyRegistration 200 echoing the requestID, with its vtnID, the profile 2.0b
    with the simpleHttp transport among its profiles, and an oadrRequestedOadrPollFreq; a
    registrationID only together with a venID ("venID not included in query unless already
    registered"). A query is no registration: the VTN registers nobody for it (observed: our
    VTN's on_registered is not called, no VEN is registered). The harness then registers with
    what the answer offered (2.0b, simpleHttp, pull or push): the VTN confirms with 200 under the
    same vtnID."""
    harness = ctx.harness
    query = OadrQueryRegistration(request_id=new_id())
    created = answered(
        ctx,
        await harness.send(query),
        OadrCreatedPartyRegistration,
        "the oadrQueryRegistration",
        request_id=query.request_id,
    )
    ctx.check(bool(created.vtn_id), f"the answer carries the VTN's vtnID ({created.vtn_id})")
    offered = {profile.profile_name: profile.transports for profile in created.profiles}
    check_seen(
        ctx,
        TransportName.SIMPLE_HTTP in offered.get(ProfileName.B, ()),
        "the VTN offers the profile 2.0b with the simpleHttp transport",
        {str(name): [str(transport) for transport in transports] for name, transports in offered.items()},
    )
    frequency = created.requested_poll_freq
    check_seen(
        ctx,
        frequency is not None and frequency > timedelta(0),
        "the answer carries a positive oadrRequestedOadrPollFreq",
        frequency,
    )
    check_seen(
        ctx,
        created.registration_id is None or bool(created.ven_id),
        "a registrationID in the answer comes with the venID it belongs to",
        (created.registration_id, created.ven_id),
    )

    async def nobody_registered(view: VtnView) -> bool:
        vens = await view.vtn.registrations.list()
        return not view.journal.registered and not any(ven.registered for ven in vens)

    await ctx.observe("the query registered no VEN at the VTN", nobody_registered, timeout=0)
    registration = await harness.register(register_reports=False)
    confirmed = sent_last(ctx, OadrCreatePartyRegistration)
    answered(
        ctx,
        answer_to(ctx, confirmed),
        OadrCreatedPartyRegistration,
        "the registration (2.0b, simpleHttp) that follows the query",
        request_id=confirmed.request_id if confirmed is not None else None,
    )
    check_seen(
        ctx,
        registration.vtn_id == created.vtn_id,
        f"the registration is confirmed under the vtnID the query gave ({created.vtn_id})",
        registration.vtn_id,
    )


@case(
    "N1_0015",
    role=Role.VTN,
    title="query while registered: the answer carries the existing registrationID",
)
async def query_while_registered(ctx: VtnCaseContext) -> None:
    """The registered harness sends oadrQueryRegistration again. A 2.0b query carries only a
    requestID: the VTN can tell who asks only by the TLS client certificate the query came
    with (the certificate the registration is bound to). Over TLS, the VTN answers
    oadrCreatedPartyRegistration 200 echoing the requestID, carrying the existing
    registrationID and the VEN's venID (and the same vtnID); the query changes nothing: the
    registration stands (observed) and the VEN is still served under it. Without TLS no VTN can
    know who asks: the case checks the answer is a proper oadrCreatedPartyRegistration 200 and
    then does not apply (run it over TLS)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    query = OadrQueryRegistration(request_id=new_id())
    created = answered(
        ctx,
        await harness.send(query),
        OadrCreatedPartyRegistration,
        "the oadrQueryRegistration while registered",
        request_id=query.request_id,
    )
    check_seen(
        ctx,
        created.vtn_id == registration.vtn_id,
        f"the answer carries the same vtnID ({registration.vtn_id})",
        created.vtn_id,
    )
    if not harness.url.startswith("https://"):
        ctx.not_applicable(
            "the run has no TLS: an oadrQueryRegistration carries only a requestID, so a VTN can "
            "tell a registered VEN's query only by its TLS client certificate (run the case over "
            "TLS, HarnessSecurity(client_ssl=...))"
        )
    check_seen(
        ctx,
        created.registration_id == registration.registration_id,
        f"the answer carries the existing registrationID {registration.registration_id}",
        created.registration_id,
    )
    check_seen(
        ctx,
        created.ven_id == registration.ven_id,
        f"the answer carries the VEN's venID {registration.ven_id}",
        created.ven_id,
    )
    await observe_registration(ctx, registration.ven_id, registration.registration_id)
    await still_served(ctx, registration.ven_id, "after the query")


@case(
    "N1_0020",
    role=Role.VTN,
    title=(
        "bootstrap: Query → CreatePartyRegistration → oadrRegisterReport (METADATA) both ways → "
        "VEN polls at oadrRequestedOadrPollFreq"
    ),
    rules=(54, 55),
)
async def bootstrap(ctx: VtnCaseContext) -> None:
    """The harness queries and registers (2.0b, simpleHttp, pull or push with its
    transportAddress): the VTN confirms with oadrCreatedPartyRegistration 200 echoing the
    requestID, with a venID, a registrationID and the vtnID of the query. The harness offers its
    METADATA reports (oadrRegisterReport, reportRequestID 0): the VTN answers
    oadrRegisteredReport 200 echoing the requestID. The VTN offers its own (an
    oadrRegisterReport for the VEN's venID, queued for its poll or pushed, each report with
    reportRequestID 0): the harness confirms with oadrRegisteredReport (in pull the VTN
    acknowledges that with oadrResponse 200). In pull the harness then polls at the VTN's
    oadrRequestedOadrPollFreq (rules 54, 55): each poll is answered oadrResponse 200 naming the
    venID once nothing is queued. Observed: the VTN holds the registration with the VEN's
    transport (pull or push, its transportAddress) and its offered reports."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    request = sent_last(ctx, OadrCreatePartyRegistration)
    created = answered(
        ctx,
        answer_to(ctx, request),
        OadrCreatedPartyRegistration,
        "the oadrCreatePartyRegistration",
        request_id=request.request_id if request is not None else None,
    )
    query = answer_to(ctx, sent_last(ctx, OadrQueryRegistration))
    check_seen(
        ctx,
        isinstance(query, OadrCreatedPartyRegistration) and query.vtn_id == created.vtn_id,
        f"the registration carries the vtnID of the query's answer ({created.vtn_id})",
        query.vtn_id if isinstance(query, OadrCreatedPartyRegistration) else shown(query),
    )
    ctx.check(
        bool(created.ven_id) and bool(created.registration_id),
        f"the VTN gave the VEN a venID ({created.ven_id}) and a registrationID ({created.registration_id})",
    )
    offer = sent_last(ctx, OadrRegisterReport)
    answered(
        ctx,
        answer_to(ctx, offer),
        OadrRegisteredReport,
        "the VEN's oadrRegisterReport (its METADATA reports)",
        request_id=offer.request_id if offer is not None else None,
    )
    [theirs, *_] = harness.inbox.of(OadrRegisterReport)
    check_seen(
        ctx,
        theirs.ven_id in (None, registration.ven_id),
        f"the VTN's oadrRegisterReport is for the VEN's venID {registration.ven_id}",
        theirs.ven_id,
    )
    ids = sorted({report.report_request_id for report in theirs.reports})
    check_seen(
        ctx,
        ids in ([], [UNSOLICITED_REPORT_REQUEST_ID]),
        "the VTN's unsolicited METADATA reports carry reportRequestID 0",
        ids,
    )
    if ctx.pull:
        confirmation = sent_last(ctx, OadrRegisteredReport)
        answered(ctx, answer_to(ctx, confirmation), OadrResponse, "the VEN's oadrRegisteredReport")
        gap = _poll_seconds(registration)
        for number in (1, 2):
            await asyncio.sleep(gap)
            got = await harness.poll()
            check_seen(
                ctx,
                isinstance(got, OadrResponse)
                and got.ei_response.response_code == ResponseCode.OK
                and got.ven_id in (None, registration.ven_id),
                f"poll {number} at the requested frequency ({gap:g} s) is answered oadrResponse 200 "
                f"naming the venID {registration.ven_id}",
                shown(got),
            )

    async def holds_transport(view: VtnView) -> bool:
        ven = await view.ven(registration.ven_id)
        return (
            ven is not None
            and ven.registration_id == registration.registration_id
            and ven.http_pull_model is ctx.pull
            and ven.transport_address == (None if ctx.pull else harness.transport_address)
        )

    await ctx.observe(
        f"the VTN holds the registration {registration.registration_id} for HTTP {ctx.transport}"
        + ("" if ctx.pull else f" to {harness.transport_address}"),
        holds_transport,
    )
    offered_ids = sorted(report.report_specifier_id for report in harness.reports)

    async def holds_reports(view: VtnView) -> bool:
        reports = await view.vtn.store.list_report_capabilities(registration.ven_id)
        return sorted(report.report_specifier_id for report in reports) == offered_ids

    await ctx.observe(f"the VTN keeps the VEN's offered reports ({', '.join(offered_ids)})", holds_reports)


@case(
    "N1_0025",
    role=Role.VTN,
    title="VEN with a pre-allocated venID sends it in oadrCreatePartyRegistration",
)
async def preallocated_ven_id(ctx: VtnCaseContext) -> None:
    """The harness registers from scratch (no registrationID) naming the venID
    ``TH_VEN_PREALLOCATED`` in its oadrCreatePartyRegistration, as a VEN provisioned with a
    venID does (provision that venID on an external VTN first; our VTN accepts the venID a VEN
    asks for). The VTN confirms with oadrCreatedPartyRegistration 200 carrying that venID and a
    registrationID, and serves the VEN under it: its oadrRegisterReport is answered 200, and
    (pull) its polls or (push) its oadrRequestEvent. Observed: the VTN holds the registration
    under the pre-allocated venID."""
    harness = ctx.harness
    registration = await harness.register(ven_id=PREALLOCATED_VEN_ID)
    request = sent_last(ctx, OadrCreatePartyRegistration)
    ctx.check(
        request is not None and request.ven_id == PREALLOCATED_VEN_ID and request.registration_id is None,
        f"the harness registered from scratch naming the venID {PREALLOCATED_VEN_ID}",
    )
    answered(
        ctx,
        answer_to(ctx, request),
        OadrCreatedPartyRegistration,
        f"the registration with the pre-allocated venID {PREALLOCATED_VEN_ID}",
        request_id=request.request_id if request is not None else None,
    )
    check_seen(
        ctx,
        registration.ven_id == PREALLOCATED_VEN_ID,
        f"the VTN registers the VEN under its pre-allocated venID {PREALLOCATED_VEN_ID}",
        registration.ven_id,
    )
    await harness.registered(timeout=ctx.timeouts.action)
    await observe_registration(ctx, PREALLOCATED_VEN_ID, registration.registration_id)
    await still_served(ctx, PREALLOCATED_VEN_ID, "under its pre-allocated venID")


@case(
    "N1_0030",
    role=Role.VTN,
    title="VEN-initiated oadrCancelPartyRegistration → oadrCanceledPartyRegistration, pair unregistered",
)
async def ven_cancels_registration(ctx: VtnCaseContext) -> None:
    """The registered harness sends oadrCancelPartyRegistration with its registrationID and
    venID. The VTN answers oadrCanceledPartyRegistration 200 echoing the requestID and naming the
    cancelled registrationID. The pair is then unregistered: the VTN refuses the former venID's
    oadrPoll (pull) or oadrRequestEvent (push) with 463 (or 452), and (observed) holds the VEN as
    not registered."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    answer = await harness.cancel_registration()
    cancel = sent_last(ctx, OadrCancelPartyRegistration)
    answered(
        ctx,
        answer,
        OadrCanceledPartyRegistration,
        "the VEN's oadrCancelPartyRegistration",
        request_id=cancel.request_id if cancel is not None else None,
    )
    check_seen(
        ctx,
        answer.registration_id == registration.registration_id,
        f"the VTN's oadrCanceledPartyRegistration names the cancelled registrationID "
        f"{registration.registration_id}",
        answer.registration_id,
    )
    await refused_as_unregistered(ctx, registration.ven_id, "once its registration was cancelled")
    await observe_registration(ctx, registration.ven_id, None)


@case(
    "N1_0040",
    role=Role.VTN,
    title="VTN-initiated oadrCancelPartyRegistration; VEN answers oadrCanceledPartyRegistration",
)
async def vtn_cancels_registration(ctx: VtnCaseContext) -> None:
    """The VTN is made to cancel the harness's registration: it sends oadrCancelPartyRegistration
    (queued for the VEN's poll, or pushed) naming the VEN's registrationID (and its venID, or
    none) with a requestID. The harness answers oadrCanceledPartyRegistration 200 (in pull a POST,
    which the VTN acknowledges with oadrResponse 200; in push the HTTP answer). The registration
    has then ended: the VTN refuses the former venID's oadrPoll (pull) or oadrRequestEvent
    (push) with 463 (or 452), and (observed) holds the VEN as not registered."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    since = harness.mark()
    await ctx.device.cancel_registration(registration.ven_id)
    cancel = await harness.wait_for(
        OadrCancelPartyRegistration,
        since=since,
        timeout=ctx.timeouts.action,
        what="an oadrCancelPartyRegistration after it was made to cancel the registration",
    )
    check_seen(
        ctx,
        cancel.registration_id == registration.registration_id,
        "the VTN's oadrCancelPartyRegistration names the VEN's registrationID "
        f"{registration.registration_id}",
        cancel.registration_id,
    )
    check_seen(
        ctx,
        cancel.ven_id in (None, registration.ven_id),
        f"the VTN's oadrCancelPartyRegistration names the VEN's venID {registration.ven_id} (or none)",
        cancel.ven_id,
    )
    ctx.check(bool(cancel.request_id), "the VTN's oadrCancelPartyRegistration carries a requestID")
    forgotten = await until(lambda: harness.registration is None, ctx.timeouts.message)
    ctx.check(forgotten, "the harness confirmed the cancellation (oadrCanceledPartyRegistration 200)")
    if ctx.pull:
        confirmation = sent_last(ctx, OadrCanceledPartyRegistration)
        answered(ctx, answer_to(ctx, confirmation), OadrResponse, "the VEN's oadrCanceledPartyRegistration")
    await refused_as_unregistered(ctx, registration.ven_id, "once it cancelled the registration")
    await observe_registration(ctx, registration.ven_id, None)


@case(
    "N1_0050",
    role=Role.VTN,
    title="VTN sends oadrRequestReregistration; VEN answers oadrResponse, then re-registers",
)
async def reregistration_requested(ctx: VtnCaseContext) -> None:
    """The VTN is made to ask the harness to register again: it sends oadrRequestReregistration
    naming the VEN's venID (queued for its poll, or pushed). The harness answers oadrResponse 200
    (in pull a POST the VTN acknowledges with oadrResponse 200), then re-registers with its
    registrationID and venID: the VTN confirms with oadrCreatedPartyRegistration 200 echoing the
    requestID, under the same venID. Observed: the VTN holds the registration it confirmed; it
    goes on serving the VEN."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    since = harness.mark()
    position = len(ctx.transcript.exchanges)
    await ctx.device.request_reregistration(registration.ven_id)
    request = await harness.wait_for(
        OadrRequestReregistration,
        since=since,
        timeout=ctx.timeouts.action,
        what="an oadrRequestReregistration after it was made to ask for one",
    )
    check_seen(
        ctx,
        request.ven_id == registration.ven_id,
        f"the oadrRequestReregistration names the VEN's venID {registration.ven_id}",
        request.ven_id,
    )

    def reregistered() -> bool:
        creates = sent_since(ctx, OadrCreatePartyRegistration, position)
        return bool(creates) and answer_to(ctx, creates[-1]) is not None

    await until(reregistered, ctx.timeouts.message)
    await harness.settle()
    creates = sent_since(ctx, OadrCreatePartyRegistration, position)
    ctx.check(bool(creates), "the harness re-registered after the oadrRequestReregistration")
    again = creates[-1]
    ctx.check(
        again.registration_id == registration.registration_id,
        "the harness re-registered with its registrationID",
    )
    if ctx.pull:
        acknowledged = sent_since(ctx, OadrResponse, position)
        ctx.check(bool(acknowledged), "the harness answered the oadrRequestReregistration with oadrResponse")
        answered(
            ctx,
            answer_to(ctx, acknowledged[0]),
            OadrResponse,
            "the VEN's oadrResponse to the oadrRequestReregistration",
        )
    created = answered(
        ctx,
        answer_to(ctx, again),
        OadrCreatedPartyRegistration,
        "the re-registration",
        request_id=again.request_id,
    )
    check_seen(
        ctx,
        created.ven_id == registration.ven_id,
        f"the VTN confirms the re-registration under the same venID {registration.ven_id}",
        created.ven_id,
    )
    ctx.check(bool(created.registration_id), "the VTN confirms the re-registration with a registrationID")
    await observe_registration(ctx, registration.ven_id, created.registration_id)
    await still_served(ctx, registration.ven_id, "after re-registering")


@case(
    "N1_0060",
    role=Role.VTN,
    title="new registration while registered",
)
async def new_registration_while_registered(ctx: VtnCaseContext) -> None:
    """The registered harness registers again as a new registration: oadrCreatePartyRegistration
    naming its venID but no registrationID. The VTN confirms with oadrCreatedPartyRegistration
    200 echoing the requestID, with a new registrationID (not the old one) and the same venID.
    A VEN holds one registration with a VTN, so the new one replaces the old: an
    oadrCancelPartyRegistration naming the old registrationID is refused with 452, and the VEN
    goes on being served under the new one (observed: the VTN holds the new registrationID)."""
    harness = ctx.harness
    old = await harness.registered(timeout=ctx.timeouts.action)
    await harness.register(ven_id=old.ven_id)
    request = sent_last(ctx, OadrCreatePartyRegistration)
    ctx.check(
        request is not None and request.registration_id is None and request.ven_id == old.ven_id,
        f"the harness registered anew as {old.ven_id} without a registrationID",
    )
    created = answered(
        ctx,
        answer_to(ctx, request),
        OadrCreatedPartyRegistration,
        "the new registration while registered",
        request_id=request.request_id if request is not None else None,
    )
    check_seen(
        ctx,
        created.registration_id not in (None, old.registration_id),
        f"the VTN gives the new registration a new registrationID (not {old.registration_id})",
        created.registration_id,
    )
    check_seen(
        ctx,
        created.ven_id == old.ven_id,
        f"the VTN keeps the venID {old.ven_id} the VEN registered with",
        created.ven_id,
    )
    new = await harness.registered(timeout=ctx.timeouts.action)
    stale = OadrCancelPartyRegistration(
        request_id=new_id(), registration_id=old.registration_id, ven_id=old.ven_id
    )
    answered(
        ctx,
        await harness.send(stale),
        OadrCanceledPartyRegistration,
        f"an oadrCancelPartyRegistration naming the replaced registrationID {old.registration_id}",
        request_id=stale.request_id,
        codes=(ResponseCode.INVALID_ID,),
    )
    await observe_registration(ctx, new.ven_id, new.registration_id)
    await still_served(ctx, new.ven_id, "under the new registration")


@case(
    "N1_0065",
    role=Role.VTN,
    title="re-registration while registered, with the existing registrationID",
)
async def renewal_while_registered(ctx: VtnCaseContext) -> None:
    """The registered harness renews its registration: oadrCreatePartyRegistration with its
    existing registrationID and venID. The VTN confirms with oadrCreatedPartyRegistration 200
    echoing the requestID, under the same venID, with a registrationID (normally the same one).
    Observed: the VTN holds the registration it confirmed; it goes on serving the VEN (its
    METADATA offered again is answered 200, and its polls or oadrRequestEvent)."""
    harness = ctx.harness
    old = await harness.registered(timeout=ctx.timeouts.action)
    renewed = await harness.register(ven_id=old.ven_id, registration_id=old.registration_id)
    request = sent_last(ctx, OadrCreatePartyRegistration)
    ctx.check(
        request is not None and request.registration_id == old.registration_id,
        f"the harness renewed its registration with the existing registrationID {old.registration_id}",
    )
    created = answered(
        ctx,
        answer_to(ctx, request),
        OadrCreatedPartyRegistration,
        "the renewal",
        request_id=request.request_id if request is not None else None,
    )
    check_seen(
        ctx,
        created.ven_id == old.ven_id,
        f"the VTN confirms the renewal under the same venID {old.ven_id}",
        created.ven_id,
    )
    ctx.check(bool(created.registration_id), "the VTN confirms the renewal with a registrationID")
    await harness.registered(timeout=ctx.timeouts.action)
    await observe_registration(ctx, old.ven_id, renewed.registration_id)
    await still_served(ctx, old.ven_id, "after the renewal")


@case(
    "N1_0070",
    role=Role.VTN,
    title="negative: cancel with an invalid registrationID → 452; then a valid cancel succeeds",
)
async def cancel_with_invalid_registration_id(ctx: VtnCaseContext) -> None:
    """The registered harness sends oadrCancelPartyRegistration with a registrationID that is not
    its own (and its venID): the VTN answers oadrCanceledPartyRegistration 452 echoing the
    requestID; so it does for the VEN's registrationID with its case swapped (IDs are
    case-sensitive; skipped when swapping changes nothing). The registration stands (observed;
    the VEN is still served). Then the harness
    cancels with its registrationID: the VTN answers 200 and the pair is unregistered (as in
    N1_0030: the former venID is refused with 463 or 452)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    wrong = OadrCancelPartyRegistration(
        request_id=new_id(), registration_id=f"TH-INVALID-{new_id()[:12]}", ven_id=registration.ven_id
    )
    answered(
        ctx,
        await harness.send(wrong),
        OadrCanceledPartyRegistration,
        f"an oadrCancelPartyRegistration naming the invalid registrationID {wrong.registration_id}",
        request_id=wrong.request_id,
        codes=(ResponseCode.INVALID_ID,),
    )
    swapped = registration.registration_id.swapcase()
    if swapped != registration.registration_id:
        wrong = OadrCancelPartyRegistration(
            request_id=new_id(), registration_id=swapped, ven_id=registration.ven_id
        )
        answered(
            ctx,
            await harness.send(wrong),
            OadrCanceledPartyRegistration,
            f"an oadrCancelPartyRegistration naming {swapped}, the VEN's registrationID with its case "
            "swapped (IDs are case-sensitive)",
            request_id=wrong.request_id,
            codes=(ResponseCode.INVALID_ID,),
        )
    await observe_registration(ctx, registration.ven_id, registration.registration_id)
    await still_served(ctx, registration.ven_id, "after the refused cancellation")
    answer = await harness.cancel_registration()
    right = sent_last(ctx, OadrCancelPartyRegistration)
    answered(
        ctx,
        answer,
        OadrCanceledPartyRegistration,
        f"the oadrCancelPartyRegistration naming the VEN's registrationID {registration.registration_id}",
        request_id=right.request_id if right is not None else None,
    )
    await refused_as_unregistered(ctx, registration.ven_id, "once its registration was cancelled")
    await observe_registration(ctx, registration.ven_id, None)


@case(
    "N1_0080",
    role=Role.VTN,
    title="negative: a payload (e.g. oadrCreateOpt) from an unregistered VEN is not processed",
)
async def payload_from_unregistered_ven(ctx: VtnCaseContext) -> None:
    """The registered harness cancels its registration (confirmed 200); then two VENs that are
    not registered send an oadrCreateOpt (an optOut schedule an hour ahead): one whose venID the
    VTN never registered (``TH-UNREGISTERED-...``), and the harness naming its former venID. Both
    are sent as an unregistered VEN sends them: without the XML signature of a registration (a
    VTN that negotiated signatures with the former venID may refuse the unsigned one for that
    too). The VTN refuses each with oadrCreatedOpt 463 (or 452) and does not process it
    (observed: our VTN stores no opt for either venID and its on_opt handler is not called)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    answered(ctx, await harness.cancel_registration(), OadrCanceledPartyRegistration, "the cancellation")
    stranger = f"TH-UNREGISTERED-{new_id()[:10]}"
    sent = [
        await _refused_opt(ctx, stranger, "a VEN that never registered"),
        await _refused_opt(ctx, registration.ven_id, "the VEN whose registration was cancelled"),
    ]
    opt_ids = {opt.opt_id for opt in sent}

    async def nothing_stored(view: VtnView) -> bool:
        for ven_id in (stranger, registration.ven_id):
            if await view.vtn.opts.list(ven_id):
                return False
        return not any(opt.opt_id in opt_ids for opt in view.journal.opts)

    await ctx.observe("the VTN stored none of the refused opts (nor told its application)", nothing_stored)


async def _refused_opt(ctx: VtnCaseContext, ven_id: str, who: str) -> OadrCreateOpt:
    """Send an optOut schedule naming ``ven_id`` (not registered) and check it is refused."""
    opt = schedule_opt(ctx, ven_id, [(timedelta(hours=1), timedelta(hours=1))], opt_type=OptType.OPT_OUT)
    answered(
        ctx,
        await ctx.harness.send(opt),
        OadrCreatedOpt,
        f"the oadrCreateOpt of {who} ({ven_id})",
        request_id=opt.request_id,
        codes=REFUSED_AS_UNREGISTERED,
    )
    return opt
