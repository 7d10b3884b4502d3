"""OpenLEADR 0.5.36 as the device under test of the conformance suite: the adapters on our side.

:class:`OpenLeadrVenFactory` runs OpenLEADR's VEN (``OpenADRClient``, ``ven_peer.py``) as the
device of the VEN cases, :class:`OpenLeadrVtnFactory` its VTN (``OpenADRServer``,
``vtn_peer.py``) as the device of the VTN cases: a fresh OpenLEADR process per case, under
OpenLEADR's own interpreter, pointed at the case's harness VTN (or giving the harness VEN its
URL). Both are external implementations for the suite: their ``observer()`` is None, so the
cases' observations are left to a person ("needs observation", never passed), and their clock
is the wall clock (run them with ``RunSettings(speed=1)``).

What a case asks of the device is done through OpenLEADR's own API, in the OpenLEADR process
(the peers' docstrings say which call does what). What OpenLEADR 0.5.36 has no API for makes the
case fail with the reason (:class:`~openadr_accel.conformance.case.CaseFailed`), or, where 2.0b
makes the feature optional, end not applicable
(:class:`~openadr_accel.conformance.case.NotApplicable`). The reasons are in :data:`VEN_LIMITS`
and :data:`VTN_LIMITS`, read from OpenLEADR's source (``client.py``, ``server.py``,
``service/*.py``).

Nothing here imports OpenLEADR: this side runs in our environment.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from openleadr_channel import PeerFailed, PeerProcess, start_peer

from openadr_accel.conformance.case import CaseFailed, NotApplicable, Selected, Transport
from openadr_accel.conformance.context import CompressedClock
from openadr_accel.conformance.devices import EventSpec, OptRequest, ReportSpec
from openadr_accel.conformance.harness_vtn import HarnessVtn
from openadr_accel.model import CurrencyUnit, CustomUnit, EiTarget, PulseCount
from openadr_accel.ven.opt import default_reason
from openadr_accel.vtn.events import Signal

__all__ = [
    "ACTION_SECONDS",
    "OPENLEADR",
    "PREALLOCATED",
    "VEN_LIMITS",
    "VTN_LIMITS",
    "Limit",
    "OpenLeadrVen",
    "OpenLeadrVenFactory",
    "OpenLeadrVtn",
    "OpenLeadrVtnFactory",
]

OPENLEADR = "OpenLEADR 0.5.36"
PATH_PREFIX = "/OpenADR2/Simple/2.0b"
ACTION_SECONDS = 30.0
"""The most one action may take in the OpenLEADR process (OpenLEADR's own HTTP requests give up
after 10 s each; re-registering makes several)."""
PREALLOCATED: Mapping[str, str] = {"N1_0025": "OPENLEADR-VEN-0025"}
"""The cases whose VEN is provisioned with a venID beforehand (N1_0025 is about that), and the venID."""
READY_SECONDS = 30.0
"""The most an OpenLEADR process may take to start (imports, the server's socket)."""
LIFETIME_SECONDS = 3600.0
"""How long an OpenLEADR process lives at most (it stops by itself then, should it be left over)."""


@dataclass(frozen=True, slots=True)
class Limit:
    """Something OpenLEADR 0.5.36 cannot do, and what a case that needs it concludes.

    Attributes:
        reason: why, read from OpenLEADR's source.
        optional: whether 2.0b makes the feature optional (the case is then not applicable;
            otherwise it fails).
    """

    reason: str
    optional: bool

    def conclude(self) -> NoReturn:
        """End the case: not applicable for an optional feature, failed otherwise."""
        if self.optional:
            raise NotApplicable(self.reason)
        raise CaseFailed(self.reason)


VEN_LIMITS: Mapping[str, Limit] = {
    "push": Limit(
        f"{OPENLEADR}'s VEN has no HTTP push endpoint: OpenADRClient only polls (it registers with "
        "oadrHttpPullModel true and serves nothing); 2.0b lets a VEN use pull only",
        optional=True,
    ),
    "request_reports": Limit(
        f"{OPENLEADR}'s VEN cannot request reports of its VTN: it answers the VTN's "
        'oadrRegisterReport with no request ("OpenLEADR does not support reports in this direction") '
        "and has no API to send oadrCreateReport; requesting the VTN's reports is optional for a VEN",
        optional=True,
    ),
}
"""What OpenLEADR 0.5.36's VEN cannot do, by action."""

_ON_POLL = (
    "; its poll queue carries only the events of add_event/add_raw_event/cancel_event (a custom on_poll "
    "handler could return any message, but it replaces that queue, add_event then refuses to work: the "
    "application would be writing the VTN)"
)

VTN_LIMITS: Mapping[str, Limit] = {
    "push": Limit(
        f"{OPENLEADR}'s VTN cannot push: OpenADRServer only answers requests (it has no HTTP client "
        "and never POSTs to a VEN's transportAddress, though it accepts a registration with "
        "oadrHttpPullModel false); 2.0b requires a VTN to support both HTTP pull and push",
        optional=False,
    ),
    "modify_event": Limit(
        f"{OPENLEADR}'s VTN cannot modify an event: OpenADRServer has add_event, add_raw_event and "
        "cancel_event, no API that changes an event and raises its modificationNumber",
        optional=False,
    ),
    "request_report": Limit(
        f"{OPENLEADR}'s VTN cannot request a report once the VEN registered its reports: it requests "
        "reports only on the oadrRegisteredReport answering the VEN's oadrRegisterReport, and has no API "
        "that sends oadrCreateReport" + _ON_POLL,
        optional=False,
    ),
    "request_reports": Limit(
        f"{OPENLEADR}'s VTN cannot send oadrCreateReport (with several requests or one): it has no API "
        "for it" + _ON_POLL,
        optional=False,
    ),
    "cancel_report": Limit(
        f"{OPENLEADR}'s VTN cannot cancel a report request: it has no API that sends oadrCancelReport"
        + _ON_POLL,
        optional=False,
    ),
    "cancel_report_on_update": Limit(
        f"{OPENLEADR}'s VTN cannot cancel a report request on its oadrUpdatedReport: the "
        "oadrUpdatedReport it answers with never carries an oadrCancelReport",
        optional=False,
    ),
    "request_metadata": Limit(
        f"{OPENLEADR}'s VTN cannot ask a VEN for its METADATA reports again: it has no API that sends "
        "oadrCreateReport" + _ON_POLL,
        optional=False,
    ),
    "cancel_registration": Limit(
        f"{OPENLEADR}'s VTN cannot cancel a registration: it has no API for it (it never sends "
        "oadrCancelPartyRegistration)" + _ON_POLL,
        optional=False,
    ),
    "report_interval": Limit(
        f"{OPENLEADR}'s VTN cannot give a reportInterval (start, duration) to the report requests it "
        "makes on oadrRegisteredReport: on_register_report returns (rID, callback, granularity, "
        "reportBackDuration) only",
        optional=False,
    ),
    "baseline": Limit(
        f"{OPENLEADR}'s VTN cannot send an event with an eiEventBaseline: its event template has no "
        "eiEventBaseline (objects.Event has no baseline either)",
        optional=False,
    ),
    "target": Limit(
        f"{OPENLEADR}'s VTN cannot target an event at service areas, service locations or transport "
        "interfaces: its event template writes groupID, groupName, resourceID, venID and partyID "
        "targets only",
        optional=False,
    ),
}
"""What OpenLEADR 0.5.36's VTN cannot do, by action."""


def _failed(device: str, exc: PeerFailed) -> CaseFailed:
    return CaseFailed(f"{device}: {exc}")


# -- the VEN ---------------------------------------------------------------------------------------


class OpenLeadrVen:
    """OpenLEADR's VEN as a :class:`~openadr_accel.conformance.devices.VenDevice` (and as a
    ``ReportRequestingVen`` of the report cases, which it cannot be: see :data:`VEN_LIMITS`).

    Args:
        peer: the running ``ven_peer.py``.
    """

    name = f"{OPENLEADR} VEN (OpenADRClient)"

    def __init__(self, peer: PeerProcess) -> None:
        self.peer = peer

    def observer(self) -> None:
        """None: an external implementation, whose observations a person must make."""
        return None

    async def _call(self, op: str, **args: Any) -> Any:
        try:
            return await self.peer.call(op, timeout=ACTION_SECONDS, **args)
        except PeerFailed as exc:
            raise _failed(self.name, exc) from exc

    async def begin_registration(self) -> None:
        """Nothing to do: each case starts a fresh client, which registers by itself
        (``client.run()``: oadrQueryRegistration, then oadrCreatePartyRegistration)."""

    async def cancel_registration(self) -> None:
        """``client.cancel_party_registration()``."""
        await self._call("cancel_registration")

    async def register_again(self, *, keep_registration_id: bool) -> None:
        """``client.create_party_reregistration()`` (renewing), or a new registration as ``run()``
        makes one (query, register without registrationID, register reports, sync events)."""
        await self._call("register_again", keep_registration_id=keep_registration_id)

    async def request_events(self) -> None:
        """``client.sync_events()``: oadrRequestEvent, and oadrCreatedEvent for what comes."""
        await self._call("request_events")

    async def create_opt(self, request: OptRequest) -> None:
        """``client.create_opt(...)`` (the reason: ``participating`` for an opt in,
        ``notParticipating`` for an opt out, unless the request says)."""
        reason = request.reason if request.reason is not None else default_reason(request.opt_type)
        await self._call(
            "create_opt",
            opt_type=request.opt_type.value,
            opt_reason=reason.value,
            targets=[{"resource_id": resource} for resource in request.resource_ids],
            schedule=[[start.isoformat(), duration.total_seconds()] for start, duration in request.schedule],
            event_id=request.event_id,
            modification_number=request.modification_number,
            opt_id=request.opt_id,
        )

    async def cancel_opt(self, opt_id: str) -> None:
        """``client.cancel_opt(opt_id)``."""
        await self._call("cancel_opt", opt_id=opt_id)

    async def request_reports(self, wanted: Sequence[object], *, on_registered_report: bool = False) -> None:
        """Not possible: see :data:`VEN_LIMITS` (``request_reports``)."""
        VEN_LIMITS["request_reports"].conclude()

    async def cancel_report(
        self, report_request_id: str, *, report_to_follow: bool, on_updated_report: bool = False
    ) -> None:
        """Not possible (it never requested one): see :data:`VEN_LIMITS` (``request_reports``)."""
        VEN_LIMITS["request_reports"].conclude()


class OpenLeadrVenFactory:
    """A fresh OpenLEADR VEN process per case, pointed at the case's harness VTN.

    Args:
        python: the OpenLEADR environment's interpreter.
        ven_name: the venName it registers with.
        tls: its certificate chain, key and CA bundle (mutual TLS with the harness), or None.
        logs: a folder for the log of each case's OpenLEADR process (``<case ID>.log``), or None.
        lifetime: the most its process lives, in seconds (longer than a case may take).
        ven_ids: a venID the client is provisioned with (``OpenADRClient(ven_id=...)``), by case
            number (default :data:`PREALLOCATED`); in other cases the VTN assigns one.
    """

    shared_harness = False

    def __init__(
        self,
        python: Path,
        *,
        ven_name: str = "openleadr-ven",
        tls: TlsPaths | None = None,
        logs: Path | None = None,
        lifetime: float = LIFETIME_SECONDS,
        ven_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.python = python
        self.ven_name = ven_name
        self.tls = tls
        self.logs = logs
        self.lifetime = lifetime
        self.ven_ids = dict(PREALLOCATED if ven_ids is None else ven_ids)

    @contextlib.asynccontextmanager
    async def attach(
        self, selected: Selected, harness: HarnessVtn, clock: CompressedClock
    ) -> AsyncIterator[OpenLeadrVen]:
        """Run a fresh client against ``harness`` until the block ends (push: not applicable,
        see :data:`VEN_LIMITS`)."""
        if selected.transport is Transport.PUSH:
            VEN_LIMITS["push"].conclude()
        arguments = ["--url", harness.url + PATH_PREFIX, "--ven-name", self.ven_name]
        arguments += ["--duration", str(self.lifetime)]
        ven_id = self.ven_ids.get(selected.case.number)
        if ven_id is not None:
            arguments += ["--ven-id", ven_id]
        if self.tls is not None:
            arguments += ["--cert", str(self.tls.certificate), "--key", str(self.tls.key)]
            arguments += ["--ca", str(self.tls.ca_bundle)]
        async with start_peer(
            self.python,
            "ven_peer.py",
            arguments,
            name=OpenLeadrVen.name,
            ready_timeout=READY_SECONDS,
            log=_log_path(self.logs, selected),
        ) as peer:
            yield OpenLeadrVen(peer)


@dataclass(frozen=True, slots=True)
class TlsPaths:
    """A party's certificate chain and key (PEM files), and the CA bundle it trusts."""

    certificate: Path
    key: Path
    ca_bundle: Path


# -- the VTN ---------------------------------------------------------------------------------------


class OpenLeadrVtn:
    """OpenLEADR's VTN as a :class:`~openadr_accel.conformance.devices.VtnDevice` (and as the
    ``VtnReportActions`` of the report cases).

    Args:
        peer: the running ``vtn_peer.py``.
        url: where VENs reach it (before ``/OpenADR2/Simple/2.0b``).

    Attributes:
        events: the eventIDs OpenLEADR gave the events created through the device, in order.
    """

    name = f"{OPENLEADR} VTN (OpenADRServer)"

    def __init__(self, peer: PeerProcess, url: str) -> None:
        self.peer = peer
        self.url = url
        self.events: list[str] = []

    def observer(self) -> None:
        """None: an external implementation, whose observations a person must make."""
        return None

    async def _call(self, op: str, **args: Any) -> Any:
        try:
            return await self.peer.call(op, timeout=ACTION_SECONDS, **args)
        except PeerFailed as exc:
            raise _failed(self.name, exc) from exc

    async def create_event(self, spec: EventSpec) -> None:
        """An ``objects.Event`` queued with ``server.add_raw_event`` (delivered on the VEN's next poll);
        an event with a baseline is not possible (see :data:`VTN_LIMITS`)."""
        if spec.baseline is not None:
            VTN_LIMITS["baseline"].conclude()
        event_id = await self._call("create_event", **_event(spec))
        self.events.append(str(event_id))

    async def modify_event(self, event_id: str, spec: EventSpec) -> None:
        """Not possible: see :data:`VTN_LIMITS`."""
        VTN_LIMITS["modify_event"].conclude()

    async def cancel_event(self, event_id: str) -> None:
        """``server.cancel_event(ven_id, event_id)`` (status cancelled, modificationNumber + 1)."""
        await self._call("cancel_event", event_id=event_id)

    async def request_report(self, spec: ReportSpec) -> None:
        """Not possible: see :data:`VTN_LIMITS`."""
        VTN_LIMITS["request_report"].conclude()

    async def cancel_report(self, report_request_id: str, *, report_to_follow: bool) -> None:
        """Not possible: see :data:`VTN_LIMITS`."""
        VTN_LIMITS["cancel_report"].conclude()

    async def request_metadata(self, ven_id: str) -> None:
        """Not possible: see :data:`VTN_LIMITS`."""
        VTN_LIMITS["request_metadata"].conclude()

    async def cancel_registration(self, ven_id: str) -> None:
        """Not possible: see :data:`VTN_LIMITS`."""
        VTN_LIMITS["cancel_registration"].conclude()

    async def request_reregistration(self, ven_id: str) -> None:
        """OpenLEADR's mechanism: ``ven_lookup`` forgets the VEN's registration, so the server
        answers its next message (an oadrPoll) with oadrRequestReregistration."""
        await self._call("request_reregistration", ven_id=ven_id)

    async def request_reports(self, specs: Sequence[ReportSpec]) -> None:
        """Not possible: see :data:`VTN_LIMITS`."""
        VTN_LIMITS["request_reports"].conclude()

    async def cancel_report_on_update(self, report_request_id: str, *, report_to_follow: bool) -> None:
        """Not possible: see :data:`VTN_LIMITS`."""
        VTN_LIMITS["cancel_report_on_update"].conclude()

    async def request_on_registered_report(self, spec: ReportSpec) -> None:
        """``on_register_report`` (full mode) answers the VEN's next oadrRegisterReport offering
        the report with a request for it, on the oadrRegisteredReport."""
        if spec.start is not None or spec.duration is not None:
            VTN_LIMITS["report_interval"].conclude()
        await self._call(
            "request_on_registered_report",
            ven_id=spec.ven_id,
            report_specifier_id=spec.report_specifier_id,
            r_ids=list(spec.r_ids) if spec.r_ids is not None else None,
            granularity=spec.granularity.total_seconds(),
            report_back_duration=spec.report_back_duration.total_seconds(),
        )


class OpenLeadrVtnFactory:
    """A fresh OpenLEADR VTN process per case, on a free loopback port.

    Args:
        python: the OpenLEADR environment's interpreter.
        poll_seconds: the oadrRequestedOadrPollFreq it asks for.
        vtn_id: its vtnID.
        tls: its certificate chain, key and CA bundle (it then serves HTTPS, requires client
            certificates, checks and makes XML signatures), or None (plain HTTP).
        logs: a folder for the log of each case's OpenLEADR process (``<case ID>.log``), or None.
        lifetime: the most its process lives, in seconds (longer than a case may take).
    """

    shared_harness = False

    def __init__(
        self,
        python: Path,
        *,
        poll_seconds: float = 1.0,
        vtn_id: str = "OPENLEADR-VTN",
        tls: TlsPaths | None = None,
        logs: Path | None = None,
        lifetime: float = LIFETIME_SECONDS,
    ) -> None:
        self.python = python
        self.poll_seconds = poll_seconds
        self.vtn_id = vtn_id
        self.tls = tls
        self.logs = logs
        self.lifetime = lifetime

    @contextlib.asynccontextmanager
    async def attach(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[OpenLeadrVtn]:
        """A fresh server for one case, serving until the block ends (push: fails, see
        :data:`VTN_LIMITS`)."""
        if selected.transport is Transport.PUSH:
            VTN_LIMITS["push"].conclude()
        port = _free_port()
        arguments = ["--port", str(port), "--vtn-id", self.vtn_id, "--poll-seconds", str(self.poll_seconds)]
        arguments += ["--duration", str(self.lifetime)]
        if self.tls is not None:
            arguments += ["--cert", str(self.tls.certificate), "--key", str(self.tls.key)]
            arguments += ["--ca", str(self.tls.ca_bundle)]
        scheme = "https" if self.tls is not None else "http"
        async with start_peer(
            self.python,
            "vtn_peer.py",
            arguments,
            name=OpenLeadrVtn.name,
            ready_timeout=READY_SECONDS,
            log=_log_path(self.logs, selected),
        ) as peer:
            yield OpenLeadrVtn(peer, f"{scheme}://127.0.0.1:{port}")


# -- what the VTN peer is told ---------------------------------------------------------------------


def _event(spec: EventSpec) -> dict[str, Any]:
    """The ``create_event`` arguments of ``vtn_peer.py`` for ``spec``."""
    return {
        "ven_id": spec.ven_id,
        "signals": [_signal(signal) for signal in spec.signals],
        "start": spec.start.isoformat(),
        "priority": spec.priority,
        "response_required": spec.response_required.value,
        "market_context": spec.market_context,
        "test_event": spec.test_event,
        "start_after": spec.start_after.total_seconds() if spec.start_after else None,
        "vtn_comment": spec.vtn_comment,
        "targets": _targets(spec.target) if spec.target is not None else None,
    }


def _signal(signal: Signal) -> dict[str, Any]:
    return {
        "name": str(getattr(signal.name, "value", signal.name)),
        "type": signal.type.value,
        "intervals": [[duration.total_seconds(), _number(value)] for duration, value in signal.intervals],
        "signal_id": signal.signal_id,
        "measurement": _measurement(signal.item_base) if signal.item_base is not None else None,
        "targets": _targets(signal.target) if signal.target is not None else None,
    }


def _number(value: Decimal | int | str) -> int | float:
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


_SIMPLE_TARGETS: tuple[tuple[str, str], ...] = (
    ("group_ids", "group_id"),
    ("group_names", "group_name"),
    ("resource_ids", "resource_id"),
    ("ven_ids", "ven_id"),
    ("party_ids", "party_id"),
)
_NESTED_TARGETS: tuple[tuple[str, str, str], ...] = (
    ("end_device_assets", "end_device_asset", "mrid"),
    ("meter_assets", "meter_asset", "mrid"),
    ("aggregated_pnodes", "aggregated_p_node", "node"),
    ("pnodes", "p_node", "node"),
    ("service_delivery_points", "service_delivery_point", "node"),
)


def _targets(target: EiTarget) -> list[dict[str, Any]]:
    """OpenLEADR's target dicts (one per value, as ``targets_by_type`` ungroups them)."""
    if target.service_areas or target.service_locations or target.transport_interfaces:
        VTN_LIMITS["target"].conclude()
    found: list[dict[str, Any]] = []
    for field, key in _SIMPLE_TARGETS:
        found.extend({key: value} for value in getattr(target, field))
    for field, key, inner in _NESTED_TARGETS:
        found.extend({key: {inner: value}} for value in getattr(target, field))
    return found


def _measurement(item: object) -> dict[str, Any]:
    """OpenLEADR's ``objects.Measurement`` fields for one of our units."""
    if isinstance(item, CurrencyUnit):
        name = item.kind.value
    elif isinstance(item, CustomUnit):
        name = "customUnit"
    elif isinstance(item, PulseCount):
        name = "pulseCount"
    else:
        kind = type(item).__name__
        name = kind[0].lower() + kind[1:]
    attributes = getattr(item, "attributes", None)
    scale = getattr(item, "scale", None)
    return {
        "name": name,
        "description": str(getattr(item, "item_description", "")),
        "unit": str(getattr(item, "item_units", "")),
        "scale": getattr(scale, "value", None),
        "power_attributes": None
        if attributes is None
        else {
            "hertz": _number(attributes.hertz),
            "voltage": _number(attributes.voltage),
            "ac": attributes.ac,
        },
        "pulse_factor": _number(item.pulse_factor) if isinstance(item, PulseCount) else None,
    }


def _log_path(folder: Path | None, selected: Selected) -> Path | None:
    return None if folder is None else folder / f"{selected.case_id}.log"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
