"""What the two OpenLEADR peers (``ven_peer.py``, ``vtn_peer.py``) share: JSON lines out, commands in.

Runs under the interpreter of the private OpenLEADR 0.5.36 environment (``tests/openleadr_env.py``),
never under ours: this module imports nothing of ``openadr_accel``, only the standard library.

The protocol, one JSON object per line:

- **standard output** (the peer to the adapter): ``{"kind": ..., ...}`` lines. Every peer writes
  ``ready`` once it can take commands, ``reply`` for each command (``{"kind": "reply", "id": n,
  "ok": true, "result": ...}`` or ``{"kind": "reply", "id": n, "ok": false, "error": "..."}``),
  ``log`` for what OpenLEADR logged at WARNING or above, ``wire`` (message types only) for every
  document it sent or received, ``error`` when something of the peer's own broke, and
  ``stopped`` last. Anything else OpenLEADR prints goes to standard error.
- **standard input** (the adapter to the peer): ``{"id": n, "op": "...", "args": {...}}``
  commands, carried out one after the other. The end of standard input stops the peer.

A peer also stops by itself after ``--duration`` seconds, so that it can never outlive a run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

Command = Callable[[dict[str, Any]], Awaitable[Any]]
"""What a peer does for one ``op``: takes the command's ``args``, returns a JSON-able result."""

OADR_NS = "http://openadr.org/oadr-2.0b/2012/07"


class Output:
    """JSON lines on the real standard output, one write per line (threads may write too)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def emit(self, kind: str, **fields: Any) -> None:
        """Write one line ``{"kind": kind, **fields}`` (values that JSON cannot hold as ``str``)."""
        line = json.dumps({"kind": kind, **fields}, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class LogToOutput(logging.Handler):
    """OpenLEADR's log records at WARNING or above, as ``log`` lines."""

    def __init__(self, output: Output) -> None:
        super().__init__(level=logging.WARNING)
        self._output = output

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # OpenLEADR logs with stray arguments: logger.info(type, payload)
            message = f"{record.msg!r} {record.args!r}"
        self._output.emit("log", level=record.levelname, logger=record.name, message=message)


def setup_output() -> Output:
    """The JSON-lines output on the real standard output; ``sys.stdout`` becomes standard error
    (OpenLEADR prints banners), OpenLEADR's warnings become ``log`` lines."""
    output = Output(sys.stdout)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    handler = LogToOutput(output)
    logging.getLogger("openleadr").addHandler(handler)
    logging.getLogger("apscheduler").addHandler(handler)
    return output


def message_type(xml: str | bytes) -> str | None:
    """The type of an oadrPayload document (its signed object's child, without namespace)."""
    from lxml import etree  # noqa: PLC0415 (OpenLEADR's environment brings lxml)

    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    signed = root.find(f"{{{OADR_NS}}}oadrSignedObject")
    if signed is None or len(signed) == 0:
        return None
    return str(etree.QName(signed[0]).localname)


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp (with its offset) as an aware datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def seconds(value: float | None) -> timedelta | None:
    """Seconds as a timedelta (None stays None)."""
    return None if value is None else timedelta(seconds=float(value))


class CommandLoop:
    """Reads commands from standard input and carries them out one after the other.

    Args:
        output: where replies go.
        commands: what each ``op`` does.
    """

    def __init__(self, output: Output, commands: dict[str, Command]) -> None:
        self.output = output
        self.commands = commands
        self.closed = asyncio.Event()
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def start_reading(self) -> None:
        """Read standard input in a thread; its end sets :attr:`closed`."""
        loop = asyncio.get_running_loop()

        def read() -> None:
            for raw in sys.stdin:
                text = raw.strip()
                if not text:
                    continue
                try:
                    command = json.loads(text)
                except json.JSONDecodeError:
                    self.output.emit("error", message=f"unreadable command: {text[:200]}")
                    continue
                loop.call_soon_threadsafe(self._queue.put_nowait, command)
            loop.call_soon_threadsafe(self.closed.set)

        threading.Thread(target=read, name="peer-stdin", daemon=True).start()

    async def run(self, duration: float) -> str:
        """Carry out commands until standard input ends or ``duration`` seconds pass; why it ended."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        closed = asyncio.ensure_future(self.closed.wait())
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return "deadline"
                taken = asyncio.ensure_future(self._queue.get())
                done, _ = await asyncio.wait(
                    {taken, closed}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                if taken not in done:
                    taken.cancel()
                    return "stdin closed" if closed in done else "deadline"
                await self._carry_out(taken.result())
        finally:
            closed.cancel()

    async def _carry_out(self, command: dict[str, Any]) -> None:
        ident = command.get("id")
        operation = str(command.get("op"))
        action = self.commands.get(operation)
        if action is None:
            self.output.emit("reply", id=ident, ok=False, error=f"unknown op {operation!r}")
            return
        try:
            result = await action(dict(command.get("args") or {}))
        except Exception as exc:
            self.output.emit(
                "reply",
                id=ident,
                ok=False,
                error=f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
            )
            return
        self.output.emit("reply", id=ident, ok=True, result=result)


def main_with(run: Callable[[Output], Coroutine[Any, Any, str]]) -> int:
    """Run a peer: its output, then ``run`` in a fresh event loop; ``stopped`` (or ``error``) last."""
    output = setup_output()
    try:
        reason: str = asyncio.run(run(output))
    except BaseException:  # reported on stdout, where the adapter reads
        output.emit("error", message=traceback.format_exc())
        return 1
    output.emit("stopped", reason=reason)
    return 0
