"""Building a VEN's oadrCreateOpt: an availability schedule, or an opt on one event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ..model import Available, EiTarget, OadrCreateOpt, OptReason, OptType, QualifiedEventID

__all__ = ["Period", "default_reason", "opt_message"]

Period = tuple[datetime, timedelta]
"""One availability period: its start and its duration (zero: open-ended)."""


def default_reason(opt_type: OptType) -> OptReason:
    """``participating`` for an opt in, ``notParticipating`` for an opt out."""
    return OptReason.PARTICIPATING if opt_type == OptType.OPT_IN else OptReason.NOT_PARTICIPATING


def opt_message(
    *,
    opt_id: str,
    request_id: str,
    ven_id: str,
    now: datetime,
    opt_type: OptType,
    reason: OptReason | None,
    schedule: Sequence[Period] = (),
    event: QualifiedEventID | None = None,
    target: EiTarget = EiTarget(),
    market_context: str | None = None,
) -> OadrCreateOpt:
    """An oadrCreateOpt: a schedule (``schedule``, P1_2010) or an opt on one event version
    (``event``, optionally for the resources in ``target``: E1_1060), not both.

    Raises:
        ValueError: both or neither of ``schedule`` and ``event``.
    """
    if bool(schedule) == (event is not None):
        raise ValueError("an opt names either availability periods or one event, not both and not neither")
    return OadrCreateOpt(
        opt_id=opt_id,
        opt_type=opt_type,
        opt_reason=reason or default_reason(opt_type),
        ven_id=ven_id,
        created_date_time=now,
        request_id=request_id,
        target=target,
        market_context=market_context,
        availability=tuple(Available(dtstart=start, duration=length) for start, length in schedule) or None,
        qualified_event_id=event,
    )
