"""EiEvent: demand response events and the answers to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ._validation import require_aware, require_non_empty, require_unsigned
from .common import EiResponse, EiTarget, PayloadBase, PayloadFloat, Properties, QualifiedEventID
from .enums import EventStatus, OptType, ResponseCode, ResponseRequired, SignalName, SignalType
from .units import ItemBase

__all__ = [
    "EiActivePeriod",
    "EiEvent",
    "EiEventBaseline",
    "EiEventSignal",
    "EventDescriptor",
    "EventResponse",
    "OadrCreatedEvent",
    "OadrDistributeEvent",
    "OadrEvent",
    "OadrRequestEvent",
    "SignalInterval",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDescriptor:
    """Identity and state of an event (``ei:eventDescriptor``).

    Attributes:
        priority: lower numbers are higher priorities; 0 (or absent) means no priority, the lowest.
        test_event: the raw ``testEvent`` text; anything other than ``"false"`` marks a test event
            (rule 6), see :attr:`is_test_event`.
    """

    event_id: str
    modification_number: int
    market_context: str
    created_date_time: datetime
    event_status: EventStatus
    modification_date_time: datetime | None = None
    modification_reason: str | None = None
    priority: int | None = None
    test_event: str | None = None
    vtn_comment: str | None = None

    def __post_init__(self) -> None:
        require_unsigned(self.modification_number, "modification_number")
        require_unsigned(self.priority, "priority")
        require_aware(self.created_date_time, "created_date_time")
        require_aware(self.modification_date_time, "modification_date_time")

    @property
    def qualified_event_id(self) -> QualifiedEventID:
        """The (eventID, modificationNumber) pair that names this version of the event."""
        return QualifiedEventID(event_id=self.event_id, modification_number=self.modification_number)

    @property
    def is_test_event(self) -> bool:
        """Rule 6: a ``testEvent`` other than ``false`` marks a test event."""
        return self.test_event is not None and self.test_event.strip() != "false"


@dataclass(frozen=True, slots=True, kw_only=True)
class EiActivePeriod(Properties):
    """When an event is active (``ei:eiActivePeriod``); see :class:`Properties` for the fields."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalInterval:
    """One interval of a signal or baseline (``ei:interval`` carrying ``ei:signalPayload``).

    Event intervals are consecutive: each starts where the previous one ended, so ``dtstart`` is
    normally absent. ``uid`` numbers the intervals 0, 1, 2, ... (rule 2).
    """

    payloads: tuple[PayloadBase, ...]
    duration: timedelta | None = None
    uid: str | None = None
    dtstart: datetime | None = None

    def __post_init__(self) -> None:
        # Written out (not via the shared helpers): this runs once per interval on every decode.
        if not self.payloads:
            raise ValueError("payloads needs at least one item")
        if self.dtstart is not None:
            require_aware(self.dtstart, "dtstart")

    @property
    def value(self) -> Decimal | None:
        """The value of the first ``payloadFloat``, if any: the usual single signal level."""
        for payload in self.payloads:
            if isinstance(payload, PayloadFloat):
                return payload.value
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class EiEventSignal:
    """One signal of an event (``ei:eiEventSignal``)."""

    intervals: tuple[SignalInterval, ...]
    signal_name: SignalName
    signal_type: SignalType
    signal_id: str
    target: EiTarget | None = None
    item_base: ItemBase | None = None
    current_value: Decimal | None = None

    def __post_init__(self) -> None:
        require_non_empty(self.intervals, "intervals")


@dataclass(frozen=True, slots=True, kw_only=True)
class EiEventBaseline:
    """The expected load without the event (``ei:eiEventBaseline``)."""

    dtstart: datetime
    duration: timedelta
    intervals: tuple[SignalInterval, ...]
    baseline_id: str
    baseline_name: str
    resource_ids: tuple[str, ...] = ()
    item_base: ItemBase | None = None

    def __post_init__(self) -> None:
        require_aware(self.dtstart, "dtstart")
        require_non_empty(self.intervals, "intervals")


@dataclass(frozen=True, slots=True, kw_only=True)
class EiEvent:
    """A demand response event (``ei:eiEvent``)."""

    event_descriptor: EventDescriptor
    active_period: EiActivePeriod
    signals: tuple[EiEventSignal, ...]
    target: EiTarget = EiTarget()
    baseline: EiEventBaseline | None = None

    def __post_init__(self) -> None:
        require_non_empty(self.signals, "signals")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrEvent:
    """An event as distributed to a VEN (``oadr:oadrEvent``), with its response policy."""

    ei_event: EiEvent
    response_required: ResponseRequired = ResponseRequired.ALWAYS

    @property
    def qualified_event_id(self) -> QualifiedEventID:
        """Shortcut to the event's (eventID, modificationNumber)."""
        return self.ei_event.event_descriptor.qualified_event_id


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrDistributeEvent:
    """VTN to VEN: all of the VEN's current events (``oadr:oadrDistributeEvent``)."""

    request_id: str
    vtn_id: str
    events: tuple[OadrEvent, ...] = ()
    ei_response: EiResponse | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventResponse:
    """A VEN's answer to one event (``ei:eventResponse``): opt in or out, or an error code."""

    response_code: ResponseCode
    request_id: str
    qualified_event_id: QualifiedEventID
    opt_type: OptType
    response_description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCreatedEvent:
    """VEN to VTN: answers to distributed events (``oadr:oadrCreatedEvent``)."""

    ei_response: EiResponse
    ven_id: str
    event_responses: tuple[EventResponse, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrRequestEvent:
    """VEN to VTN: ask for all current events (``oadr:oadrRequestEvent``)."""

    request_id: str
    ven_id: str
    reply_limit: int | None = None

    def __post_init__(self) -> None:
        require_unsigned(self.reply_limit, "reply_limit")
