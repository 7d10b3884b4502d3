"""Our side of ``openleadr_worker.py``: one OpenLEADR process, one request at a time, each bounded.

The worker runs under the private OpenLEADR interpreter; we talk to it over its stdin/stdout with
the JSON-lines protocol and the value tagging that ``openleadr_worker`` defines (imported from
there, so it is written once). Every request has a timeout: a worker that does not answer in
time is killed, and every later request fails at once instead of hanging.
"""

from __future__ import annotations

import json
import queue
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openleadr_worker import tag, untag

__all__ = ["OpenLEADRRefused", "OpenLEADRWorker", "Parsed", "WorkerFailed"]

WORKER_SCRIPT = Path(__file__).with_name("openleadr_worker.py")
DEFAULT_TIMEOUT = 20.0


class WorkerFailed(RuntimeError):
    """The worker process died, timed out or broke the protocol."""


class OpenLEADRRefused(Exception):
    """OpenLEADR raised while handling a request; the message is its ``Type: text``."""


@dataclass(frozen=True)
class Created:
    xml: str
    warnings: list[str]


@dataclass(frozen=True)
class Parsed:
    message_type: str
    payload: dict[str, Any]
    warnings: list[str]


class OpenLEADRWorker:
    """A running ``openleadr_worker.py``."""

    def __init__(self, python: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker)
        self._process = subprocess.Popen(
            [str(python), "-I", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self._answers: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="openleadr-worker-reader", daemon=True)
        self._reader.start()
        self._broken: str | None = None

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._answers.put(line)
        self._answers.put(None)  # end of output: the worker is gone

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-2000:]

    def _fail(self, reason: str) -> WorkerFailed:
        self._broken = reason
        self._process.kill()
        return WorkerFailed(f"{reason}\nworker stderr:\n{self._stderr_tail()}")

    def request(self, request: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any]:
        """Send one request and return the answer; an ``error`` answer raises OpenLEADRRefused."""
        if self._broken is not None:
            raise WorkerFailed(f"the OpenLEADR worker is unusable: {self._broken}")
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(tag(request)) + "\n")
            self._process.stdin.flush()
        except OSError as exc:
            raise self._fail(f"cannot write to the worker: {exc}") from exc
        limit = self.timeout if timeout is None else timeout
        try:
            line = self._answers.get(timeout=limit)
        except queue.Empty:
            raise self._fail(f"no answer within {limit} s to {request.get('op')!r}") from None
        if line is None:
            raise self._fail(f"the worker exited (status {self._process.wait(5)})")
        try:
            answer = untag(json.loads(line))
        except json.JSONDecodeError as exc:
            raise self._fail(f"the worker wrote something that is not JSON: {line[:200]!r}") from exc
        if not isinstance(answer, dict):
            raise self._fail(f"the worker answered a non-object: {line[:200]!r}")
        if "error" in answer:
            raise OpenLEADRRefused(answer["error"])
        return answer

    def version(self) -> str:
        return str(self.request({"op": "ping"})["version"])

    def templates(self) -> list[str]:
        """The message templates OpenLEADR has (``openleadr/templates/*.xml`` minus the envelope)."""
        return list(self.request({"op": "templates"})["templates"])

    def create(self, message_type: str, payload: dict[str, Any]) -> Created:
        """``create_message(message_type, **payload)``, schema-validated by OpenLEADR."""
        answer = self.request({"op": "create", "type": message_type, "payload": payload})
        return Created(xml=answer["xml"], warnings=answer["warnings"])

    def parse(self, xml: bytes | str) -> Parsed:
        """``validate_xml_schema`` then ``parse_message``."""
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        answer = self.request({"op": "parse", "xml": text})
        return Parsed(message_type=answer["type"], payload=answer["payload"], warnings=answer["warnings"])

    def sign(self, message_type: str, payload: dict[str, Any], *, cert: bytes, key: bytes) -> str:
        """``create_message(message_type, cert=cert, key=key, **payload)``: a signed document,
        schema-validated by OpenLEADR. ``cert`` and ``key`` are PEM."""
        answer = self.request(
            {
                "op": "sign",
                "type": message_type,
                "payload": payload,
                "cert": cert.decode("ascii"),
                "key": key.decode("ascii"),
            }
        )
        return str(answer["xml"])

    def verify_signature(self, xml: bytes | str, *, fingerprint: str | None) -> Parsed:
        """``validate_xml_schema``, ``validate_xml_signature(tree, cert_fingerprint=fingerprint)``,
        then ``parse_message``. OpenLEADR accepts each (timestamp, nonce) once per worker process."""
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        answer = self.request({"op": "verify_signature", "xml": text, "fingerprint": fingerprint})
        return Parsed(message_type=answer["type"], payload=answer["payload"], warnings=answer["warnings"])

    def fingerprint(self, cert: bytes) -> str:
        """``openleadr.utils.certificate_fingerprint`` of a PEM certificate."""
        return str(self.request({"op": "fingerprint", "cert": cert.decode("ascii")})["fingerprint"])

    def close(self) -> None:
        """End the worker (closing its input ends it), killing it if it does not go."""
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.close()
                self._process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._reader.join(timeout=5)
        self._stderr.close()
