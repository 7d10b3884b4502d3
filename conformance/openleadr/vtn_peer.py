"""OpenLEADR 0.5.36's VTN (``OpenADRServer``) as the device of the conformance suite.

Run with the interpreter of the private OpenLEADR environment (``tests/openleadr_env.py``), never
with ours: this file imports nothing of ``openadr_accel``, only the standard library, OpenLEADR
and :mod:`peer_common` (next to it). ``openleadr_devices.OpenLeadrVtnFactory`` starts one per case.

The server listens on ``--host``:``--port`` under OpenLEADR's default prefix
(``/OpenADR2/Simple/2.0b``); with ``--cert``, ``--key`` and ``--ca`` it serves HTTPS, requires
client certificates, checks that each message of a registered VEN comes with the certificate it
registered with and is signed with it, and signs its own answers (OpenLEADR's defaults once it
has a certificate). It asks VENs to poll every ``--poll-seconds`` and accepts every VEN that
registers, as an OpenLEADR user's ``on_create_party_registration`` would: each venName gets a
venID (``ven-1``, ``ven-2``, ...; one it asks for is kept), each registration a new registrationID
(``reg-1``, ...). Its ``ven_lookup`` knows the registered VENs (so OpenLEADR answers the messages
of unknown VENs with oadrRequestReregistration, its documented mechanism). It requests no report
unless told to (``on_register_report`` in full mode answers None).

Commands of standard input (see :mod:`peer_common`), each through OpenLEADR's own API:

``create_event`` ``{"ven_id", "signals": [{"name", "type", "intervals": [[seconds, value]], "signal_id",
"measurement": {...} | null, "targets": [{...}]}], "start", "priority", "response_required",
"market_context", "test_event", "start_after" (s), "vtn_comment", "targets": [{...}]}``
    builds an ``objects.Event`` (modificationNumber 0) and queues it with
    ``server.add_raw_event(ven_id, event, callback=..., delivery_callback=...)``; the result is
    its eventID.
``cancel_event`` ``{"event_id"}``
    ``server.cancel_event(ven_id, event_id)`` for the VEN the event was made for.
``request_reregistration`` ``{"ven_id"}``
    the VEN's registration is forgotten by ``ven_lookup`` (its venID is kept for when it comes
    back), so that OpenLEADR answers its next message with oadrRequestReregistration.
``request_on_registered_report`` ``{"ven_id", "report_specifier_id", "r_ids": [...] | null,
"granularity" (s), "report_back_duration" (s)}``
    the VEN's next oadrRegisterReport offering that report is answered (``on_register_report``,
    full mode) with a request for it, on the oadrRegisteredReport.
``state``
    the VENs, the events (eventID, venID, modificationNumber, status) and the report data so far.

Lines on standard output besides those of :mod:`peer_common`: ``registered``
(``ven_id``, ``registration_id``, ``ven_name``, ``http_pull_model``, ``transport_address``),
``registration_cancelled``, ``event_delivered``, ``event_response`` (OpenLEADR's opt callback),
``report_requested``, ``report_data``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_common import CommandLoop, Output, main_with, message_type, parse_time

PATH_PREFIX = "/OpenADR2/Simple/2.0b"
DEFAULT_MARKET_CONTEXT = "oadr://unknown.context"
"""OpenLEADR's own default (``add_event``), for an event the case gives no market context."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--vtn-id", default="OPENLEADR-VTN")
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--cert", help="its certificate chain (PEM): TLS server certificate, and signing")
    parser.add_argument("--key", help="its private key (PEM)")
    parser.add_argument("--ca", help="the CA bundle client certificates must chain to")
    parser.add_argument("--duration", type=float, default=3600.0, help="stop after this many seconds")
    return parser.parse_args(argv)


class Peer:
    """The server's state, handlers and commands."""

    def __init__(self, args: argparse.Namespace, output: Output) -> None:
        from openleadr import OpenADRServer  # noqa: PLC0415 (OpenLEADR's environment)

        self.args = args
        self.output = output
        self.vens_by_name: dict[str, str] = {}
        self.vens: dict[str, dict[str, Any]] = {}
        self.registrations = 0
        self.event_owner: dict[str, str] = {}
        self.wanted_reports: list[dict[str, Any]] = []
        self.report_data: list[dict[str, Any]] = []
        tls = bool(args.cert and args.key and args.ca)
        self.server = OpenADRServer(
            vtn_id=args.vtn_id,
            cert=args.cert if tls else None,
            key=args.key if tls else None,
            show_fingerprint=False,  # certificate_fingerprint() reads one certificate: not a chain
            http_port=args.port,
            http_host=args.host,
            http_cert=args.cert if tls else None,
            http_key=args.key if tls else None,
            http_ca_file=args.ca if tls else None,
            requested_poll_freq=timedelta(seconds=args.poll_seconds),
            ven_lookup=self.ven_lookup,
        )
        self.server.add_handler("on_create_party_registration", self.on_create_party_registration)
        self.server.add_handler("on_cancel_party_registration", self.on_cancel_party_registration)
        self.server.add_handler("on_register_report", self.on_register_report)
        self.server.app.middlewares.append(self._middleware())

    # -- registration -------------------------------------------------------------------------------

    def ven_lookup(self, ven_id: str) -> dict[str, Any] | None:
        return self.vens.get(ven_id)

    async def on_create_party_registration(self, payload: dict[str, Any]) -> tuple[str, str]:
        ven_name = str(payload.get("ven_name"))
        asked = payload.get("ven_id")
        ven_id = str(asked) if asked else self.vens_by_name.get(ven_name)
        ven_id = ven_id or f"ven-{len(self.vens_by_name) + 1}"
        self.vens_by_name[ven_name] = ven_id
        self.registrations += 1
        registration_id = f"reg-{self.registrations}"
        self.vens[ven_id] = {
            "ven_id": ven_id,
            "ven_name": ven_name,
            "registration_id": registration_id,
            "fingerprint": payload.get("fingerprint"),  # its TLS client certificate's (set by OpenLEADR)
        }
        self.output.emit(
            "registered",
            ven_id=ven_id,
            registration_id=registration_id,
            ven_name=ven_name,
            http_pull_model=payload.get("http_pull_model"),
            transport_address=payload.get("transport_address"),
        )
        return ven_id, registration_id

    async def on_cancel_party_registration(self, payload: dict[str, Any]) -> None:
        ven_id = str(payload.get("ven_id"))
        self.vens.pop(ven_id, None)
        self.output.emit(
            "registration_cancelled", ven_id=ven_id, registration_id=payload.get("registration_id")
        )

    # -- reports ------------------------------------------------------------------------------------

    async def on_register_report(self, report: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        """Full mode: called for each METADATA_TELEMETRY_USAGE / _STATUS report offered."""
        specifier = report.get("report_specifier_id")
        for wanted in list(self.wanted_reports):
            if wanted["report_specifier_id"] != specifier:
                continue
            self.wanted_reports.remove(wanted)
            offered = [description["r_id"] for description in report.get("report_descriptions") or []]
            r_ids = wanted.get("r_ids") or offered
            granularity = timedelta(seconds=float(wanted.get("granularity") or 0))
            report_back = timedelta(seconds=float(wanted.get("report_back_duration") or 0))
            self.output.emit("report_requested", report_specifier_id=specifier, r_ids=r_ids)
            return [(r_id, self._received(str(specifier), r_id), granularity, report_back) for r_id in r_ids]
        return None

    def _received(self, specifier: str, r_id: str) -> Callable[[list[tuple[datetime, Any]]], None]:
        def received(values: list[tuple[datetime, Any]]) -> None:
            line = {
                "report_specifier_id": specifier,
                "r_id": r_id,
                "values": [[start.isoformat(), value] for start, value in values],
            }
            self.report_data.append(line)
            self.output.emit("report_data", **line)

        return received

    # -- events -------------------------------------------------------------------------------------

    def _event(self, spec: dict[str, Any]) -> Any:
        from openleadr import objects, utils  # noqa: PLC0415 (OpenLEADR's environment)

        start = parse_time(spec["start"])
        signals = []
        end = start
        for position, signal in enumerate(spec["signals"]):
            intervals = []
            moment = start
            for duration, value in signal["intervals"]:
                length = timedelta(seconds=float(duration))
                intervals.append(objects.Interval(dtstart=moment, duration=length, signal_payload=value))
                moment += length
            end = max(end, moment)
            measurement = signal.get("measurement")
            signals.append(
                objects.EventSignal(
                    intervals=intervals,
                    signal_name=signal["name"],
                    signal_type=signal["type"],
                    signal_id=signal.get("signal_id") or str(position),
                    targets=[objects.Target(**target) for target in signal.get("targets") or []] or None,
                    measurement=None if measurement is None else _measurement(measurement),
                )
            )
        start_after = spec.get("start_after")
        active_period = objects.ActivePeriod(
            dtstart=start,
            duration=end - start,
            tolerance=None if not start_after else {"startafter": timedelta(seconds=float(start_after))},
        )
        descriptor = objects.EventDescriptor(
            event_id=utils.generate_id(),
            modification_number=0,
            market_context=spec.get("market_context") or DEFAULT_MARKET_CONTEXT,
            event_status="far",
            created_date_time=datetime.now(UTC),
            priority=spec.get("priority"),
            test_event=bool(spec.get("test_event")),
            vtn_comment=spec.get("vtn_comment"),
        )
        targets = [objects.Target(**target) for target in spec.get("targets") or []]
        return objects.Event(
            event_descriptor=descriptor,
            event_signals=signals,
            targets=targets or [objects.Target(ven_id=spec["ven_id"])],
            active_period=active_period,
            response_required=spec.get("response_required") or "always",
        )

    async def create_event(self, args: dict[str, Any]) -> Any:
        ven_id = str(args["ven_id"])
        event = self._event(args)
        event_id = event.event_descriptor.event_id
        output = self.output

        def answered(ven_id: str, event_id: str, opt_type: str) -> None:
            output.emit("event_response", ven_id=ven_id, event_id=event_id, opt_type=opt_type)

        def delivered() -> None:
            output.emit("event_delivered", ven_id=ven_id, event_id=event_id)

        self.server.add_raw_event(
            ven_id=ven_id,
            event=event,
            callback=answered if event.response_required == "always" else None,
            delivery_callback=delivered,
        )
        self.event_owner[event_id] = ven_id
        return event_id

    async def cancel_event(self, args: dict[str, Any]) -> Any:
        event_id = str(args["event_id"])
        ven_id = self.event_owner.get(event_id)
        if ven_id is None:
            raise KeyError(f"no event {event_id!r} was created through this peer")
        self.server.cancel_event(ven_id, event_id)
        return None

    # -- registrations --------------------------------------------------------------------------------

    async def request_reregistration(self, args: dict[str, Any]) -> Any:
        ven_id = str(args["ven_id"])
        known = self.vens.get(ven_id)
        if known is None:
            raise KeyError(f"VEN {ven_id!r} is not registered")
        known["registration_id"] = None  # ven_lookup: not registered, so OpenLEADR asks it to re-register
        return None

    async def request_on_registered_report(self, args: dict[str, Any]) -> Any:
        self.wanted_reports.append(dict(args))
        return None

    async def state(self, args: dict[str, Any]) -> Any:
        from openleadr import utils  # noqa: PLC0415 (OpenLEADR's environment)

        events = [
            {
                "ven_id": ven_id,
                "event_id": utils.getmember(event, "event_descriptor.event_id"),
                "modification_number": utils.getmember(event, "event_descriptor.modification_number"),
                "status": utils.getmember(event, "event_descriptor.event_status"),
            }
            for ven_id, queued in self.server.events.items()
            for event in queued
        ]
        return {"vens": self.vens, "events": events, "report_data": self.report_data}

    def commands(self) -> dict[str, Any]:
        return {
            "create_event": self.create_event,
            "cancel_event": self.cancel_event,
            "request_reregistration": self.request_reregistration,
            "request_on_registered_report": self.request_on_registered_report,
            "state": self.state,
        }

    # -- the wire -----------------------------------------------------------------------------------

    def _middleware(self) -> Any:
        from aiohttp import web  # noqa: PLC0415 (OpenLEADR's environment)

        output = self.output

        @web.middleware
        async def record(request: web.Request, handler: Any) -> Any:
            service = request.path.rsplit("/", 1)[-1]
            body = await request.read()  # aiohttp keeps it for the handler
            output.emit("wire", direction="in", service=service, type=message_type(body))
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # 404 and 405 from the router
                response = exc
            text = response.text if isinstance(response, web.Response) and response.text else ""
            output.emit(
                "wire", direction="out", service=service, type=message_type(text), status=response.status
            )
            if isinstance(response, web.HTTPException):
                raise response
            return response

        return record


def _measurement(spec: dict[str, Any]) -> Any:
    from openleadr import objects  # noqa: PLC0415 (OpenLEADR's environment)

    attributes = spec.get("power_attributes")
    return objects.Measurement(
        name=spec["name"],
        description=spec["description"],
        unit=spec["unit"],
        scale=spec.get("scale"),
        power_attributes=None if attributes is None else objects.PowerAttributes(**attributes),
        pulse_factor=spec.get("pulse_factor"),
    )


async def _run(args: argparse.Namespace, output: Output) -> str:
    peer = Peer(args, output)
    loop = CommandLoop(output, peer.commands())
    await peer.server.run()
    loop.start_reading()
    scheme = "https" if args.cert and args.key and args.ca else "http"
    output.emit("ready", url=f"{scheme}://{args.host}:{args.port}{PATH_PREFIX}", vtn_id=args.vtn_id)
    try:
        return await loop.run(args.duration)
    finally:
        await peer.server.stop()


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    return main_with(lambda output: _run(args, output))


if __name__ == "__main__":
    sys.exit(main())
