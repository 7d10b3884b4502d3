"""The lifecycle of a report the VTN asked a VEN for, as a table.

::

    state             trigger            next state
    ----------------  -----------------  ----------------
    requested         confirmed          created           the VEN's oadrCreatedReport lists it
    created           confirmed          created
    cancel_requested  confirmed          cancel_requested  (a late confirmation)
    requested         data               created           an update arrived
    created           data               created
    cancel_requested  data               cancel_requested  sent before the VEN saw the cancel
    requested         last_data          completed         one-shot, or the report interval ended
    created           last_data          completed
    cancel_requested  last_data          cancelled         the final update after reportToFollow
    requested         cancel             cancel_requested  the VTN cancels
    created           cancel             cancel_requested
    cancel_requested  cancel_confirmed   cancelled         the VEN's oadrCanceledReport
    (any but done)    registration_ended cancelled

A pair not in the table is not allowed: data for a completed or cancelled request is answered 452
(rule 304), cancelling it again is a :class:`~openadr_accel.errors.LocalProtocolError`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from .store import ReportRequestRecord, ReportRequestState

__all__ = ["OPEN_STATES", "TRANSITIONS", "Trigger", "data_trigger", "next_state"]

_REQUESTED = ReportRequestState.REQUESTED
_CREATED = ReportRequestState.CREATED
_CANCEL_REQUESTED = ReportRequestState.CANCEL_REQUESTED
_COMPLETED = ReportRequestState.COMPLETED
_CANCELLED = ReportRequestState.CANCELLED


class Trigger(StrEnum):
    """What happened to a report request."""

    CONFIRMED = "confirmed"
    DATA = "data"
    LAST_DATA = "last_data"
    CANCEL = "cancel"
    CANCEL_CONFIRMED = "cancel_confirmed"
    REGISTRATION_ENDED = "registration_ended"


TRANSITIONS: dict[tuple[ReportRequestState, Trigger], ReportRequestState] = {
    (_REQUESTED, Trigger.CONFIRMED): _CREATED,
    (_CREATED, Trigger.CONFIRMED): _CREATED,
    (_CANCEL_REQUESTED, Trigger.CONFIRMED): _CANCEL_REQUESTED,
    (_REQUESTED, Trigger.DATA): _CREATED,
    (_CREATED, Trigger.DATA): _CREATED,
    (_CANCEL_REQUESTED, Trigger.DATA): _CANCEL_REQUESTED,
    (_REQUESTED, Trigger.LAST_DATA): _COMPLETED,
    (_CREATED, Trigger.LAST_DATA): _COMPLETED,
    (_CANCEL_REQUESTED, Trigger.LAST_DATA): _CANCELLED,
    (_REQUESTED, Trigger.CANCEL): _CANCEL_REQUESTED,
    (_CREATED, Trigger.CANCEL): _CANCEL_REQUESTED,
    (_CANCEL_REQUESTED, Trigger.CANCEL_CONFIRMED): _CANCELLED,
    (_REQUESTED, Trigger.REGISTRATION_ENDED): _CANCELLED,
    (_CREATED, Trigger.REGISTRATION_ENDED): _CANCELLED,
    (_CANCEL_REQUESTED, Trigger.REGISTRATION_ENDED): _CANCELLED,
}

OPEN_STATES = (_REQUESTED, _CREATED, _CANCEL_REQUESTED)
"""States in which data may still arrive."""


def next_state(record: ReportRequestRecord, trigger: Trigger) -> ReportRequestState | None:
    """The state after ``trigger``, or None if the table does not allow it."""
    return TRANSITIONS.get((record.state, trigger))


def data_trigger(record: ReportRequestRecord, now: datetime) -> Trigger:
    """Whether an update that arrives now is the request's last one."""
    if record.one_shot:
        return Trigger.LAST_DATA
    if record.state == _CANCEL_REQUESTED and record.report_to_follow:
        return Trigger.LAST_DATA
    interval = record.request.report_specifier.report_interval
    if interval is not None and interval.duration and now >= interval.end:
        return Trigger.LAST_DATA
    return Trigger.DATA
