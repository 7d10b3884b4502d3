"""What a VTN keeps: plain frozen records, the same for every store implementation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ...model import OadrReport, OadrReportRequest, OptType, ResponseCode

__all__ = [
    "EventResponseRecord",
    "EventResponseSource",
    "MessageKind",
    "QueuedMessage",
    "ReportRequestRecord",
    "ReportRequestState",
    "StoredReport",
    "VenRecord",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class VenRecord:
    """A VEN the VTN knows: provisioned by an operator, registered, or both.

    Attributes:
        ven_id: the VEN's ID (case-sensitive).
        registration_id: the current registration, or None while the VEN is not registered.
        fingerprint: the 2.0b fingerprint of the client certificate the venID is bound to.
        transport_address: where to push messages (push VENs only).
        http_pull_model: True for a VEN that polls, False for one the VTN pushes to.
        cancel_requested: the VTN asked to end the registration and waits for the VEN's answer.
        group_ids: the groups the VEN belongs to, for event targeting.
        resource_ids: the VEN's resources, for event targeting.
        market_contexts: the market contexts the VEN takes part in, for event targeting; empty
            means every market context.
    """

    ven_id: str
    registration_id: str | None = None
    ven_name: str | None = None
    fingerprint: str | None = None
    profile_name: str = "2.0b"
    transport_name: str = "simpleHttp"
    transport_address: str | None = None
    http_pull_model: bool = True
    xml_signature: bool = False
    report_only: bool = False
    registered_at: datetime | None = None
    cancel_requested: bool = False
    group_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    market_contexts: tuple[str, ...] = ()

    @property
    def registered(self) -> bool:
        """Whether the VEN holds a registration."""
        return self.registration_id is not None

    @property
    def push(self) -> bool:
        """Whether VTN-initiated messages are pushed to the VEN instead of waiting for its poll."""
        return not self.http_pull_model


class EventResponseSource(StrEnum):
    """Where a VEN's opt state for an event came from."""

    CREATED_EVENT = "oadrCreatedEvent"
    """An eventResponse in oadrCreatedEvent."""
    CREATE_OPT = "oadrCreateOpt"
    """An oadrCreateOpt naming the event; it overrides later oadrCreatedEvent answers (rule 206)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventResponseRecord:
    """A VEN's latest answer to one event."""

    ven_id: str
    event_id: str
    modification_number: int
    opt_type: OptType
    response_code: ResponseCode
    source: EventResponseSource
    received_at: datetime
    opt_id: str | None = None


class MessageKind(StrEnum):
    """What a queued message holds."""

    PAYLOAD = "payload"
    """A serialized, unsigned message, sent as it is (signed on the way out if negotiated)."""
    DISTRIBUTE_EVENTS = "distribute_events"
    """A note that the VEN's events changed: the oadrDistributeEvent is built when it is sent, so
    that it carries every current event with its status at that moment."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedMessage:
    """A VTN-initiated message waiting for a VEN's poll, or for a push attempt.

    Attributes:
        id: the queue position: lower IDs go first.
        body: the serialized message for :attr:`MessageKind.PAYLOAD`, None otherwise.
        attempts: push attempts made so far.
        next_attempt_at: the earliest time of the next push attempt (None: at once).
    """

    id: int
    ven_id: str
    kind: MessageKind
    body: bytes | None
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None


class ReportRequestState(StrEnum):
    """Where a report request of the VTN stands (the table is in
    :mod:`openadr_accel.vtn.report_requests`). Data is taken in the open states (requested,
    created, cancel_requested, final_update_due) and refused 452 in the others (rule 304)."""

    REQUESTED = "requested"
    """Sent (or queued); the VEN has not confirmed it yet."""
    CREATED = "created"
    """The VEN confirmed it (oadrCreatedReport) or already delivered data."""
    CANCEL_REQUESTED = "cancel_requested"
    """The VTN asked to cancel and waits for the VEN's oadrCanceledReport; updates that cross the
    cancellation are ordinary data."""
    FINAL_UPDATE_DUE = "final_update_due"
    """The VEN confirmed a cancellation with reportToFollow: the next update is the final one,
    and ends the request."""
    COMPLETED = "completed"
    """Done: a one-shot report arrived, or the report interval ended."""
    CANCELLED = "cancelled"
    """Cancelled (by the VTN, or because the registration ended), and no more data is expected."""
    REFUSED = "refused"
    """The VEN refused it: its oadrCreatedReport answering the message that carried the request
    had an error responseCode (452 for an rID or reportSpecifierID it does not have, ...). No
    data is expected."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRequestRecord:
    """A report the VTN asked a VEN for."""

    ven_id: str
    request: OadrReportRequest
    state: ReportRequestState
    created_at: datetime
    report_to_follow: bool = False
    """With :attr:`ReportRequestState.CANCEL_REQUESTED`: the cancellation asks for one final update
    (reportToFollow), due once the VEN confirms the cancellation."""
    piggyback_cancel: bool = False
    """With :attr:`ReportRequestState.CANCEL_REQUESTED`: the cancellation has not been sent yet; it
    rides on the oadrUpdatedReport that answers the next update of this request."""
    create_request_id: str | None = None
    """The requestID of the message that carried the request: the VTN's oadrCreateReport, or the
    VEN's oadrRegisterReport whose oadrRegisteredReport carried it. The VEN's oadrCreatedReport
    echoes it, which tells what that answer is about (None: not known, for requests kept by an
    older version)."""
    cancel_request_id: str | None = None
    """The requestID of the oadrCancelReport that cancels the request, once built (queued, or
    riding on an oadrUpdatedReport); the VEN's oadrCanceledReport echoes it."""

    @property
    def report_request_id(self) -> str:
        """The request's reportRequestID."""
        return self.request.report_request_id

    @property
    def one_shot(self) -> bool:
        """A granularity and reportBackDuration of zero ask for one report only."""
        specifier = self.request.report_specifier
        return not specifier.granularity and not specifier.report_back_duration


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredReport:
    """Report data a VEN delivered, as it came (one ``oadrReport`` of an oadrUpdateReport)."""

    id: int
    ven_id: str
    report: OadrReport
    received_at: datetime
