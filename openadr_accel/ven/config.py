"""A VEN's settings: where its VTN is, who it is, how it talks and how patiently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from ..xml import DEFAULT_MAX_BYTES

__all__ = ["VenConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class VenConfig:
    """Settings of one VEN.

    Attributes:
        vtn_url: the VTN's base URL, up to (not including) ``/OpenADR2/Simple/2.0b/<Service>``,
            e.g. ``https://vtn.example.com:8443`` or ``http://127.0.0.1:8080/prefix``.
        ven_name: ``oadrVenName``, sent when registering.
        ven_id: a venID allocated beforehand (N1_0025); None lets the VTN assign one.
        vtn_id: the vtnID to expect; None learns it at registration. A distribution from any
            other vtnID is refused with 452 (IDs are case-sensitive).
        poll_frequency: how often to poll at most. The VEN polls at this interval or at the
            VTN's ``oadrRequestedOadrPollFreq``, whichever is longer: never faster than the VTN
            asks (rules 54 and 55).
        transport_address: the URL of this VEN's own push endpoint; setting it registers in push
            mode (``oadrHttpPullModel`` false): the VTN then POSTs to the VEN and the VEN does
            not poll.
        report_only: ``oadrReportOnly``.
        backoff: the wait after the first failed request to an unreachable VTN; it doubles with
            every further failure (plus up to 25% random jitter) up to ``backoff_max``.
        request_timeout: the time limit of one HTTP request to the VTN.
        max_message_bytes: larger answers and pushed messages are refused before parsing.
        forget_after: how long an ended or cancelled event is remembered (so that its answer is
            not sent twice) before it is dropped from the store.
        market_contexts: the market contexts (programs) the VEN is enrolled in; an event of
            another one is refused with 453 and not executed. Empty: every market context.
    """

    vtn_url: str
    ven_name: str
    ven_id: str | None = None
    vtn_id: str | None = None
    poll_frequency: timedelta = timedelta(seconds=10)
    transport_address: str | None = None
    report_only: bool = False
    backoff: timedelta = timedelta(seconds=1)
    backoff_max: timedelta = timedelta(minutes=5)
    request_timeout: timedelta = timedelta(seconds=30)
    max_message_bytes: int = DEFAULT_MAX_BYTES
    forget_after: timedelta = timedelta(days=1)
    market_contexts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        parts = urlsplit(self.vtn_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"vtn_url must be an http or https URL, got {self.vtn_url!r}")
        if self.vtn_url.endswith("/"):
            raise ValueError(f"vtn_url must not end with '/', got {self.vtn_url!r}")
        if not self.ven_name:
            raise ValueError("ven_name must not be empty")
        if self.poll_frequency <= timedelta(0):
            raise ValueError("poll_frequency must be positive")
        if self.backoff <= timedelta(0) or self.backoff_max < self.backoff:
            raise ValueError("backoff must be positive and backoff_max at least backoff")
        if self.request_timeout <= timedelta(0):
            raise ValueError("request_timeout must be positive")
        if self.max_message_bytes < 1024:
            raise ValueError("max_message_bytes must be at least 1024")

    @property
    def pull(self) -> bool:
        """Whether this VEN polls (no ``transport_address``) rather than being pushed to."""
        return self.transport_address is None

    def url(self, service: str) -> str:
        """The URL of one VTN service, e.g. ``.../OpenADR2/Simple/2.0b/OadrPoll``."""
        return f"{self.vtn_url}/OpenADR2/Simple/2.0b/{service}"

    def poll_interval(self, requested: timedelta | None) -> timedelta:
        """The interval between polls: ours, or the VTN's requested one when that is longer."""
        if requested is None:
            return self.poll_frequency
        return max(self.poll_frequency, requested)
