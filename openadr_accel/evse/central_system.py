"""An OCPP central system (CSMS) that EV chargers connect to, to be told their power limits.

Chargers open a websocket to ``{url}/{charger_id}`` offering subprotocol ``ocpp2.0.1`` or
``ocpp1.6``; the central system accepts every BootNotification, answers Heartbeat,
StatusNotification, MeterValues (and, for 2.0.1, NotifyReport, TransactionEvent and Authorize;
for 1.6 Authorize, StartTransaction and StopTransaction), keeps the latest meter readings and
sends max-profiles (`set_limit`, `clear_limit`).

Example:
    ```python
    async with CentralSystem(port=9000) as csms:
        await csms.wait_for_chargers(1, timeout=60)
        outcome = await csms.set_limit("CP-1", schedule)
    ```
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType, TracebackType
from typing import Any, Protocol, Self
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from openadr_accel.clock import Clock, system_clock
from openadr_accel.evse import _ocpp16, _ocpp201
from openadr_accel.evse._wire import Answer, Reading
from openadr_accel.evse.limits import ChargerSchedule, MeterSample, OcppVersion, ProfileOutcome

__all__ = ["CentralSystem", "ChargerConnected", "MeterValuesReceived"]

log = logging.getLogger("openadr_accel.evse")

MeterValuesReceived = Callable[[MeterSample], Awaitable[None]]
"""``async def on_meter_values(sample)``: a charger's sample after MeterValues changed it."""

ChargerConnected = Callable[[str, OcppVersion], Awaitable[None]]
"""``async def on_charger_connected(charger_id, version)``: a charger connected and spoke."""

_SUBPROTOCOLS = {Subprotocol(version.subprotocol): version for version in (OcppVersion.V201, OcppVersion.V16)}
_ACCEPTED = frozenset({"Accepted"})
_CLEARED = frozenset({"Accepted", "Unknown"})


class _Peer(Protocol):
    async def start(self) -> None: ...

    async def set_max_profile(
        self, schedule: ChargerSchedule, *, profile_id: int, stack_level: int
    ) -> Answer: ...

    async def clear_max_profile(self, *, stack_level: int) -> Answer: ...


@dataclass(slots=True)
class _EvseMeter:
    power_w: Decimal | None = None
    power_at: datetime | None = None
    energy_wh: Decimal | None = None
    energy_at: datetime | None = None

    def update(self, reading: Reading) -> bool:
        changed = False
        if reading.power_w is not None and (self.power_at is None or reading.at >= self.power_at):
            self.power_w, self.power_at, changed = reading.power_w, reading.at, True
        if reading.energy_wh is not None and (self.energy_at is None or reading.at >= self.energy_at):
            self.energy_wh, self.energy_at, changed = reading.energy_wh, reading.at, True
        return changed


def _charger_id(path: str) -> str:
    """The charger ID: the last segment of the request path (``/ocpp/CP-1`` gives ``CP-1``)."""
    segments = [segment for segment in urlsplit(path).path.split("/") if segment]
    return unquote(segments[-1]) if segments else ""


@dataclass(eq=False)
class _Connection:
    """One charger's websocket: what the adapter tells about it goes to the central system."""

    system: CentralSystem
    charger_id: str
    version: OcppVersion
    websocket: ServerConnection
    peer: _Peer | None = None
    ready: bool = False
    vendor: str | None = None
    model: str | None = None
    statuses: dict[tuple[int, int], str] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.system._clock()

    def heartbeat_interval(self) -> int:
        return self.system._heartbeat_interval

    def booted(self, vendor: str, model: str, reason: str | None) -> None:
        self.vendor, self.model = vendor, model
        log.info(
            "charger %s booted (OCPP %s): %s %s, reason %s",
            self.charger_id,
            self.version,
            vendor,
            model,
            reason,
        )

    def status(self, evse_id: int, connector_id: int, status: str) -> None:
        self.statuses[(evse_id, connector_id)] = status
        log.debug("charger %s evse %s connector %s: %s", self.charger_id, evse_id, connector_id, status)

    def meter_values(self, evse_id: int, readings: Sequence[Reading]) -> None:
        self.system._meter_values(self.charger_id, evse_id, readings)

    def message_handled(self) -> None:
        if not self.ready:
            self.ready = True
            self.system._charger_ready(self)


class CentralSystem:
    """An OCPP central system (CSMS) over websockets that chargers connect to.

    It speaks OCPP 2.0.1 (subprotocol ``ocpp2.0.1``) and 1.6 (``ocpp1.6``), whichever the charger
    offers (2.0.1 first). A charger is listed in `chargers` once connected and its first message
    (normally BootNotification) is answered; it is removed when its connection closes. Every
    BootNotification is accepted, from any charger ID (IDs outside `known_chargers` are logged).
    Errors in handling a charger's message are logged (logger ``openadr_accel.evse``; the wire
    itself on ``openadr_accel.evse.ocpp``) and answered with a CallError; they never stop the
    server. Use it as ``async with``, or call `start` and `close`.

    Args:
        host: The address to listen on.
        port: The port to listen on; 0 picks a free one (see `url`).
        on_meter_values: Awaited (in its own task) with a charger's `meter` sample whenever its
            meter values changed it.
        on_charger_connected: Awaited (in its own task) when a charger is listed in `chargers`,
            after its first message was answered, so it may call `set_limit` at once.
        call_timeout: Seconds to wait for a charger's answer to `set_limit`/`clear_limit`.
        heartbeat_interval: The heartbeat interval in seconds given in BootNotification answers.
        profile_id: The chargingProfileId of the max-profiles we send (each replaces the last).
        stack_level: Their stackLevel; `clear_limit` clears only that level.
        known_chargers: The charger IDs expected; others are still accepted, with a warning.
        clock: The clock for the times we send (currentTime) and for readings without one.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_meter_values: MeterValuesReceived | None = None,
        on_charger_connected: ChargerConnected | None = None,
        call_timeout: float = 10.0,
        heartbeat_interval: int = 300,
        profile_id: int = 1,
        stack_level: int = 0,
        known_chargers: Collection[str] | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._host = host
        self._port = port
        self._on_meter_values = on_meter_values
        self._on_charger_connected = on_charger_connected
        self._call_timeout = call_timeout
        self._heartbeat_interval = heartbeat_interval
        self._profile_id = profile_id
        self._stack_level = stack_level
        self._known = None if known_chargers is None else frozenset(known_chargers)
        self._clock = clock
        self._server: Server | None = None
        self._connections: dict[str, _Connection] = {}
        self._meters: dict[str, dict[int, _EvseMeter]] = {}
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen for chargers.

        Raises:
            RuntimeError: it was started already.
            OSError: the address cannot be listened on.
        """
        if self._server is not None:
            raise RuntimeError("the central system is started already")
        self._server = await serve(
            self._serve_connection,
            self._host,
            self._port,
            subprotocols=list(_SUBPROTOCOLS),
        )
        log.info("OCPP central system listening on %s", self.url)

    async def close(self) -> None:
        """Close every charger's connection and stop listening (callbacks still running are cancelled)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> Self:
        """Start; see `start`."""
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close; see `close`."""
        await self.close()

    @property
    def url(self) -> str:
        """The URL to give chargers, ``ws://host:port``: a charger connects to ``{url}/{charger_id}``.

        Raises:
            RuntimeError: not started.
        """
        if self._server is None:
            raise RuntimeError("the central system is not started")
        host, port = self._server.sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"ws://{shown}:{port}"

    @property
    def chargers(self) -> Mapping[str, OcppVersion]:
        """The chargers connected right now (a snapshot), with the OCPP version each speaks."""
        return MappingProxyType({cid: c.version for cid, c in self._connections.items() if c.ready})

    async def wait_for_chargers(self, count: int, timeout: float) -> None:
        """Wait until at least `count` chargers are connected.

        Args:
            count: How many.
            timeout: Seconds to wait at most.

        Raises:
            TimeoutError: fewer are connected after `timeout` (the message names those that are).
        """
        try:
            async with asyncio.timeout(timeout):
                while len(self.chargers) < count:
                    await self._changed.wait()
        except TimeoutError:
            connected = sorted(self.chargers)
            raise TimeoutError(
                f"{len(connected)} of {count} chargers connected after {timeout}s: "
                + (", ".join(connected) or "none")
            ) from None

    async def set_limit(self, charger_id: str, schedule: ChargerSchedule) -> ProfileOutcome:
        """Send a charger a max-profile: a limit on its total power over time.

        OCPP 2.0.1: SetChargingProfile on evseId 0, ChargingStationMaxProfile; 1.6: connectorId
        0, ChargePointMaxProfile; both Absolute, in W, startSchedule = `schedule.start`, the
        duration and the periods (startPeriod in seconds, limit rounded to 0.1 W). It replaces
        the previous one sent (same chargingProfileId and stackLevel).

        Args:
            charger_id: The charger.
            schedule: The limits.

        Returns:
            Whether the charger accepted it. A charger that is not connected, or whose connection
            drops before it answers, gives status "Disconnected"; no answer within
            `call_timeout` gives "Timeout"; a CallError gives "CallError <code>: ...". None of
            these raise.
        """
        connection = self._connections.get(charger_id)
        if connection is None or connection.peer is None:
            return ProfileOutcome(charger_id=charger_id, accepted=False, status="Disconnected")
        peer = connection.peer
        outcome = await self._exchange(
            connection,
            peer.set_max_profile(schedule, profile_id=self._profile_id, stack_level=self._stack_level),
            _ACCEPTED,
        )
        log.info(
            "charger %s: max-profile from %s: %s", charger_id, schedule.start.isoformat(), outcome.status
        )
        return outcome

    async def clear_limit(self, charger_id: str) -> ProfileOutcome:
        """Clear the max-profile sent by `set_limit` (ClearChargingProfile of that purpose and stack level).

        Args:
            charger_id: The charger.

        Returns:
            As for `set_limit`; the charger's "Unknown" (it had no such profile) counts as accepted.
        """
        connection = self._connections.get(charger_id)
        if connection is None or connection.peer is None:
            return ProfileOutcome(charger_id=charger_id, accepted=False, status="Disconnected")
        outcome = await self._exchange(
            connection, connection.peer.clear_max_profile(stack_level=self._stack_level), _CLEARED
        )
        log.info("charger %s: max-profile cleared: %s", charger_id, outcome.status)
        return outcome

    def meter(self, charger_id: str) -> MeterSample | None:
        """The latest meter readings of a charger (kept after it disconnects).

        Power and energy are each the latest value received; the main meter's (EVSE or
        connector 0) when it reports one, else the sum over its EVSEs or connectors.

        Args:
            charger_id: The charger.

        Returns:
            The sample (`at` is the time of its newest value), or None when nothing was received.
        """
        evses = self._meters.get(charger_id)
        if not evses:
            return None
        main = evses.get(0)
        times: list[datetime] = []

        def total(
            value: Callable[[_EvseMeter], Decimal | None], at: Callable[[_EvseMeter], datetime | None]
        ) -> Decimal | None:
            if main is not None and value(main) is not None:
                sources = [main]
            else:
                sources = [meter for evse, meter in evses.items() if evse != 0 and value(meter) is not None]
            if not sources:
                return None
            times.extend(moment for moment in map(at, sources) if moment is not None)
            return sum((v for v in map(value, sources) if v is not None), Decimal(0))

        power = total(lambda m: m.power_w, lambda m: m.power_at)
        energy = total(lambda m: m.energy_wh, lambda m: m.energy_at)
        if not times:
            return None
        return MeterSample(charger_id=charger_id, at=max(times), power_w=power, energy_wh=energy)

    def site_meter(self) -> MeterSample:
        """The sum of `meter` over the chargers connected now.

        Returns:
            A sample with charger_id "site": power and energy summed over the chargers that
            reported them (None when none did), `at` the newest of theirs (the clock's now when
            nothing is known).
        """
        samples = [sample for cid in self.chargers if (sample := self.meter(cid)) is not None]
        powers = [s.power_w for s in samples if s.power_w is not None]
        energies = [s.energy_wh for s in samples if s.energy_wh is not None]
        return MeterSample(
            charger_id="site",
            at=max((s.at for s in samples), default=None) or self._clock(),
            power_w=sum(powers, Decimal(0)) if powers else None,
            energy_wh=sum(energies, Decimal(0)) if energies else None,
        )

    # -- inside ---------------------------------------------------------------------------------

    async def _exchange(
        self, connection: _Connection, request: Coroutine[Any, Any, Answer], accepted: frozenset[str]
    ) -> ProfileOutcome:
        """Run a request to a charger, racing it against the connection closing."""
        charger_id = connection.charger_id
        call = asyncio.ensure_future(request)
        closed = asyncio.ensure_future(connection.websocket.wait_closed())
        try:
            await asyncio.wait({call, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (call, closed):
                if not task.done():
                    task.cancel()
            await asyncio.gather(call, closed, return_exceptions=True)
        if call.cancelled():
            return ProfileOutcome(charger_id=charger_id, accepted=False, status="Disconnected")
        try:
            answer = call.result()
        except TimeoutError:
            log.warning("charger %s did not answer within %ss", charger_id, self._call_timeout)
            return ProfileOutcome(charger_id=charger_id, accepted=False, status="Timeout")
        except ConnectionClosed:
            return ProfileOutcome(charger_id=charger_id, accepted=False, status="Disconnected")
        return ProfileOutcome(
            charger_id=charger_id,
            accepted=answer.status in accepted,
            status=answer.status,
            detail=answer.detail,
        )

    async def _serve_connection(self, websocket: ServerConnection) -> None:
        request = websocket.request
        charger_id = _charger_id(request.path if request is not None else "")
        version = _SUBPROTOCOLS.get(websocket.subprotocol) if websocket.subprotocol is not None else None
        if not charger_id or version is None:
            log.warning(
                "refusing a connection from %s: %s",
                websocket.remote_address,
                "no charger ID in the path" if not charger_id else "no OCPP subprotocol",
            )
            await websocket.close(
                1008, "no charger ID in the path" if not charger_id else "no OCPP subprotocol"
            )
            return
        if self._known is not None and charger_id not in self._known:
            log.warning("unknown charger %s connected (accepted)", charger_id)
        connection = _Connection(system=self, charger_id=charger_id, version=version, websocket=websocket)
        module = _ocpp201 if version is OcppVersion.V201 else _ocpp16
        peer: _Peer = module.CsmsPeer(charger_id, websocket, connection, call_timeout=self._call_timeout)
        connection.peer = peer
        previous = self._connections.get(charger_id)
        self._connections[charger_id] = connection
        if previous is not None:
            log.warning("charger %s connected again: closing its previous connection", charger_id)
            self._signal()
            # in the background: an unresponsive old connection must not hold up the new one
            self._spawn(
                previous.websocket.close(1000, "replaced by a new connection"),
                "closing a replaced connection",
            )
        log.info("charger %s connected from %s (OCPP %s)", charger_id, websocket.remote_address, version)
        try:
            await peer.start()
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("charger %s: the connection failed", charger_id)
            await websocket.close(1011, "internal error")
        finally:
            if self._connections.get(charger_id) is connection:
                del self._connections[charger_id]
                self._signal()
            log.info("charger %s disconnected", charger_id)

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _charger_ready(self, connection: _Connection) -> None:
        if self._connections.get(connection.charger_id) is not connection:
            return
        self._signal()
        if self._on_charger_connected is not None:
            self._spawn(
                self._on_charger_connected(connection.charger_id, connection.version), "on_charger_connected"
            )

    def _meter_values(self, charger_id: str, evse_id: int, readings: Sequence[Reading]) -> None:
        evse = self._meters.setdefault(charger_id, {}).setdefault(evse_id, _EvseMeter())
        changed = False
        for reading in readings:
            changed = evse.update(reading) or changed
        if changed and self._on_meter_values is not None:
            sample = self.meter(charger_id)
            if sample is not None:
                self._spawn(self._on_meter_values(sample), "on_meter_values")

    def _spawn(self, callback: Awaitable[None], name: str) -> None:
        async def run() -> None:
            try:
                await callback
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", name)

        task = asyncio.create_task(run(), name=f"openadr_accel.evse {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
