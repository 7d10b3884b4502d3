"""EiOpt on the VTN: a VEN's opt schedules and per-event opts, stored and answered."""

from __future__ import annotations

from ..model import (
    EiResponse,
    EiTarget,
    OadrCanceledOpt,
    OadrCancelOpt,
    OadrCreatedOpt,
    OadrCreateOpt,
    ResponseCode,
)
from .core import VtnContext, call_handler, refuse, require_registered
from .events import answerable_event
from .store import EventResponseRecord, EventResponseSource

__all__ = ["VtnOpts"]


class VtnOpts:
    """Answer oadrCreateOpt and oadrCancelOpt; read the opts VENs sent."""

    def __init__(self, context: VtnContext) -> None:
        self._context = context

    async def list(self, ven_id: str | None = None) -> list[OadrCreateOpt]:
        """The opts in force, of one VEN or of all."""
        return await self._context.store.list_opts(ven_id)

    async def on_create_opt(self, message: OadrCreateOpt) -> OadrCreatedOpt:
        """Store (or replace, for a reused optID) an opt. An opt naming an event must name a
        current version of an event of this VEN (else 452). An opt of the whole event becomes the
        VEN's answer to it and overrides later oadrCreatedEvent answers (rule 206); an opt for
        some of the VEN's resources only (an eiTarget) is kept as an opt, and the VEN's answer
        to the event stands for its other resources (E1_1060)."""
        context = self._context
        ven = await require_registered(context, message.ven_id)
        store = context.store
        record = None
        async with store.transaction():
            qualified = message.qualified_event_id
            if qualified is not None:
                await answerable_event(context, ven, qualified)
            if qualified is not None and message.target == EiTarget():
                record = EventResponseRecord(
                    ven_id=ven.ven_id,
                    event_id=qualified.event_id,
                    modification_number=qualified.modification_number,
                    opt_type=message.opt_type,
                    response_code=ResponseCode.OK,
                    source=EventResponseSource.CREATE_OPT,
                    received_at=context.clock(),
                    opt_id=message.opt_id,
                )
                await store.save_event_response(record)
            await store.save_opt(message)
        await call_handler(context.handlers.on_opt, message)
        if record is not None:
            await call_handler(context.handlers.on_event_response, record, False)
        return OadrCreatedOpt(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            opt_id=message.opt_id,
        )

    async def on_cancel_opt(self, message: OadrCancelOpt) -> OadrCanceledOpt:
        """Remove an opt; an optID this VEN does not hold is answered 452. An opt that named an
        event no longer stands for the VEN's answer to it (rule 206 no longer applies)."""
        context = self._context
        ven = await require_registered(context, message.ven_id)
        store = context.store
        async with store.transaction():
            opt = await store.get_opt(ven.ven_id, message.opt_id)
            if opt is None:
                raise refuse(
                    ResponseCode.INVALID_ID,
                    f"venID {ven.ven_id!r} holds no opt {message.opt_id!r}",
                    element="optID",
                )
            await store.delete_opt(ven.ven_id, message.opt_id)
            if opt.qualified_event_id is not None:
                answer = await store.get_event_response(ven.ven_id, opt.qualified_event_id.event_id)
                if answer is not None and answer.opt_id == opt.opt_id:
                    await store.delete_event_response(ven.ven_id, answer.event_id)
        await call_handler(context.handlers.on_opt_cancelled, ven.ven_id, message.opt_id)
        return OadrCanceledOpt(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            opt_id=message.opt_id,
        )
