"""Model objects as stored bytes: each kept as a small 2.0b document, written and read by our codec.

Stores keep events, opts, report descriptions, report requests and report data as the XML the
codec writes (inside the message that normally carries them), next to the columns they are
queried by. So a store needs no second serialization format, and what is stored is valid 2.0b.
"""

from __future__ import annotations

from typing import TypeVar

from ..errors import OpenADRError
from ..model import (
    OadrCreateOpt,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrEvent,
    OadrRegisterReport,
    OadrReport,
    OadrReportRequest,
    OadrUpdateReport,
    Payload,
)
from . import parse, serialize

__all__ = [
    "StoreCorruptError",
    "dump_event",
    "dump_opt",
    "dump_report",
    "dump_report_description",
    "dump_report_request",
    "load_event",
    "load_opt",
    "load_report",
    "load_report_description",
    "load_report_request",
]

_WRAPPER_ID = "stored"

_P = TypeVar("_P", bound=Payload)
_T = TypeVar("_T")


class StoreCorruptError(RuntimeError):
    """A stored document cannot be read back (the database was changed behind the store's back)."""


def _load(data: bytes, kind: type[_P]) -> _P:
    try:
        payload = parse(bytes(data), validate=False)
    except OpenADRError as exc:
        raise StoreCorruptError(f"a stored {kind.__name__} cannot be read: {exc}") from exc
    if not isinstance(payload, kind):
        raise StoreCorruptError(f"expected a stored {kind.__name__}, found {type(payload).__name__}")
    return payload


def _only(items: tuple[_T, ...], what: str) -> _T:
    """The one item a stored wrapper carries."""
    if len(items) != 1:
        raise StoreCorruptError(f"a stored {what} document holds {len(items)} of them, not one")
    return items[0]


def dump_event(event: OadrEvent) -> bytes:
    """An event, stored as an oadrDistributeEvent that carries it alone."""
    return serialize(OadrDistributeEvent(request_id=_WRAPPER_ID, vtn_id=_WRAPPER_ID, events=(event,)))


def load_event(data: bytes) -> OadrEvent:
    """The event :func:`dump_event` stored."""
    return _only(_load(data, OadrDistributeEvent).events, "event")


def dump_opt(opt: OadrCreateOpt) -> bytes:
    """An opt, stored as the oadrCreateOpt that created it."""
    return serialize(opt)


def load_opt(data: bytes) -> OadrCreateOpt:
    """The opt :func:`dump_opt` stored."""
    return _load(data, OadrCreateOpt)


def dump_report_description(report: OadrReport) -> bytes:
    """A METADATA report (a VEN's report capability), stored as an oadrRegisterReport."""
    return serialize(OadrRegisterReport(request_id=_WRAPPER_ID, reports=(report,)))


def load_report_description(data: bytes) -> OadrReport:
    """The METADATA report :func:`dump_report_description` stored."""
    return _only(_load(data, OadrRegisterReport).reports, "report description")


def dump_report_request(request: OadrReportRequest) -> bytes:
    """A report request, stored as an oadrCreateReport that carries it alone."""
    return serialize(OadrCreateReport(request_id=_WRAPPER_ID, report_requests=(request,)))


def load_report_request(data: bytes) -> OadrReportRequest:
    """The report request :func:`dump_report_request` stored."""
    return _only(_load(data, OadrCreateReport).report_requests, "report request")


def dump_report(report: OadrReport) -> bytes:
    """Report data, stored as an oadrUpdateReport that carries it alone."""
    return serialize(OadrUpdateReport(request_id=_WRAPPER_ID, reports=(report,)))


def load_report(data: bytes) -> OadrReport:
    """The report data :func:`dump_report` stored."""
    return _only(_load(data, OadrUpdateReport).reports, "report")
