"""Exponential backoff with jitter, shared by the VTN's push worker and the VEN's poll loop."""

from __future__ import annotations

import random
from datetime import timedelta

__all__ = ["backoff"]


def backoff(attempts: int, base: timedelta, ceiling: timedelta, rng: random.Random) -> timedelta:
    """The wait before attempt ``attempts + 1``: ``base * 2**(attempts - 1)``, capped at
    ``ceiling``, plus up to 25% jitter so that many parties' retries do not line up."""
    wait = base
    for _ in range(max(attempts - 1, 0)):  # doubled step by step: base * 2**n overflows a timedelta
        if wait >= ceiling:
            break
        wait *= 2
    wait = min(wait, ceiling)
    return wait + wait * (rng.random() / 4)
