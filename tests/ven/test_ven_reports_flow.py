"""Our VEN's reports against our VTN over loopback: METADATA after registration, one-shot and
periodic updates, cancellation with reportToFollow, a METADATA request, restart.

VTN and VEN share a settable clock: report minutes pass with ``advance``; the VEN's reporter
looks at the clock every 20 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from ven_harness import Journal, make_ven
from vtn_harness import RunningVtn, SettableClock, running_vtn

from openadr_accel.model import OadrReport, OadrReportRequest, PayloadFloat, ReportName
from openadr_accel.ven.report_capabilities import ReportCapability, telemetry_usage
from openadr_accel.vtn import VtnConfig, VtnHandlers
from openadr_accel.vtn.store import ReportRequestState

VTN_CONFIG = VtnConfig(vtn_id="test-vtn", poll_frequency=timedelta(seconds=1))
MINUTE = timedelta(minutes=1)


class Meter:
    """A fake meter: power rises by 100 W at every reading."""

    def __init__(self) -> None:
        self.readings = 0

    async def power(self) -> Decimal:
        self.readings += 1
        return Decimal(1000 + 100 * self.readings)


def meter_reports(meter: Meter) -> list[ReportCapability]:
    return [telemetry_usage("meter", power=meter.power, min_period=MINUTE)]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.025)):
        if await check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("condition not met in time")


async def delivered(server: RunningVtn, ven_id: str, count: int) -> list[list[Decimal]]:
    """Wait for ``count`` delivered reports; each one's power values, in order."""

    async def enough() -> bool:
        return len(await server.vtn.reports.data(ven_id)) >= count

    await eventually(enough)
    result = []
    for stored in await server.vtn.reports.data(ven_id):
        values = []
        for interval in stored.report.intervals:
            for payload in interval.payloads:
                assert isinstance(payload.payload, PayloadFloat)
                values.append(payload.payload.value)
        result.append(values)
    return result


async def state_of(server: RunningVtn, ven_id: str, report_request_id: str) -> ReportRequestState:
    for record in await server.vtn.reports.requests(ven_id):
        if record.report_request_id == report_request_id:
            return record.state
    raise AssertionError(f"no request {report_request_id}")


async def test_metadata_then_one_shot_and_periodic_updates(tmp_path: Path) -> None:
    """N1_0020 (METADATA after registration), R1_3150 (one-shot), R1_3160 (periodic: granularity
    1 min, reportBackDuration 2 min)."""
    clock = SettableClock()
    journal = Journal()
    meter = Meter()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock, reports=meter_reports(meter))
        async with ven.running():
            [registration] = await journal.wait_for_entry("registered")
            ven_id = registration.ven_id

            async def offered() -> bool:
                return bool(await server.vtn.reports.capabilities(ven_id))

            await eventually(offered)
            [capability] = await server.vtn.reports.capabilities(ven_id)
            assert capability.report_name == ReportName.METADATA_TELEMETRY_USAGE
            assert [d.r_id for d in capability.descriptions] == ["power"]

            one_shot = await server.vtn.reports.request(ven_id, "meter")
            assert await delivered(server, ven_id, 1) == [[Decimal(1100)]]

            async def completed() -> bool:
                return (
                    await state_of(server, ven_id, one_shot.report_request_id) == ReportRequestState.COMPLETED
                )

            await eventually(completed)

            periodic = await server.vtn.reports.request(
                ven_id, "meter", granularity=MINUTE, report_back_duration=2 * MINUTE
            )

            async def created() -> bool:
                return (
                    await state_of(server, ven_id, periodic.report_request_id) == ReportRequestState.CREATED
                )

            await eventually(created)
            for _ in range(4):
                await asyncio.sleep(0.1)
                clock.advance(MINUTE)
            reports = await delivered(server, ven_id, 3)
            assert len(reports[1]) == 2  # two readings of one minute each, per two-minute update
            assert reports[1] == sorted(reports[1])
            assert len(reports[2]) == 2
            assert reports[2][0] > reports[1][1]


async def test_cancel_with_report_to_follow_sends_one_final_update(tmp_path: Path) -> None:
    """R1_3045: an open-ended report cancelled with reportToFollow gets one last update."""
    clock = SettableClock()
    journal = Journal()
    meter = Meter()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock, reports=meter_reports(meter))
        async with ven.running():
            [registration] = await journal.wait_for_entry("registered")
            ven_id = registration.ven_id

            async def offered() -> bool:
                return bool(await server.vtn.reports.capabilities(ven_id))

            await eventually(offered)
            periodic = await server.vtn.reports.request(
                ven_id, "meter", granularity=MINUTE, report_back_duration=10 * MINUTE
            )

            async def created() -> bool:
                return (
                    await state_of(server, ven_id, periodic.report_request_id) == ReportRequestState.CREATED
                )

            await eventually(created)
            clock.advance(MINUTE)
            await asyncio.sleep(0.2)
            await server.vtn.reports.cancel(periodic.report_request_id, report_to_follow=True)
            [final] = await delivered(server, ven_id, 1)
            assert final  # the readings buffered so far

            async def cancelled() -> bool:
                return (
                    await state_of(server, ven_id, periodic.report_request_id) == ReportRequestState.CANCELLED
                )

            await eventually(cancelled)
            assert ven.reports.pending() == ()
            clock.advance(30 * MINUTE)
            await asyncio.sleep(0.3)
            assert len(await server.vtn.reports.data(ven_id)) == 1  # nothing after the final update


async def test_metadata_request_makes_the_ven_register_its_reports_again(tmp_path: Path) -> None:
    """R1_3170: a METADATA report request → the VEN sends oadrRegisterReport again."""
    clock = SettableClock()
    journal = Journal()
    seen: list[list[str]] = []

    async def capabilities(ven: object, reports: Sequence[OadrReport]) -> Sequence[OadrReportRequest]:
        seen.append([report.report_specifier_id for report in reports])
        return ()

    async with running_vtn(
        tmp_path, config=VTN_CONFIG, clock=clock, handlers=VtnHandlers(on_report_capabilities=capabilities)
    ) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock, reports=meter_reports(Meter()))
        async with ven.running():
            [registration] = await journal.wait_for_entry("registered")

            async def registered_reports() -> bool:
                return len(seen) >= 1

            await eventually(registered_reports)
            await server.vtn.reports.request_metadata(registration.ven_id)

            async def again() -> bool:
                return len(seen) >= 2

            await eventually(again)
        assert seen == [["meter"], ["meter"]]


async def test_a_restarted_ven_carries_on_with_its_report_requests(tmp_path: Path) -> None:
    clock = SettableClock()
    journal = Journal()
    meter = Meter()
    async with running_vtn(tmp_path, config=VTN_CONFIG, clock=clock) as server:
        ven = make_ven(tmp_path, server.url, journal, clock=clock, reports=meter_reports(meter))
        async with ven.running():
            [registration] = await journal.wait_for_entry("registered")
            ven_id = registration.ven_id

            async def offered() -> bool:
                return bool(await server.vtn.reports.capabilities(ven_id))

            await eventually(offered)
            periodic = await server.vtn.reports.request(
                ven_id, "meter", granularity=MINUTE, report_back_duration=MINUTE
            )

            async def created() -> bool:
                return (
                    await state_of(server, ven_id, periodic.report_request_id) == ReportRequestState.CREATED
                )

            await eventually(created)
        await ven.close()
        again = make_ven(tmp_path, server.url, Journal(), clock=clock, reports=meter_reports(meter))
        assert again.reports.pending() == (periodic.report_request_id,)
        async with again.running():
            for _ in range(3):
                clock.advance(MINUTE)
                await asyncio.sleep(0.15)
            reports = await delivered(server, ven_id, 2)
        assert all(report for report in reports)
        await again.close()
