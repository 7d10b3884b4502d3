"""The shared store: PostgreSQL through an asyncpg pool, for several VTN processes and machines.

Install the ``postgres`` extra (``asyncpg``).

- Every store method outside a transaction runs on a pooled connection and commits at once.
- :meth:`PostgresStore.transaction` takes one connection from the pool and starts a transaction;
  every store method the same task calls inside it runs on that connection (a
  :class:`~contextvars.ContextVar` holds it). Tasks started inside it use the pool as usual.
- :meth:`PostgresStore.dequeue` and :meth:`PostgresStore.claim_push` lock the rows they take with
  ``FOR UPDATE SKIP LOCKED``: processes polling at once never get the same message and never wait
  for each other.
- ``schema`` keeps the tables in their own PostgreSQL schema (created if missing); otherwise they
  go where the connection's ``search_path`` puts them (normally ``public``).
- Connection problems (refused, dropped, authentication, an unknown database, a server shutting
  down) surface as :class:`~.errors.StoreUnavailableError`, with asyncpg's error as the cause.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import asyncpg  # type: ignore[import-untyped]

from ._rows import CLAIMABLE, MESSAGE_COLUMNS, POSTGRES, Row, SqlStore, Statements, numbered, utc
from .errors import StoreUnavailableError
from .records import QueuedMessage

__all__ = ["PostgresStore"]

_DDL_LOCK = 0x6F61_6472_5F76_746E  # pg_advisory_xact_lock key: creating the tables one process at a time

_DEQUEUE = numbered(
    f"DELETE FROM vtn_queue WHERE id = (SELECT id FROM vtn_queue WHERE ven_id = ? ORDER BY id LIMIT 1 "
    f"FOR UPDATE SKIP LOCKED) RETURNING {MESSAGE_COLUMNS}"
)
_CLAIM = numbered(
    f"UPDATE vtn_queue AS u SET lease_until = ? "
    f"FROM (SELECT q.id {CLAIMABLE} ORDER BY q.id LIMIT ? FOR UPDATE OF q SKIP LOCKED) AS c "
    f"WHERE u.id = c.id RETURNING {', '.join(f'u.{name.strip()}' for name in MESSAGE_COLUMNS.split(','))}"
)

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, reset, timed out
    asyncpg.PostgresConnectionError,  # class 08, and the connection was closed
    asyncpg.ClientCannotConnectError,
    asyncpg.CannotConnectNowError,  # starting up
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InvalidAuthorizationSpecificationError,  # unknown role, wrong password, pg_hba
    asyncpg.InvalidCatalogNameError,  # no such database
)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class _Transaction:
    connection: Any
    task: asyncio.Task[Any] | None


class PostgresStore(SqlStore):
    """The :class:`~.base.Store` in PostgreSQL (see the module docstring).

    Args:
        dsn: a libpq connection URI or keyword string (``postgresql://user@host:5432/db``).
        min_size: the least number of connections in the pool.
        max_size: the most connections in the pool.
        schema: the PostgreSQL schema that holds the tables (created if missing), or None for the
            connection's ``search_path``.
    """

    _sql: ClassVar[Statements] = Statements().numbered()

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10, schema: str | None = None) -> None:
        self._dsn = dsn
        self._min_size = min_size
        self._max_size = max_size
        self._schema = schema
        self._pool: Any = None
        self._current: ContextVar[_Transaction | None] = ContextVar(
            f"openadr_accel.vtn.store.postgres.transaction.{id(self):x}", default=None
        )

    @property
    def schema(self) -> str | None:
        """The schema that holds the tables, if one was given."""
        return self._schema

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self._schema!r})"

    # -- lifecycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the pool and the tables (and the schema) if they do not exist, and add the
        columns a newer version added (``ADDED_COLUMNS`` in ``openadr_accel.vtn.store._rows``) to
        tables an older version created (``ADD COLUMN IF NOT EXISTS``); does nothing if open.

        Raises:
            StoreUnavailableError: the server cannot be reached or refuses the connection.
        """
        if self._pool is not None:
            return
        settings = None if self._schema is None else {"search_path": _quote(self._schema)}
        try:
            pool = await asyncpg.create_pool(
                self._dsn, min_size=self._min_size, max_size=self._max_size, server_settings=settings
            )
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock($1)", _DDL_LOCK)
                if self._schema is not None:
                    await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(self._schema)}")
                for statement in POSTGRES.tables():
                    await connection.execute(statement)
                # tables an older version created lack the columns added since: add them
                for statement in POSTGRES.added_columns(since=1, if_not_exists=True):
                    await connection.execute(statement)
                for statement in POSTGRES.indexes():
                    await connection.execute(statement)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, _UNAVAILABLE):
                raise StoreUnavailableError(f"cannot prepare the PostgreSQL store: {exc}") from exc
            raise
        self._pool = pool

    async def close(self) -> None:
        """Close the pool; the store can be opened again."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def _open_pool(self) -> Any:
        pool = self._pool
        if pool is None:
            raise StoreUnavailableError("the PostgreSQL store is not open")
        return pool

    def _executor(self) -> Any:
        """The current task's transaction connection, or the pool."""
        current = self._current.get()
        if current is not None and current.task is asyncio.current_task():
            return current.connection
        return self._open_pool()

    # -- transactions ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction on one pooled connection, used by every store call of this task inside
        it; rolled back when the body raises. Inside a transaction of the same task, joins it."""
        task = asyncio.current_task()
        current = self._current.get()
        if current is not None and current.task is task:
            yield
            return
        pool = self._open_pool()
        try:
            connection = await pool.acquire()
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"cannot reach PostgreSQL: {exc}") from exc
        try:
            transaction = connection.transaction()
            try:
                await transaction.start()
            except _UNAVAILABLE as exc:
                raise StoreUnavailableError(f"cannot reach PostgreSQL: {exc}") from exc
            token = self._current.set(_Transaction(connection, task))
            try:
                yield
            except BaseException:
                self._current.reset(token)
                with contextlib.suppress(*_UNAVAILABLE):  # a lost connection took the transaction along
                    await transaction.rollback()
                raise
            self._current.reset(token)
            try:
                await transaction.commit()
            except _UNAVAILABLE as exc:
                raise StoreUnavailableError(f"PostgreSQL failed during commit: {exc}") from exc
        finally:
            await pool.release(connection)

    # -- primitives ------------------------------------------------------------------------------

    def _ts(self, value: datetime) -> object:
        return utc(value)

    def _dt(self, value: Any) -> datetime:
        return utc(value)

    async def _execute(self, sql: str, args: Sequence[object]) -> int:
        try:
            status: str = await self._executor().execute(sql, *args)
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"PostgreSQL is unavailable: {exc}") from exc
        return int(status.rsplit(" ", 1)[-1])

    async def _executemany(self, sql: str, args: Iterable[Sequence[object]]) -> None:
        try:
            await self._executor().executemany(sql, args)
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"PostgreSQL is unavailable: {exc}") from exc

    async def _fetch(self, sql: str, args: Sequence[object]) -> Sequence[Row]:
        try:
            rows: Sequence[Row] = await self._executor().fetch(sql, *args)
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"PostgreSQL is unavailable: {exc}") from exc
        return rows

    async def _fetchrow(self, sql: str, args: Sequence[object]) -> Row | None:
        try:
            row: Row | None = await self._executor().fetchrow(sql, *args)
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"PostgreSQL is unavailable: {exc}") from exc
        return row

    # -- the queue -------------------------------------------------------------------------------

    async def dequeue(self, ven_id: str) -> QueuedMessage | None:
        """Remove and return the oldest message waiting for a VEN that no other connection is
        taking at this moment, or None: one statement."""
        row = await self._fetchrow(_DEQUEUE, (ven_id,))
        return None if row is None else self._message(row)

    async def claim_push(self, *, now: datetime, lease_until: datetime, limit: int) -> list[QueuedMessage]:
        """Claim up to ``limit`` messages due for a push (the head of each registered push VEN's
        queue, oldest first), leased until ``lease_until``; rows other processes are claiming at
        this moment are skipped."""
        if limit <= 0:
            return []
        stamp = self._ts(now)
        return self._messages(await self._fetch(_CLAIM, (self._ts(lease_until), stamp, stamp, limit)))
