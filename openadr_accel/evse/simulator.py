"""A simulated EV charger: an OCPP charge point to try a central system (and a VEN behind it) on.

It connects to a central system, boots, reports an EV charging on its one connector, accepts
(or rejects) max-profiles, draws as much power as its current limit allows and sends MeterValues
every `meter_interval` real seconds (and soon after its limit changes). Every "now" comes from
its `clock`, so a test can run its schedules on a compressed clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from openadr_accel.clock import Clock, system_clock
from openadr_accel.evse import _ocpp16, _ocpp201
from openadr_accel.evse._wire import ClearCriteria, ReceivedProfile
from openadr_accel.evse.limits import ChargerSchedule, OcppVersion

__all__ = ["SimulatedCharger"]

log = logging.getLogger("openadr_accel.evse")

_HOUR = Decimal(3600 * 10**6)  # microseconds
_WIRE_ENERGY = Decimal("0.001")


class _Peer(Protocol):
    async def start(self) -> None: ...

    async def boot(self, *, vendor: str, model: str) -> str: ...

    async def charging(self, at: datetime) -> None: ...

    async def meter_values(self, at: datetime, power_w: Decimal, energy_wh: Decimal) -> None: ...


@dataclass(frozen=True, slots=True)
class _Installed:
    profile_id: int
    stack_level: int
    schedule: ChargerSchedule


class SimulatedCharger:
    """A charger simulator: an OCPP charge point that connects to a central system.

    It accepts (or, with ``accept_profiles=False``, rejects) max-profiles (ChargingStationMaxProfile
    in 2.0.1, ChargePointMaxProfile in 1.6; others are rejected), keeps them as a charger does (a
    new profile replaces the one with the same id or stack level; the highest stack level in
    force wins), draws ``min(max_power_w, limit)`` and sends MeterValues (Power.Active.Import in
    W, Energy.Active.Import.Register in Wh).

    Args:
        charger_id: Its ID: it connects to ``{url}/{charger_id}``.
        url: The central system's URL (``ws://host:port``, as `CentralSystem.url`).
        version: The OCPP version it speaks.
        max_power_w: What it draws when nothing limits it.
        accept_profiles: False to reject every SetChargingProfile.
        meter_interval: Real seconds between two MeterValues.
        clock: Its clock: schedule times, meter timestamps and the energy integral follow it.
        call_timeout: Seconds to wait for the central system's answers.
        vendor: The vendor name it boots with.
        model: The model it boots with.
    """

    def __init__(
        self,
        charger_id: str,
        url: str,
        *,
        version: OcppVersion = OcppVersion.V201,
        max_power_w: Decimal = Decimal(11000),
        accept_profiles: bool = True,
        meter_interval: float = 1.0,
        clock: Clock = system_clock,
        call_timeout: float = 10.0,
        vendor: str = "openadr_accel",
        model: str = "SimulatedCharger",
    ) -> None:
        self.charger_id = charger_id
        """Its ID."""
        self.version = version
        """The OCPP version it speaks."""
        self.max_power_w = max_power_w
        """What it draws when nothing limits it, in W."""
        self.accept_profiles = accept_profiles
        """Whether it accepts max-profiles (may be changed while it runs)."""
        self._url = url.rstrip("/")
        self._meter_interval = meter_interval
        self._clock = clock
        self._call_timeout = call_timeout
        self._vendor = vendor
        self._model = model
        self._installed: list[_Installed] = []
        self._history: list[ChargerSchedule] = []
        self._rejected = 0
        self._energy = Decimal(0)
        self._energy_at: datetime | None = None
        self._websocket: ClientConnection | None = None
        self._peer: _Peer | None = None
        self._reader: asyncio.Task[None] | None = None
        self._meter_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, send BootNotification and StatusNotification and a first MeterValues, start metering.

        Returns once the central system has answered all three.

        Raises:
            RuntimeError: it was started already, or the central system did not accept the boot.
            OSError: the central system cannot be reached.
            websockets.exceptions.InvalidHandshake: the central system refused the websocket.
            TimeoutError: the central system did not answer in time.
        """
        if self._websocket is not None:
            raise RuntimeError(f"simulated charger {self.charger_id} is started already")
        self._energy_at = self._clock()
        self._websocket = await connect(
            f"{self._url}/{quote(self.charger_id, safe='')}",
            subprotocols=[Subprotocol(self.version.subprotocol)],
            proxy=None,
        )
        module = _ocpp201 if self.version is OcppVersion.V201 else _ocpp16
        peer: _Peer = module.StationPeer(
            self.charger_id, self._websocket, self, call_timeout=self._call_timeout
        )
        self._peer = peer
        self._reader = asyncio.create_task(self._read(peer), name=f"simulated charger {self.charger_id}")
        try:
            status = await peer.boot(vendor=self._vendor, model=self._model)
            if status != "Accepted":
                raise RuntimeError(
                    f"the central system answered {self.charger_id}'s BootNotification with {status}"
                )
            await peer.charging(self._clock())
            await self._send_meter(peer)
        except BaseException:
            await self.close()
            raise
        self._stopping = False
        self._meter_task = asyncio.create_task(self._meter_loop(peer), name=f"meter {self.charger_id}")

    async def close(self) -> None:
        """Stop metering and close the connection (it may be started again)."""
        meter_task, self._meter_task = self._meter_task, None
        if meter_task is not None:
            # Python 3.11's wait_for (inside the ocpp library's call) can swallow a cancellation
            # that races with the answer: the loop also stops on this flag.
            self._stopping = True
            self._wake.set()
            meter_task.cancel()
            await asyncio.gather(meter_task, return_exceptions=True)
        websocket, self._websocket = self._websocket, None
        if websocket is not None:
            await websocket.close()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        self._peer = None

    async def __aenter__(self) -> Self:
        """Start; see `start`."""
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close; see `close`."""
        await self.close()

    # -- what it holds and draws -----------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether its connection to the central system is open."""
        return self._reader is not None and not self._reader.done()

    @property
    def schedules(self) -> tuple[ChargerSchedule, ...]:
        """The max-profile schedules it holds now, oldest first (replaced and cleared ones removed)."""
        return tuple(installed.schedule for installed in self._installed)

    @property
    def history(self) -> tuple[ChargerSchedule, ...]:
        """Every max-profile schedule it accepted, in order, including replaced and cleared ones."""
        return tuple(self._history)

    @property
    def rejected(self) -> int:
        """How many SetChargingProfile requests it rejected."""
        return self._rejected

    def limit_at(self, moment: datetime) -> Decimal | None:
        """The limit in force at a moment, from the schedules it holds.

        Args:
            moment: A timezone-aware datetime (on its clock).

        Returns:
            The limit in W of the highest stack level whose schedule is in force then, or None
            (unlimited) when none is.
        """
        for installed in sorted(self._installed, key=lambda i: i.stack_level, reverse=True):
            limit = installed.schedule.limit_at(moment)
            if limit is not None:
                return limit
        return None

    def _power_at(self, moment: datetime) -> Decimal:
        limit = self.limit_at(moment)
        return self.max_power_w if limit is None else min(self.max_power_w, limit)

    def power_w(self) -> Decimal:
        """What it draws now (on its clock): ``min(max_power_w, limit_at(clock()))``.

        Returns:
            The power in W.
        """
        return self._power_at(self._clock())

    @property
    def energy_wh(self) -> Decimal:
        """The energy it has drawn since it started, in Wh, integrated exactly over its schedules."""
        if self._energy_at is None:
            return self._energy
        return self._energy + self._integral(self._energy_at, self._clock())

    def _integral(self, since: datetime, until: datetime) -> Decimal:
        """Wh drawn from `since` to `until`: power is constant between schedule boundaries."""
        if until <= since:
            return Decimal(0)
        moments = {since, until}
        for installed in self._installed:
            schedule = installed.schedule
            edges = [schedule.start + period.start for period in schedule.periods]
            if schedule.end is not None:
                edges.append(schedule.end)
            moments.update(edge for edge in edges if since < edge < until)
        ordered = sorted(moments)
        total = Decimal(0)
        for begin, end in itertools.pairwise(ordered):
            total += self._power_at(begin) * Decimal((end - begin) // timedelta(microseconds=1)) / _HOUR
        return total

    def _advance(self) -> datetime:
        """Book the energy up to now, before what it holds changes."""
        now = self._clock()
        if self._energy_at is not None and now > self._energy_at:
            self._energy += self._integral(self._energy_at, now)
            self._energy_at = now
        return now

    # -- StationHooks: what the OCPP adapter asks it ---------------------------------------------

    def now(self) -> datetime:
        """Its clock (for the OCPP adapter)."""
        return self._clock()

    def install(self, profile: ReceivedProfile) -> str:
        """Take a SetChargingProfile (for the OCPP adapter).

        Args:
            profile: The profile received.

        Returns:
            "Accepted" or "Rejected".
        """
        reason: str | None = None
        if not self.accept_profiles:
            reason = "it rejects every profile"
        elif not profile.max_profile:
            reason = f"purpose {profile.purpose} is not a max-profile"
        elif profile.schedule is None:
            reason = profile.problem or "no schedule"
        if reason is not None or profile.schedule is None:
            self._rejected += 1
            log.info(
                "simulated charger %s rejects profile %s: %s", self.charger_id, profile.profile_id, reason
            )
            return "Rejected"
        self._advance()
        self._installed = [
            installed
            for installed in self._installed
            if installed.profile_id != profile.profile_id and installed.stack_level != profile.stack_level
        ]
        self._installed.append(_Installed(profile.profile_id, profile.stack_level, profile.schedule))
        self._history.append(profile.schedule)
        self._wake.set()
        return "Accepted"

    def clear(self, criteria: ClearCriteria) -> str:
        """Take a ClearChargingProfile (for the OCPP adapter).

        Args:
            criteria: What to clear.

        Returns:
            "Accepted" when it cleared something, else "Unknown".
        """

        def matches(installed: _Installed) -> bool:
            if criteria.profile_id is not None:
                return installed.profile_id == criteria.profile_id
            return (
                criteria.max_profile is not False
                and criteria.evse_id in (None, 0)
                and criteria.stack_level in (None, installed.stack_level)
            )

        self._advance()
        kept = [installed for installed in self._installed if not matches(installed)]
        if len(kept) == len(self._installed):
            return "Unknown"
        self._installed = kept
        self._wake.set()
        return "Accepted"

    # -- the wire --------------------------------------------------------------------------------

    async def _read(self, peer: _Peer) -> None:
        try:
            await peer.start()
        except ConnectionClosed:
            log.info("simulated charger %s: connection closed", self.charger_id)
        except Exception:
            log.exception("simulated charger %s: the connection failed", self.charger_id)

    async def _send_meter(self, peer: _Peer) -> None:
        now = self._advance()
        await peer.meter_values(now, self._power_at(now), self._energy.quantize(_WIRE_ENERGY))

    async def _meter_loop(self, peer: _Peer) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._meter_interval):
                    await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self._send_meter(peer)
            except ConnectionClosed:
                return
            except TimeoutError:
                log.warning("simulated charger %s: MeterValues not answered in time", self.charger_id)
            except Exception:
                log.exception("simulated charger %s: MeterValues failed", self.charger_id)
