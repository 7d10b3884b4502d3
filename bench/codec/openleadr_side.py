"""The OpenLEADR side of ``bench/codec``: OpenLEADR 0.5.36 timing its own round trips.

This script runs under the private OpenLEADR interpreter (``tests/openleadr_env.py`` builds it),
never under ours: OpenLEADR is not importable in our environment. ``run.py`` starts it once and
talks to it in JSON lines, one request on stdin, one answer on stdout:

``{"op": "setup", "workloads": {NAME: {"message_type": ..., "payload": {...}, "expect": {...}}}}``
    Stores the ``create_message`` keyword arguments of each workload (datetimes and timedeltas
    tagged as ``{"$datetime": iso}`` / ``{"$timedelta": seconds}``), does one checked round trip
    of each and answers ``{"version": ..., "documents": {NAME: xml}}``.
``{"op": "round_trip", "workload": NAME, "seconds": S}``
    Times ``create_message`` + ``validate_xml_schema`` + ``parse_message`` for about ``S``
    seconds and answers ``{"count": n, "elapsed": s}``.
``{"op": "split", "workload": NAME, "seconds": S}``
    Times each of the three steps alone for about ``S`` seconds each and answers
    ``{"create": {"count", "elapsed"}, "validate": {...}, "parse": {...}}``.

One round trip is what an OpenLEADR VTN or VEN does per message: ``create_message`` (preflight,
Jinja templates, no signature) on the sending side, then on the receiving side
``validate_xml_schema`` (lxml parse with the XSD attached) and ``parse_message`` (xmltodict and
``normalize_dict``). The keyword arguments are plain dicts, OpenLEADR's cheapest input (its
``objects`` dataclasses would add an ``asdict`` per message).

Every timed run ends by checking the last parsed result (the message type, the number of
intervals), so a no-op would be noticed.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from openleadr.messaging import (  # type: ignore[import-not-found, unused-ignore]
    create_message,
    parse_message,
    validate_xml_schema,
)

DATETIME_TAG = "$datetime"
TIMEDELTA_TAG = "$timedelta"

Json = dict[str, Any]


def untag(value: Any) -> Any:
    """JSON back to ``create_message`` arguments: tagged datetimes and timedeltas restored."""
    if isinstance(value, dict):
        if len(value) == 1 and DATETIME_TAG in value:
            return datetime.fromisoformat(value[DATETIME_TAG])
        if len(value) == 1 and TIMEDELTA_TAG in value:
            return timedelta(seconds=value[TIMEDELTA_TAG])
        return {key: untag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [untag(item) for item in value]
    return value


class Workload:
    """One message: its type, its ``create_message`` arguments and what its parse must show."""

    def __init__(self, spec: Json) -> None:
        self.message_type: str = spec["message_type"]
        self.payload: Json = untag(spec["payload"])
        self.expect: Json = spec["expect"]
        # The first create_message lets preflight fill in its defaults in place; later calls
        # then see the same arguments every time.
        self.document: str = create_message(self.message_type, **self.payload)

    def create(self) -> str:
        return str(create_message(self.message_type, **self.payload))

    def round_trip(self) -> tuple[str, Json]:
        data = create_message(self.message_type, **self.payload)
        validate_xml_schema(data)
        message_type, payload = parse_message(data)
        return message_type, payload

    def check(self, parsed: tuple[str, Json]) -> None:
        """Raise unless ``parsed`` is this workload's message with all its intervals."""
        message_type, payload = parsed
        if message_type != self.message_type:
            raise AssertionError(f"parse_message returned {message_type}, not {self.message_type}")
        expect = self.expect
        if "event_id" in expect:
            (event,) = payload["events"]
            if event["event_descriptor"]["event_id"] != expect["event_id"]:
                raise AssertionError(f"wrong event parsed: {event['event_descriptor']}")
            values = [interval["signal_payload"] for interval in event["event_signals"][0]["intervals"]]
        else:
            (report,) = payload["reports"]
            if report["report_request_id"] != expect["report_request_id"]:
                raise AssertionError(f"wrong report parsed: {report['report_request_id']}")
            values = [interval["report_payload"]["value"] for interval in report["intervals"]]
        if values != expect["values"]:
            raise AssertionError(f"parsed values {values} differ from {expect['values']}")


def timed(step: Callable[[], object], seconds: float) -> tuple[int, float, object]:
    """Call ``step`` until ``seconds`` have passed; the count, the elapsed time, the last result."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        result = step()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count, now - start, result


def handle(request: Json, workloads: dict[str, Workload]) -> Json:
    op = request["op"]
    if op == "setup":
        workloads.clear()
        for name, spec in request["workloads"].items():
            workload = workloads[name] = Workload(spec)
            workload.check(workload.round_trip())
        return {
            "version": importlib.metadata.version("openleadr"),
            "python": sys.version.split()[0],
            "documents": {name: workload.document for name, workload in workloads.items()},
        }
    workload = workloads[request["workload"]]
    seconds = float(request["seconds"])
    if op == "round_trip":
        count, elapsed, result = timed(workload.round_trip, seconds)
        workload.check(result)  # type: ignore[arg-type]
        return {"count": count, "elapsed": elapsed}
    if op == "split":
        document = workload.create()
        tree = validate_xml_schema(document)
        steps: dict[str, Callable[[], object]] = {
            "create": workload.create,
            "validate": lambda: validate_xml_schema(document),
            "parse": lambda: parse_message(document),
        }
        answer: Json = {}
        for step_name, step in steps.items():
            count, elapsed, result = timed(step, seconds)
            answer[step_name] = {"count": count, "elapsed": elapsed}
            if step_name == "parse":
                workload.check(result)  # type: ignore[arg-type]
        if tree is None:
            raise AssertionError("validate_xml_schema returned nothing")
        return answer
    raise ValueError(f"unknown op {op!r}")


def serve(handle_request: Callable[[Any, Any], Any], state: Any) -> None:
    """Answer JSON-line requests on stdin with ``handle_request(request, state)``, one line each;
    an exception becomes ``{"error": ...}`` so the driver can report it."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = handle_request(json.loads(line), state)
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main() -> None:
    workloads: dict[str, Workload] = {}
    serve(handle, workloads)


if __name__ == "__main__":
    main()
