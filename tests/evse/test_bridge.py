"""The bridge's decisions and what it sends, against a fake central system and a fake VEN: limits
at decision time, opt-out (and the others restored) when a charger rejects, modified, cancelled
and ended events, several events, chargers coming and going, randomized starts, reports."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from openadr_accel.evse.bridge import (
    EventSeen,
    EventStage,
    EvseBridge,
    LimitsApplied,
    Notice,
    OptedOut,
    Stage,
)
from openadr_accel.evse.limits import (
    ChargerSchedule,
    ChargingPeriod,
    MeterSample,
    OcppVersion,
    ProfileOutcome,
)
from openadr_accel.evse.policy import LimitPolicy
from openadr_accel.model import (
    EiActivePeriod,
    EiEvent,
    EiEventSignal,
    EventDescriptor,
    EventStatus,
    OadrEvent,
    OptType,
    PayloadFloat,
    SignalInterval,
    SignalName,
    SignalType,
)
from openadr_accel.ven.handlers import VenHandlers
from openadr_accel.ven.store import KnownEvent

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
T0 = NOW + timedelta(hours=1)
M = timedelta(minutes=1)
POLICY = LimitPolicy(site_capacity_w=Decimal(20_000))


@dataclass
class FakeCentral:
    """Chargers that answer set_limit/clear_limit as told, and remember what they hold."""

    connected: dict[str, OcppVersion] = field(default_factory=dict)
    rejecting: set[str] = field(default_factory=set)
    held: dict[str, ChargerSchedule] = field(default_factory=dict)
    calls: list[tuple[str, str, ChargerSchedule | None]] = field(default_factory=list)
    meter: MeterSample = field(
        default_factory=lambda: MeterSample(
            charger_id="site", at=NOW, power_w=Decimal(7_000), energy_wh=Decimal(12)
        )
    )
    raising: set[str] = field(default_factory=set)

    @property
    def chargers(self) -> Mapping[str, OcppVersion]:
        return dict(self.connected)

    async def set_limit(self, charger_id: str, schedule: ChargerSchedule) -> ProfileOutcome:
        self.calls.append(("set", charger_id, schedule))
        if charger_id in self.raising:
            raise RuntimeError("boom")
        if charger_id in self.rejecting:
            return ProfileOutcome(charger_id=charger_id, accepted=False, status="Rejected", detail="no way")
        self.held[charger_id] = schedule
        return ProfileOutcome(charger_id=charger_id, accepted=True, status="Accepted")

    async def clear_limit(self, charger_id: str) -> ProfileOutcome:
        self.calls.append(("clear", charger_id, None))
        self.held.pop(charger_id, None)
        return ProfileOutcome(charger_id=charger_id, accepted=True, status="Accepted")

    def site_meter(self) -> MeterSample:
        return self.meter

    def sets(self) -> list[str]:
        return [charger_id for kind, charger_id, _ in self.calls if kind == "set"]


@dataclass
class FakeVen:
    """The VEN's known events (with their random delays) and the opts sent."""

    known: dict[str, KnownEvent] = field(default_factory=dict)
    opts: list[tuple[OptType, str | None, int | None]] = field(default_factory=list)

    def known_events(self) -> dict[str, KnownEvent]:
        return dict(self.known)

    async def create_opt(
        self, opt_type: OptType, *, event_id: str | None = None, modification_number: int | None = None
    ) -> str:
        self.opts.append((opt_type, event_id, modification_number))
        return "opt-1"


def event(
    event_id: str = "e1",
    levels: tuple[int, ...] = (1, 2, 3),
    *,
    start: datetime = T0,
    modification: int = 0,
    test: bool = False,
    start_after: timedelta | None = None,
    interval: timedelta = 10 * M,
) -> OadrEvent:
    return OadrEvent(
        ei_event=EiEvent(
            event_descriptor=EventDescriptor(
                event_id=event_id,
                modification_number=modification,
                market_context="http://market",
                created_date_time=NOW,
                event_status=EventStatus.FAR,
                test_event="true" if test else "false",
            ),
            active_period=EiActivePeriod(
                dtstart=start, duration=interval * len(levels), start_after=start_after
            ),
            signals=(
                EiEventSignal(
                    signal_name=SignalName.SIMPLE,
                    signal_type=SignalType.LEVEL,
                    signal_id="0",
                    intervals=tuple(
                        SignalInterval(
                            uid=str(i), duration=interval, payloads=(PayloadFloat(value=Decimal(level)),)
                        )
                        for i, level in enumerate(levels)
                    ),
                ),
            ),
        )
    )


def schedule(start: datetime, *limits: int | str, step: timedelta = 10 * M) -> ChargerSchedule:
    return ChargerSchedule(
        start=start,
        periods=tuple(
            ChargingPeriod(start=i * step, limit_w=Decimal(limit)) for i, limit in enumerate(limits)
        ),
        duration=step * len(limits),
    )


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def bridge_for(
    central: FakeCentral, ven: FakeVen | None = None, clock: Clock | None = None, **kwargs: bool
) -> tuple[EvseBridge, list[Notice]]:
    notices: list[Notice] = []
    bridge = EvseBridge(central, POLICY, clock=clock or Clock(), observer=notices.append, **kwargs)
    if ven is not None:
        bridge.attach(ven)
    return bridge, notices


def two_chargers(**kwargs: set[str]) -> FakeCentral:
    return FakeCentral(connected={"CP-1": OcppVersion.V201, "CP-2": OcppVersion.V16}, **kwargs)


# -- deciding ------------------------------------------------------------------------------------


async def test_limits_go_to_every_charger_at_decision_time_and_the_ven_opts_in() -> None:
    central = two_chargers()
    bridge, notices = bridge_for(central)
    assert await bridge.on_event(event()) == OptType.OPT_IN
    expected = schedule(T0, 5_000, 2_500, 0)  # 50%, 25%, 0% of 20 kW, shared by two
    assert central.held == {"CP-1": expected, "CP-2": expected}
    assert bridge.running_events == ("e1",)
    applied = [n for n in notices if isinstance(n, LimitsApplied)]
    assert len(applied) == 1
    assert applied[0].reason == "event e1 decided"
    assert applied[0].limit_at("CP-1", T0 + 15 * M) == 2_500
    seen = [n for n in notices if isinstance(n, EventSeen)]
    assert seen == [
        EventSeen(
            at=NOW,
            event_id="e1",
            modification_number=0,
            opt=OptType.OPT_IN,
            reason="limits sent to 2 charger(s)",
            site=schedule(T0, 10_000, 5_000, 0),
        )
    ]


async def test_a_rejecting_charger_opts_out_and_the_others_are_put_back() -> None:
    central = two_chargers(rejecting={"CP-2"})
    bridge, notices = bridge_for(central)
    assert await bridge.on_event(event()) == OptType.OPT_OUT
    assert central.held == {}
    assert [kind for kind, charger_id, _ in central.calls if charger_id == "CP-1"] == ["set", "clear"]
    assert bridge.running_events == ()
    seen = next(n for n in notices if isinstance(n, EventSeen))
    assert seen.opt == OptType.OPT_OUT
    assert seen.reason == "CP-2 rejected its schedule (Rejected: no way)"


async def test_a_rejection_puts_back_the_limits_of_the_other_events() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central)
    assert await bridge.on_event(event("e1", (1,))) == OptType.OPT_IN
    before = dict(central.held)
    central.rejecting.add("CP-2")
    assert await bridge.on_event(event("e2", (3,), start=T0 + 5 * M)) == OptType.OPT_OUT
    assert central.held == before
    assert bridge.running_events == ("e1",)


async def test_a_central_system_that_raises_counts_as_a_rejection() -> None:
    central = two_chargers(raising={"CP-1"})
    bridge, _ = bridge_for(central)
    assert await bridge.on_event(event()) == OptType.OPT_OUT


async def test_no_charger_connected_opts_in_and_a_charger_that_connects_gets_the_limits() -> None:
    central = FakeCentral()
    bridge, notices = bridge_for(central)
    assert await bridge.on_event(event()) == OptType.OPT_IN
    assert next(n for n in notices if isinstance(n, EventSeen)).reason == "no charger connected yet"
    central.connected["CP-1"] = OcppVersion.V201
    await bridge.charger_connected("CP-1", OcppVersion.V201)
    assert central.held == {"CP-1": schedule(T0, 10_000, 5_000, 0)}
    central.connected["CP-2"] = OcppVersion.V16
    await bridge.charger_connected("CP-2", OcppVersion.V16)
    assert central.held == {"CP-1": schedule(T0, 5_000, 2_500, 0), "CP-2": schedule(T0, 5_000, 2_500, 0)}
    del central.connected["CP-1"]
    await bridge.refresh()
    assert central.held["CP-2"] == schedule(T0, 10_000, 5_000, 0)
    assert "CP-1" not in bridge.applied


async def test_nothing_is_sent_again_when_nothing_changed() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central)
    await bridge.on_event(event())
    calls = len(central.calls)
    await bridge.refresh()
    await bridge.handlers().on_event_pending(event())  # type: ignore[misc]
    assert len(central.calls) == calls


async def test_test_events_and_events_already_over_are_opted_into_with_nothing_sent() -> None:
    central = two_chargers()
    clock = Clock()
    bridge, notices = bridge_for(central, clock=clock)
    assert await bridge.on_event(event(test=True)) == OptType.OPT_IN
    clock.now = T0 + 2 * 60 * M
    assert await bridge.on_event(event("e2")) == OptType.OPT_IN
    assert central.calls == []
    assert [n.reason for n in notices if isinstance(n, EventSeen)] == [
        "test event: the chargers are left alone",
        "over before it arrived: nothing to do",
    ]


async def test_test_events_may_be_applied() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central, apply_test_events=True)
    assert await bridge.on_event(event(test=True)) == OptType.OPT_IN
    assert set(central.held) == {"CP-1", "CP-2"}


# -- following -----------------------------------------------------------------------------------


async def test_a_modified_event_is_sent_again() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central)
    await bridge.on_event(event())
    assert await bridge.on_event(event(levels=(2, 2), modification=1)) == OptType.OPT_IN
    assert central.held["CP-1"] == schedule(T0, 2_500, 2_500)


async def test_a_rejected_modification_opts_out_and_clears() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central)
    await bridge.on_event(event())
    central.rejecting.add("CP-1")
    assert await bridge.on_event(event(levels=(3,), modification=1)) == OptType.OPT_OUT
    assert central.held == {}  # CP-2 cleared; CP-1 (rejecting) had its previous schedule cleared too
    assert bridge.running_events == ()


@pytest.mark.parametrize("stage", [Stage.CANCELLED, Stage.ENDED])
async def test_cancelled_and_ended_events_clear_the_limits(stage: Stage) -> None:
    central = two_chargers()
    bridge, notices = bridge_for(central)
    handlers = bridge.handlers()
    await bridge.on_event(event())
    callback = handlers.on_event_cancelled if stage == Stage.CANCELLED else handlers.on_event_ended
    assert callback is not None
    await callback(event())
    assert central.held == {}
    assert bridge.running_events == ()
    last = notices[-1]
    assert isinstance(last, EventStage)
    assert last.stage == stage
    assert last.site_limit_w is None


async def test_two_events_merged_and_one_ending_leaves_the_other() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central)
    await bridge.on_event(event("e1", (1, 1)))
    await bridge.on_event(event("e2", (2,), start=T0 + 10 * M))
    assert central.held["CP-1"] == ChargerSchedule(
        start=T0,
        periods=(
            ChargingPeriod(start=0 * M, limit_w=Decimal(5_000)),
            ChargingPeriod(start=10 * M, limit_w=Decimal(2_500)),
        ),
        duration=20 * M,
    )
    ended = bridge.handlers().on_event_ended
    assert ended is not None
    await ended(event("e1", (1, 1)))
    assert central.held["CP-1"] == schedule(T0 + 10 * M, 2_500)


async def test_lifecycle_stages_tell_the_site_limit_in_force() -> None:
    central = two_chargers()
    clock = Clock()
    bridge, notices = bridge_for(central, clock=clock)
    handlers = bridge.handlers()
    await bridge.on_event(event())
    assert handlers.on_event_started is not None
    assert handlers.on_interval_changed is not None
    clock.now = T0
    await handlers.on_event_started(event(), ())
    clock.now = T0 + 10 * M
    await handlers.on_interval_changed(event(), ())
    stages = [(n.stage, n.site_limit_w) for n in notices if isinstance(n, EventStage)]
    assert stages == [(Stage.STARTED, 10_000), (Stage.INTERVAL, 5_000)]


async def test_a_charger_rejecting_after_the_answer_makes_the_ven_opt_out() -> None:
    central = FakeCentral(connected={"CP-1": OcppVersion.V201})
    ven = FakeVen()
    bridge, notices = bridge_for(central, ven)
    assert await bridge.on_event(event()) == OptType.OPT_IN
    central.connected["CP-2"] = OcppVersion.V16
    central.rejecting.add("CP-2")
    await bridge.charger_connected("CP-2", OcppVersion.V16)
    await asyncio.wait_for(bridge.close(), 5)
    assert ven.opts == [(OptType.OPT_OUT, "e1", 0)]
    assert central.held == {}
    assert bridge.running_events == ()
    opted = [n for n in notices if isinstance(n, OptedOut)]
    assert len(opted) == 1
    assert opted[0].delivered
    assert "CP-2 rejected" in opted[0].reason


# -- randomized start ----------------------------------------------------------------------------


async def test_schedules_follow_the_vens_random_delay_once_drawn() -> None:
    central = two_chargers()
    ven = FakeVen()
    bridge, _ = bridge_for(central, ven)
    randomized = event(start_after=5 * M)
    assert await bridge.on_event(randomized) == OptType.OPT_IN
    assert central.held["CP-1"].start == T0  # not drawn yet
    delay = timedelta(seconds=137)
    ven.known["e1"] = KnownEvent(event=randomized, opt_type=OptType.OPT_IN, start_offset=delay)
    pending = bridge.handlers().on_event_pending
    assert pending is not None
    await pending(randomized)
    assert central.held["CP-1"] == schedule(T0 + delay, 5_000, 2_500, 0)
    # A modification keeps the delay the VEN drew.
    modified = replace(
        event(levels=(2,), start_after=5 * M, modification=1),
    )
    assert await bridge.on_event(modified) == OptType.OPT_IN
    assert central.held["CP-1"] == schedule(T0 + delay, 2_500)


async def test_an_event_looking_over_runs_when_it_starts_after_its_delay() -> None:
    central = two_chargers()
    ven = FakeVen()
    clock = Clock()
    bridge, _ = bridge_for(central, ven, clock)
    randomized = event(levels=(2,), start_after=30 * M)
    clock.now = T0 + 10 * M + timedelta(seconds=1)  # over, if it started at dtstart
    assert await bridge.on_event(randomized) == OptType.OPT_IN
    assert central.calls == []
    ven.known["e1"] = KnownEvent(event=randomized, opt_type=OptType.OPT_IN, start_offset=20 * M)
    started = bridge.handlers().on_event_started
    assert started is not None
    await started(randomized, ())
    assert central.held["CP-1"] == schedule(T0 + 20 * M, 2_500)


# -- wiring and reports --------------------------------------------------------------------------


def test_handlers_and_supports() -> None:
    bridge, _ = bridge_for(FakeCentral())
    handlers = bridge.handlers()
    assert isinstance(handlers, VenHandlers)
    assert handlers.on_event == bridge.on_event
    assert handlers.on_registered is None
    simple = event().ei_event.signals[0]
    assert bridge.supports(simple)
    assert not bridge.supports(replace(simple, signal_name=SignalName.BID_LOAD))


async def test_reports_read_the_site_meter() -> None:
    central = FakeCentral()
    bridge, _ = bridge_for(central)
    (report,) = bridge.reports()
    assert report.report_specifier_id == "site-telemetry"
    power = report.point("power")
    energy = report.point("energy")
    assert power is not None
    assert energy is not None
    assert await power.read() == 7_000
    assert await energy.read() == 12
    central.meter = MeterSample(charger_id="site", at=NOW, power_w=None, energy_wh=None)
    assert await power.read() == 0  # no charger connected: a sum over none
    assert await energy.read() == 0
    central.connected["CP-1"] = OcppVersion.V201
    with pytest.raises(LookupError, match="no power reading"):
        await power.read()
    with pytest.raises(LookupError, match="no energy reading"):
        await energy.read()


async def test_an_observer_that_raises_does_not_stop_the_bridge() -> None:
    def broken(notice: Notice) -> None:
        raise RuntimeError("display crashed")

    central = two_chargers()
    bridge = EvseBridge(central, POLICY, clock=Clock(), observer=broken)
    assert await bridge.on_event(event()) == OptType.OPT_IN


async def test_a_charger_that_connects_again_is_sent_its_limits_again() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central)
    await bridge.on_event(event())
    central.held.pop("CP-1")  # it rebooted and lost its profile
    await bridge.charger_connected("CP-1", OcppVersion.V201)
    assert central.held["CP-1"] == schedule(T0, 5_000, 2_500, 0)
    assert central.sets().count("CP-2") == 1


async def test_a_bridge_attached_to_a_restarted_ven_takes_up_the_events_it_runs() -> None:
    central = two_chargers()
    running = event("e1")
    ven = FakeVen(
        known={
            "e1": KnownEvent(event=running, opt_type=OptType.OPT_IN, start_offset=timedelta(seconds=30)),
            "out": KnownEvent(event=event("out"), opt_type=OptType.OPT_OUT, start_offset=timedelta(0)),
            "done": KnownEvent(
                event=event("done"), opt_type=OptType.OPT_IN, start_offset=timedelta(0), finished_at=NOW
            ),
            "test": KnownEvent(
                event=event("test", test=True), opt_type=OptType.OPT_IN, start_offset=timedelta(0)
            ),
        }
    )
    bridge, _ = bridge_for(central, ven)
    assert bridge.running_events == ("e1",)
    await bridge.charger_connected("CP-1", OcppVersion.V201)
    assert central.held["CP-1"] == schedule(T0 + timedelta(seconds=30), 5_000, 2_500, 0)


async def test_an_event_told_of_without_a_decision_is_taken_up() -> None:
    central = two_chargers()
    bridge, _ = bridge_for(central, FakeVen())
    changed = bridge.handlers().on_interval_changed
    assert changed is not None
    await changed(event(), ())
    assert bridge.running_events == ("e1",)
    assert set(central.held) == {"CP-1", "CP-2"}


async def test_an_event_dropped_after_a_late_rejection_is_not_taken_up_again() -> None:
    central = FakeCentral(connected={"CP-1": OcppVersion.V201})
    ven = FakeVen()
    bridge, _ = bridge_for(central, ven)
    await bridge.on_event(event())
    central.connected["CP-2"] = OcppVersion.V16
    central.rejecting.add("CP-2")
    await bridge.charger_connected("CP-2", OcppVersion.V16)
    changed = bridge.handlers().on_interval_changed
    assert changed is not None
    await changed(event(), ())  # before the VEN's opt-out took effect
    await bridge.close()
    assert bridge.running_events == ()
    assert ven.opts == [(OptType.OPT_OUT, "e1", 0)]
