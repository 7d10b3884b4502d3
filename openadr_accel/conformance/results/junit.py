"""The results of a run as JUnit XML, the format CI tools read.

One ``<testsuite>`` (inside ``<testsuites>``) per run; one ``<testcase>`` per case, named by its
full ID (``N1_0010_TH_VTN``), with ``classname`` its catalogue group (``registration``,
``event``, ...) and ``time`` its seconds. A FAILED case carries ``<failure>``, an ERROR case
``<error>``; a case that did not pass for another reason (needs observation, not applicable,
skipped) carries ``<skipped>`` whose message says so and that it is **not a pass**. Every case's
reason, checks and observations are in its ``<system-out>``.

The document follows the common JUnit schema (Jenkins', Ant's, GitLab's and GitHub's readers):
counts on both ``<testsuites>`` and ``<testsuite>``, a timestamp without a zone (UTC), times in
seconds with a dot. It is written with lxml, so everything is escaped; text from the device goes
through :func:`~openadr_accel.conformance.results.printable` first, since XML 1.0 cannot carry
control characters.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path

from lxml import etree

from ..case import CaseResult, Group, Verdict
from . import RunInfo, count_verdicts, first_line, printable

__all__ = ["GROUP_CLASSNAMES", "junit_document", "write_junit"]

GROUP_CLASSNAMES: dict[Group, str] = {
    Group.REGISTRATION: "registration",
    Group.EVENT: "event",
    Group.EVENT_2A: "event_2a",
    Group.OPT: "opt",
    Group.REPORT: "report",
    Group.GENERAL: "general",
}
"""The ``classname`` of each catalogue group's test cases."""

_NOT_A_PASS = {
    Verdict.NEEDS_OBSERVATION: "needs observation (not a pass: a person must confirm it on the device)",
    Verdict.NOT_APPLICABLE: "not applicable (not a pass)",
    Verdict.SKIPPED: "skipped (not a pass: not run)",
}


def _seconds(value: float) -> str:
    return f"{max(0.0, value):.3f}"


def _text(value: str) -> str:
    return printable(value)


def _element(parent: etree._Element | None, tag: str, attributes: dict[str, str]) -> etree._Element:
    element = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    for name, value in attributes.items():
        element.set(name, value)
    return element


def junit_document(results: Sequence[CaseResult], info: RunInfo) -> bytes:
    """The JUnit XML document of a run (UTF-8, with its XML declaration)."""
    counts = count_verdicts(results)
    totals = {
        "tests": str(len(results)),
        "failures": str(counts[Verdict.FAILED]),
        "errors": str(counts[Verdict.ERROR]),
        "skipped": str(sum(counts[verdict] for verdict in _NOT_A_PASS)),
        "time": _seconds(info.seconds),
    }
    root = _element(None, "testsuites", {"name": _text(info.title), **totals})
    started = info.started.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    suite = _element(
        root,
        "testsuite",
        {
            "name": _text(info.title),
            **totals,
            "timestamp": started.isoformat(),
            "hostname": _text(socket.gethostname() or "localhost"),
        },
    )
    properties = etree.SubElement(suite, "properties")
    for name, value in [("device", info.device), ("role", str(info.role)), *info.settings.items()]:
        etree.SubElement(properties, "property", name=_text(name), value=_text(value))
    for result in results:
        suite.append(_testcase(result))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _testcase(result: CaseResult) -> etree._Element:
    element = etree.Element(
        "testcase",
        name=_text(result.case_id),
        classname=GROUP_CLASSNAMES[result.case.group],
        time=_seconds(result.seconds),
    )
    reason = _text(result.reason)
    if result.verdict is Verdict.FAILED:
        failure = etree.SubElement(element, "failure", message=first_line(reason), type="failed")
        failure.text = reason
    elif result.verdict is Verdict.ERROR:
        error = etree.SubElement(element, "error", message=first_line(reason), type="error")
        error.text = reason
    elif result.verdict in _NOT_A_PASS:
        why = _NOT_A_PASS[result.verdict]
        message = f"{why}: {first_line(reason)}" if reason.strip() else why
        skipped = etree.SubElement(element, "skipped", message=message)
        skipped.text = f"{why}\n{reason}".strip()
    etree.SubElement(element, "system-out").text = _system_out(result)
    return element


def _system_out(result: CaseResult) -> str:
    lines = [
        f"{result.case_id} ({result.transport}): {result.verdict.value}",
        f"title: {result.case.title}",
    ]
    if result.case.rules:
        lines.append("rules: " + ", ".join(str(rule) for rule in result.case.rules))
    if result.reason:
        lines.append(f"reason: {result.reason}")
    if result.checks:
        lines.append("checks that held:")
        lines.extend(f"  - {check}" for check in result.checks)
    if result.observations:
        lines.append("observations a person must confirm:")
        lines.extend(f"  - {observation}" for observation in result.observations)
    problems = [
        f"  - {exchange.message or 'document'} ({exchange.service}): {problem}"
        for exchange in result.exchanges
        for problem in exchange.problems
    ]
    if problems:
        lines.append("problems in the device's documents:")
        lines.extend(problems)
    lines.append(f"messages exchanged: {len(result.exchanges)}")
    return _text("\n".join(lines))


def write_junit(path: Path, results: Sequence[CaseResult], info: RunInfo) -> None:
    """Write the JUnit XML of a run to ``path``."""
    path.write_bytes(junit_document(results, info))
