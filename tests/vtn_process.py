"""``openadr-accel vtn`` as a real child process, for crash, restart and multi-process tests."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class VtnProcess:
    process: subprocess.Popen[str]
    url: str

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``openadr-accel`` once (an operator's command) and return its result."""
    return subprocess.run(
        [sys.executable, "-m", "openadr_accel", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def vtn_process(args: Sequence[str], *, port: int | None = None, timeout: float = 20) -> Iterator[VtnProcess]:
    """Start ``openadr-accel vtn ARGS --port PORT`` and wait for its 'serving' line."""
    port = port or free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "openadr_accel", "vtn", *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or process.poll() is not None:
                raise AssertionError(f"the VTN did not start: {''.join(seen)}")
            if selector.select(remaining):
                line = process.stdout.readline()
                seen.append(line)
                if "serving" in line:
                    break
        yield VtnProcess(process, f"http://127.0.0.1:{port}")
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
