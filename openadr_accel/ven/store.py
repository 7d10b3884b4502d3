"""What a VEN keeps across restarts, in one SQLite file: its registration, its events, its opts.

A restarted VEN reads its registration (vtnID, venID, registrationID, the VTN's poll frequency)
and carries on polling without registering again; it reads the events it knows with the answer
it gave to each version, so it neither answers a version twice nor loses an opt decision; it
reads the last moment of each event its scheduler reported, so lifecycle callbacks are not
repeated either.

Statements run on the caller's thread, at once: each is an indexed statement on a small table,
a few microseconds, less than a hop to a worker thread. Every write commits at once, in WAL
mode with ``synchronous=NORMAL``: a write that returned survives a killed process.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..model import OadrCreateOpt, OadrEvent, OptType
from ..xml.stored import (
    StoreCorruptError,
    dump_event,
    dump_opt,
    dump_report_request,
    load_event,
    load_opt,
    load_report_request,
)
from .reports import ActiveReportRequest

__all__ = ["KnownEvent", "Registration", "VenStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ven_registration (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    vtn_id TEXT NOT NULL,
    ven_id TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    poll_seconds REAL
);
CREATE TABLE IF NOT EXISTS ven_events (
    event_id TEXT PRIMARY KEY,
    document BLOB NOT NULL,
    opt_type TEXT,
    start_offset REAL NOT NULL,
    reported_until TEXT,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS ven_opts (
    opt_id TEXT PRIMARY KEY,
    document BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS ven_report_requests (
    report_request_id TEXT PRIMARY KEY,
    document BLOB NOT NULL,
    state TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """The VEN's registration with its VTN.

    Attributes:
        poll_frequency: the VTN's ``oadrRequestedOadrPollFreq`` (None if it sent none).
    """

    vtn_id: str
    ven_id: str
    registration_id: str
    poll_frequency: timedelta | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownEvent:
    """An event the VEN knows, in the version it last accepted.

    Attributes:
        opt_type: the VEN's decision on this version (None: not decided, e.g. refused).
        start_offset: the randomized delay of its start, chosen once per version.
        reported_until: the instant up to which its moments were reported to the handlers.
        finished_at: when it ended or was cancelled (None while pending or active).
    """

    event: OadrEvent
    opt_type: OptType | None
    start_offset: timedelta
    reported_until: datetime | None = None
    finished_at: datetime | None = None

    @property
    def event_id(self) -> str:
        """The event's eventID."""
        return self.event.ei_event.event_descriptor.event_id


class VenStore:
    """The VEN's SQLite file (see the module docstring).

    Args:
        path: the database file, created with its tables if it does not exist; ``":memory:"``
            keeps everything in memory (lost at exit).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    # -- registration --------------------------------------------------------------------------

    def registration(self) -> Registration | None:
        """The stored registration, or None when the VEN is not registered."""
        row = self._db.execute(
            "SELECT vtn_id, ven_id, registration_id, poll_seconds FROM ven_registration"
        ).fetchone()
        if row is None:
            return None
        poll = None if row[3] is None else timedelta(seconds=row[3])
        return Registration(vtn_id=row[0], ven_id=row[1], registration_id=row[2], poll_frequency=poll)

    def save_registration(self, registration: Registration) -> None:
        """Keep ``registration`` (replacing any earlier one)."""
        poll = registration.poll_frequency
        self._db.execute(
            "INSERT OR REPLACE INTO ven_registration (id, vtn_id, ven_id, registration_id, poll_seconds) "
            "VALUES (1, ?, ?, ?, ?)",
            (
                registration.vtn_id,
                registration.ven_id,
                registration.registration_id,
                None if poll is None else poll.total_seconds(),
            ),
        )

    def forget_registration(self) -> None:
        """Drop the registration and everything that belonged to it (events, opts, reports)."""
        with self._transaction():
            for table in ("ven_registration", "ven_events", "ven_opts", "ven_report_requests"):
                self._db.execute(f"DELETE FROM {table}")

    # -- events --------------------------------------------------------------------------------

    def events(self) -> dict[str, KnownEvent]:
        """Every known event, by eventID."""
        rows = self._db.execute(
            "SELECT document, opt_type, start_offset, reported_until, finished_at FROM ven_events"
        ).fetchall()
        known = {}
        for document, opt_type, offset, reported, finished in rows:
            event = load_event(document)
            known[event.ei_event.event_descriptor.event_id] = KnownEvent(
                event=event,
                opt_type=None if opt_type is None else OptType(opt_type),
                start_offset=timedelta(seconds=offset),
                reported_until=_read_time(reported),
                finished_at=_read_time(finished),
            )
        return known

    def save_event(self, known: KnownEvent) -> None:
        """Keep ``known`` (replacing the earlier version of the same event)."""
        self._db.execute(
            "INSERT OR REPLACE INTO ven_events (event_id, document, opt_type, start_offset, "
            "reported_until, finished_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                known.event_id,
                dump_event(known.event),
                None if known.opt_type is None else known.opt_type.value,
                known.start_offset.total_seconds(),
                _write_time(known.reported_until),
                _write_time(known.finished_at),
            ),
        )

    def mark_reported(self, event_id: str, until: datetime, *, finished: bool = False) -> None:
        """Record that the event's moments up to ``until`` were reported (and whether it is over)."""
        if finished:
            self._db.execute(
                "UPDATE ven_events SET reported_until = ?, finished_at = COALESCE(finished_at, ?) "
                "WHERE event_id = ?",
                (_write_time(until), _write_time(until), event_id),
            )
        else:
            self._db.execute(
                "UPDATE ven_events SET reported_until = ? WHERE event_id = ?", (_write_time(until), event_id)
            )

    def delete_event(self, event_id: str) -> None:
        """Forget one event."""
        self._db.execute("DELETE FROM ven_events WHERE event_id = ?", (event_id,))

    def forget_finished(self, cutoff: datetime) -> int:
        """Forget events that finished at or before ``cutoff``; how many were forgotten."""
        cursor = self._db.execute(
            "DELETE FROM ven_events WHERE finished_at IS NOT NULL AND finished_at <= ?",
            (_write_time(cutoff),),
        )
        return cursor.rowcount

    # -- opts ----------------------------------------------------------------------------------

    def opts(self) -> dict[str, OadrCreateOpt]:
        """The VEN's opts in force, by optID."""
        found = {}
        for (document,) in self._db.execute("SELECT document FROM ven_opts"):
            opt = load_opt(document)
            found[opt.opt_id] = opt
        return found

    def save_opt(self, opt: OadrCreateOpt) -> None:
        """Keep ``opt`` (an opt with the same optID is replaced, as the VTN replaces it)."""
        self._db.execute(
            "INSERT OR REPLACE INTO ven_opts (opt_id, document) VALUES (?, ?)", (opt.opt_id, dump_opt(opt))
        )

    def delete_opt(self, opt_id: str) -> bool:
        """Forget one opt; False if there was none with that optID."""
        return self._db.execute("DELETE FROM ven_opts WHERE opt_id = ?", (opt_id,)).rowcount > 0

    # -- report requests -----------------------------------------------------------------------

    def report_requests(self) -> list[ActiveReportRequest]:
        """The report requests the VEN serves, in the order they were stored."""
        rows = self._db.execute("SELECT document, state FROM ven_report_requests ORDER BY rowid").fetchall()
        try:
            return [ActiveReportRequest.from_stored(load_report_request(doc), state) for doc, state in rows]
        except ValueError as exc:
            raise StoreCorruptError(f"a stored report request cannot be read: {exc}") from exc

    def replace_report_requests(self, requests: Iterable[ActiveReportRequest]) -> None:
        """Keep exactly ``requests`` (the reports module's snapshot)."""
        with self._transaction():
            self._db.execute("DELETE FROM ven_report_requests")
            self._db.executemany(
                "INSERT INTO ven_report_requests (report_request_id, document, state) VALUES (?, ?, ?)",
                [
                    (item.request.report_request_id, dump_report_request(item.request), item.state)
                    for item in requests
                ],
            )

    # -- plumbing ------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE ... COMMIT``, ``ROLLBACK`` on an exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _write_time(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


def _read_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise StoreCorruptError(f"a stored time cannot be read: {text!r}") from exc
