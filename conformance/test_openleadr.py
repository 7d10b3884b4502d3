"""The committed table of OpenLEADR 0.5.36's verdicts (``docs/conformance-openleadr.md``) stays true.

:func:`test_openleadr_verdicts_match_the_committed_table` runs the default selection of
``conformance/openleadr_table.py`` (every case but those that wait minutes at real time) against
OpenLEADR's VEN and VTN, each case with its own OpenLEADR process and harness, and checks that
every verdict is the one the committed table gives (either of those listed for a case the table
marks unstable). It takes about three minutes. When it fails, the message lists each difference:
OpenLEADR behaves otherwise, a case changed, or a case is new; rerun the command (with ``--all``)
and commit the table it writes once the difference is understood.

Without the OpenLEADR environment (``.cache/openleadr-0.5.36/``, built by ``tests/openleadr_env.py``
from PyPI) the test skips with the reason, unless ``OPENADR_ACCEL_REQUIRE_OPENLEADR=1`` (CI), where
it fails.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import openleadr_table as table  # noqa: E402
from openleadr_env import (  # noqa: E402
    OPENLEADR_VERSION,
    REQUIRE_VARIABLE,
    OpenLEADRUnavailable,
    openleadr_python,
    required,
)

from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Verdict  # noqa: E402
from openadr_accel.conformance.results import first_line  # noqa: E402

RUN_SECONDS = 480
"""The most the run may take (it takes about three minutes on two loaded cores)."""


def _interpreter() -> Path:
    try:
        return openleadr_python()
    except (OpenLEADRUnavailable, OSError, subprocess.SubprocessError) as exc:
        reason = f"its environment could not be built: {exc}"
        if required():
            pytest.fail(f"OpenLEADR {OPENLEADR_VERSION} is required ({REQUIRE_VARIABLE}=1) but {reason}")
        pytest.skip(f"OpenLEADR {OPENLEADR_VERSION} unavailable: {reason}")


def _differences(
    results: dict[Role, list[CaseResult]], committed: dict[str, table.TableRow], ran: set[str]
) -> list[str]:
    """Each case that ran whose verdict is not the committed one (nor, for an unstable case, one
    of those it may end with)."""
    found = []
    for role in Role:
        for result in results[role]:
            if result.case_id not in ran:
                continue
            row = committed.get(result.case_id)
            this_run = f"{result.verdict.value} ({first_line(result.reason, 300) or 'no reason'})"
            if row is None:
                found.append(f"{result.case_id}: not in the committed table; this run: {this_run}")
                continue
            accepted = {row.verdict}
            unstable = table.UNSTABLE.get(result.case_id)
            if unstable is not None:
                accepted |= {verdict.value for verdict in unstable.verdicts}
            if result.verdict.value not in accepted:
                found.append(
                    f"{result.case_id}: the table says {' or '.join(sorted(accepted))}; this run: {this_run}"
                )
    return found


@pytest.mark.interop
@pytest.mark.timeout(RUN_SECONDS + 60)
def test_openleadr_verdicts_match_the_committed_table() -> None:
    """OpenLEADR's verdicts in the default selection are those of the committed table."""
    python = _interpreter()
    committed = table.read_table(table.DEFAULT_OUTPUT.read_text(encoding="utf-8"))
    assert committed, f"{table.DEFAULT_OUTPUT} holds no table: run {table.COMMAND} --all"
    planned = table.plan(all_cases=False)
    ran = {row.case_id for rows in planned.values() for row in rows if row.run}
    progress = io.StringIO()
    began = datetime.now(UTC)

    async def run() -> dict[Role, list[CaseResult]]:
        return await asyncio.wait_for(
            table.run_plan(
                python, planned, jobs=table.DEFAULT_JOBS, all_cases=False, progress_stream=progress
            ),
            RUN_SECONDS,
        )

    results = asyncio.run(run())
    seconds = (datetime.now(UTC) - began).total_seconds()
    errors = [
        f"{result.case_id}: {first_line(result.reason, 300)}"
        for role in Role
        for result in results[role]
        if result.verdict is Verdict.ERROR
    ]
    differences = _differences(results, committed, ran)
    known = {f"{item.case_id}" for role in Role for item in planned[role]}
    gone = sorted(set(committed) - known)
    if gone:
        differences.append(f"in the committed table but no longer a case: {', '.join(gone)}")
    assert not differences, (
        f"{len(differences)} verdict(s) against OpenLEADR differ from {table.DEFAULT_OUTPUT.name} "
        f"(run of {seconds:.0f} s; rerun `{table.COMMAND} --all` and commit the table once each is "
        "understood):\n" + "\n".join(differences) + ("\nerrors:\n" + "\n".join(errors) if errors else "")
    )


def test_the_table_reads_back_as_written() -> None:
    """What :func:`render_table` writes, :func:`read_table` reads back: every case ID and verdict,
    with pipes in titles and reasons (no OpenLEADR needed)."""
    planned = table.plan(all_cases=False)
    results: dict[Role, list[CaseResult]] = {role: [] for role in Role}
    verdicts = list(Verdict)
    for role in Role:
        for index, row in enumerate(planned[role]):
            results[role].append(
                CaseResult(
                    case_id=row.case_id,
                    case=row.selected.case,
                    transport=row.selected.transport,
                    verdict=verdicts[index % len(verdicts)],
                    reason=f"a | reason\\with {index}\nand a second line",
                )
            )
    info = table.TableInfo(
        started=datetime.now(UTC), seconds=1.0, command=table.COMMAND, all_cases=False, jobs=1
    )
    read = table.read_table(table.render_table(results, info))
    expected = {result.case_id: result.verdict.value for role in Role for result in results[role]}
    assert {case_id: row.verdict for case_id, row in read.items()} == expected
    assert len(expected) == 2 * len(REGISTRY) - sum(
        1 for case in REGISTRY for transport in ("pull", "push") if transport not in case.transports
    )
    some = next(iter(read.values()))
    assert some.reason.startswith("a \\| reason\\\\with")
