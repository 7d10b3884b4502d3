"""The vendor's side of a VTN: typed callbacks told of what VENs do.

Every callback is optional and async, and runs after the change it reports was stored. A
callback that raises an :class:`~openadr_accel.errors.OpenADRError` makes the VTN answer the
request with that error's response code; any other exception is logged with its traceback and
answered with response code 500, never as an HTTP error. Either way the stored change stands:
callbacks are told of what happened, they do not decide it. (A registration policy decides
before anything is stored; ``on_report_capabilities`` decides which reports to request.)

Example::

    async def answered(response: EventResponseRecord, overridden: bool) -> None:
        print(response.ven_id, response.event_id, response.opt_type)

    vtn = VTN(config, store, registration=OpenRegistration(),
              handlers=VtnHandlers(on_event_response=answered))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ..model import OadrCreateOpt, OadrReport, OadrReportRequest
from .store import EventResponseRecord, QueuedMessage, ReportRequestRecord, VenRecord

__all__ = [
    "CapabilitiesHandler",
    "DeliveryFailedHandler",
    "EventResponseHandler",
    "OptCancelledHandler",
    "OptHandler",
    "Peer",
    "RegistrationCancelledHandler",
    "RegistrationHandler",
    "ReportSink",
    "VtnHandlers",
]


@dataclass(frozen=True, slots=True)
class Peer:
    """Who sent a request, as the transport saw it.

    Attributes:
        fingerprint: the 2.0b fingerprint of the TLS client certificate (None without TLS).
        address: the peer's network address, for logs.
    """

    fingerprint: str | None = None
    address: str | None = None


RegistrationHandler = Callable[[VenRecord], Awaitable[None]]
"""Told of every accepted registration or re-registration."""

RegistrationCancelledHandler = Callable[[VenRecord], Awaitable[None]]
"""Told when a registration ended (cancelled by the VEN, or by the VTN and confirmed)."""

EventResponseHandler = Callable[[EventResponseRecord, bool], Awaitable[None]]
"""Told of every eventResponse and every opt naming an event. The flag is True when the answer
was overridden by an earlier oadrCreateOpt for the same event (rule 206) and not stored."""

OptHandler = Callable[[OadrCreateOpt], Awaitable[None]]
"""Told of every stored oadrCreateOpt."""

OptCancelledHandler = Callable[[str, str], Awaitable[None]]
"""Told of every cancelled opt: (venID, optID)."""

CapabilitiesHandler = Callable[[VenRecord, Sequence[OadrReport]], Awaitable[Sequence[OadrReportRequest]]]
"""Told of the METADATA reports a VEN registered; returns report requests to send back at once,
piggy-backed on the oadrRegisteredReport (see :meth:`VtnReports.build_request` to build them)."""

ReportSink = Callable[[VenRecord, OadrReport, ReportRequestRecord], Awaitable[None]]
"""Receives every report a VEN delivers for an outstanding request, after it was stored."""

DeliveryFailedHandler = Callable[[QueuedMessage, str], Awaitable[None]]
"""Told when a pushed message is given up after its last attempt, with the last error."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VtnHandlers:
    """The callbacks of a VTN; see the module docstring. Leave out those you do not need."""

    on_registered: RegistrationHandler | None = None
    on_registration_cancelled: RegistrationCancelledHandler | None = None
    on_event_response: EventResponseHandler | None = None
    on_opt: OptHandler | None = None
    on_opt_cancelled: OptCancelledHandler | None = None
    on_report_capabilities: CapabilitiesHandler | None = None
    on_report: ReportSink | None = None
    on_delivery_failed: DeliveryFailedHandler | None = None
