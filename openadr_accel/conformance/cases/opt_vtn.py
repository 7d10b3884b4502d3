"""Opt (EiOpt) cases whose device is a VTN: P1_20xx / P0_70xx ``TH_VEN``.

The registered harness VEN sends oadrCreateOpt (an availability schedule: optIn or optOut,
an optReason, its venID, a createdDateTime and the periods of an ``xcal:vavailability``, each a
dtstart and a duration, zero for open-ended) and oadrCancelOpt; the VTN answers oadrCreatedOpt
and oadrCanceledOpt echoing the requestID and the optID. Reusing an optID replaces the earlier
schedule; an oadrCancelOpt naming an optID the VEN does not hold is an error. What the VTN kept
is observed through its store (our VTN: ``vtn.opts.list(venID)``) and the handlers it told
(``on_opt``, ``on_opt_cancelled``); an external VTN's operator confirms it.

Opts are VEN-initiated and synchronous, so these cases run the same in pull and push.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ...model import (
    EiTarget,
    OadrCanceledOpt,
    OadrCancelOpt,
    OadrCreatedOpt,
    OadrCreateOpt,
    OptReason,
    OptType,
)
from ...vtn.policies import new_id
from .. import build
from ..case import Role, case
from ..context import VtnCaseContext
from ..our_vtn import VtnView
from ._steps import check_seen
from ._vtn_steps import answered, code_of, schedule_opt, shown

__all__: list[str] = []

HOUR = timedelta(hours=1)


async def _create(ctx: VtnCaseContext, opt: OadrCreateOpt, what: str) -> OadrCreatedOpt:
    """Send the oadrCreateOpt and check it is answered oadrCreatedOpt 200 echoing its IDs."""
    created = answered(ctx, await ctx.harness.send(opt), OadrCreatedOpt, what, request_id=opt.request_id)
    check_seen(
        ctx,
        created.opt_id == opt.opt_id,
        f"the VTN's oadrCreatedOpt names the optID {opt.opt_id}",
        created.opt_id,
    )
    return created


async def _cancel(ctx: VtnCaseContext, opt_id: str, what: str) -> OadrCanceledOpt:
    """Send an oadrCancelOpt and check it is answered oadrCanceledOpt 200 echoing its IDs."""
    cancel = OadrCancelOpt(request_id=new_id(), opt_id=opt_id, ven_id=ctx.harness.ven_id)
    canceled = answered(
        ctx, await ctx.harness.send(cancel), OadrCanceledOpt, what, request_id=cancel.request_id
    )
    check_seen(
        ctx,
        canceled.opt_id == opt_id,
        f"the VTN's oadrCanceledOpt names the optID {opt_id}",
        canceled.opt_id,
    )
    return canceled


def _periods(opt: OadrCreateOpt) -> str:
    return ", ".join(
        f"{period.dtstart.isoformat()} for {period.duration}" for period in (opt.availability or ())
    )


async def _observe_held(ctx: VtnCaseContext, expected: Sequence[OadrCreateOpt], what: str) -> None:
    """Observe that the VTN holds exactly ``expected`` for the harness's venID: each optID once,
    with its optType, optReason, target and availability periods as sent."""
    ven_id = ctx.harness.ven_id
    wanted = {opt.opt_id: (opt.opt_type, opt.opt_reason, opt.target, opt.availability) for opt in expected}

    async def holds(view: VtnView) -> bool:
        stored = await view.vtn.opts.list(ven_id)
        found = {opt.opt_id: (opt.opt_type, opt.opt_reason, opt.target, opt.availability) for opt in stored}
        return len(stored) == len(found) and found == wanted

    await ctx.observe(what, holds)


async def _observe_told(ctx: VtnCaseContext, opt: OadrCreateOpt) -> None:
    """Observe that the VTN told its application of the opt (our VTN: on_opt)."""
    await ctx.observe(
        f"the VTN told its application of opt {opt.opt_id} (on_opt)",
        lambda view: any(told.opt_id == opt.opt_id for told in view.journal.opts),
    )


@case(
    "P1_2010",
    role=Role.VTN,
    title="new opt schedule: optIn, two availability periods → oadrCreatedOpt",
)
async def new_schedule(ctx: VtnCaseContext) -> None:
    """The registered harness sends an oadrCreateOpt: a new optID, optIn, optReason economic, its
    marketContext and venID, and an availability of two periods (starting in one hour for two
    hours, and in five hours for one hour). The VTN answers oadrCreatedOpt 200 echoing the
    requestID and the optID. Observed: the VTN holds that one schedule for the VEN, optIn with
    both periods as sent, and told its application (on_opt)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    opt = schedule_opt(
        ctx,
        ctx.harness.ven_id,
        [(HOUR, 2 * HOUR), (5 * HOUR, HOUR)],
        opt_type=OptType.OPT_IN,
        reason=OptReason.ECONOMIC,
        market_context=build.MARKET_CONTEXT,
    )
    await _create(ctx, opt, "the oadrCreateOpt of an optIn schedule with two periods")
    await _observe_held(ctx, [opt], f"the VTN holds the optIn schedule {opt.opt_id}: {_periods(opt)}")
    await _observe_told(ctx, opt)


@case(
    "P1_2015",
    role=Role.VTN,
    title="open-ended opt schedule (one availability, duration 0)",
)
async def open_ended_schedule(ctx: VtnCaseContext) -> None:
    """The registered harness sends an oadrCreateOpt whose availability is one period starting
    in one hour with duration 0 (PT0M: open-ended), optOut for reason mustRun. The VTN answers
    oadrCreatedOpt 200 echoing the requestID and the optID. Observed: the VTN holds the schedule
    with its single open-ended period (duration zero, as sent: not refused, not cut to some
    length)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    opt = schedule_opt(
        ctx,
        ctx.harness.ven_id,
        [(HOUR, timedelta(0))],
        opt_type=OptType.OPT_OUT,
        reason=OptReason.MUST_RUN,
        market_context=build.MARKET_CONTEXT,
    )
    await _create(ctx, opt, "the oadrCreateOpt of an open-ended schedule")
    await _observe_held(
        ctx, [opt], f"the VTN holds the open-ended schedule {opt.opt_id} (from {_periods(opt)})"
    )


@case(
    "P1_2020",
    role=Role.VTN,
    title="oadrCancelOpt for an earlier schedule → oadrCanceledOpt",
)
async def cancel_schedule(ctx: VtnCaseContext) -> None:
    """The registered harness creates an optOut schedule (one period in an hour, for an hour;
    answered oadrCreatedOpt 200), then cancels it: oadrCancelOpt with its optID and the venID.
    The VTN answers oadrCanceledOpt 200 echoing the requestID and the optID. Observed: the VTN no
    longer holds the schedule and told its application (on_opt_cancelled)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    opt = schedule_opt(ctx, ctx.harness.ven_id, [(HOUR, HOUR)], opt_type=OptType.OPT_OUT)
    await _create(ctx, opt, "the oadrCreateOpt of the schedule to cancel")
    await _observe_held(ctx, [opt], f"the VTN holds the schedule {opt.opt_id} before it is cancelled")
    await _cancel(ctx, opt.opt_id, f"the oadrCancelOpt of schedule {opt.opt_id}")
    await _observe_held(ctx, [], f"the VTN no longer holds the cancelled schedule {opt.opt_id}")
    ven_id = ctx.harness.ven_id
    await ctx.observe(
        f"the VTN told its application that opt {opt.opt_id} was cancelled (on_opt_cancelled)",
        lambda view: (ven_id, opt.opt_id) in view.journal.opts_cancelled,
    )


@case(
    "P1_2030",
    role=Role.VTN,
    title="several schedules with different targets and optTypes",
)
async def several_schedules(ctx: VtnCaseContext) -> None:
    """The registered harness sends three oadrCreateOpt with different optIDs: an optOut for
    resource TH-RESOURCE-1 (optReason outageRunStatus), an optIn for resource TH-RESOURCE-2
    (participating) over a different period, and an optOut for the whole VEN (an empty eiTarget,
    x-schedule) overlapping both. Each is answered oadrCreatedOpt 200 echoing its requestID and
    optID. Observed: the VTN holds all three side by side, each with its own optType, optReason,
    target and periods (none replaces another: their optIDs differ)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    ven_id = ctx.harness.ven_id
    opts = [
        schedule_opt(
            ctx,
            ven_id,
            [(HOUR, 2 * HOUR)],
            opt_type=OptType.OPT_OUT,
            reason=OptReason.OUTAGE_RUN_STATUS,
            target=EiTarget(resource_ids=("TH-RESOURCE-1",)),
        ),
        schedule_opt(
            ctx,
            ven_id,
            [(4 * HOUR, HOUR)],
            opt_type=OptType.OPT_IN,
            reason=OptReason.PARTICIPATING,
            target=EiTarget(resource_ids=("TH-RESOURCE-2",)),
        ),
        schedule_opt(
            ctx,
            ven_id,
            [(2 * HOUR, 4 * HOUR)],
            opt_type=OptType.OPT_OUT,
            reason=OptReason.SCHEDULE,
        ),
    ]
    for opt, whom in zip(
        opts, ("resource TH-RESOURCE-1", "resource TH-RESOURCE-2", "the whole VEN"), strict=True
    ):
        await _create(ctx, opt, f"the oadrCreateOpt of an {opt.opt_type} schedule for {whom}")
    await _observe_held(
        ctx,
        opts,
        "the VTN holds the three schedules, each with its own optType, optReason, target and periods",
    )


@case(
    "P1_2040",
    role=Role.VTN,
    title="several schedules and a cancel; reusing an optID replaces the schedule",
)
async def replace_schedule(ctx: VtnCaseContext) -> None:
    """The registered harness creates two schedules, A (optOut, in one hour for two hours) and B
    (optIn, in four hours for an hour), each answered oadrCreatedOpt 200; it cancels B
    (oadrCanceledOpt 200), then sends an oadrCreateOpt reusing A's optID with another schedule
    (optIn, two periods: in six hours for an hour and in eight hours for two). The VTN answers
    oadrCreatedOpt 200 for A's optID. Observed: the VTN holds exactly one schedule for the VEN,
    A's optID with the new optType and periods (the old ones are gone, not kept beside it), and
    not B."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    ven_id = ctx.harness.ven_id
    first = schedule_opt(ctx, ven_id, [(HOUR, 2 * HOUR)], opt_type=OptType.OPT_OUT)
    second = schedule_opt(ctx, ven_id, [(4 * HOUR, HOUR)], opt_type=OptType.OPT_IN)
    await _create(ctx, first, f"the oadrCreateOpt of schedule A ({first.opt_id})")
    await _create(ctx, second, f"the oadrCreateOpt of schedule B ({second.opt_id})")
    await _observe_held(ctx, [first, second], "the VTN holds schedules A and B")
    await _cancel(ctx, second.opt_id, f"the oadrCancelOpt of schedule B ({second.opt_id})")
    again = schedule_opt(
        ctx,
        ven_id,
        [(6 * HOUR, HOUR), (8 * HOUR, 2 * HOUR)],
        opt_id=first.opt_id,
        opt_type=OptType.OPT_IN,
    )
    await _create(ctx, again, f"the oadrCreateOpt reusing optID {first.opt_id} with a new schedule")
    await _observe_held(
        ctx,
        [again],
        f"the VTN holds only schedule {first.opt_id}, replaced by the new one (optIn: {_periods(again)}), "
        "and not the cancelled B",
    )


@case(
    "P1_2050",
    role=Role.VTN,
    title="negative: oadrCancelOpt with an invalid optID → error responseCode",
)
async def cancel_invalid_opt(ctx: VtnCaseContext) -> None:
    """The registered harness creates a schedule (answered oadrCreatedOpt 200), then sends an
    oadrCancelOpt naming an optID it never created (``TH-NO-SUCH-OPT-...``). The VTN answers
    oadrCanceledOpt with an error responseCode (a 4xx code: 452 invalid ID is the one that fits)
    echoing the requestID. So it does for an oadrCancelOpt naming the real optID with its case
    swapped: IDs are case-sensitive (as E1_1080 checks for vtnIDs). Observed: the VTN still
    holds the real schedule, unchanged, and told its application of no cancellation
    (on_opt_cancelled not called)."""
    await ctx.harness.registered(timeout=ctx.timeouts.action)
    ven_id = ctx.harness.ven_id
    opt = schedule_opt(ctx, ven_id, [(HOUR, HOUR)], opt_type=OptType.OPT_OUT)
    await _create(ctx, opt, "the oadrCreateOpt of a real schedule")
    unknown = f"TH-NO-SUCH-OPT-{new_id()[:10]}"
    cancel = OadrCancelOpt(request_id=new_id(), opt_id=unknown, ven_id=ven_id)
    answer = await ctx.harness.send(cancel)
    check_seen(
        ctx,
        isinstance(answer, OadrCanceledOpt) and (code_of(answer) or "").startswith("4"),
        f"the VTN answers the oadrCancelOpt of the unknown optID {unknown} with oadrCanceledOpt and an "
        "error responseCode (4xx)",
        shown(answer),
    )
    assert isinstance(answer, OadrCanceledOpt)
    check_seen(
        ctx,
        answer.ei_response.request_id == cancel.request_id,
        "the VTN's oadrCanceledOpt echoes the requestID of the oadrCancelOpt",
        answer.ei_response.request_id,
    )
    swapped = opt.opt_id.swapcase()
    cancel = OadrCancelOpt(request_id=new_id(), opt_id=swapped, ven_id=ven_id)
    answer = await ctx.harness.send(cancel)
    check_seen(
        ctx,
        isinstance(answer, OadrCanceledOpt) and (code_of(answer) or "").startswith("4"),
        f"the VTN answers the oadrCancelOpt of {swapped}, the real optID with its case swapped, with "
        "oadrCanceledOpt and an error responseCode (4xx: IDs are case-sensitive)",
        shown(answer),
    )
    await _observe_held(ctx, [opt], f"the VTN still holds the real schedule {opt.opt_id}, unchanged")
    await ctx.observe(
        "the VTN told its application of no cancelled opt (on_opt_cancelled)",
        lambda view: not view.journal.opts_cancelled,
        timeout=0,
    )
