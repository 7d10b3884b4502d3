"""The device under test, as a case sees it: what it can be asked to do, and what can be seen of it.

A case never drives the device directly: it asks the :class:`VenDevice` or :class:`VtnDevice`
(make the VEN cancel its registration, make the VTN create this event). Our own VEN and VTN do it
through their Python API (:mod:`~openadr_accel.conformance.our_ven`,
:mod:`~openadr_accel.conformance.our_vtn`); an external device is asked
through an :class:`Operator`, a person who makes the device do it (the certification harness
works the same way), and the case then waits for the message that must follow.

``observer()`` gives the case a view of the device's state for its observations (None for an
external device: a person must watch it).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TextIO

from ..clock import Clock
from ..model import EiTarget, OptReason, OptType, ResponseRequired
from ..vtn.events import Baseline, Signal
from .case import Selected

if TYPE_CHECKING:
    from .harness_vtn import HarnessVtn
    from .our_ven import VenView
    from .our_vtn import VtnView

__all__ = [
    "EventSpec",
    "ExternalVen",
    "ExternalVenFactory",
    "ExternalVtn",
    "ExternalVtnFactory",
    "Operator",
    "OptRequest",
    "PrintingOperator",
    "ReportSpec",
    "VenDevice",
    "VtnDevice",
]


# -- what a case can ask for ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OptRequest:
    """An oadrCreateOpt for a VEN to send: an availability schedule, or one event.

    Attributes:
        opt_type: optIn or optOut.
        reason: the optReason (default: the VEN's choice).
        schedule: (start, duration) availability periods (a duration of zero is open-ended).
        event_id: the event the opt is about (instead of a schedule).
        modification_number: the event's modificationNumber, with ``event_id``.
        resource_ids: the resources it applies to (none: all of the VEN's).
        opt_id: reuse this optID (a replacement, P1_2040); default: a new one.
    """

    opt_type: OptType
    reason: OptReason | None = None
    schedule: Sequence[tuple[datetime, timedelta]] = ()
    event_id: str | None = None
    modification_number: int | None = None
    resource_ids: Sequence[str] = ()
    opt_id: str | None = None

    def describe(self) -> str:
        """The request in words, for an operator."""
        what = (
            f"event {self.event_id}"
            if self.event_id
            else "availability "
            + ", ".join(f"{start.isoformat()} for {duration}" for start, duration in self.schedule)
        )
        whom = f" for resources {', '.join(self.resource_ids)}" if self.resource_ids else ""
        reused = f" reusing optID {self.opt_id}" if self.opt_id else ""
        return f"{self.opt_type.value} of {what}{whom}{reused}"


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSpec:
    """An event for a VTN to create (or, modified, to become).

    Attributes:
        ven_id: the VEN (the harness) it is for; it targets that venID unless ``target`` says.
        signals: its signals (names, types, consecutive intervals).
        start: its dtstart.
        priority: the event descriptor's priority.
        response_required: the event's oadrResponseRequired.
        market_context: the event descriptor's marketContext.
        test_event: the event descriptor's testEvent.
        start_after: the active period's startafter (the randomization window).
        vtn_comment: the event descriptor's vtnComment.
        target: the eiTarget (default: the venID).
        baseline: an eiEventBaseline to send with it (from its start).
    """

    ven_id: str
    signals: Sequence[Signal]
    start: datetime
    priority: int | None = None
    response_required: ResponseRequired = ResponseRequired.ALWAYS
    market_context: str | None = None
    test_event: bool = False
    start_after: timedelta | None = None
    vtn_comment: str | None = None
    target: EiTarget | None = None
    baseline: Baseline | None = None

    def describe(self) -> str:
        """The event in words, for an operator."""
        signals = "; ".join(
            f"{signal.name} {signal.type.value}: "
            + ", ".join(f"{duration} at {value}" for duration, value in signal.intervals)
            for signal in self.signals
        )
        extras = [
            f"priority {self.priority}" if self.priority is not None else "",
            f"oadrResponseRequired {self.response_required.value}",
            "a test event" if self.test_event else "",
            f"randomized start within {self.start_after}" if self.start_after else "",
            f"market context {self.market_context}" if self.market_context else "",
            (
                "with an eiEventBaseline "
                + ", ".join(f"{duration} at {value}" for duration, value in self.baseline.intervals)
            )
            if self.baseline is not None
            else "",
        ]
        return (
            f"for VEN {self.ven_id}, starting {self.start.isoformat()}: {signals}"
            f" ({', '.join(extra for extra in extras if extra)})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSpec:
    """A report for a VTN to request from the harness VEN (one it offered in its METADATA).

    Attributes:
        ven_id: the VEN asked.
        report_specifier_id: the offered report.
        r_ids: the data points (default: all).
        granularity: how often a reading is taken (zero, with ``report_back_duration``, for a
            one-shot report).
        report_back_duration: how often the report is sent (zero for a one-shot report).
        start: the start of the report interval (a past start asks for history).
        duration: the length of the report interval.
    """

    ven_id: str
    report_specifier_id: str
    r_ids: Sequence[str] | None = None
    granularity: timedelta = timedelta(0)
    report_back_duration: timedelta = timedelta(0)
    start: datetime | None = None
    duration: timedelta | None = None

    def describe(self) -> str:
        """The request in words, for an operator."""
        points = ", ".join(self.r_ids) if self.r_ids else "all data points"
        timing = (
            "one-shot"
            if not self.granularity and not self.report_back_duration
            else f"granularity {self.granularity}, reportBackDuration {self.report_back_duration}"
        )
        interval = f", from {self.start.isoformat()}" if self.start else ""
        interval += f" for {self.duration}" if self.duration else ""
        return f"report {self.report_specifier_id} ({points}) from VEN {self.ven_id}: {timing}{interval}"


# -- the devices ------------------------------------------------------------------------------------


class VenDevice(Protocol):
    """A VEN under test."""

    name: str

    def observer(self) -> Callable[[], VenView] | None:
        """Reads the VEN's state for observations (None: a person must watch it)."""
        ...

    async def begin_registration(self) -> None:
        """Make the VEN register from scratch (query, then register): a fresh VEN of ours does
        it by itself; an operator restarts an external one with its registration cleared."""
        ...

    async def cancel_registration(self) -> None:
        """Make the VEN cancel its registration (oadrCancelPartyRegistration, N1_0030)."""
        ...

    async def register_again(self, *, keep_registration_id: bool) -> None:
        """Make the registered VEN register again: renewing its registration (with its
        registrationID, N1_0065) or as a new registration (N1_0060)."""
        ...

    async def request_events(self) -> None:
        """Make the VEN ask for all current events (oadrRequestEvent, E1_1050)."""
        ...

    async def create_opt(self, request: OptRequest) -> None:
        """Make the VEN send an oadrCreateOpt (P1_20xx, E1_1060, A_E1_0280)."""
        ...

    async def cancel_opt(self, opt_id: str) -> None:
        """Make the VEN cancel an opt (oadrCancelOpt, P1_2020)."""
        ...


class VtnDevice(Protocol):
    """A VTN under test."""

    name: str
    url: str
    """Where VENs reach it: the part before ``/OpenADR2/Simple/2.0b``."""

    def observer(self) -> Callable[[], VtnView] | None:
        """Reads the VTN's state for observations (None: a person must watch it)."""
        ...

    async def create_event(self, spec: EventSpec) -> None:
        """Make the VTN create an event (it reaches the VEN as oadrDistributeEvent)."""
        ...

    async def modify_event(self, event_id: str, spec: EventSpec) -> None:
        """Make the VTN modify an event to ``spec`` (modificationNumber + 1)."""
        ...

    async def cancel_event(self, event_id: str) -> None:
        """Make the VTN cancel an event."""
        ...

    async def request_report(self, spec: ReportSpec) -> None:
        """Make the VTN request a report (oadrCreateReport)."""
        ...

    async def cancel_report(self, report_request_id: str, *, report_to_follow: bool) -> None:
        """Make the VTN cancel a report request (oadrCancelReport)."""
        ...

    async def request_metadata(self, ven_id: str) -> None:
        """Make the VTN ask the VEN to register its reports again (R1_3170)."""
        ...

    async def cancel_registration(self, ven_id: str) -> None:
        """Make the VTN cancel the VEN's registration (N1_0040)."""
        ...

    async def request_reregistration(self, ven_id: str) -> None:
        """Make the VTN ask the VEN to re-register (oadrRequestReregistration, N1_0050)."""
        ...


# -- external devices: a person does it -------------------------------------------------------------


class Operator(Protocol):
    """The person running a dry run against an external device."""

    def ask(self, instruction: str) -> None:
        """Tell the person what to make the device do now (the case then waits for it)."""
        ...


@dataclass(slots=True)
class PrintingOperator:
    """Prints each instruction (to standard error by default) and keeps them."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    asked: list[str] = field(default_factory=list)

    def ask(self, instruction: str) -> None:
        self.asked.append(instruction)
        print(f"\n>>> ACTION NEEDED: {instruction}\n", file=self.stream, flush=True)


class ExternalVen:
    """A VEN the harness cannot drive: every action is asked of the operator."""

    def __init__(self, operator: Operator, name: str = "external VEN") -> None:
        self.name = name
        self.operator = operator

    def observer(self) -> None:
        return None

    async def begin_registration(self) -> None:
        self.operator.ask(
            "Restart the VEN with its registration cleared, so that it queries and registers anew."
        )

    async def cancel_registration(self) -> None:
        self.operator.ask("Make the VEN cancel its registration (oadrCancelPartyRegistration).")

    async def register_again(self, *, keep_registration_id: bool) -> None:
        how = (
            "renewing its registration (with its registrationID)"
            if keep_registration_id
            else ("as a new registration (no registrationID)")
        )
        self.operator.ask(f"Make the registered VEN send oadrCreatePartyRegistration again, {how}.")

    async def request_events(self) -> None:
        self.operator.ask("Make the VEN ask for its events (oadrRequestEvent).")

    async def create_opt(self, request: OptRequest) -> None:
        self.operator.ask(f"Make the VEN send oadrCreateOpt: {request.describe()}.")

    async def cancel_opt(self, opt_id: str) -> None:
        self.operator.ask(f"Make the VEN cancel opt {opt_id} (oadrCancelOpt).")


class ExternalVtn:
    """A VTN the harness cannot drive: every action is asked of the operator."""

    def __init__(self, url: str, operator: Operator, name: str = "external VTN") -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.operator = operator

    def observer(self) -> None:
        return None

    async def create_event(self, spec: EventSpec) -> None:
        self.operator.ask(f"Create an event {spec.describe()}.")

    async def modify_event(self, event_id: str, spec: EventSpec) -> None:
        self.operator.ask(f"Modify event {event_id} to: {spec.describe()}.")

    async def cancel_event(self, event_id: str) -> None:
        self.operator.ask(f"Cancel event {event_id}.")

    async def request_report(self, spec: ReportSpec) -> None:
        self.operator.ask(f"Request the {spec.describe()}.")

    async def cancel_report(self, report_request_id: str, *, report_to_follow: bool) -> None:
        follow = "with" if report_to_follow else "without"
        self.operator.ask(f"Cancel report request {report_request_id} ({follow} reportToFollow).")

    async def request_metadata(self, ven_id: str) -> None:
        self.operator.ask(f"Ask VEN {ven_id} to register its reports again (a METADATA oadrCreateReport).")

    async def cancel_registration(self, ven_id: str) -> None:
        self.operator.ask(f"Cancel the registration of VEN {ven_id} (oadrCancelPartyRegistration).")

    async def request_reregistration(self, ven_id: str) -> None:
        self.operator.ask(f"Ask VEN {ven_id} to register again (oadrRequestReregistration).")


class ExternalVenFactory:
    """An external VEN: one shared harness VTN for the whole run (the VEN is configured with
    its address); every action is asked of the operator."""

    shared_harness = True

    def __init__(self, operator: Operator) -> None:
        self.device = ExternalVen(operator)

    @contextlib.asynccontextmanager
    async def attach(
        self, selected: Selected, harness: HarnessVtn, clock: Clock
    ) -> AsyncIterator[ExternalVen]:
        yield self.device


class ExternalVtnFactory:
    """An external VTN at ``url``; every action is asked of the operator."""

    shared_harness = True

    def __init__(self, url: str, operator: Operator) -> None:
        self.device = ExternalVtn(url, operator)

    @contextlib.asynccontextmanager
    async def attach(self, selected: Selected, clock: Clock) -> AsyncIterator[ExternalVtn]:
        yield self.device
