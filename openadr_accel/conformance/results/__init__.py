"""What a conformance run concluded, for people and for CI: a terminal table (:mod:`.console`),
JUnit XML (:mod:`.junit`) and one self-contained HTML report (:mod:`.html`).

Every writer takes the run's :class:`~openadr_accel.conformance.case.CaseResult` objects and a
:class:`RunInfo` (what was tested, when, how). All of them say the same thing about verdicts:
only **passed** is a pass; "needs observation", "not applicable" and "skipped" are reported as
what they are, never counted as passes.

Everything that came from the device (its documents, and the reasons and problems quoting them)
is untrusted: the writers escape it, and :func:`printable` first replaces what XML and terminals
cannot carry safely (control characters, lone surrogates) with visible escapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..case import CaseResult, Role, Verdict

__all__ = [
    "RunInfo",
    "count_verdicts",
    "first_line",
    "overall_passed",
    "printable",
    "summary_line",
]

_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` with every character that XML 1.0 cannot hold or a terminal would act on
    (C0 and C1 controls but tab, newline and carriage return; lone surrogates; U+FFFE and
    U+FFFF) replaced by a visible escape such as ``\\x1b``."""

    def escape(found: re.Match[str]) -> str:
        code = ord(found.group())
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(escape, text)


def first_line(text: str, limit: int = 240) -> str:
    """The first line of ``text``, cut to ``limit`` characters (with an ellipsis)."""
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """What the reports say about the run as a whole.

    Attributes:
        role: the role of the device under test.
        device: the device, in words ("our own VEN", "the external VEN").
        started: when the run started.
        seconds: how long it took (wall clock).
        settings: how it ran, in words (transport, TLS, speed, ...), shown as given.
    """

    role: Role
    device: str
    started: datetime
    seconds: float
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The report's title."""
        harness = "VTN" if self.role is Role.VEN else "VEN"
        return f"OpenADR 2.0b conformance: {self.device} (a {self.role}; the harness plays the {harness})"


def count_verdicts(results: Iterable[CaseResult]) -> dict[Verdict, int]:
    """How many results have each verdict: every verdict, in :class:`Verdict` order."""
    counts = dict.fromkeys(Verdict, 0)
    for result in results:
        counts[result.verdict] += 1
    return counts


def overall_passed(results: Sequence[CaseResult]) -> bool:
    """Whether the run is a pass: at least one case, and every case passed."""
    return bool(results) and all(result.verdict.is_pass for result in results)


def summary_line(results: Sequence[CaseResult]) -> str:
    """One line: the count of each verdict, and whether the run is a pass, saying that only
    "passed" counts as one."""
    counts = count_verdicts(results)
    shown = ", ".join(f"{count} {verdict.value}" for verdict, count in counts.items() if count)
    total = len(results)
    passed = counts[Verdict.PASSED]
    if overall_passed(results):
        verdict = f"PASS: all {total} case(s) passed"
    else:
        verdict = f"NOT A PASS: {passed} of {total} case(s) passed"
    return f"{verdict} ({shown or 'no case run'}). Only 'passed' counts as a pass."
