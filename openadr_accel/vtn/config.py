"""A VTN's settings: what it tells VENs, how it judges events over time, how it pushes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ..model import OadrReport
from ..security.replay import DEFAULT_MAX_NONCES, DEFAULT_REPLAY_WINDOW
from ..xml import DEFAULT_MAX_BYTES

__all__ = ["DEFAULT_MARKET_CONTEXT", "VtnConfig"]

DEFAULT_MARKET_CONTEXT = "http://MarketContext1"
"""The market context of events created without one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VtnConfig:
    """Settings of one VTN (shared by every process that serves the same store).

    Attributes:
        vtn_id: this VTN's ID, sent in every oadrCreatedPartyRegistration and oadrDistributeEvent.
        poll_frequency: ``oadrRequestedOadrPollFreq``: how often pull VENs should poll.
        near_window: an event is ``near`` (rather than ``far``) this long before its start.
        market_context: the market context of events created without one.
        prefix: the path before ``/OpenADR2/Simple/2.0b/<Service>`` (empty or starting with ``/``).
        max_message_bytes: larger requests are refused (454) before they are parsed.
        reports: must stay empty. The VTN produces no report data of its own, so it offers
            none: after a VEN registers it sends an oadrRegisterReport without reports, and
            refuses a VEN's request for any report but its METADATA (452). A VTN must not offer
            what it refuses, so reports given here are refused with a ValueError (the field
            remains for callers that pass it empty).
        cancelled_event_retention: how long an open-ended cancelled event is still distributed
            (with status cancelled) so that polling VENs see the cancellation explicitly.
        push_max_attempts: push attempts of one message before it is given up.
        push_backoff: the wait after the first failed push attempt; it doubles with every
            further failure (with up to 25% random jitter), up to ``push_backoff_max``.
        push_lease: how long a VTN process may hold a claimed message before another may retry it.
        push_timeout: the time limit of one push request.
        push_scan_interval: how often the push worker looks for due messages it was not told about
            (messages queued by another process or retried after a failure).
        replay_window: how far a signed message's ReplayProtect timestamp may be from the clock.
        replay_max_nonces: how many nonces the replay guard holds at once; beyond that it refuses
            signed messages (fail closed). Size it as the signed message rate times twice the
            window: the default holds about 330 signed messages a second with a 5-minute window.
    """

    vtn_id: str
    poll_frequency: timedelta = timedelta(seconds=10)
    near_window: timedelta = timedelta(hours=1)
    market_context: str = DEFAULT_MARKET_CONTEXT
    prefix: str = ""
    max_message_bytes: int = DEFAULT_MAX_BYTES
    reports: tuple[OadrReport, ...] = field(default=())
    cancelled_event_retention: timedelta = timedelta(days=1)
    push_max_attempts: int = 8
    push_backoff: timedelta = timedelta(seconds=1)
    push_backoff_max: timedelta = timedelta(minutes=5)
    push_lease: timedelta = timedelta(seconds=60)
    push_timeout: timedelta = timedelta(seconds=10)
    push_scan_interval: timedelta = timedelta(seconds=1)
    replay_window: timedelta = DEFAULT_REPLAY_WINDOW
    replay_max_nonces: int = DEFAULT_MAX_NONCES

    def __post_init__(self) -> None:
        if not self.vtn_id:
            raise ValueError("vtn_id must not be empty")
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise ValueError(
                f"prefix must be empty or start with '/' and not end with it, got {self.prefix!r}"
            )
        if self.poll_frequency < timedelta(seconds=1) or self.poll_frequency.microseconds:
            raise ValueError(
                "poll_frequency must be a whole number of seconds, at least 1 s "
                "(oadrRequestedOadrPollFreq carries whole seconds)"
            )
        if self.push_max_attempts < 1:
            raise ValueError("push_max_attempts must be at least 1")
        if self.max_message_bytes < 1024:
            raise ValueError("max_message_bytes must be at least 1024")
        if self.reports:
            raise ValueError(
                "reports must be empty: this VTN produces no report data, so it cannot offer "
                f"reports ({', '.join(repr(report.report_specifier_id) for report in self.reports)}) "
                "whose requests it would refuse"
            )

    def path(self, service: str) -> str:
        """The URL path of one service, e.g. ``/OpenADR2/Simple/2.0b/OadrPoll``."""
        return f"{self.prefix}/OpenADR2/Simple/2.0b/{service}"
