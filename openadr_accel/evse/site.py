"""A charging site as one VEN: an OCPP central system, the bridge and the VEN, wired and run
together (what ``examples/evse_ocpp/run.py`` and ``openadr-accel demo`` run).

Example::

    site = EvseSite(
        VenConfig(vtn_url="http://127.0.0.1:8080", ven_name="charging-site"),
        "ven.db",
        LimitPolicy.from_toml("policy.toml"),
        ocpp_host="0.0.0.0",
        ocpp_port=9000,
    )
    async with site.running():
        print("chargers connect to", site.central.url + "/<charger id>")
        await asyncio.Event().wait()
"""

from __future__ import annotations

import contextlib
import os
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from ..clock import Clock, system_clock
from ..security.signature import Signer
from ..ven.config import VenConfig
from ..ven.node import VEN
from ..ven.store import VenStore
from .bridge import EvseBridge, Observer
from .central_system import CentralSystem
from .limits import OcppVersion
from .policy import LimitPolicy

__all__ = ["EvseSite"]


class EvseSite:
    """A VEN whose resources are the chargers connected to its OCPP central system.

    The parts stay reachable: :attr:`central` (the
    :class:`~openadr_accel.evse.central_system.CentralSystem`), :attr:`bridge` (the
    :class:`~openadr_accel.evse.bridge.EvseBridge`) and :attr:`ven` (the
    :class:`~openadr_accel.ven.node.VEN`, with the bridge's handlers, signal filter and
    TELEMETRY_USAGE report, and the bridge attached).

    Args:
        config: the VEN's settings.
        store: the VEN's SQLite store, or its path.
        policy: signals to limits, limits to the chargers' shares.
        ocpp_host, ocpp_port: where the central system listens (port 0: a free one, see
            ``central.url``).
        clock: the time source of the VEN, the bridge and the central system.
        observer: told of every step of the bridge.
        report_min_period: the shortest reporting period the TELEMETRY_USAGE report offers.
        call_timeout: seconds to wait for a charger's answer.
        apply_test_events: whether test events change the chargers' limits.
        ssl_context, signer, vtn_fingerprint: the VEN's mutual TLS and XML signatures (see
            :class:`~openadr_accel.ven.node.VEN`).
        rng: the randomness of the VEN's randomized starts and backoff.
        tick: how often the VEN's scheduler and reporter look at the clock at most.
    """

    def __init__(
        self,
        config: VenConfig,
        store: VenStore | str | os.PathLike[str],
        policy: LimitPolicy,
        *,
        ocpp_host: str = "127.0.0.1",
        ocpp_port: int = 0,
        clock: Clock = system_clock,
        observer: Observer | None = None,
        report_min_period: timedelta = timedelta(seconds=10),
        call_timeout: float = 10.0,
        apply_test_events: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        vtn_fingerprint: str | None = None,
        rng: random.Random | None = None,
        tick: timedelta = timedelta(seconds=1),
    ) -> None:
        self.central = CentralSystem(
            host=ocpp_host,
            port=ocpp_port,
            on_charger_connected=self._charger_connected,
            call_timeout=call_timeout,
            clock=clock,
        )
        self.bridge = EvseBridge(
            self.central, policy, clock=clock, observer=observer, apply_test_events=apply_test_events
        )
        self.ven = VEN(
            config,
            store,
            handlers=self.bridge.handlers(),
            reports=self.bridge.reports(min_period=report_min_period),
            supports=self.bridge.supports,
            ssl_context=ssl_context,
            signer=signer,
            vtn_fingerprint=vtn_fingerprint,
            clock=clock,
            rng=rng,
            tick=tick,
        )
        self.bridge.attach(self.ven)

    @contextlib.asynccontextmanager
    async def running(
        self, *, before_ven: Callable[[EvseSite], Awaitable[None]] | None = None
    ) -> AsyncIterator[EvseSite]:
        """Serve the chargers and run the VEN until the block ends; then let the bridge finish
        the opt-outs it is sending, stop the VEN, close the chargers' connections and the VEN's
        store. The chargers keep the limits they hold (each ends with its schedule).

        Args:
            before_ven: awaited once the central system listens, before the VEN starts (to
                connect chargers first, say, so that the VEN's first report has their meters).
        """
        await self.central.start()
        try:
            if before_ven is not None:
                await before_ven(self)
            async with self.ven.running():
                try:
                    yield self
                finally:
                    await self.bridge.close()
        finally:
            await self.central.close()
            self.ven.store.close()

    async def _charger_connected(self, charger_id: str, version: OcppVersion) -> None:
        await self.bridge.charger_connected(charger_id, version)
