"""Opt (EiOpt) cases whose device is a VEN: P1_20xx / P0_70xx ``TH_VTN``.

The VEN under test creates and cancels opt schedules (``ctx.device.create_opt`` /
``cancel_opt``: an operator makes an external VEN do it); the harness VTN answers oadrCreatedOpt
and oadrCanceledOpt (200, or 452 for an optID it does not know) and keeps the opts in force
(:attr:`~openadr_accel.conformance.harness_vtn.HarnessVtn.opts`). Each case checks what the VEN
sent against what it was asked for, and observes that the VEN keeps what the VTN confirmed.

Schedules start on whole minutes of the run's clock, some hours ahead (an operator can type
them; nothing runs during the case), and an operator's VEN may put them within a minute of
what was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ...errors import OpenADRError
from ...model import (
    OadrCanceledOpt,
    OadrCancelOpt,
    OadrCreatedOpt,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrQueryRegistration,
    OptType,
)
from ..case import Role, case
from ..context import VenCaseContext
from ..devices import OptRequest
from ..harness_vtn import HarnessRegistration
from ..transcript import message_name
from ._steps import check_seen
from ._ven_steps import act, answer_to, polls_go_on

__all__: list[str] = []

Period = tuple[datetime, timedelta]

_SLACK = timedelta(minutes=1)
"""How far from the asked start a period's dtstart may be (an operator types it)."""

RESOURCE_1 = "TH-RESOURCE-1"
RESOURCE_2 = "TH-RESOURCE-2"
"""The resources P1_2030 opts for (an external VEN's operator uses two of the VEN's own)."""


@case("P1_2010", role=Role.VEN, title="new opt schedule: optIn, two availability periods → oadrCreatedOpt")
async def new_opt_schedule(ctx: VenCaseContext) -> None:
    """The registered VEN is made to opt in for two availability periods (one hour, in an hour;
    two hours, in three hours). Its oadrCreateOpt names a new optID, its venID, a requestID,
    optType optIn, an optReason, a createdDateTime not ahead of the clock, the two periods
    (each dtstart within a minute of the asked one, each duration exact) and no event; the
    harness confirms with oadrCreatedOpt 200 echoing the optID, and the VEN then holds that opt
    in force (observed)."""
    registration = await ctx.harness.registered(timeout=ctx.timeouts.action)
    base = _minute(ctx.now())
    periods = [
        (base + timedelta(hours=1), timedelta(hours=1)),
        (base + timedelta(hours=3), timedelta(hours=2)),
    ]
    opt = await _create(ctx, registration, OptRequest(opt_type=OptType.OPT_IN, schedule=periods))
    await _holds(ctx, opt)


@case("P1_2015", role=Role.VEN, title="open-ended opt schedule (one availability, duration 0)")
async def open_ended_opt_schedule(ctx: VenCaseContext) -> None:
    """The registered VEN is made to opt out from a minute ahead on, with no end: its
    oadrCreateOpt (checked as in P1_2010) carries one availability period whose duration is zero
    (open-ended); the harness confirms it and the VEN then holds it in force (observed)."""
    registration = await ctx.harness.registered(timeout=ctx.timeouts.action)
    periods = [(_minute(ctx.now()) + timedelta(minutes=1), timedelta(0))]
    opt = await _create(ctx, registration, OptRequest(opt_type=OptType.OPT_OUT, schedule=periods))
    await _holds(ctx, opt)


@case("P1_2020", role=Role.VEN, title="oadrCancelOpt for an earlier schedule → oadrCanceledOpt")
async def cancel_opt_schedule(ctx: VenCaseContext) -> None:
    """The registered VEN creates an opt schedule (optOut, one hour in an hour; checked as in
    P1_2010), then is made to cancel it: its oadrCancelOpt names that optID, its venID and a
    requestID; the harness confirms with oadrCanceledOpt 200 and no longer holds the opt, and
    neither does the VEN (observed)."""
    registration = await ctx.harness.registered(timeout=ctx.timeouts.action)
    periods = [(_minute(ctx.now()) + timedelta(hours=1), timedelta(hours=1))]
    opt = await _create(ctx, registration, OptRequest(opt_type=OptType.OPT_OUT, schedule=periods))
    await _holds(ctx, opt)
    canceled = await _cancel(ctx, registration, opt.opt_id)
    check_seen(
        ctx,
        canceled.ei_response.response_code == "200",
        "the harness confirmed the cancellation with oadrCanceledOpt 200",
        canceled.ei_response.response_code,
    )
    ctx.check(opt.opt_id not in ctx.harness.opts, f"the harness no longer holds opt {opt.opt_id}")
    await _gone(ctx, opt.opt_id)


@case(
    "P1_2030",
    role=Role.VEN,
    title="several schedules with different targets and optTypes",
)
async def several_opt_schedules(ctx: VenCaseContext) -> None:
    """The registered VEN is made to create two opt schedules at once: an optIn for resource
    TH-RESOURCE-1 (an hour, in an hour) and an optOut for resource TH-RESOURCE-2 (two hours, in
    three hours). Each oadrCreateOpt is checked as in P1_2010 and names its own resource in its
    eiTarget; the two have different optIDs; the harness confirms both and holds both, and the
    VEN holds both in force with their types and targets (observed)."""
    registration = await ctx.harness.registered(timeout=ctx.timeouts.action)
    base = _minute(ctx.now())
    first = await _create(
        ctx,
        registration,
        OptRequest(
            opt_type=OptType.OPT_IN,
            schedule=[(base + timedelta(hours=1), timedelta(hours=1))],
            resource_ids=(RESOURCE_1,),
        ),
    )
    second = await _create(
        ctx,
        registration,
        OptRequest(
            opt_type=OptType.OPT_OUT,
            schedule=[(base + timedelta(hours=3), timedelta(hours=2))],
            resource_ids=(RESOURCE_2,),
        ),
    )
    check_seen(
        ctx,
        first.opt_id != second.opt_id,
        "the two schedules have different optIDs",
        (first.opt_id, second.opt_id),
    )
    check_seen(
        ctx,
        set(ctx.harness.opts) >= {first.opt_id, second.opt_id},
        "the harness holds both schedules",
        sorted(ctx.harness.opts),
    )
    await _holds(ctx, first)
    await _holds(ctx, second)


@case(
    "P1_2040",
    role=Role.VEN,
    title="several schedules and a cancel; reusing an optID replaces the schedule",
)
async def replace_and_cancel_opt_schedules(ctx: VenCaseContext) -> None:
    """The registered VEN creates two opt schedules (A: optIn, an hour in an hour; B: optOut, an
    hour in three hours), then is made to send A again with the same optID and another schedule
    (optOut, thirty minutes in five hours): that oadrCreateOpt reuses A's optID and carries the
    new schedule, which replaces A's (the harness holds the new one). Then B is cancelled
    (oadrCanceledOpt 200). In the end the harness holds A's new schedule and not B, and so does
    the VEN (observed: A with the new optType and periods, no B)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    base = _minute(ctx.now())
    first = await _create(
        ctx,
        registration,
        OptRequest(opt_type=OptType.OPT_IN, schedule=[(base + timedelta(hours=1), timedelta(hours=1))]),
    )
    second = await _create(
        ctx,
        registration,
        OptRequest(opt_type=OptType.OPT_OUT, schedule=[(base + timedelta(hours=3), timedelta(hours=1))]),
    )
    replacement = await _create(
        ctx,
        registration,
        OptRequest(
            opt_type=OptType.OPT_OUT,
            schedule=[(base + timedelta(hours=5), timedelta(minutes=30))],
            opt_id=first.opt_id,
        ),
        new_id=False,
    )
    check_seen(
        ctx,
        replacement.opt_id == first.opt_id,
        f"the replacing oadrCreateOpt reuses optID {first.opt_id}",
        replacement.opt_id,
    )
    check_seen(
        ctx,
        harness.opts.get(first.opt_id) == replacement,
        f"the harness holds the new schedule for optID {first.opt_id}",
        harness.opts.get(first.opt_id),
    )
    canceled = await _cancel(ctx, registration, second.opt_id)
    check_seen(
        ctx,
        canceled.ei_response.response_code == "200",
        f"the harness confirmed the cancellation of {second.opt_id} with oadrCanceledOpt 200",
        canceled.ei_response.response_code,
    )
    check_seen(
        ctx,
        first.opt_id in harness.opts and second.opt_id not in harness.opts,
        f"the harness holds optID {first.opt_id}, no longer {second.opt_id}",
        sorted(harness.opts),
    )
    await _holds(ctx, replacement)
    await _gone(ctx, second.opt_id)


@case(
    "P1_2050",
    role=Role.VEN,
    title="negative: oadrCancelOpt with an invalid optID → error responseCode",
)
async def cancel_refused_with_invalid_opt_id(ctx: VenCaseContext) -> None:
    """A VEN can only cancel the opts it created, so the invalid optID is made on the VTN's side:
    the VEN creates an opt schedule (checked as in P1_2010), then the harness forgets it (as a
    VTN that lost it) and the VEN is made to cancel it. The harness answers oadrCanceledOpt 452
    (invalid ID) for that optID. The VEN must take the refusal as it is: it keeps working (it
    does not take the 452 for a lost registration: no new registration, and (pull) it goes on
    polling), it still holds the opt in force (observed: the cancellation did not happen, so
    the opt stands, and a later cancel can still name it), and it tells its user that the
    cancellation was refused (observed; our VEN raises the 452 from cancel_opt). Then the
    harness knows the opt again and the VEN cancels it once more: confirmed with 200, the VEN
    no longer holds it (observed)."""
    harness = ctx.harness
    registration = await harness.registered(timeout=ctx.timeouts.action)
    periods = [(_minute(ctx.now()) + timedelta(hours=2), timedelta(hours=1))]
    opt = await _create(ctx, registration, OptRequest(opt_type=OptType.OPT_OUT, schedule=periods))
    await _holds(ctx, opt)
    harness.opts.pop(opt.opt_id, None)  # the VTN no longer knows it: the VEN's optID is now invalid
    since = harness.mark()
    refused: list[OpenADRError | None] = []
    canceled = await _cancel(ctx, registration, opt.opt_id, refused=refused)
    check_seen(
        ctx,
        canceled.ei_response.response_code == "452",
        f"the harness refused the cancellation of the optID it does not know ({opt.opt_id}) with 452",
        canceled.ei_response.response_code,
    )
    error = refused[0]
    await polls_go_on(ctx, since=since, ven_id=registration.ven_id)
    again = [
        message_name(message)
        for message in harness.inbox.messages[since:]
        if isinstance(message, OadrQueryRegistration | OadrCreatePartyRegistration)
    ]
    check_seen(
        ctx,
        not again,
        "the VEN does not take the 452 for a lost registration (it does not register again)",
        again,
    )
    await ctx.observe(
        "the VEN still holds the opt whose cancellation was refused", lambda seen: opt.opt_id in seen.opts()
    )
    await ctx.observe(
        "the VEN tells its user the cancellation was refused (our VEN: cancel_opt raises the 452)",
        lambda seen: error is not None and getattr(error, "response_code", None) == "452",
        timeout=0,
    )
    harness.opts[opt.opt_id] = opt  # the VTN knows it again
    canceled = await _cancel(ctx, registration, opt.opt_id)
    check_seen(
        ctx,
        canceled.ei_response.response_code == "200",
        "a later cancellation of the same optID is confirmed with 200",
        canceled.ei_response.response_code,
    )
    await _gone(ctx, opt.opt_id)


# -- steps --------------------------------------------------------------------------------------------


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def _create(
    ctx: VenCaseContext, registration: HarnessRegistration, request: OptRequest, *, new_id: bool = True
) -> OadrCreateOpt:
    """Make the VEN send ``request``; check its oadrCreateOpt and the harness's confirmation."""
    harness = ctx.harness
    known = set(harness.opts)
    since = harness.mark()
    refused = await act(ctx.device.create_opt(request))
    opt = await harness.wait_for(
        OadrCreateOpt,
        since=since,
        timeout=ctx.timeouts.action,
        what=f"an oadrCreateOpt ({request.describe()})",
    )
    label = f"oadrCreateOpt {opt.opt_id}"
    ctx.check(bool(opt.opt_id), "the oadrCreateOpt carries an optID")
    if new_id:
        check_seen(ctx, opt.opt_id not in known, f"the {label} names a new optID", sorted(known))
    ctx.check(bool(opt.request_id), f"the {label} carries a requestID")
    check_seen(ctx, opt.ven_id == registration.ven_id, f"the {label} names the VEN's venID", opt.ven_id)
    check_seen(ctx, opt.opt_type == request.opt_type, f"the {label} is an {request.opt_type}", opt.opt_type)
    ctx.check(bool(opt.opt_reason), f"the {label} gives an optReason ({opt.opt_reason})")
    check_seen(
        ctx,
        opt.created_date_time <= ctx.now() + _SLACK,
        f"the {label}'s createdDateTime is not ahead of the clock",
        opt.created_date_time.isoformat(),
    )
    ctx.check(opt.qualified_event_id is None, f"the {label} is a schedule, about no event")
    _check_periods(ctx, label, opt, request.schedule)
    if request.resource_ids:
        check_seen(
            ctx,
            set(opt.target.resource_ids) == set(request.resource_ids),
            f"the {label} targets resource {', '.join(request.resource_ids)}",
            opt.target.resource_ids,
        )
    answer = answer_to(ctx, opt)
    check_seen(
        ctx,
        isinstance(answer, OadrCreatedOpt)
        and answer.ei_response.response_code == "200"
        and answer.opt_id == opt.opt_id,
        f"the harness confirmed the {label} with oadrCreatedOpt 200",
        answer,
    )
    check_seen(ctx, refused is None, "the VEN carried the opt out without an error", refused)
    return opt


def _check_periods(
    ctx: VenCaseContext, label: str, opt: OadrCreateOpt, asked: Sequence[tuple[datetime, timedelta]]
) -> None:
    sent = [(period.dtstart, period.duration) for period in opt.availability or ()]
    shown = ", ".join(f"{start.isoformat()} for {duration}" for start, duration in sent) or "none"
    check_seen(
        ctx,
        len(sent) == len(asked)
        and all(
            abs(start - asked_start) <= _SLACK and duration == asked_duration
            for (start, duration), (asked_start, asked_duration) in zip(
                sorted(sent), sorted(asked), strict=True
            )
        ),
        f"the {label} carries the {len(asked)} availability period{'s' if len(asked) != 1 else ''} asked"
        + (" (open-ended: duration 0)" if any(not duration for _, duration in asked) else ""),
        shown,
    )


async def _cancel(
    ctx: VenCaseContext,
    registration: HarnessRegistration,
    opt_id: str,
    *,
    refused: list[OpenADRError | None] | None = None,
) -> OadrCanceledOpt:
    """Make the VEN cancel ``opt_id``; check its oadrCancelOpt; the harness's answer."""
    harness = ctx.harness
    since = harness.mark()
    error = await act(ctx.device.cancel_opt(opt_id))
    cancel = await harness.wait_for(
        OadrCancelOpt,
        since=since,
        timeout=ctx.timeouts.action,
        where=lambda message: message.opt_id == opt_id,
        what=f"an oadrCancelOpt for optID {opt_id}",
    )
    ctx.check(bool(cancel.request_id), f"the oadrCancelOpt for {opt_id} carries a requestID")
    check_seen(
        ctx,
        cancel.ven_id == registration.ven_id,
        f"the oadrCancelOpt for {opt_id} names the VEN's venID",
        cancel.ven_id,
    )
    answer = answer_to(ctx, cancel)
    ctx.check(isinstance(answer, OadrCanceledOpt), f"the harness answered the oadrCancelOpt for {opt_id}")
    assert isinstance(answer, OadrCanceledOpt)
    if refused is None:
        check_seen(
            ctx, error is None, f"the VEN carried the cancellation of {opt_id} out without an error", error
        )
    else:
        refused.append(error)
    return answer


async def _holds(ctx: VenCaseContext, opt: OadrCreateOpt) -> None:
    periods = [(period.dtstart, period.duration) for period in opt.availability or ()]

    def holds(seen: OadrCreateOpt | None) -> bool:
        return (
            seen is not None
            and seen.opt_type == opt.opt_type
            and set(seen.target.resource_ids) == set(opt.target.resource_ids)
            and [(period.dtstart, period.duration) for period in seen.availability or ()] == periods
        )

    await ctx.observe(
        f"the VEN holds opt {opt.opt_id} in force ({opt.opt_type}, as sent)",
        lambda seen: holds(seen.opts().get(opt.opt_id)),
    )


async def _gone(ctx: VenCaseContext, opt_id: str) -> None:
    await ctx.observe(f"the VEN no longer holds opt {opt_id}", lambda seen: opt_id not in seen.opts())
