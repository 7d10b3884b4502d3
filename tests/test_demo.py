"""``openadr-accel demo``, the README's main job, through the real command line in a subprocess: a
VTN on SQLite, a VEN with two simulated chargers (OCPP 2.0.1 and 1.6), one event of three SIMPLE
intervals; the output shows the event's lifecycle and the limits each charger took, and the run
exits 0 with everything closed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from openadr_accel.demo import MIN_DURATION, DemoPlan


def run_demo(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "openadr_accel", "demo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.mark.timeout(120)
def test_demo_shows_the_event_lifecycle_and_the_chargers_limits(tmp_path: Path) -> None:
    store = tmp_path / "demo.db"
    result = run_demo("--duration", "24", "--store", str(store))  # 5 s per interval: room for a busy CI
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    lines = [re.sub(r"^\d\d:\d\d:\d\d ", "", line) for line in out.splitlines()]

    def line_with(*parts: str) -> int:
        for number, line in enumerate(lines):
            if all(part in line for part in parts):
                return number
        raise AssertionError(f"no line with {parts} in:\n{out}\n{result.stderr}")

    assert lines[0].startswith("VTN DEMO-VTN on http://127.0.0.1:")
    order = [
        line_with("OCPP CP-1 (OCPP 2.0.1, 11,000 W) connected"),
        line_with("OCPP CP-2 (OCPP 1.6, 7,400 W) connected"),
        line_with("VEN registered as venID"),
        line_with("VTN: operator created event", "SIMPLE levels 1, 2, 3, 10 min each"),
        # The limits go out before the VEN answers: 22 kW site, 50/25/0 %, shared by two.
        line_with("OCPP CP-1: max 5,500 W from", "2,750 W from", "0 W from", "accepted"),
        line_with("-> optIn: limits sent to 2 charger(s)"),
        line_with("answered event", "optIn"),
        line_with("pending"),
        line_with("started: SIMPLE=1, site limit 11,000 W"),
        line_with("chargers drawing: CP-1 5,500 W, CP-2 5,500 W"),
        line_with("interval changed: SIMPLE=2, site limit 5,500 W"),
        line_with("chargers drawing: CP-1 2,750 W, CP-2 2,750 W"),
        line_with("interval changed: SIMPLE=3, site limit 0 W"),
        line_with("chargers drawing: CP-1 0 W, CP-2 0 W"),
        line_with("OCPP CP-2: clear its limit: accepted"),
        line_with("ended: site limit none"),
        line_with("chargers drawing: CP-1 11,000 W, CP-2 7,400 W"),
        line_with("VTN store: 1 answer(s) to the event (optIn)", "TELEMETRY_USAGE report(s)", "closed"),
    ]
    assert order == sorted(order), out
    line_with("OCPP CP-2: max 5,500 W from")
    reports = re.search(r"optIn\), (\d+) TELEMETRY_USAGE", out)
    assert reports is not None
    assert int(reports.group(1)) >= 1
    assert "Traceback" not in result.stderr
    assert "error" not in out.lower()
    assert store.stat().st_size > 0


def test_demo_refuses_a_duration_too_short_to_show_the_event() -> None:
    result = run_demo("--duration", "3", timeout=60)
    assert result.returncode == 2
    assert "--duration" in result.stderr
    with pytest.raises(ValueError, match="at least 12 s"):
        DemoPlan.for_duration(MIN_DURATION - 1)


def test_demo_plan_fits_the_event_in_the_duration() -> None:
    default = DemoPlan.for_duration()
    assert default.duration == 45
    assert 40 < default.speed < 60  # three ten-minute intervals in about 36 s
    short = DemoPlan.for_duration(MIN_DURATION)
    assert short.speed > default.speed
    assert short.report_every.total_seconds() >= 10


def test_without_the_evse_extra_the_demo_says_how_to_install_it() -> None:
    # importlib.util.find_spec answers None for a module set to None in sys.modules.
    code = "import sys; sys.modules['ocpp'] = None; from openadr_accel.cli import main; main(['demo'])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "pip install 'openadr-accel[evse]'" in result.stderr
    assert "Traceback" not in result.stderr
