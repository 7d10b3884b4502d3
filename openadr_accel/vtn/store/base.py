"""The ``Store`` protocol: everything a VTN keeps, behind one async interface.

A VTN holds no state between requests: registrations, events, opt state, opts, queued messages,
report capabilities, report requests and report data all live in the store. That is what lets a
VTN restart (or crash) without losing anything, and several VTN processes share one PostgreSQL.

Implementations: :class:`~openadr_accel.vtn.store.sqlite.SqliteStore` (the embedded default, one
file, one process or several on one machine) and
:class:`~openadr_accel.vtn.store.postgres.PostgresStore` (asyncpg; several processes and
machines). Both pass the same behaviour suite (``tests/vtn/store/``).

Rules every implementation keeps:

- Every method that writes is durable when it returns (a process killed afterwards loses
  nothing), unless it runs inside :meth:`Store.transaction`, whose end makes it durable.
- :meth:`Store.transaction` makes the writes of its body atomic: all or none. Bodies await only
  store methods (no network, no handlers), so an embedded store may run them without yielding.
  A nested transaction joins the outer one (no savepoints): its writes commit or roll back with
  the outer body's.
- :meth:`Store.dequeue` and :meth:`Store.claim_push` hand each queued message to one caller only,
  even across processes.
- Lists come back in a stable order: VENs by venID, events by start then eventID, queue entries
  by position, report data by arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

from ...model import OadrCreateOpt, OadrEvent, OadrReport
from .records import (
    EventResponseRecord,
    MessageKind,
    QueuedMessage,
    ReportRequestRecord,
    ReportRequestState,
    StoredReport,
    VenRecord,
)

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    """Persistence of a VTN. See the module docstring for the rules every implementation keeps."""

    # -- lifecycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect and create the tables if they do not exist (idempotent)."""

    async def close(self) -> None:
        """Release connections; the store can be opened again."""

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A context in which the store calls of the current task are atomic (all or none)."""
        ...

    # -- VENs and registrations ------------------------------------------------------------------

    async def save_ven(self, ven: VenRecord) -> None:
        """Insert or replace the VEN with ``ven.ven_id``."""

    async def get_ven(self, ven_id: str) -> VenRecord | None:
        """The VEN with this venID (case-sensitive), or None."""

    async def get_ven_and_queue_head(self, ven_id: str) -> tuple[VenRecord, QueuedMessage | None] | None:
        """A VEN and the oldest message waiting for it, left in the queue (None: no such VEN).

        One read for the poll path: the caller authenticates the VEN, then takes the message
        with :meth:`delete_message` (which says whether it was still there)."""

    async def find_ven_by_registration(self, registration_id: str) -> VenRecord | None:
        """The VEN holding this registrationID, or None."""

    async def find_ven_by_fingerprint(self, fingerprint: str) -> VenRecord | None:
        """The VEN bound to this certificate fingerprint, or None."""

    async def list_vens(self) -> list[VenRecord]:
        """Every known VEN, registered or not, by venID."""

    async def delete_ven(self, ven_id: str) -> bool:
        """Forget a VEN and everything kept for it (queue, opts, answers, report requests and
        capabilities; report data stays). Returns whether it existed."""

    # -- events ----------------------------------------------------------------------------------

    async def save_event(self, event: OadrEvent) -> None:
        """Insert or replace the event with its eventID (the caller manages modificationNumber)."""

    async def get_event(self, event_id: str) -> OadrEvent | None:
        """The latest version of an event, or None."""

    async def list_events(self, *, ending_after: datetime | None = None) -> list[OadrEvent]:
        """Every event, or only those whose active period ends after ``ending_after`` (an
        open-ended event, of duration zero, never ends), by start then eventID."""

    # -- answers to events -----------------------------------------------------------------------

    async def save_event_response(self, response: EventResponseRecord) -> None:
        """Insert or replace the answer of ``response.ven_id`` to ``response.event_id``."""

    async def get_event_response(self, ven_id: str, event_id: str) -> EventResponseRecord | None:
        """A VEN's latest answer to an event, or None."""

    async def delete_event_response(self, ven_id: str, event_id: str) -> bool:
        """Forget a VEN's answer to an event; returns whether there was one."""

    async def list_event_responses(
        self, *, event_id: str | None = None, ven_id: str | None = None
    ) -> list[EventResponseRecord]:
        """Answers, filtered by event and/or VEN, by venID then eventID."""

    # -- opts ------------------------------------------------------------------------------------

    async def save_opt(self, opt: OadrCreateOpt) -> None:
        """Insert or replace the opt ``(opt.ven_id, opt.opt_id)`` (reusing an optID replaces it)."""

    async def get_opt(self, ven_id: str, opt_id: str) -> OadrCreateOpt | None:
        """One of a VEN's opts, or None."""

    async def delete_opt(self, ven_id: str, opt_id: str) -> bool:
        """Remove one of a VEN's opts; returns whether it existed."""

    async def list_opts(self, ven_id: str | None = None) -> list[OadrCreateOpt]:
        """Opts, of one VEN or of all, by venID then optID."""

    # -- the outbound queue (pull: one per poll; push: the outbox) -------------------------------

    async def enqueue(
        self, ven_id: str, kind: MessageKind, body: bytes | None, *, now: datetime, coalesce: bool = False
    ) -> int | None:
        """Append a message to a VEN's queue and return its position.

        With ``coalesce``, nothing is added (and None returned) when a message of the same kind
        is already waiting for that VEN and not yet claimed for a push.
        """

    async def dequeue(self, ven_id: str) -> QueuedMessage | None:
        """Remove and return the oldest message waiting for a VEN, or None."""

    async def claim_push(self, *, now: datetime, lease_until: datetime, limit: int) -> list[QueuedMessage]:
        """Claim up to ``limit`` messages due for a push attempt, for VENs registered in push mode:
        the oldest message of each such VEN, and nothing more of a VEN while one of its messages
        is claimed (so a VEN gets its messages in order). A claimed message is not handed out
        again before ``lease_until`` unless :meth:`reschedule` or :meth:`delete_message` settles it."""

    async def reschedule(self, message_id: int, *, attempts: int, next_attempt_at: datetime) -> None:
        """Release a claimed message for another attempt at ``next_attempt_at``."""

    async def delete_message(self, message_id: int) -> bool:
        """Remove a message (delivered, or given up); returns whether it was still there (another
        caller may have taken it)."""

    async def list_queue(self, ven_id: str) -> list[QueuedMessage]:
        """The messages waiting for a VEN, oldest first."""

    async def clear_queue(self, ven_id: str) -> int:
        """Drop every message waiting for a VEN; returns how many."""

    # -- reports ---------------------------------------------------------------------------------

    async def save_report_capabilities(self, ven_id: str, reports: Sequence[OadrReport]) -> None:
        """Replace the METADATA reports (report capabilities) a VEN offered."""

    async def list_report_capabilities(self, ven_id: str) -> list[OadrReport]:
        """The METADATA reports a VEN offered, in the order it offered them."""

    async def save_report_request(self, request: ReportRequestRecord) -> None:
        """Insert or replace a report request, by its reportRequestID."""

    async def get_report_request(self, report_request_id: str) -> ReportRequestRecord | None:
        """A report request, or None."""

    async def list_report_requests(
        self,
        ven_id: str | None = None,
        *,
        states: Sequence[ReportRequestState] | None = None,
        create_request_id: str | None = None,
        cancel_request_id: str | None = None,
    ) -> list[ReportRequestRecord]:
        """Report requests, filtered by VEN, states, and the requestIDs of the message that
        carried them (:attr:`ReportRequestRecord.create_request_id`) and of the oadrCancelReport
        that cancels them (:attr:`ReportRequestRecord.cancel_request_id`); filters combine;
        oldest first."""

    async def add_report_data(self, ven_id: str, report: OadrReport, *, received_at: datetime) -> int:
        """Keep one delivered report; returns its ID."""

    async def list_report_data(
        self, ven_id: str | None = None, *, report_request_id: str | None = None
    ) -> list[StoredReport]:
        """Delivered reports, filtered by VEN and request, in the order they arrived."""
