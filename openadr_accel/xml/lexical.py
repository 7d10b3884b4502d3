"""Text forms of the schema's simple types: datetimes, durations, numbers, booleans, tokens.

``format_*`` functions produce the exact text the 2.0b schema accepts; ``parse_*`` functions read
it back and raise :class:`ValueError` with a useful message on anything else.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from ..model._validation import collapse_whitespace as collapse

__all__ = [
    "collapse",
    "format_bool",
    "format_datetime",
    "format_decimal",
    "format_double",
    "format_duration",
    "format_float",
    "parse_bool",
    "parse_datetime",
    "parse_decimal",
    "parse_double",
    "parse_duration",
    "parse_unsigned",
]

# xcal:DurationValueType: (\+|\-)?P((\d+Y)?(\d+M)?(\d+D)?T?(\d+H)?(\d+M)?(\d+S)?)|(\d+W)
_DURATION = re.compile(
    r"(?P<sign>[+-])?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<days>\d+)D)?"
    r"T?(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?"
    r"|(?P<weeks>\d+)W"
)
_XML_WHITESPACE = " \t\r\n"  # what the schema's whitespace facets trim; not Unicode's
_MAX_DURATION_DAYS = 999_999_999  # timedelta's limit


def format_datetime(value: datetime) -> str:
    """UTC with a ``Z``: the schema's pattern admits no numeric offsets."""
    utc = value.astimezone(UTC)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (  # noqa: UP031 - measured faster than an f-string
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
    )
    if utc.microsecond:
        return f"{text}.{utc.microsecond:06d}".rstrip("0") + "Z"
    return text + "Z"


def parse_datetime(text: str) -> datetime:
    """Read an ``xcal:DateTimeType``; a value without ``Z`` is taken as UTC."""
    text = text.strip(_XML_WHITESPACE)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date-time of the form 2024-01-31T12:00:00Z") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def format_duration(value: timedelta) -> str:
    """``P[nD]T[nH][nM][nS]``; the schema has no fractional seconds, so neither do we."""
    if value.microseconds:
        raise ValueError(f"duration {value} has fractional seconds, which 2.0b cannot express")
    sign = "-" if value < timedelta(0) else ""
    total = abs(int(value.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    date_part = f"{days}D" if days else ""
    time_part = "".join(
        f"{amount}{unit}" for amount, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if amount
    )
    if not date_part and not time_part:
        return "PT0S"
    return f"{sign}P{date_part}{'T' + time_part if time_part else ''}"


def parse_duration(text: str) -> timedelta:
    """Read an ``xcal:DurationValueType``; years and months have no fixed length and are refused."""
    text = text.strip(_XML_WHITESPACE)
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration of the form PT1H30M")
    parts = {name: int(amount) for name, amount in match.groupdict().items() if amount and name != "sign"}
    if parts.get("years") or parts.get("months"):
        raise ValueError(f"duration {text!r} uses years or months, which have no fixed length")
    days = parts.get("days", 0) + 7 * parts.get("weeks", 0)
    seconds = parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60 + parts.get("seconds", 0)
    if days + seconds // 86400 > _MAX_DURATION_DAYS:
        raise ValueError(f"duration {text!r} is too long")
    value = timedelta(days=days, seconds=seconds)
    return -value if match.group("sign") == "-" else value


def format_float(value: Decimal) -> str:
    """An ``xs:float`` (or ``xs:double``) from a Decimal; infinities as ``INF``."""
    if value.is_finite():
        return str(value)
    if value.is_nan():
        return "NaN"
    return "-INF" if value.is_signed() else "INF"


def format_decimal(value: Decimal) -> str:
    """An ``xs:decimal``: plain notation, no exponent, finite."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite decimal")
    return format(value, "f")


# The xs:float / xs:double lexical space (a superset of xs:decimal's) is the Python one, less
# what Python adds: underscores ("1_000"), non-ASCII digits and spaces, and the spellings of the
# special values other than INF, -INF, +INF and NaN ("Infinity", "nan", "sNaN" ...).
_SPECIAL_DOUBLES = {"INF": math.inf, "+INF": math.inf, "-INF": -math.inf, "NaN": math.nan}
_NUMERAL_CHARACTERS = frozenset("0123456789+-.eE")


def parse_decimal(text: str) -> Decimal:
    """Read an ``xs:float`` or ``xs:decimal`` into a Decimal, keeping its exact digits."""
    try:
        value = Decimal(text)  # trims whitespace, as xs:float does
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if value.is_finite():
        if text.isascii() and "_" not in text:
            return value
    elif text.strip(_XML_WHITESPACE) in _SPECIAL_DOUBLES:
        return value
    raise ValueError(f"{text!r} is not a number")


def format_double(value: float) -> str:
    """An ``xs:double`` from a float, shortest exact form."""
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "INF" if value > 0 else "-INF"
    return repr(value)


def parse_double(text: str) -> float:
    """Read an ``xs:double``; a numeral beyond the range of a double reads as an infinity."""
    try:
        value = float(text)  # trims whitespace, as xs:double does
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if text.isascii() and "_" not in text:
        if math.isfinite(value):
            return value
        stripped = text.strip(_XML_WHITESPACE)
        special = _SPECIAL_DOUBLES.get(stripped)
        if special is not None:
            return special
        if _NUMERAL_CHARACTERS.issuperset(stripped):  # 1e400
            return value
    raise ValueError(f"{text!r} is not a number")


def format_bool(value: bool) -> str:
    """``true`` or ``false``."""
    return "true" if value else "false"


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def parse_bool(text: str) -> bool:
    """Read an ``xs:boolean``: true, false, 1 or 0."""
    try:
        return _BOOLEANS[text.strip(_XML_WHITESPACE)]
    except KeyError:
        raise ValueError(f"{text!r} is not a boolean (true, false, 1 or 0)") from None


def parse_unsigned(text: str) -> int:
    """Read an ``xs:unsignedInt``."""
    stripped = text.strip(_XML_WHITESPACE).removeprefix("+")
    if not (stripped.isascii() and stripped.isdigit()):
        raise ValueError(f"{text!r} is not an unsigned integer")
    return int(stripped)
