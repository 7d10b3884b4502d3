"""The server processes of ``bench/vtn_poll``: our VTN and the bare aiohttp handler.

Run by ``run.py`` (never by hand), one process per server::

    python servers.py ours CONFIG.json     # openadr_accel.vtn.VTN on a SqliteStore
    python servers.py bare CONFIG.json     # aiohttp answering fixed bytes, no XML work

``CONFIG.json`` (written by ``run.py``) holds the mode (``plain``: HTTP, unsigned; ``secure``:
mutual TLS 1.2 with the 2.0b suites and signed messages), the vtnID, the VENs (venID,
certificate fingerprint, certificate and key files) and, for the secure mode, the VTN's
certificate and key and the CA bundle; for ``ours`` the SQLite file.

- ``ours``: a :class:`~openadr_accel.vtn.VTN` with a :class:`SqliteStore` in the run's
  temporary directory; every VEN is saved as a registered pull :class:`VenRecord` before the
  server starts (bound to its certificate's fingerprint and with ``xml_signature`` in the secure
  mode, so that the VTN checks the sender, verifies each poll's signature and signs its answer).
  Queues are empty: each poll is answered oadrResponse 200. Served by ``VTN.running``, as a user
  would run it (push worker included).
- ``bare``: an aiohttp application with one POST route that reads the body, finds the venID by a
  byte search (no XML parsing) and answers the bytes our VTN would send to that VEN, built once
  at start (signed once in the secure mode: same size, no per-request signing). It measures
  aiohttp, TLS and the load generator, nothing else.

The process talks to ``run.py`` in JSON lines: once listening it prints ``{"ready": true,
"port": P, ...}``; then it answers one line per request read on stdin:

``{"op": "cpu"}``
    ``{"cpu": s}``: the process's CPU time so far (user + system), to get CPU per request.
``{"op": "profile", "action": "start"}`` / ``{"op": "profile", "action": "stop", "path": P}``
    (``ours`` only) cProfile of the whole process between the two; ``stop`` dumps the stats to P.
``{"op": "split", "seconds": S}``
    (``ours`` only) the poll path without HTTP, each step timed on its own, in this process and on
    this store (see :func:`split`); answers µs per poll per step.

End of stdin (``run.py`` exiting or closing the pipe) or ``{"op": "stop"}`` stops the server.

``openleadr_vtn.py`` (which runs under OpenLEADR's interpreter, without ``openadr_accel``) loads
this module for :func:`control_loop`: there the imports of ``openadr_accel`` fail and are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

try:
    from openadr_accel import xml
    from openadr_accel.model import EiResponse, OadrPoll, OadrResponse, ResponseCode
    from openadr_accel.security import (
        Credentials,
        SignatureVerifier,
        Signer,
        check_sender,
        vtn_ssl_context,
    )
    from openadr_accel.security.replay import ReplayGuard
    from openadr_accel.vtn import VTN, OpenRegistration, VtnConfig
    from openadr_accel.vtn.handlers import Peer
    from openadr_accel.vtn.store import VenRecord
    from openadr_accel.vtn.store.sqlite import SqliteStore
except ImportError:  # under OpenLEADR's interpreter: openleadr_vtn.py uses the control channel only
    pass

Json = dict[str, Any]
Handler = Callable[[Json], Awaitable[Json]]

POLL_PATH = "/OpenADR2/Simple/2.0b/OadrPoll"
VTN_ID = "ACCEL-VTN"
"""Upper case: OpenLEADR's VEN answers 452 to a lower-case vtnID (docs/interop-openleadr.md)."""
_VEN_ID_START = b"<ei:venID>"
_VEN_ID_END = b"</ei:venID>"


# ============================================================================================
# The control channel (shared with openleadr_vtn.py)
# ============================================================================================


def say(message: Json) -> None:
    """One JSON line to ``run.py``."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def cpu_seconds() -> float:
    """CPU time of this process (all threads), user + system."""
    return time.process_time()


async def control_loop(handlers: dict[str, Handler]) -> None:
    """Answer ``run.py``'s JSON-line requests until stdin ends or ``stop`` comes.

    A thread reads stdin (a blocking read that releases the GIL) and hands each line to the
    event loop, so the server keeps serving between requests.
    """
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=reader, name="control", daemon=True).start()
    base: dict[str, Handler] = {"cpu": _cpu}
    while True:
        line = await lines.get()
        if line is None:
            return
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if request["op"] == "stop":
                say({"stopped": True})
                return
            handler = handlers.get(request["op"]) or base.get(request["op"])
            if handler is None:
                raise ValueError(f"unknown op {request['op']!r}")
            answer = await handler(request)
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        say(answer)


async def _cpu(request: Json) -> Json:
    return {"cpu": cpu_seconds()}


def load_config(path: str) -> Json:
    config: Json = json.loads(Path(path).read_text())
    return config


def ven_id_of(data: bytes) -> bytes:
    """The venID of one of our oadrPoll documents, by byte search (no XML work)."""
    start = data.find(_VEN_ID_START)
    if start < 0:
        return b""
    start += len(_VEN_ID_START)
    end = data.find(_VEN_ID_END, start)
    return data[start:end] if end > 0 else b""


# ============================================================================================
# Our VTN
# ============================================================================================


async def run_ours(config: Json) -> None:
    secure = config["mode"] == "secure"
    store = SqliteStore(Path(config["store"]))
    await store.open()
    registered_at = _now()
    for ven in config["vens"]:
        await store.save_ven(
            VenRecord(
                ven_id=ven["ven_id"],
                registration_id=f"reg-{ven['ven_id']}",
                ven_name=ven["ven_id"],
                fingerprint=ven["fingerprint"] if secure else None,
                http_pull_model=True,
                xml_signature=secure,
                registered_at=registered_at,
            )
        )
    await store.close()

    signer = Signer(Path(config["vtn_certificate"]), Path(config["vtn_key"])) if secure else None
    ssl_context = (
        vtn_ssl_context(
            Credentials(Path(config["vtn_certificate"]), Path(config["vtn_key"])), config["ca_bundle"]
        )
        if secure
        else None
    )
    vtn = VTN(VtnConfig(vtn_id=VTN_ID), store, registration=OpenRegistration(), signer=signer)
    profiler = _Profiler()

    async def split_op(request: Json) -> Json:
        return await split(vtn, config, float(request["seconds"]))

    async with vtn.running("127.0.0.1", 0, ssl_context=ssl_context) as runner:
        port = runner.addresses[0][1]
        say({"ready": True, "port": port, "server": "ours", "store": config["store"]})
        await control_loop({"profile": profiler.op, "split": split_op})


class _Profiler:
    def __init__(self) -> None:
        self.profile: cProfile.Profile | None = None
        self._new = cProfile.Profile

    async def op(self, request: Json) -> Json:
        if request["action"] == "start":
            self.profile = self._new()
            self.profile.enable()
            return {"profiling": True}
        if self.profile is None:
            raise RuntimeError("no profile running")
        self.profile.disable()
        self.profile.dump_stats(request["path"])
        self.profile = None
        return {"profiling": False, "path": request["path"]}


SPLIT_STEPS = (
    "parse + XSD",
    "decode",
    "store.get_ven",
    "check sender",
    "verify signature",
    "store.dequeue",
    "serialize answer",
    "sign answer",
)


async def split(vtn: Any, config: Json, seconds: float) -> Json:
    """The poll path of ``Dispatcher.handle`` for one VEN, step by step, then whole.

    Steps, as ``Dispatcher.handle`` → ``_poll`` run them for an oadrPoll: ``xml.parse_tree``
    (lxml + XSD), ``xml.decode``, ``store.get_ven``, ``check_sender`` (secure only),
    ``SignatureVerifier.verify`` (secure only; a verifier of its own, so that the VTN's replay
    guard is not filled), ``store.dequeue``, ``xml.serialize`` of the oadrResponse, and
    ``Signer.sign`` (secure only). Then ``VTN.handle`` (the dispatcher, no HTTP) timed whole on
    fresh polls. The polls are signed before the timed loops (VEN work is not timed). Runs on
    the server's event loop, between requests: call it with no load running.
    """
    secure = config["mode"] == "secure"
    ven = config["vens"][0]
    ven_id = ven["ven_id"]
    peer = Peer(fingerprint=ven["fingerprint"] if secure else None, address="127.0.0.1")
    document = xml.serialize(OadrPoll(ven_id=ven_id))
    count = 200 if secure else 2000  # polls per loop; signed polls need fresh nonces
    if secure:
        ven_signer = Signer(Path(ven["certificate"]), Path(ven["key"]))
        polls = [ven_signer.sign(document) for _ in range(2 * count)]
    else:
        polls = [document] * (2 * count)
    store = vtn.store
    signer = vtn._context.signer
    verifier = SignatureVerifier(ReplayGuard(max_nonces=10 * count))
    spent = dict.fromkeys(SPLIT_STEPS, 0.0)
    clock = time.perf_counter
    done = 0
    deadline = clock() + seconds / 2
    while done < count and clock() < deadline:
        data = polls[done]
        t0 = clock()
        root = xml.parse_tree(data)
        t1 = clock()
        payload = xml.decode(root)
        t2 = clock()
        assert isinstance(payload, OadrPoll)
        record = await store.get_ven(payload.ven_id)
        t3 = clock()
        assert record is not None
        if secure:
            check_sender(payload, record.fingerprint, peer.fingerprint)
        t4 = clock()
        if secure:
            verifier.verify(root, fingerprint=peer.fingerprint)
        t5 = clock()
        queued = await store.dequeue(record.ven_id)
        t6 = clock()
        answer = xml.serialize(
            OadrResponse(ei_response=EiResponse(response_code=ResponseCode.OK, request_id=""), ven_id=ven_id)
        )
        t7 = clock()
        if secure:
            answer = signer.sign(answer)
        t8 = clock()
        if queued is not None:
            raise AssertionError(f"{ven_id}'s queue is not empty")
        marks = (t0, t1, t2, t3, t4, t5, t6, t7, t8)
        for step, start, end in zip(SPLIT_STEPS, marks, marks[1:], strict=False):
            spent[step] += end - start
        done += 1
    steps_count = done
    # The whole dispatcher on fresh polls (the VTN's own replay guard sees each nonce once).
    handled = 0
    whole = 0.0
    deadline = clock() + seconds / 2
    while handled < count and clock() < deadline:
        t0 = clock()
        answer = await vtn.handle("OadrPoll", polls[count + handled], peer)
        whole += clock() - t0
        handled += 1
    if b"<ei:responseCode>200</ei:responseCode>" not in answer:
        raise AssertionError(f"VTN.handle did not answer 200: {answer[:600]!r}")
    return {
        "count": steps_count,
        "steps_us": {step: 1e6 * total / steps_count for step, total in spent.items()},
        "handle_count": handled,
        "handle_us": 1e6 * whole / handled,
    }


def _now() -> datetime:
    return datetime.now(UTC)


# ============================================================================================
# The bare aiohttp server
# ============================================================================================


def bare_bodies(config: Json) -> dict[bytes, bytes]:
    """Per venID, the bytes our VTN answers to its poll (signed once in the secure mode)."""
    signer = (
        Signer(Path(config["vtn_certificate"]), Path(config["vtn_key"]))
        if config["mode"] == "secure"
        else None
    )
    bodies = {}
    for ven in config["vens"]:
        data = xml.serialize(
            OadrResponse(
                ei_response=EiResponse(response_code=ResponseCode.OK, request_id=""), ven_id=ven["ven_id"]
            )
        )
        bodies[ven["ven_id"].encode()] = signer.sign(data) if signer is not None else data
    return bodies


def bare_app(bodies: dict[bytes, bytes]) -> web.Application:
    unknown = b"unknown venID"

    async def poll(request: web.Request) -> web.Response:
        data = await request.read()
        return web.Response(body=bodies.get(ven_id_of(data), unknown), content_type="application/xml")

    app = web.Application()
    app.router.add_post(POLL_PATH, poll)
    return app


async def run_bare(config: Json) -> None:
    ssl_context = None
    if config["mode"] == "secure":
        ssl_context = vtn_ssl_context(
            Credentials(Path(config["vtn_certificate"]), Path(config["vtn_key"])), config["ca_bundle"]
        )
    bodies = bare_bodies(config)
    runner = web.AppRunner(bare_app(bodies), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port = runner.addresses[0][1]
        sizes = sorted({len(body) for body in bodies.values()})
        say({"ready": True, "port": port, "server": "bare", "body_bytes": sizes})
        await control_loop({})
    finally:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("ours", "bare"):
        print(f"usage: {argv[0]} ours|bare CONFIG.json", file=sys.stderr)
        return 2
    config = load_config(argv[2])
    run = run_ours if argv[1] == "ours" else run_bare
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(config))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
