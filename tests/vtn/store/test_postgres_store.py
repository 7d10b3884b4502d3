"""What only the PostgreSQL store does: several processes on one database, a pool, schemas.

Two :class:`PostgresStore` instances on one schema have two pools: they stand in for two VTN
processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import pytest
from pg import dsn_with_search_path, fresh_schema, new_schema_name, pg_dsn_or_skip
from samples import report_request

from openadr_accel.vtn.store import (
    MessageKind,
    QueuedMessage,
    ReportRequestRecord,
    ReportRequestState,
    VenRecord,
)
from openadr_accel.vtn.store.errors import StoreUnavailableError
from openadr_accel.vtn.store.postgres import PostgresStore

PgOpener = Callable[..., Awaitable[PostgresStore]]

T0 = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
VEN = VenRecord(ven_id="ven-1", registration_id="reg-1", ven_name="EVSE 1", registered_at=T0)
TABLES = {
    "vtn_vens",
    "vtn_events",
    "vtn_event_responses",
    "vtn_opts",
    "vtn_queue",
    "vtn_report_capabilities",
    "vtn_report_requests",
    "vtn_report_data",
}


def push_ven(ven_id: str) -> VenRecord:
    return VenRecord(
        ven_id=ven_id, registration_id=f"reg-{ven_id}", http_pull_model=False, transport_address="http://x"
    )


class Boom(Exception):
    pass


# -- several processes -------------------------------------------------------------------------


@pytest.mark.postgres
async def test_concurrent_dequeues_hand_out_each_message_once(open_pg: PgOpener) -> None:
    first, second = await open_pg(max_size=8), await open_pg(max_size=8)
    async with first.transaction():
        positions = [
            await first.enqueue("ven-1", MessageKind.PAYLOAD, str(n).encode(), now=T0) for n in range(200)
        ]
    taken: list[QueuedMessage] = []
    for _ in range(100):  # rounds of 32 dequeues at once, 16 through each pool, until the queue is empty
        results = await asyncio.gather(
            *(store.dequeue("ven-1") for store in (first, second) for _ in range(16))
        )
        found = [message for message in results if message is not None]
        if not found:
            break
        taken.extend(found)
    ids = [message.id for message in taken]
    assert len(ids) == len(set(ids))  # never the same message twice
    assert sorted(ids) == positions  # and none lost
    assert {message.body for message in taken} == {str(n).encode() for n in range(200)}
    assert await first.list_queue("ven-1") == []


@pytest.mark.postgres
async def test_concurrent_claims_respect_leases_across_stores(open_pg: PgOpener) -> None:
    first, second = await open_pg(max_size=6), await open_pg(max_size=6)
    heads: dict[str, int | None] = {}
    async with first.transaction():
        for n in range(30):
            ven_id = f"ven-{n:02}"
            await first.save_ven(push_ven(ven_id))
            heads[ven_id] = await first.enqueue(ven_id, MessageKind.PAYLOAD, b"first", now=T0)
            await first.enqueue(ven_id, MessageKind.PAYLOAD, b"second", now=T0)
    lease = T0 + timedelta(seconds=60)

    async def claim_all(now: datetime, lease_until: datetime) -> list[QueuedMessage]:
        claimed: list[QueuedMessage] = []
        for _ in range(50):
            batches = await asyncio.gather(
                *(
                    store.claim_push(now=now, lease_until=lease_until, limit=3)
                    for store in (first, second)
                    for _ in range(6)
                )
            )
            found = [message for batch in batches for message in batch]
            if not found:
                break
            claimed.extend(found)
        return claimed

    claimed = await claim_all(T0, lease)
    assert sorted(message.id for message in claimed) == sorted(heads.values())  # each head once
    assert {message.ven_id: message.id for message in claimed} == heads
    # leased: neither store hands them (or the second messages) out before the lease ends
    before = lease - timedelta(seconds=1)
    assert await first.claim_push(now=before, lease_until=before + timedelta(seconds=60), limit=100) == []
    assert await second.claim_push(now=before, lease_until=before + timedelta(seconds=60), limit=100) == []
    # after it, each once again
    again = await claim_all(lease, lease + timedelta(seconds=60))
    assert sorted(message.id for message in again) == sorted(heads.values())


# -- transactions on the pool ------------------------------------------------------------------


@pytest.mark.postgres
async def test_transaction_rolls_back_on_its_pooled_connection(open_pg: PgOpener) -> None:
    store, other = await open_pg(max_size=4), await open_pg()
    await store.save_ven(VEN)

    async def body() -> None:
        async with store.transaction():
            await store.save_ven(replace(VEN, ven_name="changed"))
            for n in range(10):  # more calls than the pool has connections
                await store.enqueue("ven-1", MessageKind.PAYLOAD, bytes([n]), now=T0)
            # the same task reads its own uncommitted writes: every call ran on one connection
            inside = await store.get_ven("ven-1")
            assert inside is not None
            assert inside.ven_name == "changed"
            assert len(await store.list_queue("ven-1")) == 10
            assert await other.get_ven("ven-1") == VEN
            raise Boom

    with pytest.raises(Boom):
        await body()
    assert await store.get_ven("ven-1") == VEN
    assert await other.get_ven("ven-1") == VEN
    assert await store.list_queue("ven-1") == []


@pytest.mark.postgres
async def test_transaction_commits_for_every_pool(open_pg: PgOpener) -> None:
    store, other = await open_pg(), await open_pg()
    async with store.transaction():
        await store.save_ven(VEN)
        await store.enqueue("ven-1", MessageKind.DISTRIBUTE_EVENTS, None, now=T0)
        assert await other.get_ven("ven-1") is None
    assert await other.get_ven("ven-1") == VEN
    assert len(await other.list_queue("ven-1")) == 1


@pytest.mark.postgres
async def test_tasks_started_inside_a_transaction_use_the_pool(open_pg: PgOpener) -> None:
    store = await open_pg(max_size=4)
    async with store.transaction():
        await store.save_ven(VEN)
        inside = await store.get_ven("ven-1")
        # other tasks (which inherit the context) must not share the transaction's connection
        elsewhere = await asyncio.gather(*(asyncio.create_task(store.get_ven("ven-1")) for _ in range(3)))
    assert inside == VEN
    assert elsewhere == [None, None, None]
    assert await store.get_ven("ven-1") == VEN


# -- schemas -----------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_schema_is_created_and_holds_the_tables(open_pg: PgOpener, pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    store = await open_pg()
    await store.save_ven(VEN)
    assert store.schema == schema
    connection = await asyncpg.connect(dsn)
    try:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        assert {row["table_name"] for row in tables} == TABLES
        assert await connection.fetchval(f'SELECT count(*) FROM "{schema}".vtn_vens') == 1
        # IDs compare byte-wise whatever the database's collation
        collation = await connection.fetchval(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_schema = $1 AND table_name = 'vtn_vens' AND column_name = 'ven_id'",
            schema,
        )
        assert collation == "C"
    finally:
        await connection.close()


@pytest.mark.postgres
async def test_schemas_are_separate(open_pg: PgOpener, pg_schema: tuple[str, str]) -> None:
    dsn, _ = pg_schema
    store = await open_pg()
    await store.save_ven(VEN)
    async with fresh_schema(dsn, "store_other") as other_schema:
        other = PostgresStore(dsn, schema=other_schema)
        await other.open()
        try:
            assert await other.get_ven("ven-1") is None
            await other.save_ven(replace(VEN, ven_name="other"))
        finally:
            await other.close()
    assert await store.get_ven("ven-1") == VEN


@pytest.mark.postgres
async def test_without_schema_the_tables_follow_the_search_path() -> None:
    dsn = pg_dsn_or_skip()
    async with fresh_schema(dsn, "store_path") as schema:
        store = PostgresStore(dsn_with_search_path(dsn, schema))
        await store.open()
        try:
            await store.save_ven(VEN)
        finally:
            await store.close()
        connection = await asyncpg.connect(dsn)
        try:
            assert await connection.fetchval(f'SELECT ven_name FROM "{schema}".vtn_vens') == "EVSE 1"
        finally:
            await connection.close()


@pytest.mark.postgres
async def test_stores_opening_at_once_create_the_tables_once(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    stores = [PostgresStore(dsn, schema=schema, min_size=1, max_size=2) for _ in range(4)]
    try:
        await asyncio.gather(*(store.open() for store in stores))
        await stores[0].save_ven(VEN)
        assert [await store.get_ven("ven-1") for store in stores] == [VEN] * 4
    finally:
        for store in stores:
            await store.close()


@pytest.mark.postgres
async def test_tables_of_an_older_version_get_the_columns_added_since(pg_schema: tuple[str, str]) -> None:
    """Tables created before report requests kept the requestIDs of their messages: opening
    adds the columns (and their indexes); the rows keep their data."""
    dsn, schema = pg_schema
    old = ReportRequestRecord(
        ven_id="ven-1", request=report_request("req-old"), state=ReportRequestState.CREATED, created_at=T0
    )
    store = PostgresStore(dsn, schema=schema)
    await store.open()
    try:
        await store.save_ven(VEN)
        await store.save_report_request(old)
    finally:
        await store.close()

    async def columns(connection: Any) -> list[str]:
        rows = await connection.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 "
            "AND table_name = 'vtn_report_requests' ORDER BY ordinal_position",
            schema,
        )
        return [row["column_name"] for row in rows]

    connection = await asyncpg.connect(dsn)
    try:
        for name in ("create_request_id", "cancel_request_id"):
            await connection.execute(f'ALTER TABLE "{schema}".vtn_report_requests DROP COLUMN {name}')
        assert "create_request_id" not in await columns(connection)
        upgraded = PostgresStore(dsn, schema=schema)
        await upgraded.open()
        try:
            assert (await columns(connection))[-2:] == ["create_request_id", "cancel_request_id"]
            indexes = await connection.fetch(
                "SELECT indexname FROM pg_indexes "
                "WHERE schemaname = $1 AND tablename = 'vtn_report_requests'",
                schema,
            )
            assert {"vtn_report_requests_create", "vtn_report_requests_cancel"} <= {
                row["indexname"] for row in indexes
            }
            assert await upgraded.get_ven("ven-1") == VEN
            assert await upgraded.list_report_requests() == [old]
            new = replace(old, request=report_request("req-new"), cancel_request_id="cancel-1")
            await upgraded.save_report_request(new)
            assert await upgraded.list_report_requests("ven-1", cancel_request_id="cancel-1") == [new]
        finally:
            await upgraded.close()
    finally:
        await connection.close()


# -- cannot connect ----------------------------------------------------------------------------


async def test_unreachable_server_is_unavailable() -> None:
    store = PostgresStore("postgresql://postgres@127.0.0.1:1/test", schema=new_schema_name())
    with pytest.raises(StoreUnavailableError, match="cannot connect") as raised:
        await store.open()
    assert isinstance(raised.value.__cause__, OSError)


@pytest.mark.postgres
async def test_unknown_database_is_unavailable() -> None:
    parts = urlsplit(pg_dsn_or_skip())
    store = PostgresStore(urlunsplit(parts._replace(path="/no_such_database_for_openadr_accel")))
    with pytest.raises(StoreUnavailableError) as raised:
        await store.open()
    assert isinstance(raised.value.__cause__, asyncpg.InvalidCatalogNameError)


async def test_not_opened_store_is_unavailable() -> None:
    store = PostgresStore("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(StoreUnavailableError, match="not open"):
        await store.get_ven("ven-1")
    with pytest.raises(StoreUnavailableError, match="not open"):
        async with store.transaction():
            pass
    await store.close()  # closing a store that is not open is harmless
