"""Replay protection for signed messages: a time window and a bounded memory of nonces."""

from __future__ import annotations

import heapq
import threading
from datetime import datetime, timedelta

from ..clock import Clock, system_clock
from ..errors import ReplayError

__all__ = ["DEFAULT_MAX_NONCES", "DEFAULT_REPLAY_WINDOW", "ReplayGuard"]

DEFAULT_REPLAY_WINDOW = timedelta(minutes=5)
"""How far a ReplayProtect timestamp may be from the clock, either way."""
DEFAULT_MAX_NONCES = 100_000
"""How many nonces a :class:`ReplayGuard` holds at once before it refuses signed messages."""


class ReplayGuard:
    """Accepts each (sender, nonce) once, and only with a timestamp close to the clock.

    A message is accepted when its ReplayProtect timestamp is within ``window`` of the clock
    (either way: a peer's clock may run a little ahead) and its nonce has not been seen from the
    same sender within the window. A nonce is remembered until its timestamp leaves the window;
    after that the timestamp alone refuses it, so memory stays bounded by the traffic of one
    window. If more than ``max_nonces`` are live at once the guard refuses new messages rather
    than forget a nonce it still needs (fail closed); size ``max_nonces`` for the expected rate
    times the window.

    Thread-safe.
    """

    def __init__(
        self,
        *,
        window: timedelta = DEFAULT_REPLAY_WINDOW,
        max_nonces: int = DEFAULT_MAX_NONCES,
        clock: Clock = system_clock,
    ) -> None:
        if window <= timedelta(0):
            raise ValueError(f"the replay window must be positive, got {window}")
        if max_nonces < 1:
            raise ValueError(f"max_nonces must be at least 1, got {max_nonces}")
        self.window = window
        self.max_nonces = max_nonces
        self._clock = clock
        self._expiry: dict[tuple[str, str], datetime] = {}
        self._by_expiry: list[tuple[datetime, tuple[str, str]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many nonces are remembered now."""
        return len(self._expiry)

    def check(self, timestamp: datetime, nonce: str, *, sender: str = "") -> None:
        """Accept this (sender, nonce) once, or raise :class:`~openadr_accel.errors.ReplayError`."""
        if timestamp.utcoffset() is None:
            raise ReplayError("the ReplayProtect timestamp has no time zone")
        if not nonce:
            raise ReplayError("the ReplayProtect nonce is empty")
        now = self._clock()
        if timestamp < now - self.window:
            raise ReplayError(
                f"the message was signed at {timestamp.isoformat()}, more than {self.window} ago (stale)"
            )
        if timestamp > now + self.window:
            raise ReplayError(
                f"the message claims to be signed at {timestamp.isoformat()}, more than {self.window} "
                "ahead of our clock"
            )
        key = (sender, nonce)
        with self._lock:
            self._forget_expired(now)
            if key in self._expiry:
                raise ReplayError(f"the nonce {nonce!r} was already used (a replayed message)")
            if len(self._expiry) >= self.max_nonces:
                raise ReplayError(
                    f"more than {self.max_nonces} signed messages within {self.window}: refused, "
                    "rather than forget a nonce that could then be replayed"
                )
            expiry = timestamp + self.window
            self._expiry[key] = expiry
            heapq.heappush(self._by_expiry, (expiry, key))

    def _forget_expired(self, now: datetime) -> None:
        by_expiry = self._by_expiry
        while by_expiry and by_expiry[0][0] < now:
            _, key = heapq.heappop(by_expiry)
            del self._expiry[key]
