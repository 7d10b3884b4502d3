"""EiOpt: a VEN's temporary opt-in/opt-out schedules and per-event opt-outs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ._validation import require_aware
from .common import EiResponse, EiTarget, Properties, QualifiedEventID
from .enums import OptReason, OptType

__all__ = [
    "Available",
    "OadrCancelOpt",
    "OadrCanceledOpt",
    "OadrCreateOpt",
    "OadrCreatedOpt",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Available(Properties):
    """One period of an opt schedule (``xcal:available``); a zero duration is open-ended."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCreateOpt:
    """VEN to VTN: create or replace an opt schedule, or opt out of one event (``oadr:oadrCreateOpt``).

    Exactly one of the two forms is usual: ``availability`` (a schedule, ``xcal:vavailability``) or
    ``qualified_event_id`` (one event, optionally for the subset of resources in ``target``).
    ``availability`` is ``None`` when the message has no ``vavailability`` at all, and an empty
    tuple when it has one without periods. Reusing an ``opt_id`` replaces the earlier schedule.
    """

    opt_id: str
    opt_type: OptType
    opt_reason: OptReason
    ven_id: str
    created_date_time: datetime
    request_id: str
    target: EiTarget = EiTarget()
    market_context: str | None = None
    availability: tuple[Available, ...] | None = None
    qualified_event_id: QualifiedEventID | None = None
    device_class: EiTarget | None = None

    def __post_init__(self) -> None:
        require_aware(self.created_date_time, "created_date_time")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCreatedOpt:
    """VTN to VEN: acknowledge an opt schedule (``oadr:oadrCreatedOpt``)."""

    ei_response: EiResponse
    opt_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCancelOpt:
    """VEN to VTN: cancel an opt schedule (``oadr:oadrCancelOpt``)."""

    request_id: str
    opt_id: str
    ven_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCanceledOpt:
    """VTN to VEN: acknowledge the cancellation of an opt schedule (``oadr:oadrCanceledOpt``)."""

    ei_response: EiResponse
    opt_id: str | None = None
