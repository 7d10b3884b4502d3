"""What only the SQLite store does: one file that outlives the process and is shared with others."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from samples import metadata_report, report_request, simple_event, telemetry_report

from openadr_accel import model as m
from openadr_accel.vtn.store import (
    EventResponseRecord,
    EventResponseSource,
    MessageKind,
    ReportRequestRecord,
    ReportRequestState,
    VenRecord,
)
from openadr_accel.vtn.store.errors import StoreUnavailableError
from openadr_accel.vtn.store.sqlite import SqliteStore

SqliteOpener = Callable[..., Awaitable[SqliteStore]]

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
VEN = VenRecord(
    ven_id="ven-1",
    registration_id="reg-1",
    ven_name="EVSE 1",
    fingerprint="aa:bb:cc",
    http_pull_model=False,
    transport_address="http://ven-1.example.com",
    registered_at=T0,
    group_ids=("north",),
)


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new Python process (a second VTN, an admin command), from the checkout."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- one file, reopened ------------------------------------------------------------------------


async def test_reopened_file_holds_everything(open_sqlite: SqliteOpener, sqlite_path: Path) -> None:
    store = await open_sqlite()
    answer = EventResponseRecord(
        ven_id="ven-1",
        event_id="event-1",
        modification_number=0,
        opt_type=m.OptType.OPT_IN,
        response_code=m.ResponseCode.OK,
        source=EventResponseSource.CREATED_EVENT,
        received_at=T0,
    )
    opt = m.OadrCreateOpt(
        opt_id="opt-1",
        opt_type=m.OptType.OPT_OUT,
        opt_reason=m.OptReason.ECONOMIC,
        ven_id="ven-1",
        created_date_time=T0,
        request_id="request-1",
        qualified_event_id=m.QualifiedEventID(event_id="event-1", modification_number=0),
    )
    request = ReportRequestRecord(
        ven_id="ven-1", request=report_request(), state=ReportRequestState.CREATED, created_at=T0
    )
    await store.save_ven(VEN)
    await store.save_event(simple_event())
    await store.save_event_response(answer)
    await store.save_opt(opt)
    position = await store.enqueue("ven-1", MessageKind.PAYLOAD, b"<queued/>", now=T0)
    await store.save_report_capabilities("ven-1", [metadata_report()])
    await store.save_report_request(request)
    data_id = await store.add_report_data("ven-1", telemetry_report(), received_at=T0)
    await store.close()

    reopened = SqliteStore(sqlite_path)
    await reopened.open()
    try:
        assert await reopened.list_vens() == [VEN]
        assert await reopened.list_events() == [simple_event()]
        assert await reopened.list_event_responses() == [answer]
        assert await reopened.list_opts() == [opt]
        assert [(q.id, q.body) for q in await reopened.list_queue("ven-1")] == [(position, b"<queued/>")]
        assert await reopened.list_report_capabilities("ven-1") == [metadata_report()]
        assert await reopened.list_report_requests() == [request]
        assert [(d.id, d.report) for d in await reopened.list_report_data()] == [
            (data_id, telemetry_report())
        ]
    finally:
        await reopened.close()


async def test_write_outside_a_transaction_is_on_file_at_once(open_sqlite: SqliteOpener) -> None:
    first = await open_sqlite()
    await first.save_ven(VEN)
    await first.enqueue("ven-1", MessageKind.DISTRIBUTE_EVENTS, None, now=T0)
    second = await open_sqlite()  # the first stays open
    assert await second.get_ven("ven-1") == VEN
    message = await second.dequeue("ven-1")
    assert message is not None
    assert message.kind is MessageKind.DISTRIBUTE_EVENTS
    assert await first.dequeue("ven-1") is None


# -- settings ----------------------------------------------------------------------------------


async def test_wal_journal_and_connection_settings(open_sqlite: SqliteOpener, sqlite_path: Path) -> None:
    store = await open_sqlite()
    outside = sqlite3.connect(sqlite_path)
    try:
        assert outside.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file
    finally:
        outside.close()
    connection = store._connection  # the store's own connection settings
    assert connection is not None
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1


async def test_synchronous_full(open_sqlite: SqliteOpener) -> None:
    store = await open_sqlite(synchronous="full")
    assert store._connection is not None
    assert store._connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_unknown_synchronous_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SqliteStore(tmp_path / "vtn.db", synchronous="sometimes")


async def test_in_memory_database(tmp_path: Path) -> None:
    store = SqliteStore(":memory:")
    await store.open()
    try:
        await store.save_ven(VEN)
        assert await store.get_ven("ven-1") == VEN
    finally:
        await store.close()


# -- cannot open -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["missing-directory/vtn.db", "."], ids=["missing-directory", "a-directory"])
async def test_unusable_path_is_unavailable(tmp_path: Path, where: str) -> None:
    store = SqliteStore(tmp_path / where)
    with pytest.raises(StoreUnavailableError, match="cannot open the SQLite store") as raised:
        await store.open()
    assert isinstance(raised.value.__cause__, sqlite3.Error)


async def test_not_opened_store_is_unavailable(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "vtn.db")
    with pytest.raises(StoreUnavailableError, match="not open"):
        await store.get_ven("ven-1")
    await store.open()
    await store.close()
    with pytest.raises(StoreUnavailableError, match="not open"):
        await store.dequeue("ven-1")


async def test_file_of_a_newer_schema_is_refused(sqlite_path: Path) -> None:
    newer = sqlite3.connect(sqlite_path)
    newer.execute("PRAGMA user_version = 99")
    newer.close()
    with pytest.raises(StoreUnavailableError, match="newer version"):
        await SqliteStore(sqlite_path).open()


V1_REPORT_REQUEST_COLUMNS = [
    "seq",
    "report_request_id",
    "ven_id",
    "state",
    "created_at",
    "report_to_follow",
    "piggyback_cancel",
    "body",
]
"""The columns of vtn_report_requests in schema 1 (before the requestIDs of the messages that
carried and cancelled a request were kept)."""


def report_request_columns(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[1] for row in connection.execute("PRAGMA table_info(vtn_report_requests)")]
    finally:
        connection.close()


def make_schema_1(path: Path) -> None:
    """Turn a file of the current schema into one of schema 1, data kept: the columns (and their
    indexes) added since are dropped, the version set back."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("DROP INDEX vtn_report_requests_create")
        connection.execute("DROP INDEX vtn_report_requests_cancel")
        connection.execute("ALTER TABLE vtn_report_requests DROP COLUMN create_request_id")
        connection.execute("ALTER TABLE vtn_report_requests DROP COLUMN cancel_request_id")
        connection.execute("PRAGMA user_version = 1")
    finally:
        connection.close()


async def test_a_file_of_schema_1_is_upgraded_and_keeps_its_data(sqlite_path: Path) -> None:
    store = SqliteStore(sqlite_path)
    await store.open()
    old = ReportRequestRecord(
        ven_id="ven-1",
        request=report_request("req-old"),
        state=ReportRequestState.CANCEL_REQUESTED,
        created_at=T0,
        report_to_follow=True,
    )
    try:
        await store.save_ven(VEN)
        await store.save_event(simple_event())
        position = await store.enqueue("ven-1", MessageKind.PAYLOAD, b"<queued/>", now=T0)
        await store.save_report_request(old)
        data_id = await store.add_report_data("ven-1", telemetry_report(), received_at=T0)
    finally:
        await store.close()
    make_schema_1(sqlite_path)
    assert report_request_columns(sqlite_path) == V1_REPORT_REQUEST_COLUMNS

    upgraded = SqliteStore(sqlite_path)
    await upgraded.open()
    try:
        assert report_request_columns(sqlite_path) == [
            *V1_REPORT_REQUEST_COLUMNS,
            "create_request_id",
            "cancel_request_id",
        ]
        check = sqlite3.connect(sqlite_path)
        try:
            assert check.execute("PRAGMA user_version").fetchone()[0] == 2
            indexes = {row[1] for row in check.execute("PRAGMA index_list(vtn_report_requests)")}
            assert {"vtn_report_requests_create", "vtn_report_requests_cancel"} <= indexes
        finally:
            check.close()
        # everything is still there; the old request knows neither requestID
        assert await upgraded.list_vens() == [VEN]
        assert await upgraded.list_events() == [simple_event()]
        assert [q.id for q in await upgraded.list_queue("ven-1")] == [position]
        assert await upgraded.list_report_requests() == [old]
        assert [d.id for d in await upgraded.list_report_data()] == [data_id]
        # and the new columns work
        new = replace(old, request=report_request("req-new"), create_request_id="create-1")
        await upgraded.save_report_request(new)
        assert await upgraded.list_report_requests("ven-1", create_request_id="create-1") == [new]
    finally:
        await upgraded.close()
    # opened again, the file is at the current schema: nothing to do
    again = SqliteStore(sqlite_path)
    await again.open()
    try:
        assert len(await again.list_report_requests()) == 2
    finally:
        await again.close()


# -- other connections and processes -----------------------------------------------------------


async def test_waits_for_another_process_s_write_lock(open_sqlite: SqliteOpener, sqlite_path: Path) -> None:
    store = await open_sqlite()
    locked = threading.Event()

    def hold_the_write_lock() -> None:
        other = sqlite3.connect(sqlite_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO vtn_queue (ven_id, kind, created_at) VALUES (?, ?, ?)",
            ("ven-9", "payload", T0.isoformat(timespec="microseconds")),
        )
        locked.set()
        time.sleep(0.3)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        await store.save_ven(VEN)  # waits (busy_timeout) instead of failing at once
        waited = time.monotonic() - started
    finally:
        holder.join()
    assert waited >= 0.1
    assert await store.get_ven("ven-1") == VEN
    assert len(await store.list_queue("ven-9")) == 1


async def test_reads_and_an_empty_poll_take_no_write_lock(
    open_sqlite: SqliteOpener, sqlite_path: Path
) -> None:
    store = await open_sqlite()
    await store.save_ven(VEN)
    await store.save_event(simple_event())
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writes for a long time
    try:
        started = time.monotonic()
        assert await store.get_ven("ven-1") == VEN
        assert await store.dequeue("ven-1") is None
        assert await store.claim_push(now=T0, lease_until=T0 + timedelta(minutes=1), limit=10) == []
        assert len(await store.list_events(ending_after=T0)) == 1
        assert time.monotonic() - started < 1  # none of them waited for the lock
    finally:
        other.execute("ROLLBACK")
        other.close()


_SAVE_THEN_READ = """
import asyncio, sys
from openadr_accel.vtn.store import VenRecord
from openadr_accel.vtn.store.sqlite import SqliteStore

async def main():
    store = SqliteStore(sys.argv[1])
    await store.open()
    seen = await store.get_ven("ven-1")
    await store.save_ven(VenRecord(ven_id="ven-2", ven_name="from the admin command"))
    await store.close()
    print(seen.ven_name)

asyncio.run(main())
"""


async def test_another_process_reads_and_writes_while_the_store_is_open(
    open_sqlite: SqliteOpener, sqlite_path: Path
) -> None:
    store = await open_sqlite()
    await store.save_ven(VEN)
    done = run_python(_SAVE_THEN_READ, str(sqlite_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "EVSE 1"
    assert await store.get_ven("ven-2") == VenRecord(ven_id="ven-2", ven_name="from the admin command")


_SAVE_THEN_DIE = """
import asyncio, os, signal, sys
from openadr_accel.vtn.store import MessageKind, VenRecord
from openadr_accel.vtn.store.sqlite import SqliteStore
from datetime import datetime, timezone

async def main():
    store = SqliteStore(sys.argv[1])
    await store.open()
    await store.save_ven(VenRecord(ven_id="ven-1"))
    async with store.transaction():
        await store.enqueue("ven-1", MessageKind.PAYLOAD, b"<last/>", now=datetime.now(timezone.utc))
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no exit handlers

asyncio.run(main())
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_a_killed_process_loses_nothing(sqlite_path: Path) -> None:
    done = run_python(_SAVE_THEN_DIE, str(sqlite_path))
    assert done.returncode == -signal.SIGKILL, done.stderr
    store = SqliteStore(sqlite_path)
    await store.open()
    try:
        assert await store.get_ven("ven-1") == VenRecord(ven_id="ven-1")
        assert [message.body for message in await store.list_queue("ven-1")] == [b"<last/>"]
    finally:
        await store.close()


_DEQUEUE_ALL = """
import asyncio, json, os, sys, time
from openadr_accel.vtn.store.sqlite import SqliteStore

async def main():
    store = SqliteStore(sys.argv[1])
    await store.open()
    print("ready", flush=True)
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.005)
    taken = []
    while (message := await store.dequeue("ven-1")) is not None:
        taken.append(message.id)
    await store.close()
    print(json.dumps(taken))

asyncio.run(main())
"""


async def test_two_processes_never_dequeue_one_message_twice(
    open_sqlite: SqliteOpener, sqlite_path: Path, tmp_path: Path
) -> None:
    store = await open_sqlite()
    async with store.transaction():
        positions = [await store.enqueue("ven-1", MessageKind.PAYLOAD, b"m", now=T0) for _ in range(2000)]
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _DEQUEUE_ALL, str(sqlite_path), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    taken: list[int] = []
    for worker, (stdout, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr
        taken.extend(json.loads(stdout))
    assert sorted(taken) == positions  # each message exactly once
    assert await store.list_queue("ven-1") == []


# -- transactions and tasks --------------------------------------------------------------------


async def test_a_second_task_s_transaction_waits_for_the_first(open_sqlite: SqliteOpener) -> None:
    store = await open_sqlite()
    order: list[str] = []

    async def slow() -> None:
        async with store.transaction():
            await store.save_ven(VenRecord(ven_id="slow"))
            order.append("slow writes")
            await asyncio.sleep(0.05)  # breaks the rule that bodies await only store calls
            order.append("slow commits")

    async def quick() -> None:
        await asyncio.sleep(0.01)
        async with store.transaction():
            order.append("quick writes")
            await store.save_ven(VenRecord(ven_id="quick"))

    await asyncio.gather(slow(), quick())
    assert order == ["slow writes", "slow commits", "quick writes"]
    assert [ven.ven_id for ven in await store.list_vens()] == ["quick", "slow"]


async def test_rolled_back_transaction_leaves_the_file_unchanged(open_sqlite: SqliteOpener) -> None:
    store = await open_sqlite()
    await store.save_ven(VEN)

    async def body() -> None:
        async with store.transaction():
            await store.save_ven(replace(VEN, ven_name="changed"))
            raise KeyError("boom")

    with pytest.raises(KeyError):
        await body()
    reader = await open_sqlite()
    assert await reader.get_ven("ven-1") == VEN
    # the store can write again afterwards
    await store.save_ven(replace(VEN, ven_name="after"))
    found = await reader.get_ven("ven-1")
    assert found is not None
    assert found.ven_name == "after"
