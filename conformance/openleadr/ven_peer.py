"""OpenLEADR 0.5.36's VEN (``OpenADRClient``, full-auto mode) as the device of the conformance suite.

Run with the interpreter of the private OpenLEADR environment (``tests/openleadr_env.py``), never
with ours: this file imports nothing of ``openadr_accel``, only the standard library, OpenLEADR
and :mod:`peer_common` (next to it). ``openleadr_devices.OpenLeadrVenFactory`` starts one per case.

At start the client runs as an OpenLEADR user would run it (``client.run()``): it queries the VTN
at ``--url``, registers (HTTP pull: OpenLEADR's VEN has no push endpoint; with the venID
``--ven-id`` provisions it with, if any), offers its reports, asks for its events and polls at
the VTN's frequency. It opts in to every event (``on_event``
and ``on_update_event`` answer ``optIn``) and offers two reports, both of resource
``device-1``, sampled from once a second to once an hour:

- ``TELEMETRY_USAGE`` (reportSpecifierID ``ol-telemetry-usage``): rID ``power`` (powerReal, W,
  1500.0) and rID ``energy`` (energyReal, Wh, 250.0);
- ``HISTORY_USAGE`` (``ol-history-usage``, a day of data): rID ``energy`` (250.0 per reading).

No ``TELEMETRY_STATUS``: OpenLEADR's report payloads are numbers only (its oadrUpdateReport
template has no ``oadrPayloadResourceStatus``), so a status report would go out as a number.

Then it carries out the commands of standard input (see :mod:`peer_common`), each through
OpenLEADR's own API:

``cancel_registration``
    ``client.cancel_party_registration()``.
``register_again`` ``{"keep_registration_id": bool}``
    renewing (``client.create_party_reregistration()``, OpenLEADR's re-registration procedure), or
    as a new registration (``query_registration``, ``create_party_registration`` without
    registrationID, ``register_reports``, ``sync_events``: what ``run()`` does).
``request_events``
    ``client.sync_events()`` (oadrRequestEvent, and oadrCreatedEvent for what comes).
``create_opt`` ``{"opt_type", "opt_reason", "targets": [{...}], "schedule": [[start, seconds]],
"event_id", "modification_number", "opt_id"}``
    ``client.create_opt(...)``; without a modificationNumber, the one of the event as the client
    received it. The result is what ``create_opt`` returned (the optID, or false).
``cancel_opt`` ``{"opt_id"}``
    ``client.cancel_opt(opt_id)``; the result is what it returned.
``state``
    the client's venID, registrationID, poll frequency, opts and received events.

Lines on standard output besides those of :mod:`peer_common`: ``registered`` (after each
oadrCreatePartyRegistration exchange: ``ven_id``, ``registration_id``, ``poll_seconds``),
``event`` (each ``on_event``/``on_update_event`` call: ``event_id``, ``modification_number``,
``status``), ``run_ended`` (``client.run()`` returned: the bootstrap is over, or it gave up).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_common import CommandLoop, Output, main_with, message_type, parse_time

RESOURCE_ID = "device-1"
USAGE_ID = "ol-telemetry-usage"
HISTORY_ID = "ol-history-usage"
POWER_VALUE = 1500.0
ENERGY_VALUE = 250.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the VTN's URL, up to /OpenADR2/Simple/2.0b")
    parser.add_argument("--ven-name", default="openleadr-ven")
    parser.add_argument("--ven-id", help="a venID provisioned beforehand (OpenADRClient(ven_id=...))")
    parser.add_argument("--cert", help="the VEN's certificate chain (PEM): TLS client certificate, signing")
    parser.add_argument("--key", help="its private key (PEM)")
    parser.add_argument("--ca", help="the CA bundle the VTN's certificate must chain to")
    parser.add_argument("--vtn-fingerprint", help="check every answer's signature against this fingerprint")
    parser.add_argument("--duration", type=float, default=3600.0, help="stop after this many seconds")
    return parser.parse_args(argv)


class Peer:
    """The client, its reports and handlers, and the commands."""

    def __init__(self, args: argparse.Namespace, output: Output) -> None:
        from openleadr import OpenADRClient  # noqa: PLC0415 (OpenLEADR's environment)

        self.args = args
        self.output = output
        self.client = OpenADRClient(
            ven_name=args.ven_name,
            vtn_url=args.url,
            ven_id=args.ven_id,
            cert=args.cert,
            key=args.key,
            ca_file=args.ca,
            vtn_fingerprint=args.vtn_fingerprint,
            show_fingerprint=False,  # certificate_fingerprint() reads one certificate: not a chain
        )
        self._offer_reports()
        self.client.add_handler("on_event", self.on_event)
        self.client.add_handler("on_update_event", self.on_event)
        self.client.add_hook("before_send_xml", lambda xml: self._wire("out", xml))
        self.client.add_hook("after_receive_xml", lambda xml: self._wire("in", xml))
        original = self.client.create_party_registration

        async def create_party_registration(**kwargs: Any) -> Any:
            result = await original(**kwargs)
            poll = self.client.poll_frequency
            self.output.emit(
                "registered",
                ven_id=self.client.ven_id if self.client.registration_id else None,
                registration_id=self.client.registration_id,
                poll_seconds=poll.total_seconds() if poll is not None else None,
            )
            return result

        self.client.create_party_registration = create_party_registration

    def _offer_reports(self) -> None:
        from openleadr import objects  # noqa: PLC0415 (OpenLEADR's environment)

        rate = objects.SamplingRate(
            min_period=timedelta(seconds=1), max_period=timedelta(hours=1), on_change=False
        )
        add = self.client.add_report
        add(
            callback=lambda: POWER_VALUE,
            resource_id=RESOURCE_ID,
            measurement="power_real",
            unit="W",
            report_specifier_id=USAGE_ID,
            r_id="power",
            report_duration=timedelta(hours=1),
            sampling_rate=rate,
        )
        add(
            callback=lambda: ENERGY_VALUE,
            resource_id=RESOURCE_ID,
            measurement="energy_real",
            unit="Wh",
            report_specifier_id=USAGE_ID,
            r_id="energy",
            report_duration=timedelta(hours=1),
            sampling_rate=rate,
        )

        def history(date_from: datetime, date_to: datetime, sampling_interval: timedelta) -> list[Any]:
            step = sampling_interval if sampling_interval and sampling_interval.total_seconds() > 0 else None
            if step is None:
                return [(date_to, ENERGY_VALUE)]
            readings: list[tuple[datetime, float]] = []
            moment = date_from
            while moment < date_to and len(readings) < 1000:
                readings.append((moment, ENERGY_VALUE))
                moment += step
            return readings

        add(
            callback=history,
            resource_id=RESOURCE_ID,
            measurement="energy_real",
            unit="Wh",
            report_name="HISTORY_USAGE",
            data_collection_mode="full",
            report_specifier_id=HISTORY_ID,
            r_id="energy",
            report_duration=timedelta(days=1),
            report_dtstart=datetime.now(UTC) - timedelta(days=1),
            sampling_rate=rate,
        )

    def _wire(self, direction: str, xml: str) -> None:
        self.output.emit("wire", direction=direction, type=message_type(xml))

    async def on_event(self, event: dict[str, Any]) -> str:
        descriptor = event["event_descriptor"]
        self.output.emit(
            "event",
            event_id=descriptor.get("event_id"),
            modification_number=descriptor.get("modification_number"),
            status=descriptor.get("event_status"),
        )
        return "optIn"

    # -- commands ---------------------------------------------------------------------------------

    def commands(self) -> dict[str, Any]:
        return {
            "cancel_registration": self.cancel_registration,
            "register_again": self.register_again,
            "request_events": self.request_events,
            "create_opt": self.create_opt,
            "cancel_opt": self.cancel_opt,
            "state": self.state,
        }

    async def cancel_registration(self, args: dict[str, Any]) -> Any:
        await self.client.cancel_party_registration()
        return {"registration_id": self.client.registration_id}

    async def register_again(self, args: dict[str, Any]) -> Any:
        client = self.client
        if args.get("keep_registration_id"):
            await client.create_party_reregistration()
        else:
            _, answer = await client.query_registration()
            request_id = (answer or {}).get("response", {}).get("request_id")
            await client.create_party_registration(ven_id=client.ven_id, request_id=request_id)
            if client.registration_id:
                await client.register_reports(client.reports)
                await client.sync_events()
        return {"ven_id": client.ven_id, "registration_id": client.registration_id}

    async def request_events(self, args: dict[str, Any]) -> Any:
        await self.client.sync_events()
        return None

    async def create_opt(self, args: dict[str, Any]) -> Any:
        from openleadr import objects, utils  # noqa: PLC0415 (OpenLEADR's environment)

        schedule = args.get("schedule") or []
        vavailability = None
        if schedule:
            vavailability = objects.Vavailability(
                components=[
                    objects.VavailabilityComponent(
                        dtstart=parse_time(start), duration=timedelta(seconds=float(duration))
                    )
                    for start, duration in schedule
                ]
            )
        event_id = args.get("event_id")
        modification_number = args.get("modification_number")
        if event_id is not None and modification_number is None:
            received = utils.find_by(self.client.received_events, "event_descriptor.event_id", event_id)
            if received is not None:
                modification_number = received["event_descriptor"]["modification_number"]
        return await self.client.create_opt(
            opt_type=args["opt_type"],
            opt_reason=args["opt_reason"],
            targets=[objects.Target(**target) for target in args.get("targets") or []],
            vavailability=vavailability,
            event_id=event_id,
            modification_number=modification_number,
            opt_id=args.get("opt_id"),
        )

    async def cancel_opt(self, args: dict[str, Any]) -> Any:
        return await self.client.cancel_opt(args["opt_id"])

    async def state(self, args: dict[str, Any]) -> Any:
        client = self.client
        return {
            "ven_id": client.ven_id,
            "registration_id": client.registration_id,
            "poll_seconds": client.poll_frequency.total_seconds() if client.poll_frequency else None,
            "opts": [opt.opt_id for opt in client.opts or []],
            "events": [
                {
                    "event_id": event["event_descriptor"]["event_id"],
                    "modification_number": event["event_descriptor"]["modification_number"],
                }
                for event in client.received_events or []
            ],
        }


async def _run(args: argparse.Namespace, output: Output) -> str:
    peer = Peer(args, output)
    loop = CommandLoop(output, peer.commands())
    loop.start_reading()

    def ended(task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            text = "".join(traceback.format_exception(error))
            output.emit("error", message=f"client.run() failed: {text}")
        output.emit("run_ended", registration_id=peer.client.registration_id)

    runner = asyncio.ensure_future(peer.client.run())
    runner.add_done_callback(ended)
    output.emit("ready", ven_name=args.ven_name, url=args.url)
    try:
        return await loop.run(args.duration)
    finally:
        if not runner.done():
            runner.cancel()
        client = peer.client
        if client.scheduler.running:
            client.scheduler.shutdown(wait=False)
        if client.report_queue_task:
            client.report_queue_task.cancel()
        if client.client_session is not None:
            await client.client_session.close()


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    return main_with(lambda output: _run(args, output))


if __name__ == "__main__":
    sys.exit(main())
