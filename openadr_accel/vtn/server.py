"""The :class:`VTN`: settings, store, registration policy and callbacks in, an OpenADR server out."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator

from aiohttp import web

from ..clock import Clock, system_clock
from ..security.replay import ReplayGuard
from ..security.signature import SignatureVerifier, Signer
from .config import VtnConfig
from .core import VtnContext
from .dispatch import Dispatcher
from .events import VtnEvents
from .handlers import Peer, VtnHandlers
from .opt import VtnOpts
from .policies import RegistrationPolicy
from .push import PushWorker
from .registration import VtnRegistrations
from .reports import VtnReports
from .store import Store
from .web import build_app

__all__ = ["VTN"]


class VTN:
    """An OpenADR 2.0b VTN over a :class:`~openadr_accel.vtn.store.Store`.

    The operator's API is split by service: :attr:`registrations` (list VENs, place them in
    groups, cancel or renew registrations), :attr:`events` (create, modify, cancel, read
    answers), :attr:`opts` and :attr:`reports` (request, cancel, read data).

    Example::

        vtn = VTN(VtnConfig(vtn_id="my-vtn"), SqliteStore("vtn.db"), registration=OpenRegistration())
        async with vtn.running(port=8080):
            await vtn.events.create(signals=[Signal(name="SIMPLE", type=SignalType.LEVEL,
                                                    intervals=[(timedelta(minutes=30), 1)])],
                                    start=datetime.now(UTC) + timedelta(minutes=5))
            ...

    Several VTN objects (in several processes) may share one PostgreSQL store: the VTN keeps no
    state of its own between requests.
    """

    def __init__(
        self,
        config: VtnConfig,
        store: Store,
        *,
        registration: RegistrationPolicy,
        handlers: VtnHandlers | None = None,
        signer: Signer | None = None,
        push_ssl_context: ssl.SSLContext | None = None,
        clock: Clock = system_clock,
    ) -> None:
        """
        Args:
            config: the VTN's settings.
            store: where everything is kept (opened by :meth:`open` or :meth:`running`).
            registration: who may register (:class:`~openadr_accel.vtn.policies.AllowList`,
                :class:`~openadr_accel.vtn.policies.OpenRegistration` or your own).
            handlers: callbacks told of what VENs do.
            signer: signs messages to VENs that negotiated XML signatures (None: the VTN refuses
                such registrations with 454).
            push_ssl_context: the client TLS context for pushing to ``https`` VEN addresses.
            clock: the time source (tests pass their own).
        """
        self.config = config
        self.store = store
        self._context = VtnContext(
            config=config, store=store, clock=clock, handlers=handlers or VtnHandlers(), signer=signer
        )
        self.events = VtnEvents(self._context)
        """Create, modify and cancel events; read the VENs' answers."""
        self.opts = VtnOpts(self._context)
        """The VENs' opt schedules and per-event opts."""
        self.reports = VtnReports(self._context)
        """The VENs' report capabilities; request and cancel reports; read the data delivered."""
        self.registrations = VtnRegistrations(self._context, registration, self.events, self.reports)
        """List VENs, place them in groups, cancel or renew their registrations."""
        self.dispatcher = Dispatcher(
            self._context,
            registrations=self.registrations,
            events=self.events,
            opts=self.opts,
            reports=self.reports,
            verifier=SignatureVerifier(
                ReplayGuard(window=config.replay_window, max_nonces=config.replay_max_nonces, clock=clock),
                clock=clock,
            ),
        )
        self._push_ssl_context = push_ssl_context

    async def open(self) -> None:
        """Open the store (create its tables if needed)."""
        await self.store.open()

    async def close(self) -> None:
        """Close the store."""
        await self.store.close()

    async def handle(self, service: str, data: bytes, peer: Peer | None = None) -> bytes:
        """Answer one document POSTed to ``service`` (what the HTTP server does per request)."""
        return await self.dispatcher.handle(service, data, peer or Peer())

    def app(self) -> web.Application:
        """The aiohttp application (mount it in your own server, or use :meth:`running`)."""
        return build_app(self.config, self.dispatcher)

    def push_worker(self) -> PushWorker:
        """A worker that pushes queued messages to push VENs (:meth:`running` starts one)."""
        return PushWorker(self._context, self.dispatcher, ssl_context=self._push_ssl_context)

    @contextlib.asynccontextmanager
    async def running(
        self, host: str = "127.0.0.1", port: int = 8080, *, ssl_context: ssl.SSLContext | None = None
    ) -> AsyncIterator[web.AppRunner]:
        """Open the store, serve HTTP(S) on ``host:port`` and push to push VENs, until the block
        ends. ``port=0`` picks a free port (read it from the runner's ``addresses``)."""
        await self.open()
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        pusher = asyncio.create_task(self.push_worker().run(), name="openadr-vtn-push")
        try:
            site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
            await site.start()
            yield runner
        finally:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher
            await runner.cleanup()
            await self.close()
