"""The whole conformance suite against our own VEN and VTN, over loopback, the clock compressed.

Every case of the registry runs in each transport it lists, once over plain HTTP and once with
mutual TLS and XML signatures (ECC certificates from a throwaway test PKI), in both roles: our
VEN against the harness VTN, our VTN against the harness VEN. Each (case, transport, security)
is one pytest test, so a failure names its case. A verdict other than passed fails, except a
"not applicable" listed in :data:`NOT_APPLICABLE` with the reason it cannot apply to our device
(a new one fails until someone reads it and decides).

The reports of each run (HTML and JUnit) are written to ``conformance/reports/`` (not committed):
open ``conformance/reports/ven-http.html`` in a browser to see every case with its messages.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openadr_accel.conformance import cases  # noqa: F401 (registers the cases)
from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from openadr_accel.conformance.context import Timeouts
from openadr_accel.conformance.our_ven import OurVenFactory, charger_reports
from openadr_accel.conformance.our_vtn import OurVtnFactory
from openadr_accel.conformance.results import RunInfo
from openadr_accel.conformance.results.html import write_html
from openadr_accel.conformance.results.junit import write_junit
from openadr_accel.conformance.runner import HarnessSecurity, Runner, RunSettings, VenRunner, VtnRunner
from openadr_accel.security import KeyType, TestPKI, init_pki, issue_ven
from openadr_accel.security.certificates import fingerprint
from openadr_accel.security.signature import Signer
from openadr_accel.security.tls import ven_ssl_context, vtn_ssl_context

REPORTS = Path(__file__).parent / "reports"

SPEED = 60.0
"""The run's clock goes 60 times faster than the wall clock: a minute-long report period is a second."""

JOBS = int(os.environ.get("OPENADR_ACCEL_CONFORMANCE_JOBS", "6"))
"""How many cases run at once (each with its own harness and device)."""

VEN_ID = "conformance-ven-1"
"""Our VEN runs with a pre-allocated venID (so that N1_0025 applies to it)."""

_SWAPPED_REPORTS = ("R1_3070", "R1_3080", "R1_3090", "R1_3100", "R1_3110", "R1_3120")

NOT_APPLICABLE: dict[tuple[Role, str], str] = {
    **{
        (Role.VEN, number): "our VEN reports to its VTN but never asks its VTN for reports (an optional role)"
        for number in _SWAPPED_REPORTS
    },
    **{
        (Role.VTN, number): "our VTN offers no reports of its own (its oadrRegisterReport carries none)"
        for number in _SWAPPED_REPORTS
    },
    (Role.VTN, "G1_4020"): "our VTN serves 2.0b VENs only (no 2.0a profile)",
}
"""Cases that do not apply to our devices, by device role and pull number, with the reason."""

NOT_APPLICABLE_OVER_HTTP: dict[tuple[Role, str], str] = {
    (Role.VEN, "G1_4010"): "a TLS case: it applies over mutual TLS only",
    (Role.VTN, "G1_4010"): "a TLS case: it applies over mutual TLS only",
    (Role.VTN, "N1_0015"): "without TLS a VTN cannot tell who queries (a query names no VEN)",
}
"""Cases that apply to our devices over mutual TLS only."""

NOT_APPLICABLE_IN_PUSH: dict[tuple[Role, str], str] = {
    (Role.VEN, "A_E1_0310"): "a push VEN answers an event in the HTTP response: no VTN answer carries a code",
}
"""Cases that apply to our devices in HTTP pull only."""


def _not_applicable_because(variant: Variant, result: CaseResult) -> str | None:
    """Why the case may end not applicable for our device in this variant (None: it may not)."""
    key = (variant.role, result.case.number)
    if key in NOT_APPLICABLE:
        return NOT_APPLICABLE[key]
    if not variant.secure and key in NOT_APPLICABLE_OVER_HTTP:
        return NOT_APPLICABLE_OVER_HTTP[key]
    if result.transport is Transport.PUSH and key in NOT_APPLICABLE_IN_PUSH:
        return NOT_APPLICABLE_IN_PUSH[key]
    return None


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of running the suite."""

    role: Role
    secure: bool

    @property
    def name(self) -> str:
        return f"{self.role.value.lower()}-{'tls' if self.secure else 'http'}"


VARIANTS = [Variant(role, secure) for role in (Role.VEN, Role.VTN) for secure in (False, True)]


def _selection(role: Role) -> list[Selected]:
    return [item for transport in Transport for item in REGISTRY.select(role, transport)]


def _settings(security: HarnessSecurity) -> RunSettings:
    return RunSettings(
        speed=SPEED, timeouts=Timeouts(message=15, action=15), case_seconds=90, jobs=JOBS, security=security
    )


def _runner(variant: Variant, pki: TestPKI | None) -> Runner:
    if variant.role is Role.VEN:
        if pki is None:
            return VenRunner(
                OurVenFactory(ven_id=VEN_ID, reports=charger_reports), _settings(HarnessSecurity())
            )
        vtn, ven = pki.vtn(KeyType.ECC), pki.ven("conformance", KeyType.ECC)
        factory = OurVenFactory(
            ven_id=VEN_ID,
            reports=charger_reports,
            client_ssl=ven_ssl_context(ven, pki.ca_bundle),
            push_ssl=vtn_ssl_context(ven, pki.ca_bundle),
            signer=Signer(ven.certificate, ven.key),
            vtn_fingerprint=fingerprint(vtn.certificate),
        )
        security = HarnessSecurity(
            server_ssl=vtn_ssl_context(vtn, pki.ca_bundle),
            client_ssl=ven_ssl_context(vtn, pki.ca_bundle),
            signer=Signer(vtn.certificate, vtn.key),
            device_fingerprint=fingerprint(ven.certificate),
        )
        return VenRunner(factory, _settings(security))
    if pki is None:
        return VtnRunner(OurVtnFactory(clock_speed=SPEED), _settings(HarnessSecurity()))
    vtn, ven = pki.vtn(KeyType.ECC), pki.ven("conformance", KeyType.ECC)
    vtn_factory = OurVtnFactory(
        clock_speed=SPEED,
        server_ssl=vtn_ssl_context(vtn, pki.ca_bundle),
        push_ssl=ven_ssl_context(vtn, pki.ca_bundle),
        signer=Signer(vtn.certificate, vtn.key),
    )
    security = HarnessSecurity(
        server_ssl=vtn_ssl_context(ven, pki.ca_bundle),
        client_ssl=ven_ssl_context(ven, pki.ca_bundle),
        signer=Signer(ven.certificate, ven.key),
        device_fingerprint=fingerprint(vtn.certificate),
    )
    return VtnRunner(vtn_factory, _settings(security))


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("conformance-pki"))
    issue_ven("conformance", made.directory)
    return made


class _Runs:
    """Each variant's results, run once (all its cases at once) when a test first needs them."""

    def __init__(self, pki: TestPKI) -> None:
        self._pki = pki
        self._results: dict[str, dict[str, CaseResult]] = {}

    def result(self, variant: Variant, case_id: str) -> CaseResult:
        if variant.name not in self._results:
            self._results[variant.name] = self._run(variant)
        return self._results[variant.name][case_id]

    def _run(self, variant: Variant) -> dict[str, CaseResult]:
        runner = _runner(variant, self._pki if variant.secure else None)
        started = datetime.now(UTC)
        results = asyncio.run(runner.run(_selection(variant.role)))
        REPORTS.mkdir(exist_ok=True)
        info = RunInfo(
            role=variant.role,
            device=f"our own {variant.role.value}",
            started=started,
            seconds=(datetime.now(UTC) - started).total_seconds(),
            settings={
                "transports": "pull and push",
                "security": "mutual TLS (ECC), XML signatures" if variant.secure else "plain HTTP",
                "clock": f"{SPEED:g}x the wall clock",
            },
        )
        write_html(REPORTS / f"{variant.name}.html", results, info)
        write_junit(REPORTS / f"{variant.name}.xml", results, info)
        return {result.case_id: result for result in results}


@pytest.fixture(scope="session")
def runs(pki: TestPKI) -> _Runs:
    return _Runs(pki)


def _params() -> list[object]:
    return [
        pytest.param(
            variant,
            item.case_id,
            id=f"{variant.name}-{item.case_id}",
            marks=pytest.mark.xdist_group(variant.name),  # one worker runs a variant's cases at once
        )
        for variant in VARIANTS
        for item in _selection(variant.role)
    ]


@pytest.mark.timeout(1800)
@pytest.mark.parametrize(("variant", "case_id"), _params())
def test_case(runs: _Runs, variant: Variant, case_id: str) -> None:
    result = runs.result(variant, case_id)
    because = _not_applicable_because(variant, result)
    if because is not None:
        assert result.verdict is Verdict.NOT_APPLICABLE, (
            f"{result.verdict}: {result.reason} (listed as not applicable: {because}; if it now applies, "
            "take it off the list)"
        )
        return
    assert result.verdict is Verdict.PASSED, f"{result.verdict}: {result.reason}"
    assert result.checks, "a passed case confirms at least one check"
