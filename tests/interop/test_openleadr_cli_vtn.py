"""The command-line VTN serves an OpenLEADR 0.5.36 VEN end to end, operated from the command line.

``openadr-accel vtn`` runs as its own process on a SQLite file, configured only by flags (open
registration, telemetry requested as VENs offer it); the event comes from ``openadr-accel vtn
event create`` in a third process; the answer and the reports are read back with ``openadr-accel
vtn event list`` and ``openadr-accel vtn reports``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from openleadr_ven import R_ID
from openleadr_ven_support import openleadr_interpreter, start_ven
from vtn_process import cli, vtn_process

pytestmark = pytest.mark.interop

VTN_ID = "ACCEL-CLI-VTN"  # OpenLEADR refuses events from an all-lower-case vtnID (docs/interop-openleadr.md)


async def eventually(args: list[str], predicate: str, *, timeout: float, what: str) -> str:
    """Run ``openadr-accel ARGS`` until its output contains ``predicate`` (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    output = ""
    while loop.time() < deadline:
        result = await asyncio.to_thread(cli, *args)
        assert result.returncode == 0, result.stderr
        output = result.stdout
        if predicate in output:
            return output
        await asyncio.sleep(0.3)
    raise AssertionError(f"no {what} within {timeout} s; last output:\n{output}")


async def test_cli_vtn_serves_an_openleadr_ven(tmp_path: Path) -> None:
    python = openleadr_interpreter()
    store = str(tmp_path / "vtn.db")
    serve = [
        "--registration",
        "open",
        "--store",
        store,
        "--vtn-id",
        VTN_ID,
        "--poll-frequency",
        "1s",
        "--request-reports",
        "TELEMETRY_USAGE",
        "--report-granularity",
        "1s",
        "--report-back-duration",
        "2s",
    ]
    with vtn_process(serve) as vtn:
        async with start_ven(
            python, ["--url", f"{vtn.url}/OpenADR2/Simple/2.0b", "--ven-name", "cli-peer", "--duration", "60"]
        ) as ven:
            registered = await ven.wait_for(
                lambda line: line["kind"] == "registered", timeout=20, what="registration"
            )
            ven_id = registered["ven_id"]
            assert ven_id, ven.transcript()

            listed = await asyncio.to_thread(cli, "vtn", "--store", store, "vens")
            assert listed.returncode == 0, listed.stderr
            assert f"{ven_id}\tregistered\tcli-peer\tpull" in listed.stdout

            created = await asyncio.to_thread(
                cli,
                "vtn",
                "--store",
                store,
                "event",
                "create",
                "--interval",
                "10m=1",
                "--start",
                "+1m",
                "--ven",
                ven_id,
            )
            assert created.returncode == 0, created.stderr
            event_id = created.stdout.strip()
            received = await ven.wait_for(
                lambda line: line["kind"] == "event" and line["event_id"] == event_id,
                timeout=15,
                what="the event",
            )
            assert received["signals"] == [{"name": "SIMPLE", "type": "level", "values": [1.0]}]

            events = await eventually(
                ["vtn", "--store", store, "event", "list"], f"{ven_id}:optIn", timeout=10, what="optIn"
            )
            assert events.startswith(f"{event_id}\tmod=0\tnear")

            reports = await eventually(
                ["vtn", "--store", store, "reports", ven_id], f"{R_ID}=", timeout=15, what="report data"
            )
        sampled = {str(line["value"]) for line in ven.of_kind("sampled")}
        values = [part.split("=", 1)[1] for part in reports.split() if part.startswith(f"{R_ID}=")]
        assert values
        assert all(str(float(value)) in sampled for value in values)
