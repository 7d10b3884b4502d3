"""The VEN's history buffer: samples of its HISTORY_USAGE data points, bounded, oldest dropped.

One buffer holds the samples of every HISTORY_USAGE point together, in the order they were
taken; past ``size`` samples, each new one drops the oldest (whatever its point). A HISTORY_USAGE
request is answered from it: all of it, or the samples that start within the request's
reportInterval.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..model import PayloadBase, Properties

__all__ = ["HistoryBuffer", "HistorySample"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HistorySample:
    """One value of one data point, taken at ``at``, standing for ``[at, at + duration)``."""

    report_specifier_id: str
    r_id: str
    at: datetime
    duration: timedelta
    payload: PayloadBase


class HistoryBuffer:
    """A bounded buffer of :class:`HistorySample`, oldest first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"history size must be at least 1, got {size}")
        self._samples: deque[HistorySample] = deque(maxlen=size)

    @property
    def size(self) -> int:
        """How many samples the buffer keeps at most."""
        maxlen = self._samples.maxlen
        assert maxlen is not None
        return maxlen

    def add(self, sample: HistorySample) -> None:
        """Keep ``sample``, dropping the oldest one if the buffer is full."""
        self._samples.append(sample)

    def select(
        self, report_specifier_id: str, r_ids: Collection[str], interval: Properties | None = None
    ) -> list[HistorySample]:
        """The samples of these points of one report, oldest first; with ``interval``, only those
        taken at or after its start and, unless its duration is zero (open-ended), before its
        end."""
        return [
            sample
            for sample in self._samples
            if sample.report_specifier_id == report_specifier_id
            and sample.r_id in r_ids
            and (interval is None or _within(sample.at, interval))
        ]

    def __len__(self) -> int:
        return len(self._samples)

    def __iter__(self) -> Iterator[HistorySample]:
        return iter(tuple(self._samples))


def _within(at: datetime, interval: Properties) -> bool:
    if at < interval.dtstart:
        return False
    return not interval.duration or at < interval.end
