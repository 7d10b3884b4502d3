"""ReplayGuard: a time window and a bounded memory of nonces, driven by an injected clock.

The invariant under everything: a (sender, nonce) is accepted at most once, whatever the order,
timestamps and clock movements. Around it: the exact window edges, forgetting nonces once their
timestamp alone refuses them, failing closed when more nonces are live than ``max_nonces``, the
refusal of naive timestamps and empty nonces, and memory that stays bounded under load.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from openadr_accel.errors import NotAuthorizedError, OpenADRError, ReplayError
from openadr_accel.security import DEFAULT_MAX_NONCES, DEFAULT_REPLAY_WINDOW, ReplayGuard

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)
TICK = timedelta(microseconds=1)


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def guard(clock: ManualClock) -> ReplayGuard:
    return ReplayGuard(window=WINDOW, clock=clock)


def refused(guard: ReplayGuard, timestamp: datetime, nonce: str, fragment: str, *, sender: str = "") -> None:
    """``check`` raises exactly ReplayError, 463, saying ``fragment``, and remembers nothing new."""
    before = len(guard)
    with pytest.raises(OpenADRError) as excinfo:
        guard.check(timestamp, nonce, sender=sender)
    error = excinfo.value
    assert type(error) is ReplayError, f"{type(error).__name__}: {error}"
    assert isinstance(error, NotAuthorizedError)
    assert error.response_code == "463"
    assert fragment in error.message, error.message
    assert len(guard) <= before


def outcome_of(
    guard: ReplayGuard, timestamp: datetime, nonce: str, *, sender: str = ""
) -> ReplayError | None:
    """The ReplayError ``check`` raises, or None if it accepts."""
    try:
        guard.check(timestamp, nonce, sender=sender)
    except ReplayError as exc:
        return exc
    return None


# --- accepting once -----------------------------------------------------------------------------


def test_accepts_once_then_refuses_the_repeat(guard: ReplayGuard, clock: ManualClock) -> None:
    guard.check(clock(), "n-1", sender="ven-a")
    assert len(guard) == 1
    refused(guard, clock(), "n-1", "the nonce 'n-1' was already used", sender="ven-a")
    # with another timestamp, still the same nonce
    refused(guard, clock() - timedelta(seconds=30), "n-1", "already used", sender="ven-a")
    clock.advance(timedelta(minutes=1))
    refused(guard, clock(), "n-1", "already used", sender="ven-a")
    assert len(guard) == 1


def test_distinct_nonces_are_all_accepted(guard: ReplayGuard, clock: ManualClock) -> None:
    for number in range(100):
        guard.check(clock(), f"n-{number}", sender="ven-a")
    assert len(guard) == 100


def test_same_nonce_from_different_senders(guard: ReplayGuard, clock: ManualClock) -> None:
    for sender in ("ven-a", "ven-b", "vtn", ""):
        guard.check(clock(), "shared", sender=sender)
    assert len(guard) == 4
    for sender in ("ven-a", "ven-b", "vtn", ""):
        refused(guard, clock(), "shared", "already used", sender=sender)


def test_the_default_sender(guard: ReplayGuard, clock: ManualClock) -> None:
    guard.check(clock(), "n-1")
    refused(guard, clock(), "n-1", "already used")
    refused(guard, clock(), "n-1", "already used", sender="")
    guard.check(clock(), "n-1", sender="someone")


def test_nonces_are_compared_exactly(guard: ReplayGuard, clock: ManualClock) -> None:
    for nonce in ("abc", "ABC", "abc ", "ab", "abcd", "\uff41\uff42\uff43"):
        guard.check(clock(), nonce)
    assert len(guard) == 6


def test_timestamps_in_any_time_zone(guard: ReplayGuard, clock: ManualClock) -> None:
    tokyo = timezone(timedelta(hours=9))
    guard.check(clock().astimezone(tokyo), "n-1")
    refused(guard, clock(), "n-1", "already used")  # the same instant, written in UTC
    refused(guard, (clock() - WINDOW - TICK).astimezone(tokyo), "n-2", "(stale)")


# --- the window ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "fragment"),
    [
        (-WINDOW, None),
        (-WINDOW + TICK, None),
        (-WINDOW - TICK, "more than 0:05:00 ago (stale)"),
        (-timedelta(days=365), "(stale)"),
        (timedelta(0), None),
        (WINDOW - TICK, None),
        (WINDOW, None),
        (WINDOW + TICK, "more than 0:05:00 ahead of our clock"),
        (timedelta(days=365), "ahead of our clock"),
    ],
    ids=[
        "exactly window old",
        "just inside, past",
        "one microsecond too old",
        "a year old",
        "now",
        "just inside, future",
        "exactly window ahead",
        "one microsecond too far ahead",
        "a year ahead",
    ],
)
def test_window_edges(
    offset: timedelta, fragment: str | None, guard: ReplayGuard, clock: ManualClock
) -> None:
    timestamp = clock() + offset
    if fragment is None:
        guard.check(timestamp, "n")
        assert len(guard) == 1
    else:
        refused(guard, timestamp, "n", fragment)
        assert len(guard) == 0
        with pytest.raises(ReplayError) as excinfo:  # the message names the timestamp
            guard.check(timestamp, "n")
        assert timestamp.isoformat() in excinfo.value.message


def test_replay_at_the_window_edge_is_still_refused(guard: ReplayGuard, clock: ManualClock) -> None:
    """A nonce whose timestamp is exactly at the edge is still remembered: never a gap."""
    timestamp = clock() - WINDOW
    guard.check(timestamp, "edge")
    refused(guard, timestamp, "edge", "already used")
    clock.advance(TICK)  # now the timestamp alone refuses it
    refused(guard, timestamp, "edge", "(stale)")


def test_nonces_are_forgotten_after_the_window(guard: ReplayGuard, clock: ManualClock) -> None:
    for number in range(3):
        guard.check(clock(), f"old-{number}")
    assert len(guard) == 3

    clock.advance(WINDOW)  # exactly window later: still needed, still remembered
    guard.check(clock(), "new-0")
    assert len(guard) == 4
    refused(guard, T0, "old-0", "already used")

    clock.advance(TICK)  # past it: the old ones are dropped at the next check
    guard.check(clock(), "new-1")
    assert len(guard) == 2
    # and a replay of a forgotten nonce is refused by its timestamp
    for number in range(3):
        refused(guard, T0, f"old-{number}", "(stale)")
    assert len(guard) == 2


def test_future_timestamps_are_remembered_until_they_age_out(guard: ReplayGuard, clock: ManualClock) -> None:
    """A nonce signed ahead of our clock must outlive the usual window, or it could be replayed."""
    ahead = clock() + WINDOW
    guard.check(ahead, "early")
    clock.advance(WINDOW + WINDOW / 2)  # the timestamp is now 2.5 min in the past: acceptable
    guard.check(clock(), "other")  # triggers forgetting
    refused(guard, ahead, "early", "already used")
    clock.advance(WINDOW)  # 7.5 min in the past: refused by its timestamp, and forgotten
    guard.check(clock(), "another")
    refused(guard, ahead, "early", "(stale)")
    assert len(guard) == 2  # "other" (exactly window old) and "another"; "early" was dropped


def test_a_clock_that_steps_back(guard: ReplayGuard, clock: ManualClock) -> None:
    """A clock set back (NTP step) does not make the guard forget or accept a replay."""
    guard.check(clock(), "n-1")
    clock.advance(-timedelta(minutes=4))
    refused(guard, T0, "n-1", "already used")
    guard.check(clock(), "n-2")
    assert len(guard) == 2


def test_never_accepts_a_replay_property(clock: ManualClock) -> None:
    """Random traffic with replays, skewed timestamps and a moving clock.

    A signed message binds its nonce to its timestamp, so a replay repeats both: that is never
    accepted. A nonce reused with another timestamp is accepted only once the timestamp it was
    accepted with has left the window (the guard's documented contract). Every refusal is a
    ReplayError for a stated reason, and memory stays within what was accepted.
    """
    rng = random.Random(20260701)
    guard = ReplayGuard(window=WINDOW, max_nonces=10_000, clock=clock)
    seen: list[tuple[str, str, datetime]] = []
    accepted: dict[tuple[str, str], list[datetime]] = {}
    exact_replays_refused = 0
    for step in range(5_000):
        clock.advance(timedelta(milliseconds=rng.randrange(0, 400)))
        if seen and rng.random() < 0.3:
            sender, nonce, timestamp = rng.choice(seen)  # a replay, as sent or with a new timestamp
            if rng.random() < 0.5:
                timestamp = clock() + timedelta(seconds=rng.uniform(-400, 400))
        else:
            sender, nonce = rng.choice(("ven-a", "ven-b", "vtn")), f"n-{step}"
            timestamp = clock() + timedelta(seconds=rng.uniform(-400, 400))
        earlier = accepted.get((sender, nonce), [])
        error = outcome_of(guard, timestamp, nonce, sender=sender)
        if error is not None:
            reasons = ("already used", "(stale)", "ahead of our clock")
            assert any(reason in error.message for reason in reasons), error.message
            if not earlier:  # a first sighting is refused only for its time
                assert abs(timestamp - clock()) > WINDOW
            if timestamp in earlier:
                exact_replays_refused += 1
        else:
            assert timestamp not in earlier, f"{(sender, nonce, timestamp)} accepted twice"
            assert all(clock() - previous > WINDOW for previous in earlier), (sender, nonce)
            assert abs(timestamp - clock()) <= WINDOW
            accepted.setdefault((sender, nonce), []).append(timestamp)
        seen.append((sender, nonce, timestamp))
        assert len(guard) <= sum(map(len, accepted.values()))
    assert 1_000 < len(accepted) < 5_000
    assert exact_replays_refused > 100


# --- bounded memory ------------------------------------------------------------------------------


def test_full_of_live_nonces_it_fails_closed(clock: ManualClock) -> None:
    guard = ReplayGuard(window=WINDOW, max_nonces=3, clock=clock)
    for number in range(3):
        guard.check(clock(), f"n-{number}")
    refused(guard, clock(), "n-3", "more than 3 signed messages within 0:05:00: refused")
    refused(guard, clock(), "n-4", "rather than forget a nonce")
    assert len(guard) == 3
    # nothing live was forgotten to make room: the old nonces are still refused
    for number in range(3):
        refused(guard, clock(), f"n-{number}", "already used")
    # the refused nonce was not remembered: once there is room, it is accepted
    clock.advance(WINDOW + TICK)
    guard.check(clock(), "n-3")
    assert len(guard) == 1


def test_room_is_made_only_by_expiry(clock: ManualClock) -> None:
    guard = ReplayGuard(window=WINDOW, max_nonces=2, clock=clock)
    guard.check(clock() - timedelta(minutes=4), "older")
    guard.check(clock(), "newer")
    refused(guard, clock(), "third", "more than 2")
    clock.advance(timedelta(minutes=1, microseconds=1))  # "older" leaves the window, "newer" stays
    guard.check(clock(), "third")
    assert len(guard) == 2
    refused(guard, clock(), "fourth", "more than 2")
    refused(guard, clock(), "newer", "already used")


def test_max_nonces_of_one(clock: ManualClock) -> None:
    guard = ReplayGuard(window=timedelta(seconds=1), max_nonces=1, clock=clock)
    for number in range(10):
        guard.check(clock(), f"n-{number}")
        refused(guard, clock(), f"n-{number}", "already used")
        refused(guard, clock(), f"m-{number}", "more than 1")
        assert len(guard) == 1
        clock.advance(timedelta(seconds=1) + TICK)


def test_memory_stays_bounded_under_load(clock: ManualClock) -> None:
    """20,000 messages at 10 a second over a moving clock: the guard holds one window's worth."""
    step = timedelta(milliseconds=100)
    guard = ReplayGuard(window=WINDOW, clock=clock)
    per_window = WINDOW // step  # 3,000
    high_water = 0
    for number in range(20_000):
        guard.check(clock(), f"n-{number}", sender=f"ven-{number % 7}")
        high_water = max(high_water, len(guard))
        assert len(guard) <= per_window + 2
        clock.advance(step)
    assert per_window <= high_water <= per_window + 2
    assert len(guard) >= per_window


def test_memory_never_exceeds_max_nonces_under_overload(clock: ManualClock) -> None:
    """Three times the traffic the bound allows: the excess is refused, memory stays at the bound,
    and every accepted nonce is still refused when replayed within the window."""
    step = timedelta(milliseconds=100)
    guard = ReplayGuard(window=WINDOW, max_nonces=1_000, clock=clock)
    accepted: list[tuple[str, datetime]] = []
    refusals = 0
    for number in range(20_000):
        error = outcome_of(guard, clock(), f"n-{number}")
        if error is not None:
            assert "more than 1000 signed messages" in error.message
            refusals += 1
        else:
            accepted.append((f"n-{number}", clock()))
        assert len(guard) <= 1_000
        clock.advance(step)
    assert refusals > 10_000
    assert len(accepted) > 3_000  # room is made again as nonces age out
    for nonce, timestamp in accepted:
        if clock() - timestamp <= WINDOW:
            refused(guard, timestamp, nonce, "already used")


def test_concurrent_checks_accept_each_nonce_once(clock: ManualClock) -> None:
    guard = ReplayGuard(window=WINDOW, clock=clock)
    nonces = [f"n-{number}" for number in range(2_000)]
    wins: list[str] = []
    wins_lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        mine = []
        for nonce in nonces:
            try:
                guard.check(T0, nonce)
            except ReplayError:
                continue
            mine.append(nonce)
        with wins_lock:
            wins.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == sorted(nonces)
    assert len(guard) == len(nonces)


# --- refused input and configuration -------------------------------------------------------------


def test_naive_timestamp_is_refused(guard: ReplayGuard, clock: ManualClock) -> None:
    refused(guard, clock().replace(tzinfo=None), "n-1", "has no time zone")
    assert len(guard) == 0
    guard.check(clock(), "n-1")  # the nonce was not consumed


def test_empty_nonce_is_refused(guard: ReplayGuard, clock: ManualClock) -> None:
    refused(guard, clock(), "", "nonce is empty")
    refused(guard, clock(), "", "nonce is empty", sender="ven-a")
    assert len(guard) == 0


@pytest.mark.parametrize(
    "window", [timedelta(0), -TICK, -timedelta(minutes=5)], ids=["zero", "minus a microsecond", "negative"]
)
def test_window_must_be_positive(window: timedelta) -> None:
    with pytest.raises(ValueError, match="replay window must be positive"):
        ReplayGuard(window=window)


@pytest.mark.parametrize("max_nonces", [0, -1])
def test_max_nonces_must_be_at_least_one(max_nonces: int) -> None:
    with pytest.raises(ValueError, match="max_nonces must be at least 1"):
        ReplayGuard(max_nonces=max_nonces)


def test_defaults(clock: ManualClock) -> None:
    assert timedelta(minutes=5) == DEFAULT_REPLAY_WINDOW
    assert DEFAULT_MAX_NONCES == 100_000
    guard = ReplayGuard(clock=clock)
    assert guard.window == DEFAULT_REPLAY_WINDOW
    assert guard.max_nonces == DEFAULT_MAX_NONCES
    assert len(guard) == 0
    guard.check(clock() - DEFAULT_REPLAY_WINDOW, "edge")
    refused(guard, clock() - DEFAULT_REPLAY_WINDOW - TICK, "stale", "(stale)")


def test_the_smallest_window(clock: ManualClock) -> None:
    guard = ReplayGuard(window=TICK, max_nonces=1, clock=clock)
    guard.check(clock() + TICK, "n-1")
    refused(guard, clock() + 2 * TICK, "n-2", "ahead")
    refused(guard, clock() - 2 * TICK, "n-3", "stale")


def test_system_clock_by_default() -> None:
    guard = ReplayGuard()
    guard.check(datetime.now(UTC), "n-1")
    refused(guard, datetime.now(UTC) - timedelta(hours=1), "n-2", "(stale)")
