"""An OpenLEADR script (``openleadr_ven.py``, ``openleadr_vtn.py``) as a child process, followed.

The script writes JSON lines; :class:`OpenLEADRProcess` collects them as they come and lets a test
wait, always with a time limit, for the first line that matches. When a wait fails, the assertion
message carries the transcript (the lines, the documents exchanged by type only, and the end of
the standard error), which is usually enough to see what went wrong. The script stops when its
standard input is closed; :func:`start_script` does that at the end (and kills it if it lingers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from openleadr_env import (
    OPENLEADR_VERSION,
    REQUIRE_VARIABLE,
    OpenLEADRUnavailable,
    openleadr_python,
    required,
)

__all__ = ["Line", "OpenLEADRProcess", "openleadr_interpreter", "start_script"]

Line = dict[str, Any]

P = TypeVar("P", bound="OpenLEADRProcess")


def openleadr_interpreter() -> Path:
    """The OpenLEADR environment's interpreter; skips the test without it (fails when
    ``OPENADR_ACCEL_REQUIRE_OPENLEADR=1``), as the ``openleadr`` fixture of ``conftest.py`` does."""
    try:
        return openleadr_python()
    except (OpenLEADRUnavailable, OSError, subprocess.SubprocessError) as exc:
        reason = f"its environment could not be built: {exc}"
        if required():
            pytest.fail(f"OpenLEADR {OPENLEADR_VERSION} is required ({REQUIRE_VARIABLE}=1) but {reason}")
        pytest.skip(f"OpenLEADR {OPENLEADR_VERSION} unavailable: {reason}")


class OpenLEADRProcess:
    """A running OpenLEADR script: its output lines so far, and bounded waits on them."""

    name = "OpenLEADR process"
    """How the transcript and failures call it."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: IO[bytes]) -> None:
        self.process = process
        self.lines: list[Line] = []
        self._stderr = stderr
        self._stderr_text: str | None = None
        self._new_line = asyncio.Event()
        self._finished = False
        self._reader = asyncio.create_task(self._read(), name=f"{self.name}-reader")

    async def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            async for raw in self.process.stdout:
                text = raw.decode("utf-8", "replace").strip()
                if not text:
                    continue
                try:
                    line = json.loads(text)
                except json.JSONDecodeError:
                    line = {"kind": "unparsed", "text": text}
                self.lines.append(line)
                self._new_line.set()
        finally:
            self._finished = True
            self._new_line.set()

    def of_kind(self, kind: str) -> list[Line]:
        """The lines of one kind, in order."""
        return [line for line in self.lines if line.get("kind") == kind]

    def wire(self, direction: str, message_type: str | None = None) -> list[Line]:
        """The documents sent (``"out"``) or received (``"in"``), of one type or all."""
        return [
            line
            for line in self.of_kind("wire")
            if line["direction"] == direction and (message_type is None or line["type"] == message_type)
        ]

    async def wait_for(self, predicate: Callable[[Line], bool], *, timeout: float, what: str) -> Line:
        """The first line (since the start) that satisfies ``predicate``, waiting up to
        ``timeout`` seconds for it. Fails with the transcript if it does not come in time or the
        process ends first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = 0
        while True:
            while index < len(self.lines):
                line = self.lines[index]
                index += 1
                if predicate(line):
                    return line
            if self._finished:
                raise AssertionError(f"the {self.name} ended before {what}\n{self.transcript()}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {what} within {timeout} s\n{self.transcript()}")
            self._new_line.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_line.wait(), remaining)

    async def stop(self, *, timeout: float = 10.0) -> int:
        """Close its standard input (it stops and exits); killed if it takes longer than
        ``timeout``. Its exit status."""
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reader, timeout)
        assert self.process.returncode is not None
        return self.process.returncode

    def stderr_tail(self, limit: int = 4000) -> str:
        """The end of its standard error (kept after the process ended)."""
        if self._stderr_text is None:
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace")
            self._stderr.seek(0, 2)
            if self.process.returncode is None:
                return text[-limit:]
            self._stderr_text = text
        return self._stderr_text[-limit:]

    def describe_wire(self, line: Line) -> str:
        """One wire line of the transcript, without the document."""
        arrow = "->" if line["direction"] == "out" else "<-"
        return f"  wire {arrow} {line['type']}"

    def transcript(self) -> str:
        """Its lines (documents by type only) and the end of its standard error."""
        shown = []
        for line in self.lines:
            if line.get("kind") == "wire":
                shown.append(self.describe_wire(line))
            else:
                shown.append(f"  {json.dumps(line)[:2000]}")
        return f"{self.name} output:\n" + "\n".join(shown) + "\nits stderr (end):\n" + self.stderr_tail()


@contextlib.asynccontextmanager
async def start_script(
    kind: type[P], python: Path, script: Path, arguments: Sequence[str]
) -> AsyncIterator[P]:
    """``script`` under ``python`` with ``arguments``, followed as ``kind``; stopped (or killed)
    at the end."""
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    process = await asyncio.create_subprocess_exec(
        str(python),
        "-I",
        str(script),
        *arguments,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )
    followed = kind(process, stderr)
    try:
        yield followed
    finally:
        try:
            await followed.stop()
        finally:
            followed.stderr_tail()  # keeps its standard error for transcripts after the end
            stderr.close()
