"""What the two VEN processes of ``bench/ven`` share: the measured loops and their output.

Standard library only: ``ours.py`` runs it under our interpreter, ``openleadr_ven.py`` under
OpenLEADR's (both import it from their own folder). Each VEN process runs one measurement, then
prints one JSON line ``{"result": {...}}`` (or ``{"error": "..."}``) and exits; a fleet also prints
``{"window": "start"}`` and ``{"window": "end"}`` around its measured window.

A :class:`Side` is one VEN implementation: how to start one VEN (registered, its normal loop not
running) and drive one poll cycle, how to start a fleet of K VENs with their normal loops, and
how to stop them. Each VEN counts its own completed polls in a :class:`PollCounter` (the poll
coroutine of the VEN, wrapped on the instance: a poll that returned a message is counted ``ok``,
one that failed ``failed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import logging
import os
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

Json = dict[str, Any]


def say(message: Json) -> None:
    """One JSON line to ``run.py``."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def cpu_seconds() -> float:
    """CPU time of this process (all threads), user + system."""
    return time.process_time()


def rss_bytes() -> int:
    """The process's resident set size now (``/proc/self/statm``; 0 if unreadable)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class LogCounter(logging.Handler):
    """Counts the WARNING and worse records of the process by logger and message template,
    instead of printing them (a fleet would print thousands)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}: {str(record.msg)[:90]}"] += 1


LOGS = LogCounter()
logging.getLogger().addHandler(LOGS)


class PollCounter:
    """Completed and failed polls of one VEN, and what the completed ones brought."""

    __slots__ = ("failed", "last", "ok", "types", "waited")

    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self.last = 0.0
        """When the last completed poll started (``time.monotonic``)."""
        self.waited = 0.0
        """The time completed polls took, from their start (``time.monotonic``) to their end."""
        self.types: Counter[str] = Counter()

    def completed(self, message_type: str, started: float) -> None:
        self.ok += 1
        self.last = started
        self.waited += time.monotonic() - started
        self.types[message_type] += 1


class Side(Protocol):
    """One VEN implementation (see the module docstring)."""

    async def start_one(self, name: str) -> tuple[Any, PollCounter]:
        """One VEN, registered, its loop not running; its handle and counter."""

    async def poll(self, handle: Any) -> None:
        """One poll cycle: poll, and answer what came (oadrCreatedEvent, ...)."""

    async def stop_one(self, handle: Any) -> None: ...

    async def start_fleet(self, names: Sequence[str]) -> list[PollCounter]:
        """``names`` VENs in this process, each running its normal loop (registering first)."""

    async def stop_fleet(self) -> None: ...

    def fleet_notes(self) -> Json:
        """Anything worth reporting about the fleet."""


def _types(counters: Sequence[PollCounter]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for counter in counters:
        total.update(counter.types)
    return dict(total)


async def cycle(side: Side, config: Json) -> Json:
    """CPU per poll cycle: one VEN, polls driven back to back for ``polls`` or ``seconds``."""
    handle, counter = await side.start_one(config["name"])
    try:
        for _ in range(int(config["warmup_polls"])):
            await side.poll(handle)
        warm_ok, warm_failed = counter.ok, counter.failed
        counter.types.clear()
        profile = cProfile.Profile(cpu_seconds) if config.get("profile") else None  # CPU, not waits
        limit = int(config["polls"])
        deadline = time.perf_counter() + float(config["seconds"])
        driven = 0
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        if profile is not None:
            profile.enable()
        while driven < limit and time.perf_counter() < deadline:
            await side.poll(handle)
            driven += 1
        if profile is not None:
            profile.disable()
        cpu1, wall1 = cpu_seconds(), time.perf_counter()
        if profile is not None:
            profile.dump_stats(config["profile"])
    finally:
        await side.stop_one(handle)
    return {
        "driven": driven,
        "polls": counter.ok - warm_ok,
        "failed": counter.failed - warm_failed,
        "cpu": cpu1 - cpu0,
        "wall": wall1 - wall0,
        "types": dict(counter.types),
        "rss": rss_bytes(),
        "logs": dict(LOGS.counts.most_common(8)),
    }


def _rate(before: tuple[int, float], after: tuple[int, float]) -> float:
    """One VEN's polls per second between two looks: the polls completed after the first look,
    over the time from the start of the last poll completed before it to the start of the last
    completed before the second. The start times are the VEN's schedule, which the time a poll
    waits for its answer (many VENs polling at once) does not move, and the window's edges do
    not count, whatever the VENs' phases."""
    polls = after[0] - before[0]
    span = after[1] - before[1]
    return polls / span if polls and span > 0 else 0.0


async def fleet(side: Side, config: Json) -> Json:
    """K VENs on their normal loops: startup until each has polled once, a warm-up, then a
    measured window (CPU, completed polls and their rate, RSS at its end)."""
    count = int(config["count"])
    names = [f"{config['name']}-{index:04d}" for index in range(count)]
    rss0 = rss_bytes()
    cpu_start, wall_start = cpu_seconds(), time.perf_counter()
    counters = await side.start_fleet(names)
    try:
        deadline = wall_start + float(config["startup_timeout"])
        while any(counter.ok == 0 for counter in counters) and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        started = sum(1 for counter in counters if counter.ok)
        startup = {
            "wall": time.perf_counter() - wall_start,
            "cpu": cpu_seconds() - cpu_start,
            "started": started,
        }
        await asyncio.sleep(float(config["warmup"]))
        before = [(counter.ok, counter.last, counter.failed, counter.waited) for counter in counters]
        for counter in counters:
            counter.types.clear()
        profile = cProfile.Profile(cpu_seconds) if config.get("profile") else None
        say({"window": "start"})  # run.py reads the VTN's CPU time at both ends
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        if profile is not None:
            profile.enable()
        await asyncio.sleep(float(config["window"]))
        if profile is not None:
            profile.disable()
        cpu1, wall1 = cpu_seconds(), time.perf_counter()
        say({"window": "end"})
        if profile is not None:
            profile.dump_stats(config["profile"])
        rss1 = rss_bytes()
        pairs = list(zip(counters, before, strict=True))
        per_ven = [counter.ok - ok for counter, (ok, _, _, _) in pairs]
        rates = [_rate((ok, last), (counter.ok, counter.last)) for counter, (ok, last, _, _) in pairs]
        failed = sum(counter.failed - failed for counter, (_, _, failed, _) in pairs)
        waited = sum(counter.waited - waited for counter, (_, _, _, waited) in pairs)
        types = _types(counters)
    finally:
        stopping = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(side.stop_fleet(), timeout=float(config["startup_timeout"]))
        stop_wall = time.perf_counter() - stopping
    return {
        "count": count,
        "startup": startup,
        "polls": sum(per_ven),
        "rate": sum(rates),
        "rate_min": min(rates),
        "per_ven_min": min(per_ven),
        "per_ven_max": max(per_ven),
        "failed": failed,
        "latency": waited / sum(per_ven) if sum(per_ven) else float("nan"),
        "cpu": cpu1 - cpu0,
        "wall": wall1 - wall0,
        "rss": rss1,
        "rss_base": rss0,
        "types": types,
        "stop_wall": stop_wall,
        "notes": side.fleet_notes(),
        "logs": dict(LOGS.counts.most_common(8)),
    }


def main(make_side: Callable[[Json], Side], argv: list[str]) -> int:
    """``python ours.py|openleadr_ven.py CONFIG.json``: run its measurement, print the result."""
    if len(argv) != 2:
        print(f"usage: {argv[0]} CONFIG.json", file=sys.stderr)
        return 2
    config: Json = json.loads(Path(argv[1]).read_text())
    try:
        measure = cycle if config["mode"] == "cycle" else fleet
        result = asyncio.run(measure(make_side(config), config))
    except Exception as exc:
        traceback.print_exc()
        say({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    say({"result": result})
    return 0
