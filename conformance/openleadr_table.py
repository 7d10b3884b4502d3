"""Run the conformance suite against OpenLEADR 0.5.36 and write the table of verdicts.

::

    python conformance/openleadr_table.py                # the default selection, about 3 minutes
    python conformance/openleadr_table.py --all          # every case, also those that take minutes
    python conformance/openleadr_table.py --jobs 4 --output /tmp/table.md --html /tmp/openleadr.html \\
        --junit /tmp/openleadr.xml

OpenLEADR's VEN (``OpenADRClient``) is the device of the VEN cases (``TH_VTN``), its VTN
(``OpenADRServer``) the device of the VTN cases (``TH_VEN``), each case with a fresh OpenLEADR
process under OpenLEADR's own interpreter and a fresh harness (``conformance/openleadr/``). The
OpenLEADR environment (``.cache/openleadr-0.5.36/``) is built first if needed
(``tests/openleadr_env.py``: a pip install from PyPI).

OpenLEADR's clock cannot be compressed, so the cases run at real time. The default selection
leaves out the cases that wait minutes of protocol time (:data:`LONG`): they are listed as
skipped, with what makes them long; ``--all`` runs them too. ``--jobs`` cases run at once per
role (the VEN and the VTN cases side by side). Every case runs over plain HTTP, except those of
:data:`TLS_CASES` (G1_4010, TLS under an event exchange, and against the VTN N1_0015), which run
over mutual TLS with a throwaway ECC test PKI.

The Markdown table (``--output``, default ``docs/conformance-openleadr.md``) lists every case of
both roles, in both transports: its ID, title, verdict and reason in one line; the header says
when, with what, by which command, and what each verdict means (only **passed** is a pass).
``--html FILE`` writes the suite's HTML report of each role (``FILE`` with ``-ven`` and ``-vtn``
before its suffix); ``--junit FILE`` one JUnit XML document with a test suite per role. The exit
status is 0 when the run completed (whatever OpenLEADR's verdicts: they are facts to report), 1
when a case ended in error (the suite could not carry it out), 2 for a usage error or when the
OpenLEADR environment cannot be built.

``conformance/test_openleadr.py`` reruns the default selection and checks that every verdict is
still the one the committed table says (:func:`read_table`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for _path in (HERE / "openleadr", REPO / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from lxml import etree  # noqa: E402
from openleadr_devices import (  # noqa: E402
    OPENLEADR,
    VEN_LIMITS,
    VTN_LIMITS,
    OpenLeadrVen,
    OpenLeadrVenFactory,
    OpenLeadrVtn,
    OpenLeadrVtnFactory,
    TlsPaths,
)
from openleadr_env import OPENLEADR_VERSION, OpenLEADRUnavailable, openleadr_python  # noqa: E402

from openadr_accel import __version__  # noqa: E402
from openadr_accel.conformance import cases as _cases  # noqa: E402, F401 (registers every case)
from openadr_accel.conformance.case import (  # noqa: E402
    REGISTRY,
    CaseResult,
    Role,
    Selected,
    Transport,
    Verdict,
)
from openadr_accel.conformance.context import Timeouts  # noqa: E402
from openadr_accel.conformance.progress import LineProgress  # noqa: E402
from openadr_accel.conformance.results import RunInfo, count_verdicts, first_line, printable  # noqa: E402
from openadr_accel.conformance.results.html import write_html  # noqa: E402
from openadr_accel.conformance.results.junit import junit_document  # noqa: E402
from openadr_accel.conformance.runner import HarnessSecurity, RunSettings, VenRunner, VtnRunner  # noqa: E402
from openadr_accel.security import KeyType, fingerprint, init_pki, issue_ven  # noqa: E402
from openadr_accel.security.certificates import Credentials  # noqa: E402
from openadr_accel.security.signature import Signer  # noqa: E402
from openadr_accel.security.tls import ven_ssl_context, vtn_ssl_context  # noqa: E402

__all__ = [
    "DEFAULT_OUTPUT",
    "LONG",
    "TLS_CASES",
    "UNSTABLE",
    "Planned",
    "TableRow",
    "Unstable",
    "main",
    "plan",
    "read_table",
    "render_table",
    "run_plan",
]

DEFAULT_OUTPUT = REPO / "docs" / "conformance-openleadr.md"
DEFAULT_JOBS = 6
COMMAND = "python conformance/openleadr_table.py"

TIMEOUTS = {
    Role.VEN: Timeouts(message=20.0, action=20.0),
    Role.VTN: Timeouts(message=10.0, action=10.0),
}
"""How long the harness waits for OpenLEADR (wall-clock seconds). Its VEN starts and registers
within a few seconds; its VTN answers each poll at once and queues what it has for the next one
(the harness polls every second), so these are generous: no wait here depends on a person."""
CASE_SECONDS = 180.0
"""The most one case of the default selection may take."""
LONG_CASE_SECONDS = 1800.0
"""The most one case may take with ``--all`` (the 2.0a observation cases follow events of ten
protocol minutes at real time)."""

TLS_CASES: Mapping[Role, frozenset[str]] = {
    Role.VEN: frozenset({"G1_4010"}),
    Role.VTN: frozenset({"G1_4010", "N1_0015"}),
}
"""The pull cases run over mutual TLS (a throwaway ECC test PKI), by role: G1_4010 is about TLS;
N1_0015 against a VTN needs it (a VTN tells a registered VEN's oadrQueryRegistration by its
client certificate). Every other case runs over plain HTTP."""

_LONG_VEN: dict[str, str] = {
    # reports at real time
    "R1_3020": "two periodic reports a minute apart (about 1.5 min)",
    "R1_3027": "a report that runs for minutes and ends by itself (about 7 min)",
    "R1_3040": "periodic reports before the cancellation and after it (about 3 min)",
    "R1_3045": "an open-ended report before its cancellation (about 3 min)",
    "R1_3050": "periodic reports before a piggy-backed cancellation (about 3 min)",
    "R1_3160": "periodic TELEMETRY_USAGE reports, granularity 1 min, reportBackDuration 2 min (about 4 min)",
    "R1_3180": "several periodic reports (about 3.5 min)",
}
_LONG_VEN.update(
    dict.fromkeys(
        (
            f"A_E1_{number}"
            for number in (
                *("0210", "0220", "0230", "0240", "0250", "0255", "0260", "0265", "0270"),
                *("0275", "0280", "0285", "0310", "0340", "0345", "0360", "0370"),
            )
        ),
        "events of several minutes, followed as they run (5 to 15 min)",
    )
)
LONG: Mapping[Role, Mapping[str, str]] = {Role.VEN: _LONG_VEN, Role.VTN: {}}
"""Pull cases left out of the default selection, by role and number, with what makes them take
minutes at real time (their push twins end at once against OpenLEADR: no push). Measured with
``--all``."""


@dataclass(frozen=True, slots=True)
class Unstable:
    """A case whose verdict against OpenLEADR is not the same from one run to the next.

    Attributes:
        verdicts: the verdicts it may end with.
        why: what in OpenLEADR makes it so.
    """

    verdicts: frozenset[Verdict]
    why: str


UNSTABLE: Mapping[str, Unstable] = {}
"""Cases (full IDs) whose verdict against OpenLEADR varies between runs, and why."""


# -- what runs ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """One case in one transport, and whether this run carries it out.

    Attributes:
        selected: the case and transport.
        run: whether it runs (else it is reported as skipped, with ``why_not``).
        why_not: why it does not run.
        tls: whether it runs over mutual TLS.
    """

    selected: Selected
    run: bool
    why_not: str = ""
    tls: bool = False

    @property
    def case_id(self) -> str:
        """The full identifier."""
        return self.selected.case_id


def long_note(selected: Selected) -> str | None:
    """Why a case takes minutes at real time (None: it does not)."""
    if selected.transport is not Transport.PULL:
        return None
    return LONG[selected.case.role].get(selected.case.number)


def plan(*, all_cases: bool) -> dict[Role, list[Planned]]:
    """Every case of both roles, in both transports (pull first, catalogue order), and whether
    it runs: with ``all_cases`` every one, else all but :data:`LONG`."""
    planned: dict[Role, list[Planned]] = {}
    for role in Role:
        rows: list[Planned] = []
        for transport in (Transport.PULL, Transport.PUSH):
            for selected in REGISTRY.select(role, transport):
                tls = selected.case.number in TLS_CASES[role] and transport is Transport.PULL
                note = long_note(selected)
                if note is not None and not all_cases:
                    why = f"not in the default run: it waits for {note} at real time (run with --all)"
                    rows.append(Planned(selected, run=False, why_not=why, tls=tls))
                else:
                    rows.append(Planned(selected, run=True, tls=tls))
        planned[role] = rows
    return planned


# -- running ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pki:
    """A throwaway ECC test PKI: the certificates of a VTN and a VEN, and the CA bundle."""

    vtn: TlsPaths
    ven: TlsPaths

    @classmethod
    @contextlib.contextmanager
    def made(cls) -> Iterator[_Pki]:
        with tempfile.TemporaryDirectory(prefix="openleadr-conformance-pki-") as folder:
            pki = init_pki(Path(folder))
            ven = issue_ven("openleadr-conformance-ven", Path(folder), key_types=(KeyType.ECC,))[KeyType.ECC]
            vtn = pki.vtn(KeyType.ECC)
            yield cls(
                vtn=TlsPaths(vtn.certificate, vtn.key, pki.ca_bundle),
                ven=TlsPaths(ven.certificate, ven.key, pki.ca_bundle),
            )


def _credentials(paths: TlsPaths) -> Credentials:
    return Credentials(certificate=paths.certificate, key=paths.key)


def _settings(role: Role, jobs: int, *, all_cases: bool, security: HarnessSecurity) -> RunSettings:
    return RunSettings(
        speed=1.0,
        timeouts=TIMEOUTS[role],
        case_seconds=LONG_CASE_SECONDS if all_cases else CASE_SECONDS,
        jobs=jobs,
        security=security,
        poll_frequency=timedelta(seconds=1),
    )


async def run_plan(
    python: Path,
    planned: Mapping[Role, Sequence[Planned]],
    *,
    jobs: int,
    all_cases: bool,
    progress_stream: IO[str] | None = None,
    peer_logs: Path | None = None,
) -> dict[Role, list[CaseResult]]:
    """Run what ``planned`` says (both roles side by side, ``jobs`` cases at once each); every
    case's result, in the plan's order (those that do not run: skipped, with the reason). With
    ``peer_logs``, the log of each case's OpenLEADR process goes there."""
    stream = progress_stream if progress_stream is not None else sys.stderr
    lifetime = (LONG_CASE_SECONDS if all_cases else CASE_SECONDS) + 120.0  # outlives any case
    with _Pki.made() as pki:
        ven_tls = HarnessSecurity(
            server_ssl=vtn_ssl_context(_credentials(pki.vtn), pki.vtn.ca_bundle),
            client_ssl=ven_ssl_context(_credentials(pki.vtn), pki.vtn.ca_bundle),
            device_fingerprint=fingerprint(pki.ven.certificate),
        )
        vtn_tls = HarnessSecurity(
            server_ssl=vtn_ssl_context(_credentials(pki.ven), pki.ven.ca_bundle),
            client_ssl=ven_ssl_context(_credentials(pki.ven), pki.ven.ca_bundle),
            signer=Signer.from_files(pki.ven.certificate, pki.ven.key),
            device_fingerprint=fingerprint(pki.vtn.certificate),
        )
        plain = HarnessSecurity()

        async def role_results(role: Role) -> list[CaseResult]:
            rows = planned[role]
            running = [row for row in rows if row.run]
            display = LineProgress(len(running), stream=stream)
            groups: list[tuple[list[Planned], VenRunner | VtnRunner]] = []
            for tls in (False, True):
                chosen = [row for row in running if row.tls is tls]
                if not chosen:
                    continue
                if role is Role.VEN:
                    factory = OpenLeadrVenFactory(
                        python, tls=pki.ven if tls else None, logs=peer_logs, lifetime=lifetime
                    )
                    security = ven_tls if tls else plain
                    runner: VenRunner | VtnRunner = VenRunner(
                        factory, _settings(role, jobs, all_cases=all_cases, security=security), display
                    )
                else:
                    vtn_factory = OpenLeadrVtnFactory(
                        python, tls=pki.vtn if tls else None, logs=peer_logs, lifetime=lifetime
                    )
                    security = vtn_tls if tls else plain
                    runner = VtnRunner(
                        vtn_factory, _settings(role, jobs, all_cases=all_cases, security=security), display
                    )
                groups.append((chosen, runner))
            done: dict[str, CaseResult] = {}
            with display:
                outcomes = await asyncio.gather(
                    *(runner.run([row.selected for row in chosen]) for chosen, runner in groups)
                )
            for results in outcomes:
                done.update({result.case_id: result for result in results})
            return [done.get(row.case_id) or _skipped(row) for row in rows]

        ven, vtn = await asyncio.gather(role_results(Role.VEN), role_results(Role.VTN))
    return {Role.VEN: ven, Role.VTN: vtn}


def _skipped(row: Planned) -> CaseResult:
    return CaseResult(
        case_id=row.case_id,
        case=row.selected.case,
        transport=row.selected.transport,
        verdict=Verdict.SKIPPED,
        reason=row.why_not or "not run",
    )


# -- the table ----------------------------------------------------------------------------------------

_ROLE_HEADINGS = {
    Role.VEN: f"{OPENLEADR}'s VEN (`OpenADRClient`): the VEN cases (`TH_VTN`)",
    Role.VTN: f"{OPENLEADR}'s VTN (`OpenADRServer`): the VTN cases (`TH_VEN`)",
}
_DEVICES = {Role.VEN: OpenLeadrVen.name, Role.VTN: OpenLeadrVtn.name}

_MEANINGS = [
    ("passed", "every check of the case held. **Only this verdict is a pass.**"),
    (
        "failed",
        "OpenLEADR did something the case forbids, or not what it must (the reason quotes the check), or "
        "it lacks a feature 2.0b requires (the reason says which, read from OpenLEADR's source).",
    ),
    (
        "needs observation",
        "every automatic check held, but the case also asks for what only a person watching the device "
        "can confirm (OpenLEADR is an external implementation for the suite: nothing reads its state). "
        "Not a pass.",
    ),
    (
        "not applicable",
        "the case does not apply: it is about a feature 2.0b makes optional that OpenLEADR lacks, or"
        " about something this run does not offer (a 2.0a VEN, a report OpenLEADR"
        " cannot make); the reason says which. Not a pass.",
    ),
    ("error", "the suite could not carry the case out: it says nothing about OpenLEADR. Not a pass."),
    ("skipped", "not run (the reason says why). Not a pass."),
]


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of the committed table, as :func:`read_table` reads it."""

    case_id: str
    verdict: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TableInfo:
    """What the table's header says about the run."""

    started: datetime
    seconds: float
    command: str
    all_cases: bool
    jobs: int
    python: str = field(default_factory=platform.python_version)


def _cell(text: str) -> str:
    """One table cell: the first line, printable, with pipes escaped."""
    return printable(first_line(text, 600)).replace("\\", "\\\\").replace("|", "\\|")


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head


def render_table(results: Mapping[Role, Sequence[CaseResult]], info: TableInfo) -> str:
    """The Markdown document: the header, the summary, and one table per role and transport."""
    lines = [
        f"# OpenADR 2.0b conformance of {OPENLEADR}",
        "",
        "<!-- Written by conformance/openleadr_table.py: rerun it rather than edit this file. -->",
        "",
        f"Produced by `{info.command}` on {info.started:%Y-%m-%d %H:%M} UTC, in "
        f"{info.seconds / 60:.0f} min ({info.jobs} cases at once per role).",
        "",
        f"- **Devices**: {OPENLEADR}'s VEN (`OpenADRClient`, run as its users run it: `client.run()`) for the"
        " VEN cases, its VTN (`OpenADRServer`) for the VTN cases; a fresh OpenLEADR process per case, under"
        f" its own interpreter (`.cache/openleadr-{OPENLEADR_VERSION}/`, from PyPI), driven through its own"
        " API by `conformance/openleadr/` (`ven_peer.py` and `vtn_peer.py` say which call does what a case"
        " asks).",
        f"- **Suite**: openadr_accel {__version__} (commit {_git_revision()}), {len(REGISTRY)} cases; Python"
        f" {info.python}.",
        "- **How**: at real time (OpenLEADR's clock cannot be compressed), over loopback, HTTP pull and push;"
        " plain HTTP, except G1_4010 and, against the VTN, N1_0015 (mutual TLS, a throwaway ECC test PKI;"
        " OpenLEADR's VEN then signs its messages; the harness VEN signs its own, which OpenLEADR's VTN"
        " checks, and OpenLEADR's VTN signs its answers). The harness waits "
        f"{TIMEOUTS[Role.VEN].action:g} s for OpenLEADR's VEN and {TIMEOUTS[Role.VTN].action:g} s for its VTN"
        " (each answers within a second or a poll).",
        "- **OpenLEADR's VEN** is given its venID by the VTN (in N1_0025, about a venID provisioned"
        " beforehand, it is provisioned with one: `OpenADRClient(ven_id=...)`),"
        " opts in to every event and offers TELEMETRY_USAGE (rIDs `power`, powerReal W,"
        " and `energy`, energyReal Wh) and HISTORY_USAGE (`energy`); not TELEMETRY_STATUS, which it cannot"
        " report (its oadrUpdateReport has no oadrPayloadResourceStatus: a status goes out as a number).",
        "- **OpenLEADR's VTN** accepts every VEN, asks for polls every second, and requests no report unless"
        " a case asks (it can only on oadrRegisteredReport). It never sends an oadrRegisterReport of its own"
        " (it has no API for it; 2.0b's registration exchanges METADATA reports both ways): N1_0020, the"
        " bootstrap, and the cases about the VTN's own reports (R1_3070-3120) fail on it; the other cases"
        " only answer whatever the VTN offers and go on to what they are about.",
        "- **Default run**: "
        + (
            "this table is of a run with `--all`: every case ran; those the default run leaves out (they wait"
            " minutes at real time) say `[--all only]`."
            if info.all_cases
            else "every case but those that wait minutes at real time (skipped here; `--all` runs them)."
        ),
        f"- **Rerun**: `{COMMAND} --all` (this table), `{COMMAND}` (the default selection, a few minutes);"
        " `pytest conformance/test_openleadr.py -m interop` checks that the default selection still ends"
        " as this table says.",
        "",
        "## What the verdicts mean",
        "",
        *[f"- **{name}**: {meaning}" for name, meaning in _MEANINGS],
    ]
    if UNSTABLE:
        lines.append(
            "- **unstable** (after the verdict): the case does not end the same way in every run, for the"
            " reason given; the test (`conformance/test_openleadr.py`) accepts each verdict listed."
        )
    lines += [
        "",
        "## What OpenLEADR has no API for",
        "",
        "Read in OpenLEADR's source; a case that asks for one of these fails with the reason, or ends not"
        " applicable where 2.0b makes the feature optional.",
        "",
        "| Device | Action | Verdict | Why |",
        "|---|---|---|---|",
    ]
    for role, limits in ((Role.VEN, VEN_LIMITS), (Role.VTN, VTN_LIMITS)):
        for action, limit in limits.items():
            verdict = Verdict.NOT_APPLICABLE if limit.optional else Verdict.FAILED
            lines.append(f"| {role.value} | `{action}` | {verdict.value} | {_cell(limit.reason)} |")
    lines += ["", "## Summary", ""]
    verdicts = list(Verdict)
    lines.append("| Device | " + " | ".join(verdict.value for verdict in verdicts) + " | cases |")
    lines.append("|---|" + "---:|" * (len(verdicts) + 1))
    for role in Role:
        for transport in (Transport.PULL, Transport.PUSH):
            chosen = [result for result in results[role] if result.transport is transport]
            counts = count_verdicts(chosen)
            lines.append(
                f"| {role.value} ({transport.value}) | "
                + " | ".join(str(counts[verdict]) for verdict in verdicts)
                + f" | {len(chosen)} |"
            )
    for role in Role:
        lines += ["", f"## {_ROLE_HEADINGS[role]}"]
        for transport in (Transport.PULL, Transport.PUSH):
            chosen = [result for result in results[role] if result.transport is transport]
            lines += [
                "",
                f"### HTTP {transport.value}",
                "",
                "| Case | Title | Verdict | Reason |",
                "|---|---|---|---|",
            ]
            for result in chosen:
                lines.append(_row(result))
    lines.append("")
    return "\n".join(lines)


def _row(result: CaseResult) -> str:
    selected = Selected(result.case, result.transport)
    reason = result.reason
    unstable = UNSTABLE.get(result.case_id)
    verdict = result.verdict.value
    if unstable is not None:
        shown = " or ".join(sorted(item.value for item in unstable.verdicts))
        verdict += f" (unstable: {shown})"
        reason = f"{unstable.why}. This run: {reason}" if reason else unstable.why
    note = long_note(selected)
    if note is not None and result.verdict is not Verdict.SKIPPED:
        reason = (reason + " " if reason else "") + "[--all only]"
    return (
        f"| {result.case_id} | {_cell(result.case.title)} | {verdict} | {_cell(reason) if reason else ''} |"
    )


_CELL = r"(?:[^|\\]|\\.)*"
"""A table cell's text: anything but a pipe, escapes included (``\\|`` is a pipe in the text)."""
_ROW = re.compile(
    rf"^\|\s*(?P<id>[A-Z][A-Z0-9_]*_TH_(?:VEN|VTN))\s*\|{_CELL}\|"  # the case ID, then its title
    r"\s*(?P<verdict>[a-z ]+?)(?:\s*\(unstable:[^)]*\))?\s*\|"  # the verdict (maybe unstable)
    rf"(?P<reason>{_CELL})\|\s*$"
)


def read_table(text: str) -> dict[str, TableRow]:
    """The rows of a table :func:`render_table` wrote, by full case ID."""
    rows: dict[str, TableRow] = {}
    for line in text.splitlines():
        found = _ROW.match(line)
        if found is not None:
            rows[found["id"]] = TableRow(found["id"], found["verdict"].strip(), found["reason"].strip())
    return rows


# -- the reports of the suite's own writers ------------------------------------------------------------


def _run_info(role: Role, started: datetime, seconds: float, all_cases: bool) -> RunInfo:
    return RunInfo(
        role=role,
        device=_DEVICES[role],
        started=started,
        seconds=seconds,
        settings={
            "speed": "1 (real time)",
            "transports": "pull and push",
            "selection": "every case (--all)" if all_cases else "the default selection",
            "TLS": ", ".join(sorted(TLS_CASES[role])) + " only (mutual TLS, ECC test PKI)",
        },
    )


def _html_path(base: Path, role: Role) -> Path:
    return base.with_name(f"{base.stem}-{role.value.lower()}{base.suffix or '.html'}")


def _junit(results: Mapping[Role, Sequence[CaseResult]], infos: Mapping[Role, RunInfo]) -> bytes:
    """One JUnit document: the suite writer's ``<testsuite>`` of each role under one ``<testsuites>``."""
    documents = [etree.fromstring(junit_document(results[role], infos[role])) for role in Role]
    root = etree.Element("testsuites", name=f"OpenADR 2.0b conformance: {OPENLEADR}")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    seconds = 0.0
    for document in documents:
        for suite in document.findall("testsuite"):
            for name in totals:
                totals[name] += int(suite.get(name, "0"))
            seconds = max(seconds, float(suite.get("time", "0")))  # the roles ran side by side
            root.append(suite)
    for name, value in totals.items():
        root.set(name, str(value))
    root.set("time", f"{seconds:.3f}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- the command ----------------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="openleadr_table.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--all", action="store_true", help="also run the cases that take minutes at real time"
    )
    parser.add_argument(
        "--jobs", type=int, default=DEFAULT_JOBS, help=f"cases at once per role (default {DEFAULT_JOBS})"
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="the Markdown table (default: %(default)s)"
    )
    parser.add_argument(
        "--html", type=Path, help="the HTML reports: FILE with -ven and -vtn before its suffix"
    )
    parser.add_argument("--junit", type=Path, help="one JUnit XML document, a test suite per role")
    parser.add_argument(
        "--peer-logs", type=Path, help="write what each case's OpenLEADR process did to DIR/<case ID>.log"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def _command_line(args: argparse.Namespace) -> str:
    parts = [COMMAND]
    if args.all:
        parts.append("--all")
    if args.jobs != DEFAULT_JOBS:
        parts += ["--jobs", str(args.jobs)]
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """The command; its exit status."""
    args = _arguments(argv)
    try:
        python = openleadr_python()
    except (OpenLEADRUnavailable, OSError, subprocess.SubprocessError) as exc:
        print(f"the OpenLEADR {OPENLEADR_VERSION} environment cannot be built: {exc}", file=sys.stderr)
        return 2
    planned = plan(all_cases=args.all)
    started = datetime.now(UTC)
    began = time.monotonic()
    results = asyncio.run(
        run_plan(python, planned, jobs=args.jobs, all_cases=args.all, peer_logs=args.peer_logs)
    )
    seconds = time.monotonic() - began
    info = TableInfo(
        started=started, seconds=seconds, command=_command_line(args), all_cases=args.all, jobs=args.jobs
    )
    written: list[Path] = []
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render_table(results, info), encoding="utf-8")
    written.append(args.output)
    infos = {role: _run_info(role, started, seconds, args.all) for role in Role}
    if args.html is not None:
        for role in Role:
            path = _html_path(args.html, role)
            write_html(path, results[role], infos[role])
            written.append(path)
    if args.junit is not None:
        args.junit.write_bytes(_junit(results, infos))
        written.append(args.junit)
    for role in Role:
        counts = count_verdicts(results[role])
        shown = ", ".join(f"{count} {verdict.value}" for verdict, count in counts.items() if count)
        print(f"{_DEVICES[role]}: {shown}", file=sys.stderr)
    print("wrote " + ", ".join(str(path) for path in written), file=sys.stderr)
    errors = [result.case_id for role in Role for result in results[role] if result.verdict is Verdict.ERROR]
    if errors:
        print(f"the suite could not carry out {', '.join(errors)} (error)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
