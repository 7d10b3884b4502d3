"""The whole chain over real loopback HTTP and websockets, on a compressed clock: an event created
on our VTN reaches two simulated chargers (OCPP 2.0.1 and 1.6) as max-profiles with the event's
start, interval offsets and limits; a charger that rejects makes the VEN opt out (recorded by the
VTN); the chargers' meter values come back to the VTN as TELEMETRY_USAGE report data."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from openadr_accel.conformance.context import CompressedClock
from openadr_accel.evse.bridge import LimitsApplied, Notice
from openadr_accel.evse.limits import ChargerSchedule, ChargingPeriod, OcppVersion
from openadr_accel.evse.policy import LimitPolicy
from openadr_accel.evse.simulator import SimulatedCharger
from openadr_accel.evse.site import EvseSite
from openadr_accel.model import EiTarget, OptType, PayloadFloat, ReportName, SignalType
from openadr_accel.ven.config import VenConfig
from openadr_accel.vtn import VTN, OpenRegistration, Signal, VtnConfig, VtnHandlers
from openadr_accel.vtn.reports import RequestOffered
from openadr_accel.vtn.store.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(90)

SPEED = 60.0
"""One real second is a minute of the clock."""
M = timedelta(minutes=1)
WAIT = 20.0
"""The longest (real seconds) any step may take."""

POLICY = LimitPolicy(
    site_capacity_w=Decimal(20_000),
    charger_max_w={"CP-1": Decimal(11_000), "CP-2": Decimal(7_400)},
)

T = TypeVar("T")


async def until(what: str, check: Callable[[], Awaitable[T | None]] | Callable[[], T | None]) -> T:
    """Poll ``check`` until it gives something truthy, at most WAIT real seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        found = check()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found  # type: ignore[return-value]
        if loop.time() > deadline:
            raise AssertionError(f"waited {WAIT} s for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Site:
    vtn: VTN
    site: EvseSite
    chargers: dict[str, SimulatedCharger]
    clock: CompressedClock
    notices: list[Notice]

    @property
    def ven_id(self) -> str:
        registration = self.site.ven.registration
        assert registration is not None
        return registration.ven_id


@contextlib.asynccontextmanager
async def running_site(
    tmp_path: Path, *, rejecting: frozenset[str] = frozenset(), rng: random.Random | None = None
) -> AsyncIterator[Site]:
    clock = CompressedClock(SPEED)
    vtn = VTN(
        VtnConfig(vtn_id="test-vtn", poll_frequency=timedelta(seconds=1)),
        SqliteStore(tmp_path / "vtn.db"),
        registration=OpenRegistration(),
        handlers=VtnHandlers(
            on_report_capabilities=RequestOffered(
                [ReportName.METADATA_TELEMETRY_USAGE],
                granularity=timedelta(seconds=10),
                report_back_duration=timedelta(seconds=30),
            )
        ),
        clock=clock,
    )
    notices: list[Notice] = []
    async with vtn.running("127.0.0.1", 0) as runner:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        site = EvseSite(
            VenConfig(
                vtn_url=url,
                ven_name="charging-site",
                poll_frequency=timedelta(seconds=1),
                backoff=timedelta(milliseconds=100),
                backoff_max=timedelta(seconds=1),
            ),
            tmp_path / "ven.db",
            POLICY,
            clock=clock,
            observer=notices.append,
            tick=timedelta(milliseconds=20),
            call_timeout=5.0,
            rng=rng,
        )
        chargers: dict[str, SimulatedCharger] = {}
        async with contextlib.AsyncExitStack() as stack:

            async def connect_chargers(site: EvseSite) -> None:
                # Before the VEN starts: its first report has both chargers' meters.
                for charger_id, version, max_power in (
                    ("CP-1", OcppVersion.V201, 11_000),
                    ("CP-2", OcppVersion.V16, 7_400),
                ):
                    charger = SimulatedCharger(
                        charger_id,
                        site.central.url,
                        version=version,
                        max_power_w=Decimal(max_power),
                        accept_profiles=charger_id not in rejecting,
                        meter_interval=0.1,
                        clock=clock,
                    )
                    await stack.enter_async_context(charger)
                    chargers[charger_id] = charger
                await site.central.wait_for_chargers(2, timeout=WAIT)
                await until("both meters", lambda: all(site.central.meter(cid) for cid in chargers))

            async with site.running(before_ven=connect_chargers):
                await until("the VEN's registration", lambda: site.ven.registration)
                yield Site(vtn, site, chargers, clock, notices)


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


async def create_event(
    site: Site, levels: tuple[int, ...], *, lead: timedelta = 3 * M, start_after: timedelta | None = None
) -> tuple[str, datetime]:
    start = whole_seconds(site.clock() + lead)
    event = await site.vtn.events.create(
        signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(M, level) for level in levels])],
        start=start,
        target=EiTarget(ven_ids=(site.ven_id,)),
        start_after=start_after,
    )
    return event.ei_event.event_descriptor.event_id, start


def periods(*limits: int) -> tuple[ChargingPeriod, ...]:
    return tuple(ChargingPeriod(start=i * M, limit_w=Decimal(limit)) for i, limit in enumerate(limits))


async def test_an_event_reaches_both_chargers_as_max_profiles(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site:
        event_id, start = await create_event(site, (1, 2, 3))
        # 20 kW site: level 1 = 10 kW, 2 = 5 kW, 3 = 0, shared evenly by the two chargers.
        expected = ChargerSchedule(start=start, periods=periods(5_000, 2_500, 0), duration=3 * M)
        for charger in site.chargers.values():
            held = await until(f"{charger.charger_id}'s profile", lambda c=charger: c.schedules)  # type: ignore[misc]
            assert held == (expected,), charger.charger_id
        responses = await until("the VEN's answer", lambda: site.vtn.events.responses(event_id))
        assert [(r.ven_id, r.opt_type) for r in responses] == [(site.ven_id, OptType.OPT_IN)]

        # The chargers draw what their profile allows as the intervals pass.
        cp1, cp2 = site.chargers["CP-1"], site.chargers["CP-2"]
        assert cp1.limit_at(start + 90 * timedelta(seconds=1)) == 2_500
        await until("the event's second interval", lambda: site.clock() >= start + M + timedelta(seconds=10))
        for charger in (cp1, cp2):
            power, now = charger.power_w(), site.clock()
            interval = min(3, int((now - start) / M))  # a busy machine may be past the second one
            assert power == (5_000, 2_500, 0, charger.max_power_w)[interval], (charger.charger_id, now)

        # The event ends: the VEN tells the bridge, which clears the chargers.
        await until("the chargers cleared", lambda: not cp1.schedules and not cp2.schedules)
        assert site.clock() >= start + 3 * M
        assert cp1.power_w() == 11_000
        reasons = [f"event {event_id} decided", f"event {event_id} ended"]
        await until(
            "the bridge's notices",
            lambda: [n.reason for n in site.notices if isinstance(n, LimitsApplied)] == reasons,
        )


async def test_a_modified_event_is_sent_again_and_a_cancelled_one_cleared(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site:
        event_id, start = await create_event(site, (1, 2, 3), lead=20 * M)
        cp1, cp2 = site.chargers["CP-1"], site.chargers["CP-2"]
        await until("the profiles", lambda: cp1.schedules and cp2.schedules)
        await site.vtn.events.modify(
            event_id, signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(2 * M, 2)])]
        )
        modified = ChargerSchedule(start=start, periods=periods(2_500), duration=2 * M)
        await until(
            "the modified profiles", lambda: cp1.schedules == (modified,) and cp2.schedules == (modified,)
        )
        await site.vtn.events.cancel(event_id)
        await until("the chargers cleared", lambda: not cp1.schedules and not cp2.schedules)
        assert len(cp1.history) == 2


async def test_a_charger_that_rejects_makes_the_ven_opt_out(tmp_path: Path) -> None:
    async with running_site(tmp_path, rejecting=frozenset({"CP-2"})) as site:
        event_id, _ = await create_event(site, (1, 2, 3), lead=20 * M)

        async def answer() -> OptType | None:
            responses = await site.vtn.events.responses(event_id)
            return responses[0].opt_type if responses else None

        assert await until("the VEN's answer", answer) == OptType.OPT_OUT
        cp1, cp2 = site.chargers["CP-1"], site.chargers["CP-2"]
        assert cp2.rejected >= 1
        assert cp2.schedules == ()
        # CP-1 took its schedule, then had it cleared when CP-2 rejected.
        assert len(cp1.history) == 1
        assert cp1.schedules == ()
        assert site.site.bridge.running_events == ()


async def test_meter_values_come_back_as_telemetry_reports(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site:

        async def power_readings() -> list[tuple[datetime, Decimal]] | None:
            found = []
            for stored in await site.vtn.reports.data(site.ven_id):
                assert stored.report.report_name == ReportName.TELEMETRY_USAGE
                for interval in stored.report.intervals:
                    for payload in interval.payloads:
                        if payload.r_id == "power":
                            assert isinstance(payload.payload, PayloadFloat)
                            assert interval.dtstart is not None
                            found.append((interval.dtstart, payload.payload.value))
            return found if len(found) >= 3 else None

        readings = await until("three power readings at the VTN", power_readings)
        # Nothing limits the chargers: the site draws 11 kW + 7.4 kW.
        assert [value for _, value in readings] == [Decimal(18_400)] * len(readings)

        energies = []
        for stored in await site.vtn.reports.data(site.ven_id):
            for interval in stored.report.intervals:
                for payload in interval.payloads:
                    if payload.r_id == "energy":
                        assert isinstance(payload.payload, PayloadFloat)
                        assert interval.dtstart is not None
                        energies.append((interval.dtstart, payload.payload.value))
        assert energies
        assert [value for _, value in energies] == sorted(value for _, value in energies)
        # The last energy reading is what the meters said when it was taken: since then the
        # chargers drew 18.4 kW; the meters' own values may be a MeterValues interval old.
        taken, last = energies[-1]
        total_now = sum((c.energy_wh for c in site.chargers.values()), Decimal(0))
        since = Decimal((site.clock() - taken).total_seconds() + 12)
        assert 0 < last <= total_now
        assert total_now - last <= Decimal(18_400) * since / 3600


async def test_a_randomized_start_moves_the_profiles_by_the_vens_delay(tmp_path: Path) -> None:
    async with running_site(tmp_path, rng=random.Random(7)) as site:
        event_id, start = await create_event(site, (1, 2), lead=20 * M, start_after=10 * M)
        known = await until("the VEN's event", lambda: site.site.ven.known_events().get(event_id))
        delay = known.start_offset
        assert timedelta(0) < delay <= 10 * M  # random.Random(7) draws a delay
        expected = ChargerSchedule(start=start + delay, periods=periods(5_000, 2_500), duration=2 * M)
        for charger in site.chargers.values():
            await until(
                f"{charger.charger_id}'s shifted profile",
                lambda c=charger: c.schedules == (expected,),  # type: ignore[misc]
            )
            # Sent at decision time from dtstart, then again once the VEN drew its delay.
            assert [s.start for s in charger.history] == [start, start + delay]
