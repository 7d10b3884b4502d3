"""Showing a conformance run as it goes: the runner's
:class:`~openadr_accel.conformance.runner.Progress`, for a terminal or for a log.

- :class:`LiveProgress` (a terminal): a live area with a progress bar, the cases running now and
  the count of each verdict so far; each finished case is printed above it, one line each.
- :class:`LineProgress` (anything else: a CI log, a pipe, a test): one line per finished case
  (and, when asked, one when a case starts: useful with an external device, where the operator's
  instructions come in between).

Both keep every finished result (:attr:`results`), so that a run that is interrupted can still
report what it concluded, and both give the operator of an external device its instructions
(:meth:`say`, and :class:`DisplayOperator`), so that they do not tear the live area apart.
:func:`progress_for` picks one for a console.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO, Protocol, Self

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table
from rich.text import Text

from .case import CaseResult, Selected, Verdict
from .results import first_line, printable
from .results.console import VERDICT_STYLES, verdict_text

__all__ = ["DisplayOperator", "LineProgress", "LiveProgress", "RunDisplay", "progress_for"]

_WIDEST_VERDICT = max(len(verdict.value) for verdict in Verdict)


class RunDisplay(Protocol):
    """A progress display: the runner's Progress, plus what the command needs of it."""

    results: list[CaseResult]
    """Every finished case's result, in the order they finished."""

    def started(self, selected: Selected) -> None:
        """A case started."""
        ...

    def finished(self, result: CaseResult) -> None:
        """A case finished."""
        ...

    def say(self, text: str) -> None:
        """Show a message (an instruction to the operator, the harness's address) between
        the progress lines."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class LineProgress:
    """One line per finished case (and, with ``announce_start``, per started case).

    Args:
        total: how many cases the run has.
        stream: where the lines go (default: standard output).
        announce_start: also print a line when a case starts.
    """

    def __init__(self, total: int, *, stream: IO[str] | None = None, announce_start: bool = False) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stdout
        self.announce_start = announce_start
        self.results: list[CaseResult] = []
        self._width = len(str(total))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stream.flush()

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def started(self, selected: Selected) -> None:
        """Print the case that starts (with ``announce_start``)."""
        if self.announce_start:
            done = f"{len(self.results):>{self._width}}"
            self._print(
                f"[{done}/{self.total}] {'running':<{_WIDEST_VERDICT}}  {selected.case_id} "
                f"({selected.transport}): {selected.case.title}"
            )

    def finished(self, result: CaseResult) -> None:
        """Print the case that finished, with its verdict (and its reason, unless it passed)."""
        self.results.append(result)
        done = f"{len(self.results):>{self._width}}"
        line = (
            f"[{done}/{self.total}] {result.verdict.value.upper():<{_WIDEST_VERDICT}}  {result.case_id} "
            f"({result.transport}) {result.seconds:.1f} s"
        )
        if not result.verdict.is_pass and result.reason:
            line += f": {first_line(result.reason)}"
        self._print(printable(line))

    def say(self, text: str) -> None:
        """Print ``text`` on its own lines."""
        self._print(f"\n{printable(text)}\n")


class _LiveView:
    """What the live area shows, drawn from a snapshot (the refresh runs in rich's thread)."""

    def __init__(self, progress: LiveProgress) -> None:
        self.progress = progress

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        with self.progress.lock:
            running = list(self.progress.running.items())
            counts = dict(self.progress.counts)
        now = time.monotonic()
        parts: list[Table | Text | Bar] = [self.progress.bar]
        if running:
            table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
            table.add_column(no_wrap=True, min_width=len("running"))
            table.add_column(no_wrap=True, min_width=max(len(selected.case_id) for selected, _ in running))
            table.add_column(justify="right", no_wrap=True, min_width=5)
            table.add_column(overflow="ellipsis", no_wrap=True, ratio=1)
            for selected, began in running:
                table.add_row(
                    Text("running", style="cyan"),
                    Text(selected.case_id),
                    Text(f"{now - began:.0f} s"),
                    Text(printable(selected.case.title), style="dim"),
                )
            parts.append(table)
        tally = Text()
        for verdict in Verdict:
            if counts.get(verdict):
                tally.append(f"{counts[verdict]} {verdict.value}", style=VERDICT_STYLES[verdict])
                tally.append("  ")
        if tally:
            parts.append(tally)
        yield Group(*parts)


class LiveProgress:
    """A live area on a terminal: a progress bar, the running cases and the counts per verdict;
    each finished case is printed above it.

    Args:
        total: how many cases the run has.
        console: the terminal's console.
    """

    def __init__(self, total: int, *, console: Console) -> None:
        self.total = total
        self.console = console
        self.results: list[CaseResult] = []
        self.running: dict[Selected, float] = {}
        self.counts: dict[Verdict, int] = dict.fromkeys(Verdict, 0)
        self.lock = threading.Lock()
        self.bar = Bar(
            TextColumn("conformance"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._task = self.bar.add_task("cases", total=total)
        self._live = Live(_LiveView(self), console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> Self:
        self._live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._live.stop()

    def started(self, selected: Selected) -> None:
        """Show the case among the running ones."""
        with self.lock:
            self.running[selected] = time.monotonic()

    def finished(self, result: CaseResult) -> None:
        """Print the case's line above the live area and count its verdict."""
        with self.lock:
            self.results.append(result)
            self.counts[result.verdict] += 1
            for selected in list(self.running):
                if selected.case_id == result.case_id:
                    del self.running[selected]
        self.bar.advance(self._task)
        line = Text()
        line.append(f"{len(self.results):>{len(str(self.total))}}/{self.total} ")
        line.append_text(verdict_text(result.verdict))
        line.append(" " * (_WIDEST_VERDICT - len(result.verdict.value)))
        line.append(f" {result.case_id} ({result.transport}) {result.seconds:.1f} s")
        if not result.verdict.is_pass and result.reason:
            line.append(f": {printable(first_line(result.reason))}", style="dim")
        self.console.print(line)

    def say(self, text: str) -> None:
        """Print ``text`` above the live area."""
        self.console.print(Text(f"\n{printable(text)}\n", style="bold"))


class DisplayOperator:
    """The operator of an external device, told through a display (see
    :class:`~openadr_accel.conformance.devices.Operator`); keeps what it was asked."""

    def __init__(self, display: RunDisplay) -> None:
        self.display = display
        self.asked: list[str] = []

    def ask(self, instruction: str) -> None:
        """Show the instruction prominently."""
        self.asked.append(instruction)
        self.display.say(f">>> ACTION NEEDED: {instruction}")


def progress_for(
    total: int, console: Console, *, stream: IO[str] | None = None, announce_start: bool = False
) -> LiveProgress | LineProgress:
    """A live display when ``console`` is a terminal, else lines on ``stream`` (default: the
    console's file)."""
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveProgress(total, console=console)
    return LineProgress(
        total, stream=stream if stream is not None else console.file, announce_start=announce_start
    )
