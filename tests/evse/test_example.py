"""``examples/evse_ocpp/run.py`` as a user runs it: a process against our VTN, a simulated charger
connecting to it, an event turned into a profile, SIGINT ending it cleanly; a bad policy file
refused with its message."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from openadr_accel.evse.limits import OcppVersion
from openadr_accel.evse.simulator import SimulatedCharger
from openadr_accel.model import SignalType
from openadr_accel.vtn import VTN, OpenRegistration, Signal, VtnConfig
from openadr_accel.vtn.store.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(60)

RUN = Path(__file__).parents[2] / "examples" / "evse_ocpp" / "run.py"
WAIT = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_run_py_serves_chargers_for_our_vtn_and_stops_on_sigint(tmp_path: Path) -> None:
    vtn = VTN(
        VtnConfig(vtn_id="example-vtn", poll_frequency=timedelta(seconds=1)),
        SqliteStore(tmp_path / "vtn.db"),
        registration=OpenRegistration(),
    )
    ws_port = free_port()
    async with vtn.running("127.0.0.1", 0) as runner:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(RUN),
            "--vtn-url",
            url,
            "--store",
            str(tmp_path / "ven.db"),
            "--ws-port",
            str(ws_port),
            "--poll-frequency",
            "1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            first = await asyncio.wait_for(process.stdout.readline(), WAIT)
            assert f"chargers connect to ws://127.0.0.1:{ws_port}/<charger id>" in first.decode()
            charger = SimulatedCharger("CP-1", f"ws://127.0.0.1:{ws_port}", version=OcppVersion.V16)
            async with charger:
                async with asyncio.timeout(WAIT):
                    while not await vtn.registrations.list():
                        await asyncio.sleep(0.1)
                start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
                event = await vtn.events.create(
                    signals=[
                        Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=10), 2)])
                    ],
                    start=start,
                )
                async with asyncio.timeout(WAIT):
                    while not charger.schedules:
                        await asyncio.sleep(0.1)
                async with asyncio.timeout(WAIT):  # the VEN answered (and printed its decision)
                    while not await vtn.events.responses(event.ei_event.event_descriptor.event_id):
                        await asyncio.sleep(0.1)
                (held,) = charger.schedules
                assert held.start == start
                # policy.toml: 22 kW site, level 2 = 25 %, one charger (max 11 kW per [chargers])
                assert held.periods[0].limit_w == Decimal(5_500)
            process.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(process.communicate(), WAIT)
        finally:
            if process.returncode is None:
                process.kill()
                with contextlib.suppress(Exception):
                    await process.wait()
    assert process.returncode == 0, err.decode()
    assert "optIn (limits sent to 1 charger(s))" in out.decode()
    assert out.decode().rstrip().endswith("stopped")


async def test_run_py_refuses_a_bad_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('site_capacity = "lots"\n')
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(RUN),
        "--vtn-url",
        "http://127.0.0.1:1",
        "--policy",
        str(policy),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 1
    assert "policy.toml: site_capacity: a limit is a share" in err.decode()
