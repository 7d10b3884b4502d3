"""The results of a run as a table for the terminal (rich), with a summary line.

One row per case: its ID, transport, verdict (coloured, and in words), seconds and the first
line of its reason. The summary line counts each verdict and says that only "passed" counts as
a pass. Text from the device goes through :func:`~openadr_accel.conformance.results.printable`
and is never read as rich markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..case import CaseResult, Verdict
from . import RunInfo, first_line, overall_passed, printable, summary_line

__all__ = ["VERDICT_STYLES", "print_results", "results_table", "verdict_text"]

VERDICT_STYLES: dict[Verdict, str] = {
    Verdict.PASSED: "bold green",
    Verdict.FAILED: "bold red",
    Verdict.ERROR: "bold magenta",
    Verdict.NEEDS_OBSERVATION: "bold yellow",
    Verdict.NOT_APPLICABLE: "dim",
    Verdict.SKIPPED: "dim",
}
"""The rich style of each verdict."""


def verdict_text(verdict: Verdict) -> Text:
    """The verdict in capitals, in its colour."""
    return Text(verdict.value.upper(), style=VERDICT_STYLES[verdict])


def results_table(results: Sequence[CaseResult], *, title: str | None = None) -> Table:
    """A table of ``results``: case ID, transport, verdict, seconds, reason (first line)."""
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("case", no_wrap=True)
    table.add_column("transport", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for result in results:
        table.add_row(
            Text(result.case_id),
            Text(result.transport.value),
            verdict_text(result.verdict),
            Text(f"{result.seconds:.1f}"),
            Text(printable(first_line(result.reason))),
        )
    return table


def print_results(results: Sequence[CaseResult], info: RunInfo, console: Console) -> None:
    """Print the results table of a run and its summary line."""
    console.print(Text(printable(info.title), style="bold"))
    console.print(results_table(results))
    style = "bold green" if overall_passed(results) else "bold red"
    console.print(Text(summary_line(results), style=style))
