"""Registration (EiRegisterParty) cases whose device is a VEN: N1_00xx / N0_50xx ``TH_VTN``."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ...errors import OpenADRError
from ...model import (
    EiResponse,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreatePartyRegistration,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrRequestReregistration,
    OadrResponse,
    Payload,
    ProfileName,
    ResponseCode,
    TransportName,
)
from ...vtn.policies import new_id
from .. import build
from ..case import CaseFailed, Role, case
from ..context import VenCaseContext
from ..harness_vtn import HarnessRegistration, idle_poll_gaps
from ..transcript import message_name
from ._steps import check_seen
from ._ven_steps import (
    act,
    answer_to,
    delivered_answer,
    ended_registration_unused,
    polls_go_on,
)

if TYPE_CHECKING:
    from ..our_ven import VenView


@case(
    "N1_0010",
    role=Role.VEN,
    title="VEN sends oadrQueryRegistration; VTN answers oadrCreatedPartyRegistration",
)
async def query_registration(ctx: VenCaseContext) -> None:
    """The VEN, registering from scratch, asks what the VTN supports before it registers, and
    registers with what the answer offered (2.0b, simpleHttp)."""
    await ctx.device.begin_registration()
    harness = ctx.harness
    query = await harness.wait_for(OadrQueryRegistration, timeout=ctx.timeouts.action)
    ctx.check(bool(query.request_id), "the oadrQueryRegistration carries a requestID")
    queried_at = harness.inbox.index_of(query)
    created = await harness.wait_for(OadrCreatePartyRegistration, since=queried_at)
    ctx.check(
        created.profile_name == ProfileName.B, "the VEN registers with the 2.0b profile the VTN offered"
    )
    ctx.check(
        created.transport_name == TransportName.SIMPLE_HTTP,
        "the VEN registers with the simpleHttp transport the VTN offered",
    )
    ctx.check(created.http_pull_model is (ctx.pull), f"the VEN registers for HTTP {ctx.transport}")


@case(
    "N1_0020",
    role=Role.VEN,
    title=(
        "bootstrap: Query → CreatePartyRegistration → oadrRegisterReport (METADATA) both ways → "
        "VEN polls at oadrRequestedOadrPollFreq"
    ),
    rules=(54, 55),
)
async def bootstrap(ctx: VenCaseContext) -> None:
    """The VEN registers and offers its reports (oadrRegisterReport, reportRequestID 0 when
    unsolicited); the harness offers its own (none) and the VEN confirms them with
    oadrRegisteredReport; in pull, the VEN then polls no faster than the requested frequency."""
    harness = ctx.harness
    await ctx.device.begin_registration()
    registration = await harness.registered(timeout=ctx.timeouts.action)
    offered = harness.inbox.of(OadrRegisterReport)
    ctx.check(bool(offered), "the VEN offered its reports (oadrRegisterReport) after registering")
    ctx.check(offered[-1].ven_id == registration.ven_id, "the VEN's oadrRegisterReport names its venID")
    since = harness.mark()
    await harness.deliver(OadrRegisterReport(request_id=new_id(), reports=(), ven_id=registration.ven_id))
    confirmed = await harness.wait_for(OadrRegisteredReport, since=since)
    ctx.check(
        confirmed.ei_response.response_code == "200",
        "the VEN confirms the VTN's oadrRegisterReport with oadrRegisteredReport 200",
    )
    if ctx.pull:
        for _ in range(4):
            await harness.wait_for(OadrPoll, since=harness.mark())
        gaps = idle_poll_gaps(harness.polls)[-3:]
        interval = harness.poll_frequency.total_seconds()
        shown = ", ".join(f"{gap:.2f}" for gap in gaps)
        ctx.check(len(gaps) >= 2, "the VEN polls again after an empty answer")
        ctx.check(
            all(gap >= interval * 0.9 for gap in gaps),
            f"the VEN polls no faster than every {interval:g} s (gaps {shown} s)",
        )
        ctx.check(
            all(gap <= interval * 3 + 1 for gap in gaps),
            f"the VEN keeps polling about every {interval:g} s (gaps {shown} s)",
        )


@case(
    "N1_0015",
    role=Role.VEN,
    title="query while registered: the answer carries the existing registrationID",
)
async def query_while_registered(ctx: VenCaseContext) -> None:
    """The registered VEN is made to register again, renewing its registration: it first sends
    oadrQueryRegistration, which the harness answers with oadrCreatedPartyRegistration carrying
    the existing registrationID and venID. The VEN must take that as its registration still
    standing: its oadrCreatePartyRegistration renews it (the same registrationID and venID,
    answered 200), it keeps the registrationID, and (pull) goes on polling as the same venID."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    since = harness.mark()
    refused = await act(ctx.device.register_again(keep_registration_id=True))
    query = await harness.wait_for(
        OadrQueryRegistration,
        since=since,
        timeout=ctx.timeouts.action,
        what="an oadrQueryRegistration while registered",
    )
    answer = answer_to(ctx, query)
    ctx.check(
        isinstance(answer, OadrCreatedPartyRegistration)
        and answer.registration_id == registration.registration_id,
        "the harness answered the query with the existing registrationID",
    )
    after_query = harness.inbox.index_of(query)
    renewal = await harness.wait_for(
        OadrCreatePartyRegistration, since=after_query, what="an oadrCreatePartyRegistration after the query"
    )
    check_seen(
        ctx,
        renewal.registration_id == registration.registration_id,
        f"the VEN renews its registration with the existing registrationID {registration.registration_id}",
        renewal.registration_id,
    )
    ctx.check(renewal.ven_id in (None, registration.ven_id), "the renewal names the VEN's venID (or none)")
    created = answer_to(ctx, renewal)
    ctx.check(
        isinstance(created, OadrCreatedPartyRegistration) and created.ei_response.response_code == "200",
        "the harness confirmed the renewal with oadrCreatedPartyRegistration 200",
    )
    check_seen(ctx, refused is None, "the VEN carried the renewal out without an error", refused)
    await _holds_registration(ctx, registration.registration_id, registration.ven_id)
    await polls_go_on(ctx, since=harness.inbox.index_of(renewal), ven_id=registration.ven_id)


@case(
    "N1_0025",
    role=Role.VEN,
    title="VEN with a pre-allocated venID sends it in oadrCreatePartyRegistration",
)
async def preallocated_ven_id(ctx: VenCaseContext) -> None:
    """The VEN, provisioned with a venID beforehand, registers from scratch: its
    oadrCreatePartyRegistration carries that venID, the harness confirms it, and every message
    the VEN sends under the registration (oadrRegisterReport, oadrPoll) names it. A tester
    confirms the venID sent is the one the VEN was provisioned with (our VEN: its configured
    ven_id). A VEN that sends no venID is not provisioned with one: the case does not apply
    (our VEN: unless it was configured with one, which fails the case)."""
    harness = ctx.harness
    await ctx.device.begin_registration()
    create = await harness.wait_for(
        OadrCreatePartyRegistration, timeout=ctx.timeouts.action, what="an oadrCreatePartyRegistration"
    )
    sent = create.ven_id
    if sent is None:
        if ctx.observable:
            await ctx.observe(
                "the VEN that sent no venID has none pre-allocated (our VEN: no configured ven_id)",
                lambda seen: seen.ven.config.ven_id is None,
                timeout=0,
            )
        ctx.not_applicable(
            "the VEN sent no venID in oadrCreatePartyRegistration: it has none pre-allocated "
            "(provision it with one and run the case again)"
        )
    registration = await harness.registered(timeout=ctx.timeouts.action)
    ctx.check(
        registration.ven_id == sent,
        f"the harness registered the VEN with its pre-allocated venID {sent}",
    )
    ctx.check(create.registration_id is None, "a registration from scratch carries no registrationID")
    await ctx.observe(
        f"the VEN was provisioned with the venID {sent} it sent",
        lambda seen: seen.ven.config.ven_id == sent,
        timeout=0,
    )
    offered = harness.inbox.of(OadrRegisterReport)
    ctx.check(
        bool(offered) and all(report.ven_id == sent for report in offered),
        f"the VEN's oadrRegisterReport names the venID {sent}",
    )
    if ctx.pull:
        since = harness.mark()
        await harness.wait_for(OadrPoll, since=since)
    polls = harness.inbox.of(OadrPoll)
    ctx.check(all(poll.ven_id == sent for poll in polls), f"every oadrPoll of the VEN names the venID {sent}")
    await _holds_registration(ctx, registration.registration_id, sent)


@case(
    "N1_0030",
    role=Role.VEN,
    title="VEN-initiated oadrCancelPartyRegistration → oadrCanceledPartyRegistration, pair unregistered",
)
async def ven_cancels_registration(ctx: VenCaseContext) -> None:
    """The registered VEN is made to cancel its registration: its oadrCancelPartyRegistration
    names its registrationID (and venID); the harness confirms with oadrCanceledPartyRegistration
    200. From then on the VEN sends nothing under the ended registration for three poll
    intervals (no more polls: one already in flight is allowed), and considers itself
    unregistered."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    since = harness.mark()
    refused = await act(ctx.device.cancel_registration())
    cancel = await harness.wait_for(
        OadrCancelPartyRegistration,
        since=since,
        timeout=ctx.timeouts.action,
        what="an oadrCancelPartyRegistration",
    )
    check_seen(
        ctx,
        cancel.registration_id == registration.registration_id,
        f"the oadrCancelPartyRegistration names the VEN's registrationID {registration.registration_id}",
        cancel.registration_id,
    )
    ctx.check(
        cancel.ven_id in (None, registration.ven_id), "the oadrCancelPartyRegistration names the VEN's venID"
    )
    ctx.check(bool(cancel.request_id), "the oadrCancelPartyRegistration carries a requestID")
    answer = answer_to(ctx, cancel)
    ctx.check(
        isinstance(answer, OadrCanceledPartyRegistration) and answer.ei_response.response_code == "200",
        "the harness confirmed the cancellation with oadrCanceledPartyRegistration 200",
    )
    check_seen(ctx, refused is None, "the VEN carried the cancellation out without an error", refused)
    ended = harness.inbox.index_of(cancel) + 1
    await ended_registration_unused(ctx, registration, since=ended)
    await ctx.observe("the VEN considers itself unregistered", lambda seen: seen.registration is None)


@case(
    "N1_0040",
    role=Role.VEN,
    title="VTN-initiated oadrCancelPartyRegistration; VEN answers oadrCanceledPartyRegistration",
)
async def vtn_cancels_registration(ctx: VenCaseContext) -> None:
    """The harness sends oadrCancelPartyRegistration for the VEN's registrationID (queued for its
    poll, or pushed). The VEN answers oadrCanceledPartyRegistration 200 echoing the requestID
    and the registrationID; then it sends nothing under the ended registration for three poll
    intervals (no more polls: one already in flight is allowed), and considers itself
    unregistered."""
    registration = await ctx.harness.registered(timeout=ctx.timeouts.action)
    await _harness_cancels(ctx, registration, registration.registration_id, ResponseCode.OK)
    await _registration_ended(ctx, registration)


@case(
    "N1_0050",
    role=Role.VEN,
    title="VTN sends oadrRequestReregistration; VEN answers oadrResponse, then re-registers",
)
async def reregistration_requested(ctx: VenCaseContext) -> None:
    """The harness sends oadrRequestReregistration (queued for the VEN's poll, or pushed). The VEN
    answers oadrResponse 200, then registers again on its own: an oadrCreatePartyRegistration
    (with its current registrationID, or none) that the harness confirms with 200, followed by
    its oadrRegisterReport (its METADATA again); it holds the registration the harness
    confirmed and (pull) goes on polling under it."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    since = harness.mark()
    answer = await delivered_answer(
        ctx, OadrRequestReregistration(ven_id=registration.ven_id), OadrResponse, since=since
    )
    check_seen(
        ctx,
        answer.ei_response.response_code == "200",
        "the VEN answers oadrRequestReregistration with oadrResponse 200",
        answer.ei_response.response_code,
    )
    ctx.check(answer.ven_id in (None, registration.ven_id), "the VEN's oadrResponse names its venID")
    create = await harness.wait_for(
        OadrCreatePartyRegistration, since=since, what="an oadrCreatePartyRegistration after the request"
    )
    ctx.check(
        create.registration_id in (None, registration.registration_id),
        "the VEN re-registers with its current registrationID or as a new registration",
    )
    created = answer_to(ctx, create)
    ctx.check(
        isinstance(created, OadrCreatedPartyRegistration) and created.ei_response.response_code == "200",
        "the harness confirmed the re-registration with oadrCreatedPartyRegistration 200",
    )
    assert isinstance(created, OadrCreatedPartyRegistration)
    after = harness.inbox.index_of(create) + 1
    ven_id = created.ven_id or registration.ven_id
    offered = await harness.wait_for(
        OadrRegisterReport, since=after, what="an oadrRegisterReport (its METADATA) after re-registering"
    )
    check_seen(
        ctx,
        offered.ven_id == ven_id,
        f"the VEN offers its reports again (oadrRegisterReport) as {ven_id}",
        offered.ven_id,
    )
    await _holds_registration(ctx, created.registration_id or "", ven_id)
    await polls_go_on(ctx, since=after, ven_id=ven_id)


@case(
    "N1_0060",
    role=Role.VEN,
    title="new registration while registered",
)
async def new_registration_while_registered(ctx: VenCaseContext) -> None:
    """The registered VEN is made to register as a new registration (as after a reset of its
    registration): its oadrCreatePartyRegistration carries no registrationID; the harness
    confirms a new registrationID. The VEN then holds the new registrationID, offers its reports
    again (oadrRegisterReport) and (pull) goes on polling."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    refused, create = await _made_to_register_again(ctx, keep_registration_id=False)
    check_seen(
        ctx,
        create.registration_id is None,
        "the new registration's oadrCreatePartyRegistration carries no registrationID",
        create.registration_id,
    )
    created = answer_to(ctx, create)
    ctx.check(
        isinstance(created, OadrCreatedPartyRegistration)
        and created.ei_response.response_code == "200"
        and created.registration_id not in (None, registration.registration_id),
        "the harness confirmed a new registrationID with oadrCreatedPartyRegistration 200",
    )
    assert isinstance(created, OadrCreatedPartyRegistration)
    assert created.registration_id is not None
    check_seen(ctx, refused is None, "the VEN carried the registration out without an error", refused)
    after = harness.inbox.index_of(create) + 1
    ven_id = created.ven_id or registration.ven_id
    offered = await harness.wait_for(
        OadrRegisterReport, since=after, what="an oadrRegisterReport (its METADATA) for the new registration"
    )
    check_seen(
        ctx,
        offered.ven_id == ven_id,
        f"the VEN offers its reports again (oadrRegisterReport) as {ven_id} for the new registration",
        offered.ven_id,
    )
    old = registration.registration_id

    def holds_the_new_one(seen: VenView) -> bool:
        held, current = seen.registration, harness.registration
        return (
            held is not None
            and current is not None
            and held.registration_id == current.registration_id != old
            and held.ven_id == ven_id
        )

    await ctx.observe(
        f"the VEN holds the new registration the harness confirmed, as {ven_id}", holds_the_new_one
    )
    await polls_go_on(ctx, since=after, ven_id=ven_id)


@case(
    "N1_0065",
    role=Role.VEN,
    title="re-registration while registered, with the existing registrationID",
)
async def renewal_while_registered(ctx: VenCaseContext) -> None:
    """The registered VEN is made to renew its registration: its oadrCreatePartyRegistration
    carries its existing registrationID and venID; the harness confirms the same registrationID
    with 200. The VEN keeps that registrationID and (pull) goes on polling as the same venID."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    refused, create = await _made_to_register_again(ctx, keep_registration_id=True)
    check_seen(
        ctx,
        create.registration_id == registration.registration_id,
        f"the renewal carries the existing registrationID {registration.registration_id}",
        create.registration_id,
    )
    ctx.check(
        create.ven_id == registration.ven_id, f"the renewal names the VEN's venID {registration.ven_id}"
    )
    created = answer_to(ctx, create)
    ctx.check(
        isinstance(created, OadrCreatedPartyRegistration)
        and created.ei_response.response_code == "200"
        and created.registration_id == registration.registration_id,
        "the harness confirmed the same registrationID with oadrCreatedPartyRegistration 200",
    )
    check_seen(ctx, refused is None, "the VEN carried the renewal out without an error", refused)
    await _holds_registration(ctx, registration.registration_id, registration.ven_id)
    after = harness.inbox.index_of(create) + 1
    await polls_go_on(ctx, since=after, ven_id=registration.ven_id)


@case(
    "N1_0070",
    role=Role.VEN,
    title="negative: cancel with an invalid registrationID → 452; then a valid cancel succeeds",
)
async def cancel_with_invalid_registration_id(ctx: VenCaseContext) -> None:
    """The harness sends oadrCancelPartyRegistration with a registrationID that is not the
    VEN's: the VEN answers oadrCanceledPartyRegistration with 452 (invalid ID) and stays
    registered ((pull) it goes on polling; it still holds its registrationID). Then the harness
    cancels with the right registrationID: the VEN answers 200 and stops using the registration
    (as N1_0040)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    await _harness_cancels(ctx, registration, f"TH-INVALID-{new_id()[:12]}", ResponseCode.INVALID_ID)
    ctx.check(harness.registration == registration, "the registration stands after the refused cancellation")
    await polls_go_on(ctx, since=harness.mark(), ven_id=registration.ven_id)
    await _holds_registration(ctx, registration.registration_id, registration.ven_id)
    await _harness_cancels(ctx, registration, registration.registration_id, ResponseCode.OK)
    await _registration_ended(ctx, registration)


@case(
    "N1_0080",
    role=Role.VEN,
    title="negative: a payload from the VTN after the registration ended is not processed",
)
async def payload_after_registration_ended(ctx: VenCaseContext) -> None:
    """The harness cancels the VEN's registration (oadrCancelPartyRegistration, confirmed 200 as
    in N1_0040), then sends an oadrDistributeEvent with an event for the VEN's former venID.
    Push: the harness POSTs it to the VEN's transportAddress; the VEN must not accept it: it
    answers with an error responseCode (463 not registered, say), in an oadrResponse or an
    oadrCreatedEvent, or no longer takes connections at all. Pull: it is queued; an unregistered
    VEN has no registration to poll under, so it normally never takes it (it is checked not to
    poll as the former venID); if it polls anyway and takes it, it must not answer it with an
    oadrCreatedEvent 200. Either way the event never reaches the VEN's logic (observed: no
    on_event call, not among its known events)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    await _harness_cancels(ctx, registration, registration.registration_id, ResponseCode.OK)
    since = harness.mark()
    late = build.event(ven_id=registration.ven_id, start=ctx.now() + timedelta(minutes=2))
    event_id = late.ei_event.event_descriptor.event_id
    payload = build.distribution(harness.vtn_id, late)
    if ctx.pull:
        await harness.deliver(payload, wait=False)
        await ended_registration_unused(ctx, registration, since=since)
        taken = harness.queued() == 0
        ctx.check(
            True, "the VEN " + ("took" if taken else "did not take") + " the queued oadrDistributeEvent"
        )
    else:
        try:
            answer = await harness.deliver_to(registration, payload)
        except CaseFailed as closed:
            ctx.check(True, f"the VEN's push endpoint no longer takes the harness's messages ({closed})")
        else:
            codes = _answer_codes(answer)
            check_seen(
                ctx,
                bool(codes) and ResponseCode.OK not in codes,
                "the VEN answers the oadrDistributeEvent for its ended registration with an error "
                f"responseCode ({', '.join(codes)})",
                f"{message_name(answer) if answer else 'nothing readable'} {', '.join(codes) or 'no code'}",
            )
    accepted = [
        response
        for created in harness.inbox.of(OadrCreatedEvent, since=since)
        for response in created.event_responses
        if response.qualified_event_id.event_id == event_id and response.response_code == ResponseCode.OK
    ]
    ctx.check(not accepted, "the VEN does not accept the event with an oadrCreatedEvent 200")
    await ctx.observe(
        "the event sent after the registration ended never reaches the VEN's logic",
        lambda seen: not seen.called("event", event_id) and event_id not in seen.events(),
        timeout=0,
    )


async def _made_to_register_again(
    ctx: VenCaseContext, *, keep_registration_id: bool
) -> tuple[OpenADRError | None, OadrCreatePartyRegistration]:
    """Make the registered VEN register again (renewing its registration, or as a new one); the
    error it raised, if any (see :func:`~._ven_steps.act`), and its oadrCreatePartyRegistration."""
    since = ctx.harness.mark()
    refused = await act(ctx.device.register_again(keep_registration_id=keep_registration_id))
    create = await ctx.harness.wait_for(
        OadrCreatePartyRegistration,
        since=since,
        timeout=ctx.timeouts.action,
        what="an oadrCreatePartyRegistration",
    )
    return refused, create


async def _harness_cancels(
    ctx: VenCaseContext, registration: HarnessRegistration, registration_id: str, code: ResponseCode
) -> None:
    """The harness sends oadrCancelPartyRegistration naming ``registration_id`` (queued for the
    VEN's poll, or pushed); the VEN must answer oadrCanceledPartyRegistration ``code``."""
    since = ctx.harness.mark()
    cancel = OadrCancelPartyRegistration(
        request_id=new_id(), registration_id=registration_id, ven_id=registration.ven_id
    )
    answer = await delivered_answer(ctx, cancel, OadrCanceledPartyRegistration, since=since)
    _check_canceled(ctx, answer, cancel, code)


async def _registration_ended(ctx: VenCaseContext, registration: HarnessRegistration) -> None:
    """The VEN confirmed the harness's cancellation of ``registration``: it ended; from then on
    the VEN does not use it (:func:`~._ven_steps.ended_registration_unused`) and considers
    itself unregistered."""
    ctx.check(ctx.harness.registration is None, "the registration ended with the VEN's confirmation")
    await ended_registration_unused(ctx, registration, since=ctx.harness.mark())
    await ctx.observe("the VEN considers itself unregistered", lambda seen: seen.registration is None)


def _check_canceled(
    ctx: VenCaseContext,
    answer: OadrCanceledPartyRegistration,
    cancel: OadrCancelPartyRegistration,
    code: ResponseCode,
) -> None:
    got = answer.ei_response.response_code
    check_seen(
        ctx,
        got == code,
        f"the VEN answers the oadrCancelPartyRegistration for registrationID {cancel.registration_id} "
        f"with oadrCanceledPartyRegistration {code}",
        f"oadrCanceledPartyRegistration {got}",
    )
    ctx.check(
        answer.ei_response.request_id == cancel.request_id,
        "the VEN's oadrCanceledPartyRegistration echoes the requestID",
    )
    if code == ResponseCode.OK:
        ctx.check(
            answer.registration_id == cancel.registration_id,
            "the VEN's oadrCanceledPartyRegistration names the cancelled registrationID",
        )


async def _holds_registration(ctx: VenCaseContext, registration_id: str, ven_id: str) -> None:
    await ctx.observe(
        f"the VEN holds the registration {registration_id} as {ven_id}",
        lambda seen: (
            seen.registration is not None
            and seen.registration.registration_id == registration_id
            and seen.registration.ven_id == ven_id
        ),
    )


def _answer_codes(answer: Payload | None) -> list[str]:
    """The responseCodes of a VEN's answer: its eiResponse's and each eventResponse's."""
    if answer is None:
        return []
    codes: list[str] = []
    response = getattr(answer, "ei_response", None)
    if isinstance(response, EiResponse):
        codes.append(str(response.response_code))
    if isinstance(answer, OadrCreatedEvent):
        codes.extend(str(item.response_code) for item in answer.event_responses)
    return codes
