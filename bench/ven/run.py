"""bench/ven: our VEN against OpenLEADR 0.5.36's, CPU per poll cycle and VENs per process.

Both VENs poll the same VTN: our ``VTN`` on SQLite in its own process (``vtn.py``; its CPU is
never counted), asking for a poll every second. Each VEN measurement runs in a fresh process of
its own (``ours.py`` under this interpreter, ``openleadr_ven.py`` under OpenLEADR's), which
measures its own CPU time (``time.process_time``) and prints the result (``childlib.py``).

1. **CPU per poll cycle**: one VEN, registered, polls driven back to back (ours: ``await
   ven.poll()``; OpenLEADR: ``await client._poll()``, the coroutine its scheduler runs), for
   ``--seconds`` or ``--polls``; CPU time of the VEN process / completed polls. Two VTNs: ``empty``
   answers every poll oadrResponse; ``event`` modifies the VEN's event before every
   ``--event-every``-th poll of that VEN, which is then answered oadrDistributeEvent and followed by
   the VEN's oadrCreatedEvent (part of that cycle). Rounds alternate the order of the two VENs.
2. **Fleet**: K VENs in one process, each with its own venName (and SQLite store, ours), on their
   normal loops (ours: ``async with ven.running()``; OpenLEADR: ``await client.run()``) polling every
   second against the empty VTN, for K in ``--fleet``: CPU use (% of one core), RSS and completed
   polls over a measured window against the target of K polls/s. A K **keeps up** with >= 95% of
   the target, CPU < 90%, no failed poll and every VEN started; the **capacity** is the largest K
   that keeps up. A VEN that fails at one K is not tried at larger ones.

Ratios: CPU per poll, OpenLEADR / ours (the speedup); fleet capacity, ours / OpenLEADR.

Run from the repository root with the package installed (``pip install -e .``) and access to
PyPI the first time (to build OpenLEADR's environment)::

    python bench/ven/run.py                 # 3 rounds x 3 s per cycle phase, fleet 50..800: ~4 min
    python bench/ven/run.py --quick         # 1 round x 1 s, fleet 20 and 50: ~35 s
    python bench/ven/run.py --profile 25    # cProfile of our poll cycle (both VTNs), top 25

Not a test and not run in CI (``tests/test_bench_ven.py`` runs a tiny smoke version).
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import importlib.util
import io
import json
import os
import platform
import pstats
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp

import openadr_accel

HERE = Path(__file__).resolve().parent
VTN = HERE / "vtn.py"
OURS = HERE / "ours.py"
OPENLEADR = HERE / "openleadr_ven.py"
VTN_POLL_RUN = HERE.parent / "vtn_poll" / "run.py"

SIDES = ("ours", "openleadr")
LABELS = {"ours": "ours (VEN + SQLite)", "openleadr": "OpenLEADR 0.5.36"}
SCENARIOS = ("empty", "event")
KEEP_UP_RATE = 0.95
KEEP_UP_CPU = 90.0

Json = dict[str, Any]


def _load_vtn_poll() -> ModuleType:
    """``bench/vtn_poll/run.py`` (not a package), for its child processes and OpenLEADR lookup."""
    spec = importlib.util.spec_from_file_location("bench_vtn_poll_run", VTN_POLL_RUN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


vtn_poll = _load_vtn_poll()
Child = vtn_poll.Child


# ============================================================================================
# Child processes: the VTN, and one VEN measurement
# ============================================================================================


class VtnProcess:
    """``vtn.py`` in its own process, answering ``cpu`` and ``counts``."""

    def __init__(self, directory: Path, name: str, event_every: int) -> None:
        config = directory / f"vtn-{name}.json"
        config.write_text(
            json.dumps({"store": str(directory / f"vtn-{name}.db"), "event_every": event_every})
        )
        self.child = Child(
            f"VTN {name}", [sys.executable, str(VTN), str(config)], directory / f"vtn-{name}.log"
        )
        ready = self.child.read(timeout=60)
        if not ready.get("ready"):
            raise RuntimeError(f"the VTN did not start: {ready}")
        self.url = f"http://127.0.0.1:{ready['port']}"

    def cpu(self) -> float:
        return float(self.child.ask({"op": "cpu"})["cpu"])

    def counts(self) -> Json:
        counts: Json = self.child.ask({"op": "counts"})
        return counts

    def close(self) -> None:
        self.child.close()


def run_ven(
    side: str,
    config: Json,
    directory: Path,
    openleadr_python: Path | None,
    *,
    timeout: float,
    vtn: VtnProcess | None = None,
) -> Json:
    """One VEN measurement in a fresh process; its result (with ``vtn``, and the VTN's CPU time
    over a fleet's window as ``vtn_window_cpu``)."""
    path = directory / f"{config['name']}.json"
    path.write_text(json.dumps(config))
    if side == "ours":
        argv = [sys.executable, str(OURS), str(path)]
    else:
        assert openleadr_python is not None
        argv = [str(openleadr_python), str(OPENLEADR), str(path)]
    child = Child(f"{side} VEN ({config['name']})", argv, directory / f"{config['name']}.log")
    try:
        marks: dict[str, float] = {}
        while True:
            line = child.read(timeout=timeout)
            if "window" not in line:
                break
            marks[line["window"]] = vtn.cpu() if vtn is not None else 0.0
        result: Json = line["result"]
        if len(marks) == 2:
            result["vtn_window_cpu"] = marks["end"] - marks["start"]
    finally:
        child.close(timeout=10)
    return result


# ============================================================================================
# 1. CPU per poll cycle
# ============================================================================================


@dataclass
class Cycle:
    side: str
    scenario: str
    polls: int
    failed: int
    cpu: float
    wall: float
    types: dict[str, int]
    event_answers: int
    """oadrCreatedEvent requests the VTN got from this VEN during the measurement."""
    vtn_cpu: float

    @property
    def us_per_poll(self) -> float:
        return 1e6 * self.cpu / self.polls if self.polls else float("nan")

    @property
    def distributions(self) -> int:
        return self.types.get("oadrDistributeEvent", 0)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.failed or not self.polls:
            found.append(f"{self.failed} failed polls, {self.polls} completed")
        distributed = self.distributions
        if self.scenario == "event" and (not distributed or self.event_answers < distributed):
            found.append(f"{distributed} distributions but {self.event_answers} oadrCreatedEvent")
        if self.scenario == "empty" and set(self.types) != {"oadrResponse"}:
            found.append(f"the empty VTN answered {self.types}")
        return found


def measure_cycles(args: argparse.Namespace, directory: Path, openleadr_python: Path | None) -> list[Cycle]:
    cycles = []
    for scenario in SCENARIOS:
        event_every = args.event_every if scenario == "event" else 0
        vtn = VtnProcess(directory, scenario, event_every)
        try:
            for index in range(args.rounds):
                order = args.sides if index % 2 == 0 else args.sides[::-1]
                for side in order:
                    config = {
                        "mode": "cycle",
                        "vtn_url": vtn.url,
                        "store_dir": str(directory),
                        "name": f"{side}-{scenario}-{index}",
                        "warmup_polls": args.warmup_polls,
                        "polls": args.polls,
                        "seconds": args.seconds,
                    }
                    before, cpu0 = vtn.counts(), vtn.cpu()
                    result = run_ven(side, config, directory, openleadr_python, timeout=args.seconds + 120)
                    after, cpu1 = vtn.counts(), vtn.cpu()
                    errors = after["event_errors"]
                    if errors:
                        raise RuntimeError(f"the VTN could not modify events: {errors}")
                    answers = after["requests"].get("EiEvent", 0) - before["requests"].get("EiEvent", 0)
                    cycle = Cycle(
                        side=side,
                        scenario=scenario,
                        polls=int(result["polls"]),
                        failed=int(result["failed"]),
                        cpu=float(result["cpu"]),
                        wall=float(result["wall"]),
                        types=result["types"],
                        event_answers=answers,
                        vtn_cpu=cpu1 - cpu0,
                    )
                    cycles.append(cycle)
                    progress(
                        f"cycle  {scenario:<5} round {index + 1}/{args.rounds} {side:<9} "
                        f"{cycle.us_per_poll:7.0f} µs CPU per poll  ({cycle.polls} polls in "
                        f"{cycle.wall:.1f} s{'; ' + '; '.join(cycle.problems) if cycle.problems else ''})"
                    )
        finally:
            vtn.close()
    return cycles


# ============================================================================================
# 2. Fleet
# ============================================================================================


@dataclass
class Fleet:
    side: str
    count: int
    result: Json
    vtn_share: float
    """The VTN's CPU use over the window (% of one core)."""

    @property
    def rate(self) -> float:
        """Polls per second over the window (each VEN's, from its poll times), as a share of
        the target (K per second)."""
        return float(self.result["rate"]) / self.count

    @property
    def cpu_share(self) -> float:
        return 100 * float(self.result["cpu"]) / float(self.result["wall"])

    @property
    def started(self) -> int:
        return int(self.result["startup"]["started"])

    @property
    def keeps_up(self) -> bool:
        return (
            self.rate >= KEEP_UP_RATE
            and self.cpu_share < KEEP_UP_CPU
            and not self.result["failed"]
            and self.started == self.count
        )


def run_fleet(
    args: argparse.Namespace,
    directory: Path,
    openleadr_python: Path | None,
    *,
    side: str,
    count: int,
    profile: Path | None = None,
) -> Fleet:
    """K VENs of one side in a fresh process, against a fresh empty VTN."""
    name = f"{side}-k{count}{'-profile' if profile else ''}"
    vtn = VtnProcess(directory, f"fleet-{name}", 0)
    try:
        config = {
            "mode": "fleet",
            "vtn_url": vtn.url,
            "store_dir": str(directory / f"fleet-{name}"),
            "name": name,
            "count": count,
            "startup_timeout": args.startup_timeout,
            "warmup": args.fleet_warmup,
            "window": args.fleet_window,
            "profile": str(profile) if profile else None,
        }
        Path(config["store_dir"]).mkdir()
        timeout = 2 * args.startup_timeout + args.fleet_warmup + args.fleet_window + 60
        result = run_ven(side, config, directory, openleadr_python, timeout=timeout, vtn=vtn)
    finally:
        vtn.close()
    share = 100 * result.get("vtn_window_cpu", float("nan")) / result["wall"]
    fleet = Fleet(side=side, count=count, result=result, vtn_share=share)
    progress(
        f"fleet  {side:<9} K={count:<5} {100 * fleet.rate:5.1f}% of {count} polls/s, "
        f"CPU {fleet.cpu_share:3.0f}%, poll {1e3 * result['latency']:.0f} ms, "
        f"RSS {result['rss'] / 2**20:.0f} MB, started {fleet.started}/{count} in "
        f"{result['startup']['wall']:.1f} s, failed {result['failed']}: "
        f"{'keeps up' if fleet.keeps_up else 'does NOT keep up'}"
    )
    return fleet


def measure_fleets(args: argparse.Namespace, directory: Path, openleadr_python: Path | None) -> list[Fleet]:
    """Every K of ``--fleet`` in turn, both sides (alternating which goes first), until a side
    does not keep up; then, per side, ``--refine`` more K halfway between its last K that kept up
    and the first that did not."""
    fleets: list[Fleet] = []
    active = list(args.sides)
    deadline = time.monotonic() + args.fleet_budget

    def run(side: str, count: int) -> Fleet:
        fleet = run_fleet(args, directory, openleadr_python, side=side, count=count)
        fleets.append(fleet)
        return fleet

    for index, count in enumerate(args.fleet):
        if time.monotonic() > deadline:  # checked per K: both sides run the same sizes
            progress(f"fleet  K={count} and larger: skipped, over --fleet-budget")
            break
        for side in active if index % 2 == 0 else active[::-1]:
            fleet = run(side, count)
            if not fleet.keeps_up:
                active.remove(side)
                continue
            # Memory bound: the next K must fit in --max-rss-mb at this K's RSS per VEN.
            following = next((k for k in args.fleet if k > count), None)
            if following and fleet.result["rss"] / count * following > args.max_rss_mb * 2**20:
                progress(f"fleet  {side:<9} stops at K={count}: K={following} would pass --max-rss-mb")
                active.remove(side)
        if not active:
            break
    for side in args.sides:
        for _ in range(args.refine):
            tried = [f for f in fleets if f.side == side]
            good = max((f.count for f in tried if f.keeps_up), default=0)
            bad = min((f.count for f in tried if not f.keeps_up and f.count > good), default=None)
            if not good or bad is None or bad - good < max(10, good // 10):
                break
            if time.monotonic() > deadline + args.fleet_budget / 4:
                progress(f"fleet  {side:<9} no refining K: over --fleet-budget")
                break
            run(side, (good + bad) // 2 // 10 * 10)
    return fleets


# ============================================================================================
# Report
# ============================================================================================


def progress(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_header(args: argparse.Namespace, openleadr_python: Path | None) -> None:
    print(f"bench/ven  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"  openadr_accel {openadr_accel.__version__}, Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}"
    )
    if openleadr_python is not None:
        print(f"  OpenLEADR 0.5.36 (own virtual environment: {openleadr_python})")
    print(
        f"  {os.cpu_count()} CPUs, {platform.machine()}; VTN: ours on SQLite, own process, poll "
        f"frequency 1 s; {args.rounds} round(s) of up to {args.polls} polls or {args.seconds:g} s "
        f"per cycle phase (after {args.warmup_polls} warm-up polls); events every {args.event_every} polls; "
        f"fleet window {args.fleet_window:g} s after {args.fleet_warmup:g} s"
    )


def print_cycles(args: argparse.Namespace, cycles: list[Cycle]) -> None:
    print("\n1. CPU per poll cycle, one VEN polling back to back (median over rounds; VEN process only)")
    print(
        f"  {'VEN':<22} {'VTN':<26} {'CPU µs/poll':>11} {'polls/s':>8} {'VEN %':>6} {'VTN µs/poll':>11}"
        f"  {'polls':>6} {'events':>6}"
    )
    for scenario in SCENARIOS:
        label = "empty (oadrResponse)" if scenario == "empty" else f"event every {args.event_every} polls"
        for side in args.sides:
            rows = [c for c in cycles if c.side == side and c.scenario == scenario]
            if not rows:
                continue
            print(
                f"  {LABELS[side]:<22} {label:<26} {median([c.us_per_poll for c in rows]):>11.0f} "
                f"{median([c.polls / c.wall for c in rows]):>8.0f} "
                f"{median([100 * c.cpu / c.wall for c in rows]):>6.0f} "
                f"{median([1e6 * c.vtn_cpu / c.polls for c in rows]):>11.0f}  "
                f"{sum(c.polls for c in rows):>6} {sum(c.distributions for c in rows):>6}"
            )
    print(
        "  (VEN %: the VEN process's CPU use while polling, 100 = one core; VTN µs/poll: the VTN "
        "process's CPU, not counted; events: polls answered oadrDistributeEvent)"
    )
    print("\n  CPU per poll, OpenLEADR / ours (speedup; per-round range)")
    for scenario in SCENARIOS:
        ours = [c for c in cycles if c.side == "ours" and c.scenario == scenario]
        theirs = [c for c in cycles if c.side == "openleadr" and c.scenario == scenario]
        if not ours or not theirs:
            continue
        ratio = median([c.us_per_poll for c in theirs]) / median([c.us_per_poll for c in ours])
        per_round = [t.us_per_poll / o.us_per_poll for o, t in zip(ours, theirs, strict=True)]
        print(
            f"  speedup, CPU per poll ({scenario}):{'':<{8 - len(scenario)}} {ratio:6.2f}x  "
            f"{min(per_round):.2f}-{max(per_round):.2f}"
        )


def capacity(fleets: list[Fleet], side: str) -> tuple[int, bool]:
    """The largest K that kept up (0 if none), and whether it is only a lower bound (the
    largest K tried kept up)."""
    tried = [f for f in fleets if f.side == side]
    kept = [f.count for f in tried if f.keeps_up]
    best = max(kept, default=0)
    return best, bool(tried) and best == max(f.count for f in tried)


def print_fleets(fleets: list[Fleet]) -> None:
    print(
        f"\n2. Fleet: K VENs in one process, each polling every 1 s on its normal loop (keeps up: "
        f">= {100 * KEEP_UP_RATE:.0f}% of K polls/s, CPU < {KEEP_UP_CPU:.0f}%, no failure)"
    )
    print(
        f"  {'VEN':<22} {'K':>5} {'polls/s':>8} {'of K':>6} {'CPU %':>6} {'µs/poll':>8} {'poll ms':>7} "
        f"{'K@90%':>6} {'RSS MB':>7} {'kB/VEN':>7} {'start s':>7} {'fail':>5} {'VTN %':>6}  verdict"
    )
    for fleet in sorted(fleets, key=lambda f: (f.count, SIDES.index(f.side))):
        result = fleet.result
        per_ven = (result["rss"] - result["rss_base"]) / fleet.count / 1024
        polls_per_s = result["rate"]
        cpu_per_poll = 1e6 * result["cpu"] / result["polls"] if result["polls"] else float("nan")
        print(
            f"  {LABELS[fleet.side]:<22} {fleet.count:>5} {polls_per_s:>8.0f} {100 * fleet.rate:>5.1f}% "
            f"{fleet.cpu_share:>6.0f} {cpu_per_poll:>8.0f} {1e3 * result['latency']:>7.1f} "
            f"{fleet.count * KEEP_UP_CPU / fleet.cpu_share:>6.0f} "
            f"{result['rss'] / 2**20:>7.0f} {per_ven:>7.0f} "
            f"{result['startup']['wall']:>7.1f} {result['failed']:>5} {fleet.vtn_share:>6.0f}  "
            f"{'keeps up' if fleet.keeps_up else 'does not keep up'}"
        )
    print(
        "  (µs/poll: the VEN process's CPU over the window per completed poll, all its loops "
        "included;\n   poll ms: mean time from a poll's start to its end; K@90%: the K at which the CPU "
        "would reach 90% at this CPU per VEN (an estimate);\n   kB/VEN: RSS over the "
        "process's RSS before the VENs, per VEN;\n   start s: until every VEN polled once; VTN %: "
        "the VTN process's CPU use over the window, not counted)"
    )
    ours, ours_bound = capacity(fleets, "ours")
    theirs, theirs_bound = capacity(fleets, "openleadr")
    sides = {f.side for f in fleets}
    for side, (value, bound) in (("ours", (ours, ours_bound)), ("openleadr", (theirs, theirs_bound))):
        if side in sides:
            print(f"  capacity of {LABELS[side]:<22} {'>= ' if bound else ''}{value} VENs")
    if {"ours", "openleadr"} <= sides:
        if theirs == 0:
            print("  capacity ratio, ours / OpenLEADR:   n/a (OpenLEADR kept up at no K tried)")
        else:
            qualifier = "at least " if ours_bound else ""
            if theirs_bound and not ours_bound:
                qualifier = "at most "
            elif theirs_bound and ours_bound:
                qualifier = "(both at the largest K) "
            print(f"  capacity ratio, ours / OpenLEADR:   {qualifier}{ours / theirs:.2f}x")
    for fleet in fleets:
        interesting = dict(fleet.result.get("logs", {}))
        if fleet.result.get("notes", {}).get("not_registered"):
            interesting["not registered"] = fleet.result["notes"]["not_registered"]
        if interesting and not fleet.keeps_up:
            print(f"  log of {fleet.side} at K={fleet.count}: {json.dumps(interesting)[:400]}")


# ============================================================================================
# Profile of our poll cycle
# ============================================================================================


PROFILE_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("VenSession.poll (the whole cycle)", "openadr_accel/ven/session.py", "poll"),
    ("  VtnClient.post (aiohttp: request, answer's bytes)", "openadr_accel/ven/transport.py", "post"),
    ("  xml.serialize (our poll, oadrCreatedEvent)", "openadr_accel/xml/__init__.py", "serialize"),
    ("  InboundReader.read (parse + XSD + decode)", "openadr_accel/ven/transport.py", "read"),
    ("    xml.parse_tree (lxml + XSD)", "openadr_accel/xml/parser.py", "parse_tree"),
    ("    xml.decode", "openadr_accel/xml/decode.py", "decode"),
    ("  VenSession.answer (events: decide, store)", "openadr_accel/ven/session.py", "answer"),
    ("VEN._sleep (the loops' waits: asyncio.wait_for)", "openadr_accel/ven/node.py", "_sleep"),
    ("VenEvents.fire_due (the scheduler's look)", "openadr_accel/ven/events.py", "fire_due"),
    ("VEN._reporter (the reporter's look)", "openadr_accel/ven/node.py", "_reporter"),
    ("asyncio's loop, all (BaseEventLoop._run_once)", "asyncio/base_events.py", "_run_once"),
)
"""cProfile groups: (label, file suffix, function); cumulative CPU per poll."""


def profile_groups(path: Path, polls: int) -> None:
    stats = pstats.Stats(str(path))
    entries: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(value[2] for value in entries.values())
    print(f"  {'everything profiled (CPU, under cProfile)':<54} {1e6 * total / polls:>8.0f} µs per poll")
    for label, suffix, name in PROFILE_GROUPS:
        cumulative = max(  # the largest: decode.py has a method named decode too
            (
                value[3]
                for (filename, _, function), value in entries.items()
                if filename.endswith(suffix) and function == name
            ),
            default=0.0,
        )
        print(f"  {label:<54} {1e6 * cumulative / polls:>8.0f}  {100 * cumulative / total:>4.0f}%")


def print_profile(path: Path, polls: int, top: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"  (below: seconds of CPU over all {polls} polls)")
    print("\n".join("  " + line for line in out.getvalue().splitlines() if line.strip()))


def profile_fleet(args: argparse.Namespace, directory: Path) -> None:
    """Our fleet of ``--profile-fleet`` VENs, its measured window under cProfile (CPU time)."""
    count = args.profile_fleet
    plain = run_fleet(args, directory, None, side="ours", count=count)
    path = directory / "ours-fleet.prof"
    profiled = run_fleet(args, directory, None, side="ours", count=count, profile=path)
    polls = int(profiled.result["polls"])
    print(
        f"\n=== our fleet of {count} VENs: {plain.cpu_share:.0f}% CPU, "
        f"{1e6 * plain.result['cpu'] / plain.result['polls']:.0f} µs CPU per poll without profiler; "
        f"cProfile over the window ({polls} polls) ==="
    )
    profile_groups(path, polls)
    print_profile(path, polls, args.profile or 25)


def profile_ours(args: argparse.Namespace, directory: Path) -> None:
    for scenario in SCENARIOS:
        vtn = VtnProcess(directory, f"profile-{scenario}", args.event_every if scenario == "event" else 0)
        try:
            path = directory / f"ours-{scenario}.prof"
            config = {
                "mode": "cycle",
                "vtn_url": vtn.url,
                "store_dir": str(directory),
                "name": f"ours-profile-{scenario}",
                "warmup_polls": args.warmup_polls,
                "polls": args.polls,
                "seconds": args.seconds,
                "profile": str(path),
            }
            plain = run_ven(
                "ours",
                {**config, "profile": None, "name": f"ours-plain-{scenario}"},
                directory,
                None,
                timeout=120,
            )
            result = run_ven("ours", config, directory, None, timeout=args.seconds + 120)
        finally:
            vtn.close()
        polls = int(result["polls"])
        print(
            f"\n=== our VEN, poll cycle, VTN {scenario}: {1e6 * plain['cpu'] / plain['polls']:.0f} µs CPU "
            f"per poll without profiler; cProfile over {polls} polls ({result['types']}) ==="
        )
        profile_groups(path, polls)
        print_profile(path, polls, args.profile)


# ============================================================================================
# Main
# ============================================================================================


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 round x 1 s, fleet 20,50 with a 3 s window")
    parser.add_argument("--rounds", type=int, help="cycle rounds (3; 1 with --quick)")
    parser.add_argument("--seconds", type=float, help="time cap of a cycle phase (3; 1 with --quick)")
    parser.add_argument("--polls", type=int, default=10_000, help="polls cap of a cycle phase (10000)")
    parser.add_argument("--warmup-polls", type=int, default=30, help="polls before a cycle phase (30)")
    parser.add_argument(
        "--event-every", type=int, default=10, help="event VTN: a distribution every N polls (10)"
    )
    parser.add_argument(
        "--fleet", help="fleet sizes K (100,200,400,800,1600; 20,50 with --quick; 'none': no fleet)"
    )
    parser.add_argument("--fleet-window", type=float, help="measured window of a fleet (5 s; 3 with --quick)")
    parser.add_argument("--fleet-warmup", type=float, help="wait before the window (1.5 s; 1 with --quick)")
    parser.add_argument("--startup-timeout", type=float, default=60, help="for every VEN to poll once (60 s)")
    parser.add_argument(
        "--fleet-budget", type=float, default=150, help="no new K after this (150 s; refining K until +25%%)"
    )
    parser.add_argument(
        "--refine", type=int, help="K tried between a side's last K kept up and its first not (1; 0 quick)"
    )
    parser.add_argument("--max-rss-mb", type=float, default=4000, help="no K expected past this RSS (4000)")
    parser.add_argument("--sides", default=",".join(SIDES), help="VENs among ours,openleadr (both)")
    parser.add_argument("--no-cycle", action="store_true", help="skip the CPU per poll measurement")
    parser.add_argument(
        "--openleadr-python", help="OpenLEADR's interpreter (default: tests/openleadr_env.py)"
    )
    parser.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    parser.add_argument("--profile", type=int, metavar="N", help="instead: cProfile our poll cycle, top N")
    parser.add_argument(
        "--profile-fleet", type=int, metavar="K", help="instead: cProfile our fleet of K VENs (top --profile)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.rounds = args.rounds or (1 if quick else 3)
    args.seconds = args.seconds or (1.0 if quick else 3.0)
    args.fleet_window = args.fleet_window or (3.0 if quick else 5.0)
    args.fleet_warmup = args.fleet_warmup if args.fleet_warmup is not None else (1.0 if quick else 1.5)
    fleet = args.fleet or ("20,50" if quick else "100,200,400,800,1600")
    args.refine = args.refine if args.refine is not None else (0 if quick else 1)
    args.fleet = [] if fleet == "none" else sorted(int(k) for k in fleet.split(",") if k)
    args.sides = [side for side in args.sides.split(",") if side]
    if not set(args.sides) <= set(SIDES) or not args.sides:
        parser.error("--sides among ours,openleadr")
    if (
        min([args.rounds, args.polls, args.event_every, *args.fleet]) < 1
        or min(args.seconds, args.fleet_window) <= 0
    ):
        parser.error(
            "--rounds, --polls, --event-every, --fleet, --seconds and --fleet-window must be positive"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    atexit.register(vtn_poll.close_children)
    signal.signal(signal.SIGTERM, vtn_poll._on_signal)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-ven-") as temporary:
        directory = Path(temporary)
        if args.profile_fleet:
            profile_fleet(args, directory)
            return 0
        if args.profile:
            profile_ours(args, directory)
            return 0
        openleadr_python = None
        if "openleadr" in args.sides:
            try:
                openleadr_python = vtn_poll.find_openleadr_python(args.openleadr_python)
            except Exception as exc:
                raise SystemExit(f"cannot build or find OpenLEADR's environment: {exc}") from exc
        try:
            cycles = [] if args.no_cycle else measure_cycles(args, directory, openleadr_python)
            fleets = measure_fleets(args, directory, openleadr_python)
        finally:
            vtn_poll.close_children()
    print_header(args, openleadr_python)
    if cycles:
        print_cycles(args, cycles)
    if fleets:
        print_fleets(fleets)
    problems = [f"{c.side} {c.scenario}: {problem}" for c in cycles for problem in c.problems]
    for problem in problems:
        print(f"\nFAILED: {problem}")
    print(f"\n{'FAILED' if problems else 'ok'}: {time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "failed": bool(problems),
                    "cycles": [{**vars(c), "us_per_poll": c.us_per_poll} for c in cycles],
                    "fleets": [
                        {**vars(f), "rate": f.rate, "cpu_share": f.cpu_share, "keeps_up": f.keeps_up}
                        for f in fleets
                    ],
                },
                indent=1,
            )
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
