"""Fails early, with the install command, when the ``evse`` extra is not installed."""

from __future__ import annotations

__all__: list[str] = []

try:
    import ocpp  # noqa: F401
    import websockets  # noqa: F401
except ImportError as exc:
    raise ImportError(
        f"openadr_accel.evse needs the packages ocpp and websockets ({exc}): "
        "pip install 'openadr-accel[evse]'"
    ) from exc
