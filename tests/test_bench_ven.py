"""``bench/ven`` keeps working: a smoke run of our VEN and OpenLEADR's against our VTN.

Runs ``bench/ven/run.py --quick`` smaller still (one round of 0.5 s per poll-cycle phase, a fleet of
10 VENs with a 2 s window) and checks that it finished, found no failure and printed both ratios
(the CPU-per-poll speedups and the fleet capacity ratio). It never asserts a speed: timings on
shared machines mean nothing in a test.

It needs OpenLEADR's environment (``tests/openleadr_env.py``): without it the test skips, or fails
when ``OPENADR_ACCEL_REQUIRE_OPENLEADR=1``, like the interop tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openleadr_env import (
    OPENLEADR_VERSION,
    REQUIRE_VARIABLE,
    OpenLEADRUnavailable,
    openleadr_python,
    required,
)

RUN = Path(__file__).resolve().parents[1] / "bench" / "ven" / "run.py"


def _openleadr() -> Path:
    try:
        return openleadr_python()
    except (OpenLEADRUnavailable, OSError, subprocess.SubprocessError) as exc:
        reason = f"its environment could not be built: {exc}"
        if required():
            pytest.fail(f"OpenLEADR {OPENLEADR_VERSION} is required ({REQUIRE_VARIABLE}=1) but {reason}")
        pytest.skip(f"OpenLEADR {OPENLEADR_VERSION} unavailable: {reason}")
        raise  # not reached


@pytest.mark.timeout(90)
def test_quick_run_prints_both_ratios(tmp_path: Path) -> None:
    python = _openleadr()
    completed = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--quick",
            "--seconds",
            "0.5",
            "--polls",
            "500",
            "--fleet",
            "10",
            "--fleet-window",
            "2",
            "--fleet-warmup",
            "0.5",
            "--startup-timeout",
            "20",
            "--openleadr-python",
            str(python),
        ],
        capture_output=True,
        text=True,
        timeout=85,
        check=False,
        cwd=RUN.parents[2],
    )
    output = f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert completed.returncode == 0, output
    assert "speedup, CPU per poll (empty):" in completed.stdout, output
    assert "speedup, CPU per poll (event):" in completed.stdout, output
    assert "capacity ratio, ours / OpenLEADR:" in completed.stdout, output
    assert "\nok: " in completed.stdout, output
