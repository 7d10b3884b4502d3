"""bench/codec: serialize + validate + parse round trips per second, against OpenLEADR 0.5.36.

Two workloads, each built once with our model and once as OpenLEADR ``create_message``
arguments carrying the same content (checked: our parser reads OpenLEADR's document back as an
object equal to ours):

- ``distributeEvent``: an ``oadrDistributeEvent`` with one event of 24 one-hour intervals of an
  ELECTRICITY_PRICE signal in USD/kWh, targeted at one VEN;
- ``updateReport``: an ``oadrUpdateReport`` with one TELEMETRY_USAGE report of 10 one-minute
  intervals, each with one data point (value, confidence, accuracy, data quality).

One round trip is what it costs to send a message and to accept it on the other side:

- ours: ``parse(serialize(message))`` (``parse`` validates against the 2.0b XSD by default);
- OpenLEADR's: ``create_message`` + ``validate_xml_schema`` + ``parse_message``.

OpenLEADR runs in its own process under its own interpreter (``openleadr_side.py``). Rounds
interleave the two sides (ours then theirs, theirs then ours on the next round, ...) so that both
share the machine's noise; the table shows the median rate over the rounds and the ratio of the
medians, with the range of the per-round ratios. A split of each side into its steps follows.

Run from the repository root with the package installed (``pip install -e .``)::

    python bench/codec/run.py                 # 5 rounds of 1.2 s per side and workload, ~50 s
    python bench/codec/run.py --rounds 9 --seconds 2
    python bench/codec/run.py --profile 25    # cProfile of our round trip only, top 25

Not a test and not run in CI: it prints figures for a person to read.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib
import io
import json
import os
import platform
import pstats
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from lxml import etree

import openadr_accel
from openadr_accel import model as m
from openadr_accel.xml import decode, parse, parse_tree, serialize, validate_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
SIDE_SCRIPT = Path(__file__).with_name("openleadr_side.py")
GOAL = 10.0
"""The goal: at least this many times OpenLEADR's round trips per second."""

Json = dict[str, Any]

T0 = dt.datetime(2026, 7, 1, 14, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
VEN_ID = "ven-evse-0042"
VTN_ID = "vtn-utility-1"
MARKET = "http://market.example.com/dr-program"


# ============================================================================================
# Workloads: our model object and the same content as OpenLEADR create_message arguments
# ============================================================================================


def tag(value: Any) -> Any:
    """Make OpenLEADR arguments JSON-serialisable (``openleadr_side.untag`` undoes it)."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$timedelta": value.total_seconds()}
    if isinstance(value, dict):
        return {key: tag(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [tag(item) for item in value]
    return value


def number(value: Decimal) -> int | float:
    """A Decimal as the int or float an OpenLEADR caller passes (written with ``str``)."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class Workload:
    name: str
    ours: m.Payload
    message_type: str
    openleadr_payload: Json
    expect: Json
    """What OpenLEADR's parse must show: the event or report ID and the interval values."""

    def openleadr_spec(self) -> Json:
        return {
            "message_type": self.message_type,
            "payload": tag(self.openleadr_payload),
            "expect": self.expect,
        }


def distribute_event() -> Workload:
    """One ELECTRICITY_PRICE event of 24 one-hour intervals in USD/kWh, targeted at one VEN."""
    prices = [Decimal("0.10") + Decimal(hour) / 100 for hour in range(24)]
    descriptor = m.EventDescriptor(
        event_id="event-price-1",
        modification_number=0,
        priority=1,
        market_context=MARKET,
        created_date_time=T0 - dt.timedelta(days=1),
        event_status=m.EventStatus.FAR,
    )
    period = m.EiActivePeriod(dtstart=T0 + dt.timedelta(days=1), duration=HOUR * 24)
    unit = m.CurrencyUnit(kind=m.CurrencyKind.CURRENCY_PER_KWH, code=m.CurrencyCode.USD)
    signal = m.EiEventSignal(
        intervals=tuple(
            m.SignalInterval(duration=HOUR, uid=str(hour), payloads=(m.PayloadFloat(value=price),))
            for hour, price in enumerate(prices)
        ),
        signal_name=m.SignalName.ELECTRICITY_PRICE,
        signal_type=m.SignalType.PRICE,
        signal_id="signal-price",
        item_base=unit,
        current_value=Decimal(0),
    )
    ours = m.OadrDistributeEvent(
        request_id="req-dist-1",
        vtn_id=VTN_ID,
        events=(
            m.OadrEvent(
                ei_event=m.EiEvent(
                    event_descriptor=descriptor,
                    active_period=period,
                    signals=(signal,),
                    target=m.EiTarget(ven_ids=(VEN_ID,)),
                ),
                response_required=m.ResponseRequired.ALWAYS,
            ),
        ),
    )
    event = {
        "event_descriptor": {
            "event_id": descriptor.event_id,
            "modification_number": descriptor.modification_number,
            "priority": descriptor.priority,
            "market_context": descriptor.market_context,
            "created_date_time": descriptor.created_date_time,
            "event_status": descriptor.event_status.value,
        },
        "active_period": {"dtstart": period.dtstart, "duration": period.duration},
        "event_signals": [
            {
                "intervals": [{"duration": HOUR, "signal_payload": number(price)} for price in prices],
                "signal_name": signal.signal_name.value,
                "signal_type": signal.signal_type.value,
                "signal_id": signal.signal_id,
                "measurement": {
                    "name": unit.kind.value,
                    "description": unit.item_description,
                    "unit": unit.item_units,
                    "scale": unit.scale.value,
                },
                "current_value": 0,
            }
        ],
        "targets": [{"ven_id": VEN_ID}],
        "response_required": "always",
    }
    return Workload(
        name="distributeEvent",
        ours=ours,
        message_type="oadrDistributeEvent",
        openleadr_payload={"request_id": ours.request_id, "vtn_id": VTN_ID, "events": [event]},
        expect={"event_id": descriptor.event_id, "values": [number(price) for price in prices]},
    )


def update_report() -> Workload:
    """One TELEMETRY_USAGE report of 10 one-minute intervals, one data point each."""
    values = [Decimal("7.2") + Decimal(minute) / 10 for minute in range(10)]
    report = m.OadrReport(
        dtstart=T0,
        intervals=tuple(
            m.ReportInterval(
                dtstart=T0 + MINUTE * minute,
                duration=MINUTE,
                payloads=(
                    m.OadrReportPayload(
                        r_id="power-1",
                        payload=m.PayloadFloat(value=value),
                        confidence=100,
                        accuracy=Decimal("0.5"),
                        data_quality=m.DataQuality.QUALITY_GOOD_NON_SPECIFIC,
                    ),
                ),
            )
            for minute, value in enumerate(values)
        ),
        ei_report_id="report-42",
        report_request_id="req-telemetry-1",
        report_specifier_id="spec-telemetry",
        report_name=m.ReportName.TELEMETRY_USAGE,
        created_date_time=T0 + MINUTE * 10,
    )
    ours = m.OadrUpdateReport(request_id="req-update-report-1", reports=(report,), ven_id=VEN_ID)
    openleadr_report = {
        "dtstart": T0,
        "intervals": [
            {
                "dtstart": T0 + MINUTE * minute,
                "duration": MINUTE,
                "report_payload": {
                    "r_id": "power-1",
                    "confidence": 100,
                    "accuracy": 0.5,
                    "value": number(value),
                    "data_quality": m.DataQuality.QUALITY_GOOD_NON_SPECIFIC.value,
                },
            }
            for minute, value in enumerate(values)
        ],
        "report_id": report.ei_report_id,
        "report_descriptions": [],
        "report_request_id": report.report_request_id,
        "report_specifier_id": report.report_specifier_id,
        "report_name": m.ReportName.TELEMETRY_USAGE.value,
        "created_date_time": report.created_date_time,
    }
    return Workload(
        name="updateReport",
        ours=ours,
        message_type="oadrUpdateReport",
        openleadr_payload={"request_id": ours.request_id, "reports": [openleadr_report], "ven_id": VEN_ID},
        expect={"report_request_id": report.report_request_id, "values": [number(v) for v in values]},
    )


WORKLOADS: tuple[Callable[[], Workload], ...] = (distribute_event, update_report)


# ============================================================================================
# Timing
# ============================================================================================


def timed(step: Callable[[], object], seconds: float) -> tuple[int, float, object]:
    """Call ``step`` until ``seconds`` have passed (the same loop as ``openleadr_side.timed``)."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        result = step()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count, now - start, result


def our_round_trip(payload: m.Payload) -> Callable[[], m.Payload]:
    return lambda: parse(serialize(payload))


def our_steps(payload: m.Payload) -> dict[str, Callable[[], object]]:
    """Our round trip cut into its steps, each timed alone on the same document."""
    data = serialize(payload)
    root = parse_tree(data, validate=False)
    return {
        "serialize": lambda: serialize(payload),
        "validate only": lambda: validate_tree(root),
        "parse only": lambda: parse(data, validate=False),
        "= lxml tree": lambda: parse_tree(data, validate=False),
        "+ decode": lambda: decode(root),
    }


THEIR_STEPS = ("create", "validate", "parse")


class OpenLEADRSide:
    """``openleadr_side.py`` under OpenLEADR's interpreter, one JSON request at a time."""

    def __init__(self, python: Path) -> None:
        self.process = subprocess.Popen(
            [str(python), str(SIDE_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=SIDE_SCRIPT.parent,
        )

    def ask(self, request: Json, timeout: float) -> Json:
        stdin, stdout = self._pipes()
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        ready, _, _ = select.select([stdout], [], [], timeout)
        if not ready:
            self.close()
            raise RuntimeError(f"openleadr_side.py did not answer {request['op']} in {timeout:.0f} s")
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"openleadr_side.py exited (code {self.process.wait()})")
        answer: Json = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"openleadr_side.py failed on {request['op']}: {answer['error']}")
        return answer

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def close(self) -> None:
        if self.process.poll() is None:
            stdin, _ = self._pipes()
            stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def find_openleadr_python(given: str | None) -> Path:
    """The OpenLEADR interpreter: ``--openleadr-python``, else ``tests/openleadr_env.py``'s."""
    if given:
        return Path(given)
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    try:
        openleadr_env = importlib.import_module("openleadr_env")
    finally:
        sys.path.pop(0)
    python: Path = openleadr_env.openleadr_python()
    return python


@dataclass
class Results:
    """Rates (calls per second) per round, by workload and step."""

    ours: dict[str, list[float]] = field(default_factory=dict)
    theirs: dict[str, list[float]] = field(default_factory=dict)
    our_steps: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    their_steps: dict[str, dict[str, list[float]]] = field(default_factory=dict)


def run_rounds(
    workloads: list[Workload], side: OpenLEADRSide, rounds: int, seconds: float, results: Results
) -> None:
    split_seconds = seconds / 5
    timeout = 4 * seconds + 60
    for index in range(rounds):
        for workload in workloads:
            name = workload.name

            def ours(workload: Workload = workload) -> None:
                count, elapsed, result = timed(our_round_trip(workload.ours), seconds)
                if result != workload.ours:
                    raise AssertionError(f"{workload.name}: our round trip changed the message")
                results.ours.setdefault(workload.name, []).append(count / elapsed)

            def theirs(workload: Workload = workload) -> None:
                answer = side.ask(
                    {"op": "round_trip", "workload": workload.name, "seconds": seconds}, timeout
                )
                results.theirs.setdefault(workload.name, []).append(answer["count"] / answer["elapsed"])

            # Ours first on even rounds, theirs first on odd ones: neither always gets the
            # quieter (or warmer) slot.
            first, second = (ours, theirs) if index % 2 == 0 else (theirs, ours)
            first()
            second()
            for step, call in our_steps(workload.ours).items():
                count, elapsed, _ = timed(call, split_seconds)
                results.our_steps.setdefault(name, {}).setdefault(step, []).append(count / elapsed)
            answer = side.ask({"op": "split", "workload": name, "seconds": split_seconds}, timeout)
            for step in THEIR_STEPS:
                rate = answer[step]["count"] / answer[step]["elapsed"]
                results.their_steps.setdefault(name, {}).setdefault(step, []).append(rate)
        print(f"  round {index + 1}/{rounds} done", file=sys.stderr, flush=True)


# ============================================================================================
# Report
# ============================================================================================


def print_header(rounds: int, seconds: float, openleadr_version: str, openleadr_python: str) -> None:
    print(f"bench/codec  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"  openadr_accel {openadr_accel.__version__}, Python {platform.python_version()}, "
        f"lxml {'.'.join(map(str, etree.LXML_VERSION))}, libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}"
    )
    print(f"  OpenLEADR {openleadr_version} (Python {openleadr_python}, own process)")
    print(
        f"  {os.cpu_count()} CPUs, {platform.machine()}; "
        f"{rounds} rounds of {seconds:g} s per side and workload"
    )


def print_sizes(workloads: list[Workload], documents: dict[str, str]) -> None:
    print("\nDocuments (same content: our parse of OpenLEADR's document equals our message)")
    print(f"  {'workload':<16} {'ours bytes':>10} {'OpenLEADR bytes':>16}")
    for workload in workloads:
        theirs = len(documents[workload.name].encode())
        print(f"  {workload.name:<16} {len(serialize(workload.ours)):>10} {theirs:>16}")


def print_table(workloads: list[Workload], results: Results) -> None:
    print("\nRound trips per second (serialize/create + XSD validation + parse), median of rounds")
    header = (
        f"  {'workload':<16} {'ours /s':>9} {'OpenLEADR /s':>13} {'ratio':>7} "
        f"{'per-round ratios':>17}  goal {GOAL:g}x"
    )
    print(header)
    for workload in workloads:
        ours = results.ours[workload.name]
        theirs = results.theirs[workload.name]
        ratio = statistics.median(ours) / statistics.median(theirs)
        per_round = [o / t for o, t in zip(ours, theirs, strict=True)]
        spread = f"{min(per_round):.1f}-{max(per_round):.1f}"
        verdict = "met" if ratio >= GOAL else "NOT met"
        print(
            f"  {workload.name:<16} {statistics.median(ours):>9.0f} {statistics.median(theirs):>13.0f} "
            f"{ratio:>6.1f}x {spread:>17}  {verdict}"
        )

    print(
        "\nOur steps, microseconds per call (median of rounds; each step timed alone;"
        " parse only = parse(data, validate=False))"
    )
    steps = list(next(iter(results.our_steps.values())))
    print(f"  {'workload':<16} " + " ".join(f"{step:>13}" for step in [*steps, "round trip"]))
    for workload in workloads:
        timings = [1e6 / statistics.median(results.our_steps[workload.name][step]) for step in steps]
        trip = 1e6 / statistics.median(results.ours[workload.name])
        print(f"  {workload.name:<16} " + " ".join(f"{value:>13.1f}" for value in [*timings, trip]))

    print("\nOpenLEADR steps, microseconds per call (median of rounds)")
    print(f"  {'workload':<16} " + " ".join(f"{step:>13}" for step in [*THEIR_STEPS, "round trip"]))
    for workload in workloads:
        timings = [1e6 / statistics.median(results.their_steps[workload.name][step]) for step in THEIR_STEPS]
        trip = 1e6 / statistics.median(results.theirs[workload.name])
        print(f"  {workload.name:<16} " + " ".join(f"{value:>13.1f}" for value in [*timings, trip]))


def profile(workloads: list[Workload], top: int, seconds: float) -> None:
    """cProfile our round trip of each workload for ``seconds`` and print the ``top`` functions."""
    for workload in workloads:
        round_trip = our_round_trip(workload.ours)
        round_trip()  # compile the schema outside the profile
        profiler = cProfile.Profile()
        profiler.enable()
        count, _, _ = timed(round_trip, seconds)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats("tottime").print_stats(top)
        print(f"\n=== {workload.name}: {count} round trips under cProfile, top {top} by own time ===")
        print(out.getvalue().split("\n", 3)[-1].strip("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per side and workload (default 5)")
    parser.add_argument(
        "--seconds", type=float, default=1.2, help="seconds of round trips per side, workload and round"
    )
    parser.add_argument(
        "--openleadr-python", help="OpenLEADR's interpreter (default: tests/openleadr_env.py)"
    )
    parser.add_argument(
        "--profile", type=int, metavar="TOP", help="instead: cProfile our round trip, print the TOP functions"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or not 0 < args.seconds <= 60:
        parser.error("--rounds must be at least 1 and --seconds in (0, 60]")

    workloads = [build() for build in WORKLOADS]
    for workload in workloads:
        if parse(serialize(workload.ours)) != workload.ours:
            raise SystemExit(f"{workload.name}: parse(serialize(x)) != x")
    if args.profile:
        profile(workloads, args.profile, args.seconds)
        return 0

    try:
        side = OpenLEADRSide(find_openleadr_python(args.openleadr_python))
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        raise SystemExit(f"cannot start OpenLEADR's side: {exc}") from exc
    try:
        setup = side.ask(
            {"op": "setup", "workloads": {w.name: w.openleadr_spec() for w in workloads}}, timeout=120
        )
        for workload in workloads:
            # The same content: OpenLEADR's document means exactly our message.
            if parse(setup["documents"][workload.name].encode()) != workload.ours:
                raise SystemExit(f"{workload.name}: OpenLEADR's document does not carry our message")
        print_header(args.rounds, args.seconds, setup["version"], setup["python"])
        print_sizes(workloads, setup["documents"])
        sys.stdout.flush()
        results = Results()
        run_rounds(workloads, side, args.rounds, args.seconds, results)
    finally:
        side.close()
    print_table(workloads, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
