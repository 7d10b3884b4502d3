"""An OpenLEADR 0.5.36 VEN (its ``OpenADRClient``, in full-auto mode) for the VTN interop tests.

Run with the interpreter of the private OpenLEADR environment (``tests/openleadr_env.py``), never
with ours. This file imports nothing of ``openadr_accel``: only the standard library and OpenLEADR.

The VEN registers with the VTN at ``--url``, offers one TELEMETRY_USAGE report (the voltage of
resource ``charger-1``, sampled at most once a second), opts in to every event it receives, and
sends whatever reports the VTN asks for, until ``--duration`` seconds have passed or its standard
input ends (the test closes it to stop the VEN). Then it stops the client and exits 0.

It writes one JSON object per line to standard output (anything else OpenLEADR prints goes to
standard error):

``{"kind": "started", "fingerprint": "AB:..." | null, "report_specifier_id": ..., "r_id": ...}``
    the client exists; ``fingerprint`` is OpenLEADR's fingerprint of its own certificate.
``{"kind": "registered", "ven_id": ..., "registration_id": ..., "poll_frequency": seconds}``
    after the oadrCreatePartyRegistration exchange (``ven_id`` null if it failed).
``{"kind": "event", "event_id": ..., "modification_number": n, "status": ..., "signals": [...]}``
    the ``on_event`` handler was called (it answers ``optIn``).
``{"kind": "sampled", "report_specifier_id": ..., "r_id": ..., "value": v}``
    the report callback produced ``v`` (values are 230.0, 230.5, 231.0, ... in call order).
``{"kind": "report_sent", "report_request_id": ..., "values": [[dtstart, r_id, value], ...]}``
    an oadrUpdateReport is about to go out, with its intervals.
``{"kind": "wire", "direction": "out" | "in", "type": ..., "xml": ...}``
    every document sent or received (``type`` is the root's child element, without namespace).
``{"kind": "log", "level": "WARNING", "message": ...}``
    what OpenLEADR logged at WARNING or above.
``{"kind": "error", "message": ...}``
    this script failed (with the traceback); it exits 1.
``{"kind": "stopped", "reason": "deadline" | "stdin closed"}``
    the client was stopped; the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import threading
import traceback
from datetime import timedelta
from typing import Any, TextIO

REPORT_SPECIFIER_ID = "charger-1-telemetry"
R_ID = "charger-1-voltage"
RESOURCE_ID = "charger-1"
FIRST_VALUE = 230.0
VALUE_STEP = 0.5

_PEM_END = "-----END CERTIFICATE-----"


class Output:
    """JSON lines on the real standard output, one write per line (threads may write too)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def emit(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"kind": kind, **fields}, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class _LogToOutput(logging.Handler):
    def __init__(self, output: Output) -> None:
        super().__init__(level=logging.WARNING)
        self._output = output

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # OpenLEADR logs with stray arguments: logger.info(type, payload)
            message = f"{record.msg!r} {record.args!r}"
        self._output.emit("log", level=record.levelname, logger=record.name, message=message)


def _message_type(xml: str) -> str | None:
    from lxml import etree  # noqa: PLC0415 (OpenLEADR's environment, not ours: see main)

    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None
    signed = root.find("{http://openadr.org/oadr-2.0b/2012/07}oadrSignedObject")
    if signed is None or len(signed) == 0:
        return None
    return etree.QName(signed[0]).localname


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the VTN's URL, up to /OpenADR2/Simple/2.0b")
    parser.add_argument("--ven-name", required=True)
    parser.add_argument("--cert", help="the VEN's certificate chain (PEM): TLS client cert and signing")
    parser.add_argument("--key", help="its private key (PEM)")
    parser.add_argument("--ca", help="the CA bundle the VTN's certificate must chain to")
    parser.add_argument(
        "--vtn-fingerprint", help="verify every answer's XML signature against this VTN fingerprint"
    )
    parser.add_argument(
        "--xml-signature",
        action="store_true",
        help="register with oadrXmlSignature=true (OpenLEADR's run() always sends false)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="stop after this many seconds")
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace, output: Output) -> str:
    from openleadr import OpenADRClient, utils  # type: ignore[import-not-found]  # noqa: PLC0415 (as above)

    client = OpenADRClient(
        ven_name=args.ven_name,
        vtn_url=args.url,
        cert=args.cert,
        key=args.key,
        ca_file=args.ca,
        vtn_fingerprint=args.vtn_fingerprint,
        show_fingerprint=False,  # True prints it with certificate_fingerprint(): see below
    )

    samples = 0

    def sample() -> float:
        nonlocal samples
        value = FIRST_VALUE + VALUE_STEP * samples
        samples += 1
        output.emit("sampled", report_specifier_id=REPORT_SPECIFIER_ID, r_id=R_ID, value=value)
        return value

    client.add_report(
        callback=sample,
        resource_id=RESOURCE_ID,
        measurement="voltage",
        sampling_rate=timedelta(seconds=1),
        report_specifier_id=REPORT_SPECIFIER_ID,
        r_id=R_ID,
        report_duration=timedelta(hours=1),
    )

    async def on_event(event: dict[str, Any]) -> str:
        descriptor = event["event_descriptor"]
        signals = event["event_signals"]
        if isinstance(signals, dict):  # OpenLEADR's shape when there is a baseline
            signals = signals["event_signals"]
        output.emit(
            "event",
            event_id=descriptor["event_id"],
            modification_number=descriptor["modification_number"],
            status=descriptor["event_status"],
            signals=[
                {
                    "name": signal["signal_name"],
                    "type": signal["signal_type"],
                    "values": [interval.get("signal_payload") for interval in signal["intervals"]],
                }
                for signal in signals
            ],
        )
        return "optIn"

    client.add_handler("on_event", on_event)

    original_registration = client.create_party_registration

    async def create_party_registration(**kwargs: Any) -> Any:
        kwargs.setdefault("xml_signature", args.xml_signature)
        result = await original_registration(**kwargs)
        poll = client.poll_frequency.total_seconds() if client.poll_frequency is not None else None
        output.emit(
            "registered",
            ven_id=client.ven_id if client.registration_id else None,
            registration_id=client.registration_id,
            poll_frequency=poll,
        )
        return result

    client.create_party_registration = create_party_registration

    def sent(xml: str) -> None:
        kind = _message_type(xml)
        output.emit("wire", direction="out", type=kind, xml=xml)
        if kind == "oadrUpdateReport":
            from openleadr.messaging import parse_message  # type: ignore[import-not-found]  # noqa: PLC0415

            _, payload = parse_message(xml)
            for report in payload.get("reports", []):
                output.emit(
                    "report_sent",
                    report_request_id=str(report["report_request_id"]),
                    values=[
                        [
                            interval["dtstart"].isoformat(),
                            interval["report_payload"]["r_id"],
                            interval["report_payload"]["value"],
                        ]
                        for interval in report.get("intervals", [])
                    ],
                )

    def received(xml: str) -> None:
        output.emit("wire", direction="in", type=_message_type(xml), xml=xml)

    client.add_hook("before_send_xml", sent)
    client.add_hook("after_receive_xml", received)

    fingerprint = None
    if args.cert:
        # OpenLEADR's certificate_fingerprint() reads one certificate: given the chain file it
        # base64-decodes across the PEM boundary, and fails unless the leaf's base64 ends in
        # padding (which is also why show_fingerprint is off above). It gets the leaf alone.
        with open(args.cert, encoding="ascii") as file:
            leaf = file.read().split(_PEM_END)[0] + _PEM_END + "\n"
        fingerprint = utils.certificate_fingerprint(leaf)
    output.emit("started", fingerprint=fingerprint, report_specifier_id=REPORT_SPECIFIER_ID, r_id=R_ID)

    loop = asyncio.get_running_loop()
    stdin_closed = asyncio.Event()

    def watch_stdin() -> None:
        for _ in sys.stdin:
            pass
        loop.call_soon_threadsafe(stdin_closed.set)

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    runner = asyncio.ensure_future(client.run())
    stop = asyncio.ensure_future(stdin_closed.wait())
    try:
        await asyncio.wait({runner, stop}, timeout=args.duration, return_when=asyncio.FIRST_EXCEPTION)
        reason = "stdin closed" if stop.done() else "deadline"
        if runner.done():
            runner.result()  # raises what client.run() raised
    finally:
        stop.cancel()
        if not runner.done():
            runner.cancel()
        if client.client_session is not None:
            await client.stop()
    return reason


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    output = Output(sys.stdout)
    sys.stdout = sys.stderr  # stray prints must not break the JSON lines
    openleadr_logger = logging.getLogger("openleadr")
    openleadr_logger.addHandler(_LogToOutput(output))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        reason = asyncio.run(_run(args, output))
    except BaseException:  # reported on stdout, where the test reads
        output.emit("error", message=traceback.format_exc())
        return 1
    output.emit("stopped", reason=reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
