"""The load generator of ``bench/vtn_poll``: N VENs polling one server, in a process of its own.

``run.py`` starts one generator per phase::

    python load.py PHASE.json

``PHASE.json`` names the server (host, port, path), the mode (``plain`` or ``secure``), the VENs
(venID, and in the secure mode their certificate and key files), and the bounds: warm-up seconds
and requests, measured seconds and requests, the time limit of one request.

Each VEN is one asyncio task with one keep-alive connection of its own (in the secure mode a
mutual-TLS connection with its own client certificate, TLS 1.2, the 2.0b suites): it sends an
oadrPoll naming its venID, waits for the answer, checks it and sends the next one, so the
concurrency is exactly N requests in flight. In the secure mode each poll is signed just before
it is sent (our ``Signer``, a fresh ReplayProtect nonce every time: servers refuse replays); the
signing is VEN work and is not inside the measured latency.

Phases:

1. connect every VEN; for a server that verifies signatures (``check_refusals``: ours and
   OpenLEADR in the secure mode), check that it does: a poll whose SignatureValue has one
   character changed and a replayed poll must be refused, a fresh poll accepted (so that no
   server is timed skipping its checks);
2. warm-up: every VEN polls at least once, then polls go on until the warm-up's time or request
   count is used up. Every warm-up answer gets the **full check**: our parser (XSD validation and
   decoding into our model) and, for a server that signs (ours and OpenLEADR in the secure mode),
   our ``SignatureVerifier`` against the VTN's certificate (signature, ReplayProtect). The bare
   server's body is signed once at its start, so its signature would be a replay: it is only
   parsed and validated;
3. the generator prints ``{"event": "warm", ...}`` and, if asked (``wait_go``), waits for one line
   on stdin (``run.py`` reads the server's CPU time in between);
4. measure: polls until ``requests`` polls were sent or ``seconds`` have passed; those in flight
   then finish. Every answer gets the **light check**: HTTP 200, an lxml parse (no schema) that
   must find an ``oadrPayload`` whose signed object is an ``oadrResponse`` with response code 200
   and the VEN's own venID, and in the secure mode a ``ds:Signature`` in front of it; an answer
   byte for byte equal to the VEN's previous answer, already checked, passes without a second
   parse (unsigned answers repeat; the parse cost the generator about 30 µs per answer). A VEN's
   last measured answer gets the full check too;
5. prints ``{"event": "result", ...}``: polls answered, failures (and the first messages), the
   elapsed time, polls per second, latency percentiles, the generator's CPU time.

Any problem (a wrong answer, an HTTP error, a closed connection, a request over its time limit)
is a failure, counted; the VEN reconnects and goes on. Every phase is bounded by its request
count and its time (plus one request's time limit for the requests in flight).

Two HTTP clients: ``raw`` (the default), a minimal HTTP/1.1 client on an asyncio ``Protocol``
(one request in flight per connection, ``Content-Length`` bodies only), and ``aiohttp``
(``ClientSession`` per VEN, one connection each), kept to show that aiohttp's client costs the
generator several times more CPU per request than the raw one (see ``bench/README.md``).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from lxml import etree

from openadr_accel import xml
from openadr_accel.model import OadrPoll, OadrResponse, ResponseCode
from openadr_accel.security import (
    Credentials,
    ReplayGuard,
    SignatureVerifier,
    Signer,
    load_certificate,
    ven_ssl_context,
)
from openadr_accel.xml.namespaces import DS, EI, OADR

Json = dict[str, Any]

_PAYLOAD = f"{{{OADR}}}oadrPayload"
_SIGNATURE = f"{{{DS}}}Signature"
_RESPONSE = f"{{{OADR}}}oadrSignedObject/{{{OADR}}}oadrResponse"
_CODE = f"{{{EI}}}eiResponse/{{{EI}}}responseCode"
_VEN_ID = f"{{{EI}}}venID"
_DESCRIPTION = f"{{{EI}}}eiResponse/{{{EI}}}responseDescription"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
MAX_MESSAGES = 5
"""Distinct failure messages kept per phase."""


class Failure(Exception):
    """A wrong or missing answer."""


# ============================================================================================
# Checks
# ============================================================================================


def light_check(status: int, body: bytes, ven_id: str, signed: bool) -> None:
    """HTTP 200 and an oadrResponse 200 for ``ven_id`` (see the module docstring)."""
    if status != 200:
        raise Failure(f"HTTP {status}: {body[:200]!r}")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Failure(f"not XML: {exc}: {body[:200]!r}") from exc
    if root.tag != _PAYLOAD:
        raise Failure(f"not an oadrPayload: {root.tag!r}")
    if signed and (len(root) == 0 or root[0].tag != _SIGNATURE):
        raise Failure("the answer is not signed")
    response = root.find(_RESPONSE)
    if response is None:
        raise Failure(f"not an oadrResponse: {[child.tag for child in root.iter()][:4]}")
    code = (response.findtext(_CODE) or "").strip()
    if code != "200":
        description = (response.findtext(_DESCRIPTION) or "").strip()
        raise Failure(f"response code {code or 'missing'}: {description[:300]!r}")
    answered = (response.findtext(_VEN_ID) or "").strip()
    if answered != ven_id:
        raise Failure(f"answer for venID {answered!r}, not {ven_id!r}")


class FullCheck:
    """Our parser (XSD + decode) and, for signing servers, our signature verifier."""

    def __init__(self, vtn_certificate: str | None, verify_signatures: bool) -> None:
        self.certificate = load_certificate(Path(vtn_certificate)) if vtn_certificate else None
        self.verify_signatures = verify_signatures and self.certificate is not None
        self.verifier = SignatureVerifier(ReplayGuard(max_nonces=1_000_000))

    def __call__(self, body: bytes, ven_id: str) -> None:
        try:
            if self.verify_signatures:
                message = self.verifier.parse(body, certificate=self.certificate)
            else:
                message = xml.parse(body)
        except Exception as exc:
            raise Failure(f"full check: {type(exc).__name__}: {exc}") from exc
        if not isinstance(message, OadrResponse):
            raise Failure(f"full check: {type(message).__name__}, not OadrResponse")
        if message.ei_response.response_code != ResponseCode.OK:
            raise Failure(f"full check: response code {message.ei_response.response_code}")
        if message.ven_id != ven_id:
            raise Failure(f"full check: venID {message.ven_id!r}, not {ven_id!r}")


# ============================================================================================
# HTTP clients
# ============================================================================================


class RawConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time, Content-Length bodies only."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False
        self.keep_alive = True
        self._head: tuple[int, int, int] | None = None  # status, body start, body end

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError(f"connection closed: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        buffer = self.buffer
        if self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                self._head = self._parse_head(bytes(buffer[:end]), end + 4)
            except Failure as exc:
                waiter.set_exception(exc)
                return
        status, start, stop = self._head
        if len(buffer) < stop:
            return
        body = bytes(buffer[start:stop])
        del buffer[:stop]
        self._head = None
        waiter.set_result((status, body))

    def _parse_head(self, head: bytes, start: int) -> tuple[int, int, int]:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise Failure(f"bad status line {lines[0]!r}")
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise Failure(f"Transfer-Encoding {value.strip()!r} is not supported by this client")
            elif name == b"connection" and value.strip().lower() == b"close":
                self.keep_alive = False
        if length is None:
            raise Failure("an answer without Content-Length")
        return int(parts[1]), start, start + length

    async def request(self, data: bytes, timeout: float) -> tuple[int, bytes]:
        if self.closed or self.transport is None:
            raise ConnectionError("connection closed")
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        timer = loop.call_later(timeout, _expire, waiter, timeout)
        self.transport.write(data)
        try:
            return await waiter
        finally:
            timer.cancel()
            self.waiter = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[Any], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no answer within {timeout:g} s"))


class RawClient:
    """A VEN's connection with the raw client."""

    def __init__(self, host: str, port: int, path: str, context: ssl.SSLContext | None) -> None:
        self.host, self.port, self.context = host, port, context
        self.head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/xml\r\n"
            "Content-Length: "
        ).encode()
        self.connection: RawConnection | None = None

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(RawConnection, self.host, self.port, ssl=self.context)
        self.connection = protocol

    async def post(self, body: bytes, timeout: float) -> tuple[int, bytes]:
        connection = self.connection
        if connection is None or connection.closed or not connection.keep_alive:
            if connection is not None:
                connection.close()
            await asyncio.wait_for(self.connect(), timeout)
            connection = self.connection
            assert connection is not None
        return await connection.request(b"%s%d\r\n\r\n%s" % (self.head, len(body), body), timeout)

    async def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


class AiohttpClient:
    """A VEN's connection with aiohttp's client (one ClientSession, one connection)."""

    def __init__(self, host: str, port: int, path: str, context: ssl.SSLContext | None) -> None:
        scheme = "https" if context is not None else "http"
        self.url = f"{scheme}://{host}:{port}{path}"
        self.context = context
        self.session: aiohttp.ClientSession | None = None

    async def connect(self) -> None:
        connector = aiohttp.TCPConnector(limit=1, ssl=self.context if self.context is not None else False)
        self.session = aiohttp.ClientSession(connector=connector)
        # One request to open the connection is left to the first poll.

    async def post(self, body: bytes, timeout: float) -> tuple[int, bytes]:
        assert self.session is not None
        async with self.session.post(
            self.url,
            data=body,
            headers={"Content-Type": "application/xml"},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            return response.status, await response.read()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


# ============================================================================================
# VENs and phases
# ============================================================================================


@dataclass
class Phase:
    """Bounds and tallies of one phase."""

    max_requests: int
    seconds: float
    full_check: bool
    issued: int = 0
    answered: int = 0
    failures: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    per_ven: Counter[str] = field(default_factory=Counter)
    start: float = 0.0
    deadline: float = 0.0

    def begin(self) -> None:
        self.start = time.perf_counter()
        self.deadline = self.start + self.seconds

    def take(self) -> bool:
        if self.issued >= self.max_requests or time.perf_counter() >= self.deadline:
            return False
        self.issued += 1
        return True

    def fail(self, ven_id: str, message: str) -> None:
        self.failures += 1
        if len(self.messages) < MAX_MESSAGES or message in self.messages:
            self.messages[message] += 1


class Ven:
    """One simulated VEN: its venID, its poll (signed per request in the secure mode), its client."""

    def __init__(self, spec: Json, config: Json, check: FullCheck) -> None:
        self.ven_id: str = spec["ven_id"]
        self.document = xml.serialize(OadrPoll(ven_id=self.ven_id))
        secure = config["mode"] == "secure"
        self.signer = Signer(Path(spec["certificate"]), Path(spec["key"])) if secure else None
        context = (
            ven_ssl_context(Credentials(Path(spec["certificate"]), Path(spec["key"])), config["ca_bundle"])
            if secure
            else None
        )
        client = AiohttpClient if config.get("client") == "aiohttp" else RawClient
        self.client: RawClient | AiohttpClient = client(
            config["host"], config["port"], config["path"], context
        )
        self.timeout = float(config["timeout"])
        self.signed_answers = secure
        self.full_check = check
        self.last_answer: bytes | None = None

    def poll(self) -> bytes:
        return self.signer.sign(self.document) if self.signer is not None else self.document

    async def run(self, phase: Phase, at_least_once: bool) -> None:
        first = at_least_once
        clock = time.perf_counter
        while first or phase.take():
            if first:
                phase.issued += 1
                first = False
            body = self.poll()
            start = clock()
            try:
                status, answer = await self.client.post(body, self.timeout)
            except (OSError, TimeoutError, Failure) as exc:
                phase.fail(self.ven_id, f"{type(exc).__name__}: {exc}")
                await self._reset()
                continue
            except Exception as exc:  # aiohttp's client errors, among others
                phase.fail(self.ven_id, f"{type(exc).__name__}: {exc}")
                await self._reset()
                continue
            phase.latencies.append(clock() - start)
            if phase.full_check or status != 200 or answer != self.last_answer:
                try:
                    light_check(status, answer, self.ven_id, self.signed_answers)
                    if phase.full_check:
                        self.full_check(answer, self.ven_id)
                except Failure as exc:
                    phase.fail(self.ven_id, str(exc))
                    continue
            phase.answered += 1
            phase.per_ven[self.ven_id] += 1
            self.last_answer = answer

    async def _reset(self) -> None:
        if isinstance(self.client, RawClient) and self.client.connection is not None:
            self.client.connection.close()
            self.client.connection = None


def accepted(status: int, answer: bytes, ven: Ven) -> bool:
    try:
        light_check(status, answer, ven.ven_id, ven.signed_answers)
    except Failure:
        return False
    return True


async def refusal_checks(ven: Ven, phase: Phase) -> None:
    """The server really checks signatures: a poll whose SignatureValue has one character
    changed, and a second delivery of a signed poll, must not be answered 200 (a first delivery
    must). For the servers that verify (ours, OpenLEADR), in the secure mode, before the warm-up."""
    marker = b"<ds:SignatureValue>"
    data = ven.poll()
    at = data.index(marker) + len(marker)
    tampered = data[:at] + (b"B" if data[at : at + 1] == b"A" else b"A") + data[at + 1 :]
    fresh = ven.poll()
    for label, body, expected in (
        ("a poll with a broken signature", tampered, False),
        ("a signed poll", fresh, True),
        ("a replayed poll (the same signed poll again)", fresh, False),
    ):
        phase.issued += 1
        try:
            status, answer = await ven.client.post(body, ven.timeout)
        except Exception as exc:
            phase.fail(ven.ven_id, f"refusal check, {label}: {type(exc).__name__}: {exc}")
            await ven._reset()
            continue
        if accepted(status, answer, ven) != expected:
            verdict = "was answered oadrResponse 200" if not expected else "was refused"
            phase.fail(ven.ven_id, f"refusal check: {label} {verdict}")


async def run_phase(vens: list[Ven], phase: Phase, at_least_once: bool, grace: float) -> bool:
    """Run every VEN through ``phase``; False if it overran its bound (then it is cancelled)."""
    phase.begin()
    tasks = [asyncio.create_task(ven.run(phase, at_least_once)) for ven in vens]
    done, pending = await asyncio.wait(tasks, timeout=phase.seconds + grace)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            phase.fail("-", f"VEN task crashed: {task.exception()!r}")
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        phase.fail("-", f"{len(pending)} VENs still waiting at the phase's time limit")
        return False
    return True


def summary(phase: Phase, elapsed: float, cpu: float) -> Json:
    latencies = sorted(phase.latencies)

    def quantile(q: float) -> float | None:
        if not latencies:
            return None
        return 1e3 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return {
        "issued": phase.issued,
        "answered": phase.answered,
        "failures": phase.failures,
        "messages": dict(phase.messages),
        "elapsed": elapsed,
        "rate": phase.answered / elapsed if elapsed > 0 else 0.0,
        "p50_ms": quantile(0.50),
        "p90_ms": quantile(0.90),
        "p99_ms": quantile(0.99),
        "max_ms": 1e3 * latencies[-1] if latencies else None,
        "mean_ms": 1e3 * statistics.fmean(latencies) if latencies else None,
        "vens_answered": len(phase.per_ven),
        "per_ven_min": min(phase.per_ven.values()) if phase.per_ven else 0,
        "per_ven_max": max(phase.per_ven.values()) if phase.per_ven else 0,
        "generator_cpu": cpu,
    }


def emit(message: Json) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main_async(config: Json) -> int:
    check = FullCheck(config.get("vtn_certificate"), bool(config.get("verify_signatures")))
    vens = [Ven(spec, config, check) for spec in config["vens"]]
    timeout = float(config["timeout"])
    # 1. connect (raw client; aiohttp connects on its first request)
    try:
        await asyncio.wait_for(asyncio.gather(*(ven.client.connect() for ven in vens)), timeout)
    except Exception as exc:
        emit({"event": "result", "error": f"cannot connect: {type(exc).__name__}: {exc}"})
        return 1
    try:
        # 2. warm-up, full checks
        warm = Phase(int(config["warmup_requests"]), float(config["warmup_seconds"]), full_check=True)
        if config.get("check_refusals"):
            await refusal_checks(vens[0], warm)
        cpu0 = time.process_time()
        finished = await run_phase(vens, warm, at_least_once=True, grace=timeout + 5)
        warm_elapsed = time.perf_counter() - warm.start
        emit(
            {"event": "warm", "finished": finished, **summary(warm, warm_elapsed, time.process_time() - cpu0)}
        )
        # 3. wait for run.py
        if config.get("wait_go"):
            line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            if not line.strip():
                return 1
        # 4. measure, light checks
        phase = Phase(int(config["requests"]), float(config["seconds"]), full_check=False)
        cpu0 = time.process_time()
        finished = await run_phase(vens, phase, at_least_once=False, grace=timeout + 5)
        elapsed = time.perf_counter() - phase.start
        cpu = time.process_time() - cpu0
        for ven in vens:  # the last measured answer of each VEN, fully checked
            if ven.last_answer is not None and phase.per_ven[ven.ven_id]:
                try:
                    check(ven.last_answer, ven.ven_id)
                except Failure as exc:
                    phase.fail(ven.ven_id, f"last answer: {exc}")
        result = summary(phase, elapsed, cpu)
        result["warm_failures"] = warm.failures
        result["warm_messages"] = dict(warm.messages)
        emit({"event": "result", "finished": finished, **result})
        return 0
    finally:
        await asyncio.gather(*(ven.client.close() for ven in vens), return_exceptions=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} PHASE.json", file=sys.stderr)
        return 2
    config = json.loads(Path(argv[1]).read_text())
    return asyncio.run(main_async(config))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
