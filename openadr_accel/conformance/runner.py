"""Running cases: a harness and a device per case, a verdict per case, results in order.

For each selected case the runner starts the harness (the VTN for a VEN under test, the VEN for
a VTN under test), attaches the device, runs the case's script with a bounded time, and
concludes (see :class:`~openadr_accel.conformance.case.Verdict`):

1. the script failed a check, or the device sent a document with a problem (schema, signature,
   rule, HTTP headers) at any point: **failed**;
2. the script found the case does not apply: **not applicable**;
3. the script or the harness broke (a bug, a port in use): **error**;
4. the script asked for observations a person must make (an external device): **needs
   observation**;
5. otherwise **passed**.

Our own devices get a fresh harness and a fresh device per case (so cases may run
concurrently); an external device keeps one harness for the whole run (it is configured with
the harness's address), and its cases run one after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import traceback
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from ..security.replay import DEFAULT_REPLAY_WINDOW, ReplayGuard
from ..security.signature import SignatureVerifier, Signer
from .case import CaseFailed, CaseResult, NotApplicable, Role, Selected, Transport, Verdict
from .context import CaseContext, CompressedClock, Timeouts, VenCaseContext, VtnCaseContext
from .devices import VenDevice, VtnDevice
from .harness_ven import HarnessVen
from .harness_vtn import HarnessVtn
from .transcript import Transcript

__all__ = [
    "HarnessSecurity",
    "Progress",
    "RunSettings",
    "Runner",
    "VenDeviceFactory",
    "VenRunner",
    "VtnDeviceFactory",
    "VtnRunner",
]

logger = logging.getLogger("openadr_accel.conformance")


@dataclass(frozen=True, slots=True, kw_only=True)
class HarnessSecurity:
    """The harness's TLS and signatures.

    Attributes:
        server_ssl: the harness's TLS server context (the harness VTN's HTTPS, or the harness
            VEN's push endpoint).
        client_ssl: its TLS client context (the harness VEN's requests, the harness VTN's pushes).
        signer: signs what the harness sends once signatures were negotiated.
        device_fingerprint: the fingerprint of the device's certificate (its TLS client
            certificate and its signatures must match it).
    """

    server_ssl: ssl.SSLContext | None = None
    client_ssl: ssl.SSLContext | None = None
    signer: Signer | None = None
    device_fingerprint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSettings:
    """How a run goes.

    Attributes:
        speed: how much faster than the wall clock the run's clock goes (our devices only: an
            external device keeps its own clock, so 1).
        timeouts: how long to wait for the device.
        case_seconds: the most one case may take (wall clock) before it fails.
        jobs: how many cases may run at once (our devices; an external device: 1).
        security: the harness's TLS and signatures.
        harness_host: the address a shared harness listens on (external devices).
        harness_port: the port a shared harness listens on (external devices; 0: any free port).
        poll_frequency: the oadrRequestedOadrPollFreq the harness VTN asks for.
    """

    speed: float = 1.0
    timeouts: Timeouts = field(default_factory=Timeouts)
    case_seconds: float = 120.0
    jobs: int = 1
    security: HarnessSecurity = field(default_factory=HarnessSecurity)
    harness_host: str = "127.0.0.1"
    harness_port: int = 0
    poll_frequency: timedelta = timedelta(seconds=1)
    replay_window: timedelta = DEFAULT_REPLAY_WINDOW


class VenDeviceFactory(Protocol):
    """Attaches a VEN under test to a case's harness VTN."""

    shared_harness: bool
    """True for an external device: one harness for the whole run."""

    def attach(
        self, selected: Selected, harness: HarnessVtn, clock: CompressedClock
    ) -> contextlib.AbstractAsyncContextManager[VenDevice]: ...


class VtnDeviceFactory(Protocol):
    """Provides a VTN under test for a case."""

    shared_harness: bool

    def attach(
        self, selected: Selected, clock: CompressedClock
    ) -> contextlib.AbstractAsyncContextManager[VtnDevice]: ...


class Progress(Protocol):
    """Told as cases start and end (a live display, say)."""

    def started(self, selected: Selected) -> None: ...

    def finished(self, result: CaseResult) -> None: ...


class _Silent:
    def started(self, selected: Selected) -> None:
        pass

    def finished(self, result: CaseResult) -> None:
        pass


class Runner:
    """Runs selected cases against one device (see :class:`VenRunner` and :class:`VtnRunner`).

    Args:
        settings: how the run goes.
        progress: told as cases start and end.
    """

    role: Role
    shared_harness: bool

    def __init__(self, settings: RunSettings | None = None, progress: Progress | None = None) -> None:
        self.settings = settings or RunSettings()
        self.progress = progress or _Silent()

    async def run(self, selection: Sequence[Selected]) -> list[CaseResult]:
        """Run every selected case; the results in the selection's order."""
        jobs = 1 if self.shared_harness else max(1, self.settings.jobs)
        gate = asyncio.Semaphore(jobs)

        async def one(selected: Selected) -> CaseResult:
            async with gate:
                self.progress.started(selected)
                result = await self.run_case(selected)
                self.progress.finished(result)
                return result

        try:
            return list(await asyncio.gather(*(one(selected) for selected in selection)))
        finally:
            await self.close()

    async def close(self) -> None:
        """Release what the run kept between cases."""

    async def run_case(self, selected: Selected) -> CaseResult:
        """Run one case and conclude."""
        if selected.case.role is not self.role:
            raise ValueError(f"{selected.case_id} is a case for a {selected.case.role}, not a {self.role}")
        transcript = Transcript()
        clock = CompressedClock(self.settings.speed)
        began = time.monotonic()
        context: CaseContext[object] | None = None
        verdict, reason = Verdict.PASSED, ""
        try:
            async with self._context(selected, clock, transcript) as context:
                await asyncio.wait_for(selected.case.body(context), self.settings.case_seconds)
        except CaseFailed as failed:
            verdict, reason = Verdict.FAILED, str(failed)
        except NotApplicable as why:
            verdict, reason = Verdict.NOT_APPLICABLE, str(why)
        except TimeoutError:
            verdict, reason = (
                Verdict.FAILED,
                f"the case did not end within {self.settings.case_seconds:.0f} s",
            )
        except Exception as exc:
            logger.debug("case %s broke", selected.case_id, exc_info=True)
            verdict = Verdict.ERROR
            reason = f"{type(exc).__name__}: {exc}\n{''.join(traceback.format_tb(exc.__traceback__)[-3:])}"
        problems = transcript.problems()
        if problems and verdict in (Verdict.PASSED, Verdict.NOT_APPLICABLE):
            verdict, reason = Verdict.FAILED, "; ".join(problems)
        elif problems and verdict is Verdict.FAILED:
            reason = "; ".join([reason, *problems])
        observations = [] if context is None else list(context.observations)
        if verdict is Verdict.PASSED and observations:
            verdict = Verdict.NEEDS_OBSERVATION
            reason = "a person must confirm: " + "; ".join(observations)
        return CaseResult(
            case_id=selected.case_id,
            case=selected.case,
            transport=selected.transport,
            verdict=verdict,
            reason=reason,
            checks=[] if context is None else list(context.checks),
            observations=observations,
            exchanges=list(transcript.exchanges),
            seconds=time.monotonic() - began,
        )

    def _context(
        self, selected: Selected, clock: CompressedClock, transcript: Transcript
    ) -> contextlib.AbstractAsyncContextManager[CaseContext[object]]:
        raise NotImplementedError

    def _verifier(self, clock: CompressedClock) -> SignatureVerifier:
        return SignatureVerifier(ReplayGuard(window=self.settings.replay_window, clock=clock), clock=clock)

    def _signer(self, clock: CompressedClock) -> Signer | None:
        """The harness's signer on the case's clock (ReplayProtect timestamps in run time)."""
        signer = self.settings.security.signer
        return None if signer is None else Signer(signer.certificate, signer.key, clock=clock)


class VenRunner(Runner):
    """Runs cases against a VEN: the harness plays the VTN."""

    role = Role.VEN

    def __init__(
        self, factory: VenDeviceFactory, settings: RunSettings | None = None, progress: Progress | None = None
    ) -> None:
        super().__init__(settings, progress)
        self.factory = factory
        self.shared_harness = factory.shared_harness
        self._shared: HarnessVtn | None = None

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()
            self._shared = None

    @contextlib.asynccontextmanager
    async def _context(  # type: ignore[override]
        self, selected: Selected, clock: CompressedClock, transcript: Transcript
    ) -> AsyncIterator[VenCaseContext]:
        harness = self._shared
        if harness is None:
            harness = await self._harness(clock, transcript)
            if self.shared_harness:
                self._shared = harness
        else:
            harness.begin_case(transcript, clock)
        try:
            async with self.factory.attach(selected, harness, clock) as device:
                yield VenCaseContext(
                    selected,
                    harness=harness,
                    device=device,
                    clock=clock,
                    transcript=transcript,
                    timeouts=self.settings.timeouts,
                )
        finally:
            if not self.shared_harness:
                await harness.close()

    async def _harness(self, clock: CompressedClock, transcript: Transcript) -> HarnessVtn:
        security = self.settings.security
        harness = HarnessVtn(
            clock=clock,
            transcript=transcript,
            poll_frequency=self.settings.poll_frequency,
            server_ssl=security.server_ssl,
            push_ssl=security.client_ssl,
            signer=self._signer(clock),
            verifier=self._verifier(clock),
            ven_fingerprint=security.device_fingerprint,
            timeout=self.settings.timeouts.message,
        )
        await harness.start(self.settings.harness_host, self.settings.harness_port)
        return harness


class VtnRunner(Runner):
    """Runs cases against a VTN: the harness plays a VEN."""

    role = Role.VTN

    def __init__(
        self, factory: VtnDeviceFactory, settings: RunSettings | None = None, progress: Progress | None = None
    ) -> None:
        super().__init__(settings, progress)
        self.factory = factory
        self.shared_harness = factory.shared_harness

    @contextlib.asynccontextmanager
    async def _context(  # type: ignore[override]
        self, selected: Selected, clock: CompressedClock, transcript: Transcript
    ) -> AsyncIterator[VtnCaseContext]:
        security = self.settings.security
        async with self.factory.attach(selected, clock) as device:
            harness = HarnessVen(
                url=device.url,
                clock=clock,
                transcript=transcript,
                pull=selected.transport is Transport.PULL,
                client_ssl=security.client_ssl,
                server_ssl=security.server_ssl,
                signer=self._signer(clock),
                verifier=self._verifier(clock),
                vtn_fingerprint=security.device_fingerprint,
                timeout=self.settings.timeouts.message,
            )
            await harness.start(self.settings.harness_host, self.settings.harness_port)
            try:
                yield VtnCaseContext(
                    selected,
                    harness=harness,
                    device=device,
                    clock=clock,
                    transcript=transcript,
                    timeouts=self.settings.timeouts,
                )
            finally:
                await harness.close()
