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

The steps these cases share with the other VTN cases are in :mod:`._vtn_steps`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from ...model import (
    UNSOLICITED_REPORT_REQUEST_ID,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrRequestReregistration,
    OadrResponse,
    OptType,
    Payload,
    ProfileName,
    ResponseCode,
    TransportName,
)
from ...vtn.policies import new_id
from ..case import Role, case
from ..context import VtnCaseContext
from ..our_vtn import VtnView
from ._steps import check_seen, until
from ._vtn_steps import (
    REFUSED_AS_UNREGISTERED,
    answer_to,
    answered,
    observe_registration,
    poll_seconds,
    refused_as_unregistered,
    schedule_opt,
    sent_last,
    sent_since,
    shown,
    still_served,
)

__all__: list[str] = []

P = TypeVar("P", bound=Payload)

PREALLOCATED_VEN_ID = "TH_VEN_PREALLOCATED"
"""The venID of N1_0025 (provision it on an external VTN before the case)."""


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
        not created.registration_id or bool(created.ven_id),
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
    registration = await harness.registered(timeout=ctx.timeouts.action, expect_register_report=True)
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
        gap = poll_seconds(registration)
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
    _registration_answered(
        ctx,
        lambda request: request.ven_id == PREALLOCATED_VEN_ID and request.registration_id is None,
        f"the harness registered from scratch naming the venID {PREALLOCATED_VEN_ID}",
        f"the registration with the pre-allocated venID {PREALLOCATED_VEN_ID}",
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
    answer = await _harness_cancels(ctx, "the VEN's oadrCancelPartyRegistration")
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
    created = _registration_answered(
        ctx,
        lambda request: request.registration_id is None and request.ven_id == old.ven_id,
        f"the harness registered anew as {old.ven_id} without a registrationID",
        "the new registration while registered",
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
    await _cancel_refused(
        ctx,
        old.ven_id,
        old.registration_id,
        f"an oadrCancelPartyRegistration naming the replaced registrationID {old.registration_id}",
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
    created = _registration_answered(
        ctx,
        lambda request: request.registration_id == old.registration_id,
        f"the harness renewed its registration with the existing registrationID {old.registration_id}",
        "the renewal",
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
    invalid = f"TH-INVALID-{new_id()[:12]}"
    await _cancel_refused(
        ctx,
        registration.ven_id,
        invalid,
        f"an oadrCancelPartyRegistration naming the invalid registrationID {invalid}",
    )
    swapped = registration.registration_id.swapcase()
    if swapped != registration.registration_id:
        await _cancel_refused(
            ctx,
            registration.ven_id,
            swapped,
            f"an oadrCancelPartyRegistration naming {swapped}, the VEN's registrationID with its case "
            "swapped (IDs are case-sensitive)",
        )
    await observe_registration(ctx, registration.ven_id, registration.registration_id)
    await still_served(ctx, registration.ven_id, "after the refused cancellation")
    await _harness_cancels(
        ctx, f"the oadrCancelPartyRegistration naming the VEN's registrationID {registration.registration_id}"
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


def _registration_answered(
    ctx: VtnCaseContext, sent: Callable[[OadrCreatePartyRegistration], bool], said: str, what: str
) -> OadrCreatedPartyRegistration:
    """Check that the harness's last oadrCreatePartyRegistration was the one the case means
    (``sent`` holds of it; ``said`` says so), and that the VTN answered it with
    oadrCreatedPartyRegistration 200 echoing its requestID (``what`` names it); that answer."""
    request = sent_last(ctx, OadrCreatePartyRegistration)
    ctx.check(request is not None and sent(request), said)
    return answered(
        ctx,
        answer_to(ctx, request),
        OadrCreatedPartyRegistration,
        what,
        request_id=request.request_id if request is not None else None,
    )


async def _harness_cancels(ctx: VtnCaseContext, what: str) -> OadrCanceledPartyRegistration:
    """The harness cancels its registration (oadrCancelPartyRegistration): the VTN must answer
    oadrCanceledPartyRegistration 200 echoing its requestID (``what`` names the request)."""
    answer = await ctx.harness.cancel_registration()
    cancel = sent_last(ctx, OadrCancelPartyRegistration)
    return answered(
        ctx,
        answer,
        OadrCanceledPartyRegistration,
        what,
        request_id=cancel.request_id if cancel is not None else None,
    )


async def _cancel_refused(ctx: VtnCaseContext, ven_id: str, registration_id: str, what: str) -> None:
    """The harness sends oadrCancelPartyRegistration naming ``registration_id``, not its
    registration's: the VTN must answer oadrCanceledPartyRegistration 452 echoing its requestID
    (``what`` names the request)."""
    cancel = OadrCancelPartyRegistration(request_id=new_id(), registration_id=registration_id, ven_id=ven_id)
    answered(
        ctx,
        await ctx.harness.send(cancel),
        OadrCanceledPartyRegistration,
        what,
        request_id=cancel.request_id,
        codes=(ResponseCode.INVALID_ID,),
    )


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
