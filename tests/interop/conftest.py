"""One OpenLEADR 0.5.36 worker process for the whole session, in its own virtual environment.

OpenLEADR is never imported here: its pins (``signxml<5``, ``xmltodict==0.13``) conflict with
ours, so it runs under the interpreter ``tests/openleadr_env.py`` builds, as
``openleadr_worker.py``, and we talk to it over a pipe (``openleadr_client.py``).

If that environment cannot be built (no access to PyPI), the interop tests skip with the reason,
unless ``OPENADR_ACCEL_REQUIRE_OPENLEADR=1`` (CI), where they fail.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from openleadr_client import OpenLEADRWorker, WorkerFailed
from openleadr_env import (
    OPENLEADR_VERSION,
    REQUIRE_VARIABLE,
    OpenLEADRUnavailable,
    openleadr_python,
    required,
)


def _unavailable(reason: str) -> None:
    if required():
        pytest.fail(f"OpenLEADR {OPENLEADR_VERSION} is required ({REQUIRE_VARIABLE}=1) but {reason}")
    pytest.skip(f"OpenLEADR {OPENLEADR_VERSION} unavailable: {reason}")


@pytest.fixture(scope="session")
def openleadr() -> Iterator[OpenLEADRWorker]:
    """The OpenLEADR worker, started once; closed at the end of the session."""
    try:
        python = openleadr_python()
    except (OpenLEADRUnavailable, OSError, subprocess.SubprocessError) as exc:
        _unavailable(f"its environment could not be built: {exc}")
        raise  # not reached: _unavailable skips or fails
    worker = OpenLEADRWorker(python)
    try:
        try:
            version = worker.version()
        except WorkerFailed as exc:
            pytest.fail(f"the OpenLEADR environment is built but its worker does not answer: {exc}")
        assert version == OPENLEADR_VERSION, f"the worker runs OpenLEADR {version}"
        yield worker
    finally:
        worker.close()
