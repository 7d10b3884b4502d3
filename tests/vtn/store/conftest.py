"""Stores for the store tests: ``store`` runs a test against SQLite and against PostgreSQL.

- ``open_store``: opens another store on the same database as ``store`` (the same SQLite file,
  or the same PostgreSQL schema), the way a second process would; every store opened is closed
  at the end (and the PostgreSQL schema dropped).
- ``open_sqlite`` / ``open_pg``: the same for one implementation, passing keyword arguments on
  to its constructor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pg import drop_schema, new_schema_name, pg_dsn_or_skip

from openadr_accel.vtn.store import Store
from openadr_accel.vtn.store.postgres import PostgresStore
from openadr_accel.vtn.store.sqlite import SqliteStore

StoreOpener = Callable[..., Awaitable[Store]]
S = TypeVar("S", bound=Store)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """The SQLite file of ``open_sqlite``."""
    return tmp_path / "vtn.db"


@asynccontextmanager
async def _opening(make: Callable[..., S]) -> AsyncIterator[Callable[..., Awaitable[S]]]:
    """An opener of stores made by ``make`` (keyword arguments passed on); closes them all at
    the end of the block."""
    opened: list[S] = []

    async def open_store(**options: Any) -> S:
        store = make(**options)
        await store.open()
        opened.append(store)
        return store

    try:
        yield open_store
    finally:
        for store in opened:
            await store.close()


@pytest.fixture
async def open_sqlite(sqlite_path: Path) -> AsyncIterator[Callable[..., Awaitable[SqliteStore]]]:
    """Opens SqliteStores on ``sqlite_path``."""
    async with _opening(lambda **options: SqliteStore(sqlite_path, **options)) as opener:
        yield opener


@pytest.fixture
async def pg_schema() -> AsyncIterator[tuple[str, str]]:
    """``(dsn, schema)``: a schema name of this test's own (the store creates it), dropped with
    everything in it afterwards. Skips without the server (see ``tests/pg.py``)."""
    dsn = pg_dsn_or_skip()
    schema = new_schema_name("store")
    try:
        yield dsn, schema
    finally:
        await drop_schema(dsn, schema)


@pytest.fixture
async def open_pg(pg_schema: tuple[str, str]) -> AsyncIterator[Callable[..., Awaitable[PostgresStore]]]:
    """Opens PostgresStores (each with its own pool, like separate processes) on ``pg_schema``."""
    dsn, schema = pg_schema
    async with _opening(lambda **options: PostgresStore(dsn, schema=schema, **options)) as opener:
        yield opener


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_store(request: pytest.FixtureRequest) -> StoreOpener:
    """Opens stores of one implementation (the parameter) on one database."""
    opener: StoreOpener = request.getfixturevalue("open_sqlite" if request.param == "sqlite" else "open_pg")
    return opener


@pytest.fixture
async def store(open_store: StoreOpener) -> Store:
    """An open, empty store: a SqliteStore, then a PostgresStore."""
    return await open_store()
