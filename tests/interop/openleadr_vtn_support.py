"""Running ``openleadr_vtn.py`` (an OpenLEADR 0.5.36 VTN) as a child process and following it.

``start_vtn`` starts the VTN on a free loopback port, waits (bounded) for its ``ready`` line and
yields a :class:`VtnProcess`: the URL a VEN connects to, the lines the VTN printed so far (see
``openleadr_vtn.py`` for their kinds and fields) and bounded waits on them, failing with the VTN's
transcript. Example::

    async with start_vtn(python, events=[event_spec(intervals=[(600, 1)])], report=True) as vtn:
        ...  # a VEN registers at vtn.url
        registered = await vtn.wait_kind("registered", timeout=20)
        answer = await vtn.wait_kind("event_response", timeout=10, ven_id=registered["ven_id"])
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openleadr_process import Line, OpenLEADRProcess, openleadr_interpreter, start_script
from vtn_process import free_port

__all__ = ["TlsFiles", "VtnProcess", "event_spec", "openleadr_interpreter", "start_vtn"]

VTN_SCRIPT = Path(__file__).with_name("openleadr_vtn.py")
READY_WAIT = 20.0


@dataclass(frozen=True)
class TlsFiles:
    """The VTN's TLS server certificate chain and key, and the CA bundle client certificates
    must chain to (OpenLEADR then requires a client certificate)."""

    certificate: Path
    key: Path
    ca_bundle: Path


def event_spec(
    *,
    intervals: Sequence[tuple[float, float]],
    signal_name: str = "SIMPLE",
    signal_type: str = "level",
    start_offset: float = 60.0,
    response_required: str = "always",
    event_id: str | None = None,
    market_context: str | None = None,
    targets_by_type: dict[str, list[str]] | None = None,
    add_after: float = 0.0,
    cancel_after: float | None = None,
) -> dict[str, Any]:
    """The ``--event`` JSON of ``openleadr_vtn.py``: ``intervals`` are (duration in s, value);
    the event starts ``start_offset`` seconds after it is added, which is ``add_after`` seconds
    after the VEN registered; it is cancelled ``cancel_after`` seconds after it was added."""
    spec: dict[str, Any] = {
        "signal_name": signal_name,
        "signal_type": signal_type,
        "intervals": [{"duration": duration, "value": value} for duration, value in intervals],
        "start_offset": start_offset,
        "response_required": response_required,
        "add_after": add_after,
    }
    optional = {
        "event_id": event_id,
        "market_context": market_context,
        "targets_by_type": targets_by_type,
        "cancel_after": cancel_after,
    }
    spec.update({key: value for key, value in optional.items() if value is not None})
    return spec


class VtnProcess(OpenLEADRProcess):
    """A running ``openleadr_vtn.py``: its URL, its lines so far, and bounded waits on them."""

    name = "OpenLEADR VTN"

    ready: Line
    """Its ``ready`` line (set by :func:`start_vtn` before it yields)."""

    @property
    def url(self) -> str:
        """What a VEN connects to: ``http(s)://host:port/OpenADR2/Simple/2.0b`` (https names
        ``localhost``, which the test certificates cover)."""
        return str(self.ready["url"])

    @property
    def base_url(self) -> str:
        """The URL without the ``/OpenADR2/Simple/2.0b`` path."""
        return self.url.removesuffix("/OpenADR2/Simple/2.0b")

    def matching(self, kind: str, **fields: Any) -> list[Line]:
        """The lines of ``kind`` whose fields equal ``fields``, in order."""
        return [line for line in self.of_kind(kind) if all(line.get(k) == v for k, v in fields.items())]

    async def wait_kind(self, kind: str, *, timeout: float, **fields: Any) -> Line:
        """The first line of ``kind`` whose fields equal ``fields``, waiting up to ``timeout``."""
        described = ", ".join(f"{key}={value!r}" for key, value in fields.items())
        return await self.wait_for(
            lambda line: line.get("kind") == kind and all(line.get(k) == v for k, v in fields.items()),
            timeout=timeout,
            what=f"{kind} line" + (f" with {described}" if described else ""),
        )

    def problems(self) -> list[Line]:
        """Its ``error`` lines and what OpenLEADR logged at ERROR or above."""
        return [
            line
            for line in self.lines
            if line.get("kind") == "error"
            or (line.get("kind") == "log" and line.get("level") in {"ERROR", "CRITICAL"})
        ]

    def describe_wire(self, line: Line) -> str:
        if line["direction"] == "in":
            return f"  wire <- {line['service']}: {line['type']}"
        return f"  wire -> {line['type']} (HTTP {line['status']})"


@contextlib.asynccontextmanager
async def start_vtn(
    python: Path,
    *,
    vtn_id: str = "OPENLEADR-VTN",
    poll_seconds: float = 1.0,
    events: Sequence[dict[str, Any]] = (),
    cancel_event_after: float | None = None,
    report: bool = False,
    report_granularity: float = 1.0,
    report_back: float = 2.0,
    tls: TlsFiles | None = None,
    sign: bool = False,
    ven_fingerprint: str | None = None,
    verify_signatures: bool = True,
    duration: float = 120.0,
    port: int | None = None,
    extra_arguments: Sequence[str] = (),
) -> AsyncIterator[VtnProcess]:
    """``openleadr_vtn.py`` under ``python``, ready (within 20 s) to serve on ``port`` (default:
    a free one); stopped (or killed) at the end.

    Args:
        vtn_id: its vtnID.
        poll_seconds: the oadrPoll frequency it asks VENs for.
        events: ``--event`` specs (see :func:`event_spec`), queued for every VEN that registers.
        cancel_event_after: cancel each event this many seconds after adding it (unless its spec
            says otherwise).
        report: request every TELEMETRY_USAGE report a VEN offers, with ``report_granularity``
            and ``report_back`` (seconds).
        tls: serve HTTPS and require client certificates.
        sign: sign every answer with the TLS certificate and key (needs ``tls``).
        ven_fingerprint: accept only the VEN with this client certificate.
        verify_signatures: over TLS, check the XML signature of every message with a venID.
        duration: the VTN stops by itself after this many seconds.
    """
    arguments = [
        "--port",
        str(port or free_port()),
        "--vtn-id",
        vtn_id,
        "--poll-seconds",
        str(poll_seconds),
        "--duration",
        str(duration),
        "--report-granularity",
        str(report_granularity),
        "--report-back",
        str(report_back),
    ]
    for spec in events:
        arguments += ["--event", json.dumps(spec)]
    if cancel_event_after is not None:
        arguments += ["--cancel-event-after", str(cancel_event_after)]
    if report:
        arguments.append("--report")
    if tls is not None:
        arguments += ["--cert", str(tls.certificate), "--key", str(tls.key), "--ca", str(tls.ca_bundle)]
    if sign:
        assert tls is not None, "OpenLEADR signs with the TLS certificate here"
        arguments.append("--sign")
    if ven_fingerprint is not None:
        arguments += ["--ven-fingerprint", ven_fingerprint]
    if not verify_signatures:
        arguments.append("--no-verify-signatures")
    arguments += list(extra_arguments)
    async with start_script(VtnProcess, python, VTN_SCRIPT, arguments) as vtn:
        vtn.ready = await vtn.wait_kind("ready", timeout=READY_WAIT)
        yield vtn
