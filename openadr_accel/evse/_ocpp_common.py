"""What both OCPP adapters do with the ``ocpp`` library the same way: calls and their errors."""

from __future__ import annotations

from typing import Any

from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError

from openadr_accel.evse._wire import Answer

__all__ = ["WIRE_LOGGER", "profile_call"]

WIRE_LOGGER = "openadr_accel.evse.ocpp"
"""The logger the ``ocpp`` library logs to for our connections (every message, at INFO)."""


def _status_info(info: object) -> str | None:
    if not isinstance(info, dict):
        return None
    parts = [str(info[key]) for key in ("reason_code", "additional_info") if info.get(key)]
    return ": ".join(parts) or None


async def profile_call(peer: Any, payload: Any) -> Answer:
    """Send a SetChargingProfile/ClearChargingProfile and read the answer's status.

    A CallError (or an answer that breaks the schema) becomes an `Answer` whose status starts
    with "CallError"; the library's default of swallowing CallErrors is off.

    Args:
        peer: The ``ocpp`` ChargePoint of the connection.
        payload: The ``call`` dataclass to send.

    Returns:
        The charger's status and statusInfo.

    Raises:
        TimeoutError: no answer within the call timeout.
        websockets.exceptions.ConnectionClosed: the connection is closed.
    """
    try:
        result = await peer.call(payload, suppress=False)
    except OCPPError as exc:
        code = getattr(exc, "code", type(exc).__name__)
        details = exc.details if exc.details else None
        return Answer(
            status=f"CallError {code}: {exc.description}", detail=None if details is None else str(details)
        )
    except UnknownCallErrorCodeError as exc:
        return Answer(status=f"CallError: {exc}")
    return Answer(status=str(result.status), detail=_status_info(getattr(result, "status_info", None)))
