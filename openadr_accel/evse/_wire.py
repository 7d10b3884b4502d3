"""What the OCPP 1.6 and 2.0.1 adapters share: typed views of payloads, conversions, the hooks.

No ``ocpp`` import here: the adapters (`_ocpp16`, `_ocpp201`) turn the library's snake_case
dictionaries into these values, and the central system and the simulator see only these.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from openadr_accel.evse.limits import ChargerSchedule, ChargingPeriod

__all__ = [
    "Answer",
    "ClearCriteria",
    "CsmsEvents",
    "Reading",
    "ReceivedProfile",
    "StationHooks",
    "format_time",
    "limit_on_wire",
    "parse_meter_values",
    "parse_profile",
    "parse_time",
    "seconds",
    "typed_on",
]

log = logging.getLogger("openadr_accel.evse")

POWER = "Power.Active.Import"
ENERGY = "Energy.Active.Import.Register"
_POWER_UNITS = {"W": Decimal(1), "kW": Decimal(1000)}
_ENERGY_UNITS = {"Wh": Decimal(1), "kWh": Decimal(1000)}
_TENTH = Decimal("0.1")

_F = TypeVar("_F", bound=Callable[..., Any])


def typed_on(on: Any, action: str) -> Callable[[_F], _F]:
    """The ``ocpp`` library's ``routing.on(action)`` decorator, typed so it keeps the signature.

    Args:
        on: ``ocpp.routing.on``.
        action: The OCPP action the handler answers.

    Returns:
        The decorator.
    """
    decorator: Callable[[_F], _F] = on(action)
    return decorator


def format_time(moment: datetime) -> str:
    """An OCPP date-time: UTC, ``Z`` suffix, microseconds only when there are any.

    Args:
        moment: A timezone-aware datetime.

    Returns:
        The text.
    """
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: object) -> datetime | None:
    """Parse an OCPP date-time (naive ones are taken as UTC).

    Args:
        text: What the peer sent.

    Returns:
        The aware datetime, or None when it is not a date-time.
    """
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def seconds(value: timedelta) -> int:
    """Whole seconds of a timedelta (ChargerSchedule guarantees there is no fraction).

    Args:
        value: The timedelta.

    Returns:
        The seconds.
    """
    return int(value.total_seconds())


def limit_on_wire(limit_w: Decimal) -> float:
    """A limit as OCPP carries it: at most one decimal digit.

    Args:
        limit_w: The limit in W.

    Returns:
        The limit rounded to 0.1 W, as the float the JSON encoder writes.
    """
    return float(limit_w.quantize(_TENTH))


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True, slots=True)
class Answer:
    """A charger's answer to a profile request, before the central system judges it."""

    status: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """One meterValue entry reduced to what we use (W and Wh; None = not in that entry)."""

    at: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


def _sample_value(sample: Mapping[str, Any]) -> tuple[str, str | None, Decimal] | None:
    """(measurand, phase, value in W or Wh) of one sampledValue, or None when we do not use it."""
    measurand = sample.get("measurand") or ENERGY
    if measurand not in (POWER, ENERGY):
        return None
    if sample.get("format") == "SignedData":
        return None
    value = _decimal(sample.get("value"))
    if value is None:
        log.warning("ignoring a %s sample whose value is not a number: %r", measurand, sample.get("value"))
        return None
    units = _POWER_UNITS if measurand == POWER else _ENERGY_UNITS
    unit = sample.get("unit")  # 1.6
    multiplier = 0
    measure = sample.get("unit_of_measure")  # 2.0.1
    if isinstance(measure, Mapping):
        unit = measure.get("unit", unit)
        raw_multiplier = measure.get("multiplier", 0)
        multiplier = raw_multiplier if isinstance(raw_multiplier, int) else 0
    if unit is None:
        unit = "W" if measurand == POWER else "Wh"
    factor = units.get(str(unit))
    if factor is None:
        log.warning("ignoring a %s sample in unit %r (expected one of %s)", measurand, unit, ", ".join(units))
        return None
    phase = sample.get("phase")
    return measurand, phase if isinstance(phase, str) else None, value * factor * Decimal(10) ** multiplier


def _total(values: Sequence[tuple[str | None, Decimal]]) -> Decimal | None:
    """The total of a measurand: its phase-less value, else the sum over its phases (not N)."""
    if not values:
        return None
    for phase, value in values:
        if phase is None:
            return value
    return sum((value for phase, value in values if phase != "N"), Decimal(0))


def parse_meter_values(meter_value: object, *, received: datetime) -> list[Reading]:
    """Reduce a MeterValues/TransactionEvent ``meter_value`` list to readings, oldest first.

    Takes Power.Active.Import (W or kW) and Energy.Active.Import.Register (Wh or kWh, the default
    measurand); 1.6 values are strings, 2.0.1 numbers with a unit multiplier. Values per phase
    are added up when there is no total. Anything else is skipped (with a log line when it is
    malformed).

    Args:
        meter_value: The list of meterValue dictionaries (snake_case keys).
        received: When it arrived, for an entry with an unreadable timestamp.

    Returns:
        One reading per entry that had power or energy in it.
    """
    readings: list[Reading] = []
    if not isinstance(meter_value, list):
        return readings
    for entry in meter_value:
        if not isinstance(entry, Mapping):
            continue
        at = parse_time(entry.get("timestamp"))
        if at is None:
            log.warning(
                "meterValue timestamp %r is not a date-time: taking the time it arrived",
                entry.get("timestamp"),
            )
            at = received
        power: list[tuple[str | None, Decimal]] = []
        energy: list[tuple[str | None, Decimal]] = []
        samples = entry.get("sampled_value")
        for sample in samples if isinstance(samples, list) else []:
            if not isinstance(sample, Mapping):
                continue
            found = _sample_value(sample)
            if found is not None:
                measurand, phase, value = found
                (power if measurand == POWER else energy).append((phase, value))
        reading = Reading(at=at, power_w=_total(power), energy_wh=_total(energy))
        if reading.power_w is not None or reading.energy_wh is not None:
            readings.append(reading)
    readings.sort(key=lambda reading: reading.at)
    return readings


@dataclass(frozen=True, slots=True)
class ReceivedProfile:
    """A SetChargingProfile as the simulated charger sees it.

    `schedule` is None (and `problem` says why) when the profile is not an absolute schedule in W
    that `ChargerSchedule` can hold; `start` missing on the wire is filled by the charger's clock.
    """

    profile_id: int
    stack_level: int
    purpose: str
    max_profile: bool
    schedule: ChargerSchedule | None
    problem: str | None = None


def parse_profile(
    profile: Mapping[str, Any], schedule: object, *, profile_id: object, max_purpose: str, now: datetime
) -> ReceivedProfile:
    """Read a charging profile (either version, snake_case keys) into a `ReceivedProfile`.

    Args:
        profile: The chargingProfile (2.0.1) or csChargingProfiles (1.6) dictionary.
        schedule: Its (first) chargingSchedule dictionary.
        profile_id: Its id (``id`` in 2.0.1, ``charging_profile_id`` in 1.6).
        max_purpose: The version's name of the max-profile purpose.
        now: The charger's current time, for a schedule without a startSchedule.

    Returns:
        The profile.
    """
    stack_level = profile.get("stack_level")
    purpose = str(profile.get("charging_profile_purpose"))
    ident = profile_id if isinstance(profile_id, int) else -1
    level = stack_level if isinstance(stack_level, int) else 0

    def refused(problem: str) -> ReceivedProfile:
        return ReceivedProfile(
            profile_id=ident,
            stack_level=level,
            purpose=purpose,
            max_profile=purpose == max_purpose,
            schedule=None,
            problem=problem,
        )

    if profile.get("charging_profile_kind") != "Absolute":
        return refused(f"chargingProfileKind {profile.get('charging_profile_kind')!r} is not Absolute")
    if not isinstance(schedule, Mapping):
        return refused("no chargingSchedule")
    if schedule.get("charging_rate_unit") != "W":
        return refused(f"chargingRateUnit {schedule.get('charging_rate_unit')!r} is not W")
    start = now
    if schedule.get("start_schedule") is not None:
        parsed = parse_time(schedule.get("start_schedule"))
        if parsed is None:
            return refused(f"startSchedule {schedule.get('start_schedule')!r} is not a date-time")
        start = parsed
    raw_periods = schedule.get("charging_schedule_period")
    periods: list[ChargingPeriod] = []
    for raw in raw_periods if isinstance(raw_periods, list) else []:
        offset = raw.get("start_period") if isinstance(raw, Mapping) else None
        limit = _decimal(raw.get("limit")) if isinstance(raw, Mapping) else None
        if not isinstance(offset, int) or limit is None:
            return refused(f"chargingSchedulePeriod {raw!r} is not a startPeriod and a limit")
        periods.append(ChargingPeriod(start=timedelta(seconds=offset), limit_w=limit))
    duration = schedule.get("duration")
    try:
        charger_schedule = ChargerSchedule(
            start=start,
            periods=tuple(periods),
            duration=timedelta(seconds=duration) if isinstance(duration, int) else None,
        )
    except ValueError as exc:
        return refused(str(exc))
    return ReceivedProfile(
        profile_id=ident,
        stack_level=level,
        purpose=purpose,
        max_profile=purpose == max_purpose,
        schedule=charger_schedule,
    )


@dataclass(frozen=True, slots=True)
class ClearCriteria:
    """A ClearChargingProfile's criteria (None = any; `max_profile` False = another purpose)."""

    profile_id: int | None
    evse_id: int | None
    max_profile: bool | None
    stack_level: int | None


class CsmsEvents(Protocol):
    """What the central-system side adapter tells the central system about one connection."""

    def now(self) -> datetime:
        """The central system's clock."""
        ...

    def heartbeat_interval(self) -> int:
        """The heartbeat interval to give in BootNotification answers, in seconds."""
        ...

    def booted(self, vendor: str, model: str, reason: str | None) -> None:
        """The charger sent a BootNotification."""
        ...

    def status(self, evse_id: int, connector_id: int, status: str) -> None:
        """The charger sent a StatusNotification."""
        ...

    def meter_values(self, evse_id: int, readings: Sequence[Reading]) -> None:
        """The charger sent meter values (MeterValues, TransactionEvent, Start/StopTransaction)."""
        ...

    def message_handled(self) -> None:
        """A message from the charger was handled (and answered, if it was a call)."""
        ...


class StationHooks(Protocol):
    """What the charger-side adapter asks the simulated charger."""

    def now(self) -> datetime:
        """The charger's clock."""
        ...

    def install(self, profile: ReceivedProfile) -> str:
        """A SetChargingProfile arrived: install it or not; the status to answer."""
        ...

    def clear(self, criteria: ClearCriteria) -> str:
        """A ClearChargingProfile arrived: "Accepted" when something was cleared, else "Unknown"."""
        ...
