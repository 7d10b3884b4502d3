"""Building blocks shared by several services: responses, targets, calendar properties, payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ._validation import require_aware, require_unsigned
from .enums import ResponseCode

__all__ = [
    "EiResponse",
    "EiTarget",
    "FeatureCollection",
    "LoadControlValues",
    "OadrLoadControlState",
    "OadrPayloadResourceStatus",
    "OadrResponse",
    "PayloadBase",
    "PayloadFloat",
    "Properties",
    "QualifiedEventID",
    "TransportInterface",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class EiResponse:
    """Outcome of a request (``ei:eiResponse``), echoing the request's ``requestID``."""

    response_code: ResponseCode
    request_id: str
    response_description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrResponse:
    """Generic acknowledgement (``oadr:oadrResponse``); also the answer to an empty poll."""

    ei_response: EiResponse
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QualifiedEventID:
    """An event ID together with its modification number (``ei:qualifiedEventID``)."""

    event_id: str
    modification_number: int

    def __post_init__(self) -> None:
        require_unsigned(self.modification_number, "modification_number")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureCollection:
    """A polygon (``gml:FeatureCollection``) locating a service area or service location.

    ``positions`` is the polygon's exterior ring as a flat list of coordinates (``gml:posList``).
    ``id`` and ``polygon_id`` are ``gml:id`` attributes: XML IDs, unique within a document.
    """

    positions: tuple[float, ...]
    id: str | None = None
    polygon_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportInterface:
    """A point of receipt and a point of delivery (``power:transportInterface``)."""

    point_of_receipt: str
    point_of_delivery: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EiTarget:
    """Who or what something applies to (``ei:eiTarget``); every kind of target may repeat.

    An empty target (the default) targets everything the receiving party controls.
    """

    aggregated_pnodes: tuple[str, ...] = ()
    end_device_assets: tuple[str, ...] = ()
    """mRIDs of end devices (``power:endDeviceAsset/power:mrid``)."""
    meter_assets: tuple[str, ...] = ()
    """mRIDs of meters (``power:meterAsset/power:mrid``)."""
    pnodes: tuple[str, ...] = ()
    service_areas: tuple[FeatureCollection, ...] = ()
    service_delivery_points: tuple[str, ...] = ()
    service_locations: tuple[FeatureCollection, ...] = ()
    transport_interfaces: tuple[TransportInterface, ...] = ()
    group_ids: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    ven_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no target of any kind is named."""
        return self == _EMPTY_TARGET


_EMPTY_TARGET = EiTarget()


@dataclass(frozen=True, slots=True, kw_only=True)
class Properties:
    """Calendar properties of a time span (``xcal:properties``).

    Attributes:
        dtstart: start of the span.
        duration: length of the span; zero means open-ended where the context allows it.
        start_after: randomization window (``tolerance/tolerate/startafter``): the start may be
            delayed by a random amount up to this duration.
        notification: ``x-eiNotification``: deliver the payload at least this long before start.
        ramp_up: ``x-eiRampUp``: transition time before the start.
        recovery: ``x-eiRecovery``: transition time after the end.
    """

    dtstart: datetime
    duration: timedelta
    start_after: timedelta | None = None
    notification: timedelta | None = None
    ramp_up: timedelta | None = None
    recovery: timedelta | None = None

    def __post_init__(self) -> None:
        require_aware(self.dtstart, "dtstart")

    @property
    def end(self) -> datetime:
        """Start plus duration (equal to the start for an open-ended span)."""
        return self.dtstart + self.duration


@dataclass(frozen=True, slots=True, kw_only=True)
class PayloadFloat:
    """A number carried by a signal, baseline or report (``ei:payloadFloat``)."""

    value: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadControlValues:
    """One load control quantity (``oadr:oadrLoadControlStateTypeType``)."""

    current: Decimal
    min: Decimal | None = None
    max: Decimal | None = None
    normal: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrLoadControlState:
    """State of a load controller, by kind of control (``oadr:oadrLoadControlState``)."""

    capacity: LoadControlValues | None = None
    level_offset: LoadControlValues | None = None
    percent_offset: LoadControlValues | None = None
    set_point: LoadControlValues | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrPayloadResourceStatus:
    """Status of a resource, for TELEMETRY_STATUS reports (``oadr:oadrPayloadResourceStatus``)."""

    online: bool
    manual_override: bool
    load_control_state: OadrLoadControlState | None = None


PayloadBase = PayloadFloat | OadrPayloadResourceStatus
"""Anything the schema admits in place of ``ei:payloadBase``."""
