"""``openadr-accel demo``: a VTN, a VEN running a charging site, two simulated chargers, one event.

Everything runs in this process over loopback: a VTN on its SQLite store, our VEN
(:class:`~openadr_accel.evse.site.EvseSite`: an OCPP central system and the
:class:`~openadr_accel.evse.bridge.EvseBridge`) and two simulated chargers that connect to it,
one speaking OCPP 2.0.1 and one 1.6. The operator creates an event of three SIMPLE intervals
(levels 1, 2, 3); the VEN sends the chargers their share of the site limit as max-profiles before
it answers, follows the event as it starts, moves from interval to interval and ends, and reports
the chargers' meters to the VTN. Time runs compressed (the three ten-minute intervals pass in
about half a minute), and the run takes about ``duration`` seconds.

Needs the ``evse`` extra (``pip install 'openadr-accel[evse]'``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .conformance.context import CompressedClock
from .evse.bridge import EventSeen, EventStage, LimitsApplied, Notice, OptedOut, Stage
from .evse.limits import ChargerSchedule, OcppVersion
from .evse.policy import LimitPolicy
from .evse.simulator import SimulatedCharger
from .evse.site import EvseSite
from .model import EiTarget, OadrReport, OptType, PayloadFloat, ReportName, SignalType
from .ven.config import VenConfig
from .vtn import VTN, OpenRegistration, Signal, VtnConfig, VtnHandlers
from .vtn.reports import RequestOffered
from .vtn.store.records import EventResponseRecord, ReportRequestRecord, VenRecord
from .vtn.store.sqlite import SqliteStore

__all__ = ["DEFAULT_DURATION", "MIN_DURATION", "DemoPlan", "main", "run_demo"]

DEFAULT_DURATION = 45.0
"""Seconds the demo takes by default."""
MIN_DURATION = 12.0
"""The shortest run (seconds) that still shows the whole event."""

LEVELS = (1, 2, 3)
"""The event's SIMPLE levels, one per interval."""
INTERVAL = timedelta(minutes=10)
"""The length of each interval (the demo's clock)."""

POLICY = LimitPolicy(
    site_capacity_w=Decimal(22_000),
    charger_max_w={"CP-1": Decimal(11_000), "CP-2": Decimal(7_400)},
)
"""The site: 22 kW, levels 0-3 at 100/50/25/0 % of it, shared evenly by the chargers."""

CHARGERS = (("CP-1", OcppVersion.V201, Decimal(11_000)), ("CP-2", OcppVersion.V16, Decimal(7_400)))
"""The simulated chargers: ID, OCPP version, maximum power (W)."""

_SETUP = 2.0  # real seconds: the VTN starts, chargers connect, the VEN registers
_LEAD = 4.0  # real seconds between the event's creation and its start (the VEN polls every second)
_TAIL = 3.0  # real seconds after the event's end: limits cleared, a last report
_WAIT = 20.0  # real seconds any one step may take at most

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """The demo's timing for a run of about ``duration`` real seconds.

    Attributes:
        duration: the run's length (real seconds).
        speed: how much faster than the wall clock the demo's clock runs.
        lead: from the event's creation to its start (demo clock).
        report_every: how often the VEN reports (demo clock).
    """

    duration: float
    speed: float
    lead: timedelta
    report_every: timedelta

    @classmethod
    def for_duration(cls, duration: float = DEFAULT_DURATION) -> DemoPlan:
        """The plan for a run of ``duration`` seconds.

        Raises:
            ValueError: ``duration`` is shorter than :data:`MIN_DURATION`.
        """
        if duration < MIN_DURATION:
            raise ValueError(f"the demo needs at least {MIN_DURATION:g} s, not {duration:g}")
        event_real = duration - _SETUP - _LEAD - _TAIL
        speed = (INTERVAL * len(LEVELS)).total_seconds() / event_real
        return cls(
            duration=duration,
            speed=speed,
            lead=timedelta(seconds=round(_LEAD * speed)),
            report_every=timedelta(seconds=max(10, round(1.5 * speed))),
        )


@dataclass
class _Status:
    """What the live display shows."""

    clock: CompressedClock
    chargers: dict[str, SimulatedCharger] = field(default_factory=dict)
    event_id: str | None = None
    stage: str = "none yet"
    site_limit_w: Decimal | None = None
    reported_w: Decimal | None = None
    reports: int = 0

    def __rich__(self) -> RenderableType:
        now = self.clock()
        table = Table(title=f"demo clock {now:%H:%M:%S} UTC (x{self.clock.speed:.0f})", title_justify="left")
        for column in ("charger", "OCPP", "limit now", "drawing", "energy"):
            table.add_column(column, justify="left" if column in ("charger", "OCPP") else "right")
        for charger_id, charger in self.chargers.items():
            limit = charger.limit_at(now)
            table.add_row(
                charger_id,
                charger.version.value,
                "none" if limit is None else _watts(limit),
                _watts(charger.power_w()),
                f"{charger.energy_wh / 1000:.2f} kWh",
            )
        site = "none" if self.site_limit_w is None else _watts(self.site_limit_w)
        reported = "-" if self.reported_w is None else _watts(self.reported_w)
        event = "-" if self.event_id is None else _short(self.event_id)
        summary = Text(f"event {event}: {self.stage}\nsite limit {site}; last reported to the VTN {reported}")
        return Group(table, summary)


class _Narrator:
    """Prints the demo's story, one line per step, above the live display."""

    def __init__(self, console: Console, status: _Status) -> None:
        self.console = console
        self.status = status

    def say(self, text: str, style: str | None = None) -> None:
        stamp = f"{self.status.clock():%H:%M:%S}"
        self.console.print(Text(f"{stamp} ", style="dim") + Text(text, style=style or ""), soft_wrap=True)

    def notice(self, notice: Notice) -> None:
        """The bridge's observer."""
        if isinstance(notice, EventSeen):
            self.status.event_id = notice.event_id
            self.status.stage = f"{notice.opt.value} (pending)"
            self.say(
                f"VEN: event {_short(notice.event_id)} #{notice.modification_number} -> {notice.opt.value}: "
                f"{notice.reason}",
                "bold",
            )
        elif isinstance(notice, EventStage):
            self.status.site_limit_w = notice.site_limit_w
            values = ", ".join(
                f"{v.signal_name}={_number(v.value)}" for v in notice.values if v.value is not None
            )
            self.status.stage = notice.stage.value + (f" ({values})" if values else "")
            limit = "none" if notice.site_limit_w is None else _watts(notice.site_limit_w)
            detail = f" {values}," if values else ""
            style = "bold green" if notice.stage in (Stage.STARTED, Stage.INTERVAL) else "bold"
            self.say(
                f"VEN: event {_short(notice.event_id)} {notice.stage.value}:{detail} site limit {limit}",
                style,
            )
            if notice.stage != Stage.PENDING:
                drawing = ", ".join(f"{cid} {_watts(c.power_w())}" for cid, c in self.status.chargers.items())
                self.say(f"  chargers drawing: {drawing}")
        elif isinstance(notice, LimitsApplied):
            for outcome in notice.outcomes:
                sent = notice.schedules.get(outcome.charger_id)
                what = "clear its limit" if sent is None else _schedule_text(sent)
                verdict = "accepted" if outcome.accepted else f"REJECTED ({outcome.status})"
                self.say(
                    f"  OCPP {outcome.charger_id}: {what}: {verdict}", None if outcome.accepted else "red"
                )
        elif isinstance(notice, OptedOut):
            self.say(f"VEN: opted out of event {_short(notice.event_id)}: {notice.reason}", "red")

    async def on_event_response(self, record: EventResponseRecord, overridden: bool) -> None:
        """The VTN's on_event_response."""
        self.say(
            f"VTN: {record.ven_id[:8]} answered event {_short(record.event_id)}: {record.opt_type.value}"
        )

    async def on_report(self, ven: VenRecord, report: OadrReport, request: ReportRequestRecord) -> None:
        """The VTN's on_report: remembers the site's last reported power."""
        self.status.reports += 1
        for interval in report.intervals:
            for payload in interval.payloads:
                if payload.r_id == "power" and isinstance(payload.payload, PayloadFloat):
                    self.status.reported_w = payload.payload.value


class _ConsoleLog(logging.Handler):
    """Library warnings as narrated lines (no tracebacks), instead of Python's last resort."""

    def __init__(self, narrator: _Narrator) -> None:
        super().__init__(logging.WARNING)
        self.narrator = narrator

    def emit(self, record: logging.LogRecord) -> None:
        self.narrator.say(f"{record.levelname.lower()}: {record.getMessage()}", "yellow")


@contextlib.contextmanager
def _library_logs(narrator: _Narrator) -> Iterator[None]:
    handler = _ConsoleLog(narrator)
    loggers = [logging.getLogger(name) for name in ("openadr_accel", "websockets")]
    saved = [(one.propagate, one.level) for one in loggers]
    for one in loggers:
        one.addHandler(handler)
        one.propagate = False
        if one.level == logging.NOTSET:
            one.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for one, (propagate, level) in zip(loggers, saved, strict=True):
            one.removeHandler(handler)
            one.propagate = propagate
            one.setLevel(level)


async def run_demo(store_path: Path, ven_store: Path, plan: DemoPlan, console: Console) -> None:
    """Run the demo: the VTN on ``store_path``, the VEN on ``ven_store``, timed by ``plan``,
    narrated on ``console`` (a live table when it is a terminal).

    Raises:
        TimeoutError: a step did not happen in time (chargers not connected, VEN not registered,
            event not ended).
    """
    clock = CompressedClock(plan.speed)
    status = _Status(clock)
    narrator = _Narrator(console, status)
    vtn = VTN(
        VtnConfig(vtn_id="DEMO-VTN", poll_frequency=timedelta(seconds=1)),
        SqliteStore(store_path),
        registration=OpenRegistration(),
        handlers=VtnHandlers(
            on_report_capabilities=RequestOffered(
                [ReportName.METADATA_TELEMETRY_USAGE],
                granularity=plan.report_every,
                report_back_duration=plan.report_every,
            ),
            on_event_response=narrator.on_event_response,
            on_report=narrator.on_report,
        ),
        clock=clock,
    )
    event_end = asyncio.Event()

    def observe(notice: Notice) -> None:
        narrator.notice(notice)
        if isinstance(notice, EventStage) and notice.stage in (Stage.ENDED, Stage.CANCELLED):
            event_end.set()
        if isinstance(notice, EventSeen) and notice.opt == OptType.OPT_OUT:
            event_end.set()

    with _library_logs(narrator), Live(status, console=console, refresh_per_second=4, transient=False):
        async with vtn.running("127.0.0.1", 0) as runner:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            narrator.say(f"VTN DEMO-VTN on {url}, store {store_path} (clock x{plan.speed:.0f})")
            site = EvseSite(
                VenConfig(
                    vtn_url=url,
                    ven_name="charging-site",
                    poll_frequency=timedelta(seconds=1),
                    backoff=timedelta(milliseconds=200),
                    backoff_max=timedelta(seconds=2),
                ),
                ven_store,
                POLICY,
                clock=clock,
                observer=observe,
                tick=timedelta(milliseconds=50),
                call_timeout=5.0,
            )
            async with contextlib.AsyncExitStack() as chargers:

                async def connect_chargers(site: EvseSite) -> None:
                    narrator.say(f"VEN charging-site: OCPP central system on {site.central.url}")
                    for charger_id, version, max_power in CHARGERS:
                        charger = SimulatedCharger(
                            charger_id,
                            site.central.url,
                            version=version,
                            max_power_w=max_power,
                            meter_interval=0.25,
                            clock=clock,
                        )
                        await chargers.enter_async_context(charger)
                        status.chargers[charger_id] = charger
                        narrator.say(
                            f"OCPP {charger_id} (OCPP {version.value}, {_watts(max_power)}) connected"
                        )
                    await site.central.wait_for_chargers(len(CHARGERS), timeout=_WAIT)

                async with site.running(before_ven=connect_chargers):
                    registration = await _wait_for(lambda: site.ven.registration, "the VEN's registration")
                    narrator.say(f"VEN registered as venID {registration.ven_id}")
                    event_id = await _create_event(vtn, narrator, registration.ven_id, clock, plan)
                    end_real = clock.real_seconds(plan.lead + INTERVAL * len(LEVELS)) + _WAIT
                    try:
                        await asyncio.wait_for(event_end.wait(), end_real)
                    except TimeoutError:
                        raise TimeoutError("the event did not end in time") from None
                    await asyncio.sleep(_TAIL)
            answers = await vtn.events.responses(event_id)
            stored = await vtn.reports.data(registration.ven_id)
        opt = answers[0].opt_type.value if answers else "no answer"
        narrator.say(
            f"VTN store: {len(answers)} answer(s) to the event ({opt}), {len(stored)} TELEMETRY_USAGE "
            "report(s); chargers, VEN and VTN closed",
            "bold",
        )
    console.line()


async def _create_event(
    vtn: VTN, narrator: _Narrator, ven_id: str, clock: CompressedClock, plan: DemoPlan
) -> str:
    start = (clock() + plan.lead).replace(microsecond=0)
    event = await vtn.events.create(
        signals=[
            Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(INTERVAL, level) for level in LEVELS])
        ],
        start=start,
        target=EiTarget(ven_ids=(ven_id,)),
    )
    event_id = event.ei_event.event_descriptor.event_id
    levels = ", ".join(str(level) for level in LEVELS)
    narrator.say(
        f"VTN: operator created event {_short(event_id)}: SIMPLE levels {levels}, "
        f"{INTERVAL.total_seconds() / 60:.0f} min each, from {start:%H:%M:%S}",
        "bold",
    )
    return event_id


async def _wait_for(check: Callable[[], _T | None], what: str) -> _T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _WAIT
    while (found := check()) is None:
        if loop.time() > deadline:
            raise TimeoutError(f"{what} did not happen in {_WAIT:g} s")
        await asyncio.sleep(0.05)
    return found


def main(store: Path | None, duration: float = DEFAULT_DURATION, console: Console | None = None) -> None:
    """Run the demo (see the module docstring): the VTN on ``store`` (None: a temporary file),
    for about ``duration`` seconds."""
    plan = DemoPlan.for_duration(duration)
    console = console or Console()
    with tempfile.TemporaryDirectory(prefix="openadr-demo-") as folder:
        vtn_store = store if store is not None else Path(folder) / "vtn.db"
        asyncio.run(run_demo(vtn_store, Path(folder) / "ven.db", plan, console))


def _short(event_id: str) -> str:
    return event_id[:8]


def _watts(value: Decimal) -> str:
    return f"{value:,.0f} W"


def _number(value: Decimal | None) -> str:
    return "-" if value is None else format(value.normalize(), "f")


def _schedule_text(schedule: ChargerSchedule) -> str:
    parts = [
        f"{_watts(period.limit_w)} from {schedule.start + period.start:%H:%M:%S}"
        for period in schedule.periods
    ]
    end = "" if schedule.end is None else f", until {schedule.end:%H:%M:%S}"
    return "max " + ", ".join(parts) + end
