"""How a VEN reads an oadrDistributeEvent against the events it already knows (no I/O).

An oadrDistributeEvent carries all of the VEN's current events each time, not a delta. Each
event of a new distribution is one of::

    condition                                              change                    code
    -----------------------------------------------------  ------------------------  ----
    unknown, and cancelled                                 IGNORED_UNKNOWN_CANCELLED 200  (rule 21)
    unknown, targeted at other VENs only                   REFUSED_TARGET            462
    unknown, of a market context the VEN is not enrolled   REFUSED_MARKET_CONTEXT    453
    unknown, with a signal the VEN does not support        REFUSED_SIGNAL            460
    unknown                                                NEW                       200
    known, lower modificationNumber                        IGNORED_STALE             452  (known one stays)
    known, same modificationNumber                         UNCHANGED                 200  (answered before)
    known, higher modificationNumber, cancelled            CANCELLED                 200
    known, higher, refused as an unknown one would be      REFUSED_...               4xx
    known, higher modificationNumber                       MODIFIED                  200

and every known event missing from the distribution is IMPLICITLY_CANCELLED. A distribution from
another vtnID (IDs are case-sensitive) changes nothing and is answered 452 as a whole.

"Targeted at other VENs only": the eiTarget names venIDs, not this VEN's, and nothing else (no
group, resource or party the VEN could belong to). "Not enrolled": the VEN was given the market
contexts it takes part in (``VenConfig.market_contexts``) and the event's is not one of them.

A VEN answers (oadrCreatedEvent) the events whose :attr:`EventUpdate.needs_response` is set: a
new version (NEW, MODIFIED, CANCELLED, and an unknown event already cancelled) with
oadrResponseRequired ``always``, and every refusal (452, 453, 460, 462) whatever
oadrResponseRequired says. A refused version is remembered, so it is refused once, not at every
distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..errors import LocalProtocolError
from ..model import (
    EiEventSignal,
    EiResponse,
    EventResponse,
    EventStatus,
    OadrCreatedEvent,
    OadrDistributeEvent,
    OadrEvent,
    OptType,
    ResponseCode,
    ResponseRequired,
)

__all__ = ["REFUSALS", "Change", "DistributionReading", "EventUpdate", "created_event", "read_distribution"]

SignalFilter = Callable[[EiEventSignal], bool]
"""Whether the VEN supports a signal (name, type, units)."""


class Change(StrEnum):
    """What a distribution says about one event, for this VEN."""

    NEW = "new"
    MODIFIED = "modified"
    CANCELLED = "cancelled"
    IMPLICITLY_CANCELLED = "implicitly_cancelled"
    """A known event the distribution no longer carries."""
    UNCHANGED = "unchanged"
    IGNORED_STALE = "ignored_stale"
    """A lower modificationNumber than the known one: the known version stays."""
    IGNORED_UNKNOWN_CANCELLED = "ignored_unknown_cancelled"
    """An event the VEN never knew, already cancelled: nothing to do, and not an error (rule 21)."""
    REFUSED_SIGNAL = "refused_signal"
    """The event has a signal the VEN does not support (460)."""
    REFUSED_TARGET = "refused_target"
    """The event is targeted at other VENs only (462)."""
    REFUSED_MARKET_CONTEXT = "refused_market_context"
    """The event belongs to a market context the VEN is not enrolled in (453)."""


REFUSALS = frozenset({Change.REFUSED_SIGNAL, Change.REFUSED_TARGET, Change.REFUSED_MARKET_CONTEXT})
"""The changes by which a VEN refuses an event version (answered with an error, never executed)."""

_ANSWERED_CHANGES = frozenset(
    {Change.NEW, Change.MODIFIED, Change.CANCELLED, Change.IGNORED_UNKNOWN_CANCELLED}
)
_REMEMBERED_CHANGES = frozenset({Change.NEW, Change.MODIFIED, Change.CANCELLED}) | REFUSALS
"""A refused version is remembered too, so that it is refused only once."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventUpdate:
    """One event's change.

    Attributes:
        event: the event as distributed now (None when it vanished from the distribution).
        previous: the version the VEN knew before, if any.
        response_code: what to answer about it (200, 452 or 460).
        needs_response: whether the VEN's oadrCreatedEvent must carry an eventResponse for it.
    """

    event_id: str
    change: Change
    event: OadrEvent | None
    previous: OadrEvent | None
    response_code: ResponseCode
    needs_response: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionReading:
    """What a distribution means for a VEN: accepted (with per-event updates) or refused whole."""

    response_code: ResponseCode
    description: str | None
    updates: tuple[EventUpdate, ...]

    @property
    def accepted(self) -> bool:
        """False when the distribution as a whole is refused (another vtnID)."""
        return self.response_code == ResponseCode.OK

    def known_after(self, known: Mapping[str, OadrEvent]) -> dict[str, OadrEvent]:
        """The events the VEN knows once this distribution is applied (ended ones included until
        the VEN forgets them; cancelled ones included with their cancelled status)."""
        if not self.accepted:
            return dict(known)
        result = dict(known)
        for update in self.updates:
            if update.change == Change.IMPLICITLY_CANCELLED:
                result.pop(update.event_id, None)
            elif update.change in _REMEMBERED_CHANGES and update.event is not None:
                result[update.event_id] = update.event
        return result


def read_distribution(
    known: Mapping[str, OadrEvent],
    message: OadrDistributeEvent,
    *,
    vtn_id: str,
    supports: SignalFilter = lambda signal: True,
    ven_id: str | None = None,
    market_contexts: frozenset[str] = frozenset(),
) -> DistributionReading:
    """Compare ``message`` with the events the VEN knows, by eventID (see the module docstring).

    Args:
        supports: which signals the VEN supports.
        ven_id: this VEN's venID (None: targets are not checked).
        market_contexts: the market contexts the VEN is enrolled in (empty: any).
    """
    if message.vtn_id != vtn_id:
        return DistributionReading(
            response_code=ResponseCode.INVALID_ID,
            description=f"vtnID {message.vtn_id!r} is not this VEN's VTN ({vtn_id!r}; case-sensitive)",
            updates=(),
        )

    def refusal(event: OadrEvent) -> Change | None:
        if not all(supports(signal) for signal in event.ei_event.signals):
            return Change.REFUSED_SIGNAL
        if ven_id is not None and _for_other_vens_only(event, ven_id):
            return Change.REFUSED_TARGET
        if market_contexts and event.ei_event.event_descriptor.market_context not in market_contexts:
            return Change.REFUSED_MARKET_CONTEXT
        return None

    updates = [_update(known.get(_id_of(event)), event, refusal) for event in message.events]
    present = {_id_of(event) for event in message.events}
    updates.extend(
        EventUpdate(
            event_id=event_id,
            change=Change.IMPLICITLY_CANCELLED,
            event=None,
            previous=previous,
            response_code=ResponseCode.OK,
            needs_response=False,
        )
        for event_id, previous in known.items()
        if event_id not in present
    )
    return DistributionReading(response_code=ResponseCode.OK, description=None, updates=tuple(updates))


def created_event(
    reading: DistributionReading,
    message: OadrDistributeEvent,
    *,
    ven_id: str,
    opt: Mapping[str, OptType],
) -> OadrCreatedEvent | None:
    """The oadrCreatedEvent answering ``message``, or None when nothing needs an answer.

    Args:
        reading: :func:`read_distribution` of ``message``.
        opt: the VEN's decision for each event it accepts and must answer (NEW, MODIFIED,
            CANCELLED); refused events are answered optOut with their error code.

    A distribution refused whole (another vtnID) is answered with its code and no eventResponses.

    Raises:
        LocalProtocolError: ``opt`` lacks a decision for an event that must be answered.
    """
    if not reading.accepted:
        return OadrCreatedEvent(
            ei_response=EiResponse(
                response_code=reading.response_code,
                request_id=message.request_id,
                response_description=reading.description,
            ),
            ven_id=ven_id,
        )
    responses = []
    for update in reading.updates:
        if not update.needs_response or update.event is None:
            continue
        if update.response_code == ResponseCode.OK:
            if update.event_id not in opt:
                raise LocalProtocolError(f"no opt decision for event {update.event_id!r}")
            opt_type = opt[update.event_id]
        else:
            opt_type = OptType.OPT_OUT
        responses.append(
            EventResponse(
                response_code=update.response_code,
                request_id=message.request_id,
                qualified_event_id=update.event.qualified_event_id,
                opt_type=opt_type,
            )
        )
    if not responses:
        return None
    return OadrCreatedEvent(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
        ven_id=ven_id,
        event_responses=tuple(responses),
    )


def _id_of(event: OadrEvent) -> str:
    return event.ei_event.event_descriptor.event_id


def _for_other_vens_only(event: OadrEvent, ven_id: str) -> bool:
    """Whether the event's eiTarget names venIDs, not ``ven_id``, and nothing else."""
    target = event.ei_event.target
    if not target.ven_ids or ven_id in target.ven_ids:
        return False
    others = (getattr(target, name) for name in type(target).__dataclass_fields__ if name != "ven_ids")
    return not any(others)


def _update(
    previous: OadrEvent | None, event: OadrEvent, refusal: Callable[[OadrEvent], Change | None]
) -> EventUpdate:
    descriptor = event.ei_event.event_descriptor
    cancelled = descriptor.event_status == EventStatus.CANCELLED
    if previous is None:
        change = Change.IGNORED_UNKNOWN_CANCELLED if cancelled else Change.NEW
    else:
        known_number = previous.ei_event.event_descriptor.modification_number
        if descriptor.modification_number < known_number:
            change = Change.IGNORED_STALE
        elif descriptor.modification_number == known_number:
            change = Change.UNCHANGED
        else:
            change = Change.CANCELLED if cancelled else Change.MODIFIED
    if change in (Change.NEW, Change.MODIFIED):
        change = refusal(event) or change
    code = _CODES.get(change, ResponseCode.OK)
    if change in REFUSALS or change == Change.IGNORED_STALE:
        respond = True  # errors are answered whatever oadrResponseRequired says
    elif change in _ANSWERED_CHANGES:
        respond = event.response_required == ResponseRequired.ALWAYS
    else:
        respond = False
    return EventUpdate(
        event_id=descriptor.event_id,
        change=change,
        event=event,
        previous=previous,
        response_code=code,
        needs_response=respond,
    )


_CODES = {
    Change.REFUSED_SIGNAL: ResponseCode.SIGNAL_NOT_SUPPORTED,
    Change.REFUSED_TARGET: ResponseCode.TARGET_MISMATCH,
    Change.REFUSED_MARKET_CONTEXT: ResponseCode.NOT_RECOGNIZED,
    Change.IGNORED_STALE: ResponseCode.INVALID_ID,
}
