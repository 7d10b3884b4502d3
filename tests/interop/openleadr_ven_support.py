"""Running ``openleadr_ven.py`` (an OpenLEADR 0.5.36 VEN) as a child process and following it.

The VEN writes JSON lines (see ``openleadr_ven.py``); :class:`VenProcess` collects them as they
come and lets a test wait, always with a time limit, for the first line that matches. When a wait
fails, the assertion message carries the VEN's transcript (its lines, the documents it exchanged
by type, and the end of its standard error), which is usually enough to see what went wrong.
The line-following itself is shared with the VTN peer, in ``openleadr_process.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from openleadr_process import OpenLEADRProcess, openleadr_interpreter, start_script

__all__ = ["VenProcess", "openleadr_interpreter", "start_ven"]

VEN_SCRIPT = Path(__file__).with_name("openleadr_ven.py")


class VenProcess(OpenLEADRProcess):
    """A running ``openleadr_ven.py``: its output lines so far, and bounded waits on them."""

    name = "OpenLEADR VEN"


@contextlib.asynccontextmanager
async def start_ven(python: Path, arguments: Sequence[str]) -> AsyncIterator[VenProcess]:
    """``openleadr_ven.py`` under ``python`` with ``arguments``; stopped (or killed) at the end."""
    async with start_script(VenProcess, python, VEN_SCRIPT, arguments) as ven:
        yield ven
