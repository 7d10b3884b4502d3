"""From OpenADR signals to a site power limit, and from the site limit to each charger's share.

A :class:`LimitPolicy` is pure (no I/O, no clock): given a signal of an event and its value at
some moment, it says what the whole site may draw then, in W; given a site limit and the
chargers connected, it says how much each of them may draw.

What each signal means (all limits are clamped to ``[0, site capacity]``):

=====================  ============  ==========================================================
signal                 signalType    site limit
=====================  ============  ==========================================================
``SIMPLE``             ``level``     the level's ceiling in :attr:`LimitPolicy.simple_levels`
                                     (default 0: 100 %, 1: 50 %, 2: 25 %, 3: 0 % of capacity);
                                     a value between levels counts as the next level up, above
                                     3 as 3, below 0 as 0
``LOAD_DISPATCH``      ``setpoint``  the setpoint itself, in the unit of the signal's itemBase,
                                     which must be ``powerReal`` (any scale: ``k`` for kW)
``ELECTRICITY_PRICE``  ``price``     the ceiling of the highest band in
                                     :attr:`LimitPolicy.price_bands` whose threshold the price
                                     reaches; below every band, no limit (the capacity)
=====================  ============  ==========================================================

Any other signal, signal type or unit is "not mine": :meth:`LimitPolicy.handles` says False,
and a VEN given :meth:`LimitPolicy.handles` as its ``supports`` filter answers such events 460
(signal not supported). An interval without a number sets no limit. When several signals of an
event are present, the lowest limit wins (:meth:`LimitPolicy.site_limit`).

A ceiling (:class:`Ceiling`) is a share of the site capacity (``"50%"``) or a power (``"7.4 kW"``,
``"7400 W"``, or a bare number of watts).

How the site limit is shared (:meth:`LimitPolicy.split`):

- ``even`` (default): the same for every charger; a charger whose maximum power (from
  :attr:`LimitPolicy.charger_max_w`, or :attr:`LimitPolicy.default_charger_max_w`) is below its
  share gets its maximum, and what it leaves goes to the others;
- ``max_power``: in proportion to each charger's maximum power (needs
  :attr:`LimitPolicy.default_charger_max_w` for chargers not listed).

Shares are rounded down to 0.1 W (what OCPP's limits carry), so they never add up to more than
the site limit.

The policy file (:meth:`LimitPolicy.from_toml`), every key optional but ``site_capacity``::

    site_capacity = "22 kW"        # the most the whole site may draw
    split = "even"                 # or "max_power"
    default_charger_max = "11 kW"  # a charger not listed in [chargers]

    [chargers]                     # each charger's maximum power, by its OCPP identity
    CP-1 = "11 kW"
    CP-2 = "7.4 kW"

    [simple]                       # all four levels, or none (the defaults)
    0 = "100%"
    1 = "50%"
    2 = "25%"
    3 = "0%"

    [load_dispatch]
    enabled = true

    [electricity_price]            # thresholds strictly ascending; no bands: not handled
    bands = [{ from = 0.30, limit = "50%" }, { from = 0.50, limit = "10%" }]

``enabled = false`` in ``[simple]``, ``[load_dispatch]`` or ``[electricity_price]`` leaves that
signal to others ("not mine"). Unknown keys and bad values raise a :class:`ValueError` that
names them.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..model import EiEventSignal, PowerReal, SignalName, SignalType

__all__ = [
    "DEFAULT_SIMPLE_LEVELS",
    "Ceiling",
    "LimitPolicy",
    "PriceBand",
    "SplitRule",
]

_RESOLUTION = Decimal("0.1")
"""Charger shares are rounded down to this (W)."""

_POWER = re.compile(r"^\s*(?P<number>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>%|W|kW|MW)?\s*$")
_UNIT_FACTOR = {None: Decimal(1), "W": Decimal(1), "kW": Decimal(1000), "MW": Decimal(1_000_000)}

_TOP_KEYS = {
    "site_capacity",
    "split",
    "default_charger_max",
    "chargers",
    "simple",
    "load_dispatch",
    "electricity_price",
}

_SIMPLE_NAMES = frozenset({SignalName.SIMPLE, SignalName.SIMPLE_LOWERCASE})
_LEVELS = (0, 1, 2, 3)


class SplitRule(StrEnum):
    """How a site limit is shared among the chargers."""

    EVEN = "even"
    """The same share for every charger (a charger's maximum caps it; the rest goes to others)."""
    MAX_POWER = "max_power"
    """Shares in proportion to the chargers' maximum power."""


@dataclass(frozen=True, slots=True)
class Ceiling:
    """A configured limit: a share of the site capacity, or a power in W.

    Attributes:
        value: the share (0 to 1) when ``relative``, else the power in W (0 or more).
        relative: whether ``value`` is a share of the site capacity.
    """

    value: Decimal
    relative: bool = False

    def __post_init__(self) -> None:
        if not self.value.is_finite() or self.value < 0:
            raise ValueError(f"a limit must be a finite number, 0 or more, not {self.value}")
        if self.relative and self.value > 1:
            raise ValueError(f"a share of the site capacity is at most 100%, not {self.value * 100}%")

    @classmethod
    def parse(cls, text: str | int | float | Decimal) -> Ceiling:
        """A ceiling from its configured form: ``"50%"``, ``"7.4 kW"``, ``"7400 W"``, ``"2 MW"``
        or a bare number (W).

        Raises:
            ValueError: anything else, or a negative power, or a share above 100 %.
        """
        if isinstance(text, bool):
            raise ValueError(f"a limit is a share ('50%') or a power ('7.4 kW'), not {text!r}")
        if isinstance(text, int | float | Decimal):
            return cls(_decimal(text, "limit"))
        if not isinstance(text, str):
            raise ValueError(f"a limit is a share ('50%') or a power ('7.4 kW'), not {text!r}")
        match = _POWER.match(text)
        if match is None:
            raise ValueError(f"a limit is a share ('50%') or a power ('7.4 kW', '7400 W'), not {text!r}")
        number = Decimal(match["number"])
        unit = match["unit"]
        if unit == "%":
            return cls(number / 100, relative=True)
        return cls(number * _UNIT_FACTOR[unit])

    def watts(self, capacity_w: Decimal) -> Decimal:
        """The limit in W for a site of ``capacity_w``, never above the capacity."""
        limit = self.value * capacity_w if self.relative else self.value
        return min(limit, capacity_w)

    def __str__(self) -> str:
        if self.relative:
            return f"{_plain(self.value * 100)}%"
        return f"{_plain(self.value)} W"


DEFAULT_SIMPLE_LEVELS: Mapping[int, Ceiling] = MappingProxyType(
    {
        0: Ceiling(Decimal(1), relative=True),
        1: Ceiling(Decimal("0.5"), relative=True),
        2: Ceiling(Decimal("0.25"), relative=True),
        3: Ceiling(Decimal(0), relative=True),
    }
)
"""SIMPLE levels (0 normal, 1 moderate, 2 high, 3 special) to their share of the site capacity."""


@dataclass(frozen=True, slots=True)
class PriceBand:
    """From a price on (``at_or_above``, in the event's currency per its unit), the site limit.

    Attributes:
        at_or_above: the threshold; the band applies to prices at or above it (up to the next
            band's threshold).
        ceiling: the site limit in this band.
    """

    at_or_above: Decimal
    ceiling: Ceiling

    def __post_init__(self) -> None:
        if not self.at_or_above.is_finite():
            raise ValueError(f"a price threshold must be finite, not {self.at_or_above}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitPolicy:
    """OpenADR signals to a site power limit, and the site limit to the chargers' shares (see the
    module docstring for what each signal means).

    Attributes:
        site_capacity_w: the most the site may draw (W), with or without an event; every limit
            the policy gives is within ``[0, site_capacity_w]``.
        simple_levels: the ceiling of each SIMPLE level 0 to 3 (empty: SIMPLE not handled).
        load_dispatch: whether LOAD_DISPATCH setpoints are handled.
        price_bands: ELECTRICITY_PRICE bands, thresholds strictly ascending (empty: not handled).
        split_rule: how a site limit is shared among the chargers.
        charger_max_w: each charger's maximum power (W), by charger ID.
        default_charger_max_w: the maximum power of a charger not in ``charger_max_w`` (None:
            unbounded; required with ``split_rule=MAX_POWER``).

    Example::

        policy = LimitPolicy(site_capacity_w=Decimal(22_000))
        policy.signal_limit(simple_signal, Decimal(2))     # Decimal("5500.00")
        policy.split(Decimal(5500), ["CP-1", "CP-2"])       # {"CP-1": Decimal("2750.0"), ...}

    Raises:
        ValueError: a capacity that is not positive, SIMPLE levels other than exactly 0 to 3,
            thresholds not strictly ascending, a charger maximum that is not positive, or
            ``MAX_POWER`` without ``default_charger_max_w``.
    """

    site_capacity_w: Decimal
    simple_levels: Mapping[int, Ceiling] = field(default_factory=lambda: DEFAULT_SIMPLE_LEVELS)
    load_dispatch: bool = True
    price_bands: tuple[PriceBand, ...] = ()
    split_rule: SplitRule = SplitRule.EVEN
    charger_max_w: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    default_charger_max_w: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.site_capacity_w.is_finite() or self.site_capacity_w <= 0:
            raise ValueError(f"site_capacity must be a positive power, not {self.site_capacity_w} W")
        if self.simple_levels and sorted(self.simple_levels) != list(_LEVELS):
            raise ValueError(f"SIMPLE levels must be exactly 0, 1, 2 and 3, not {sorted(self.simple_levels)}")
        thresholds = [band.at_or_above for band in self.price_bands]
        if any(later <= earlier for earlier, later in itertools.pairwise(thresholds)):
            raise ValueError(f"price band thresholds must be strictly ascending, not {thresholds}")
        for charger_id, maximum in self.charger_max_w.items():
            if not maximum.is_finite() or maximum <= 0:
                raise ValueError(
                    f"the maximum power of charger {charger_id!r} must be positive, not {maximum}"
                )
        if self.default_charger_max_w is not None and (
            not self.default_charger_max_w.is_finite() or self.default_charger_max_w <= 0
        ):
            raise ValueError(f"default_charger_max must be positive, not {self.default_charger_max_w}")
        if self.split_rule == SplitRule.MAX_POWER and self.default_charger_max_w is None:
            raise ValueError(
                "split = 'max_power' needs default_charger_max (the maximum power of chargers not listed)"
            )
        # Frozen copies: the policy stays what it was made as.
        object.__setattr__(self, "simple_levels", MappingProxyType(dict(self.simple_levels)))
        object.__setattr__(self, "charger_max_w", MappingProxyType(dict(self.charger_max_w)))

    # -- loading ----------------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> LimitPolicy:
        """The policy in a TOML file (see the module docstring for its keys).

        Raises:
            ValueError: the file is not valid TOML, or its content is not a valid policy (the
                message names the file and the key).
            OSError: the file cannot be read.
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from exc
        try:
            return cls.from_mapping(data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LimitPolicy:
        """The policy from a mapping shaped like the TOML file (see the module docstring).

        Raises:
            ValueError: a missing ``site_capacity``, an unknown key, or a bad value (the message
                names the key).
        """
        _only(data, _TOP_KEYS, "the policy")
        if "site_capacity" not in data:
            raise ValueError("site_capacity is required (the most the site may draw, e.g. '22 kW')")
        capacity = _power(data["site_capacity"], "site_capacity")
        split_text = data.get("split", SplitRule.EVEN.value)
        try:
            split = SplitRule(split_text)
        except ValueError:
            raise ValueError(f"split must be 'even' or 'max_power', not {split_text!r}") from None
        default_max = None
        if "default_charger_max" in data:
            default_max = _power(data["default_charger_max"], "default_charger_max")
        chargers = _table(data, "chargers")
        charger_max = {str(key): _power(value, f"chargers.{key}") for key, value in chargers.items()}

        simple = _table(data, "simple")
        levels: Mapping[int, Ceiling] = DEFAULT_SIMPLE_LEVELS
        if not _enabled(simple, "simple"):
            levels = {}
        elif set(simple) - {"enabled"}:
            levels = {}
            for key, value in simple.items():
                if key == "enabled":
                    continue
                if str(key) not in {str(level) for level in _LEVELS}:
                    raise ValueError(f"simple.{key}: SIMPLE levels are 0, 1, 2 and 3")
                levels[int(key)] = _ceiling(value, f"simple.{key}")

        dispatch = _table(data, "load_dispatch")
        _only(dispatch, {"enabled"}, "load_dispatch")
        dispatch_on = _enabled(dispatch, "load_dispatch")

        price = _table(data, "electricity_price")
        _only(price, {"enabled", "bands"}, "electricity_price")
        bands: list[PriceBand] = []
        if _enabled(price, "electricity_price"):
            raw_bands = price.get("bands", [])
            if not isinstance(raw_bands, list):
                raise ValueError("electricity_price.bands must be a list of {from = PRICE, limit = LIMIT}")
            for position, band in enumerate(raw_bands):
                where = f"electricity_price.bands[{position}]"
                if not isinstance(band, Mapping):
                    raise ValueError(f"{where} must be a table {{from = PRICE, limit = LIMIT}}")
                _only(band, {"from", "limit"}, where)
                if "from" not in band or "limit" not in band:
                    raise ValueError(f"{where} needs both 'from' (a price) and 'limit'")
                threshold = _decimal(band["from"], f"{where}.from")
                bands.append(PriceBand(threshold, _ceiling(band["limit"], f"{where}.limit")))
        return cls(
            site_capacity_w=capacity,
            simple_levels=levels,
            load_dispatch=dispatch_on,
            price_bands=tuple(bands),
            split_rule=split,
            charger_max_w=charger_max,
            default_charger_max_w=default_max,
        )

    # -- signals to a site limit ------------------------------------------------------------------

    def handles(self, signal: EiEventSignal) -> bool:
        """Whether this policy turns ``signal`` into a limit (False: "not mine"). Usable as a
        VEN's ``supports`` filter."""
        name, kind = signal.signal_name, signal.signal_type
        if name in _SIMPLE_NAMES:
            return kind == SignalType.LEVEL and bool(self.simple_levels)
        if name == SignalName.LOAD_DISPATCH:
            return (
                self.load_dispatch and kind == SignalType.SETPOINT and isinstance(signal.item_base, PowerReal)
            )
        if name == SignalName.ELECTRICITY_PRICE:
            return kind == SignalType.PRICE and bool(self.price_bands)
        return False

    def signal_limit(self, signal: EiEventSignal, value: Decimal | None) -> Decimal | None:
        """The site limit (W) that ``signal`` sets while its value is ``value``; None when it sets
        none (no value, a price below every band).

        Raises:
            ValueError: the policy does not handle ``signal`` (see :meth:`handles`).
        """
        if not self.handles(signal):
            raise ValueError(
                f"signal {signal.signal_id!r} ({signal.signal_name}/{signal.signal_type}) "
                "is not handled by this policy"
            )
        if value is None or value.is_nan():
            return None
        capacity = self.site_capacity_w
        name = signal.signal_name
        if name in _SIMPLE_NAMES:
            return self.simple_levels[_level(value)].watts(capacity)
        if name == SignalName.LOAD_DISPATCH:
            assert isinstance(signal.item_base, PowerReal)
            if value.is_infinite():
                return capacity if value > 0 else Decimal(0)
            watts = value.scaleb(signal.item_base.scale.exponent)
            return max(Decimal(0), min(watts, capacity))
        band = None
        for candidate in self.price_bands:
            if value >= candidate.at_or_above:
                band = candidate
        return None if band is None else band.ceiling.watts(capacity)

    def site_limit(self, readings: Iterable[tuple[EiEventSignal, Decimal | None]]) -> Decimal:
        """The site limit (W) of several signals at one moment: the lowest of the limits they set
        (signals not handled, and signals setting none, are left out; none at all: the
        capacity)."""
        limit = self.site_capacity_w
        for signal, value in readings:
            if not self.handles(signal):
                continue
            found = self.signal_limit(signal, value)
            if found is not None and found < limit:
                limit = found
        return limit

    # -- the site limit to the chargers -----------------------------------------------------------

    def charger_max(self, charger_id: str) -> Decimal | None:
        """A charger's maximum power (W), if known."""
        return self.charger_max_w.get(charger_id, self.default_charger_max_w)

    def split(self, site_limit_w: Decimal, charger_ids: Iterable[str]) -> dict[str, Decimal]:
        """Each charger's share (W) of ``site_limit_w`` (clamped to ``[0, capacity]`` first), by
        :attr:`split_rule`. The shares are rounded down to 0.1 W: they add up to at most the site
        limit, and none exceeds its charger's maximum."""
        ids = list(dict.fromkeys(charger_ids))
        if not ids:
            return {}
        limit = max(Decimal(0), min(site_limit_w, self.site_capacity_w))
        if self.split_rule == SplitRule.MAX_POWER:
            maxima = {charger_id: self.charger_max(charger_id) or Decimal(0) for charger_id in ids}
            total = sum(maxima.values(), Decimal(0))
            if total <= limit:
                shares = dict(maxima)
            else:
                shares = {charger_id: limit * maximum / total for charger_id, maximum in maxima.items()}
        else:
            shares = _water_fill(limit, {charger_id: self.charger_max(charger_id) for charger_id in ids})
        return {charger_id: _round_down(share) for charger_id, share in shares.items()}


def _water_fill(limit: Decimal, maxima: Mapping[str, Decimal | None]) -> dict[str, Decimal]:
    """Even shares of ``limit``; a charger whose maximum is below its share gets its maximum, and
    what it leaves is shared by the others."""
    shares: dict[str, Decimal] = {}
    open_ids = list(maxima)
    remaining = limit
    while open_ids:
        share = remaining / len(open_ids)
        capped = [cid for cid in open_ids if (maximum := maxima[cid]) is not None and maximum <= share]
        if not capped:
            for charger_id in open_ids:
                shares[charger_id] = share
            break
        for charger_id in capped:
            maximum = maxima[charger_id]
            assert maximum is not None
            shares[charger_id] = maximum
            remaining -= maximum
            open_ids.remove(charger_id)
    return shares


def _round_down(value: Decimal) -> Decimal:
    return max(Decimal(0), value.quantize(_RESOLUTION, rounding=ROUND_DOWN))


def _level(value: Decimal) -> int:
    """The SIMPLE level of a value: the next level up between levels, clamped to 0..3."""
    if value.is_infinite():
        return _LEVELS[-1] if value > 0 else _LEVELS[0]
    return max(_LEVELS[0], min(_LEVELS[-1], math.ceil(value)))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{where} must be a number, not {value!r}")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{where} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{where} must be a finite number, not {value!r}")
    return number


def _ceiling(value: object, where: str) -> Ceiling:
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise ValueError(f"{where}: a limit is a share ('50%') or a power ('7.4 kW'), not {value!r}")
    try:
        return Ceiling.parse(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _power(value: object, where: str) -> Decimal:
    ceiling = _ceiling(value, where)
    if ceiling.relative:
        raise ValueError(f"{where} must be a power ('11 kW', '7400 W'), not a share ({value!r})")
    if ceiling.value <= 0:
        raise ValueError(f"{where} must be a positive power, not {value!r}")
    return ceiling.value


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise ValueError(f"{key} must be a table ([{key}]), not {table!r}")
    return table


def _enabled(table: Mapping[str, Any], where: str) -> bool:
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"{where}.enabled must be true or false, not {enabled!r}")
    return enabled


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in table if key not in allowed)
    if unknown:
        raise ValueError(
            f"unknown key(s) in {where}: {', '.join(unknown)} (known: {', '.join(sorted(allowed))})"
        )
