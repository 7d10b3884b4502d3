"""What the tests of the conformance cases share on both sides (``tests/conformance/test_cases_*``):
the run settings, the transports, the verdict assertions and a rewrite of a distribution's
events. The broken devices of each side are in ``conformance_ven_devices`` and
``conformance_vtn_devices``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from openadr_accel.conformance.context import Timeouts
from openadr_accel.conformance.runner import Runner, RunSettings
from openadr_accel.model import OadrDistributeEvent, OadrEvent
from openadr_accel.security import KeyType

__all__ = [
    "BOTH",
    "Side",
    "FAST",
    "KEY_TYPES",
    "SUITE_OF",
    "TRANSPORTS",
    "assert_failed",
    "by_number",
    "each_event",
    "has_check",
]

FAST = RunSettings(speed=60, timeouts=Timeouts(message=10, action=10), case_seconds=60, jobs=4)
"""The settings of the brief: a compressed clock, bounded waits, four cases at once."""

BOTH = (Transport.PULL, Transport.PUSH)

TRANSPORTS = pytest.mark.parametrize("transport", list(BOTH))
"""Parametrize a test over both transports (its argument ``transport``)."""

KEY_TYPES = pytest.mark.parametrize("key_type", list(KeyType), ids=[key.value for key in KeyType])
"""Parametrize a test over the test PKI's key types (its argument ``key_type``)."""

SUITE_OF = {
    KeyType.RSA: "TLS_RSA_WITH_AES_128_CBC_SHA256",
    KeyType.ECC: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
}
"""The 2.0b cipher suite a connection with certificates of each key type negotiates."""


def assert_failed(results: Iterable[CaseResult], because: str) -> None:
    """Every one of ``results`` (there is at least one) failed, with ``because`` in its reason."""
    results = list(results)
    assert results
    for result in results:
        assert result.verdict is Verdict.FAILED, (result.case_id, result.verdict, result.reason)
        assert because in result.reason, (result.case_id, result.reason)


def has_check(result: CaseResult, words: str) -> bool:
    """Whether one of the checks that held in ``result`` says ``words``."""
    return any(words in check for check in result.checks)


def by_number(results: Iterable[CaseResult]) -> dict[str, CaseResult]:
    """The results by the pull number of their case."""
    return {result.case.number: result for result in results}


def each_event(
    change: Callable[[OadrEvent], OadrEvent],
) -> Callable[[OadrDistributeEvent], OadrDistributeEvent]:
    """A distribution change that changes every event in it."""
    return lambda message: replace(message, events=tuple(change(item) for item in message.events))


@dataclass(frozen=True, slots=True)
class Side:
    """How the tests run cases against devices of one role: with ``runner`` (``VenRunner`` or
    ``VtnRunner``), the ``broken_settings`` for a device of ``broken_factory`` (the case must fail,
    often by waiting in vain) and :data:`FAST` for any other. ``conformance_ven_devices`` and
    ``conformance_vtn_devices`` export its methods as ``selected``, ``settings_for``, ``run`` and
    ``run_one``."""

    role: Role
    runner: Callable[[Any, RunSettings], Runner]
    broken_factory: type
    broken_settings: RunSettings

    def selected(self, number: str, transport: Transport) -> Selected:
        """The case ``number`` of this role, in ``transport``."""
        return Selected(REGISTRY.get(number, self.role), transport)

    def settings_for(self, factory: object) -> RunSettings:
        """The broken settings for a broken device's factory, else :data:`FAST`."""
        return self.broken_settings if isinstance(factory, self.broken_factory) else FAST

    async def run(
        self,
        factory: Any,
        numbers: Iterable[str],
        transports: Iterable[Transport] = (Transport.PULL,),
        settings: RunSettings | None = None,
    ) -> list[CaseResult]:
        """The cases ``numbers`` in each of ``transports`` against the device ``factory`` starts
        (with ``settings``, default :meth:`settings_for` the factory), in that order."""
        chosen = list(transports)
        selection = [self.selected(number, transport) for number in numbers for transport in chosen]
        return await self.runner(factory, settings or self.settings_for(factory)).run(selection)

    async def run_one(
        self,
        factory: Any,
        number: str,
        transport: Transport = Transport.PULL,
        settings: RunSettings | None = None,
    ) -> CaseResult:
        """The case ``number`` in ``transport`` against the device ``factory`` starts."""
        [result] = await self.run(factory, [number], [transport], settings)
        return result
