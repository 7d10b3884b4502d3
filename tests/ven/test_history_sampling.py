"""A VEN offering HISTORY_USAGE samples its points while it runs, and its event loop stays free
(a point never sampled was once due "now" as read at each look, so the reporter never found it
due, slept zero and spun, blocking every other task of the VEN)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from openadr_accel.ven.config import VenConfig
from openadr_accel.ven.node import VEN
from openadr_accel.ven.report_capabilities import history_usage
from openadr_accel.ven.reports import VenReports


async def test_history_points_are_sampled_and_the_loop_stays_free(tmp_path: Path) -> None:
    reads = 0

    async def energy() -> Decimal:
        nonlocal reads
        reads += 1
        return Decimal(reads)

    capability = history_usage("history", energy=energy, sampling_period=timedelta(minutes=1))
    # an unreachable VTN: only the reporter's sampling runs, no exchange is needed
    config = VenConfig(vtn_url="http://127.0.0.1:9", ven_name="history", backoff=timedelta(seconds=5))
    ven = VEN(config, tmp_path / "ven.db", reports=[capability], tick=timedelta(milliseconds=20))
    loop = asyncio.get_running_loop()
    async with ven.running():
        began = loop.time()
        await asyncio.sleep(0.2)  # would never return while the reporter spins
        elapsed = loop.time() - began
    ven.store.close()
    assert elapsed < 1.0
    assert reads == 1  # sampled once, then not again before its sampling period
    upcoming = ven.reports.next_sample()
    assert upcoming is not None
    assert upcoming > datetime.now(UTC)  # the next sample is a minute ahead, not overdue


def test_a_point_never_sampled_is_due_whatever_the_clock_reads_next() -> None:
    """With a clock that moves between two reads, the first sample is still found due."""
    instants = (datetime(2026, 12, 1, tzinfo=UTC) + timedelta(microseconds=step) for step in range(1000))

    async def energy() -> Decimal:
        return Decimal(1)

    clock = lambda: next(instants)  # noqa: E731
    reports = VenReports([history_usage("history", energy=energy)], history_size=10, clock=clock)
    now = clock()  # as the VEN's reporter does: its now first, then when the next sample is due
    upcoming = reports.next_sample()
    assert upcoming is not None
    assert upcoming <= now
