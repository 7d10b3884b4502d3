"""Steps the cases whose device is a VTN share (not cases themselves: the leading underscore keeps
this module out of the registry's import loop): reading the VTN's answers, the messages only a
registered VEN is served for, what our VTN holds, an opt schedule."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from ...model import (
    Available,
    EiResponse,
    OadrCreateOpt,
    OadrPoll,
    OadrRequestEvent,
    OadrResponse,
    OptReason,
    OptType,
    Payload,
    ResponseCode,
)
from ...vtn.policies import new_id
from ..context import CaseContext, VtnCaseContext
from ..harness_ven import HarnessVenRegistration
from ..our_vtn import VtnView
from ..transcript import Direction, message_name
from ._steps import check_seen

__all__ = [
    "REFUSED_AS_UNREGISTERED",
    "answer_to",
    "answered",
    "code_of",
    "holds_registration",
    "observe_registration",
    "poll_seconds",
    "probe_for",
    "refused_as_unregistered",
    "schedule_opt",
    "sent_last",
    "sent_since",
    "shown",
    "still_served",
]

P = TypeVar("P", bound=Payload)

REFUSED_AS_UNREGISTERED = (ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, ResponseCode.INVALID_ID)
"""The codes a VTN refuses a message of an unregistered VEN with: 463, or 452 for its venID."""


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


def sent_since(ctx: CaseContext[Any], kind: type[P], position: int) -> list[P]:
    """The requests of ``kind`` the harness sent from the transcript position ``position`` on."""
    return [
        exchange.payload
        for exchange in ctx.transcript.exchanges[position:]
        if exchange.direction is Direction.TO_DEVICE
        and exchange.http == "request"
        and isinstance(exchange.payload, kind)
    ]


def poll_seconds(registration: HarnessVenRegistration) -> float:
    frequency = registration.poll_frequency
    return frequency.total_seconds() if frequency is not None else 1.0
