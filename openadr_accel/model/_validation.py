"""Checks shared by the model's constructors (plain ``ValueError``: the model imports nothing of ours)."""

from __future__ import annotations

import re
from datetime import datetime

_XML_WHITESPACE_RUN = re.compile(r"[ \t\r\n]+")


def collapse_whitespace(text: str) -> str:
    """The ``xs:token`` whitespace collapse: trim, single inner spaces.

    Only XML's whitespace (space, tab, CR, LF) counts, not Unicode's: a no-break space is data.
    """
    if " " not in text and "\t" not in text and "\r" not in text and "\n" not in text:
        return text  # the usual case
    return _XML_WHITESPACE_RUN.sub(" ", text).strip(" ")


def require_aware(value: datetime | None, name: str) -> None:
    """Refuse a naive datetime: every instant in OpenADR is absolute."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got the naive datetime {value.isoformat()}")


def require_non_empty(value: tuple[object, ...], name: str) -> None:
    """Refuse an empty tuple where the schema requires at least one item."""
    if not value:
        raise ValueError(f"{name} needs at least one item")


def require_unsigned(value: int | None, name: str) -> None:
    """Refuse a negative or too large value for an ``xs:unsignedInt``."""
    if value is not None and not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{name} must be an unsigned 32-bit integer, got {value}")
