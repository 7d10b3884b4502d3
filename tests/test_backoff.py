"""The shared exponential backoff: doubling from the base, capped, with up to 25% jitter."""

from __future__ import annotations

import random
from datetime import timedelta

from openadr_accel.backoff import backoff

BASE = timedelta(milliseconds=50)
CEILING = timedelta(milliseconds=200)


def test_doubles_from_the_base_up_to_the_ceiling() -> None:
    rng = random.Random(1)
    for attempts, expected in [
        (0, BASE),
        (1, BASE),
        (2, BASE * 2),
        (3, BASE * 4),
        (4, CEILING),
        (9, CEILING),
    ]:
        wait = backoff(attempts, BASE, CEILING, rng)
        assert expected <= wait <= expected * 1.25, (attempts, wait)


def test_a_party_that_fails_for_hours_stays_at_the_ceiling() -> None:
    """A VEN whose VTN is unreachable for hours counts thousands of failures: the wait stays at
    the ceiling (``base * 2**(attempts - 1)`` must not be computed as a timedelta: it overflows
    after some 50 failures and the VEN's connection loop died of the OverflowError)."""
    rng = random.Random(2)
    for attempts in (47, 52, 1_000, 1_000_000):
        assert CEILING <= backoff(attempts, BASE, CEILING, rng) <= CEILING * 1.25
    day = timedelta(days=1)
    assert day <= backoff(10_000, timedelta(seconds=1), day, rng) <= day * 1.25
