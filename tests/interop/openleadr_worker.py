"""OpenLEADR 0.5.36 as a message codec, driven over JSON lines on stdin/stdout.

Run with the interpreter of the private OpenLEADR environment (``tests/openleadr_env.py``), never
with ours: OpenLEADR pins ``signxml<5`` and ``xmltodict==0.13``. This file imports nothing of
``openadr_accel`` and nothing outside the standard library and OpenLEADR.

Protocol: one JSON object per line in, one JSON object per line out, in order.

``{"op": "ping"}``
    -> ``{"version": "0.5.36"}`` (the OpenLEADR version in use).
``{"op": "templates"}``
    -> ``{"templates": ["oadrCancelOpt", ...]}``: the messages ``create_message`` has a template
    for (``openleadr/templates/*.xml``, without the ``oadrPayload`` envelope).
``{"op": "create", "type": "oadrDistributeEvent", "payload": {...}}``
    -> ``{"xml": "...", "warnings": [...]}``. ``payload`` holds the keyword arguments of
    ``openleadr.messaging.create_message(type, **payload)``; the result is validated with
    ``openleadr.messaging.validate_xml_schema`` before it is returned.
``{"op": "parse", "xml": "..."}``
    -> ``{"type": "oadrDistributeEvent", "payload": {...}, "warnings": [...]}``: the document
    is validated with ``validate_xml_schema``, then read with ``parse_message`` (whose payload is
    already normalised by ``openleadr.utils.normalize_dict``).
``{"op": "sign", "type": "oadrPoll", "payload": {...}, "cert": "-----BEGIN ...", "key": "-----BEGIN ..."}``
    -> ``{"xml": "...", "warnings": [...]}``: as ``create``, but signed: ``cert`` and ``key``
    (PEM text) are passed, as bytes, to ``create_message(type, cert=..., key=..., **payload)``;
    the result is validated with ``validate_xml_schema`` before it is returned (the signature is
    not checked).
``{"op": "verify_signature", "xml": "...", "fingerprint": "AB:CD:..."}``
    -> ``{"type": "oadrPoll", "payload": {...}, "warnings": [...]}``: the document is validated with
    ``validate_xml_schema``, its signature with ``validate_xml_signature(tree,
    cert_fingerprint=fingerprint)`` (``fingerprint`` may be null or absent: then any signer is
    accepted), then it is read with ``parse_message``. OpenLEADR remembers every (timestamp,
    nonce) it accepts, for this whole process: a document verifies once.
``{"op": "fingerprint", "cert": "-----BEGIN ..."}``
    -> ``{"fingerprint": "AB:CD:..."}``: ``openleadr.utils.certificate_fingerprint(cert)``.

``warnings`` lists what OpenLEADR logged at WARNING or above while handling the request (its
preflight checks log when they silently change a message). Any failure answers
``{"error": "ExceptionType: message"}``; the worker keeps running. A line that is not JSON gets an
error answer too. End of input ends the worker.

Values JSON cannot carry travel tagged, in both directions, as a one-key object:

``{"$datetime": "2026-07-01T14:00:00+00:00"}``
    a ``datetime`` (ISO 8601 via ``isoformat``; naive datetimes have no offset).
``{"$timedelta": 3600.0}``
    a ``timedelta``, as its total number of seconds.

Tuples travel as lists; everything else (str, int, float, bool, None, dict, list) as itself.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

DATETIME_TAG = "$datetime"
TIMEDELTA_TAG = "$timedelta"


def tag(value: Any) -> Any:
    """Make ``value`` JSON-serialisable, tagging datetimes and timedeltas."""
    if isinstance(value, datetime):
        return {DATETIME_TAG: value.isoformat()}
    if isinstance(value, timedelta):
        return {TIMEDELTA_TAG: value.total_seconds()}
    if isinstance(value, dict):
        return {str(key): tag(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [tag(item) for item in value]
    return value


def untag(value: Any) -> Any:
    """Undo :func:`tag`."""
    if isinstance(value, dict):
        if len(value) == 1:
            if DATETIME_TAG in value:
                return datetime.fromisoformat(value[DATETIME_TAG])
            if TIMEDELTA_TAG in value:
                return timedelta(seconds=value[TIMEDELTA_TAG])
        return {key: untag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [untag(item) for item in value]
    return value


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _text(request: dict[str, Any], key: str) -> str:
    value = request.get(key)
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string")
    return value


def _handle(request: dict[str, Any]) -> dict[str, Any]:
    from openleadr import messaging  # type: ignore[import-not-found]  # noqa: PLC0415 (errors become answers)

    op = request.get("op")
    if op == "ping":
        return {"version": importlib.metadata.version("openleadr")}
    if op == "templates":
        directory = Path(messaging.__file__).with_name("templates")
        names = sorted(path.stem for path in directory.glob("*.xml") if path.stem != "oadrPayload")
        return {"templates": names}
    if op == "create":
        payload = untag(request["payload"])
        if not isinstance(payload, dict):
            raise TypeError("'payload' must be an object")
        xml = messaging.create_message(request["type"], **payload)
        messaging.validate_xml_schema(xml)
        return {"xml": xml}
    if op == "parse":
        messaging.validate_xml_schema(request["xml"])
        message_type, message_payload = messaging.parse_message(request["xml"])
        return {"type": message_type, "payload": tag(message_payload)}
    if op == "sign":
        payload = untag(request["payload"])
        if not isinstance(payload, dict):
            raise TypeError("'payload' must be an object")
        cert, key = _text(request, "cert").encode("ascii"), _text(request, "key").encode("ascii")
        xml = messaging.create_message(request["type"], cert=cert, key=key, **payload)
        messaging.validate_xml_schema(xml)
        return {"xml": xml}
    if op == "verify_signature":
        expected = request.get("fingerprint")
        if expected is not None and not isinstance(expected, str):
            raise TypeError("'fingerprint' must be a string or null")
        tree = messaging.validate_xml_schema(_text(request, "xml"))
        messaging.validate_xml_signature(tree, cert_fingerprint=expected)
        message_type, message_payload = messaging.parse_message(request["xml"])
        return {"type": message_type, "payload": tag(message_payload)}
    if op == "fingerprint":
        from openleadr import utils  # noqa: PLC0415 (as above)

        return {"fingerprint": utils.certificate_fingerprint(_text(request, "cert"))}
    raise ValueError(f"unknown op {op!r}")


def serve(lines: TextIO, out: TextIO) -> None:
    """Answer each request line of ``lines`` with one line on ``out``."""
    logger = logging.getLogger("openleadr")
    logger.propagate = False
    for line in lines:
        if not line.strip():
            continue
        collector = _Collector()
        logger.addHandler(collector)
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise TypeError("a request must be a JSON object")
            answer = _handle(request)
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            logger.removeHandler(collector)
        if "error" not in answer:
            answer["warnings"] = collector.messages
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main() -> None:
    protocol_out = sys.stdout
    sys.stdout = sys.stderr  # a stray print() must not corrupt the protocol
    serve(sys.stdin, protocol_out)


if __name__ == "__main__":
    main()
