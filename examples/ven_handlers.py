"""An example handler module for ``openadr-accel ven --handlers examples/ven_handlers.py``.

It shows the contract of a handler module:

- ``handlers``: a :class:`~openadr_accel.ven.handlers.VenHandlers` (or a ``make_handlers()``
  function returning one). This one opts out of test events and prints the signal levels of the
  events it runs; the callbacks it leaves out (pending, modified, cancelled, ended, registration)
  keep the command's logging ones.
- ``reports`` (optional): the reports the VEN offers. Here TELEMETRY_USAGE (power and energy)
  read from a fake EV-charger meter that follows the current SIMPLE level.
- ``supports`` (optional): which signals the VEN supports; others are answered 460.

Copy it and replace the fake charger with calls into your device.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

from openadr_accel.model import EiEventSignal, OadrEvent, OptType, SignalName
from openadr_accel.ven.handlers import SignalValue, VenHandlers
from openadr_accel.ven.report_capabilities import telemetry_usage

FULL_POWER_W = Decimal(11_000)
"""The charger's power without a demand response event."""

SHARE_AT_LEVEL = {0: Decimal(1), 1: Decimal("0.5"), 2: Decimal("0.25"), 3: Decimal(0)}
"""SIMPLE levels (0 normal, 1 moderate, 2 high, 3 special) to the share of full power allowed."""


class FakeCharger:
    """A charger that draws full power, less during an event, and counts its energy."""

    def __init__(self) -> None:
        self.level = 0
        self.energy_wh = Decimal(0)
        self._since = time.monotonic()

    @property
    def power_w(self) -> Decimal:
        return FULL_POWER_W * SHARE_AT_LEVEL.get(self.level, Decimal(0))

    def set_level(self, level: int) -> None:
        self._account()
        self.level = level

    def _account(self) -> None:
        now = time.monotonic()
        self.energy_wh += self.power_w * Decimal(now - self._since) / 3600
        self._since = now


charger = FakeCharger()


async def decide(event: OadrEvent) -> OptType:
    """Opt out of test events, into the others."""
    return OptType.OPT_OUT if event.ei_event.event_descriptor.is_test_event else OptType.OPT_IN


async def apply(event: OadrEvent, signals: tuple[SignalValue, ...]) -> None:
    """Follow the SIMPLE level of an event as it starts and moves from interval to interval."""
    for signal in signals:
        if signal.signal_name == SignalName.SIMPLE:
            level = 0 if signal.value is None else int(signal.value)
            charger.set_level(level)
            print(
                f"example: event {event.ei_event.event_descriptor.event_id} SIMPLE level {level}: "
                f"charging at {charger.power_w} W",
                flush=True,
            )


async def back_to_normal(event: OadrEvent) -> None:
    """An event ended: full power again."""
    charger.set_level(0)
    print(f"example: event {event.ei_event.event_descriptor.event_id} over: full power", flush=True)


async def read_power() -> Decimal:
    """The fake meter's power (W)."""
    return charger.power_w


async def read_energy() -> Decimal:
    """The fake meter's energy register (Wh)."""
    charger.set_level(charger.level)  # brings the register up to date
    return charger.energy_wh.quantize(Decimal("0.001"))


def supports(signal: EiEventSignal) -> bool:
    """This charger understands SIMPLE levels only."""
    return signal.signal_name in (SignalName.SIMPLE, SignalName.SIMPLE_LOWERCASE)


handlers = VenHandlers(
    on_event=decide,
    on_event_started=apply,
    on_interval_changed=apply,
    on_event_ended=back_to_normal,
)

reports = [telemetry_usage("meter", power=read_power, energy=read_energy, min_period=timedelta(seconds=1))]
