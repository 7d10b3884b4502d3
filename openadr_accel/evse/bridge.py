"""The VEN's side of a charging site: OpenADR events become OCPP charging limits, the chargers'
meters become TELEMETRY_USAGE reports.

An :class:`EvseBridge` sits between a :class:`~openadr_accel.ven.node.VEN` and a central
system (:class:`~openadr_accel.evse.central_system.CentralSystem`, or anything with the
:class:`ChargerControl` methods). It gives the VEN its handlers (:meth:`EvseBridge.handlers`),
its ``supports`` filter (:meth:`EvseBridge.supports`) and its reports
(:meth:`EvseBridge.reports`). :class:`~openadr_accel.evse.site.EvseSite` wires the three
together; by hand it reads::

    bridge: EvseBridge | None = None

    async def connected(charger_id: str, version: OcppVersion) -> None:
        if bridge is not None:
            await bridge.charger_connected(charger_id, version)

    central = CentralSystem(host="0.0.0.0", port=9000, on_charger_connected=connected)
    bridge = EvseBridge(central, LimitPolicy.from_toml("policy.toml"))
    ven = VEN(config, "ven.db", handlers=bridge.handlers(), supports=bridge.supports,
              reports=bridge.reports())
    bridge.attach(ven)
    async with central, ven.running():
        ...
    await bridge.close()

What it does:

- **Deciding** (``on_event``): the event's site limits (:func:`~.schedules.site_schedule`),
  together with those of the other events it runs (:func:`~.schedules.merge`: the lowest limit
  wins), are shared among the connected chargers (:func:`~.schedules.charger_schedules`) and
  sent to every one of them (``set_limit``) *before* the VEN answers: the answer can then say
  what the chargers did. If any charger rejects its schedule, the chargers go back to what they
  had before the event (the other events' limits, or none: ``clear_limit``), and the VEN opts
  out. Otherwise it opts in. A modified event is decided, and sent, again. An event over before
  it arrives, and a test event (unless ``apply_test_events``), are opted into with nothing sent.
  With no charger connected the VEN opts in: the site draws nothing it could shed.
- **Following** (the lifecycle callbacks): a cancelled or ended event is dropped and the
  chargers get the limits of the events left (or none). At each moment of an event (pending,
  started, interval changed, modified) and when a charger connects (:meth:`charger_connected`,
  given to the central system as ``on_charger_connected``), the schedules are worked out again
  for the chargers connected then, and sent to those whose schedule changed: a charger that
  comes or goes changes everyone's share. A charger rejecting then, after the VEN answered,
  makes the VEN opt out of the events it runs with an oadrCreateOpt (and the chargers are
  cleared). A charger that connects again is sent its limits whatever it held before; a bridge
  attached to a VEN restarted with its store takes up the events the VEN runs.
- **Reporting**: TELEMETRY_USAGE with the site's power (W) and energy (Wh), the sums of the
  chargers' latest MeterValues (``site_meter()``).

**Randomized start** (``startafter``): the chargers follow the VEN's own random delay, so that
the limits begin (and end) exactly when the VEN's lifecycle callbacks say the event does, and
all the site's chargers step together (the site limit holds as a whole). The VEN draws that
delay once it has answered, so the schedules sent at decision time start at ``dtstart`` (for a
modification: with the delay drawn before); as soon as the VEN has drawn it (at
``on_event_pending``, or ``on_event_started`` for an event already running) the bridge sends
the schedules again, shifted. That needs :meth:`EvseBridge.attach`; a bridge without a VEN
ignores ``startafter`` (schedules start at ``dtstart``).

Every step is told to an observer (``observer=``, a plain callable; pass ``queue.put_nowait`` for
an :class:`asyncio.Queue`) as a frozen :data:`Notice`: :class:`EventSeen`, :class:`EventStage`,
:class:`LimitsApplied`, :class:`OptedOut`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from ..clock import Clock, system_clock
from ..errors import OpenADRError
from ..model import EiEventSignal, OadrEvent, OptType, QualifiedEventID
from ..ven.handlers import SignalValue, VenHandlers
from ..ven.report_capabilities import ReportCapability, telemetry_usage
from ..ven.store import KnownEvent
from .limits import ChargerSchedule, MeterSample, OcppVersion, ProfileOutcome
from .policy import LimitPolicy
from .schedules import charger_schedules, merge, site_schedule

__all__ = [
    "ChargerControl",
    "EventSeen",
    "EventStage",
    "EvseBridge",
    "LimitsApplied",
    "Notice",
    "Observer",
    "OptedOut",
    "Stage",
    "VenControl",
]

logger = logging.getLogger("openadr_accel.evse")


class ChargerControl(Protocol):
    """What the bridge needs of a central system (:class:`~.central_system.CentralSystem` has it)."""

    @property
    def chargers(self) -> Mapping[str, OcppVersion]:
        """The connected chargers, by ID, with their OCPP version."""
        ...

    async def set_limit(self, charger_id: str, schedule: ChargerSchedule) -> ProfileOutcome:
        """Send a charger its maximum power schedule."""
        ...

    async def clear_limit(self, charger_id: str) -> ProfileOutcome:
        """Remove the schedule a charger was sent."""
        ...

    def site_meter(self) -> MeterSample:
        """The sum of the chargers' latest meter values."""
        ...


class VenControl(Protocol):
    """What the bridge needs of a VEN (:class:`~openadr_accel.ven.node.VEN` has it)."""

    def known_events(self) -> dict[str, KnownEvent]:
        """The events the VEN knows, with its random start delay for each."""
        ...

    async def create_opt(
        self, opt_type: OptType, *, event_id: str | None = None, modification_number: int | None = None
    ) -> str:
        """Opt in or out of an event (oadrCreateOpt)."""
        ...


class Stage(StrEnum):
    """A moment of an event the VEN runs, as its lifecycle callbacks tell it."""

    PENDING = "pending"
    STARTED = "started"
    INTERVAL = "interval changed"
    MODIFIED = "modified"
    CANCELLED = "cancelled"
    ENDED = "ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSeen:
    """The VEN decided about a new or modified event.

    Attributes:
        at: when (the bridge's clock).
        event_id, modification_number: the event version.
        opt: the decision.
        reason: why, in words ("limits sent to 2 charger(s)", "CP-2 rejected its schedule: ...").
        site: the event's site limit schedule (None for a test event left alone).
    """

    at: datetime
    event_id: str
    modification_number: int
    opt: OptType
    reason: str
    site: ChargerSchedule | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventStage:
    """A lifecycle moment of an event the VEN runs.

    Attributes:
        at: when (the bridge's clock).
        event_id: the event.
        stage: which moment.
        values: every signal's value from then on (started and interval changed; else empty).
        site_limit_w: the site limit in force now, over every event run (None: no limit).
    """

    at: datetime
    event_id: str
    stage: Stage
    values: tuple[SignalValue, ...]
    site_limit_w: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitsApplied:
    """Schedules were sent to chargers (or cleared).

    Attributes:
        at: when (the bridge's clock).
        reason: what prompted it ("event E decided", "charger CP-3 connected", ...).
        schedules: what was sent, by charger (None: cleared).
        outcomes: what each charger answered, in the order of ``schedules``.
    """

    at: datetime
    reason: str
    schedules: Mapping[str, ChargerSchedule | None]
    outcomes: tuple[ProfileOutcome, ...]

    def limit_at(self, charger_id: str, moment: datetime) -> Decimal | None:
        """The limit sent to a charger, in force at ``moment`` (None: none)."""
        schedule = self.schedules.get(charger_id)
        return None if schedule is None else schedule.limit_at(moment)


@dataclass(frozen=True, slots=True, kw_only=True)
class OptedOut:
    """The VEN opted out of an event after answering it (a charger rejected its schedule later).

    Attributes:
        at: when (the bridge's clock).
        event_id, modification_number: the event version.
        reason: why, in words.
        delivered: whether the VTN took the oadrCreateOpt.
    """

    at: datetime
    event_id: str
    modification_number: int
    reason: str
    delivered: bool


Notice = EventSeen | EventStage | LimitsApplied | OptedOut
"""What the bridge tells its observer."""

Observer = Callable[[Notice], None]
"""Told of every :data:`Notice`; must not block (``queue.put_nowait`` is a good one)."""


@dataclass(frozen=True, slots=True)
class _Running:
    """An event the bridge runs: its version, the delay its schedule was shifted by, its site limits."""

    event: OadrEvent
    offset: timedelta
    site: ChargerSchedule


class EvseBridge:
    """OpenADR events to charger limits, charger meters to reports (see the module docstring).

    Args:
        central: the central system the chargers are connected to.
        policy: signals to site limits, site limits to charger shares.
        clock: the time source (the VEN's, in tests that compress time).
        observer: told of every step (see :data:`Notice`).
        apply_test_events: whether test events (``testEvent``) change the chargers' limits
            (default: no, they are opted into and left alone).
    """

    def __init__(
        self,
        central: ChargerControl,
        policy: LimitPolicy,
        *,
        clock: Clock = system_clock,
        observer: Observer | None = None,
        apply_test_events: bool = False,
    ) -> None:
        self.central = central
        self.policy = policy
        self._clock = clock
        self._observer = observer
        self._apply_test_events = apply_test_events
        self._running: dict[str, _Running] = {}
        self._applied: dict[str, ChargerSchedule] = {}
        self._lock = asyncio.Lock()
        self._ven: VenControl | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._dropped: set[QualifiedEventID] = set()

    # -- wiring ----------------------------------------------------------------------------------

    def attach(self, ven: VenControl) -> None:
        """Follow ``ven``'s randomized starts and let the bridge opt out after an answer (see the
        module docstring). The events the VEN runs already (a VEN restarted with its store) are
        taken up: the chargers get their limits as they connect."""
        self._ven = ven
        for known in ven.known_events().values():
            if known.opt_type == OptType.OPT_IN and known.finished_at is None and self._runs(known.event):
                event_id = known.event_id
                site = site_schedule(known.event, self.policy, known.start_offset)
                self._running[event_id] = _Running(known.event, known.start_offset, site)

    def handlers(self) -> VenHandlers:
        """The VEN handlers that run the chargers (combine with your own through
        :func:`dataclasses.replace` for the callbacks it leaves out: registration, reports)."""
        return VenHandlers(
            on_event=self.on_event,
            on_event_pending=self._pending,
            on_event_started=self._started,
            on_interval_changed=self._interval,
            on_event_modified=self._modified,
            on_event_cancelled=self._cancelled,
            on_event_ended=self._ended,
        )

    def supports(self, signal: EiEventSignal) -> bool:
        """Whether the policy handles ``signal`` (the VEN answers events with others 460)."""
        return self.policy.handles(signal)

    def reports(
        self,
        report_specifier_id: str = "site-telemetry",
        *,
        min_period: timedelta = timedelta(seconds=10),
        max_period: timedelta = timedelta(minutes=60),
    ) -> list[ReportCapability]:
        """The site's TELEMETRY_USAGE report: rIDs ``power`` (W) and ``energy`` (Wh), the sums of
        the connected chargers' latest MeterValues (0 with none connected). A reading the
        connected chargers have not sent yet is left out of its round (the VEN logs it)."""
        return [
            telemetry_usage(
                report_specifier_id,
                power=self._site_power,
                energy=self._site_energy,
                min_period=min_period,
                max_period=max_period,
            )
        ]

    async def charger_connected(self, charger_id: str, version: OcppVersion | None = None) -> None:
        """A charger connected: it is sent its limits (whatever it held before), and every
        connected charger's share is worked out again and sent where it changed (give it to the
        central system as ``on_charger_connected``)."""
        async with self._lock:
            self._applied.pop(charger_id, None)
            await self._follow(f"charger {charger_id} connected")

    async def refresh(self, reason: str = "refresh") -> None:
        """Work the schedules out again for the chargers connected now and send those that
        changed (a charger that left is forgotten). A rejection opts out of the events run."""
        async with self._lock:
            await self._follow(reason)

    async def close(self) -> None:
        """Wait for the opt-outs still being sent (call it after the VEN stopped)."""
        tasks = list(self._tasks)
        for task in tasks:
            with contextlib.suppress(Exception):
                await task

    @property
    def running_events(self) -> tuple[str, ...]:
        """The eventIDs whose limits the chargers follow."""
        return tuple(self._running)

    @property
    def applied(self) -> Mapping[str, ChargerSchedule]:
        """The schedule each charger took and holds, by charger ID (cleared chargers are not
        in it)."""
        return dict(self._applied)

    # -- deciding --------------------------------------------------------------------------------

    async def on_event(self, event: OadrEvent) -> OptType:
        """Decide about a new or modified event: send its limits, opt out if a charger rejects
        them (the VEN's ``on_event``; see the module docstring)."""
        descriptor = event.ei_event.event_descriptor
        event_id = descriptor.event_id
        async with self._lock:
            if descriptor.is_test_event and not self._apply_test_events:
                self._tell_seen(event, OptType.OPT_IN, "test event: the chargers are left alone", None)
                return OptType.OPT_IN
            offset = self._known_offset(event_id)
            site = site_schedule(event, self.policy, offset)
            now = self._clock()
            if site.end is not None and site.end <= now:
                self._running.pop(event_id, None)
                self._tell_seen(event, OptType.OPT_IN, "over before it arrived: nothing to do", site)
                return OptType.OPT_IN
            before = dict(self._running)
            self._running[event_id] = _Running(event, offset, site)
            rejected = await self._send(f"event {event_id} decided")
            if rejected:
                self._running = before
                self._running.pop(event_id, None)
                await self._send(f"event {event_id} opted out: back to the limits before it")
                self._tell_seen(event, OptType.OPT_OUT, _rejections(rejected), site)
                return OptType.OPT_OUT
            count = len(self.central.chargers)
            reason = f"limits sent to {count} charger(s)" if count else "no charger connected yet"
            self._tell_seen(event, OptType.OPT_IN, reason, site)
            return OptType.OPT_IN

    # -- following -------------------------------------------------------------------------------

    async def _pending(self, event: OadrEvent) -> None:
        await self._stage(event, Stage.PENDING, ())

    async def _started(self, event: OadrEvent, values: tuple[SignalValue, ...]) -> None:
        await self._stage(event, Stage.STARTED, values)

    async def _interval(self, event: OadrEvent, values: tuple[SignalValue, ...]) -> None:
        await self._stage(event, Stage.INTERVAL, values)

    async def _modified(self, event: OadrEvent, previous: OadrEvent) -> None:
        await self._stage(event, Stage.MODIFIED, ())

    async def _cancelled(self, event: OadrEvent) -> None:
        await self._drop(event, Stage.CANCELLED)

    async def _ended(self, event: OadrEvent) -> None:
        await self._drop(event, Stage.ENDED)

    async def _stage(self, event: OadrEvent, stage: Stage, values: tuple[SignalValue, ...]) -> None:
        """A moment of an event the VEN runs: follow the VEN's random delay, and the chargers
        connected now."""
        event_id = event.ei_event.event_descriptor.event_id
        async with self._lock:
            running = self._running.get(event_id)
            offset = self._known_offset(event_id)
            if running is not None and (
                running.offset != offset or running.event.qualified_event_id != event.qualified_event_id
            ):
                self._running[event_id] = _Running(event, offset, site_schedule(event, self.policy, offset))
            elif running is None and self._runs(event) and event.qualified_event_id not in self._dropped:
                # Opted in while it looked over (before the VEN's delay), or the bridge did not
                # see the decision (restarted): it runs.
                self._running[event_id] = _Running(event, offset, site_schedule(event, self.policy, offset))
            await self._follow(f"event {event_id} {stage.value}")
            self._tell_stage(event_id, stage, values)

    async def _drop(self, event: OadrEvent, stage: Stage) -> None:
        event_id = event.ei_event.event_descriptor.event_id
        async with self._lock:
            self._running.pop(event_id, None)
            await self._follow(f"event {event_id} {stage.value}")
            self._tell_stage(event_id, stage, ())

    async def _follow(self, reason: str) -> None:
        """Send what changed; after a rejection, opt out of every event run and clear."""
        rejected = await self._send(reason)
        if not rejected:
            return
        dropped = list(self._running.values())
        self._running.clear()
        self._dropped.update(running.event.qualified_event_id for running in dropped)
        await self._send(f"{reason}: opted out, limits cleared")
        for running in dropped:
            self._opt_out_later(running.event, _rejections(rejected))

    # -- sending ---------------------------------------------------------------------------------

    async def _send(self, reason: str) -> list[ProfileOutcome]:
        """Send every connected charger its share of the events run, or clear it when no event
        is run, where that differs from what it holds. Returns the schedules rejected."""
        connected = list(self.central.chargers)
        for gone in set(self._applied) - set(connected):
            del self._applied[gone]
        merged = merge((running.site for running in self._running.values()), self.policy.site_capacity_w)
        wanted = {} if merged is None else charger_schedules(merged, self.policy, connected)
        changes: dict[str, ChargerSchedule | None] = {
            charger_id: schedule
            for charger_id, schedule in wanted.items()
            if self._applied.get(charger_id) != schedule
        }
        changes.update({charger_id: None for charger_id in self._applied if charger_id not in wanted})
        if not changes:
            return []
        outcomes = await asyncio.gather(
            *(self._one(charger_id, schedule) for charger_id, schedule in changes.items())
        )
        for (charger_id, schedule), outcome in zip(changes.items(), outcomes, strict=True):
            if not outcome.accepted:
                continue
            if schedule is None:
                self._applied.pop(charger_id, None)
            else:
                self._applied[charger_id] = schedule
        self._tell(
            LimitsApplied(at=self._clock(), reason=reason, schedules=changes, outcomes=tuple(outcomes))
        )
        return [
            outcome
            for (charger_id, schedule), outcome in zip(changes.items(), outcomes, strict=True)
            if schedule is not None and not outcome.accepted
        ]

    async def _one(self, charger_id: str, schedule: ChargerSchedule | None) -> ProfileOutcome:
        try:
            if schedule is None:
                return await self.central.clear_limit(charger_id)
            return await self.central.set_limit(charger_id, schedule)
        except Exception as exc:  # a central system that raises counts as a refusal
            logger.exception("sending charger %s its limit failed", charger_id)
            return ProfileOutcome(charger_id=charger_id, accepted=False, status="Error", detail=str(exc))

    # -- opting out after the answer -------------------------------------------------------------

    def _opt_out_later(self, event: OadrEvent, reason: str) -> None:
        """Opt out of ``event`` with an oadrCreateOpt, in a task of its own (the VEN may be in
        the middle of handling a distribution)."""
        task = asyncio.create_task(self._opt_out(event, reason), name="openadr-evse-opt-out")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _opt_out(self, event: OadrEvent, reason: str) -> None:
        descriptor = event.ei_event.event_descriptor
        delivered = False
        if self._ven is None:
            logger.warning("event %s: %s, but no VEN is attached to opt out", descriptor.event_id, reason)
        else:
            try:
                await self._ven.create_opt(
                    OptType.OPT_OUT,
                    event_id=descriptor.event_id,
                    modification_number=descriptor.modification_number,
                )
                delivered = True
            except OpenADRError as exc:
                logger.warning("opting out of event %s failed: %s", descriptor.event_id, exc)
        self._tell(
            OptedOut(
                at=self._clock(),
                event_id=descriptor.event_id,
                modification_number=descriptor.modification_number,
                reason=reason,
                delivered=delivered,
            )
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _known_offset(self, event_id: str) -> timedelta:
        """The VEN's random start delay for this event, as drawn so far (zero before it is)."""
        if self._ven is None:
            return timedelta(0)
        known = self._ven.known_events().get(event_id)
        return timedelta(0) if known is None else known.start_offset

    def _runs(self, event: OadrEvent) -> bool:
        if event.ei_event.event_descriptor.is_test_event and not self._apply_test_events:
            return False
        site = site_schedule(event, self.policy, self._known_offset(event.ei_event.event_descriptor.event_id))
        return site.end is None or site.end > self._clock()

    def _site_limit_now(self) -> Decimal | None:
        merged = merge((running.site for running in self._running.values()), self.policy.site_capacity_w)
        return None if merged is None else merged.limit_at(self._clock())

    async def _site_power(self) -> Decimal:
        return self._site_reading(self.central.site_meter().power_w, "power")

    async def _site_energy(self) -> Decimal:
        return self._site_reading(self.central.site_meter().energy_wh, "energy")

    def _site_reading(self, value: Decimal | None, what: str) -> Decimal:
        if value is not None:
            return value
        if not self.central.chargers:
            return Decimal(0)  # no charger connected: a sum over none
        raise LookupError(f"no {what} reading from the chargers yet")

    def _tell_seen(self, event: OadrEvent, opt: OptType, reason: str, site: ChargerSchedule | None) -> None:
        descriptor = event.ei_event.event_descriptor
        self._tell(
            EventSeen(
                at=self._clock(),
                event_id=descriptor.event_id,
                modification_number=descriptor.modification_number,
                opt=opt,
                reason=reason,
                site=site,
            )
        )

    def _tell_stage(self, event_id: str, stage: Stage, values: tuple[SignalValue, ...]) -> None:
        self._tell(
            EventStage(
                at=self._clock(),
                event_id=event_id,
                stage=stage,
                values=values,
                site_limit_w=self._site_limit_now(),
            )
        )

    def _tell(self, notice: Notice) -> None:
        if self._observer is None:
            return
        try:
            self._observer(notice)
        except Exception:
            logger.exception("the bridge's observer failed")


def _rejections(outcomes: Sequence[ProfileOutcome]) -> str:
    return "; ".join(
        f"{outcome.charger_id} rejected its schedule ({outcome.status}"
        + (f": {outcome.detail})" if outcome.detail else ")")
        for outcome in outcomes
    )
