"""Our VEN, deliberately broken, for the negative tests of the conformance cases whose device is
a VEN (``tests/conformance/test_cases_*_ven.py``): a case that cannot fail is worthless.

:class:`BrokenVenFactory` starts our real VEN (over loopback, as :class:`OurVenFactory` does) and
lets a test alter that one VEN instance before its tasks first run (the VEN's task is created
but has not run when the factory yields it): a method of its session replaced, say. Nothing is
patched on the classes, so cases running at the same time are not affected. :func:`reading` and
:func:`answering` are the usual alterations of how it takes a distribution; :func:`run` and
:func:`run_one` run cases against a VEN; :func:`external_ven` is our VEN as an external device
(started by hand against the harness's port).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from conformance_runs import Side

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Role, Selected
from openadr_accel.conformance.context import CompressedClock, Timeouts
from openadr_accel.conformance.harness_vtn import HarnessVtn
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.conformance.runner import RunSettings, VenRunner
from openadr_accel.model import OadrCreatedEvent, OadrDistributeEvent, OptType
from openadr_accel.ven.config import VenConfig
from openadr_accel.ven.events import AcceptedDistribution
from openadr_accel.ven.node import VEN
from openadr_accel.ven.report_capabilities import ReportCapability

__all__ = [
    "BROKEN",
    "BrokenVenFactory",
    "Read",
    "answering",
    "external_ven",
    "free_port",
    "keep_responses",
    "opting_out",
    "reading",
    "replace_method",
    "run",
    "run_one",
    "selected",
    "settings_for",
]

BROKEN = RunSettings(speed=60, timeouts=Timeouts(message=4, action=4), case_seconds=30, jobs=4)
"""For a broken VEN: the case must fail, often by waiting in vain; shorter waits keep it short."""

Read = Callable[..., Awaitable[AcceptedDistribution]]
"""``VenEvents.read``: how the VEN takes a distribution (and what it answers)."""

AnswerChange = Callable[[OadrCreatedEvent | None, OadrDistributeEvent, str], OadrCreatedEvent | None]
"""A change of the VEN's answer to a distribution: ``change(answer, distribution, ven_id)``."""


def replace_method(target: object, name: str, make: Callable[[Any], Any]) -> None:
    """Replace ``target.name`` on that instance only by ``make(original)``."""
    setattr(target, name, make(getattr(target, name)))


class BrokenVenFactory:
    """An :class:`OurVenFactory` (same options) whose VEN ``breaks`` alters before it runs;
    ``breaks`` may return another device to use instead (a wrapper of the :class:`OurVen`)."""

    shared_harness = False

    def __init__(self, breaks: Callable[[OurVen], OurVen | None], **options: Any) -> None:
        self._inner = OurVenFactory(**options)
        self._breaks = breaks

    @contextlib.asynccontextmanager
    async def attach(
        self, selected: Selected, harness: HarnessVtn, clock: CompressedClock
    ) -> AsyncIterator[OurVen]:
        async with self._inner.attach(selected, harness, clock) as device:
            altered = self._breaks(device)
            yield device if altered is None else altered


_SIDE = Side(Role.VEN, VenRunner, BrokenVenFactory, BROKEN)
selected = _SIDE.selected
settings_for = _SIDE.settings_for
run = _SIDE.run
run_one = _SIDE.run_one


# -- ways to break how our VEN takes a distribution -------------------------------------------------


def reading(change: Callable[[OadrDistributeEvent], OadrDistributeEvent]) -> Callable[[OurVen], None]:
    """A VEN that reads every distribution as ``change`` makes it (what it drops, it never sees)."""

    def breaks(device: OurVen) -> None:
        def make(original: Read) -> Read:
            async def read(message: OadrDistributeEvent, *, vtn_id: str, ven_id: str) -> AcceptedDistribution:
                return await original(change(message), vtn_id=vtn_id, ven_id=ven_id)

            return read

        replace_method(device.ven.events, "read", make)

    return breaks


def answering(change: AnswerChange) -> Callable[[OurVen], None]:
    """A VEN whose answer to each distribution is ``change(answer, distribution, ven_id)``."""

    def breaks(device: OurVen) -> None:
        def make(original: Read) -> Read:
            async def read(message: OadrDistributeEvent, *, vtn_id: str, ven_id: str) -> AcceptedDistribution:
                accepted = await original(message, vtn_id=vtn_id, ven_id=ven_id)
                accepted.answer = change(accepted.answer, message, ven_id)
                return accepted

            return read

        replace_method(device.ven.events, "read", make)

    return breaks


def keep_responses(keep: Callable[[Any], bool]) -> AnswerChange:
    """An answer change that keeps only the eventResponses ``keep`` accepts (none left: no answer)."""

    def change(
        answer: OadrCreatedEvent | None, message: OadrDistributeEvent, ven_id: str
    ) -> OadrCreatedEvent | None:
        if answer is None:
            return None
        kept = tuple(response for response in answer.event_responses if keep(response))
        if answer.event_responses and not kept:
            return None
        return replace(answer, event_responses=kept)

    return change


def opting_out(device: OurVen) -> None:
    """A VEN whose handler opts out of every event."""
    device.journal.default_decision = OptType.OPT_OUT


# -- our VEN as an external device --------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on loopback right now (for a harness that must listen where a VEN started
    beforehand will look)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def external_ven(port: int, directory: Path, *, reports: Sequence[ReportCapability] = ()) -> VEN:
    """Our VEN as an external device would be: configured by hand for the harness VTN at
    ``http://127.0.0.1:<port>``, polling every second, its store in ``directory``."""
    config = VenConfig(
        vtn_url=f"http://127.0.0.1:{port}",
        ven_name="external",
        poll_frequency=timedelta(seconds=1),
        backoff=timedelta(milliseconds=100),
        backoff_max=timedelta(milliseconds=300),
    )
    return VEN(config, directory / "ven.db", reports=reports)
