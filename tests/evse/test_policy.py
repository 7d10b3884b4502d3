"""The limit policy: SIMPLE levels, LOAD_DISPATCH setpoints and price bands to a site limit
(always within [0, capacity], the lowest wins), the split among chargers, and its TOML file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openadr_accel.evse.policy import (
    DEFAULT_SIMPLE_LEVELS,
    Ceiling,
    LimitPolicy,
    PriceBand,
    SplitRule,
)
from openadr_accel.model import (
    CurrencyCode,
    CurrencyKind,
    CurrencyUnit,
    EiEventSignal,
    ItemBase,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    SignalInterval,
    SignalName,
    SignalType,
    SiScaleCode,
)

CAPACITY = Decimal(22_000)
ATTRIBUTES = PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True)


def signal(
    name: SignalName | str, kind: SignalType, item_base: ItemBase | None = None, signal_id: str = "s"
) -> EiEventSignal:
    return EiEventSignal(
        signal_name=SignalName(name),
        signal_type=kind,
        signal_id=signal_id,
        item_base=item_base,
        intervals=(SignalInterval(uid="0", payloads=(PayloadFloat(value=Decimal(0)),)),),
    )


SIMPLE = signal(SignalName.SIMPLE, SignalType.LEVEL)
DISPATCH_KW = signal(
    SignalName.LOAD_DISPATCH, SignalType.SETPOINT, PowerReal(attributes=ATTRIBUTES, scale=SiScaleCode.KILO)
)
DISPATCH_W = signal(SignalName.LOAD_DISPATCH, SignalType.SETPOINT, PowerReal(attributes=ATTRIBUTES))
PRICE = signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE)
BANDS = (
    PriceBand(Decimal("0.30"), Ceiling(Decimal("0.5"), relative=True)),
    PriceBand(Decimal("0.50"), Ceiling(Decimal(2000))),
)


def policy(**changes: Any) -> LimitPolicy:
    settings: dict[str, Any] = {"site_capacity_w": CAPACITY, "price_bands": BANDS}
    settings.update(changes)
    return LimitPolicy(**settings)


# -- signals to a site limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "limit"),
    [(0, 22_000), (1, 11_000), (2, 5_500), (3, 0)],
)
def test_simple_levels_default_to_shares_of_capacity(level: int, limit: int) -> None:
    assert policy().signal_limit(SIMPLE, Decimal(level)) == limit


def test_simple_lowercase_name_counts_as_simple() -> None:
    lower = signal(SignalName.SIMPLE_LOWERCASE, SignalType.LEVEL)
    assert policy().handles(lower)
    assert policy().signal_limit(lower, Decimal(2)) == 5_500


@pytest.mark.parametrize(("value", "level"), [("1.2", 2), ("0.01", 1), ("7", 3), ("-2", 0), ("Infinity", 3)])
def test_simple_values_between_levels_count_as_the_next_level_up(value: str, level: int) -> None:
    p = policy()
    assert p.signal_limit(SIMPLE, Decimal(value)) == p.signal_limit(SIMPLE, Decimal(level))


def test_simple_table_with_absolute_ceilings() -> None:
    levels = {
        0: Ceiling.parse("100%"),
        1: Ceiling.parse("15 kW"),
        2: Ceiling.parse("40 kW"),
        3: Ceiling.parse(0),
    }
    p = policy(simple_levels=levels)
    assert p.signal_limit(SIMPLE, Decimal(1)) == 15_000
    assert p.signal_limit(SIMPLE, Decimal(2)) == CAPACITY  # a ceiling above capacity: the capacity


def test_load_dispatch_setpoint_in_the_unit_of_its_item_base() -> None:
    p = policy()
    assert p.signal_limit(DISPATCH_KW, Decimal("7.5")) == 7_500
    assert p.signal_limit(DISPATCH_W, Decimal(7_500)) == 7_500
    assert p.signal_limit(DISPATCH_KW, Decimal(50)) == CAPACITY
    assert p.signal_limit(DISPATCH_KW, Decimal(-3)) == 0


def test_load_dispatch_needs_a_setpoint_of_real_power() -> None:
    p = policy()
    assert p.handles(DISPATCH_KW)
    assert not p.handles(signal(SignalName.LOAD_DISPATCH, SignalType.SETPOINT))  # no itemBase
    assert not p.handles(signal(SignalName.LOAD_DISPATCH, SignalType.DELTA, DISPATCH_KW.item_base))
    assert not p.handles(
        signal(
            SignalName.LOAD_DISPATCH,
            SignalType.SETPOINT,
            CurrencyUnit(kind=CurrencyKind.CURRENCY_PER_KWH, code=CurrencyCode.USD),
        )
    )
    assert not policy(load_dispatch=False).handles(DISPATCH_KW)


@pytest.mark.parametrize(
    ("price", "limit"),
    [("0.10", None), ("0.29999", None), ("0.30", 11_000), ("0.45", 11_000), ("0.50", 2_000), ("9", 2_000)],
)
def test_price_bands(price: str, limit: int | None) -> None:
    assert policy().signal_limit(PRICE, Decimal(price)) == limit


def test_price_without_bands_is_not_mine() -> None:
    assert not policy(price_bands=()).handles(PRICE)
    assert not policy().handles(signal(SignalName.ELECTRICITY_PRICE, SignalType.PRICE_RELATIVE))


@pytest.mark.parametrize(
    "other",
    [
        signal(SignalName.SIMPLE, SignalType.DELTA),
        signal(SignalName.LOAD_CONTROL, SignalType.LOAD_CONTROL_CAPACITY),
        signal("x-myCustomSignal", SignalType.LEVEL),
        signal(SignalName.ENERGY_PRICE, SignalType.PRICE),
    ],
)
def test_other_signals_are_not_mine(other: EiEventSignal) -> None:
    p = policy()
    assert not p.handles(other)
    with pytest.raises(ValueError, match="not handled by this policy"):
        p.signal_limit(other, Decimal(1))
    assert p.site_limit([(other, Decimal(1))]) == CAPACITY  # left out


def test_no_value_sets_no_limit() -> None:
    p = policy()
    assert p.signal_limit(SIMPLE, None) is None
    assert p.signal_limit(DISPATCH_KW, Decimal("NaN")) is None
    assert p.site_limit([(SIMPLE, None)]) == CAPACITY


def test_the_lowest_limit_wins() -> None:
    p = policy()
    assert p.site_limit([(SIMPLE, Decimal(1)), (DISPATCH_KW, Decimal(8)), (PRICE, Decimal("0.4"))]) == 8_000
    assert p.site_limit([(SIMPLE, Decimal(2)), (DISPATCH_KW, Decimal(8))]) == 5_500
    assert p.site_limit([(SIMPLE, Decimal(0)), (PRICE, Decimal("0.6"))]) == 2_000
    assert p.site_limit([]) == CAPACITY


readings = st.lists(
    st.tuples(
        st.sampled_from([SIMPLE, DISPATCH_KW, DISPATCH_W, PRICE, signal("x-other", SignalType.LEVEL)]),
        st.none() | st.decimals(allow_nan=True, allow_infinity=True),
    ),
    max_size=6,
)
capacities = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(10**7), places=1)


@given(readings=readings, capacity=capacities)
def test_site_limit_is_always_within_zero_and_capacity(
    readings: list[tuple[EiEventSignal, Decimal | None]], capacity: Decimal
) -> None:
    p = policy(site_capacity_w=capacity)
    limit = p.site_limit(readings)
    assert 0 <= limit <= capacity
    for one in readings:  # the lowest wins: never above any single signal's limit
        assert limit <= p.site_limit([one])


# -- splitting among chargers ---------------------------------------------------------------------


def test_even_split() -> None:
    assert policy().split(Decimal(11_000), ["CP-1", "CP-2"]) == {"CP-1": 5_500, "CP-2": 5_500}
    assert policy().split(Decimal(10_000), ["A", "B", "C"]) == {
        "A": Decimal("3333.3"),
        "B": Decimal("3333.3"),
        "C": Decimal("3333.3"),
    }
    assert policy().split(Decimal(10_000), []) == {}


def test_even_split_gives_what_a_small_charger_cannot_take_to_the_others() -> None:
    p = policy(charger_max_w={"small": Decimal(3_700)})
    assert p.split(Decimal(20_000), ["small", "big"]) == {"small": 3_700, "big": 16_300}
    assert p.split(Decimal(6_000), ["small", "big"]) == {"small": 3_000, "big": 3_000}


def test_split_by_max_power() -> None:
    p = policy(
        split_rule=SplitRule.MAX_POWER,
        charger_max_w={"a": Decimal(11_000), "b": Decimal(7_400)},
        default_charger_max_w=Decimal(3_600),
    )
    assert p.split(Decimal(11_000), ["a", "b"]) == {
        "a": Decimal("6576.0"),  # 11000 * 11000 / 18400, rounded down
        "b": Decimal("4423.9"),
    }
    assert p.split(Decimal(22_000), ["a", "b", "c"]) == {"a": 11_000, "b": 7_400, "c": 3_600}  # all at max


def test_split_clamps_the_site_limit() -> None:
    assert policy().split(Decimal(-5), ["a"]) == {"a": 0}
    assert policy().split(Decimal(10**6), ["a"]) == {"a": CAPACITY}


charger_sets = st.dictionaries(
    st.text(alphabet="ABCDEFGH", min_size=1, max_size=3),
    st.none() | st.decimals(min_value=Decimal(1), max_value=Decimal(50_000), places=1),
    max_size=8,
)


@given(
    chargers=charger_sets,
    limit=st.decimals(min_value=Decimal(-1000), max_value=Decimal(100_000), places=2),
    rule=st.sampled_from(SplitRule),
)
def test_shares_add_up_to_at_most_the_site_limit_and_respect_each_maximum(
    chargers: dict[str, Decimal | None], limit: Decimal, rule: SplitRule
) -> None:
    known = {charger_id: maximum for charger_id, maximum in chargers.items() if maximum is not None}
    p = policy(split_rule=rule, charger_max_w=known, default_charger_max_w=Decimal(7_400))
    shares = p.split(limit, list(chargers))
    assert set(shares) == set(chargers)
    clamped = max(Decimal(0), min(limit, CAPACITY))
    assert sum(shares.values(), Decimal(0)) <= clamped
    maxima = {charger_id: p.charger_max(charger_id) for charger_id in chargers}
    for charger_id, share in shares.items():
        maximum = maxima[charger_id]
        assert share >= 0
        assert maximum is None or share <= maximum
    # Nothing is wasted beyond rounding: the site limit, or every charger at its maximum.
    total_max = sum((m for m in maxima.values() if m is not None), Decimal(0))
    wanted = clamped if any(m is None for m in maxima.values()) else min(clamped, total_max)
    if shares:
        assert sum(shares.values(), Decimal(0)) >= wanted - Decimal("0.1") * len(shares)


# -- ceilings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ceiling"),
    [
        ("50%", Ceiling(Decimal("0.5"), relative=True)),
        ("7.4 kW", Ceiling(Decimal("7400.0"))),
        ("7.4kW", Ceiling(Decimal("7400.0"))),
        ("7400 W", Ceiling(Decimal(7400))),
        ("2 MW", Ceiling(Decimal(2_000_000))),
        (7400, Ceiling(Decimal(7400))),
        (7.5, Ceiling(Decimal("7.5"))),
    ],
)
def test_ceiling_forms(text: str | int | float, ceiling: Ceiling) -> None:
    assert Ceiling.parse(text) == ceiling


@pytest.mark.parametrize("text", ["lots", "7.4 kWh", "120%", "-5 kW", "", True])
def test_bad_ceilings(text: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the messages differ
        Ceiling.parse(text)


def test_ceiling_text() -> None:
    assert str(Ceiling.parse("25%")) == "25%"
    assert str(Ceiling.parse("7.4 kW")) == "7400 W"


# -- construction and the TOML file ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"site_capacity_w": Decimal(0)}, "site_capacity must be a positive power"),
        ({"simple_levels": {0: Ceiling(Decimal(1), relative=True)}}, "exactly 0, 1, 2 and 3"),
        ({"price_bands": (BANDS[1], BANDS[0])}, "strictly ascending"),
        ({"charger_max_w": {"a": Decimal(0)}}, "charger 'a' must be positive"),
        ({"split_rule": SplitRule.MAX_POWER}, "needs default_charger_max"),
    ],
)
def test_bad_policies(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        policy(**changes)


def test_the_policy_keeps_its_own_copies() -> None:
    maxima = {"a": Decimal(1000)}
    p = policy(charger_max_w=maxima)
    maxima["a"] = Decimal(1)
    assert p.charger_max("a") == 1000


FULL = """
site_capacity = "22 kW"
split = "max_power"
default_charger_max = "7.4 kW"

[chargers]
CP-1 = "11 kW"
CP-2 = 3700

[simple]
0 = "100%"
1 = "60%"
2 = "10 kW"
3 = "0%"

[load_dispatch]
enabled = false

[electricity_price]
bands = [{ from = 0.30, limit = "50%" }, { from = 0.5, limit = "2 kW" }]
"""


def test_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(FULL)
    p = LimitPolicy.from_toml(path)
    assert p == LimitPolicy(
        site_capacity_w=Decimal(22_000),
        split_rule=SplitRule.MAX_POWER,
        default_charger_max_w=Decimal(7_400),
        charger_max_w={"CP-1": Decimal(11_000), "CP-2": Decimal(3_700)},
        simple_levels={
            0: Ceiling(Decimal(1), relative=True),
            1: Ceiling(Decimal("0.6"), relative=True),
            2: Ceiling(Decimal(10_000)),
            3: Ceiling(Decimal(0), relative=True),
        },
        load_dispatch=False,
        price_bands=(
            PriceBand(Decimal("0.30"), Ceiling(Decimal("0.5"), relative=True)),
            PriceBand(Decimal("0.5"), Ceiling(Decimal(2_000))),
        ),
    )


def test_from_mapping_defaults() -> None:
    p = LimitPolicy.from_mapping({"site_capacity": "11 kW"})
    assert p.site_capacity_w == 11_000
    assert p.simple_levels == DEFAULT_SIMPLE_LEVELS
    assert p.load_dispatch
    assert p.price_bands == ()
    assert p.split_rule == SplitRule.EVEN
    assert p.handles(SIMPLE)
    assert not p.handles(PRICE)


def test_sections_can_be_switched_off() -> None:
    p = LimitPolicy.from_mapping(
        {
            "site_capacity": 5000,
            "simple": {"enabled": False},
            "electricity_price": {"enabled": False, "bands": [{"from": 1, "limit": "1%"}]},
        }
    )
    assert not p.handles(SIMPLE)
    assert not p.handles(PRICE)
    assert p.handles(DISPATCH_KW)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "site_capacity is required"),
        ({"site_capacity": "50%"}, "site_capacity must be a power"),
        ({"site_capacity": "-1 kW"}, "site_capacity: a limit must be"),
        ({"site_capacity": "22 kW", "spilt": "even"}, r"unknown key\(s\) in the policy: spilt"),
        ({"site_capacity": "22 kW", "split": "fair"}, "split must be 'even' or 'max_power'"),
        ({"site_capacity": "22 kW", "chargers": {"CP-1": "fast"}}, "chargers.CP-1: a limit is"),
        ({"site_capacity": "22 kW", "chargers": "CP-1"}, r"chargers must be a table"),
        (
            {"site_capacity": "22 kW", "simple": {"0": "100%", "4": "0%"}},
            "simple.4: SIMPLE levels are 0, 1, 2 and 3",
        ),
        ({"site_capacity": "22 kW", "simple": {"0": "100%"}}, "exactly 0, 1, 2 and 3"),
        ({"site_capacity": "22 kW", "simple": {"enabled": "yes"}}, "simple.enabled must be true or false"),
        ({"site_capacity": "22 kW", "load_dispatch": {"scale": "k"}}, r"unknown key\(s\) in load_dispatch"),
        ({"site_capacity": "22 kW", "electricity_price": {"bands": 3}}, "must be a list"),
        ({"site_capacity": "22 kW", "electricity_price": {"bands": [{"from": 1}]}}, "needs both 'from'"),
        (
            {"site_capacity": "22 kW", "electricity_price": {"bands": [{"from": "cheap", "limit": "1%"}]}},
            r"electricity_price.bands\[0\].from must be a number",
        ),
        (
            {"site_capacity": "22 kW", "electricity_price": {"bands": [{"from": 1, "limit": "1%", "x": 1}]}},
            r"unknown key\(s\) in electricity_price.bands\[0\]: x",
        ),
        (
            {"site_capacity": "22 kW", "split": "max_power"},
            "needs default_charger_max",
        ),
    ],
)
def test_bad_files_say_what_is_wrong(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LimitPolicy.from_mapping(data)


def test_from_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("site_capacity = \n")
    with pytest.raises(ValueError, match=r"bad.toml: not valid TOML"):
        LimitPolicy.from_toml(path)
    path.write_text('site_capacity = "fast"\n')
    with pytest.raises(ValueError, match=r"bad.toml: site_capacity: a limit is"):
        LimitPolicy.from_toml(path)


def test_the_example_policy_file_loads() -> None:
    example = Path(__file__).parents[2] / "examples" / "evse_ocpp" / "policy.toml"
    p = LimitPolicy.from_toml(example)
    assert p.handles(SIMPLE)
    assert p.handles(DISPATCH_KW)
    assert p.handles(PRICE)
