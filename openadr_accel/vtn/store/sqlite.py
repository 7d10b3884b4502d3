"""The embedded store: one SQLite file, through the standard library's ``sqlite3``.

The async methods run their statements at once, on the event loop's thread: an indexed SQLite
statement takes microseconds, less than a hop to a worker thread would. A store method therefore
never yields to the event loop, and a :meth:`SqliteStore.transaction` body that awaits only store
methods (the rule of :mod:`~openadr_accel.vtn.store.base`) runs without interruption.

Durability and sharing:

- The database is in WAL mode: readers never block the writer, and several processes on one
  machine can open the file (the VTN, and ``openadr-accel vtn ...`` admin commands while it runs).
- ``synchronous=NORMAL`` (the default) in WAL mode loses nothing when the process is killed
  (SIGKILL, a crash): a write is in the WAL, in the operating system's cache, when the method
  returns. Surviving a power loss or an operating-system crash needs ``synchronous="FULL"``,
  which syncs the WAL at every commit (slower writes).
- A write waits up to 5 s (``busy_timeout``) for another process that holds the write lock,
  then raises :class:`~.errors.StoreUnavailableError`. While it waits, the event loop waits too.
- Every write outside a transaction commits at once; :meth:`SqliteStore.transaction` runs
  ``BEGIN IMMEDIATE ... COMMIT`` (``ROLLBACK`` on an exception), and a nested transaction of the
  same task joins the running one.
- :meth:`SqliteStore.dequeue` and :meth:`SqliteStore.claim_push` are single statements for the
  write, so two processes never get the same message.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from ._rows import CLAIMABLE, MESSAGE_COLUMNS, SQLITE, Row, SqlStore, Statements, utc
from .errors import StoreUnavailableError
from .records import QueuedMessage

__all__ = ["SqliteStore"]

_SCHEMA_VERSION = 2
"""The schema this version writes (``PRAGMA user_version``). 1: the first; 2: report requests keep
the requestIDs of the messages that carried and cancelled them (``create_request_id``,
``cancel_request_id``). An older file is upgraded when it is opened."""
_BUSY_TIMEOUT_MS = 5000
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_MEMORY = ":memory:"

_CLAIM_PROBE = f"SELECT q.id {CLAIMABLE} LIMIT 1"
_CLAIM = (
    f"UPDATE vtn_queue SET lease_until = ? WHERE id IN (SELECT q.id {CLAIMABLE} ORDER BY q.id LIMIT ?) "
    f"RETURNING {MESSAGE_COLUMNS}"
)

_UNAVAILABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_NOTADB,
        sqlite3.SQLITE_CORRUPT,
    }
)


def _check_not_newer(version: int) -> None:
    if version > _SCHEMA_VERSION:
        raise StoreUnavailableError(
            f"written by a newer version (schema {version}; this one knows {_SCHEMA_VERSION})"
        )


class SqliteStore(SqlStore):
    """The :class:`~.base.Store` in one SQLite file (see the module docstring).

    Args:
        path: the database file, created with its tables if it does not exist.
        synchronous: SQLite's ``PRAGMA synchronous``: ``"NORMAL"`` survives a killed process,
            ``"FULL"`` also a power loss; ``"OFF"`` and ``"EXTRA"`` are accepted too.
    """

    _sql: ClassVar[Statements] = Statements()

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "NORMAL") -> None:
        mode = synchronous.upper()
        if mode not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, got {synchronous!r}")
        self._path = os.fspath(path)
        self._synchronous = mode
        self._connection: sqlite3.Connection | None = None
        self._depth = 0
        self._owner: asyncio.Task[Any] | None = None
        self._lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        """The database file."""
        return Path(self._path)

    def __repr__(self) -> str:
        return f"SqliteStore({self._path!r})"

    # -- lifecycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the file (creating it and its tables if needed); does nothing if open.

        Raises:
            StoreUnavailableError: the file cannot be opened, created or written, or another
                process held its write lock for more than 5 s.
        """
        if self._connection is not None:
            return
        connection: sqlite3.Connection | None = None
        try:
            connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, cached_statements=256
            )
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            journal = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if journal != "wal" and not (journal == "memory" and self._path in (_MEMORY, "")):
                raise StoreUnavailableError(f"{self._path}: WAL journal mode is not available ({journal})")
            connection.execute(f"PRAGMA synchronous = {self._synchronous}")
            connection.execute("PRAGMA foreign_keys = ON")
            self._create_schema(connection)
        except sqlite3.Error as exc:
            if connection is not None:
                connection.close()
            raise StoreUnavailableError(f"cannot open the SQLite store {self._path}: {exc}") from exc
        except BaseException:
            if connection is not None:
                connection.close()
            raise
        self._connection = connection
        self._depth = 0
        self._owner = None
        self._lock = asyncio.Lock()

    @staticmethod
    def _create_schema(connection: sqlite3.Connection) -> None:
        """Create the tables of a new file, or upgrade those of an older schema (``PRAGMA
        user_version``): version 1 lacks the columns of :data:`~._rows.ADDED_COLUMNS`, which
        ``ALTER TABLE`` adds (the rows keep their data; the new columns read as None)."""
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == _SCHEMA_VERSION:
            return
        _check_not_newer(version)
        connection.execute("BEGIN IMMEDIATE")
        try:
            # read again under the write lock: another process may have upgraded the file meanwhile
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            _check_not_newer(version)
            if version < _SCHEMA_VERSION:
                if version > 0:  # the tables exist, in an older shape
                    for statement in SQLITE.added_columns(since=version):
                        connection.execute(statement)
                for statement in SQLITE.ddl():
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    async def close(self) -> None:
        """Close the file; the store can be opened again."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _open_connection(self) -> sqlite3.Connection:
        connection = self._connection
        if connection is None:
            raise StoreUnavailableError(f"the SQLite store {self._path} is not open")
        return connection

    # -- transactions ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` when the body raises.

        Inside a transaction of the same task, joins it: its writes commit or roll back with the
        outer body's. Another task waits until the running transaction ends.
        """
        task = asyncio.current_task()
        if self._depth and self._owner is task:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        async with self._lock:
            connection = self._open_connection()
            self._cursor("BEGIN IMMEDIATE", ())
            self._depth, self._owner = 1, task
            try:
                yield
            except BaseException:
                self._depth, self._owner = 0, None
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            self._depth, self._owner = 0, None
            try:
                self._cursor("COMMIT", ())
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    # -- primitives ------------------------------------------------------------------------------

    def _ts(self, value: datetime) -> object:
        return utc(value).isoformat(timespec="microseconds")

    def _dt(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def _cursor(self, sql: str, args: Sequence[object]) -> sqlite3.Cursor:
        connection = self._open_connection()
        try:
            return connection.execute(sql, args)
        except sqlite3.Error as exc:
            self._raise_unavailable(exc)
            raise

    def _raise_unavailable(self, exc: sqlite3.Error) -> None:
        """Raise :class:`StoreUnavailableError` for an error of the file or its locks (not of SQL)."""
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _UNAVAILABLE_CODES:
            raise StoreUnavailableError(f"the SQLite store {self._path} cannot be used: {exc}") from exc

    async def _execute(self, sql: str, args: Sequence[object]) -> int:
        return self._cursor(sql, args).rowcount

    async def _executemany(self, sql: str, args: Iterable[Sequence[object]]) -> None:
        connection = self._open_connection()
        try:
            connection.executemany(sql, args)
        except sqlite3.Error as exc:
            self._raise_unavailable(exc)
            raise

    async def _fetch(self, sql: str, args: Sequence[object]) -> Sequence[Row]:
        return self._cursor(sql, args).fetchall()

    async def _fetchrow(self, sql: str, args: Sequence[object]) -> Row | None:
        row: Row | None = self._cursor(sql, args).fetchone()
        return row

    # -- the queue -------------------------------------------------------------------------------

    async def dequeue(self, ven_id: str) -> QueuedMessage | None:
        """Remove and return the oldest message waiting for a VEN, or None.

        One indexed read when the queue is empty (nothing written, no lock taken); with a message,
        a delete by ID that only one connection can win (a loser tries the next message).
        """
        while True:
            row = await self._fetchrow(self._sql.queue_head, (ven_id,))
            if row is None:
                return None
            if await self._execute(self._sql.delete_message, (row[0],)):
                return self._message(row)

    async def claim_push(self, *, now: datetime, lease_until: datetime, limit: int) -> list[QueuedMessage]:
        """Claim up to ``limit`` messages due for a push (the head of each registered push VEN's
        queue, oldest first), leased until ``lease_until``; one ``UPDATE`` claims them all."""
        stamp = self._ts(now)
        if limit <= 0 or await self._fetchrow(_CLAIM_PROBE, (stamp, stamp)) is None:
            return []  # nothing due: no write, no lock
        return self._messages(await self._fetch(_CLAIM, (self._ts(lease_until), stamp, stamp, limit)))
