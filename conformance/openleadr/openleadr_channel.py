"""An OpenLEADR peer (``ven_peer.py``, ``vtn_peer.py``) as a child process, and the command channel to it.

The peer runs under the OpenLEADR environment's interpreter (``tests/openleadr_env.py``), in
isolated mode (``-I``), with its standard error in a temporary file. :class:`PeerProcess` reads its
JSON lines as they come, sends commands (:meth:`PeerProcess.call`, each bounded in time) and waits
for lines (:meth:`PeerProcess.wait_kind`, bounded too). :func:`start_peer` stops it at the end,
whatever happened: it closes its standard input (the peer stops), and kills it if it lingers.

Nothing here imports OpenLEADR or pytest: this side runs in our environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["Line", "PeerFailed", "PeerProcess", "start_peer"]

Line = dict[str, Any]

HERE = Path(__file__).resolve().parent
STOP_SECONDS = 10.0
"""How long a peer gets to stop once its standard input is closed, before it is killed."""


class PeerFailed(RuntimeError):
    """The peer did not do what it was asked, or ended: the message says what, with its output."""


class PeerProcess:
    """A running peer: its lines so far, commands, and bounded waits.

    Args:
        process: the child process.
        stderr: the temporary file its standard error goes to.
        name: how messages call it ("OpenLEADR 0.5.36's VEN").
    """

    def __init__(self, process: asyncio.subprocess.Process, stderr: IO[bytes], name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[Line] = []
        self._stderr = stderr
        self._stderr_text: str | None = None
        self._new_line = asyncio.Event()
        self._finished = False
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read(), name=f"{name} reader")

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

    @property
    def finished(self) -> bool:
        """Whether its standard output ended (the peer stopped)."""
        return self._finished

    def of_kind(self, kind: str) -> list[Line]:
        """Its lines of one kind, in order."""
        return [line for line in self.lines if line.get("kind") == kind]

    async def wait_for(self, predicate: Callable[[Line], bool], *, timeout: float, what: str) -> Line:
        """The first line (since the start) for which ``predicate`` holds, waiting up to
        ``timeout`` seconds.

        Raises:
            PeerFailed: it did not come in time, or the peer ended first.
        """
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
                raise PeerFailed(f"{self.name} ended before {what}{self.context()}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise PeerFailed(f"{self.name}: no {what} within {timeout:g} s{self.context()}")
            self._new_line.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_line.wait(), remaining)

    async def wait_kind(self, kind: str, *, timeout: float) -> Line:
        """The first line of ``kind``, waiting up to ``timeout`` seconds (see :meth:`wait_for`)."""
        return await self.wait_for(
            lambda line: line.get("kind") == kind, timeout=timeout, what=f"{kind!r} line"
        )

    async def call(self, op: str, *, timeout: float, **args: Any) -> Any:
        """Have the peer carry out ``op`` with ``args``; its result.

        Raises:
            PeerFailed: the peer reported an error (its message), did not answer within
                ``timeout`` seconds, or ended.
        """
        ident = next(self._ids)
        command = json.dumps({"id": ident, "op": op, "args": args}, default=str) + "\n"
        stdin = self.process.stdin
        if stdin is None or stdin.is_closing() or self._finished:
            raise PeerFailed(f"{self.name} has stopped: it cannot {op}{self.context()}")
        stdin.write(command.encode("utf-8"))
        try:
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise PeerFailed(f"{self.name} has stopped: it cannot {op}{self.context()}") from exc
        reply = await self.wait_for(
            lambda line: line.get("kind") == "reply" and line.get("id") == ident,
            timeout=timeout,
            what=f"answer to {op!r}",
        )
        if not reply.get("ok"):
            raise PeerFailed(f"{self.name} failed to {op}: {reply.get('error')}")
        return reply.get("result")

    def problems(self) -> list[str]:
        """Its ``error`` lines and what OpenLEADR logged at ERROR or above, one line each."""
        found = []
        for line in self.lines:
            kind = line.get("kind")
            if kind == "error" or (kind == "log" and line.get("level") in {"ERROR", "CRITICAL"}):
                text = str(line.get("message", "")).strip().splitlines()
                found.append(text[-1] if kind == "error" and text else " ".join(text))
        return found

    def stderr_tail(self, limit: int = 3000) -> str:
        """The end of its standard error (kept after the peer ended)."""
        if self._stderr_text is not None:
            return self._stderr_text[-limit:]
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        self._stderr.seek(0, 2)
        if self.process.returncode is not None:
            self._stderr_text = text
        return text[-limit:]

    def context(self, errors: int = 3) -> str:
        """What to add to a failure: OpenLEADR's last errors, if any."""
        problems = self.problems()[-errors:]
        return f" (OpenLEADR logged: {' | '.join(problems)})" if problems else ""

    async def stop(self, *, timeout: float = STOP_SECONDS) -> int:
        """Close its standard input (it stops and exits); kill it if it takes longer than
        ``timeout`` seconds. Its exit status."""
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reader, timeout)
        assert self.process.returncode is not None
        return self.process.returncode


@contextlib.asynccontextmanager
async def start_peer(
    python: Path,
    script: str,
    arguments: Sequence[str],
    *,
    name: str,
    ready_timeout: float = 30.0,
    log: Path | None = None,
) -> AsyncIterator[PeerProcess]:
    """The peer ``script`` (a file next to this one) under ``python`` with ``arguments``, once it
    wrote its ``ready`` line (within ``ready_timeout`` seconds); stopped, or killed, at the end.
    With ``log``, its output lines and standard error are written there once it stopped (to see
    what OpenLEADR did in a case).

    Raises:
        PeerFailed: it did not get ready.
    """
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    try:
        process = await asyncio.create_subprocess_exec(
            str(python),
            "-I",
            str(HERE / script),
            *arguments,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    except BaseException:
        stderr.close()
        raise
    peer = PeerProcess(process, stderr, name)
    try:
        try:
            await peer.wait_kind("ready", timeout=ready_timeout)
        except PeerFailed as exc:
            raise PeerFailed(f"{exc}; its standard error ends with:\n{peer.stderr_tail()}") from exc
        yield peer
    finally:
        try:
            await peer.stop()
        except BaseException:  # interrupted while stopping: it must not outlive us
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
            raise
        finally:
            if log is not None:
                _write_log(log, peer)
            peer.stderr_tail()
            stderr.close()


def _write_log(path: Path, peer: PeerProcess) -> None:
    """The peer's lines and standard error, in one file (a failure to write is only reported)."""
    text = "\n".join(json.dumps(line) for line in peer.lines)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"{text}\n--- standard error ---\n{peer.stderr_tail(limit=1_000_000)}", encoding="utf-8"
        )
    except OSError as exc:
        print(f"cannot write the log of {peer.name} to {path}: {exc}", file=sys.stderr)
