"""HTTP push: the VTN POSTs queued messages to push VENs, with retries and exponential backoff.

The queue in the store is the outbox: a message stays there until the VEN answered it with HTTP
200, so neither a failed push nor a crashed VTN loses it. A worker claims due messages with a
lease (so several VTN processes never send one message twice while the lease runs), POSTs each
to ``<transportAddress>/OpenADR2/Simple/2.0b/<Service>``, and hands the VEN's answer, if the body
holds one (oadrCreatedEvent, oadrCreatedReport, ...), to the dispatcher as if the VEN had POSTed
it. A failure is retried after ``push_backoff`` doubling up to ``push_backoff_max`` (with
jitter); after ``push_max_attempts`` the message is given up and ``on_delivery_failed`` told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl

import aiohttp

from .. import xml
from ..backoff import backoff
from ..errors import OpenADRError
from ..model import (
    ServiceName,
)
from ..services import PUSH_SERVICE_OF
from .core import VtnContext, call_handler
from .dispatch import Dispatcher
from .handlers import Peer
from .store import MessageKind, QueuedMessage, VenRecord

__all__ = ["PushWorker"]

logger = logging.getLogger("openadr_accel.vtn.push")

_CLAIM_LIMIT = 64


class PushWorker:
    """Sends queued messages to push VENs until stopped (see the module docstring)."""

    def __init__(
        self,
        context: VtnContext,
        dispatcher: Dispatcher,
        *,
        ssl_context: ssl.SSLContext | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """
        Args:
            ssl_context: the client context for VENs with ``https`` transport addresses (the VTN's
                certificate and the CA the VENs' certificates chain to).
        """
        self._context = context
        self._dispatcher = dispatcher
        self._ssl_context = ssl_context
        self._rng = rng or random.Random()
        self._session: aiohttp.ClientSession | None = None

    async def run(self) -> None:
        """Deliver due messages until cancelled."""
        config = self._context.config
        timeout = aiohttp.ClientTimeout(total=config.push_timeout.total_seconds())
        connector = aiohttp.TCPConnector(ssl=self._ssl_context if self._ssl_context is not None else True)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            self._session = session
            try:
                while True:
                    self._context.push_wakeup.clear()
                    try:
                        delivered = await self.deliver_due()
                    except Exception:  # the store is away, say: log, wait a scan interval, go on
                        logger.exception("a push round failed")
                        delivered = 0
                    if delivered:
                        continue  # more may be due at once
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._context.push_wakeup.wait(), config.push_scan_interval.total_seconds()
                        )
            finally:
                self._session = None

    async def deliver_due(self) -> int:
        """One round: claim the due messages and attempt each; returns how many were claimed."""
        context = self._context
        now = context.clock()
        claimed = await context.store.claim_push(
            now=now, lease_until=now + context.config.push_lease, limit=_CLAIM_LIMIT
        )
        await asyncio.gather(*(self._attempt(message) for message in claimed))
        return len(claimed)

    async def _attempt(self, message: QueuedMessage) -> None:
        store = self._context.store
        ven = await store.get_ven(message.ven_id)
        if ven is None or not ven.registered or not ven.push or not ven.transport_address:
            await store.delete_message(message.id)  # the registration it belonged to is gone
            return
        try:
            await self._send(ven, message)
        except (OSError, aiohttp.ClientError, TimeoutError, OpenADRError) as exc:
            await self._failed(message, f"{type(exc).__name__}: {exc}")
        else:
            await store.delete_message(message.id)

    async def _send(self, ven: VenRecord, message: QueuedMessage) -> None:
        assert self._session is not None
        assert ven.transport_address is not None
        data = await self._dispatcher.outbound(ven, message)
        service = _service(message)
        url = f"{ven.transport_address.rstrip('/')}/OpenADR2/Simple/2.0b/{service}"
        async with self._session.post(
            url, data=data, headers={"Content-Type": "application/xml"}
        ) as response:
            body = await response.read()
            if response.status != 200:
                raise aiohttp.ClientResponseError(
                    response.request_info, (), status=response.status, message=f"HTTP {response.status}"
                )
        if body.strip():
            # The answer came on the connection we opened to the VEN's address, which TLS
            # verified: it speaks for the VEN's bound certificate.
            await self._dispatcher.handle(service, body, Peer(fingerprint=ven.fingerprint, address=url))

    async def _failed(self, message: QueuedMessage, error: str) -> None:
        context = self._context
        attempts = message.attempts + 1
        config = context.config
        if attempts >= config.push_max_attempts:
            logger.warning(
                "giving up push %s to %s after %d attempts: %s", message.id, message.ven_id, attempts, error
            )
            await context.store.delete_message(message.id)
            try:
                await call_handler(context.handlers.on_delivery_failed, message, error)
            except OpenADRError as exc:  # nobody to answer: log it and keep pushing
                logger.warning("the on_delivery_failed handler failed: %s", exc)
            return
        wait = backoff(attempts, config.push_backoff, config.push_backoff_max, self._rng)
        logger.info("push %s to %s failed (%s); retry in %s", message.id, message.ven_id, error, wait)
        await context.store.reschedule(message.id, attempts=attempts, next_attempt_at=context.clock() + wait)


def _service(message: QueuedMessage) -> ServiceName:
    if message.kind == MessageKind.DISTRIBUTE_EVENTS or message.body is None:
        return ServiceName.EI_EVENT
    return PUSH_SERVICE_OF[type(xml.parse(message.body, validate=False))]
