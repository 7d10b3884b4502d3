"""The :class:`VEN`: settings, store, handlers and report capabilities in, a running VEN out.

While it runs (:meth:`VEN.run`, or ``async with ven.running():``) a VEN has three tasks:

- the connection: registers if the store holds no registration (and again when the VTN asks,
  or forgets the VEN), then in pull mode polls at ``max(poll_frequency, the VTN's requested
  frequency)`` (rules 54 and 55), draining the VTN's queue one message per poll. When the VTN
  cannot be reached it waits with exponential backoff and jitter, and carries on.
- the scheduler: tells the handlers of each event's moments as they fall.
- the reporter: samples the history points, and sends report updates as they fall due.

A push VEN (``transport_address`` set) does not poll: it serves its endpoint
(:meth:`VEN.running` starts it) and the VTN POSTs to it.

:meth:`VEN.stop` ends :meth:`VEN.run` cleanly: the tasks finish what they are doing (a request
in flight is cancelled), the HTTP session and the store are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import ssl
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web

from ..backoff import backoff
from ..clock import Clock, system_clock
from ..errors import OpenADRError
from ..model import (
    EiTarget,
    OadrCreatedPartyRegistration,
    OadrCreateOpt,
    OadrDistributeEvent,
    OadrResponse,
    OptReason,
    OptType,
    Payload,
)
from ..security.replay import DEFAULT_REPLAY_WINDOW, ReplayGuard
from ..security.signature import SignatureVerifier, Signer
from .config import VenConfig
from .distribution import SignalFilter
from .events import VenEvents
from .handlers import VenHandlers
from .opt import Period
from .push import build_push_app
from .report_capabilities import ReportCapability
from .reports import VenReports
from .session import Reply, VenSession
from .store import KnownEvent, Registration, VenStore
from .transport import InboundReader, VtnClient

__all__ = ["VEN"]

logger = logging.getLogger("openadr_accel.ven")

_MAX_DRAIN = 100
"""Polls in one round at most, when the VTN has that many messages queued."""

_IDLE = timedelta(hours=1)
"""How long the scheduler or reporter sleeps when nothing is ahead (a change wakes it sooner)."""


class VEN:
    """An OpenADR 2.0b VEN (see the module docstring).

    Example::

        async def decide(event: OadrEvent) -> OptType:
            return OptType.OPT_IN

        ven = VEN(VenConfig(vtn_url="https://vtn.example.com", ven_name="charger-park-7"),
                  "ven.db", handlers=VenHandlers(on_event=decide),
                  reports=[telemetry_usage("meter", power=read_power)])
        async with ven.running():
            await asyncio.Event().wait()  # until cancelled
    """

    def __init__(
        self,
        config: VenConfig,
        store: VenStore | str | os.PathLike[str],
        *,
        handlers: VenHandlers | None = None,
        reports: Sequence[ReportCapability] = (),
        supports: SignalFilter | None = None,
        ssl_context: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        vtn_fingerprint: str | None = None,
        clock: Clock = system_clock,
        rng: random.Random | None = None,
        tick: timedelta = timedelta(seconds=1),
        history_size: int = 10_000,
        replay_window: timedelta = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        """
        Args:
            config: the VEN's settings.
            store: its SQLite store, or the path of the file.
            handlers: the vendor's callbacks.
            reports: the reports the VEN offers, with their data sources.
            supports: which signals the VEN supports (default: all); others are answered 460.
            ssl_context: the client TLS context for an ``https`` VTN (mutual TLS: see
                :func:`~openadr_accel.security.ven_ssl_context`).
            signer: signs every message, and asks for XML signatures at registration.
            vtn_fingerprint: the fingerprint of the certificate the VTN signs with (needed with
                ``signer``), also checked against TLS clients of the push endpoint.
            clock: the time source.
            rng: the randomness of randomized starts and backoff jitter.
            tick: the longest the scheduler and reporter sleep before looking at the clock
                again while a moment is ahead (shorten it in tests that run a fast clock).
            history_size: how many readings the HISTORY_USAGE buffer keeps.
            replay_window: how far a signed message's ReplayProtect may be from the clock.
        """
        self.config = config
        self.store = store if isinstance(store, VenStore) else VenStore(store)
        self.handlers = handlers or VenHandlers()
        self._clock = clock
        self._rng = rng or random.Random()
        self._tick = tick
        verifier = SignatureVerifier(ReplayGuard(window=replay_window, clock=clock), clock=clock)
        reader = InboundReader(verifier, vtn_fingerprint, config.max_message_bytes)
        self.client = VtnClient(config, reader, ssl_context=ssl_context, signer=signer)
        self.events = VenEvents(
            self.store,
            self.handlers,
            supports=supports or _all_signals,
            clock=clock,
            rng=self._rng,
            forget_after=config.forget_after,
            market_contexts=config.market_contexts,
        )
        self.reports = VenReports(reports, history_size=history_size, clock=clock)
        self.session = VenSession(
            config,
            self.store,
            self.client,
            handlers=self.handlers,
            events=self.events,
            reports=self.reports,
            clock=clock,
        )
        self._vtn_fingerprint = vtn_fingerprint
        self._stopping = asyncio.Event()
        self._wake_connection = Wakeup()
        self._reports_changed = Wakeup()
        self._events_changed = Wakeup()
        self.session.reports_changed = self._reports_changed.set
        self.events.changed = self._events_changed.set

    # -- state ------------------------------------------------------------------------------------

    @property
    def registration(self) -> Registration | None:
        """The VEN's registration, or None."""
        return self.session.registration

    def known_events(self) -> dict[str, KnownEvent]:
        """The events the VEN knows, by eventID, with its decision on each."""
        return self.events.known()

    def opts(self) -> dict[str, OadrCreateOpt]:
        """The VEN's opts in force, by optID."""
        return self.store.opts()

    # -- one-off requests -------------------------------------------------------------------------

    async def query(self) -> OadrCreatedPartyRegistration:
        """Ask the VTN about itself (oadrQueryRegistration)."""
        return await self.session.query()

    async def register(self) -> Registration:
        """Register now (see :meth:`VenSession.register`)."""
        return await self.session.register()

    async def cancel_registration(self) -> None:
        """Cancel the registration (the VEN's loop then stops)."""
        await self.session.cancel_registration()
        self.stop()

    async def poll(self) -> Payload:
        """Poll once, answer what came, and return it."""
        return await self.session.poll()

    async def request_events(self) -> OadrDistributeEvent:
        """Ask for all current events (oadrRequestEvent) and answer them."""
        return await self.session.request_events()

    async def create_opt(
        self,
        opt_type: OptType,
        *,
        schedule: Sequence[Period] = (),
        event_id: str | None = None,
        modification_number: int | None = None,
        target: EiTarget = EiTarget(),
        reason: OptReason | None = None,
        market_context: str | None = None,
        opt_id: str | None = None,
    ) -> str:
        """Opt in or out: an availability ``schedule`` of (start, duration) periods, or one
        event (``event_id``), for all resources or those in ``target``. Returns the optID
        (see :meth:`VenSession.create_opt`)."""
        return await self.session.create_opt(
            opt_type,
            schedule=schedule,
            event_id=event_id,
            modification_number=modification_number,
            target=target,
            reason=reason,
            market_context=market_context,
            opt_id=opt_id,
        )

    async def cancel_opt(self, opt_id: str) -> None:
        """Cancel an opt (oadrCancelOpt)."""
        await self.session.cancel_opt(opt_id)

    # -- running ----------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask :meth:`run` to end."""
        self._stopping.set()

    async def run(self) -> None:
        """Run until :meth:`stop` (or until the registration ends): see the module docstring."""
        await self.client.open()
        tasks = [
            asyncio.create_task(self._connection(), name="openadr-ven-connection"),
            asyncio.create_task(self._scheduler(), name="openadr-ven-scheduler"),
            asyncio.create_task(self._reporter(), name="openadr-ven-reporter"),
        ]
        try:
            await self._stopping.wait()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.client.close()
            self._stopping.clear()  # a stop() before run() started is not lost; run() may run again

    def app(self) -> web.Application:
        """The push endpoint (for a push VEN), to mount in your own server."""
        address = self.config.transport_address or ""
        return build_push_app(
            self.session,
            encode=self.client.encode,
            vtn_fingerprint=self._vtn_fingerprint,
            prefix=urlsplit(address).path.rstrip("/"),
            after_reply=self._after_pushed_reply,
        )

    @contextlib.asynccontextmanager
    async def running(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> AsyncIterator[VEN]:
        """Run the VEN until the block ends. A push VEN also serves its endpoint on ``host``
        and ``port`` (default: the port of its transport address) with ``ssl_context`` (a
        server context: :func:`~openadr_accel.security.vtn_ssl_context`)."""
        runner: web.AppRunner | None = None
        if not self.config.pull:
            runner = web.AppRunner(self.app(), access_log=None)
            await runner.setup()
            listen_port = port if port is not None else urlsplit(self.config.transport_address).port or 80
            await web.TCPSite(runner, host, listen_port, ssl_context=ssl_context).start()
        task = asyncio.create_task(self.run(), name="openadr-ven")
        try:
            yield self
        finally:
            self.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if runner is not None:
                await runner.cleanup()

    async def close(self) -> None:
        """Close the HTTP session and the store."""
        await self.client.close()
        self.store.close()

    # -- tasks ------------------------------------------------------------------------------------

    async def _connection(self) -> None:
        session = self.session
        failures = 0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            began = loop.time()
            try:
                if session.cancelled_by_vtn:
                    logger.warning("the VTN cancelled the registration: the VEN stops")
                    self.stop()
                    return
                if session.registration is None or session.reregister_requested:
                    await session.register()
                if self.config.pull:
                    began = loop.time()
                    await self._drain()
                failures = 0
                # A fixed rate (rules 54/55): the rounds' first polls leave one interval apart,
                # so the VTN receives them that far apart (give or take the network's jitter)
                # however long the answers take; the messages it had queued (drained at once)
                # do not delay the next round.
                wait = self._poll_interval() - timedelta(seconds=loop.time() - began)
                if session.cancelled_by_vtn or session.reregister_requested:
                    wait = timedelta(0)  # act on it now, not after a poll interval
            except OpenADRError as exc:
                failures += 1
                wait = backoff(failures, self.config.backoff, self.config.backoff_max, self._rng)
                logger.warning("VTN exchange failed (%s); retrying in %.1f s", exc, wait.total_seconds())
            await self._wake_connection.sleep(wait)

    async def _drain(self) -> None:
        """Poll until the VTN's queue is empty (at most ``_MAX_DRAIN`` polls)."""
        for _ in range(_MAX_DRAIN):
            message = await self.session.poll()
            if isinstance(message, OadrResponse) or self.session.registration is None:
                return
            if self.session.reregister_requested or self.session.cancelled_by_vtn:
                return

    def _poll_interval(self) -> timedelta:
        registration = self.session.registration
        if not self.config.pull:
            return self.config.backoff_max  # push: only re-registration wakes the loop
        return self.config.poll_interval(None if registration is None else registration.poll_frequency)

    async def _scheduler(self) -> None:
        while True:
            upcoming = await self.events.fire_due()
            await self._events_changed.sleep(self._until(upcoming))

    async def _reporter(self) -> None:
        failures = 0
        while True:
            now = self._clock()
            wait = self._tick
            try:
                sample_at = self.reports.next_sample()
                if sample_at is not None and sample_at <= now:
                    await self.reports.sample()
                due = self.reports.next_due()
                if due is not None and due <= now and self.session.registration is not None:
                    await self.session.send_reports()
                failures = 0
                wait = min(self._until(self.reports.next_sample()), self._until(self.reports.next_due()))
            except OpenADRError as exc:
                failures += 1
                wait = backoff(failures, self.config.backoff, self.config.backoff_max, self._rng)
                logger.warning("sending reports failed (%s); retrying in %.1f s", exc, wait.total_seconds())
            await self._reports_changed.sleep(wait)

    def _until(self, at: datetime | None) -> timedelta:
        """How long to sleep before looking again: until ``at``, at most one tick (the clock
        may be set meanwhile). With nothing ahead (``at`` None), until woken by a change: an
        idle VEN of a fleet costs nothing between its polls."""
        if at is None:
            return _IDLE
        return max(timedelta(0), min(self._tick, at - self._clock()))

    async def _after_pushed_reply(self, reply: Reply) -> None:
        if reply.after is not None:
            try:
                await reply.after()
            except OpenADRError as exc:
                logger.warning("following up a pushed message failed: %s", exc)
        if self.session.reregister_requested or self.session.cancelled_by_vtn:
            self._wake_connection.set()


class Wakeup:
    """A sleep that a :meth:`set` ends early (a set before the sleep ends the next one at once).

    Cheaper than ``asyncio.wait_for(event.wait(), timeout)``, which makes a task, a timer and a
    cancellation per sleep: a fleet of VENs in one process sleeps thousands of times a second.
    """

    def __init__(self) -> None:
        self._pending = False
        self._waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        """End the current sleep, or the next one."""
        self._pending = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def sleep(self, wait: timedelta) -> None:
        """Sleep for ``wait`` or until :meth:`set`. A wait of zero (or less) still lets the event
        loop run once, so that a task looping on it can never starve the others."""
        if self._pending or wait <= timedelta(0):
            self._pending = False
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(wait.total_seconds(), _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None
        self._pending = False


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _all_signals(signal: object) -> bool:
    return True
