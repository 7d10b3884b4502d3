"""PostgreSQL for the tests: which server, skipping (or failing) without it, fresh schemas.

The server is ``postgresql://postgres@127.0.0.1:5432/test`` (trust authentication) unless
``OPENADR_ACCEL_PG_DSN`` names another. A test that needs it calls :func:`pg_dsn_or_skip` (and
carries ``@pytest.mark.postgres``): it is skipped when the server cannot be reached, or fails
when ``OPENADR_ACCEL_REQUIRE_PG=1`` (CI, where a missing server is an error, not a reason to skip).

Each test works in a schema of its own (:func:`new_schema_name`), dropped afterwards
(:func:`drop_schema`, or :func:`fresh_schema` for both). A process that only takes a DSN (a VTN
started by the command line) gets the schema through :func:`dsn_with_search_path`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import pytest

__all__ = [
    "DEFAULT_DSN",
    "create_schema",
    "drop_schema",
    "dsn_with_search_path",
    "fresh_schema",
    "new_schema_name",
    "pg_dsn",
    "pg_dsn_or_skip",
    "pg_required",
    "pg_unreachable_reason",
]

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
_CONNECT_TIMEOUT = 5.0

_probed: dict[str, str | None] = {}


def pg_dsn() -> str:
    """The DSN of the test server (``OPENADR_ACCEL_PG_DSN``, else :data:`DEFAULT_DSN`)."""
    return os.environ.get("OPENADR_ACCEL_PG_DSN") or DEFAULT_DSN


def pg_required() -> bool:
    """Whether a missing server fails the tests (``OPENADR_ACCEL_REQUIRE_PG=1``) instead of
    skipping them."""
    return os.environ.get("OPENADR_ACCEL_REQUIRE_PG") == "1"


def _probe(dsn: str) -> str | None:
    """Connect once; None on success, else why not. Runs its own event loop in a thread, so it
    works from synchronous code and from inside a running loop alike."""
    outcome: list[str | None] = []

    async def connect() -> None:
        connection = await asyncpg.connect(dsn, timeout=_CONNECT_TIMEOUT)
        await connection.close()

    def run() -> None:
        try:
            asyncio.run(connect())
        except Exception as exc:  # any failure means "not usable"
            outcome.append(f"{type(exc).__name__}: {exc}")
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, name="pg-probe", daemon=True)
    thread.start()
    thread.join(_CONNECT_TIMEOUT * 2)
    return outcome[0] if outcome else "no answer within the connect timeout"


def pg_unreachable_reason(dsn: str | None = None) -> str | None:
    """Why the server cannot be used (probed once per DSN and session), or None if it can."""
    dsn = dsn or pg_dsn()
    if dsn not in _probed:
        _probed[dsn] = _probe(dsn)
    return _probed[dsn]


def pg_dsn_or_skip() -> str:
    """The test server's DSN; skips the calling test when the server cannot be reached (fails
    instead with ``OPENADR_ACCEL_REQUIRE_PG=1``)."""
    dsn = pg_dsn()
    reason = pg_unreachable_reason(dsn)
    if reason is not None:
        where = urlsplit(dsn).netloc.rpartition("@")[2] or dsn
        message = f"PostgreSQL at {where} is not reachable ({reason})"
        if pg_required():
            pytest.fail(f"{message}, and OPENADR_ACCEL_REQUIRE_PG=1 requires it")
        pytest.skip(f"{message}; set OPENADR_ACCEL_PG_DSN to use another server")
    return dsn


def new_schema_name(prefix: str = "test") -> str:
    """A schema name no other test uses (``<prefix>_<random hex>``)."""
    return f"{prefix}_{secrets.token_hex(6)}"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _run(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=_CONNECT_TIMEOUT)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_schema(dsn: str, schema: str) -> None:
    """Create ``schema`` if it does not exist."""
    await _run(dsn, f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")


async def drop_schema(dsn: str, schema: str) -> None:
    """Drop ``schema`` and everything in it, if it exists."""
    await _run(dsn, f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")


@asynccontextmanager
async def fresh_schema(dsn: str, prefix: str = "test") -> AsyncIterator[str]:
    """A new, empty schema for the block, dropped with its contents afterwards."""
    schema = new_schema_name(prefix)
    await create_schema(dsn, schema)
    try:
        yield schema
    finally:
        await drop_schema(dsn, schema)


def dsn_with_search_path(dsn: str, schema: str) -> str:
    """``dsn`` with ``search_path`` set to ``schema`` (asyncpg passes unknown URI query
    parameters to the server as settings), for code that takes only a DSN."""
    parts = urlsplit(dsn)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))
