"""The OCPP central system and the charger simulator, over real websockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from openadr_accel.evse import (
    CentralSystem,
    ChargerSchedule,
    ChargingPeriod,
    MeterSample,
    OcppVersion,
    ProfileOutcome,
    SimulatedCharger,
)

VERSIONS = [OcppVersion.V201, OcppVersion.V16]
T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
WAIT = 10.0  # bound of every wait


class ManualClock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def three_periods(start: datetime = T0) -> ChargerSchedule:
    return ChargerSchedule(
        start=start,
        periods=(
            ChargingPeriod(start=timedelta(0), limit_w=Decimal(7400)),
            ChargingPeriod(start=timedelta(minutes=15), limit_w=Decimal("3680.5")),
            ChargingPeriod(start=timedelta(minutes=45), limit_w=Decimal(0)),
        ),
        duration=timedelta(hours=1),
    )


async def eventually(predicate: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(WAIT):
            while not predicate():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT}s: {what}") from None


@pytest.fixture
async def central() -> AsyncIterator[CentralSystem]:
    async with asyncio.timeout(WAIT), CentralSystem(call_timeout=5.0) as system:
        yield system


@asynccontextmanager
async def simulated(
    central: CentralSystem, charger_id: str, **options: Any
) -> AsyncIterator[SimulatedCharger]:
    options.setdefault("meter_interval", 60.0)  # only the MeterValues sent at start, unless a test wants more
    async with asyncio.timeout(WAIT):
        charger = SimulatedCharger(charger_id, central.url, **options)
        await charger.start()
    try:
        yield charger
    finally:
        async with asyncio.timeout(WAIT):
            await charger.close()


@asynccontextmanager
async def raw_charge_point(
    central: CentralSystem, charger_id: str, version: OcppVersion
) -> AsyncIterator[Any]:
    """A bare `ocpp` charge point (no handlers of ours), booted."""
    async with asyncio.timeout(WAIT):
        websocket = await connect(
            f"{central.url}/{charger_id}", subprotocols=[version.subprotocol], proxy=None
        )
    point = (ChargePoint201 if version is OcppVersion.V201 else ChargePoint16)(charger_id, websocket)
    reader = asyncio.create_task(point.start())
    try:
        async with asyncio.timeout(WAIT):
            if version is OcppVersion.V201:
                await point.call(
                    call201.BootNotification(
                        charging_station={"vendor_name": "raw", "model": "m"}, reason="PowerUp"
                    )
                )
            else:
                await point.call(call16.BootNotification(charge_point_model="m", charge_point_vendor="raw"))
        yield point
    finally:
        await websocket.close()
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


@asynccontextmanager
async def raw_socket(central: CentralSystem, charger_id: str) -> AsyncIterator[ClientConnection]:
    """A websocket speaking OCPP 2.0.1 by hand, booted (its BootNotification answered)."""
    async with asyncio.timeout(WAIT):
        websocket = await connect(f"{central.url}/{charger_id}", subprotocols=["ocpp2.0.1"], proxy=None)
        boot = {"chargingStation": {"vendorName": "raw", "model": "m"}, "reason": "PowerUp"}
        await websocket.send(json.dumps([2, "boot-1", "BootNotification", boot]))
        answer = json.loads(await websocket.recv())
        assert answer[:2] == [3, "boot-1"]
        assert answer[2]["status"] == "Accepted"
    try:
        yield websocket
    finally:
        await websocket.close()


# -- connecting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_charger_connects_boots_and_is_listed(version: OcppVersion) -> None:
    connected: list[tuple[str, OcppVersion]] = []

    async def on_connected(charger_id: str, speaks: OcppVersion) -> None:
        connected.append((charger_id, speaks))

    async with asyncio.timeout(WAIT), CentralSystem(on_charger_connected=on_connected) as central:
        assert central.url.startswith("ws://127.0.0.1:")
        assert dict(central.chargers) == {}
        async with simulated(central, "CP-1", version=version) as charger:
            await central.wait_for_chargers(1, timeout=WAIT)
            assert dict(central.chargers) == {"CP-1": version}
            assert charger.connected
            await eventually(lambda: connected == [("CP-1", version)], "on_charger_connected called")


async def test_chargers_of_both_versions_at_once(central: CentralSystem) -> None:
    async with (
        simulated(central, "new", version=OcppVersion.V201),
        simulated(central, "old", version=OcppVersion.V16),
    ):
        await central.wait_for_chargers(2, timeout=WAIT)
        assert dict(central.chargers) == {"new": OcppVersion.V201, "old": OcppVersion.V16}


async def test_a_charger_that_disconnects_is_removed(central: CentralSystem) -> None:
    async with simulated(central, "CP-1"), simulated(central, "CP-2"):
        await central.wait_for_chargers(2, timeout=WAIT)
    await eventually(lambda: not central.chargers, "both chargers removed")
    outcome = await central.set_limit("CP-1", three_periods())
    assert outcome == ProfileOutcome(charger_id="CP-1", accepted=False, status="Disconnected")


async def test_wait_for_chargers_names_who_is_connected(central: CentralSystem) -> None:
    async with simulated(central, "CP-1"):
        with pytest.raises(TimeoutError, match=r"1 of 2 chargers connected after 0.2s: CP-1"):
            await central.wait_for_chargers(2, timeout=0.2)


async def test_a_charger_connecting_again_replaces_its_old_connection(central: CentralSystem) -> None:
    async with simulated(central, "CP-1") as first:
        async with simulated(central, "CP-1", version=OcppVersion.V16):
            await eventually(lambda: not first.connected, "the first connection closed")
            assert dict(central.chargers) == {"CP-1": OcppVersion.V16}
            outcome = await central.set_limit("CP-1", three_periods())
            assert outcome.accepted
        await eventually(lambda: not central.chargers, "removed once the new connection closes")


async def test_a_connection_without_a_charger_id_or_subprotocol_is_refused(central: CentralSystem) -> None:
    async with asyncio.timeout(WAIT):
        websocket = await connect(central.url + "/", subprotocols=["ocpp2.0.1"], proxy=None)
        with pytest.raises(ConnectionClosed):
            await websocket.recv()
        assert websocket.close_code == 1008
        with pytest.raises(InvalidStatus):
            await connect(central.url + "/CP-1", proxy=None)
        with pytest.raises(InvalidStatus):
            await connect(central.url + "/CP-1", subprotocols=["ocpp1.5"], proxy=None)
    assert dict(central.chargers) == {}


async def test_the_charger_id_is_the_last_segment_of_the_path(central: CentralSystem) -> None:
    async with asyncio.timeout(WAIT):
        charger = SimulatedCharger("CP 7", central.url + "/ocpp/site-a")
        await charger.start()
        try:
            assert dict(central.chargers) == {"CP 7": OcppVersion.V201}
        finally:
            await charger.close()


async def test_unknown_chargers_are_accepted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    async with (
        asyncio.timeout(WAIT),
        CentralSystem(known_chargers={"CP-1"}) as central,
        simulated(central, "CP-1"),
        simulated(central, "stranger"),
    ):
        assert set(central.chargers) == {"CP-1", "stranger"}
        assert "unknown charger stranger" in caplog.text
        assert "unknown charger CP-1" not in caplog.text


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_limit_can_be_sent_from_on_charger_connected(version: OcppVersion) -> None:
    outcomes: list[ProfileOutcome] = []

    async def on_connected(charger_id: str, speaks: OcppVersion) -> None:
        outcomes.append(await central.set_limit(charger_id, three_periods()))

    async with (
        asyncio.timeout(WAIT),
        CentralSystem(on_charger_connected=on_connected) as central,
        simulated(central, "CP-1", version=version) as charger,
    ):
        await eventually(lambda: bool(outcomes), "the limit sent on connection")
        assert outcomes == [ProfileOutcome(charger_id="CP-1", accepted=True, status="Accepted")]
        assert charger.schedules == (three_periods(),)


# -- limits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_set_limit_reaches_the_charger(central: CentralSystem, version: OcppVersion) -> None:
    clock = ManualClock()
    async with simulated(central, "CP-1", version=version, clock=clock) as charger:
        schedule = three_periods()
        async with asyncio.timeout(WAIT):
            outcome = await central.set_limit("CP-1", schedule)
        assert outcome == ProfileOutcome(charger_id="CP-1", accepted=True, status="Accepted")
        assert charger.schedules == (schedule,)
        (received,) = charger.schedules
        assert received.start == T0
        assert [(p.start, p.limit_w) for p in received.periods] == [
            (timedelta(0), Decimal(7400)),
            (timedelta(minutes=15), Decimal("3680.5")),
            (timedelta(minutes=45), Decimal(0)),
        ]
        assert received.duration == timedelta(hours=1)
        assert charger.limit_at(T0 - timedelta(seconds=1)) is None
        assert charger.limit_at(T0 + timedelta(minutes=20)) == Decimal("3680.5")
        assert charger.limit_at(T0 + timedelta(hours=1)) is None
        assert charger.power_w() == Decimal(7400)
        clock.advance(timedelta(minutes=50))
        assert charger.power_w() == Decimal(0)
        clock.advance(timedelta(minutes=10))
        assert charger.power_w() == Decimal(11000)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_new_limit_replaces_the_previous_one(central: CentralSystem, version: OcppVersion) -> None:
    async with simulated(central, "CP-1", version=version, clock=ManualClock()) as charger:
        first = three_periods()
        second = ChargerSchedule(
            start=T0, periods=(ChargingPeriod(start=timedelta(0), limit_w=Decimal(5000)),)
        )
        assert (await central.set_limit("CP-1", first)).accepted
        assert (await central.set_limit("CP-1", second)).accepted
        assert charger.schedules == (second,)
        assert charger.history == (first, second)
        assert charger.power_w() == Decimal(5000)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_rejecting_charger(central: CentralSystem, version: OcppVersion) -> None:
    async with simulated(central, "CP-1", version=version, accept_profiles=False) as charger:
        outcome = await central.set_limit("CP-1", three_periods())
        assert outcome == ProfileOutcome(charger_id="CP-1", accepted=False, status="Rejected")
        assert charger.rejected == 1
        assert charger.schedules == ()


@pytest.mark.parametrize("version", VERSIONS)
async def test_clear_limit_removes_it(central: CentralSystem, version: OcppVersion) -> None:
    async with simulated(central, "CP-1", version=version, clock=ManualClock()) as charger:
        assert (await central.set_limit("CP-1", three_periods())).accepted
        assert charger.power_w() == Decimal(7400)
        outcome = await central.clear_limit("CP-1")
        assert outcome == ProfileOutcome(charger_id="CP-1", accepted=True, status="Accepted")
        assert charger.schedules == ()
        assert charger.power_w() == Decimal(11000)
        again = await central.clear_limit("CP-1")
        assert again == ProfileOutcome(charger_id="CP-1", accepted=True, status="Unknown")


async def test_an_unknown_charger_is_disconnected(central: CentralSystem) -> None:
    assert await central.set_limit("nobody", three_periods()) == ProfileOutcome(
        charger_id="nobody", accepted=False, status="Disconnected"
    )
    assert await central.clear_limit("nobody") == ProfileOutcome(
        charger_id="nobody", accepted=False, status="Disconnected"
    )
    assert central.meter("nobody") is None


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_call_error_is_an_outcome(central: CentralSystem, version: OcppVersion) -> None:
    async with raw_charge_point(central, "bare", version):  # has no SetChargingProfile handler
        async with asyncio.timeout(WAIT):
            outcome = await central.set_limit("bare", three_periods())
        assert not outcome.accepted
        assert outcome.status.startswith("CallError NotImplemented")


async def test_a_charger_that_does_not_answer_times_out() -> None:
    async with (
        asyncio.timeout(WAIT),
        CentralSystem(call_timeout=0.3) as central,
        raw_socket(central, "mute") as websocket,
    ):
        outcome = await central.set_limit("mute", three_periods())
        assert outcome == ProfileOutcome(charger_id="mute", accepted=False, status="Timeout")
        request = json.loads(await websocket.recv())
        assert request[0] == 2
        assert request[2] == "SetChargingProfile"
        assert request[3]["evseId"] == 0
        profile = request[3]["chargingProfile"]
        assert profile["chargingProfilePurpose"] == "ChargingStationMaxProfile"
        assert profile["chargingProfileKind"] == "Absolute"
        (schedule,) = profile["chargingSchedule"]
        assert schedule["chargingRateUnit"] == "W"
        assert schedule["startSchedule"] == "2030-06-01T12:00:00Z"
        assert schedule["duration"] == 3600
        assert schedule["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 7400.0},
            {"startPeriod": 900, "limit": 3680.5},
            {"startPeriod": 2700, "limit": 0.0},
        ]


async def test_a_charger_that_drops_during_the_call_is_disconnected(central: CentralSystem) -> None:
    async with raw_socket(central, "flaky") as websocket:

        async def hang_up() -> None:
            await websocket.recv()  # the SetChargingProfile
            await websocket.close()

        closer = asyncio.create_task(hang_up())
        async with asyncio.timeout(3):  # well under the 5 s call timeout
            outcome = await central.set_limit("flaky", three_periods())
        await closer
        assert outcome == ProfileOutcome(charger_id="flaky", accepted=False, status="Disconnected")


# -- meter values --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_meter_values_of_two_chargers_and_their_sum(version: OcppVersion) -> None:
    clock = ManualClock()
    samples: list[MeterSample] = []

    async def on_meter_values(sample: MeterSample) -> None:
        samples.append(sample)

    async with (
        asyncio.timeout(WAIT),
        CentralSystem(on_meter_values=on_meter_values) as central,
        simulated(central, "A", version=version, clock=clock, meter_interval=0.05) as a,
        simulated(central, "B", version=version, clock=clock, max_power_w=Decimal(7400), meter_interval=0.05),
    ):
        assert central.meter("A") == MeterSample(
            charger_id="A", at=T0, power_w=Decimal(11000), energy_wh=Decimal(0)
        )
        assert central.site_meter() == MeterSample(
            charger_id="site", at=T0, power_w=Decimal(18400), energy_wh=Decimal(0)
        )
        await eventually(lambda: {s.charger_id for s in samples} == {"A", "B"}, "on_meter_values for both")
        limit = ChargerSchedule(
            start=T0, periods=(ChargingPeriod(start=timedelta(0), limit_w=Decimal(4000)),)
        )
        assert (await central.set_limit("A", limit)).accepted
        clock.advance(timedelta(minutes=30))
        later = T0 + timedelta(minutes=30)

        def caught_up() -> bool:
            site = central.site_meter()
            return site.at == later and site.power_w == Decimal(11400) and site.energy_wh == Decimal(5700)

        await eventually(caught_up, "the site sum after 30 minutes at 4000 W + 7400 W")
        assert a.energy_wh == Decimal(2000)
        assert central.meter("A") == MeterSample(
            charger_id="A", at=later, power_w=Decimal(4000), energy_wh=Decimal(2000)
        )


async def test_meter_values_in_kw_and_kwh_from_an_ocpp_1_6_charger(central: CentralSystem) -> None:
    def entry(at: datetime, *samples: dict[str, str]) -> dict[str, Any]:
        return {"timestamp": at.isoformat(), "sampled_value": list(samples)}

    power = "Power.Active.Import"
    energy = "Energy.Active.Import.Register"
    async with raw_charge_point(central, "old", OcppVersion.V16) as point, asyncio.timeout(WAIT):
        await point.call(
            call16.MeterValues(
                connector_id=1,
                meter_value=[
                    entry(
                        T0,
                        {"value": "7.4", "measurand": power, "unit": "kW"},
                        {"value": "12.5", "measurand": energy, "unit": "kWh"},
                    )
                ],
            )
        )
        assert central.meter("old") == MeterSample(
            charger_id="old", at=T0, power_w=Decimal("7400.0"), energy_wh=Decimal("12500.0")
        )
        at = T0 + timedelta(minutes=1)
        await point.call(
            call16.MeterValues(
                connector_id=2,
                meter_value=[
                    entry(
                        at,
                        *(
                            {"value": "1.2", "measurand": power, "unit": "kW", "phase": p}
                            for p in ("L1", "L2", "L3")
                        ),
                        {"value": "500"},  # no measurand: the energy register, in Wh
                    )
                ],
            )
        )
        assert central.meter("old") == MeterSample(
            charger_id="old", at=at, power_w=Decimal("11000.0"), energy_wh=Decimal("13000.0")
        )
        # the main meter (connector 0) wins over the sum of the connectors
        await point.call(
            call16.MeterValues(connector_id=0, meter_value=[entry(at, {"value": "9000", "measurand": power})])
        )
        sample = central.meter("old")
        assert sample is not None
        assert sample.power_w == Decimal(9000)
        # values we cannot use are skipped; the connection stays
        await point.call(
            call16.MeterValues(
                connector_id=0,
                meter_value=[
                    entry(
                        at + timedelta(seconds=1),
                        {"value": "abc", "measurand": power},
                        {"value": "3", "measurand": power, "unit": "A"},
                    )
                ],
            )
        )
        assert central.meter("old") == sample
        assert dict(central.chargers) == {"old": OcppVersion.V16}


async def test_meter_values_in_kw_and_kwh_from_an_ocpp_2_0_1_charger(central: CentralSystem) -> None:
    def sampled(value: float, measurand: str, unit: str, multiplier: int = 0) -> dict[str, Any]:
        return {
            "value": value,
            "measurand": measurand,
            "unit_of_measure": {"unit": unit, "multiplier": multiplier},
        }

    async with raw_charge_point(central, "new", OcppVersion.V201) as point, asyncio.timeout(WAIT):
        await point.call(
            call201.MeterValues(
                evse_id=1,
                meter_value=[
                    {
                        "timestamp": "2030-06-01T12:00:00Z",
                        "sampled_value": [
                            sampled(7.4, "Power.Active.Import", "kW"),
                            sampled(1.5, "Energy.Active.Import.Register", "Wh", multiplier=3),
                        ],
                    }
                ],
            )
        )
        assert central.meter("new") == MeterSample(
            charger_id="new", at=T0, power_w=Decimal("7400.0"), energy_wh=Decimal("1500.0")
        )
        # a TransactionEvent's meter values count too
        await point.call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp="2030-06-01T12:05:00Z",
                trigger_reason="MeterValuePeriodic",
                seq_no=1,
                transaction_info={"transaction_id": "tx-1"},
                evse={"id": 1},
                meter_value=[
                    {
                        "timestamp": "2030-06-01T12:05:00Z",
                        "sampled_value": [
                            sampled(3, "Power.Active.Import", "kW"),
                            sampled(2, "Energy.Active.Import.Register", "kWh"),
                        ],
                    }
                ],
            )
        )
        assert central.meter("new") == MeterSample(
            charger_id="new", at=T0 + timedelta(minutes=5), power_w=Decimal(3000), energy_wh=Decimal(2000)
        )
        # an older entry, sent late, does not overwrite the newer one
        await point.call(
            call201.MeterValues(
                evse_id=1,
                meter_value=[
                    {
                        "timestamp": "2030-06-01T12:01:00Z",
                        "sampled_value": [sampled(1, "Power.Active.Import", "kW")],
                    }
                ],
            )
        )
        sample = central.meter("new")
        assert sample is not None
        assert sample.power_w == Decimal(3000)
        await point.call(call201.NotifyReport(request_id=1, generated_at="2030-06-01T12:05:00Z", seq_no=0))
        await point.call(call201.Heartbeat())


async def test_site_meter_without_readings(central: CentralSystem) -> None:
    site = central.site_meter()
    assert (site.charger_id, site.power_w, site.energy_wh) == ("site", None, None)


async def test_bad_messages_do_not_kill_the_connection(central: CentralSystem) -> None:
    async with raw_socket(central, "noisy") as websocket, asyncio.timeout(WAIT):
        await websocket.send("this is not json")
        await websocket.send(json.dumps([2, "m-1", "MeterValues", {"evseId": "one", "meterValue": []}]))
        answer = json.loads(await websocket.recv())
        assert answer[:2] == [4, "m-1"]  # a CallError
        await websocket.send(json.dumps([2, "h-1", "Heartbeat", {}]))
        answer = json.loads(await websocket.recv())
        assert answer[:2] == [3, "h-1"]
        assert "currentTime" in answer[2]
        assert dict(central.chargers) == {"noisy": OcppVersion.V201}


async def test_a_failing_callback_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(sample: MeterSample) -> None:
        raise RuntimeError("callback broke")

    async with (
        asyncio.timeout(WAIT),
        CentralSystem(on_meter_values=broken) as central,
        simulated(central, "CP-1", meter_interval=0.05),
    ):
        await eventually(lambda: "on_meter_values failed" in caplog.text, "the failure logged")
        outcome = await central.set_limit("CP-1", three_periods())
        assert outcome.accepted


# -- the simulator's clock -----------------------------------------------------------------------


async def test_the_simulator_follows_its_clock(central: CentralSystem) -> None:
    clock = ManualClock()
    async with simulated(central, "CP-1", clock=clock) as charger:
        assert charger.energy_wh == Decimal(0)
        schedule = ChargerSchedule(
            start=T0 + timedelta(hours=1),
            periods=(
                ChargingPeriod(start=timedelta(0), limit_w=Decimal(6000)),
                ChargingPeriod(start=timedelta(minutes=30), limit_w=Decimal(2000)),
            ),
            duration=timedelta(hours=1),
        )
        assert (await central.set_limit("CP-1", schedule)).accepted
        assert charger.power_w() == Decimal(11000)  # not started yet on its clock
        clock.advance(timedelta(hours=3))
        # 1 h at 11 kW, 30 min at 6 kW, 30 min at 2 kW, 1 h at 11 kW
        assert charger.energy_wh == Decimal(11000 + 3000 + 1000 + 11000)
        assert charger.power_w() == Decimal(11000)


async def test_the_simulator_on_a_fast_clock(central: CentralSystem) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()

    def fast() -> datetime:  # 600 times faster than the real one
        return T0 + timedelta(seconds=(loop.time() - began) * 600)

    async with simulated(central, "CP-1", clock=fast, meter_interval=0.05) as charger:
        schedule = ChargerSchedule(
            start=T0,
            periods=(
                ChargingPeriod(start=timedelta(0), limit_w=Decimal(5000)),
                ChargingPeriod(start=timedelta(minutes=2), limit_w=Decimal(1000)),
            ),
        )
        assert (await central.set_limit("CP-1", schedule)).accepted

        def limited() -> bool:
            sample = central.meter("CP-1")
            return (
                sample is not None
                and sample.power_w == Decimal(1000)
                and sample.at >= T0 + timedelta(minutes=2)
            )

        await eventually(limited, "the second period in force on the charger's clock")
        assert charger.power_w() == Decimal(1000)


# -- the values ----------------------------------------------------------------------------------


def test_schedule_validation() -> None:
    period = ChargingPeriod(start=timedelta(0), limit_w=Decimal(1))
    later = ChargingPeriod(start=timedelta(minutes=5), limit_w=Decimal(1))
    with pytest.raises(ValueError, match="must not be empty"):
        ChargerSchedule(start=T0, periods=())
    with pytest.raises(ValueError, match="first period must start at offset 0"):
        ChargerSchedule(start=T0, periods=(later,))
    with pytest.raises(ValueError, match="period starts must increase"):
        ChargerSchedule(start=T0, periods=(period, later, later))
    with pytest.raises(ValueError, match="timezone-aware"):
        ChargerSchedule(start=datetime(2030, 1, 1), periods=(period,))
    with pytest.raises(ValueError, match="duration must be positive"):
        ChargerSchedule(start=T0, periods=(period,), duration=timedelta(0))
    with pytest.raises(ValueError, match="whole seconds"):
        ChargerSchedule(start=T0, periods=(period,), duration=timedelta(seconds=1.5))
    with pytest.raises(ValueError, match="must be a tuple"):
        ChargerSchedule(start=T0, periods=[period])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r">= 0 W"):
        ChargingPeriod(start=timedelta(0), limit_w=Decimal(-1))
    with pytest.raises(ValueError, match=r">= 0 W"):
        ChargingPeriod(start=timedelta(0), limit_w=Decimal("NaN"))
    with pytest.raises(ValueError, match="must be a Decimal"):
        ChargingPeriod(start=timedelta(0), limit_w=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole seconds"):
        ChargingPeriod(start=timedelta(milliseconds=1), limit_w=Decimal(1))
    with pytest.raises(ValueError, match="must not be negative"):
        ChargingPeriod(start=timedelta(seconds=-1), limit_w=Decimal(1))


def test_schedule_start_is_kept_in_utc_and_limit_at() -> None:
    local = T0.astimezone(timezone(timedelta(hours=2)))
    schedule = three_periods(start=local)
    assert schedule.start.tzinfo is UTC
    assert schedule.start == T0
    assert schedule.end == T0 + timedelta(hours=1)
    assert schedule.limit_at(T0 + timedelta(minutes=15)) == Decimal("3680.5")
    assert schedule.limit_at(T0 + timedelta(minutes=14, seconds=59)) == Decimal(7400)
    assert ChargerSchedule(start=T0, periods=schedule.periods).limit_at(T0 + timedelta(days=9)) == Decimal(0)


def test_ocpp_versions() -> None:
    assert OcppVersion("1.6").subprotocol == "ocpp1.6"
    assert OcppVersion.V201.subprotocol == "ocpp2.0.1"


def test_without_the_extra_the_package_still_imports() -> None:
    code = (
        "import sys\n"
        "sys.modules['ocpp'] = None\n"
        "import openadr_accel, openadr_accel.ven, openadr_accel.vtn\n"
        "try:\n"
        "    import openadr_accel.evse\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'openadr-accel[evse]'" in result.stdout
