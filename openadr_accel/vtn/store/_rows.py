"""What the two SQL stores share: the schema, the statements, rows <-> records, and the
:class:`~.base.Store` methods that read and write the same way in SQLite and PostgreSQL.

:class:`SqlStore` implements those methods on five primitives (``_execute``, ``_executemany``,
``_fetch``, ``_fetchrow``, ``transaction``) and two timestamp conversions that each store
provides; the stores add ``open``, ``close``, ``dequeue`` and ``claim_push``, whose SQL or
locking differs.

Statements are written once with ``?`` placeholders (SQLite's); :meth:`Statements.numbered` turns
them into ``$1, $2, ...`` (PostgreSQL's) once, at import. Every statement is a constant string,
so the prepared-statement caches of both drivers hit.

Layout: one table per kind of record (prefixed ``vtn_``, so a shared PostgreSQL database or
schema stays readable). Records are columns; model objects (events, opts, reports, report
requests) are kept as the 2.0b documents of :mod:`openadr_accel.xml.stored`, next to the columns
they are queried by. venIDs and the other IDs compare byte-wise in both databases (``COLLATE "C"`` in
PostgreSQL), so lists come back in the same order from both and match Python's ``sorted``.
"""

from __future__ import annotations

import itertools
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from ...model import OadrCreateOpt, OadrEvent, OadrReport, OptType, ResponseCode
from ...xml.stored import (
    dump_event,
    dump_opt,
    dump_report,
    dump_report_description,
    dump_report_request,
    load_event,
    load_opt,
    load_report,
    load_report_description,
    load_report_request,
)
from .records import (
    EventResponseRecord,
    EventResponseSource,
    MessageKind,
    QueuedMessage,
    ReportRequestRecord,
    ReportRequestState,
    StoredReport,
    VenRecord,
)

__all__ = [
    "ADDED_COLUMNS",
    "CLAIMABLE",
    "MESSAGE_COLUMNS",
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "Row",
    "SqlStore",
    "Statements",
    "numbered",
    "utc",
]

Row = Sequence[Any]
"""A result row: a tuple (sqlite3) or an ``asyncpg.Record``, read by position."""


def utc(value: datetime, what: str = "datetime") -> datetime:
    """``value`` in UTC; a naive datetime is refused (its zone would be a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def numbered(sql: str) -> str:
    """``sql`` with its ``?`` placeholders numbered ``$1, $2, ...`` (PostgreSQL)."""
    counter = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


# -- schema ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dialect:
    """The column types of one SQL dialect, filled into the schema template."""

    key: str
    """An identifier (venID, eventID, ...), compared byte-wise."""
    text: str
    blob: str
    integer: str
    boolean: str
    timestamp: str
    serial: str
    """An auto-incremented integer primary key that never hands out a value twice, even after
    the highest row was deleted (a push worker may still hold the ID of a settled message)."""
    keyed: str
    """Appended to tables whose primary key is their identity (SQLite: ``WITHOUT ROWID``, one
    B-tree lookup instead of two)."""

    def ddl(self) -> tuple[str, ...]:
        """The statements that create the tables and indexes if they do not exist (tables first)."""
        return self.tables() + self.indexes()

    def tables(self) -> tuple[str, ...]:
        """The statements that create the tables, with every column, if they do not exist."""
        return tuple(self._fill(statement) for statement in _DDL if statement.startswith("CREATE TABLE"))

    def indexes(self) -> tuple[str, ...]:
        """The statements that create the indexes if they do not exist (after the tables and
        :meth:`added_columns`: an index may be on an added column)."""
        return tuple(self._fill(statement) for statement in _DDL if statement.startswith("CREATE INDEX"))

    def added_columns(self, since: int, *, if_not_exists: bool = False) -> tuple[str, ...]:
        """The ``ALTER TABLE ... ADD COLUMN`` statements that bring tables of schema version
        ``since`` up to date (``IF NOT EXISTS``, for PostgreSQL, when the version is not known)."""
        guard = " IF NOT EXISTS" if if_not_exists else ""
        return tuple(
            f"ALTER TABLE {table} ADD COLUMN{guard} {column} {self._fill(kind)}"
            for version, table, column, kind in ADDED_COLUMNS
            if version > since
        )

    def _fill(self, template: str) -> str:
        return template.format(**{f.name: getattr(self, f.name) for f in fields(self)})


SQLITE = Dialect(
    key="TEXT",
    text="TEXT",
    blob="BLOB",
    integer="INTEGER",
    boolean="INTEGER",
    timestamp="TEXT",
    serial="INTEGER PRIMARY KEY AUTOINCREMENT",
    keyed=" WITHOUT ROWID",
)
"""Timestamps are ISO 8601 text in UTC with microseconds (``2026-07-01T14:00:00.000000+00:00``):
fixed width, so they compare and sort as text."""

POSTGRES = Dialect(
    key='text COLLATE "C"',
    text="text",
    blob="bytea",
    integer="bigint",
    boolean="boolean",
    timestamp="timestamptz",
    serial="bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    keyed="",
)

_DDL = (
    """CREATE TABLE IF NOT EXISTS vtn_vens (
        ven_id {key} PRIMARY KEY,
        registration_id {key},
        ven_name {text},
        fingerprint {key},
        profile_name {text} NOT NULL,
        transport_name {text} NOT NULL,
        transport_address {text},
        http_pull_model {boolean} NOT NULL,
        xml_signature {boolean} NOT NULL,
        report_only {boolean} NOT NULL,
        registered_at {timestamp},
        cancel_requested {boolean} NOT NULL,
        group_ids {text} NOT NULL,
        resource_ids {text} NOT NULL,
        market_contexts {text} NOT NULL
    ){keyed}""",
    "CREATE INDEX IF NOT EXISTS vtn_vens_registration ON vtn_vens (registration_id)",
    "CREATE INDEX IF NOT EXISTS vtn_vens_fingerprint ON vtn_vens (fingerprint)",
    """CREATE TABLE IF NOT EXISTS vtn_events (
        event_id {key} PRIMARY KEY,
        modification_number {integer} NOT NULL,
        dtstart {timestamp} NOT NULL,
        end_at {timestamp},
        body {blob} NOT NULL
    ){keyed}""",
    "CREATE INDEX IF NOT EXISTS vtn_events_start ON vtn_events (dtstart, event_id)",
    """CREATE TABLE IF NOT EXISTS vtn_event_responses (
        ven_id {key} NOT NULL,
        event_id {key} NOT NULL,
        modification_number {integer} NOT NULL,
        opt_type {text} NOT NULL,
        response_code {text} NOT NULL,
        source {text} NOT NULL,
        received_at {timestamp} NOT NULL,
        opt_id {key},
        PRIMARY KEY (ven_id, event_id)
    ){keyed}""",
    "CREATE INDEX IF NOT EXISTS vtn_event_responses_event ON vtn_event_responses (event_id, ven_id)",
    """CREATE TABLE IF NOT EXISTS vtn_opts (
        ven_id {key} NOT NULL,
        opt_id {key} NOT NULL,
        body {blob} NOT NULL,
        PRIMARY KEY (ven_id, opt_id)
    ){keyed}""",
    """CREATE TABLE IF NOT EXISTS vtn_queue (
        id {serial},
        ven_id {key} NOT NULL,
        kind {text} NOT NULL,
        body {blob},
        created_at {timestamp} NOT NULL,
        attempts {integer} NOT NULL DEFAULT 0,
        next_attempt_at {timestamp},
        lease_until {timestamp}
    )""",
    "CREATE INDEX IF NOT EXISTS vtn_queue_ven ON vtn_queue (ven_id, id)",
    """CREATE TABLE IF NOT EXISTS vtn_report_capabilities (
        ven_id {key} NOT NULL,
        position {integer} NOT NULL,
        body {blob} NOT NULL,
        PRIMARY KEY (ven_id, position)
    ){keyed}""",
    """CREATE TABLE IF NOT EXISTS vtn_report_requests (
        seq {serial},
        report_request_id {key} NOT NULL UNIQUE,
        ven_id {key} NOT NULL,
        state {text} NOT NULL,
        created_at {timestamp} NOT NULL,
        report_to_follow {boolean} NOT NULL,
        piggyback_cancel {boolean} NOT NULL,
        body {blob} NOT NULL,
        create_request_id {key},
        cancel_request_id {key}
    )""",
    "CREATE INDEX IF NOT EXISTS vtn_report_requests_ven ON vtn_report_requests (ven_id, created_at, seq)",
    "CREATE INDEX IF NOT EXISTS vtn_report_requests_create "
    "ON vtn_report_requests (ven_id, create_request_id)",
    "CREATE INDEX IF NOT EXISTS vtn_report_requests_cancel "
    "ON vtn_report_requests (ven_id, cancel_request_id)",
    """CREATE TABLE IF NOT EXISTS vtn_report_data (
        id {serial},
        ven_id {key} NOT NULL,
        report_request_id {key} NOT NULL,
        received_at {timestamp} NOT NULL,
        body {blob} NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS vtn_report_data_ven ON vtn_report_data (ven_id, id)",
    "CREATE INDEX IF NOT EXISTS vtn_report_data_request ON vtn_report_data (report_request_id, id)",
)

ADDED_COLUMNS: tuple[tuple[int, str, str, str], ...] = (
    (2, "vtn_report_requests", "create_request_id", "{key}"),
    (2, "vtn_report_requests", "cancel_request_id", "{key}"),
)
"""Columns added to a table after its first version, as ``(schema version that added it, table,
column, type)``: :data:`_DDL` has them already (a new database gets them at once); a database of an
older schema gets them through :meth:`Dialect.added_columns` (nullable, so old rows read as None)."""

# -- statements --------------------------------------------------------------------------------


def _upsert(table: str, columns: str, key: str) -> str:
    names = [name.strip() for name in columns.split(",")]
    keys = {name.strip() for name in key.split(",")}
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name not in keys)
    marks = ", ".join("?" for _ in names)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({key}) DO UPDATE SET {updates}"


_VEN_COLUMNS = (
    "ven_id, registration_id, ven_name, fingerprint, profile_name, transport_name, transport_address, "
    "http_pull_model, xml_signature, report_only, registered_at, cancel_requested, "
    "group_ids, resource_ids, market_contexts"
)
_RESPONSE_COLUMNS = (
    "ven_id, event_id, modification_number, opt_type, response_code, source, received_at, opt_id"
)
MESSAGE_COLUMNS = "id, ven_id, kind, body, created_at, attempts, next_attempt_at"
"""The columns a :class:`QueuedMessage` is read from, in :meth:`SqlStore._message`'s order."""
_REQUEST_COLUMNS = (
    "ven_id, report_request_id, state, created_at, report_to_follow, piggyback_cancel, body, "
    "create_request_id, cancel_request_id"
)
_DATA_COLUMNS = "id, ven_id, received_at, body"

CLAIMABLE = """FROM vtn_queue AS q JOIN vtn_vens AS v ON v.ven_id = q.ven_id
    WHERE NOT v.http_pull_model AND v.registration_id IS NOT NULL
      AND q.id = (SELECT min(h.id) FROM vtn_queue AS h WHERE h.ven_id = q.ven_id)
      AND (q.next_attempt_at IS NULL OR q.next_attempt_at <= ?)
      AND (q.lease_until IS NULL OR q.lease_until <= ?)"""
"""The messages :meth:`~.base.Store.claim_push` may claim at ``?`` (now, given twice): the head
of each registered push VEN's queue (so a VEN's messages go out in order, one at a time), when
due and not leased."""


@dataclass(frozen=True, slots=True)
class Statements:
    """Every statement the shared methods run, with ``?`` placeholders."""

    save_ven: str = _upsert("vtn_vens", _VEN_COLUMNS, "ven_id")
    get_ven: str = f"SELECT {_VEN_COLUMNS} FROM vtn_vens WHERE ven_id = ?"
    get_ven_and_queue_head: str = (
        f"SELECT {', '.join('v.' + name.strip() for name in _VEN_COLUMNS.split(','))}, "
        f"{', '.join('q.' + name.strip() for name in MESSAGE_COLUMNS.split(','))} "
        "FROM vtn_vens AS v LEFT JOIN vtn_queue AS q ON q.id = "
        "(SELECT h.id FROM vtn_queue AS h WHERE h.ven_id = v.ven_id ORDER BY h.id LIMIT 1) "
        "WHERE v.ven_id = ?"
    )
    find_ven_by_registration: str = (
        f"SELECT {_VEN_COLUMNS} FROM vtn_vens WHERE registration_id = ? ORDER BY ven_id LIMIT 1"
    )
    find_ven_by_fingerprint: str = (
        f"SELECT {_VEN_COLUMNS} FROM vtn_vens WHERE fingerprint = ? ORDER BY ven_id LIMIT 1"
    )
    list_vens: str = f"SELECT {_VEN_COLUMNS} FROM vtn_vens ORDER BY ven_id"
    delete_ven: str = "DELETE FROM vtn_vens WHERE ven_id = ?"
    delete_ven_belongings: tuple[str, ...] = tuple(
        f"DELETE FROM {table} WHERE ven_id = ?"
        for table in (
            "vtn_queue",
            "vtn_opts",
            "vtn_event_responses",
            "vtn_report_requests",
            "vtn_report_capabilities",
        )
    )

    save_event: str = _upsert(
        "vtn_events", "event_id, modification_number, dtstart, end_at, body", "event_id"
    )
    get_event: str = "SELECT body FROM vtn_events WHERE event_id = ?"
    list_events: str = "SELECT body FROM vtn_events ORDER BY dtstart, event_id"
    list_events_ending_after: str = (
        "SELECT body FROM vtn_events WHERE end_at IS NULL OR end_at > ? ORDER BY dtstart, event_id"
    )

    save_event_response: str = _upsert("vtn_event_responses", _RESPONSE_COLUMNS, "ven_id, event_id")
    get_event_response: str = (
        f"SELECT {_RESPONSE_COLUMNS} FROM vtn_event_responses WHERE ven_id = ? AND event_id = ?"
    )
    list_event_responses: str = (
        f"SELECT {_RESPONSE_COLUMNS} FROM vtn_event_responses ORDER BY ven_id, event_id"
    )
    list_event_responses_of_event: str = (
        f"SELECT {_RESPONSE_COLUMNS} FROM vtn_event_responses WHERE event_id = ? ORDER BY ven_id, event_id"
    )
    list_event_responses_of_ven: str = (
        f"SELECT {_RESPONSE_COLUMNS} FROM vtn_event_responses WHERE ven_id = ? ORDER BY ven_id, event_id"
    )

    delete_event_response: str = "DELETE FROM vtn_event_responses WHERE ven_id = ? AND event_id = ?"

    save_opt: str = _upsert("vtn_opts", "ven_id, opt_id, body", "ven_id, opt_id")
    get_opt: str = "SELECT body FROM vtn_opts WHERE ven_id = ? AND opt_id = ?"
    delete_opt: str = "DELETE FROM vtn_opts WHERE ven_id = ? AND opt_id = ?"
    list_opts: str = "SELECT body FROM vtn_opts ORDER BY ven_id, opt_id"
    list_opts_of_ven: str = "SELECT body FROM vtn_opts WHERE ven_id = ? ORDER BY ven_id, opt_id"

    enqueue: str = "INSERT INTO vtn_queue (ven_id, kind, body, created_at) VALUES (?, ?, ?, ?) RETURNING id"
    enqueue_coalesced: str = (
        "INSERT INTO vtn_queue (ven_id, kind, body, created_at) SELECT ?, ?, ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM vtn_queue WHERE ven_id = ? AND kind = ? "
        "AND (lease_until IS NULL OR lease_until <= ?)) "
        "RETURNING id"
    )
    queue_head: str = f"SELECT {MESSAGE_COLUMNS} FROM vtn_queue WHERE ven_id = ? ORDER BY id LIMIT 1"
    reschedule: str = (
        "UPDATE vtn_queue SET attempts = ?, next_attempt_at = ?, lease_until = NULL WHERE id = ?"
    )
    delete_message: str = "DELETE FROM vtn_queue WHERE id = ?"
    list_queue: str = f"SELECT {MESSAGE_COLUMNS} FROM vtn_queue WHERE ven_id = ? ORDER BY id"
    clear_queue: str = "DELETE FROM vtn_queue WHERE ven_id = ?"

    delete_report_capabilities: str = "DELETE FROM vtn_report_capabilities WHERE ven_id = ?"
    add_report_capability: str = (
        "INSERT INTO vtn_report_capabilities (ven_id, position, body) VALUES (?, ?, ?)"
    )
    list_report_capabilities: str = (
        "SELECT body FROM vtn_report_capabilities WHERE ven_id = ? ORDER BY position"
    )

    save_report_request: str = _upsert("vtn_report_requests", _REQUEST_COLUMNS, "report_request_id")
    get_report_request: str = (
        f"SELECT {_REQUEST_COLUMNS} FROM vtn_report_requests WHERE report_request_id = ?"
    )
    list_report_requests: str = f"SELECT {_REQUEST_COLUMNS} FROM vtn_report_requests ORDER BY created_at, seq"
    list_report_requests_of_ven: str = (
        f"SELECT {_REQUEST_COLUMNS} FROM vtn_report_requests WHERE ven_id = ? ORDER BY created_at, seq"
    )
    list_report_requests_of_create: str = (
        f"SELECT {_REQUEST_COLUMNS} FROM vtn_report_requests WHERE ven_id = ? AND create_request_id = ? "
        "ORDER BY created_at, seq"
    )
    list_report_requests_of_cancel: str = (
        f"SELECT {_REQUEST_COLUMNS} FROM vtn_report_requests WHERE ven_id = ? AND cancel_request_id = ? "
        "ORDER BY created_at, seq"
    )

    add_report_data: str = (
        "INSERT INTO vtn_report_data (ven_id, report_request_id, received_at, body) VALUES (?, ?, ?, ?) "
        "RETURNING id"
    )
    list_report_data: str = f"SELECT {_DATA_COLUMNS} FROM vtn_report_data ORDER BY id"
    list_report_data_of_ven: str = f"SELECT {_DATA_COLUMNS} FROM vtn_report_data WHERE ven_id = ? ORDER BY id"
    list_report_data_of_request: str = (
        f"SELECT {_DATA_COLUMNS} FROM vtn_report_data WHERE report_request_id = ? ORDER BY id"
    )
    list_report_data_of_ven_request: str = (
        f"SELECT {_DATA_COLUMNS} FROM vtn_report_data WHERE ven_id = ? AND report_request_id = ? ORDER BY id"
    )

    def numbered(self) -> Statements:
        """The same statements with ``$n`` placeholders (PostgreSQL)."""
        changes: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            changes[field.name] = (
                numbered(value) if isinstance(value, str) else tuple(numbered(sql) for sql in value)
            )
        return replace(self, **changes)


# -- the shared methods ------------------------------------------------------------------------


def _tuple(value: str) -> tuple[str, ...]:
    return () if value == "[]" else tuple(json.loads(value))  # most VENs: no groups, on every poll


def _json(value: tuple[str, ...]) -> str:
    return json.dumps(list(value), ensure_ascii=False)


class SqlStore(ABC):
    """The :class:`~.base.Store` methods that are the same SQL in SQLite and PostgreSQL.

    Subclasses set :attr:`_sql` and provide the primitives, the timestamp conversions, and
    ``open``, ``close``, ``dequeue`` and ``claim_push``.
    """

    _sql: ClassVar[Statements]

    # -- what a subclass provides ----------------------------------------------------------------

    @abstractmethod
    async def _execute(self, sql: str, args: Sequence[object]) -> int:
        """Run a statement; returns how many rows it changed."""

    @abstractmethod
    async def _executemany(self, sql: str, args: Iterable[Sequence[object]]) -> None:
        """Run a statement once for each set of arguments."""

    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[object]) -> Sequence[Row]:
        """Every row a statement returns."""

    @abstractmethod
    async def _fetchrow(self, sql: str, args: Sequence[object]) -> Row | None:
        """The first row a statement returns, or None."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A context in which the store calls of the current task are atomic (all or none)."""

    @abstractmethod
    def _ts(self, value: datetime) -> object:
        """A timestamp as a statement argument (``value`` is aware)."""

    @abstractmethod
    def _dt(self, value: Any) -> datetime:
        """A timestamp column as an aware datetime in UTC."""

    # -- conversions -----------------------------------------------------------------------------

    def _ts_or_none(self, value: datetime | None) -> object:
        return None if value is None else self._ts(value)

    def _dt_or_none(self, value: Any) -> datetime | None:
        return None if value is None else self._dt(value)

    def _ven(self, row: Row) -> VenRecord:
        return VenRecord(
            ven_id=row[0],
            registration_id=row[1],
            ven_name=row[2],
            fingerprint=row[3],
            profile_name=row[4],
            transport_name=row[5],
            transport_address=row[6],
            http_pull_model=bool(row[7]),
            xml_signature=bool(row[8]),
            report_only=bool(row[9]),
            registered_at=self._dt_or_none(row[10]),
            cancel_requested=bool(row[11]),
            group_ids=_tuple(row[12]),
            resource_ids=_tuple(row[13]),
            market_contexts=_tuple(row[14]),
        )

    def _response(self, row: Row) -> EventResponseRecord:
        return EventResponseRecord(
            ven_id=row[0],
            event_id=row[1],
            modification_number=row[2],
            opt_type=OptType(row[3]),
            response_code=ResponseCode(row[4]),
            source=EventResponseSource(row[5]),
            received_at=self._dt(row[6]),
            opt_id=row[7],
        )

    def _message(self, row: Row) -> QueuedMessage:
        return QueuedMessage(
            id=row[0],
            ven_id=row[1],
            kind=MessageKind(row[2]),
            body=None if row[3] is None else bytes(row[3]),
            created_at=self._dt(row[4]),
            attempts=row[5],
            next_attempt_at=self._dt_or_none(row[6]),
        )

    def _messages(self, rows: Iterable[Row]) -> list[QueuedMessage]:
        """Messages by queue position (``UPDATE ... RETURNING`` promises no order)."""
        return sorted((self._message(row) for row in rows), key=lambda message: message.id)

    def _request(self, row: Row) -> ReportRequestRecord:
        return ReportRequestRecord(
            ven_id=row[0],
            request=load_report_request(row[6]),
            state=ReportRequestState(row[2]),
            created_at=self._dt(row[3]),
            report_to_follow=bool(row[4]),
            piggyback_cancel=bool(row[5]),
            create_request_id=row[7],
            cancel_request_id=row[8],
        )

    def _stored_report(self, row: Row) -> StoredReport:
        return StoredReport(
            id=row[0], ven_id=row[1], received_at=self._dt(row[2]), report=load_report(row[3])
        )

    # -- VENs ------------------------------------------------------------------------------------

    async def save_ven(self, ven: VenRecord) -> None:
        """Insert or replace the VEN with ``ven.ven_id``."""
        await self._execute(
            self._sql.save_ven,
            (
                ven.ven_id,
                ven.registration_id,
                ven.ven_name,
                ven.fingerprint,
                ven.profile_name,
                ven.transport_name,
                ven.transport_address,
                ven.http_pull_model,
                ven.xml_signature,
                ven.report_only,
                self._ts_or_none(ven.registered_at),
                ven.cancel_requested,
                _json(ven.group_ids),
                _json(ven.resource_ids),
                _json(ven.market_contexts),
            ),
        )

    async def get_ven(self, ven_id: str) -> VenRecord | None:
        """The VEN with this venID (case-sensitive), or None."""
        row = await self._fetchrow(self._sql.get_ven, (ven_id,))
        return None if row is None else self._ven(row)

    async def get_ven_and_queue_head(self, ven_id: str) -> tuple[VenRecord, QueuedMessage | None] | None:
        """A VEN and the oldest message waiting for it (left in the queue), or None: one query."""
        row = await self._fetchrow(self._sql.get_ven_and_queue_head, (ven_id,))
        if row is None:
            return None
        ven_width = _VEN_COLUMNS.count(",") + 1
        head = None if row[ven_width] is None else self._message(tuple(row)[ven_width:])
        return self._ven(row), head

    async def find_ven_by_registration(self, registration_id: str) -> VenRecord | None:
        """The VEN holding this registrationID, or None."""
        row = await self._fetchrow(self._sql.find_ven_by_registration, (registration_id,))
        return None if row is None else self._ven(row)

    async def find_ven_by_fingerprint(self, fingerprint: str) -> VenRecord | None:
        """The VEN bound to this certificate fingerprint, or None."""
        row = await self._fetchrow(self._sql.find_ven_by_fingerprint, (fingerprint,))
        return None if row is None else self._ven(row)

    async def list_vens(self) -> list[VenRecord]:
        """Every known VEN, registered or not, by venID."""
        return [self._ven(row) for row in await self._fetch(self._sql.list_vens, ())]

    async def delete_ven(self, ven_id: str) -> bool:
        """Forget a VEN and everything kept for it except its report data."""
        async with self.transaction():
            for sql in self._sql.delete_ven_belongings:
                await self._execute(sql, (ven_id,))
            return await self._execute(self._sql.delete_ven, (ven_id,)) > 0

    # -- events ----------------------------------------------------------------------------------

    async def save_event(self, event: OadrEvent) -> None:
        """Insert or replace the event with its eventID."""
        ei_event = event.ei_event
        period = ei_event.active_period
        descriptor = ei_event.event_descriptor
        await self._execute(
            self._sql.save_event,
            (
                descriptor.event_id,
                descriptor.modification_number,
                self._ts(period.dtstart),
                self._ts(period.end) if period.duration else None,
                dump_event(event),
            ),
        )

    async def get_event(self, event_id: str) -> OadrEvent | None:
        """The latest version of an event, or None."""
        row = await self._fetchrow(self._sql.get_event, (event_id,))
        return None if row is None else load_event(row[0])

    async def list_events(self, *, ending_after: datetime | None = None) -> list[OadrEvent]:
        """Every event, or those not ended at ``ending_after`` (open-ended ones never end), by
        start then eventID."""
        if ending_after is None:
            rows = await self._fetch(self._sql.list_events, ())
        else:
            rows = await self._fetch(self._sql.list_events_ending_after, (self._ts(ending_after),))
        return [load_event(row[0]) for row in rows]

    # -- answers to events -----------------------------------------------------------------------

    async def save_event_response(self, response: EventResponseRecord) -> None:
        """Insert or replace the answer of ``response.ven_id`` to ``response.event_id``."""
        await self._execute(
            self._sql.save_event_response,
            (
                response.ven_id,
                response.event_id,
                response.modification_number,
                str(response.opt_type),
                str(response.response_code),
                str(response.source),
                self._ts(response.received_at),
                response.opt_id,
            ),
        )

    async def get_event_response(self, ven_id: str, event_id: str) -> EventResponseRecord | None:
        """A VEN's latest answer to an event, or None."""
        row = await self._fetchrow(self._sql.get_event_response, (ven_id, event_id))
        return None if row is None else self._response(row)

    async def list_event_responses(
        self, *, event_id: str | None = None, ven_id: str | None = None
    ) -> list[EventResponseRecord]:
        """Answers, filtered by event and/or VEN, by venID then eventID."""
        if event_id is not None and ven_id is not None:
            response = await self.get_event_response(ven_id, event_id)
            return [] if response is None else [response]
        if event_id is not None:
            rows = await self._fetch(self._sql.list_event_responses_of_event, (event_id,))
        elif ven_id is not None:
            rows = await self._fetch(self._sql.list_event_responses_of_ven, (ven_id,))
        else:
            rows = await self._fetch(self._sql.list_event_responses, ())
        return [self._response(row) for row in rows]

    # -- opts ------------------------------------------------------------------------------------

    async def save_opt(self, opt: OadrCreateOpt) -> None:
        """Insert or replace the opt ``(opt.ven_id, opt.opt_id)``."""
        await self._execute(self._sql.save_opt, (opt.ven_id, opt.opt_id, dump_opt(opt)))

    async def get_opt(self, ven_id: str, opt_id: str) -> OadrCreateOpt | None:
        """One of a VEN's opts, or None."""
        row = await self._fetchrow(self._sql.get_opt, (ven_id, opt_id))
        return None if row is None else load_opt(row[0])

    async def delete_event_response(self, ven_id: str, event_id: str) -> bool:
        """Forget a VEN's answer to an event; returns whether there was one."""
        return await self._execute(self._sql.delete_event_response, (ven_id, event_id)) > 0

    async def delete_opt(self, ven_id: str, opt_id: str) -> bool:
        """Remove one of a VEN's opts; returns whether it existed."""
        return await self._execute(self._sql.delete_opt, (ven_id, opt_id)) > 0

    async def list_opts(self, ven_id: str | None = None) -> list[OadrCreateOpt]:
        """Opts, of one VEN or of all, by venID then optID."""
        if ven_id is None:
            rows = await self._fetch(self._sql.list_opts, ())
        else:
            rows = await self._fetch(self._sql.list_opts_of_ven, (ven_id,))
        return [load_opt(row[0]) for row in rows]

    # -- the outbound queue ----------------------------------------------------------------------

    async def enqueue(
        self, ven_id: str, kind: MessageKind, body: bytes | None, *, now: datetime, coalesce: bool = False
    ) -> int | None:
        """Append a message to a VEN's queue and return its position (None: coalesced).

        With ``coalesce``, a message of the same kind waiting for the VEN and not leased to a push
        worker at ``now`` takes the new one's place.
        """
        stamp = self._ts(now)
        args: tuple[object, ...] = (ven_id, str(kind), body, stamp)
        if coalesce:
            row = await self._fetchrow(self._sql.enqueue_coalesced, (*args, ven_id, str(kind), stamp))
        else:
            row = await self._fetchrow(self._sql.enqueue, args)
        return None if row is None else int(row[0])

    async def reschedule(self, message_id: int, *, attempts: int, next_attempt_at: datetime) -> None:
        """Release a claimed message for another attempt at ``next_attempt_at``."""
        await self._execute(self._sql.reschedule, (attempts, self._ts(next_attempt_at), message_id))

    async def delete_message(self, message_id: int) -> bool:
        """Remove a message (delivered, or given up); returns whether it was still there."""
        return await self._execute(self._sql.delete_message, (message_id,)) > 0

    async def list_queue(self, ven_id: str) -> list[QueuedMessage]:
        """The messages waiting for a VEN (leased ones included), oldest first."""
        return [self._message(row) for row in await self._fetch(self._sql.list_queue, (ven_id,))]

    async def clear_queue(self, ven_id: str) -> int:
        """Drop every message waiting for a VEN; returns how many."""
        return await self._execute(self._sql.clear_queue, (ven_id,))

    # -- reports ---------------------------------------------------------------------------------

    async def save_report_capabilities(self, ven_id: str, reports: Sequence[OadrReport]) -> None:
        """Replace the METADATA reports a VEN offered."""
        async with self.transaction():
            await self._execute(self._sql.delete_report_capabilities, (ven_id,))
            await self._executemany(
                self._sql.add_report_capability,
                [
                    (ven_id, position, dump_report_description(report))
                    for position, report in enumerate(reports)
                ],
            )

    async def list_report_capabilities(self, ven_id: str) -> list[OadrReport]:
        """The METADATA reports a VEN offered, in the order it offered them."""
        rows = await self._fetch(self._sql.list_report_capabilities, (ven_id,))
        return [load_report_description(row[0]) for row in rows]

    async def save_report_request(self, request: ReportRequestRecord) -> None:
        """Insert or replace a report request, by its reportRequestID (it keeps its place)."""
        await self._execute(
            self._sql.save_report_request,
            (
                request.ven_id,
                request.report_request_id,
                str(request.state),
                self._ts(request.created_at),
                request.report_to_follow,
                request.piggyback_cancel,
                dump_report_request(request.request),
                request.create_request_id,
                request.cancel_request_id,
            ),
        )

    async def get_report_request(self, report_request_id: str) -> ReportRequestRecord | None:
        """A report request, or None."""
        row = await self._fetchrow(self._sql.get_report_request, (report_request_id,))
        return None if row is None else self._request(row)

    async def list_report_requests(
        self,
        ven_id: str | None = None,
        *,
        states: Sequence[ReportRequestState] | None = None,
        create_request_id: str | None = None,
        cancel_request_id: str | None = None,
    ) -> list[ReportRequestRecord]:
        """Report requests, filtered by VEN, states and the requestIDs of the messages that
        carried and cancelled them (filters combine), by ``created_at`` then insertion."""
        if ven_id is None:
            rows = await self._fetch(self._sql.list_report_requests, ())
        elif create_request_id is not None:
            rows = await self._fetch(self._sql.list_report_requests_of_create, (ven_id, create_request_id))
        elif cancel_request_id is not None:
            rows = await self._fetch(self._sql.list_report_requests_of_cancel, (ven_id, cancel_request_id))
        else:
            rows = await self._fetch(self._sql.list_report_requests_of_ven, (ven_id,))
        if create_request_id is not None:
            rows = [row for row in rows if row[7] == create_request_id]
        if cancel_request_id is not None:
            rows = [row for row in rows if row[8] == cancel_request_id]
        if states is not None:
            wanted = {str(state) for state in states}
            rows = [row for row in rows if row[2] in wanted]
        return [self._request(row) for row in rows]

    async def add_report_data(self, ven_id: str, report: OadrReport, *, received_at: datetime) -> int:
        """Keep one delivered report; returns its ID (IDs grow in the order of arrival)."""
        row = await self._fetchrow(
            self._sql.add_report_data,
            (ven_id, report.report_request_id, self._ts(received_at), dump_report(report)),
        )
        assert row is not None  # INSERT ... RETURNING returns the row it inserted
        return int(row[0])

    async def list_report_data(
        self, ven_id: str | None = None, *, report_request_id: str | None = None
    ) -> list[StoredReport]:
        """Delivered reports, filtered by VEN and request, in the order they arrived."""
        if ven_id is not None and report_request_id is not None:
            rows = await self._fetch(self._sql.list_report_data_of_ven_request, (ven_id, report_request_id))
        elif ven_id is not None:
            rows = await self._fetch(self._sql.list_report_data_of_ven, (ven_id,))
        elif report_request_id is not None:
            rows = await self._fetch(self._sql.list_report_data_of_request, (report_request_id,))
        else:
            rows = await self._fetch(self._sql.list_report_data, ())
        return [self._stored_report(row) for row in rows]
