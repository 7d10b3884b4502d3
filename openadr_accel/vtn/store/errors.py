"""Errors the store implementations raise, besides :class:`~openadr_accel.xml.stored.StoreCorruptError`."""

from __future__ import annotations

__all__ = ["StoreUnavailableError"]


class StoreUnavailableError(RuntimeError):
    """The store cannot be reached: a file that cannot be opened or written, a database server
    that refuses or drops the connection, a lock held too long by another process, or a store
    used before :meth:`~openadr_accel.vtn.store.base.Store.open`.

    The underlying error (``sqlite3.Error``, ``OSError``, an asyncpg error) is the ``__cause__``.
    """
