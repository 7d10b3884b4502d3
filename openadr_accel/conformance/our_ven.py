"""Our own VEN as the device under test: driven through its Python API, observed through its
handler calls and stored state.

:class:`OurVenFactory` starts a fresh :class:`~openadr_accel.ven.node.VEN` per case (its own
SQLite file in a temporary folder, the run's compressed clock) pointed at the case's harness VTN;
every handler call is written to a :class:`Journal` that observations read through
:class:`VenView`.
"""

from __future__ import annotations

import contextlib
import ssl
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..model import (
    EiTarget,
    LoadControlValues,
    OadrCreateOpt,
    OadrEvent,
    OadrLoadControlState,
    OadrPayloadResourceStatus,
    OadrReport,
    OptType,
)
from ..security.signature import Signer
from ..ven.config import VenConfig
from ..ven.distribution import SignalFilter
from ..ven.handlers import SignalValue, VenHandlers
from ..ven.node import VEN
from ..ven.report_capabilities import ReportCapability, history_usage, telemetry_status, telemetry_usage
from ..ven.store import KnownEvent, Registration
from .build import ENROLLED_MARKET_CONTEXTS
from .case import Selected, Transport
from .context import CompressedClock
from .devices import OptRequest
from .harness_vtn import HarnessVtn

__all__ = ["Call", "Journal", "OurVen", "OurVenFactory", "SimulatedMeter", "VenView", "charger_reports"]


@dataclass(frozen=True, slots=True)
class Call:
    """One handler call of the VEN.

    Attributes:
        name: ``event`` (on_event), ``pending``, ``started``, ``interval``, ``modified``,
            ``cancelled``, ``ended``, ``registered``, ``registration_cancelled``, ``report``.
        event_id: the event concerned (None for registration and report calls).
        detail: the modificationNumber (``event``, ``modified``), the signal values
            (``started``, ``interval``), the registration, or the report.
        at: when the call was made (the run's clock).
    """

    name: str
    event_id: str | None
    detail: Any
    at: datetime


@dataclass(slots=True)
class Journal:
    """Every handler call of one VEN, in order, and the opt decisions it makes."""

    clock: Callable[[], datetime]
    calls: list[Call] = field(default_factory=list)
    decisions: dict[str, OptType] = field(default_factory=dict)
    """What ``on_event`` answers per eventID (others: :attr:`default_decision`)."""
    default_decision: OptType = OptType.OPT_IN
    """What ``on_event`` answers for an event not in :attr:`decisions`."""

    def add(self, name: str, event_id: str | None, detail: Any = None) -> None:
        self.calls.append(Call(name, event_id, detail, self.clock()))

    def handlers(self) -> VenHandlers:
        """VEN handlers that write here."""

        def event_id(event: OadrEvent) -> str:
            return event.ei_event.event_descriptor.event_id

        async def on_event(event: OadrEvent) -> OptType:
            self.add("event", event_id(event), event.ei_event.event_descriptor.modification_number)
            return self.decisions.get(event_id(event), self.default_decision)

        def told(name: str) -> Callable[[OadrEvent], Any]:
            async def handler(event: OadrEvent) -> None:
                self.add(name, event_id(event))

            return handler

        def with_values(name: str) -> Callable[[OadrEvent, tuple[SignalValue, ...]], Any]:
            async def handler(event: OadrEvent, values: tuple[SignalValue, ...]) -> None:
                self.add(name, event_id(event), values)

            return handler

        async def modified(event: OadrEvent, previous: OadrEvent) -> None:
            self.add("modified", event_id(event), event.ei_event.event_descriptor.modification_number)

        async def registered(registration: Registration) -> None:
            self.add("registered", None, registration)

        async def unregistered(registration: Registration) -> None:
            self.add("registration_cancelled", None, registration)

        async def report(report: OadrReport) -> None:
            self.add("report", None, report)

        return VenHandlers(
            on_event=on_event,
            on_event_pending=told("pending"),
            on_event_started=with_values("started"),
            on_interval_changed=with_values("interval"),
            on_event_modified=modified,
            on_event_cancelled=told("cancelled"),
            on_event_ended=told("ended"),
            on_registered=registered,
            on_registration_cancelled=unregistered,
            on_report=report,
        )


@dataclass(frozen=True, slots=True)
class VenView:
    """What an observation sees of our VEN: its handler calls and its stored state."""

    ven: VEN
    journal: Journal

    @property
    def calls(self) -> list[Call]:
        """Every handler call so far."""
        return self.journal.calls

    def called(self, name: str, event_id: str | None = None) -> list[Call]:
        """The calls of one handler (for one event)."""
        return [
            call
            for call in self.journal.calls
            if call.name == name and (event_id is None or call.event_id == event_id)
        ]

    def events(self) -> dict[str, KnownEvent]:
        """The events the VEN knows, with its decision on each."""
        return self.ven.known_events()

    def opts(self) -> dict[str, OadrCreateOpt]:
        """The VEN's opts in force."""
        return self.ven.opts()

    @property
    def registration(self) -> Registration | None:
        """The VEN's stored registration."""
        return self.ven.registration


@dataclass
class SimulatedMeter:
    """The meter of a simulated EV charger: power drifts, energy grows, a status with its load
    control (current within min and max, as TELEMETRY_STATUS wants it consistent)."""

    power_w: Decimal = Decimal(7000)
    energy_wh: Decimal = Decimal(1000)
    status: OadrPayloadResourceStatus = field(
        default_factory=lambda: OadrPayloadResourceStatus(
            online=True,
            manual_override=False,
            load_control_state=OadrLoadControlState(
                capacity=LoadControlValues(current=Decimal("7.4"), min=Decimal(0), max=Decimal(11))
            ),
        )
    )

    async def power(self) -> Decimal:
        """The power now (W)."""
        self.power_w += 1
        return self.power_w

    async def energy(self) -> Decimal:
        """The energy so far (Wh)."""
        self.energy_wh += Decimal("2.5")
        return self.energy_wh

    async def read_status(self) -> OadrPayloadResourceStatus:
        """The charger's status."""
        return self.status


def charger_reports(meter: SimulatedMeter | None = None) -> list[ReportCapability]:
    """What a simulated EV charger offers: TELEMETRY_USAGE (power and energy), TELEMETRY_STATUS
    and a HISTORY_USAGE of its energy sampled every minute, a day deep (the reports the report
    cases ask for; pass it as ``OurVenFactory(reports=charger_reports)``)."""
    meter = meter or SimulatedMeter()
    return [
        telemetry_usage("telemetry", power=meter.power, energy=meter.energy),
        telemetry_status("status", status=meter.read_status),
        history_usage(
            "history", energy=meter.energy, sampling_period=timedelta(minutes=1), duration=timedelta(days=1)
        ),
    ]


class OurVen:
    """Our VEN as a :class:`~openadr_accel.conformance.devices.VenDevice`."""

    name = "openadr_accel VEN"

    def __init__(self, ven: VEN, journal: Journal) -> None:
        self.ven = ven
        self.journal = journal

    def observer(self) -> Callable[[], VenView]:
        view = VenView(self.ven, self.journal)
        return lambda: view

    async def begin_registration(self) -> None:
        """Nothing to do: each case starts a fresh VEN, which registers by itself."""

    async def cancel_registration(self) -> None:
        await self.ven.cancel_registration()

    async def register_again(self, *, keep_registration_id: bool) -> None:
        if not keep_registration_id:
            # A new registration: the VEN forgets the one it holds first (as after a reset).
            self.ven.store.forget_registration()
            self.ven.session.registration = None
        await self.ven.register()

    async def request_events(self) -> None:
        await self.ven.request_events()

    async def create_opt(self, request: OptRequest) -> None:
        await self.ven.create_opt(
            request.opt_type,
            schedule=list(request.schedule),
            event_id=request.event_id,
            modification_number=request.modification_number,
            target=EiTarget(resource_ids=tuple(request.resource_ids)),
            reason=request.reason,
            opt_id=request.opt_id,
        )

    async def cancel_opt(self, opt_id: str) -> None:
        await self.ven.cancel_opt(opt_id)


class OurVenFactory:
    """Starts a fresh :class:`OurVen` for each case, pointed at the case's harness VTN.

    Args:
        reports: the report capabilities the VEN offers (default: none).
        supports: which signals the VEN supports (default: all but ``x-`` custom signals,
            so that the 460 cases have something to refuse).
        client_ssl: its TLS client context (mutual TLS with the harness).
        push_ssl: the TLS server context of its push endpoint.
        signer: signs its messages (and negotiates XML signatures).
        vtn_fingerprint: the harness VTN's certificate fingerprint.
        ven_name: its venName.
        ven_id: a venID allocated beforehand, sent in its oadrCreatePartyRegistration (N1_0025);
            None lets the harness assign one.
    """

    shared_harness = False

    def __init__(
        self,
        *,
        reports: Callable[[], Sequence[ReportCapability]] = tuple,
        supports: SignalFilter | None = None,
        client_ssl: ssl.SSLContext | None = None,
        push_ssl: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        vtn_fingerprint: str | None = None,
        ven_name: str = "openadr-accel-ven",
        ven_id: str | None = None,
    ) -> None:
        self._reports = reports
        self._supports = supports or _standard_signals
        self._client_ssl = client_ssl
        self._push_ssl = push_ssl
        self._signer = signer
        self._vtn_fingerprint = vtn_fingerprint
        self._ven_name = ven_name
        self._ven_id = ven_id

    @contextlib.asynccontextmanager
    async def attach(
        self, selected: Selected, harness: HarnessVtn, clock: CompressedClock
    ) -> AsyncIterator[OurVen]:
        """Run a fresh VEN against ``harness`` until the block ends."""
        push = selected.transport is Transport.PUSH
        with tempfile.TemporaryDirectory(prefix="openadr-conformance-ven-") as folder:
            journal = Journal(clock)
            address = None
            port = None
            if push:
                port = _free_port()
                scheme = "https" if self._push_ssl is not None else "http"
                address = f"{scheme}://127.0.0.1:{port}/ven"
            config = VenConfig(
                vtn_url=harness.url,
                ven_name=self._ven_name,
                ven_id=self._ven_id,
                poll_frequency=timedelta(seconds=1),
                transport_address=address,
                backoff=timedelta(milliseconds=100),
                backoff_max=timedelta(seconds=1),
                request_timeout=timedelta(seconds=10),
                market_contexts=ENROLLED_MARKET_CONTEXTS,
            )
            ven = VEN(
                config,
                Path(folder) / "ven.db",
                handlers=journal.handlers(),
                reports=self._reports(),
                supports=self._supports,
                ssl_context=self._client_ssl,
                signer=_on_clock(self._signer, clock),
                vtn_fingerprint=self._vtn_fingerprint,
                clock=clock,
                tick=timedelta(milliseconds=20),
            )
            try:
                async with ven.running(port=port, ssl_context=self._push_ssl):
                    yield OurVen(ven, journal)
            finally:
                ven.store.close()


def _on_clock(signer: Signer | None, clock: CompressedClock) -> Signer | None:
    """``signer`` re-made on the case's clock: the VEN's ReplayProtect timestamps must follow the
    compressed clock the harness checks them against."""
    return None if signer is None else Signer(signer.certificate, signer.key, clock=clock)


def _standard_signals(signal: object) -> bool:
    name = getattr(signal, "signal_name", "")
    return not str(name).startswith("x-")


def _free_port() -> int:
    import socket  # noqa: PLC0415 (only push cases need it)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
