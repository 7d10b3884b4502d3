"""Fails early, with the install command, when the ``evse`` extra is not installed."""

from __future__ import annotations

import importlib.util

__all__: list[str] = []

_missing = [name for name in ("ocpp", "websockets") if importlib.util.find_spec(name) is None]
if _missing:
    raise ImportError(
        f"openadr_accel.evse needs {' and '.join(_missing)}, which come with the 'evse' extra: "
        "pip install 'openadr-accel[evse]'"
    )
