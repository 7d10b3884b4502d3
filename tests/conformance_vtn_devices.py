"""Our VTN, deliberately broken, for the negative tests of the conformance cases whose device is
a VTN (``tests/conformance/test_cases_*_vtn.py``): a case that cannot fail is worthless.

:class:`BrokenVtnFactory` starts our real VTN (over loopback, a real SQLite file, as
:class:`OurVtnFactory` does) and lets a test alter that one VTN instance once it serves, before
the case runs: a route of its dispatcher replaced (:func:`reroute`), what it sends or answers
rewritten on its way out (:func:`sending`, :func:`answering`), how it reads a VEN's requests
(:func:`reading`), a method of its store (:func:`store_patched`), or the events it creates built
otherwise (:class:`TamperedVtn`). Nothing is patched on a class, so cases running at the same
time are not affected. :func:`run` and :func:`run_one` run cases against a VTN; :func:`secure`
is our VTN over mutual TLS with XML signatures, with a harness VEN that has them too.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

from conformance_runs import FAST, Side

from openadr_accel import xml
from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import CaseResult, Role, Selected, Transport
from openadr_accel.conformance.context import CompressedClock, Timeouts
from openadr_accel.conformance.devices import EventSpec
from openadr_accel.conformance.our_vtn import OurVtn, OurVtnFactory
from openadr_accel.conformance.runner import HarnessSecurity, RunSettings, VtnRunner
from openadr_accel.model import (
    OadrCreatedEvent,
    OadrCreatedOpt,
    OadrDistributeEvent,
    OadrEvent,
    OadrRequestEvent,
    OadrResponse,
    Payload,
    ResponseCode,
)
from openadr_accel.security import KeyType, TestPKI
from openadr_accel.security.certificates import fingerprint
from openadr_accel.security.signature import Signer
from openadr_accel.security.tls import ven_ssl_context, vtn_ssl_context
from openadr_accel.vtn.handlers import Peer
from openadr_accel.vtn.store import QueuedMessage, VenRecord

__all__ = [
    "BROKEN",
    "Alter",
    "Breaks",
    "BrokenVtnFactory",
    "Route",
    "TamperedVtn",
    "answering",
    "coded",
    "descriptor",
    "is_created_event",
    "reading",
    "reroute",
    "rerouted",
    "reversed_events",
    "run",
    "run_broken",
    "run_one",
    "secure",
    "selected",
    "sending",
    "settings_for",
    "store_patched",
    "tampered",
]

BROKEN = replace(FAST, timeouts=Timeouts(message=3, action=3))
"""For a VTN that breaks a rule: what never comes is given up on sooner (our VTN answers in
milliseconds)."""

Breaks = Callable[[OurVtn], Any]
"""Alters our VTN once it serves; may return another device to use instead (a wrapper of it)."""

Route = Callable[[Any, Peer], Awaitable[Payload]]
"""How the VTN's dispatcher answers one kind of message."""

Alter = Callable[[OadrEvent], OadrEvent]
"""An alteration of an event."""


async def run_broken(
    breaks: Breaks, numbers: Iterable[str], transports: Iterable[Transport] = (Transport.PULL,)
) -> list[CaseResult]:
    """The cases ``numbers`` in each of ``transports`` against a VTN broken by ``breaks``, with
    the usual waits (:data:`~conformance_runs.FAST`: the event cases' broken VTNs must fail on
    what they send, not on a wait cut short)."""
    return await run(BrokenVtnFactory(breaks), numbers, transports, FAST)


class BrokenVtnFactory:
    """An :class:`OurVtnFactory` (same options) whose VTN ``breaks`` alters once it serves (before
    the case runs); ``breaks`` may return another device to use instead."""

    shared_harness = False

    def __init__(self, breaks: Breaks, **options: Any) -> None:
        self._inner = OurVtnFactory(**options)
        self._breaks = breaks

    @contextlib.asynccontextmanager
    async def attach(self, selected: Selected, clock: CompressedClock) -> AsyncIterator[Any]:
        async with self._inner.attach(selected, clock) as device:
            altered = self._breaks(device)
            yield device if altered is None else altered


_SIDE = Side(Role.VTN, VtnRunner, BrokenVtnFactory, BROKEN)
selected = _SIDE.selected
settings_for = _SIDE.settings_for
run = _SIDE.run
run_one = _SIDE.run_one


def secure(
    pki: TestPKI,
    key_type: KeyType = KeyType.RSA,
    *,
    base: RunSettings = BROKEN,
    vtn_server: ssl.SSLContext | None = None,
    harness_client: ssl.SSLContext | None = None,
    breaks: Breaks | None = None,
) -> tuple[Any, RunSettings]:
    """Our VTN over mutual TLS with XML signatures (its server context ``vtn_server`` if given;
    broken by ``breaks`` if given), and ``base`` with a harness VEN that has them too (its client
    context ``harness_client`` if given). The VEN's certificates are the PKI's ``th``."""
    vtn = pki.vtn(key_type)
    ven = pki.ven("th", key_type)
    options: dict[str, Any] = {
        "server_ssl": vtn_server or vtn_ssl_context(vtn, pki.ca_bundle),
        "push_ssl": ven_ssl_context(vtn, pki.ca_bundle),
        "signer": Signer(vtn.certificate, vtn.key),
    }
    factory = BrokenVtnFactory(breaks, **options) if breaks is not None else OurVtnFactory(**options)
    security = HarnessSecurity(
        server_ssl=vtn_ssl_context(ven, pki.ca_bundle),
        client_ssl=harness_client or ven_ssl_context(ven, pki.ca_bundle),
        signer=Signer(ven.certificate, ven.key),
        device_fingerprint=fingerprint(vtn.certificate),
    )
    return factory, replace(base, security=security)


# -- ways to break our VTN ----------------------------------------------------------------------------


def reroute(device: OurVtn, kind: type[Payload], make: Callable[[Route], Route]) -> None:
    """Replace how that one VTN answers ``kind`` (from a VEN's POST, or a push VEN's answer) by
    ``make(original route)``."""
    routes = device.vtn.dispatcher._routes
    routes[kind] = make(routes[kind])


def rerouted(kind: type[Payload], make: Callable[[Route], Route]) -> Breaks:
    """A VTN that answers ``kind`` as ``make(original route)`` does (see :func:`reroute`)."""
    return lambda device: reroute(device, kind, make)


def sending(change: Callable[[OadrDistributeEvent], OadrDistributeEvent]) -> Breaks:
    """A VTN whose every oadrDistributeEvent (polled, pushed, or answering oadrRequestEvent)
    goes out as ``change`` makes it."""

    def breaks(device: OurVtn) -> None:
        dispatcher = device.vtn.dispatcher
        outbound, handle = dispatcher.outbound, dispatcher.handle

        def rewrite(data: bytes) -> bytes:
            payload = xml.parse(data, validate=False)
            return xml.serialize(change(payload)) if isinstance(payload, OadrDistributeEvent) else data

        async def changed_outbound(ven: VenRecord, message: QueuedMessage) -> bytes:
            return rewrite(await outbound(ven, message))

        async def changed_handle(service: str, data: bytes, peer: Peer) -> bytes:
            answer = await handle(service, data, peer)  # a poll's answer went through outbound
            return (
                rewrite(answer) if isinstance(xml.parse(data, validate=False), OadrRequestEvent) else answer
            )

        dispatcher.outbound = changed_outbound  # type: ignore[method-assign]
        dispatcher.handle = changed_handle  # type: ignore[method-assign]

    return breaks


def answering(change: Callable[[Payload, Payload], Payload]) -> Breaks:
    """A VTN whose answer to each request of a VEN is ``change(request, answer)``."""

    def breaks(device: OurVtn) -> None:
        dispatcher = device.vtn.dispatcher
        handle = dispatcher.handle

        async def changed_handle(service: str, data: bytes, peer: Peer) -> bytes:
            answer = await handle(service, data, peer)
            try:
                request = xml.parse(data, validate=False)
            except Exception:
                return answer
            return xml.serialize(change(request, xml.parse(answer, validate=False)))

        dispatcher.handle = changed_handle  # type: ignore[method-assign]

    return breaks


def reading(change: Callable[[Payload], Payload]) -> Breaks:
    """A VTN that reads each request of a VEN as ``change`` makes it."""

    def breaks(device: OurVtn) -> None:
        dispatcher = device.vtn.dispatcher
        handle = dispatcher.handle

        async def changed_handle(service: str, data: bytes, peer: Peer) -> bytes:
            request = xml.parse(data, validate=False)
            return await handle(service, xml.serialize(change(request)), peer)

        dispatcher.handle = changed_handle  # type: ignore[method-assign]

    return breaks


def coded(code: ResponseCode, when: Callable[[Payload], bool]) -> Callable[[Payload, Payload], Payload]:
    """An answer change: the VTN's oadrResponse (or oadrCreatedOpt) carries ``code`` whenever
    ``when(request)`` holds."""

    def change(request: Payload, answer: Payload) -> Payload:
        if not when(request) or not isinstance(answer, OadrResponse | OadrCreatedOpt):
            return answer
        response = replace(answer.ei_response, response_code=code)
        return replace(answer, ei_response=response)

    return change


def is_created_event(request: Payload) -> bool:
    """Whether a VEN's request is an oadrCreatedEvent."""
    return isinstance(request, OadrCreatedEvent)


def store_patched(name: str, make: Callable[[Any], Any]) -> Breaks:
    """A VTN whose store's method ``name`` (on that one store) is ``make(original)``."""

    def breaks(device: OurVtn) -> None:
        store = device.vtn.store
        setattr(store, name, make(getattr(store, name)))

    return breaks


def reversed_events(message: OadrDistributeEvent) -> OadrDistributeEvent:
    """A distribution change: its events in the reverse order."""
    return replace(message, events=tuple(reversed(message.events)))


class TamperedVtn(OurVtn):
    """Our VTN, but each event it creates (``on_create``), modifies (``on_modify``) or cancels
    (``on_cancel``) is stored altered, in the same transaction, so it goes out altered."""

    def __init__(
        self,
        device: OurVtn,
        *,
        on_create: Alter | None = None,
        on_modify: Alter | None = None,
        on_cancel: Alter | None = None,
    ) -> None:
        super().__init__(device.vtn, device.url, device.journal)
        self._alter = {"create": on_create, "modify": on_modify, "cancel": on_cancel}

    async def _altered(self, kind: str, act: Awaitable[None]) -> None:
        alter = self._alter[kind]
        if alter is None:
            await act
            return
        store = self.vtn.store
        async with store.transaction():
            await act
            changed = alter(self.events[-1])
            await store.save_event(changed)
            self.events[-1] = changed

    async def create_event(self, spec: EventSpec) -> None:
        await self._altered("create", super().create_event(spec))

    async def modify_event(self, event_id: str, spec: EventSpec) -> None:
        await self._altered("modify", super().modify_event(event_id, spec))

    async def cancel_event(self, event_id: str) -> None:
        await self._altered("cancel", super().cancel_event(event_id))


def tampered(**alterations: Alter | None) -> Breaks:
    """A VTN whose events are stored altered (see :class:`TamperedVtn`)."""
    return lambda device: TamperedVtn(device, **alterations)


def descriptor(**changes: Any) -> Alter:
    """An alteration of an event's eventDescriptor."""

    def alter(item: OadrEvent) -> OadrEvent:
        changed = replace(item.ei_event.event_descriptor, **changes)
        return replace(item, ei_event=replace(item.ei_event, event_descriptor=changed))

    return alter
