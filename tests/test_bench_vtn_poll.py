"""``bench/vtn_poll`` keeps working: a smoke run of our VTN and the bare server, plain HTTP.

Runs ``bench/vtn_poll/run.py --quick`` for our VTN (on SQLite) and the bare aiohttp server in
mode (a) only (no OpenLEADR, no PKI), about a second per phase, and checks that every poll was
answered correctly. It never asserts a speed: timings on shared machines mean nothing in a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "bench" / "vtn_poll" / "run.py"


@pytest.mark.timeout(30)
def test_quick_run_of_our_vtn_and_the_bare_server_has_no_failures(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--quick",
            "--modes",
            "plain",
            "--servers",
            "ours,bare",
            "--warmup",
            "0.3",
            "--seconds",
            "1",
            "--vens",
            "20",
            "--timeout",
            "10",
            "--json",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=28,
        check=False,
        cwd=RUN.parents[2],
    )
    output = f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert completed.returncode == 0, output
    report = json.loads(results.read_text())
    assert report["failed"] is False, output
    phases = {(phase["mode"], phase["server"]): phase for phase in report["phases"]}
    assert set(phases) == {("plain", "ours"), ("plain", "bare")}, output
    for phase in phases.values():
        assert phase["failures"] == 0, output
        assert phase["answered"] > 0, output
        assert phase["vens_answered"] == phase["vens"] == 20, output
