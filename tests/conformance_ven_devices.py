"""Our VEN, deliberately broken, for the negative tests of the conformance cases whose device is
a VEN (``tests/conformance/test_cases_*_ven.py``): a case that cannot fail is worthless.

:class:`BrokenVenFactory` starts our real VEN (over loopback, as :class:`OurVenFactory` does) and
lets a test alter that one VEN instance before its tasks first run (the VEN's task is created
but has not run when the factory yields it): a method of its session replaced, say. Nothing is
patched on the classes, so cases running at the same time are not affected.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from openadr_accel.conformance.case import REGISTRY, Role, Selected, Transport
from openadr_accel.conformance.context import CompressedClock, Timeouts
from openadr_accel.conformance.harness_vtn import HarnessVtn
from openadr_accel.conformance.our_ven import OurVen, OurVenFactory
from openadr_accel.conformance.runner import RunSettings

__all__ = ["BROKEN", "FAST", "BrokenVenFactory", "replace_method", "selected", "settings_for"]

FAST = RunSettings(speed=60, timeouts=Timeouts(message=10, action=10), case_seconds=60, jobs=4)
"""The settings of the brief: a compressed clock, bounded waits, four cases at once."""

BROKEN = RunSettings(speed=60, timeouts=Timeouts(message=4, action=4), case_seconds=30, jobs=4)
"""For a broken VEN: the case must fail, often by waiting in vain; shorter waits keep it short."""


def selected(number: str, transport: Transport) -> Selected:
    """The VEN case ``number`` in ``transport``."""
    return Selected(REGISTRY.get(number, Role.VEN), transport)


def settings_for(factory: object) -> RunSettings:
    """:data:`BROKEN` for a :class:`BrokenVenFactory`, else :data:`FAST`."""
    return BROKEN if isinstance(factory, BrokenVenFactory) else FAST


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
