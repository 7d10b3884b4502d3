"""The vendor's side of a VEN: typed async callbacks.

One callback decides, the rest are told:

- ``on_event`` decides whether the VEN opts in or out of each new or modified event (default:
  opt in). It sees every event version the VEN accepts, before any answer is sent.
- the lifecycle callbacks follow the events the VEN opted into, driven by the VEN's scheduler
  (randomized starts honoured): ``on_event_pending`` (accepted, not started yet),
  ``on_event_started`` and ``on_interval_changed`` (with every signal's value from then on),
  ``on_event_modified``, ``on_event_cancelled`` (explicitly, or implicitly by vanishing from the
  distribution) and ``on_event_ended``.
- ``on_registered`` and ``on_registration_cancelled`` follow the registration.

Every callback is optional. An exception in ``on_event`` is logged and opts out of that event
(a VEN that cannot decide must not commit its load); an exception in any other callback is
logged and the VEN carries on.

Example::

    async def decide(event: OadrEvent) -> OptType:
        return OptType.OPT_OUT if event.ei_event.event_descriptor.is_test_event else OptType.OPT_IN

    async def apply(event: OadrEvent, signals: tuple[SignalValue, ...]) -> None:
        for signal in signals:
            print(signal.signal_name, signal.value)

    handlers = VenHandlers(on_event=decide, on_event_started=apply, on_interval_changed=apply)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from ..model import OadrEvent, OadrReport, OptType, SignalName, SignalType
from .store import Registration

__all__ = [
    "EventCallback",
    "EventDecider",
    "ModifiedCallback",
    "RegistrationCallback",
    "ReportCallback",
    "SignalCallback",
    "SignalValue",
    "VenHandlers",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalValue:
    """One signal of an event with its value from a moment on (None after its last interval)."""

    signal_id: str
    signal_name: SignalName | str
    signal_type: SignalType
    value: Decimal | None


EventDecider = Callable[[OadrEvent], Awaitable[OptType]]
"""Decides opt in or out of a new or modified event."""

EventCallback = Callable[[OadrEvent], Awaitable[None]]
"""Told of an event's pending, cancelled or ended state."""

ModifiedCallback = Callable[[OadrEvent, OadrEvent], Awaitable[None]]
"""Told of a modified event: (new version, previous version)."""

SignalCallback = Callable[[OadrEvent, tuple[SignalValue, ...]], Awaitable[None]]
"""Told that an event started, or that one of its signals moved to its next interval."""

RegistrationCallback = Callable[[Registration], Awaitable[None]]
"""Told of a registration (new or renewed) or of its end."""

ReportCallback = Callable[[OadrReport], Awaitable[None]]
"""Receives report data the VTN sends (oadrUpdateReport, for reports the VEN requested)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VenHandlers:
    """The callbacks of a VEN; see the module docstring. Leave out those you do not need."""

    on_event: EventDecider | None = None
    on_event_pending: EventCallback | None = None
    on_event_started: SignalCallback | None = None
    on_interval_changed: SignalCallback | None = None
    on_event_modified: ModifiedCallback | None = None
    on_event_cancelled: EventCallback | None = None
    on_event_ended: EventCallback | None = None
    on_registered: RegistrationCallback | None = None
    on_registration_cancelled: RegistrationCallback | None = None
    on_report: ReportCallback | None = None
