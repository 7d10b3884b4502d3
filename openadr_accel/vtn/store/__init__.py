"""Where a VTN keeps its state: the :class:`Store` protocol, its records, and its implementations.

- :class:`~openadr_accel.vtn.store.sqlite.SqliteStore`: the embedded default (one SQLite file).
- :class:`~openadr_accel.vtn.store.postgres.PostgresStore`: PostgreSQL through asyncpg, for several
  VTN processes (install the ``postgres`` extra).
"""

from ...xml.stored import StoreCorruptError
from .base import Store
from .errors import StoreUnavailableError
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
    "EventResponseRecord",
    "EventResponseSource",
    "MessageKind",
    "QueuedMessage",
    "ReportRequestRecord",
    "ReportRequestState",
    "Store",
    "StoreCorruptError",
    "StoreUnavailableError",
    "StoredReport",
    "VenRecord",
]
