"""Steps the registration, general and opt cases whose device is a VEN share (not cases
themselves: the leading underscore keeps this module out of the registry's import loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from ... import xml
from ...errors import OpenADRError
from ...model import (
    OadrCreatePartyRegistration,
    OadrPoll,
    OadrQueryRegistration,
    Payload,
)
from ...security.binding import payload_ven_id
from ..context import VenCaseContext
from ..harness_vtn import HarnessRegistration
from ..transcript import Direction, message_name
from ._steps import check_seen

__all__ = [
    "act",
    "answer_to",
    "delivered_answer",
    "ended_registration_unused",
    "poll_seconds",
    "polls_go_on",
]

P = TypeVar("P", bound=Payload)


async def act(action: Awaitable[None]) -> OpenADRError | None:
    """Run one of the device's actions; the protocol error it raised, if any.

    Our own VEN carries out an action by sending the request and raises when its VTN refuses
    it (a RefusedError with the code): that is the VEN telling its user, which a case may check.
    An external device never raises (a person carries the action out).
    """
    try:
        await action
    except OpenADRError as error:
        return error
    return None


def poll_seconds(ctx: VenCaseContext) -> float:
    """The oadrRequestedOadrPollFreq the harness asks for, in (wall-clock) seconds."""
    return ctx.harness.poll_frequency.total_seconds()


def answer_to(ctx: VenCaseContext, message: Payload) -> Payload | None:
    """The harness's answer to a request of the device's (the document that answered it in the
    transcript), or None if it is not there."""
    exchanges = ctx.transcript.exchanges
    for position, exchange in enumerate(exchanges):
        if exchange.payload is message and exchange.direction is Direction.FROM_DEVICE:
            later = exchanges[position + 1 :]
            for answer in later:
                if answer.direction is Direction.TO_DEVICE and answer.service == exchange.service:
                    try:
                        return xml.parse(answer.body, validate=False)
                    except OpenADRError:
                        return None
            return None
    return None


async def delivered_answer(ctx: VenCaseContext, payload: Payload, kind: type[P], *, since: int) -> P:
    """Send ``payload`` to the VEN (queued for its poll, or pushed) and return its answer of
    ``kind`` (in pull, the VEN POSTs it after the poll that took the message); fails the case if
    the answer is of another kind or does not come."""
    answer = await ctx.harness.deliver(payload)
    if not ctx.pull:
        check_seen(
            ctx,
            isinstance(answer, kind),
            f"the VEN answers the pushed {message_name(payload)} with {message_name(kind)}",
            message_name(answer) if answer is not None else "nothing readable",
        )
        assert isinstance(answer, kind)
        return answer
    return await ctx.harness.wait_for(
        kind, since=since, what=f"an {message_name(kind)} answering the {message_name(payload)}"
    )


async def polls_go_on(ctx: VenCaseContext, *, since: int, ven_id: str, count: int = 2) -> None:
    """In pull, check that the VEN keeps polling (``count`` polls naming ``ven_id`` from the
    inbox position ``since`` on); nothing to check in push."""
    if not ctx.pull:
        return
    harness = ctx.harness
    position = since
    for _ in range(count):
        poll = await harness.wait_for(
            OadrPoll,
            since=position,
            where=lambda poll: poll.ven_id == ven_id,
            what=f"an oadrPoll as {ven_id}",
        )
        position = harness.inbox.index_of(poll) + 1
    ctx.check(True, f"the VEN keeps polling as {ven_id}")


async def ended_registration_unused(
    ctx: VenCaseContext, registration: HarnessRegistration, *, since: int
) -> None:
    """Check that once ``registration`` ended (at the inbox position ``since``) the VEN does not
    use it: for three poll intervals it sends nothing naming its venID (one oadrPoll already in
    flight when it ended is allowed) until it perhaps begins a new registration (an
    oadrQueryRegistration, or an oadrCreatePartyRegistration without registrationID)."""
    window = 3 * poll_seconds(ctx) + 1
    await asyncio.sleep(window)
    used: list[Payload] = []
    for message in ctx.harness.inbox.messages[since:]:
        if isinstance(message, OadrQueryRegistration) or (
            isinstance(message, OadrCreatePartyRegistration) and message.registration_id is None
        ):
            break  # a new registration begins: what follows belongs to it
        if payload_ven_id(message) == registration.ven_id:
            used.append(message)
    polls = [message for message in used if isinstance(message, OadrPoll)]
    others = sorted({message_name(message) for message in used if not isinstance(message, OadrPoll)})
    ctx.check(
        len(polls) <= 1,
        f"the VEN stops polling once its registration ended ({len(polls)} oadrPoll as "
        f"{registration.ven_id} in {window:g} s; one in flight is allowed)",
    )
    ctx.check(
        not others,
        "the VEN sends nothing under its ended registration"
        + (f" (it sent {', '.join(others)})" if others else ""),
    )
