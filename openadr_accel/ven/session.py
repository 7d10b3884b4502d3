"""A VEN's conversation with its VTN: registration, requests, and answers to what the VTN sends.

:class:`VenSession` does the protocol and keeps the state; it does no scheduling of its own.
Requests it makes (query, register, poll, request events, opts, reports) go through a
:class:`~.transport.VtnClient`. What the VTN initiates (a polled message in pull mode, a POST to
the VEN's endpoint in push mode) goes through :meth:`VenSession.answer`, which returns a
:class:`Reply`: the answer, and what to do once it was delivered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..clock import Clock
from ..errors import LocalProtocolError, RefusedError, RemoteProtocolError
from ..model import (
    EiResponse,
    EiTarget,
    OadrCanceledOpt,
    OadrCanceledPartyRegistration,
    OadrCancelOpt,
    OadrCancelPartyRegistration,
    OadrCancelReport,
    OadrCreatedOpt,
    OadrCreatedPartyRegistration,
    OadrCreatedReport,
    OadrCreatePartyRegistration,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrRequestEvent,
    OadrRequestReregistration,
    OadrResponse,
    OadrUpdatedReport,
    OadrUpdateReport,
    OptReason,
    OptType,
    Payload,
    ProfileName,
    QualifiedEventID,
    ResponseCode,
    ServiceName,
    TransportName,
)
from ..services import SERVICE_OF
from .config import VenConfig
from .events import VenEvents, notify
from .handlers import VenHandlers
from .opt import Period, opt_message
from .reports import VenReports
from .store import Registration, VenStore
from .transport import VtnClient

__all__ = ["NotRegisteredError", "Reply", "VenSession", "new_id"]

logger = logging.getLogger("openadr_accel.ven")

_Answer = TypeVar("_Answer")

_LOST_REGISTRATION = frozenset({ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, ResponseCode.INVALID_ID})


def service_of(payload: Payload) -> ServiceName:
    """The VTN service ``payload`` is POSTed to (an oadrResponse goes to EiRegisterParty: the
    only one a VEN sends answers oadrRequestReregistration)."""
    if isinstance(payload, OadrResponse):
        return ServiceName.EI_REGISTER_PARTY
    return SERVICE_OF[type(payload)]


def new_id() -> str:
    """A fresh random ID (requestIDs, optIDs)."""
    return uuid.uuid4().hex


class NotRegisteredError(LocalProtocolError):
    """The VEN was asked to do something that needs a registration it does not have."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a VTN-initiated message, and what to do once it was delivered.

    Attributes:
        answer: the message to answer with (None: nothing, in pull mode; push answers oadrResponse).
        after: run after the answer was delivered (keeps changes, re-registers, ...).
    """

    answer: Payload | None
    after: Callable[[], Awaitable[None]] | None = None


class VenSession:
    """The protocol of one VEN (see the module docstring)."""

    def __init__(
        self,
        config: VenConfig,
        store: VenStore,
        client: VtnClient,
        *,
        handlers: VenHandlers,
        events: VenEvents,
        reports: VenReports,
        clock: Clock,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.handlers = handlers
        self.events = events
        self.reports = reports
        self._clock = clock
        self.registration: Registration | None = store.registration()
        self.reregister_requested = False
        """Set when the VTN asked for a re-registration (or forgot this VEN): the VEN's loop
        registers again."""
        self.cancelled_by_vtn = False
        """Set when the VTN cancelled the registration: the VEN stops instead of registering again."""
        self._unsent_update: OadrUpdateReport | None = None
        self.reports_changed: Callable[[], None] = lambda: None
        """Called whenever report requests change (the VEN's reporter task looks again)."""
        if self.registration is not None:
            client.reader.require_signature = client.signer is not None
            self.reports.restore(store.report_requests())

    # -- registration (VEN-initiated) --------------------------------------------------------------

    @property
    def ven_id(self) -> str:
        """This VEN's venID.

        Raises:
            NotRegisteredError: not registered.
        """
        return self._registered().ven_id

    async def query(self) -> OadrCreatedPartyRegistration:
        """oadrQueryRegistration: the VTN's profiles, poll frequency and vtnID (N1_0010)."""
        answer = await self._send(OadrQueryRegistration(request_id=new_id()), OadrCreatedPartyRegistration)
        _check(answer.ei_response, "oadrQueryRegistration")
        return answer

    async def register(self) -> Registration:
        """Query, then register (renewing the stored registration if any, N1_0065), then offer
        the VEN's reports (METADATA, N1_0020).

        Raises:
            RefusedError: the VTN refused the registration (its code and description).
            TransportError: the VTN cannot be reached.
        """
        queried = await self.query()
        expected = self.config.vtn_id
        if expected is not None and queried.vtn_id != expected:
            raise RefusedError(
                f"the VTN says its vtnID is {queried.vtn_id!r}, expected {expected!r}",
                response_code=ResponseCode.INVALID_ID.value,
            )
        previous = self.registration
        created = await self._send(self._registration_request(previous), OadrCreatedPartyRegistration)
        if previous is not None and created.ei_response.response_code in _LOST_REGISTRATION:
            # The VTN no longer knows the stored registration (its store was reset, say):
            # drop it here too and register afresh.
            logger.warning(
                "the VTN refused registration %s (%s): registering afresh",
                previous.registration_id,
                created.ei_response.response_code,
            )
            await self._forget(previous)
            previous = None
            created = await self._send(self._registration_request(None), OadrCreatedPartyRegistration)
        _check(created.ei_response, "oadrCreatePartyRegistration")
        if not created.ven_id or not created.registration_id:
            raise RefusedError("the VTN accepted the registration without a venID or registrationID")
        if previous is not None and previous.registration_id != created.registration_id:
            self.store.forget_registration()  # a new registration: the old one's state is gone
            self.reports.restore([])
        registration = Registration(
            vtn_id=created.vtn_id,
            ven_id=created.ven_id,
            registration_id=created.registration_id,
            poll_frequency=created.requested_poll_freq,
        )
        self.store.save_registration(registration)
        self.registration = registration
        self.reregister_requested = False
        self.cancelled_by_vtn = False
        self.client.reader.require_signature = self.client.signer is not None
        logger.debug(
            "registered with %s as %s (%s)",
            registration.vtn_id,
            registration.ven_id,
            registration.registration_id,
        )
        await notify(self.handlers.on_registered, registration)
        await self.register_reports()
        return registration

    def _registration_request(self, previous: Registration | None) -> OadrCreatePartyRegistration:
        """A new registration, or the renewal of ``previous``."""
        return OadrCreatePartyRegistration(
            request_id=new_id(),
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            transport_address=self.config.transport_address,
            report_only=self.config.report_only,
            xml_signature=self.client.signer is not None,
            ven_name=self.config.ven_name,
            http_pull_model=self.config.pull,
            ven_id=previous.ven_id if previous is not None else self.config.ven_id,
            registration_id=previous.registration_id if previous is not None else None,
        )

    async def cancel_registration(self) -> None:
        """oadrCancelPartyRegistration (N1_0030); the registration is forgotten once the VTN
        confirmed it.

        Raises:
            RefusedError: the VTN refused (the registration stays).
        """
        registration = self._registered()
        answer = await self._send(
            OadrCancelPartyRegistration(
                request_id=new_id(), registration_id=registration.registration_id, ven_id=registration.ven_id
            ),
            OadrCanceledPartyRegistration,
        )
        _check(answer.ei_response, "oadrCancelPartyRegistration")
        await self._forget(registration)

    async def register_reports(self) -> None:
        """Offer the VEN's reports (oadrRegisterReport with METADATA); report requests that ride
        on the answer (R1_3060) are taken and confirmed with oadrCreatedReport."""
        ven_id = self.ven_id
        answer = await self._send(
            self.reports.register_report(request_id=new_id(), ven_id=ven_id), OadrRegisteredReport
        )
        _check(answer.ei_response, "oadrRegisterReport")
        if answer.report_requests:
            code, description = self.reports.create(answer.report_requests)
            self._save_reports()
            confirmation = OadrCreatedReport(
                ei_response=EiResponse(
                    response_code=code,
                    request_id=answer.ei_response.request_id,
                    response_description=description,
                ),
                pending_reports=self.reports.pending(),
                ven_id=ven_id,
            )
            await self._deliver(confirmation)

    # -- requests ---------------------------------------------------------------------------------

    async def poll(self) -> Payload:
        """One oadrPoll; what came is answered (see :meth:`answer`) and returned."""
        message = await self.client.send(ServiceName.OADR_POLL, OadrPoll(ven_id=self.ven_id))
        await self._reply_to(message)
        return message

    async def request_events(self) -> OadrDistributeEvent:
        """oadrRequestEvent (E1_1050): all current events, answered like a distribution."""
        message = await self._send(
            OadrRequestEvent(request_id=new_id(), ven_id=self.ven_id), OadrDistributeEvent
        )
        await self._reply_to(message)
        return message

    async def _reply_to(self, message: Payload) -> None:
        """Answer a message the VTN sent (polled, or returned), then follow the answer up. The
        follow-up is the VEN's own change (a registration the VEN confirmed cancelled ends), so
        it happens even when the VTN's acknowledgement of the answer is lost."""
        reply = await self.answer(message)
        try:
            if reply.answer is not None:
                await self._deliver(reply.answer)
        finally:
            if reply.after is not None:
                await reply.after()

    async def create_opt(
        self,
        opt_type: OptType,
        *,
        schedule: Sequence[Period] = (),
        event_id: str | None = None,
        modification_number: int | None = None,
        target: EiTarget = EiTarget(),
        reason: OptReason | None = None,
        market_context: str | None = None,
        opt_id: str | None = None,
    ) -> str:
        """oadrCreateOpt: an availability schedule (P1_2010..2040) or an opt on one event for
        all or some resources (E1_1060). Reusing ``opt_id`` replaces that opt. Returns the optID.

        Raises:
            ValueError: both or neither of ``schedule`` and ``event_id``.
            LocalProtocolError: ``event_id`` names no known event (and no
                ``modification_number`` is given).
            RefusedError: the VTN refused the opt.
        """
        event = None
        if event_id is not None:
            if modification_number is None:
                known = self.events.known().get(event_id)
                if known is None:
                    raise LocalProtocolError(f"no known event {event_id!r} to opt on")
                modification_number = known.event.ei_event.event_descriptor.modification_number
            event = QualifiedEventID(event_id=event_id, modification_number=modification_number)
        opt = opt_message(
            opt_id=opt_id or new_id(),
            request_id=new_id(),
            ven_id=self.ven_id,
            now=self._clock(),
            opt_type=opt_type,
            reason=reason,
            schedule=schedule,
            event=event,
            target=target,
            market_context=market_context,
        )
        answer = await self._send(opt, OadrCreatedOpt)
        _check(answer.ei_response, "oadrCreateOpt")
        self.store.save_opt(opt)
        if event_id is not None and target.is_empty:
            self.events.opted(event_id, opt_type)
        return opt.opt_id

    async def cancel_opt(self, opt_id: str) -> None:
        """oadrCancelOpt (P1_2020); the opt is forgotten once the VTN confirmed.

        Raises:
            RefusedError: the VTN refused (an unknown optID, P1_2050).
        """
        answer = await self._send(
            OadrCancelOpt(request_id=new_id(), opt_id=opt_id, ven_id=self.ven_id), OadrCanceledOpt
        )
        _check(answer.ei_response, "oadrCancelOpt")
        self.store.delete_opt(opt_id)

    async def send_reports(self) -> int:
        """Send the report updates that are due (one oadrUpdateReport); how many reports went.

        An update the VTN could not be sent is kept (in memory) and sent first at the next call.
        """
        update = self._unsent_update or await self.reports.collect(request_id=new_id(), ven_id=self.ven_id)
        if update is None:
            return 0
        self._save_reports()
        self._unsent_update = update  # sent again at the next attempt if the VTN cannot be reached
        answer = await self._send(update, OadrUpdatedReport)
        self._unsent_update = None
        if answer.ei_response.response_code != ResponseCode.OK:
            logger.warning(
                "the VTN answered our report update with %s: %s",
                answer.ei_response.response_code,
                answer.ei_response.response_description,
            )
        canceled = self.reports.on_updated_report(answer, ven_id=self.ven_id)
        if canceled is not None:  # an oadrCancelReport rode on the answer (R1_3050)
            self._save_reports()
            await self._deliver(canceled)
        if self.reports.metadata_requested:
            await self.register_reports()
        return len(update.reports)

    # -- what the VTN initiates -------------------------------------------------------------------

    async def answer(self, message: Payload) -> Reply:
        """The reply to a message the VTN initiated (polled, or pushed)."""
        registration = self._registered()
        ven_id = registration.ven_id
        if isinstance(message, OadrResponse):
            code = message.ei_response.response_code
            if code in _LOST_REGISTRATION:
                logger.warning("the VTN does not know this VEN any more (%s): registering again", code)
                self.reregister_requested = True
            return Reply(None)
        if isinstance(message, OadrDistributeEvent):
            accepted = await self.events.read(message, vtn_id=registration.vtn_id, ven_id=ven_id)
            return Reply(accepted.answer, accepted.commit)
        if isinstance(message, OadrRequestReregistration):
            return Reply(_ok_response(ven_id), self._request_reregistration)
        if isinstance(message, OadrCancelPartyRegistration):
            return self._cancelled_by_vtn(message, registration)
        if isinstance(message, OadrRegisterReport):
            return Reply(OadrRegisteredReport(ei_response=_ok(message.request_id), ven_id=ven_id))
        if isinstance(message, OadrCreateReport):
            created = self.reports.created_report(message, ven_id=ven_id)
            self._save_reports()
            return Reply(created, self._metadata_if_requested)
        if isinstance(message, OadrCancelReport):
            canceled = self.reports.cancel(message, ven_id=ven_id)
            self._save_reports()
            return Reply(canceled)
        if isinstance(message, OadrUpdateReport):
            for report in message.reports:
                await notify(self.handlers.on_report, report)
            return Reply(OadrUpdatedReport(ei_response=_ok(message.request_id), ven_id=ven_id))
        logger.warning("the VTN sent %s, which a VEN does not expect: not processed", type(message).__name__)
        return Reply(
            OadrResponse(
                ei_response=EiResponse(
                    response_code=ResponseCode.NOT_RECOGNIZED,
                    request_id="",
                    response_description=f"a VEN does not accept {type(message).__name__}",
                ),
                ven_id=ven_id,
            )
        )

    async def refused(self, error: RemoteProtocolError) -> OadrResponse:
        """The answer to a VTN-initiated document that could not be read."""
        logger.warning("refused a message from the VTN: %s", error)
        return OadrResponse(
            ei_response=EiResponse(
                response_code=ResponseCode(error.response_code),
                request_id="",
                response_description=error.message,
            ),
            ven_id=None if self.registration is None else self.registration.ven_id,
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _registered(self) -> Registration:
        if self.registration is None:
            raise NotRegisteredError("the VEN is not registered with its VTN")
        return self.registration

    async def _send(self, payload: Payload, expected: type[_Answer]) -> _Answer:
        answer = await self.client.send(service_of(payload), payload)
        if not isinstance(answer, expected):
            if isinstance(answer, OadrResponse):
                _check(answer.ei_response, type(payload).__name__)
            raise RemoteProtocolError(
                f"the VTN answered {type(payload).__name__} with {type(answer).__name__}, "
                f"expected {expected.__name__}"
            )
        return answer

    async def _deliver(self, payload: Payload) -> None:
        """Send a message whose answer is only an acknowledgement; refusals are logged. An
        oadrResponse may be answered with an empty HTTP 200 (2.0b's pull re-registration exchange
        ends so; OpenLEADR's VTN does)."""
        if isinstance(payload, OadrResponse):
            body = await self.client.post(service_of(payload), self.client.encode(payload))
            if not body.strip():
                return
            answer = self.client.reader.read(body)
        else:
            answer = await self.client.send(service_of(payload), payload)
        response = getattr(answer, "ei_response", None)
        if isinstance(response, EiResponse) and response.response_code != ResponseCode.OK:
            logger.warning(
                "the VTN answered %s with %s: %s",
                type(payload).__name__,
                response.response_code,
                response.response_description,
            )
            if response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED:
                # 463 says the VTN does not know this VEN; a 452 here is about the message's
                # own IDs (an answer to a superseded event version, say), not the registration.
                self.reregister_requested = True

    async def _request_reregistration(self) -> None:
        self.reregister_requested = True

    async def _metadata_if_requested(self) -> None:
        if self.reports.metadata_requested:
            await self.register_reports()

    def _cancelled_by_vtn(self, message: OadrCancelPartyRegistration, registration: Registration) -> Reply:
        if message.registration_id != registration.registration_id:
            return Reply(
                OadrCanceledPartyRegistration(
                    ei_response=EiResponse(
                        response_code=ResponseCode.INVALID_ID,
                        request_id=message.request_id,
                        response_description=f"registrationID {message.registration_id!r} is not this VEN's",
                    ),
                    registration_id=message.registration_id,
                    ven_id=registration.ven_id,
                )
            )

        async def forget() -> None:
            self.cancelled_by_vtn = True
            await self._forget(registration)

        return Reply(
            OadrCanceledPartyRegistration(
                ei_response=_ok(message.request_id),
                registration_id=registration.registration_id,
                ven_id=registration.ven_id,
            ),
            forget,
        )

    async def _forget(self, registration: Registration) -> None:
        self.store.forget_registration()
        self.registration = None
        self.reports.restore([])
        self._unsent_update = None
        self.client.reader.require_signature = False
        logger.info("registration %s ended", registration.registration_id)
        await notify(self.handlers.on_registration_cancelled, registration)

    def _save_reports(self) -> None:
        """Store the report requests' state, and wake the reporter to look at it."""
        self.store.replace_report_requests(self.reports.snapshot())
        self.reports_changed()


def _ok(request_id: str) -> EiResponse:
    return EiResponse(response_code=ResponseCode.OK, request_id=request_id)


def _ok_response(ven_id: str) -> OadrResponse:
    return OadrResponse(ei_response=_ok(""), ven_id=ven_id)


def _check(response: EiResponse, what: str) -> None:
    if response.response_code != ResponseCode.OK:
        raise RefusedError(
            f"the VTN refused {what}: {response.response_description or 'no description'}",
            response_code=str(response.response_code),
        )
