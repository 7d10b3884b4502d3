"""EiRegisterParty on the VTN: query, register, re-register, cancel (both ways), reregistration.

A registration binds a venID to the VEN's certificate fingerprint when the VEN came over TLS:
afterwards, every message naming that venID must come with that certificate (463 otherwise).
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import LocalProtocolError
from ..model import (
    EiResponse,
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedPartyRegistration,
    OadrCreatePartyRegistration,
    OadrProfile,
    OadrQueryRegistration,
    OadrRequestReregistration,
    OadrResponse,
    ProfileName,
    ResponseCode,
    TransportName,
)
from .core import VtnContext, call_handler, refuse, require_registered
from .events import VtnEvents
from .handlers import Peer
from .policies import RegistrationPolicy, Reject, new_id
from .report_requests import OPEN_STATES, Trigger, next_state
from .reports import VtnReports
from .store import VenRecord

__all__ = ["VtnRegistrations"]

_PROFILES = (OadrProfile(profile_name=ProfileName.B, transports=(TransportName.SIMPLE_HTTP,)),)


class VtnRegistrations:
    """Answer the EiRegisterParty service, and end or renew registrations from the VTN's side."""

    def __init__(
        self, context: VtnContext, policy: RegistrationPolicy, events: VtnEvents, reports: VtnReports
    ) -> None:
        self._context = context
        self._policy = policy
        self._events = events
        self._reports = reports

    # -- the operator's API ----------------------------------------------------------------------

    async def list(self) -> list[VenRecord]:
        """Every known VEN, registered or not."""
        return await self._context.store.list_vens()

    async def get(self, ven_id: str) -> VenRecord | None:
        """One VEN, or None."""
        return await self._context.store.get_ven(ven_id)

    async def assign(
        self,
        ven_id: str,
        *,
        group_ids: tuple[str, ...] | None = None,
        resource_ids: tuple[str, ...] | None = None,
        market_contexts: tuple[str, ...] | None = None,
    ) -> VenRecord:
        """Set what a VEN belongs to, for event targeting (a VEN not known yet is provisioned, so
        it is placed before it first registers). Arguments left out are kept."""
        store = self._context.store
        async with store.transaction():
            ven = await store.get_ven(ven_id) or VenRecord(ven_id=ven_id)
            ven = replace(
                ven,
                group_ids=ven.group_ids if group_ids is None else group_ids,
                resource_ids=ven.resource_ids if resource_ids is None else resource_ids,
                market_contexts=ven.market_contexts if market_contexts is None else market_contexts,
            )
            await store.save_ven(ven)
        return ven

    async def cancel(self, ven_id: str) -> None:
        """End a VEN's registration from the VTN: an oadrCancelPartyRegistration is sent; the
        registration ends when the VEN confirms with oadrCanceledPartyRegistration.

        Raises:
            LocalProtocolError: the VEN is not registered.
        """
        store = self._context.store
        async with store.transaction():
            ven = await self._registered(ven_id)
            assert ven.registration_id is not None
            await store.save_ven(replace(ven, cancel_requested=True))
            await self._context.send(
                ven,
                OadrCancelPartyRegistration(
                    request_id=new_id(), registration_id=ven.registration_id, ven_id=ven.ven_id
                ),
            )

    async def request_reregistration(self, ven_id: str) -> None:
        """Ask a VEN to register again (oadrRequestReregistration).

        Raises:
            LocalProtocolError: the VEN is not registered.
        """
        ven = await self._registered(ven_id)
        await self._context.send(ven, OadrRequestReregistration(ven_id=ven.ven_id))

    # -- messages from VENs ----------------------------------------------------------------------

    async def on_query(self, message: OadrQueryRegistration, peer: Peer) -> OadrCreatedPartyRegistration:
        """What this VTN offers; a VEN known by its certificate also gets its registration."""
        ven = None
        if peer.fingerprint is not None:
            ven = await self._context.store.find_ven_by_fingerprint(peer.fingerprint)
        return self.created(message.request_id, ven if ven is not None and ven.registered else None)

    async def on_create(
        self, message: OadrCreatePartyRegistration, peer: Peer
    ) -> OadrCreatedPartyRegistration:
        """Register a VEN (or re-register it, with its registrationID).

        Refused: another profile than 2.0b or transport than simpleHttp (454), push without a
        transport address (454), signatures when the VTN cannot sign (454), an unknown or foreign
        registrationID (452), a venID bound to another certificate (463), and whatever the
        registration policy rejects.
        """
        context = self._context
        _check_capabilities(message, can_sign=context.signer is not None)
        store = context.store
        if message.registration_id is not None:
            ven = await store.find_ven_by_registration(message.registration_id)
            if ven is None or (message.ven_id is not None and message.ven_id != ven.ven_id):
                raise refuse(
                    ResponseCode.INVALID_ID,
                    f"registrationID {message.registration_id!r} is not this VEN's registration",
                    element="registrationID",
                )
            _check_certificate(ven, peer)
            registration_id = message.registration_id
            fresh = False
        else:
            decision = await self._policy(message, peer)
            if isinstance(decision, Reject):
                raise refuse(decision.response_code, f"registration refused: {decision.description}")
            ven_id = decision.ven_id or message.ven_id or await self._known_ven_id(peer) or new_id()
            ven = await store.get_ven(ven_id) or VenRecord(ven_id=ven_id)
            _check_certificate(ven, peer)
            registration_id = new_id()
            fresh = True
        ven = replace(
            ven,
            registration_id=registration_id,
            ven_name=message.ven_name,
            fingerprint=peer.fingerprint or ven.fingerprint,
            profile_name=message.profile_name.value,
            transport_name=message.transport_name.value,
            transport_address=message.transport_address,
            http_pull_model=message.http_pull_model is not False,
            xml_signature=message.xml_signature,
            report_only=message.report_only,
            registered_at=context.clock(),
            cancel_requested=False,
        )
        async with store.transaction():
            if fresh:
                await self._end_outstanding(ven.ven_id)
            await store.save_ven(ven)
            await self._reports.send_register_report(ven)
            if await self._events.current(ven):
                await context.distribute_events([ven])
        await call_handler(context.handlers.on_registered, ven)
        return self.created(message.request_id, ven)

    async def on_cancel(self, message: OadrCancelPartyRegistration) -> OadrCanceledPartyRegistration:
        """The VEN ends its registration; a registrationID that is not its own is 452."""
        ven = await self._by_registration(message.registration_id, message.ven_id)
        await self._unregister(ven)
        return OadrCanceledPartyRegistration(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
            registration_id=message.registration_id,
            ven_id=ven.ven_id,
        )

    async def on_canceled(self, message: OadrCanceledPartyRegistration) -> OadrResponse:
        """The VEN confirms the VTN's cancellation; the registration ends (if the VEN reports an
        error instead, the registration stays and the cancellation stays requested). Unasked, it
        is out of sequence (450)."""
        ven = await require_registered(self._context, message.ven_id)
        if not ven.cancel_requested:
            raise refuse(
                ResponseCode.OUT_OF_SEQUENCE,
                "the VTN did not ask to end this registration "
                "(a VEN ends one with oadrCancelPartyRegistration)",
            )
        if message.registration_id is not None and message.registration_id != ven.registration_id:
            raise refuse(
                ResponseCode.INVALID_ID,
                f"registrationID {message.registration_id!r} is not this VEN's registration",
                element="registrationID",
            )
        if message.ei_response.response_code == ResponseCode.OK:
            await self._unregister(ven)
        return OadrResponse(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.ei_response.request_id),
            ven_id=ven.ven_id,
        )

    async def on_response(self, message: OadrResponse) -> OadrResponse:
        """An oadrResponse (to oadrRequestReregistration, say): acknowledged."""
        if message.ven_id is not None:
            await require_registered(self._context, message.ven_id)
        return OadrResponse(
            ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.ei_response.request_id),
            ven_id=message.ven_id,
        )

    def created(
        self,
        request_id: str,
        ven: VenRecord | None,
        code: ResponseCode = ResponseCode.OK,
        description: str | None = None,
    ) -> OadrCreatedPartyRegistration:
        """The oadrCreatedPartyRegistration of this VTN, for ``ven`` (None: not registered)."""
        config = self._context.config
        return OadrCreatedPartyRegistration(
            ei_response=EiResponse(
                response_code=code, request_id=request_id, response_description=description
            ),
            vtn_id=config.vtn_id,
            profiles=_PROFILES,
            registration_id=None if ven is None else ven.registration_id,
            ven_id=None if ven is None else ven.ven_id,
            requested_poll_freq=config.poll_frequency,
        )

    # -- helpers ---------------------------------------------------------------------------------

    async def _registered(self, ven_id: str) -> VenRecord:
        ven = await self._context.store.get_ven(ven_id)
        if ven is None or not ven.registered:
            raise LocalProtocolError(f"VEN {ven_id!r} is not registered")
        return ven

    async def _known_ven_id(self, peer: Peer) -> str | None:
        """A VEN registering again with the same certificate keeps its venID."""
        if peer.fingerprint is None:
            return None
        ven = await self._context.store.find_ven_by_fingerprint(peer.fingerprint)
        return None if ven is None else ven.ven_id

    async def _by_registration(self, registration_id: str, ven_id: str | None) -> VenRecord:
        ven = await self._context.store.find_ven_by_registration(registration_id)
        if ven is None or (ven_id is not None and ven.ven_id != ven_id):
            if ven_id is not None:
                await require_registered(self._context, ven_id)  # 463 for an unregistered VEN
            raise refuse(
                ResponseCode.INVALID_ID,
                f"registrationID {registration_id!r} is not this VEN's registration",
                element="registrationID",
            )
        return ven

    async def _unregister(self, ven: VenRecord) -> None:
        store = self._context.store
        async with store.transaction():
            await self._end_outstanding(ven.ven_id)
            await store.save_ven(replace(ven, registration_id=None, cancel_requested=False))
        await call_handler(self._context.handlers.on_registration_cancelled, ven)

    async def _end_outstanding(self, ven_id: str) -> None:
        """A registration's queue and open report requests end with it."""
        store = self._context.store
        await store.clear_queue(ven_id)
        for record in await store.list_report_requests(ven_id, states=OPEN_STATES):
            state = next_state(record, Trigger.REGISTRATION_ENDED)
            if state is not None:
                await store.save_report_request(replace(record, state=state))


def _check_capabilities(message: OadrCreatePartyRegistration, *, can_sign: bool) -> None:
    if message.profile_name != ProfileName.B:
        raise refuse(ResponseCode.INVALID_DATA, f"this VTN serves profile 2.0b, not {message.profile_name}")
    if message.transport_name != TransportName.SIMPLE_HTTP:
        raise refuse(ResponseCode.INVALID_DATA, f"this VTN serves simpleHttp, not {message.transport_name}")
    if message.http_pull_model is False and not message.transport_address:
        raise refuse(
            ResponseCode.INVALID_DATA,
            "push (oadrHttpPullModel false) needs an oadrTransportAddress",
            element="oadrTransportAddress",
        )
    if message.xml_signature and not can_sign:
        raise refuse(
            ResponseCode.INVALID_DATA,
            "this VTN is not configured to sign messages (oadrXmlSignature)",
            element="oadrXmlSignature",
        )


def _check_certificate(ven: VenRecord, peer: Peer) -> None:
    if ven.fingerprint is not None and peer.fingerprint != ven.fingerprint:
        raise refuse(
            ResponseCode.NOT_REGISTERED_OR_AUTHORIZED,
            f"venID {ven.ven_id!r} is bound to another certificate",
            element="venID",
        )
