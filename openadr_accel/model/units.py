"""Units of measure (the ``emix:itemBase`` substitution group), one class per schema element.

The schema fixes the description and unit text of most units; those are exposed as the
``item_description`` and ``item_units`` properties rather than stored, so a unit cannot be built
with texts the schema would refuse. ``CustomUnit`` is the open end: any description and units.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .currency import CurrencyCode
from .enums import PowerUnit, SiScaleCode, TemperatureUnit

__all__ = [
    "Current",
    "CurrencyItemDescription",
    "CurrencyKind",
    "CurrencyUnit",
    "CustomUnit",
    "EnergyApparent",
    "EnergyReactive",
    "EnergyReal",
    "Frequency",
    "ItemBase",
    "PowerApparent",
    "PowerAttributes",
    "PowerReactive",
    "PowerReal",
    "PulseCount",
    "Temperature",
    "Therm",
    "Voltage",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerAttributes:
    """Electrical context of a power quantity (``power:powerAttributes``)."""

    hertz: Decimal
    voltage: Decimal
    ac: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerReal:
    """Real power (``power:powerReal``), in W or J/s."""

    attributes: PowerAttributes
    scale: SiScaleCode = SiScaleCode.NONE
    units: PowerUnit = PowerUnit.W

    @property
    def item_description(self) -> str:
        return "RealPower"

    @property
    def item_units(self) -> str:
        return self.units.value


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerReactive:
    """Reactive power (``power:powerReactive``), in VAR."""

    attributes: PowerAttributes
    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "ReactivePower"

    @property
    def item_units(self) -> str:
        return "VAR"


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerApparent:
    """Apparent power (``power:powerApparent``), in VA."""

    attributes: PowerAttributes
    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "ApparentPower"

    @property
    def item_units(self) -> str:
        return "VA"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyReal:
    """Real energy (``power:energyReal``), in Wh."""

    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "RealEnergy"

    @property
    def item_units(self) -> str:
        return "Wh"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyReactive:
    """Reactive energy (``power:energyReactive``), in VARh."""

    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "ReactiveEnergy"

    @property
    def item_units(self) -> str:
        return "VARh"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyApparent:
    """Apparent energy (``power:energyApparent``), in VAh."""

    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "ApparentEnergy"

    @property
    def item_units(self) -> str:
        return "VAh"


@dataclass(frozen=True, slots=True, kw_only=True)
class Voltage:
    """Voltage (``power:voltage``), in V."""

    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "Voltage"

    @property
    def item_units(self) -> str:
        return "V"


@dataclass(frozen=True, slots=True, kw_only=True)
class Current:
    """Current (``oadr:current``), in A."""

    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "Current"

    @property
    def item_units(self) -> str:
        return "A"


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """Frequency (``oadr:frequency``), in Hz."""

    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "Frequency"

    @property
    def item_units(self) -> str:
        return "Hz"


@dataclass(frozen=True, slots=True, kw_only=True)
class Therm:
    """Therms of gas (``oadr:Therm``), in thm."""

    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "Therm"

    @property
    def item_units(self) -> str:
        return "thm"


@dataclass(frozen=True, slots=True, kw_only=True)
class Temperature:
    """Temperature (``oadr:temperature``), in degrees Celsius or Fahrenheit."""

    units: TemperatureUnit
    scale: SiScaleCode = SiScaleCode.NONE

    @property
    def item_description(self) -> str:
        return "temperature"

    @property
    def item_units(self) -> str:
        return self.units.value


class CurrencyKind(StrEnum):
    """Which currency element carries the unit (its element name)."""

    CURRENCY = "currency"
    CURRENCY_PER_KWH = "currencyPerKWh"
    CURRENCY_PER_KW = "currencyPerKW"
    CURRENCY_PER_THM = "currencyPerThm"


class CurrencyItemDescription(StrEnum):
    """The description texts the schema admits for a currency unit."""

    CURRENCY = "currency"
    CURRENCY_PER_KW = "currencyPerKW"
    CURRENCY_PER_KWH = "currencyPerKWh"


_DEFAULT_CURRENCY_DESCRIPTION = {
    CurrencyKind.CURRENCY: CurrencyItemDescription.CURRENCY,
    CurrencyKind.CURRENCY_PER_KWH: CurrencyItemDescription.CURRENCY_PER_KWH,
    CurrencyKind.CURRENCY_PER_KW: CurrencyItemDescription.CURRENCY_PER_KW,
    CurrencyKind.CURRENCY_PER_THM: CurrencyItemDescription.CURRENCY,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrencyUnit:
    """A price unit (``oadr:currency``, ``currencyPerKWh``, ``currencyPerKW``, ``currencyPerThm``).

    ``description`` defaults to the one matching ``kind`` (``currency`` for ``currencyPerThm``,
    which has no description of its own in the schema).
    """

    kind: CurrencyKind
    code: CurrencyCode
    scale: SiScaleCode = SiScaleCode.NONE
    description: CurrencyItemDescription | None = None

    def __post_init__(self) -> None:
        # One representation per meaning: an explicit default description is stored as None.
        if self.description == _DEFAULT_CURRENCY_DESCRIPTION[self.kind]:
            object.__setattr__(self, "description", None)

    @property
    def item_description(self) -> str:
        return (self.description or _DEFAULT_CURRENCY_DESCRIPTION[self.kind]).value

    @property
    def item_units(self) -> str:
        return self.code.value


@dataclass(frozen=True, slots=True, kw_only=True)
class PulseCount:
    """Pulses counted from a meter (``oadr:pulseCount``); ``pulse_factor`` is kWh per count."""

    pulse_factor: Decimal

    @property
    def item_description(self) -> str:
        return "pulse count"

    @property
    def item_units(self) -> str:
        return "count"


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomUnit:
    """Any other unit (``oadr:customUnit``): free description and units."""

    item_description: str
    item_units: str
    scale: SiScaleCode = SiScaleCode.NONE


ItemBase = (
    PowerReal
    | PowerReactive
    | PowerApparent
    | EnergyReal
    | EnergyReactive
    | EnergyApparent
    | Voltage
    | Current
    | Frequency
    | Therm
    | Temperature
    | CurrencyUnit
    | PulseCount
    | CustomUnit
)
"""Any unit the schema admits in place of ``emix:itemBase`` (Green Button descriptions excepted)."""
