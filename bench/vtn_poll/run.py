"""bench/vtn_poll: oadrPoll rate and latency, our VTN against OpenLEADR 0.5.36 and bare aiohttp.

A load generator (``load.py``, its own process) simulates N VENs, each with its own venID and
keep-alive connection, one poll in flight each, against servers that each run in their own
process and are all measured in the same run:

- ``ours``: ``openadr_accel.vtn.VTN`` on a ``SqliteStore`` in a temporary directory, VENs saved
  as registered ``VenRecord``s, empty queues (every poll is answered oadrResponse 200)
  (``servers.py``);
- ``openleadr``: an OpenLEADR 0.5.36 ``OpenADRServer`` in its own virtual environment, VENs known
  through its ``ven_lookup`` (``openleadr_vtn.py``); in the secure mode also
  ``openleadr-key-once``: the same with its private key loaded once (patched inside that
  process only), since as shipped it re-parses its PEM key for every message it signs;
- ``bare``: an aiohttp handler answering the bytes our VTN answers, built once (``servers.py``).

Two modes: ``plain`` (a: HTTP, unsigned) and ``secure`` (b: mutual TLS 1.2 with the two 2.0b
suites and RSA-2048 certificates from a test PKI made at run time; every poll signed by its VEN
and verified by the server, every answer signed; the bare server answers a body signed once).

Each phase (one server, one mode) starts a fresh generator: connect, warm up (every answer fully
checked: XSD, decode, signature), then measure (every answer checked: an oadrResponse 200 for the
poller's venID). Rounds interleave the servers (the order reversed on odd rounds); the table shows
medians over rounds and the ratios goals are stated in: ours/OpenLEADR (plain; goal >= 2x),
ours/bare aiohttp (plain; goal >= 50%), ours/OpenLEADR-key-once (secure; goal >= 2x). A phase with
a failure fails the run (exit status 1).

Run from the repository root with the package installed (``pip install -e .``) and access to
PyPI the first time (to build OpenLEADR's environment)::

    python bench/vtn_poll/run.py                 # 3 rounds, 4 s per phase, about 4 min
    python bench/vtn_poll/run.py --quick         # 1 round, 1.5 s per phase: a smoke run
    python bench/vtn_poll/run.py --modes plain --servers ours,bare --quick
    python bench/vtn_poll/run.py --profile       # our VTN only: where a poll's time goes (py-spy)

Not a test and not run in CI (``tests/test_bench_vtn_poll.py`` runs a tiny smoke version).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import importlib
import io
import json
import os
import platform
import pstats
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import lxml.etree

import openadr_accel
from openadr_accel.security import KeyType, fingerprint, init_pki, issue_ven

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SERVERS = HERE / "servers.py"
OPENLEADR_VTN = HERE / "openleadr_vtn.py"
LOAD = HERE / "load.py"
POLL_PATH = "/OpenADR2/Simple/2.0b/OadrPoll"

MODES = {"plain": "a: HTTP, unsigned", "secure": "b: mTLS + signatures"}
SERVER_NAMES = ("ours", "openleadr", "openleadr-key-once", "bare")
SECURE_ONLY = {"openleadr-key-once"}
LABELS = {
    "ours": "ours (VTN + SQLite)",
    "openleadr": "OpenLEADR 0.5.36",
    "openleadr-key-once": "OpenLEADR, key once",
    "bare": "bare aiohttp",
}
GOALS = (
    # (mode, ours over, goal, label)
    ("plain", "openleadr", 2.0, "ours / OpenLEADR (unsigned)"),
    ("plain", "bare", 0.5, "ours / bare aiohttp (unsigned)"),
    ("secure", "openleadr-key-once", 2.0, "ours / OpenLEADR key once (secure)"),
)
INFORMATIVE = (
    ("secure", "openleadr", "ours / OpenLEADR as shipped (secure)"),
    ("secure", "bare", "ours / bare aiohttp (secure)"),
)

Json = dict[str, Any]


# ============================================================================================
# Child processes
# ============================================================================================

_CHILDREN: list[Child] = []


class Child:
    """A child process spoken to in JSON lines (stdin / stdout); stderr goes to a log file."""

    def __init__(self, name: str, argv: list[str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = open(log, "wb")  # noqa: SIM115 (closed in close())
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            cwd=HERE,
        )
        self._buffer = b""
        _CHILDREN.append(self)

    def send(self, message: Json | str) -> None:
        assert self.process.stdin is not None
        line = message if isinstance(message, str) else json.dumps(message)
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def read(self, timeout: float) -> Json:
        """The next JSON line, within ``timeout`` seconds."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, left))
            if not ready:
                raise RuntimeError(f"{self.name}: no answer within {timeout:.0f} s{self.log_tail()}")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"{self.name}: exited (code {self.process.wait()}){self.log_tail()}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message: Json = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RuntimeError(f"{self.name}: unexpected output {line[:300]!r}{self.log_tail()}") from exc
        if "error" in message:
            raise RuntimeError(f"{self.name}: {message['error']}{self.log_tail()}")
        return message

    def ask(self, message: Json, timeout: float = 60) -> Json:
        self.send(message)
        return self.read(timeout)

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            self._log_file.flush()
            text = self.log.read_text(errors="replace").strip().splitlines()
            if text:
                return "\n  " + "\n  ".join(text[-lines:])
        return ""

    def close(self, timeout: float = 5) -> None:
        """Close stdin (the child stops on it), then terminate, then kill."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert self.process.stdin is not None
                self.process.stdin.close()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        with contextlib.suppress(OSError, ValueError):
            self._log_file.close()
        if self in _CHILDREN:
            _CHILDREN.remove(self)


def close_children() -> None:
    for child in list(_CHILDREN):
        child.close(timeout=3)


def _on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


# ============================================================================================
# Setup: VENs, PKI, configuration
# ============================================================================================


def ven_ids(count: int) -> list[str]:
    return [f"ven-{index:04d}" for index in range(1, count + 1)]


def make_config(mode: str, directory: Path, count: int) -> Json:
    """The configuration every server and generator of one mode reads (see ``servers.py``)."""
    vens: list[Json] = [{"ven_id": ven_id} for ven_id in ven_ids(count)]
    config: Json = {"mode": mode, "vens": vens, "store": str(directory / "vtn.db")}
    if mode == "secure":
        started = time.perf_counter()
        pki = init_pki(directory / "pki")
        for ven in vens:
            credentials = issue_ven(ven["ven_id"], pki.directory, key_types=(KeyType.RSA,))[KeyType.RSA]
            ven.update(
                certificate=str(credentials.certificate),
                key=str(credentials.key),
                fingerprint=fingerprint(credentials.certificate),
            )
        vtn = pki.vtn(KeyType.RSA)
        config.update(
            vtn_certificate=str(vtn.certificate), vtn_key=str(vtn.key), ca_bundle=str(pki.ca_bundle)
        )
        print(
            f"  test PKI: RSA-2048 VTN and {count} VEN certificates made in "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return config


def find_openleadr_python(given: str | None) -> Path:
    """OpenLEADR's interpreter: ``--openleadr-python``, else ``tests/openleadr_env.py``'s."""
    if given:
        return Path(given)
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    try:
        openleadr_env = importlib.import_module("openleadr_env")
    finally:
        sys.path.pop(0)
    python: Path = openleadr_env.openleadr_python()
    return python


def start_server(
    name: str, config_path: Path, directory: Path, openleadr_python: Path | None
) -> tuple[Child, Json]:
    log = directory / f"{name}.log"
    if name in ("ours", "bare"):
        argv = [sys.executable, str(SERVERS), name, str(config_path)]
    else:
        assert openleadr_python is not None
        argv = [str(openleadr_python), str(OPENLEADR_VTN), str(config_path)]
        if name == "openleadr-key-once":
            argv.append("--key-once")
    child = Child(name, argv, log)
    ready = child.read(timeout=120)
    if not ready.get("ready"):
        raise RuntimeError(f"{name}: did not start: {ready}")
    return child, ready


# ============================================================================================
# One phase
# ============================================================================================


@dataclass
class PhaseResult:
    rate: float
    p50: float
    p99: float
    answered: int
    failures: int
    messages: dict[str, int]
    elapsed: float
    server_cpu: float
    generator_cpu: float
    vens_answered: int
    per_ven: tuple[int, int]
    warm_answered: int
    vens: int

    @property
    def server_us_per_poll(self) -> float:
        return 1e6 * self.server_cpu / self.answered if self.answered else float("nan")

    @property
    def generator_us_per_poll(self) -> float:
        return 1e6 * self.generator_cpu / self.answered if self.answered else float("nan")


def phase_vens(mode: str, name: str, args: argparse.Namespace) -> int:
    """How many VENs poll ``name``: all, except OpenLEADR as shipped in the secure mode."""
    if mode == "secure" and name == "openleadr":
        return min(args.vens, args.shipped_vens)
    return args.vens


def run_phase(
    server: Child,
    *,
    port: int,
    name: str,
    config: Json,
    directory: Path,
    args: argparse.Namespace,
    profile_path: Path | None = None,
    profiler: str = "cprofile",
) -> PhaseResult:
    """One generator run against ``server``. With ``profile_path``, the server is profiled during
    the measured phase: by cProfile inside it, or by py-spy (``profiler="py-spy"``) from outside
    (raw collapsed stacks, for :func:`py_spy_breakdown`)."""
    secure = config["mode"] == "secure"
    vens = phase_vens(config["mode"], name, args)
    phase: Json = {
        **config,
        "vens": config["vens"][:vens],
        "host": "127.0.0.1",
        "port": port,
        "path": POLL_PATH,
        "verify_signatures": secure and name != "bare",
        "check_refusals": secure and name != "bare",
        "warmup_seconds": args.warmup,
        "warmup_requests": args.warmup_requests,
        "seconds": args.seconds,
        "requests": args.requests,
        "timeout": args.timeout,
        "client": args.client,
        "wait_go": True,
    }
    phase_path = directory / f"phase-{name}.json"
    phase_path.write_text(json.dumps(phase))
    generator = Child(
        f"load.py against {name}", [sys.executable, str(LOAD), str(phase_path)], directory / "load.log"
    )
    bound = args.warmup + args.seconds + 2 * args.timeout + 60
    spy: subprocess.Popen[bytes] | None = None
    try:
        warm = generator.read(timeout=bound)
        if warm.get("event") == "result":  # could not even connect
            raise RuntimeError(f"load.py against {name}: {warm.get('error')}{generator.log_tail()}")
        if profile_path is not None and profiler == "py-spy":
            spy = start_py_spy(server.process.pid, profile_path, args.seconds, directory)
        elif profile_path is not None:
            server.ask({"op": "profile", "action": "start"})
        cpu0 = server.ask({"op": "cpu"})["cpu"]
        generator.send("go")
        result = generator.read(timeout=bound)
        cpu1 = server.ask({"op": "cpu"})["cpu"]
        if spy is not None:
            spy.wait(timeout=args.seconds + 60)
        elif profile_path is not None:
            server.ask({"op": "profile", "action": "stop", "path": str(profile_path)})
    finally:
        generator.close(timeout=10)
        if spy is not None and spy.poll() is None:
            spy.kill()
            spy.wait()
    if result.get("error"):
        raise RuntimeError(f"load.py against {name}: {result['error']}")
    failures = int(result["failures"]) + int(warm["failures"])
    messages = dict(result["messages"])
    for message, count in warm["messages"].items():
        messages[f"(warm-up) {message}"] = count
    if not result.get("finished") or not warm.get("finished"):
        failures = max(failures, 1)
    return PhaseResult(
        rate=float(result["rate"]),
        p50=float(result["p50_ms"] or "nan"),
        p99=float(result["p99_ms"] or "nan"),
        answered=int(result["answered"]),
        failures=failures,
        messages=messages,
        elapsed=float(result["elapsed"]),
        server_cpu=float(cpu1 - cpu0),
        generator_cpu=float(result["generator_cpu"]),
        vens_answered=int(result["vens_answered"]),
        per_ven=(int(result["per_ven_min"]), int(result["per_ven_max"])),
        warm_answered=int(warm["answered"]),
        vens=vens,
    )


# ============================================================================================
# Rounds and report
# ============================================================================================


@dataclass
class Results:
    phases: dict[tuple[str, str], list[PhaseResult]] = field(default_factory=dict)
    info: dict[str, Json] = field(default_factory=dict)

    def add(self, mode: str, server: str, result: PhaseResult) -> None:
        self.phases.setdefault((mode, server), []).append(result)

    def failed(self, mode: str, server: str) -> bool:
        results = self.phases.get((mode, server), [])
        return any(result.failures for result in results) or any(
            result.vens_answered < result.vens for result in results
        )


def run_mode(
    mode: str,
    servers: list[str],
    args: argparse.Namespace,
    results: Results,
    openleadr_python: Path | None,
) -> None:
    with tempfile.TemporaryDirectory(prefix=f"bench-vtn-poll-{mode}-") as temporary:
        directory = Path(temporary)
        config = make_config(mode, directory, args.vens)
        config_path = directory / "config.json"
        config_path.write_text(json.dumps(config))
        started: dict[str, tuple[Child, Json]] = {}
        try:
            for name in servers:
                started[name] = start_server(name, config_path, directory, openleadr_python)
                results.info[name] = started[name][1]
            for index in range(args.rounds):
                order = servers if index % 2 == 0 else servers[::-1]
                for name in order:
                    child, ready = started[name]
                    result = run_phase(
                        child, port=ready["port"], name=name, config=config, directory=directory, args=args
                    )
                    results.add(mode, name, result)
                    status = "ok" if not result.failures else f"{result.failures} FAILURES"
                    print(
                        f"  {mode:<6} round {index + 1}/{args.rounds} {name:<19} "
                        f"{result.rate:8.1f} polls/s  p50 {result.p50:7.1f} ms  p99 {result.p99:7.1f} ms  "
                        f"({result.answered} polls, {status})",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            for child, _ in started.values():
                child.close()


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_header(args: argparse.Namespace, results: Results) -> None:
    print(f"bench/vtn_poll  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"  openadr_accel {openadr_accel.__version__}, Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}, lxml {'.'.join(map(str, lxml.etree.LXML_VERSION))}"
    )
    versions = {info.get("version") for name, info in results.info.items() if name.startswith("openleadr")}
    if versions - {None}:
        print(f"  OpenLEADR {', '.join(sorted(v for v in versions if v))} (own virtual environment)")
    print(
        f"  {os.cpu_count()} CPUs, {platform.machine()}; {args.vens} VENs (one keep-alive connection and "
        f"one poll in flight each), {args.client} client; {args.rounds} round(s); per phase: warm-up "
        f"{args.warmup:g} s, then up to {args.requests} polls or {args.seconds:g} s"
    )


def print_table(args: argparse.Namespace, results: Results, modes: list[str], servers: list[str]) -> None:
    print(
        "\noadrPoll answered oadrResponse 200 (medians over rounds; CPU µs per poll over the measured phase)"
    )
    print(
        f"  {'server':<30} {'mode':<21} {'polls/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'server CPU':>10} {'gen CPU':>8} {'srv %':>6} {'gen %':>6}  {'polls':>7} {'fail':>5}"
    )
    for mode in modes:
        for name in servers:
            phases = results.phases.get((mode, name))
            if not phases:
                continue
            rate = median([p.rate for p in phases])
            server_cpu = median([p.server_us_per_poll for p in phases])
            generator_cpu = median([p.generator_us_per_poll for p in phases])
            server_share = median([100 * p.server_cpu / p.elapsed for p in phases])
            generator_share = median([100 * p.generator_cpu / p.elapsed for p in phases])
            failures = sum(p.failures for p in phases)
            label = LABELS[name]
            if phases[0].vens != args.vens:
                label += f" ({phases[0].vens} VENs)"
            print(
                f"  {label:<30} {MODES[mode]:<21} {rate:>8.1f} {median([p.p50 for p in phases]):>8.1f} "
                f"{median([p.p99 for p in phases]):>8.1f} {server_cpu:>10.0f} {generator_cpu:>8.0f} "
                f"{server_share:>6.0f} {generator_share:>6.0f}  {sum(p.answered for p in phases):>7} "
                f"{failures if failures else '0':>5}"
            )
    print(
        "  (server CPU / gen CPU: CPU µs per answered poll of the server / of the load generator;"
        " srv % / gen %: their CPU use during the phase, 100 = one core)"
    )


def ratio_line(results: Results, mode: str, other: str, label: str, goal: float | None) -> str | None:
    ours, theirs = results.phases.get((mode, "ours")), results.phases.get((mode, other))
    if not ours or not theirs:
        return None
    ratio = median([p.rate for p in ours]) / median([p.rate for p in theirs])
    per_round = [o.rate / t.rate for o, t in zip(ours, theirs, strict=False) if t.rate]
    spread = f"{min(per_round):.2f}-{max(per_round):.2f}" if per_round else "-"
    if results.failed(mode, "ours") or results.failed(mode, other):
        verdict = "FAILED (failures in a phase)"
    elif goal is None:
        verdict = "(informative)"
    else:
        verdict = f"goal >= {goal:g}x: " + ("met" if ratio >= goal else "NOT met")
    return f"  {label:<38} {ratio:>7.2f}x  {spread:>11}  {verdict}"


def print_ratios(results: Results) -> None:
    lines = [ratio_line(results, mode, other, label, goal) for mode, other, goal, label in GOALS]
    lines += [ratio_line(results, mode, other, label, None) for mode, other, label in INFORMATIVE]
    lines = [line for line in lines if line]
    if lines:
        print("\nRatios of polls per second (median of ours / median of theirs; per-round range)")
        for line in lines:
            print(line)


def print_failures(results: Results) -> bool:
    failed = False
    for (mode, name), phases in results.phases.items():
        total = sum(p.failures for p in phases)
        missing = [p for p in phases if p.vens_answered < p.vens]
        if not total and not missing:
            continue
        failed = True
        print(f"\nFAILED: {LABELS[name]}, mode {mode}: {total} failure(s)")
        for phase in missing:
            print(f"  only {phase.vens_answered} of {phase.vens} VENs were answered in a measured phase")
        messages: dict[str, int] = {}
        for phase in phases:
            for message, count in phase.messages.items():
                messages[message] = messages.get(message, 0) + count
        for message, count in list(messages.items())[:8]:
            print(f"  {count:>6} x {message[:300]}")
    return failed


# ============================================================================================
# Profile of our VTN
# ============================================================================================

PROFILE_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("Dispatcher.handle (all OpenADR work)", "openadr_accel/vtn/dispatch.py", "handle"),
    ("  xml.parse_tree (lxml + XSD)", "openadr_accel/xml/parser.py", "parse_tree"),
    ("  xml.decode", "openadr_accel/xml/decode.py", "decode"),
    ("  Dispatcher._sender (store.get_ven + check)", "openadr_accel/vtn/dispatch.py", "_sender"),
    ("  Dispatcher._authenticate (signature)", "openadr_accel/vtn/dispatch.py", "_authenticate"),
    ("  Dispatcher._poll (store.dequeue + answer)", "openadr_accel/vtn/dispatch.py", "_poll"),
    ("    SqliteStore.dequeue", "openadr_accel/vtn/store/sqlite.py", "dequeue"),
    ("    Dispatcher._encode (serialize + sign)", "openadr_accel/vtn/dispatch.py", "_encode"),
    ("      Signer.sign", "openadr_accel/security/signature.py", "sign"),
    ("web.serve (the VTN's aiohttp handler)", "openadr_accel/vtn/web.py", "serve"),
)
"""cProfile groups: (label, file suffix, function); cumulative time per poll."""

PY_SPY_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "authenticate (verify the signature)",
        ("SignatureVerifier.verify (", "Dispatcher._authenticate (openadr_accel/vtn/dispatch.py"),
    ),
    ("sign the answer", ("Signer.sign (",)),
    ("parse + XSD validation", ("parse_tree (openadr_accel/xml/parser.py",)),
    ("decode into the model", ("decode (openadr_accel/xml/decode.py",)),
    ("store (get_ven + dequeue, SQLite)", ("openadr_accel/vtn/store/",)),
    ("serialize the answer", ("serialize (openadr_accel/xml/", "encode (openadr_accel/xml/encode.py")),
    ("dispatcher, the rest", ("Dispatcher.handle (",)),
    ("web.serve, the rest (Peer, Response)", ("build_app.<locals>.serve (",)),
    ("TLS (asyncio sslproto, ssl)", ("asyncio/sslproto.py", "/ssl.py")),
    ("aiohttp + asyncio + sockets", ("",)),
)
"""py-spy categories, first match wins, checked against each sampled stack (collapsed, frames
joined by ``;``). Stacks of the control thread are dropped."""


def py_spy() -> str | None:
    """py-spy's executable, if installed (next to this interpreter or on PATH)."""
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return str(beside)
    return shutil.which("py-spy")


def start_py_spy(pid: int, path: Path, seconds: float, directory: Path) -> subprocess.Popen[bytes]:
    """Sample ``pid`` for ``seconds`` (250 Hz, without pausing it), collapsed stacks to ``path``."""
    executable = py_spy()
    assert executable is not None
    argv = [executable, "record", "--pid", str(pid), "--rate", "250", "--duration", str(max(1, int(seconds)))]
    argv += ["--format", "raw", "--nonblocking", "--output", str(path)]
    log = open(directory / "py-spy.log", "wb")  # noqa: SIM115 (closed below, the child has a copy)
    try:
        return subprocess.Popen(argv, stdout=log, stderr=log)
    finally:
        log.close()


def py_spy_breakdown(path: Path, us_per_poll: float) -> None:
    """Where the server's time goes: sample shares of :data:`PY_SPY_CATEGORIES`, and the same
    shares of the CPU µs per poll measured in that phase."""
    counts = dict.fromkeys((label for label, _ in PY_SPY_CATEGORIES), 0)
    total = sends = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit() or "control_loop (" in stack or "reader (" in stack:
            continue
        samples = int(number)
        total += samples
        sends += samples if "_SelectorSocketTransport.write (" in stack else 0
        for label, keys in PY_SPY_CATEGORIES:
            if any(key in stack for key in keys):
                counts[label] += samples
                break
    if not total:
        print("    py-spy recorded no samples")
        return
    print(f"    {'':<40} {'share':>6} {'µs/poll':>8}   ({total} samples)")
    rows = [(label, counts[label] / total) for label, _ in PY_SPY_CATEGORIES]
    rows.append(("  socket writes (in the last two)", sends / total))
    for label, share in rows:
        print(f"    {label:<40} {100 * share:>5.1f}% {share * us_per_poll:>8.0f}")


def profile_ours(args: argparse.Namespace) -> int:
    """Our VTN alone: the split of one poll's steps (no HTTP), then a profile under load."""
    profiler = "py-spy" if py_spy() is not None and not args.cprofile else "cprofile"
    for mode in args.modes:
        with tempfile.TemporaryDirectory(prefix=f"bench-vtn-poll-profile-{mode}-") as temporary:
            directory = Path(temporary)
            config = make_config(mode, directory, args.vens)
            config_path = directory / "config.json"
            config_path.write_text(json.dumps(config))
            child, ready = start_server("ours", config_path, directory, None)
            common: Json = {"port": ready["port"], "name": "ours", "config": config, "directory": directory}
            try:
                # A load phase first: warm, and the CPU per poll without any profiler.
                plain = run_phase(child, args=args, **common)
                split = child.ask({"op": "split", "seconds": 2 * args.seconds}, timeout=120)
                profile_path = directory / ("ours.txt" if profiler == "py-spy" else "ours.prof")
                profiled = run_phase(child, args=args, profile_path=profile_path, profiler=profiler, **common)
                print(f"\n=== our VTN, mode {MODES[mode]}, {args.vens} VENs ===")
                print(
                    f"  under load, no profiler: {plain.rate:.0f} polls/s, server CPU "
                    f"{plain.server_us_per_poll:.0f} µs per poll ({plain.failures} failures)"
                )
                print(
                    "  steps of one poll without HTTP (in the server process, idle), µs, "
                    f"mean of {split['count']}:"
                )
                for step, value in split["steps_us"].items():
                    if value >= 0.05:
                        print(f"    {step:<22} {value:>8.1f}")
                total = sum(split["steps_us"].values())
                print(f"    {'sum of steps':<22} {total:>8.1f}")
                print(
                    f"    {'VTN.handle, whole':<22} {split['handle_us']:>8.1f}   "
                    f"(mean of {split['handle_count']})"
                )
                print(
                    "    => outside the dispatcher (aiohttp, asyncio, TLS, sockets) under load: about "
                    f"{plain.server_us_per_poll - split['handle_us']:.0f} "
                    f"of {plain.server_us_per_poll:.0f} µs"
                )
                if profiler == "py-spy":
                    print(
                        "\n  py-spy (sampling, from outside) of the server under load: "
                        f"{profiled.rate:.0f} polls/s, "
                        f"{profiled.server_us_per_poll:.0f} µs CPU per poll ({profiled.failures} failures)"
                    )
                    py_spy_breakdown(profile_path, profiled.server_us_per_poll)
                if args.profile_out is not None:
                    args.profile_out.mkdir(parents=True, exist_ok=True)
                    shutil.copy(profile_path, args.profile_out / f"ours-{mode}{profile_path.suffix}")
                else:
                    print(
                        f"\n  cProfile of the server process under load ({profiled.answered} polls, "
                        f"{profiled.rate:.0f} polls/s under the profiler; "
                        "install py-spy for a sampling profile):"
                    )
                    profile_summary(profile_path, profiled.answered, args.profile_top)
            finally:
                child.close()
    return 0


def profile_summary(path: Path, count: int, top: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    entries: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(value[2] for value in entries.values())
    print(f"    {'everything profiled':<46} {1e6 * total / count:>8.1f} µs per poll")
    for label, suffix, name in PROFILE_GROUPS:
        cumulative = sum(
            value[3]
            for (filename, _, function), value in entries.items()
            if filename.endswith(suffix) and function == name
        )
        print(f"    {label:<46} {1e6 * cumulative / count:>8.1f}")
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    print("\n    top functions by own time:")
    body = out.getvalue().split("\n", 3)[-1].strip("\n")
    print("\n".join("    " + line for line in body.splitlines()))


# ============================================================================================
# Main
# ============================================================================================


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 round, 0.5 s warm-up, 1.5 s per phase")
    parser.add_argument("--rounds", type=int, help="rounds (default 3)")
    parser.add_argument("--seconds", type=float, help="time cap of a measured phase (default 4)")
    parser.add_argument("--requests", type=int, help="polls cap of a measured phase (default 40000)")
    parser.add_argument("--warmup", type=float, help="time cap of a warm-up (default 1; 0.5 with --quick)")
    parser.add_argument("--warmup-requests", type=int, default=5000, help="polls cap of a warm-up (5000)")
    parser.add_argument("--vens", type=int, default=50, help="simulated VENs, one connection each (50)")
    parser.add_argument(
        "--shipped-vens",
        type=int,
        default=10,
        help="VENs polling OpenLEADR as shipped in the secure mode (10; see bench/README.md)",
    )
    parser.add_argument("--timeout", type=float, default=30, help="time limit of one request (30 s)")
    parser.add_argument("--modes", default="plain,secure", help="plain,secure (both by default)")
    parser.add_argument(
        "--servers",
        default=",".join(SERVER_NAMES),
        help="servers among ours,openleadr,openleadr-key-once,bare (all by default; key-once is secure only)",
    )
    parser.add_argument(
        "--client", choices=("raw", "aiohttp"), default="raw", help="the generator's HTTP client"
    )
    parser.add_argument(
        "--openleadr-python", help="OpenLEADR's interpreter (default: tests/openleadr_env.py)"
    )
    parser.add_argument("--json", type=Path, help="also write the per-phase results to this JSON file")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead: profile our VTN's poll path (py-spy if installed, else cProfile)",
    )
    parser.add_argument(
        "--profile-out", type=Path, help="with --profile: keep the raw profiles in this folder"
    )
    parser.add_argument(
        "--cprofile", action="store_true", help="with --profile: cProfile even if py-spy is there"
    )
    parser.add_argument("--profile-top", type=int, default=25, help="functions listed by --profile (25)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.rounds = args.rounds or (1 if quick else 3)
    args.seconds = args.seconds or (1.5 if quick else 4.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if quick else 1.0)
    args.requests = args.requests or 40_000
    args.modes = [mode for mode in args.modes.split(",") if mode]
    args.servers = [name for name in args.servers.split(",") if name]
    if not set(args.modes) <= set(MODES) or not set(args.servers) <= set(SERVER_NAMES):
        parser.error(f"--modes among {', '.join(MODES)}; --servers among {', '.join(SERVER_NAMES)}")
    if (
        min(args.rounds, args.vens, args.shipped_vens, args.requests) < 1
        or min(args.seconds, args.timeout) <= 0
    ):
        parser.error("--rounds, --seconds, --vens, --shipped-vens, --requests and --timeout must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    atexit.register(close_children)
    signal.signal(signal.SIGTERM, _on_signal)
    if args.profile:
        return profile_ours(args)
    openleadr_python = None
    if any(name.startswith("openleadr") for name in args.servers):
        try:
            openleadr_python = find_openleadr_python(args.openleadr_python)
        except Exception as exc:
            raise SystemExit(f"cannot build or find OpenLEADR's environment: {exc}") from exc
    results = Results()
    started = time.perf_counter()
    try:
        for mode in args.modes:
            servers = [name for name in args.servers if mode == "secure" or name not in SECURE_ONLY]
            run_mode(mode, servers, args, results, openleadr_python)
    finally:
        close_children()
    print_header(args, results)
    print_table(args, results, args.modes, args.servers)
    print_ratios(results)
    failed = print_failures(results)
    print(f"\n{'FAILED' if failed else 'ok'}: {time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "failed": failed,
                    "phases": [
                        {"mode": mode, "server": name, **vars(result)}
                        for (mode, name), phases in results.phases.items()
                        for result in phases
                    ],
                },
                indent=1,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
