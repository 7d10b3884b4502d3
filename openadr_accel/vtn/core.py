"""What every part of a VTN shares: settings, store, clock, callbacks, and the outbound queue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from .. import xml
from ..clock import Clock
from ..errors import LocalProtocolError, OpenADRError, RemoteProtocolError
from ..model import Payload, ResponseCode
from ..security.signature import Signer
from .config import VtnConfig
from .handlers import VtnHandlers
from .store import MessageKind, Store, VenRecord

__all__ = ["VtnContext", "building", "call_handler", "refuse", "require_registered"]

logger = logging.getLogger("openadr_accel.vtn")

_P = ParamSpec("_P")
_T = TypeVar("_T")


@contextmanager
def building(what: str) -> Iterator[None]:
    """Turn the model's ValueError (an invalid argument) into a LocalProtocolError naming ``what``."""
    try:
        yield
    except ValueError as exc:
        raise LocalProtocolError(f"cannot build {what}: {exc}") from exc


def refuse(code: ResponseCode, message: str, *, element: str | None = None) -> RemoteProtocolError:
    """The error to raise for a request answered with ``code``."""
    return RemoteProtocolError(message, response_code=code.value, element=element)


@dataclass(slots=True)
class VtnContext:
    """The pieces the services of one VTN share.

    ``signer`` signs what the VTN sends to VENs that negotiated XML signatures (None: the VTN
    does not sign, and refuses such registrations). ``push_wakeup`` is set whenever a message is
    queued for a push VEN, so that this process's push worker sends it at once instead of at its
    next scan.
    """

    config: VtnConfig
    store: Store
    clock: Clock
    handlers: VtnHandlers
    signer: Signer | None = None
    push_wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, ven: VenRecord, payload: Payload) -> None:
        """Queue a VTN-initiated message for a VEN (its next poll, or a push)."""
        await self.store.enqueue(ven.ven_id, MessageKind.PAYLOAD, xml.serialize(payload), now=self.clock())
        self._wake(ven)

    async def distribute_events(self, vens: Iterable[VenRecord]) -> None:
        """Note that these VENs' events changed: each gets one oadrDistributeEvent with all its
        current events, built when it is sent (one pending note per VEN is enough)."""
        now = self.clock()
        for ven in vens:
            await self.store.enqueue(ven.ven_id, MessageKind.DISTRIBUTE_EVENTS, None, now=now, coalesce=True)
            self._wake(ven)

    def _wake(self, ven: VenRecord) -> None:
        if ven.push:
            self.push_wakeup.set()


async def require_registered(context: VtnContext, ven_id: str | None) -> VenRecord:
    """The registered VEN named by a request, or a 463 refusal."""
    if ven_id is None:
        raise refuse(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "the request names no venID", element="venID")
    ven = await context.store.get_ven(ven_id)
    if ven is None or not ven.registered:
        raise refuse(
            ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, f"venID {ven_id!r} is not registered", element="venID"
        )
    return ven


async def call_handler(
    handler: Callable[_P, Awaitable[_T]] | None, *args: _P.args, **kwargs: _P.kwargs
) -> _T | None:
    """Run a vendor callback if there is one. OpenADR errors pass through (they become the answer's
    response code); anything else is logged and answered with 500, see :mod:`.handlers`."""
    if handler is None:
        return None
    try:
        return await handler(*args, **kwargs)
    except OpenADRError:
        raise
    except Exception as exc:
        logger.exception("a VTN handler (%s) raised", getattr(handler, "__name__", handler))
        raise OpenADRError(
            "the VTN's application failed to process the request",
            response_code=ResponseCode.INTERNAL_SERVER_ERROR.value,
        ) from exc
