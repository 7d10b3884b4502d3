"""What a case script works with: the clock, checks, observations and verdict-raising helpers.

:class:`CaseContext` is shared by both roles; :class:`VenCaseContext` (the device is a VEN, the
harness plays the VTN) and :class:`VtnCaseContext` (the device is a VTN, the harness plays a VEN)
add the harness and the device.

A check (:meth:`CaseContext.check`) states what must hold, in words; when it does not hold the
case fails with those words. An observation (:meth:`CaseContext.observe`) is what a certification
tester would watch on the device (the charger starts the event at its start time): against our
own VEN or VTN, it is a check on the device's handler calls and stored state; against an
external device it is recorded for a person to confirm, and the case ends as "needs
observation", never as passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Protocol, TypeVar

from .case import CaseFailed, NotApplicable, Selected, Transport
from .transcript import Transcript

if TYPE_CHECKING:
    from .devices import VenDevice, VtnDevice  # noqa: F401 (named in strings)
    from .harness_ven import HarnessVen  # noqa: F401 (named in a string)
    from .harness_vtn import HarnessVtn  # noqa: F401 (named in a string)
    from .our_ven import VenView  # noqa: F401 (named in a string: CaseContext["VenView"])
    from .our_vtn import VtnView  # noqa: F401 (named in a string)

__all__ = ["CaseContext", "CompressedClock", "Timeouts", "VenCaseContext", "VtnCaseContext"]

View = TypeVar("View")


class CompressedClock:
    """A clock that runs ``speed`` times faster than the wall clock, from the wall clock's now.

    With ``speed`` 1 it is the wall clock. Cases against our own VEN and VTN pass the same
    compressed clock to the harness and the device, so that a case waiting for a two-minute
    report period takes seconds.
    """

    def __init__(self, speed: float = 1.0, *, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"the clock's speed must be positive, not {speed}")
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)

    def real_seconds(self, duration: timedelta) -> float:
        """How many wall-clock seconds ``duration`` of this clock's time lasts."""
        return max(0.0, duration.total_seconds() / self.speed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """How long (wall-clock seconds) the harness waits for the device.

    Attributes:
        message: for a message the device sends by itself (an answer, a poll, a report).
        action: for what an operator is asked to make the device do (external devices).
    """

    message: float = 30.0
    action: float = 300.0


class CaseContext(Generic[View]):
    """The clock, checks and observations of one case in one transport.

    Args:
        selected: the case and transport.
        clock: the run's clock (compressed for our own devices).
        transcript: where the harness records the exchanges.
        observe_with: reads the device's state for :meth:`observe` (None: an external device,
            whose observations a person must make).
        timeouts: how long to wait for the device.
    """

    def __init__(
        self,
        selected: Selected,
        *,
        clock: CompressedClock,
        transcript: Transcript,
        observe_with: Callable[[], View] | None,
        timeouts: Timeouts,
    ) -> None:
        self.selected = selected
        self.clock = clock
        self.transcript = transcript
        self.timeouts = timeouts
        self.checks: list[str] = []
        self.observations: list[str] = []
        self._observe_with = observe_with

    @property
    def transport(self) -> Transport:
        """The transport the case runs in."""
        return self.selected.transport

    @property
    def pull(self) -> bool:
        """Whether the case runs in HTTP pull."""
        return self.selected.transport is Transport.PULL

    @property
    def observable(self) -> bool:
        """Whether the device's state can be checked automatically (our own devices)."""
        return self._observe_with is not None

    def now(self) -> datetime:
        """The run's clock."""
        return self.clock()

    async def sleep(self, duration: timedelta) -> None:
        """Wait ``duration`` of the run's (possibly compressed) time."""
        await asyncio.sleep(self.clock.real_seconds(duration))

    # -- verdicts ---------------------------------------------------------------------------------

    def check(self, condition: bool, what: str) -> None:
        """Record that ``what`` holds, or fail the case with it.

        ``what`` states what must be true ("the VEN answered 452 to the wrong vtnID"), so that
        the report reads the same whichever way the check went.
        """
        if not condition:
            raise CaseFailed(what)
        self.checks.append(what)

    def fail(self, why: str) -> NoReturn:
        """Fail the case."""
        raise CaseFailed(why)

    def not_applicable(self, why: str) -> NoReturn:
        """End the case as not applicable to this device (never a pass)."""
        raise NotApplicable(why)

    async def observe(
        self,
        what: str,
        holds: Callable[[View], bool | Awaitable[bool]],
        *,
        timeout: float | None = None,
    ) -> None:
        """What a tester would watch on the device.

        Our own device: wait (bounded by ``timeout``, default :attr:`Timeouts.message`) until
        ``holds`` is true of the device's state, else fail with ``what``. An external device:
        record ``what`` for a person to confirm; the case then ends "needs observation".
        """
        if self._observe_with is None:
            self.observations.append(what)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeouts.message if timeout is None else timeout)
        while True:
            result = holds(self._observe_with())
            if not isinstance(result, bool):
                result = await result
            if result:
                self.checks.append(what)
                return
            if loop.time() >= deadline:
                raise CaseFailed(f"not observed in time: {what}")
            await asyncio.sleep(0.02)


class _Observable(Protocol):
    """A device whose state cases may read (our own), or not (an external one: None)."""

    def observer(self) -> Callable[[], Any] | None: ...


Harness = TypeVar("Harness")
Device = TypeVar("Device", bound=_Observable)


class _RoleCaseContext(CaseContext[View], Generic[View, Harness, Device]):
    """A case of one role: :attr:`harness` is the party the device talks to, :attr:`device` the
    device under test (its observer reads its state for :meth:`~CaseContext.observe`)."""

    def __init__(
        self,
        selected: Selected,
        *,
        harness: Harness,
        device: Device,
        clock: CompressedClock,
        transcript: Transcript,
        timeouts: Timeouts,
    ) -> None:
        super().__init__(
            selected, clock=clock, transcript=transcript, observe_with=device.observer(), timeouts=timeouts
        )
        self.harness = harness
        """The harness party the device talks to (a VTN for a VEN under test, a VEN for a VTN)."""
        self.device = device
        """The device under test."""


class VenCaseContext(_RoleCaseContext["VenView", "HarnessVtn", "VenDevice"]):
    """A case whose device is a VEN: :attr:`harness` is the VTN the device talks to."""


class VtnCaseContext(_RoleCaseContext["VtnView", "HarnessVen", "VtnDevice"]):
    """A case whose device is a VTN: :attr:`harness` is the VEN that talks to it."""
