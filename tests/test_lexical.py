"""Text forms of the schema's simple types."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from openadr_accel.xml.lexical import (
    format_bool,
    format_datetime,
    format_decimal,
    format_duration,
    format_float,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_double,
    parse_duration,
    parse_unsigned,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(hours=1), "PT1H"),
        (timedelta(minutes=90), "PT1H30M"),
        (timedelta(days=2, seconds=5), "P2DT5S"),
        (timedelta(days=1), "P1D"),
        (-timedelta(minutes=5), "-PT5M"),
    ],
)
def test_durations_format_and_parse_back(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("P", timedelta(0)),
        ("PT", timedelta(0)),
        ("+PT30S", timedelta(seconds=30)),
        ("2W", timedelta(days=14)),
        ("P0Y0M1D", timedelta(days=1)),
        ("  PT15M\n", timedelta(minutes=15)),
    ],
)
def test_durations_in_other_schema_valid_forms(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value


@pytest.mark.parametrize("text", ["P1M", "P1Y", "1H", "PT1.5S", "P1W", "", "PTXS"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text.strip()) if text.strip() else "duration"):
        parse_duration(text)


def test_duration_with_fractional_seconds_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="fractional seconds"):
        format_duration(timedelta(seconds=1, microseconds=1))


def test_datetimes_are_written_in_utc_with_z() -> None:
    paris = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2026, 7, 1, 16, 0, tzinfo=paris)) == "2026-07-01T14:00:00Z"
    assert format_datetime(datetime(2026, 7, 1, 14, 0, 0, 250000, tzinfo=UTC)) == "2026-07-01T14:00:00.25Z"
    assert format_datetime(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00Z"


def test_datetimes_parse_with_and_without_zone() -> None:
    expected = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
    assert parse_datetime("2026-07-01T14:00:00Z") == expected
    assert parse_datetime("2026-07-01T14:00:00") == expected  # no zone: taken as UTC
    assert parse_datetime("2026-07-01T14:00:00.123456789Z").microsecond == 123456
    with pytest.raises(ValueError, match="date-time"):
        parse_datetime("yesterday")


def test_numbers() -> None:
    assert format_float(Decimal("1.50")) == "1.50"
    assert format_float(Decimal("Infinity")) == "INF"
    assert format_float(Decimal("-Infinity")) == "-INF"
    assert parse_decimal(" 1.5E3 ") == Decimal("1500")
    assert parse_decimal("INF") == Decimal("Infinity")
    assert format_decimal(Decimal("1E+2")) == "100"
    with pytest.raises(ValueError, match="finite"):
        format_decimal(Decimal("Infinity"))
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal("one")
    assert parse_unsigned(" 42 ") == 42
    with pytest.raises(ValueError, match="unsigned"):
        parse_unsigned("-1")
    with pytest.raises(ValueError, match="unsigned"):
        parse_unsigned("²")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1.0), (" -1.5e3\n", -1500.0), (".5", 0.5), ("5.", 5.0), ("+INF", math.inf), ("-INF", -math.inf)],
)
def test_doubles_in_the_schema_lexical_space(text: str, value: float) -> None:
    assert parse_double(text) == value
    assert parse_decimal(text) == Decimal(value)


def test_a_numeral_beyond_a_double_reads_as_infinity() -> None:
    assert parse_double("1e400") == math.inf
    assert parse_double("-1e400") == -math.inf
    assert parse_decimal("1e400") == Decimal("1E+400")


def test_nan_is_spelled_nan() -> None:
    assert math.isnan(parse_double("NaN"))
    assert parse_decimal("NaN").is_nan()


@pytest.mark.parametrize(
    "text",
    ["1_000", "Infinity", "inf", "nan", "-NaN", "+NaN", "sNaN", "\u0661", "\u00a01", "1 2", "", "e5"],
)
def test_python_only_spellings_of_numbers_are_refused(text: str) -> None:
    """float() and Decimal() read these; the schema's xs:double and xs:float do not."""
    with pytest.raises(ValueError, match="not a number"):
        parse_double(text)
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal(text)


def test_booleans() -> None:
    assert [parse_bool(text) for text in ("true", "1", " false ", "0")] == [True, True, False, False]
    assert (format_bool(True), format_bool(False)) == ("true", "false")
    with pytest.raises(ValueError, match="boolean"):
        parse_bool("yes")
