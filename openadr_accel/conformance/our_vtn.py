"""Our own VTN as the device under test of the ``TH_VEN`` cases.

:class:`OurVtnFactory` starts a fresh :class:`~openadr_accel.vtn.server.VTN` for every case (its
own SQLite file in a temporary directory, a free loopback port, the run's compressed clock, a
poll frequency of 1 s and a short push backoff, so that runs are fast) and hands the case an
:class:`OurVtn`: the :class:`~openadr_accel.conformance.devices.VtnDevice` that does what a case
asks through the VTN's Python API. Its observations read a :class:`VtnView`: the VTN itself (its
store, through the operator's API) and a :class:`VtnJournal` of every handler call
(:class:`~openadr_accel.vtn.handlers.VtnHandlers`), stamped with the run's clock.

Example::

    factory = OurVtnFactory()
    async with factory.attach(selected, clock) as device:
        harness = HarnessVen(url=device.url, clock=clock, transcript=transcript, pull=True)
        ...
"""

from __future__ import annotations

import contextlib
import ssl
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..clock import Clock
from ..errors import LocalProtocolError
from ..model import EiTarget, OadrCreateOpt, OadrEvent, OadrReport, OadrReportRequest
from ..security.signature import Signer
from ..vtn.config import VtnConfig
from ..vtn.handlers import CapabilitiesHandler, VtnHandlers
from ..vtn.policies import OpenRegistration, RegistrationPolicy
from ..vtn.server import VTN
from ..vtn.store import EventResponseRecord, QueuedMessage, ReportRequestRecord, StoredReport, VenRecord
from ..vtn.store.sqlite import SqliteStore
from .case import CaseFailed, Selected
from .context import CompressedClock
from .devices import EventSpec, ReportSpec

__all__ = ["HandlerCall", "OurVtn", "OurVtnFactory", "VtnJournal", "VtnView"]

DEFAULT_VTN_ID = "openadr-accel-vtn"


@dataclass(frozen=True, slots=True)
class HandlerCall:
    """One call of a VTN handler.

    Attributes:
        name: the handler (``on_registered``, ``on_event_response``, ...).
        at: when it was called (the run's clock).
        args: what it was called with.
    """

    name: str
    at: datetime
    args: tuple[object, ...]


@dataclass(slots=True)
class VtnJournal:
    """Every handler call of one VTN, in order (:attr:`calls`), and by kind in typed lists.

    Attributes:
        answer_capabilities: what ``on_report_capabilities`` answers (report requests to ride
            on the oadrRegisteredReport, R1_3060); None: no requests.
    """

    clock: Clock
    """The clock the calls are timed with."""
    calls: list[HandlerCall] = field(default_factory=list)
    """Every handler call, in order."""
    registered: list[VenRecord] = field(default_factory=list)
    registration_cancelled: list[VenRecord] = field(default_factory=list)
    event_responses: list[tuple[EventResponseRecord, bool]] = field(default_factory=list)
    """Each eventResponse (or opt naming an event), and whether an earlier opt overrode it."""
    opts: list[OadrCreateOpt] = field(default_factory=list)
    opts_cancelled: list[tuple[str, str]] = field(default_factory=list)
    """(venID, optID) of each cancelled opt."""
    capabilities: list[tuple[VenRecord, tuple[OadrReport, ...]]] = field(default_factory=list)
    """Each oadrRegisterReport of a VEN: its METADATA reports."""
    reports: list[tuple[VenRecord, OadrReport, ReportRequestRecord]] = field(default_factory=list)
    """Each report delivered for an outstanding request."""
    delivery_failed: list[tuple[QueuedMessage, str]] = field(default_factory=list)
    answer_capabilities: CapabilitiesHandler | None = None

    def of(self, name: str) -> list[HandlerCall]:
        """The calls of one handler, in order."""
        return [call for call in self.calls if call.name == name]

    def handlers(self) -> VtnHandlers:
        """Handlers that write to this journal."""

        def note(name: str, *args: object) -> None:
            self.calls.append(HandlerCall(name, self.clock(), args))

        async def on_registered(ven: VenRecord) -> None:
            note("on_registered", ven)
            self.registered.append(ven)

        async def on_registration_cancelled(ven: VenRecord) -> None:
            note("on_registration_cancelled", ven)
            self.registration_cancelled.append(ven)

        async def on_event_response(record: EventResponseRecord, overridden: bool) -> None:
            note("on_event_response", record, overridden)
            self.event_responses.append((record, overridden))

        async def on_opt(opt: OadrCreateOpt) -> None:
            note("on_opt", opt)
            self.opts.append(opt)

        async def on_opt_cancelled(ven_id: str, opt_id: str) -> None:
            note("on_opt_cancelled", ven_id, opt_id)
            self.opts_cancelled.append((ven_id, opt_id))

        async def on_report_capabilities(
            ven: VenRecord, offered: Sequence[OadrReport]
        ) -> Sequence[OadrReportRequest]:
            note("on_report_capabilities", ven, tuple(offered))
            self.capabilities.append((ven, tuple(offered)))
            if self.answer_capabilities is None:
                return ()
            return await self.answer_capabilities(ven, offered)

        async def on_report(ven: VenRecord, report: OadrReport, request: ReportRequestRecord) -> None:
            note("on_report", ven, report, request)
            self.reports.append((ven, report, request))

        async def on_delivery_failed(message: QueuedMessage, error: str) -> None:
            note("on_delivery_failed", message, error)
            self.delivery_failed.append((message, error))

        return VtnHandlers(
            on_registered=on_registered,
            on_registration_cancelled=on_registration_cancelled,
            on_event_response=on_event_response,
            on_opt=on_opt,
            on_opt_cancelled=on_opt_cancelled,
            on_report_capabilities=on_report_capabilities,
            on_report=on_report,
            on_delivery_failed=on_delivery_failed,
        )


@dataclass(frozen=True, slots=True)
class VtnView:
    """What a case's observations read of our VTN: the VTN (its operator's API reads the store)
    and the journal of its handler calls.

    Observations may be async (``ctx.observe(what, lambda view: view.responded(event_id))``).
    """

    vtn: VTN
    journal: VtnJournal

    async def responses(self, event_id: str) -> list[EventResponseRecord]:
        """Every VEN's latest stored answer to an event."""
        return await self.vtn.events.responses(event_id)

    async def responded(self, event_id: str) -> bool:
        """Whether some VEN's answer to the event is stored."""
        return bool(await self.vtn.events.responses(event_id))

    async def report_data(
        self, ven_id: str | None = None, *, report_request_id: str | None = None
    ) -> list[StoredReport]:
        """The stored report data (of one VEN or request)."""
        return await self.vtn.reports.data(ven_id, report_request_id=report_request_id)

    async def ven(self, ven_id: str) -> VenRecord | None:
        """One VEN as the VTN knows it."""
        return await self.vtn.registrations.get(ven_id)


class OurVtn:
    """Our VTN as a :class:`~openadr_accel.conformance.devices.VtnDevice`.

    What the VTN's API refuses (a :class:`~openadr_accel.errors.LocalProtocolError`: the VEN it
    names is not registered, it offered no such report, ...) fails the case: the cases only ask
    for what a correct VTN does.

    Attributes:
        events: every version of an event made through the device (created, modified,
            cancelled), in order; the last one's eventID is the event a case just made.
        report_requests: every report request made through the device, in order.
    """

    name = "openadr_accel VTN"

    def __init__(self, vtn: VTN, url: str, journal: VtnJournal) -> None:
        self.vtn = vtn
        """The VTN under test."""
        self.url = url
        """Its base URL (before ``/OpenADR2/Simple/2.0b/``)."""
        self.journal = journal
        """Its handler calls."""
        self.events: list[OadrEvent] = []
        self.report_requests: list[ReportRequestRecord] = []
        self._view = VtnView(vtn, journal)

    def observer(self) -> Callable[[], VtnView]:
        """Reads the VTN's state for observations."""
        return lambda: self._view

    @property
    def last_event_id(self) -> str:
        """The eventID of the event last made through the device.

        Raises:
            CaseFailed: none was.
        """
        if not self.events:
            raise CaseFailed("no event was made through the VTN device")
        return self.events[-1].ei_event.event_descriptor.event_id

    async def create_event(self, spec: EventSpec) -> None:
        """Create the event (targeting ``spec.ven_id`` unless ``spec.target`` says otherwise)."""
        with _refused("create the event"):
            event = await self.vtn.events.create(
                signals=spec.signals,
                start=spec.start,
                target=spec.target if spec.target is not None else EiTarget(ven_ids=(spec.ven_id,)),
                market_context=spec.market_context,
                priority=spec.priority,
                response_required=spec.response_required,
                test_event=spec.test_event,
                start_after=spec.start_after,
                vtn_comment=spec.vtn_comment,
                baseline=spec.baseline,
            )
        self.events.append(event)

    async def modify_event(self, event_id: str, spec: EventSpec) -> None:
        """Modify the event to ``spec`` (our VTN keeps an event's market context and test flag)."""
        with _refused(f"modify event {event_id!r}"):
            event = await self.vtn.events.modify(
                event_id,
                signals=spec.signals,
                start=spec.start,
                target=spec.target if spec.target is not None else EiTarget(ven_ids=(spec.ven_id,)),
                priority=spec.priority,
                response_required=spec.response_required,
                start_after=spec.start_after,
                vtn_comment=spec.vtn_comment,
            )
        self.events.append(event)

    async def cancel_event(self, event_id: str) -> None:
        """Cancel the event."""
        with _refused(f"cancel event {event_id!r}"):
            event = await self.vtn.events.cancel(event_id)
        self.events.append(event)

    async def request_report(self, spec: ReportSpec) -> None:
        """Request a report the VEN offered (oadrCreateReport)."""
        with _refused(f"request {spec.describe()}"):
            record = await self.vtn.reports.request(
                spec.ven_id,
                spec.report_specifier_id,
                r_ids=spec.r_ids,
                granularity=spec.granularity,
                report_back_duration=spec.report_back_duration,
                start=spec.start,
                duration=spec.duration,
            )
        self.report_requests.append(record)

    async def cancel_report(self, report_request_id: str, *, report_to_follow: bool) -> None:
        """Cancel a report request (oadrCancelReport)."""
        with _refused(f"cancel report request {report_request_id!r}"):
            await self.vtn.reports.cancel(report_request_id, report_to_follow=report_to_follow)

    async def request_metadata(self, ven_id: str) -> None:
        """Ask the VEN for its METADATA reports again (R1_3170)."""
        with _refused(f"ask VEN {ven_id!r} for its METADATA reports"):
            await self.vtn.reports.request_metadata(ven_id)

    async def cancel_registration(self, ven_id: str) -> None:
        """Cancel the VEN's registration (oadrCancelPartyRegistration, N1_0040)."""
        with _refused(f"cancel the registration of VEN {ven_id!r}"):
            await self.vtn.registrations.cancel(ven_id)

    async def request_reregistration(self, ven_id: str) -> None:
        """Ask the VEN to register again (oadrRequestReregistration, N1_0050)."""
        with _refused(f"ask VEN {ven_id!r} to register again"):
            await self.vtn.registrations.request_reregistration(ven_id)


class OurVtnFactory:
    """Starts a fresh :class:`OurVtn` (own SQLite file in a temporary directory, a loopback
    port, the run's :class:`~openadr_accel.conformance.context.CompressedClock`) per case.

    Args:
        clock_speed: how much faster than the wall clock the run's clock should go (see
            :meth:`clock`; :meth:`attach` uses the clock it is given).
        server_ssl: the VTN's TLS server context (None: plain HTTP).
        push_ssl: the VTN's TLS client context for pushing to ``https`` VEN endpoints.
        signer: the VTN's signer (re-made on the run's clock for each case, so that its
            ReplayProtect timestamps follow that clock); None: the VTN refuses XML signatures.
        poll_frequency: the oadrRequestedOadrPollFreq (1 s, the least the VTN allows).
        vtn_id: the vtnID.
        host: the loopback address to listen on.
        url_host: the host name in :attr:`OurVtn.url` (default ``host``; the test PKI's
            certificates name ``localhost`` and ``127.0.0.1``).
        registration: who may register (default: everyone).
        push_backoff: the wait after a failed push (doubling up to ``push_backoff_max``).
    """

    name = OurVtn.name
    shared_harness = False
    """A fresh harness VEN and a fresh VTN per case (cases may run concurrently)."""

    def __init__(
        self,
        *,
        clock_speed: float = 1.0,
        server_ssl: ssl.SSLContext | None = None,
        push_ssl: ssl.SSLContext | None = None,
        signer: Signer | None = None,
        poll_frequency: timedelta = timedelta(seconds=1),
        vtn_id: str = DEFAULT_VTN_ID,
        host: str = "127.0.0.1",
        url_host: str | None = None,
        registration: RegistrationPolicy | None = None,
        push_backoff: timedelta = timedelta(milliseconds=50),
        push_backoff_max: timedelta = timedelta(seconds=1),
    ) -> None:
        if clock_speed <= 0:
            raise ValueError(f"the clock's speed must be positive, not {clock_speed}")
        self.clock_speed = clock_speed
        self.server_ssl = server_ssl
        self.push_ssl = push_ssl
        self.signer = signer
        self.host = host
        self.url_host = url_host or host
        self.registration = registration
        self.config = VtnConfig(
            vtn_id=vtn_id,
            poll_frequency=poll_frequency,
            push_backoff=push_backoff,
            push_backoff_max=push_backoff_max,
            push_scan_interval=timedelta(milliseconds=200),
            push_timeout=timedelta(seconds=10),
        )

    def clock(self) -> CompressedClock:
        """A new run clock at :attr:`clock_speed`."""
        return CompressedClock(self.clock_speed)

    def attach(self, selected: Selected, clock: CompressedClock) -> AbstractAsyncContextManager[OurVtn]:
        """A fresh VTN for one case, serving until the block ends (then its files are gone)."""
        return self._running(selected, clock)

    @asynccontextmanager
    async def _running(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[OurVtn]:
        with tempfile.TemporaryDirectory(prefix=f"openadr-{selected.case_id}-") as folder:
            journal = VtnJournal(clock)
            signer = (
                None if self.signer is None else Signer(self.signer.certificate, self.signer.key, clock=clock)
            )
            vtn = VTN(
                self.config,
                SqliteStore(Path(folder) / "vtn.db"),
                registration=self.registration or OpenRegistration(),
                handlers=journal.handlers(),
                signer=signer,
                push_ssl_context=self.push_ssl,
                clock=clock,
            )
            async with vtn.running(self.host, 0, ssl_context=self.server_ssl) as runner:
                port = runner.addresses[0][1]
                scheme = "https" if self.server_ssl is not None else "http"
                yield OurVtn(vtn, f"{scheme}://{self.url_host}:{port}{self.config.prefix}", journal)


@contextlib.contextmanager
def _refused(what: str) -> Iterator[None]:
    try:
        yield
    except LocalProtocolError as exc:
        raise CaseFailed(f"our VTN refused to {what}: {exc}") from exc
