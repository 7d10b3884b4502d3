"""The values the OpenADR side and the OCPP side exchange: power limits, their outcome, meter samples.

Plain frozen dataclasses with no OCPP in them, so policy code (signals to limits) is written and
tested without a charger in sight. Times are timezone-aware UTC datetimes, offsets are
`timedelta`, power is in W and energy in Wh, as `Decimal`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

__all__ = ["ChargerSchedule", "ChargingPeriod", "MeterSample", "OcppVersion", "ProfileOutcome"]


class OcppVersion(StrEnum):
    """The OCPP version a charger speaks, negotiated as the websocket subprotocol."""

    V16 = "1.6"
    """OCPP 1.6 (JSON), subprotocol ``ocpp1.6``."""
    V201 = "2.0.1"
    """OCPP 2.0.1, subprotocol ``ocpp2.0.1``."""

    @property
    def subprotocol(self) -> str:
        """The websocket subprotocol of this version (``ocpp1.6``, ``ocpp2.0.1``)."""
        return f"ocpp{self.value}"


def _whole_seconds(value: timedelta) -> bool:
    return value.microseconds == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargingPeriod:
    """One period of a charger schedule: from `start` on, the charger draws at most `limit_w`.

    A period lasts until the next period's start (or the schedule's end).

    Attributes:
        start: Offset from the schedule's start, in whole seconds (OCPP counts in seconds).
        limit_w: The power limit in W, at least 0. OCPP carries one decimal digit: finer values
            are rounded to 0.1 W on the wire.
    """

    start: timedelta
    limit_w: Decimal

    def __post_init__(self) -> None:
        """Check the period.

        Raises:
            ValueError: the start is negative or not whole seconds, or the limit is not a finite
                number of at least 0.
        """
        if not isinstance(self.start, timedelta):
            raise ValueError(f"ChargingPeriod.start must be a timedelta, not {type(self.start).__name__}")
        if self.start < timedelta(0):
            raise ValueError(f"ChargingPeriod.start must not be negative, got {self.start}")
        if not _whole_seconds(self.start):
            raise ValueError(
                f"ChargingPeriod.start must be whole seconds (OCPP counts in seconds), got {self.start}"
            )
        if not isinstance(self.limit_w, Decimal):
            raise ValueError(f"ChargingPeriod.limit_w must be a Decimal, not {type(self.limit_w).__name__}")
        if not self.limit_w.is_finite() or self.limit_w < 0:
            raise ValueError(f"ChargingPeriod.limit_w must be a finite number >= 0 W, got {self.limit_w}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargerSchedule:
    """A power limit over time for one charger (an OCPP absolute max-profile schedule, in W).

    Attributes:
        start: When the schedule starts: timezone-aware (stored in UTC).
        periods: The periods, the first at offset 0, then strictly increasing offsets.
        duration: How long the schedule lasts from `start`, in whole seconds; None = the last
            period goes on until the schedule is replaced or cleared.
    """

    start: datetime
    periods: tuple[ChargingPeriod, ...]
    duration: timedelta | None = None

    def __post_init__(self) -> None:
        """Check the schedule and normalise `start` to UTC.

        Raises:
            ValueError: `start` is naive; there are no periods, the first is not at offset 0 or
                the offsets do not increase; `duration` is not a positive number of whole seconds.
        """
        if not isinstance(self.start, datetime):
            raise ValueError(f"ChargerSchedule.start must be a datetime, not {type(self.start).__name__}")
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError(
                f"ChargerSchedule.start must be timezone-aware, got naive {self.start.isoformat()}"
            )
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        if not isinstance(self.periods, tuple):
            raise ValueError(f"ChargerSchedule.periods must be a tuple, not {type(self.periods).__name__}")
        if not self.periods:
            raise ValueError("ChargerSchedule.periods must not be empty")
        for period in self.periods:
            if not isinstance(period, ChargingPeriod):
                raise ValueError(f"ChargerSchedule.periods must hold ChargingPeriod values, got {period!r}")
        if self.periods[0].start != timedelta(0):
            raise ValueError(f"the first period must start at offset 0, got {self.periods[0].start}")
        for before, after in itertools.pairwise(self.periods):
            if after.start <= before.start:
                raise ValueError(f"period starts must increase: {after.start} comes after {before.start}")
        if self.duration is not None:
            if not isinstance(self.duration, timedelta):
                raise ValueError(f"duration must be a timedelta or None, not {type(self.duration).__name__}")
            if self.duration <= timedelta(0):
                raise ValueError(f"ChargerSchedule.duration must be positive, got {self.duration}")
            if not _whole_seconds(self.duration):
                raise ValueError(
                    f"duration must be whole seconds (OCPP counts in seconds), got {self.duration}"
                )

    @property
    def end(self) -> datetime | None:
        """When the schedule ends (`start` + `duration`), or None when it has no duration."""
        return None if self.duration is None else self.start + self.duration

    def limit_at(self, moment: datetime) -> Decimal | None:
        """The limit this schedule sets at a moment.

        Args:
            moment: A timezone-aware datetime.

        Returns:
            The limit in W of the period in force, or None when the moment is before the start or
            at or after the end.
        """
        if moment < self.start:
            return None
        end = self.end
        if end is not None and moment >= end:
            return None
        offset = moment - self.start
        limit = self.periods[0].limit_w
        for period in self.periods:
            if period.start > offset:
                break
            limit = period.limit_w
        return limit


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileOutcome:
    """What became of a limit sent to a charger.

    Attributes:
        charger_id: The charger.
        accepted: True when the charger took it (for a clear: also when it had nothing to clear).
        status: The charger's status text ("Accepted", "Rejected", "NotSupported", "Unknown" for a
            clear with nothing to clear), or ours: "Disconnected" (not connected, or the
            connection dropped before the answer), "Timeout" (no answer in time), or
            "CallError <code>: <description>" when the charger answered with an OCPP CallError.
        detail: More about the status when there is any: the charger's statusInfo (2.0.1) or the
            CallError's details.
    """

    charger_id: str
    accepted: bool
    status: str
    detail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterSample:
    """What a charger (or the whole site) draws, from its latest MeterValues.

    Attributes:
        charger_id: The charger, or "site" for the sum over connected chargers.
        at: When it was measured (the charger's timestamp).
        power_w: Active import power in W, None when not known.
        energy_wh: Active import energy register in Wh, None when not known.
    """

    charger_id: str
    at: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None
