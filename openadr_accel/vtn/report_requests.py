"""The lifecycle of a report the VTN asked a VEN for, as a table.

::

    state             trigger                     next state
    ----------------  --------------------------  ----------------
    requested         confirmed                   created           the VEN's oadrCreatedReport accepts it
    created           confirmed                   created
    cancel_requested  confirmed                   cancel_requested  (a late confirmation)
    final_update_due  confirmed                   final_update_due  (a late confirmation)
    requested         refused                     refused           the VEN's oadrCreatedReport refuses it
    cancel_requested  refused                     refused           (refused while the VTN was cancelling)
    requested         data                        created           an update arrived
    created           data                        created
    cancel_requested  data                        cancel_requested  sent before the VEN saw the cancel
    requested         last_data                   completed         one-shot, or the report interval ended
    created           last_data                   completed
    cancel_requested  last_data                   cancelled         (it ended by itself while cancelled)
    final_update_due  last_data                   cancelled         the final update after reportToFollow
    requested         cancel                      cancel_requested  the VTN cancels
    created           cancel                      cancel_requested
    cancel_requested  cancel_confirmed            cancelled         the VEN's oadrCanceledReport
    cancel_requested  cancel_confirmed_to_follow  final_update_due  the same, for a reportToFollow cancel
    (any open state)  registration_ended          cancelled

The open states (:data:`OPEN_STATES`: requested, created, cancel_requested, final_update_due)
take data; a pair not in the table is not allowed: data for a completed, cancelled or refused
request is answered 452 (rule 304: it is not outstanding), cancelling it again is a
:class:`~openadr_accel.errors.LocalProtocolError`.

How the VEN's answers are read (:mod:`openadr_accel.vtn.reports`):

- **oadrCreatedReport.** Its eiResponse's requestID echoes the message that carried the requests
  (the VTN's oadrCreateReport, or the VEN's oadrRegisterReport whose oadrRegisteredReport carried
  them; :attr:`~.store.ReportRequestRecord.create_request_id`). An error responseCode (452 for
  an rID or reportSpecifierID the VEN does not have, ...) refuses *every* request of that
  message, even one the answer lists as pending: the responseCode answers the whole message (a
  VEN that takes some requests answers 200), and some VENs list a message's requests as pending
  when they refuse it (OpenLEADR does). We chose a state ``refused`` over ``cancelled`` so that
  the operator sees who ended the request. A 200 accepts every request of the message,
  including one its pendingReports omits: the 2.0b schema defines oadrPendingReports as the
  "periodic reports that have not yet been delivered", so a one-shot request is rightly absent,
  and an absence is no refusal; an accepted request ends as usual (its data, its interval, a
  cancellation, the registration's end). The pendingReports of either answer confirm the VEN's
  other requests it lists (those it holds from earlier messages).
- **oadrCanceledReport.** Its requestID echoes the oadrCancelReport (queued, or riding on an
  oadrUpdatedReport; :attr:`~.store.ReportRequestRecord.cancel_request_id`): the requests that
  cancellation named are confirmed; when it names none the VTN knows, every request of the VEN
  whose cancellation was sent is. A cancellation with reportToFollow moves to
  ``final_update_due`` whether or not the answer still lists the request as pending (the final
  update is pending); one without stays ``cancel_requested`` while the answer lists it.
- **Updates.** An update in ``cancel_requested`` crossed the cancellation (sent before the VEN
  saw it, or the one whose oadrUpdatedReport carries a piggy-backed cancellation): ordinary data.
  Only in ``final_update_due`` (the VEN acknowledged the cancellation) is the next update the
  final one. A VEN that never sends it leaves the request ``final_update_due`` (open) until its
  registration ends.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from .store import ReportRequestRecord, ReportRequestState

__all__ = ["OPEN_STATES", "TRANSITIONS", "Trigger", "canceled_trigger", "data_trigger", "next_state"]

_REQUESTED = ReportRequestState.REQUESTED
_CREATED = ReportRequestState.CREATED
_CANCEL_REQUESTED = ReportRequestState.CANCEL_REQUESTED
_FINAL_UPDATE_DUE = ReportRequestState.FINAL_UPDATE_DUE
_COMPLETED = ReportRequestState.COMPLETED
_CANCELLED = ReportRequestState.CANCELLED
_REFUSED = ReportRequestState.REFUSED


class Trigger(StrEnum):
    """What happened to a report request."""

    CONFIRMED = "confirmed"
    """An oadrCreatedReport accepted it (200) or lists it as pending."""
    REFUSED = "refused"
    """An oadrCreatedReport with an error responseCode answered the message that carried it."""
    DATA = "data"
    """An update for it arrived, not its last one."""
    LAST_DATA = "last_data"
    """Its last update arrived (see :func:`data_trigger`)."""
    CANCEL = "cancel"
    """The VTN's operator cancels it."""
    CANCEL_CONFIRMED = "cancel_confirmed"
    """The VEN's oadrCanceledReport confirmed a cancellation without reportToFollow."""
    CANCEL_CONFIRMED_TO_FOLLOW = "cancel_confirmed_to_follow"
    """The VEN's oadrCanceledReport confirmed a cancellation with reportToFollow."""
    REGISTRATION_ENDED = "registration_ended"
    """The VEN's registration was cancelled or replaced."""


TRANSITIONS: dict[tuple[ReportRequestState, Trigger], ReportRequestState] = {
    (_REQUESTED, Trigger.CONFIRMED): _CREATED,
    (_CREATED, Trigger.CONFIRMED): _CREATED,
    (_CANCEL_REQUESTED, Trigger.CONFIRMED): _CANCEL_REQUESTED,
    (_FINAL_UPDATE_DUE, Trigger.CONFIRMED): _FINAL_UPDATE_DUE,
    (_REQUESTED, Trigger.REFUSED): _REFUSED,
    (_CANCEL_REQUESTED, Trigger.REFUSED): _REFUSED,
    (_REQUESTED, Trigger.DATA): _CREATED,
    (_CREATED, Trigger.DATA): _CREATED,
    (_CANCEL_REQUESTED, Trigger.DATA): _CANCEL_REQUESTED,
    (_REQUESTED, Trigger.LAST_DATA): _COMPLETED,
    (_CREATED, Trigger.LAST_DATA): _COMPLETED,
    (_CANCEL_REQUESTED, Trigger.LAST_DATA): _CANCELLED,
    (_FINAL_UPDATE_DUE, Trigger.LAST_DATA): _CANCELLED,
    (_REQUESTED, Trigger.CANCEL): _CANCEL_REQUESTED,
    (_CREATED, Trigger.CANCEL): _CANCEL_REQUESTED,
    (_CANCEL_REQUESTED, Trigger.CANCEL_CONFIRMED): _CANCELLED,
    (_CANCEL_REQUESTED, Trigger.CANCEL_CONFIRMED_TO_FOLLOW): _FINAL_UPDATE_DUE,
    (_REQUESTED, Trigger.REGISTRATION_ENDED): _CANCELLED,
    (_CREATED, Trigger.REGISTRATION_ENDED): _CANCELLED,
    (_CANCEL_REQUESTED, Trigger.REGISTRATION_ENDED): _CANCELLED,
    (_FINAL_UPDATE_DUE, Trigger.REGISTRATION_ENDED): _CANCELLED,
}
"""The table of the module docstring: (state, trigger) to the next state; a pair not in it is not
allowed."""

OPEN_STATES = (_REQUESTED, _CREATED, _CANCEL_REQUESTED, _FINAL_UPDATE_DUE)
"""States in which data may still arrive (the request is outstanding, rule 304)."""


def next_state(record: ReportRequestRecord, trigger: Trigger) -> ReportRequestState | None:
    """The state after ``trigger``, or None if the table does not allow it."""
    return TRANSITIONS.get((record.state, trigger))


def data_trigger(record: ReportRequestRecord, now: datetime) -> Trigger:
    """Whether an update that arrives now is the request's last one: the final update after a
    confirmed reportToFollow cancellation, the one report of a one-shot request, or one at the
    end of the report interval. An update that crosses a cancellation is not (see the module
    docstring)."""
    if record.state == _FINAL_UPDATE_DUE or record.one_shot:
        return Trigger.LAST_DATA
    interval = record.request.report_specifier.report_interval
    if interval is not None and interval.duration and now >= interval.end:
        return Trigger.LAST_DATA
    return Trigger.DATA


def canceled_trigger(record: ReportRequestRecord) -> Trigger:
    """What the VEN's oadrCanceledReport confirming the request's cancellation is: with
    reportToFollow, the final update becomes due; without, the request ends."""
    return Trigger.CANCEL_CONFIRMED_TO_FOLLOW if record.report_to_follow else Trigger.CANCEL_CONFIRMED
