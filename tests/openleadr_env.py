"""A private virtual environment with OpenLEADR 0.5.36, the interop peer and benchmark baseline.

OpenLEADR pins ``signxml<5`` and ``xmltodict==0.13``, which conflict with our dependencies, so it
never shares our environment: it lives in ``.cache/openleadr-0.5.36/`` at the repository root and
runs as a separate process. :func:`openleadr_python` builds the environment on first use (a pip
install from PyPI, about a minute) and returns its interpreter.

If it cannot be built (no network), callers skip with the reason, unless the environment variable
``OPENADR_ACCEL_REQUIRE_OPENLEADR=1`` says the interop tests must run (CI sets it).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import venv
from pathlib import Path

OPENLEADR_VERSION = "0.5.36"
REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_DIR = REPO_ROOT / ".cache" / f"openleadr-{OPENLEADR_VERSION}"
REQUIRE_VARIABLE = "OPENADR_ACCEL_REQUIRE_OPENLEADR"


class OpenLEADRUnavailable(RuntimeError):
    """The OpenLEADR environment could not be built."""


def required() -> bool:
    """Whether missing OpenLEADR must fail the run instead of skipping."""
    return os.environ.get(REQUIRE_VARIABLE) == "1"


def _python(env_dir: Path) -> Path:
    return env_dir / "bin" / "python"


def _ready(env_dir: Path) -> bool:
    return (env_dir / ".ready").exists()


def openleadr_python() -> Path:
    """The interpreter of the OpenLEADR environment, built first if needed.

    Safe to call from several processes at once (a file lock serialises the build).
    Raises :class:`OpenLEADRUnavailable` with pip's output if the build fails.
    """
    if _ready(ENV_DIR):
        return _python(ENV_DIR)
    ENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(ENV_DIR.parent / f"openleadr-{OPENLEADR_VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _ready(ENV_DIR):
            _build(ENV_DIR)
    return _python(ENV_DIR)


def _build(env_dir: Path) -> None:
    venv.EnvBuilder(clear=True, with_pip=True).create(env_dir)
    result = subprocess.run(
        [str(_python(env_dir)), "-m", "pip", "install", "--quiet", f"openleadr=={OPENLEADR_VERSION}"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise OpenLEADRUnavailable(
            f"pip could not install openleadr=={OPENLEADR_VERSION}:\n{result.stdout}\n{result.stderr}"
        )
    (env_dir / ".ready").write_text(f"openleadr=={OPENLEADR_VERSION}\n")


if __name__ == "__main__":
    print(openleadr_python())
    sys.exit(0)
