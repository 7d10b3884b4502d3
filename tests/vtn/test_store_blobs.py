"""Stored documents: what a store writes reads back, and a damaged one says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from vtn_harness import START, telemetry_metadata

from openadr_accel import xml
from openadr_accel.model import (
    EiActivePeriod,
    EiEvent,
    EventDescriptor,
    EventStatus,
    OadrDistributeEvent,
    OadrEvent,
    OadrPoll,
    SignalType,
)
from openadr_accel.vtn import Signal, report_request
from openadr_accel.vtn.events import _build_signals
from openadr_accel.vtn.store import StoreCorruptError
from openadr_accel.xml import stored as blobs


def event(event_id: str) -> OadrEvent:
    signals, duration = _build_signals(
        [Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=10), 1)])]
    )
    return OadrEvent(
        ei_event=EiEvent(
            event_descriptor=EventDescriptor(
                event_id=event_id,
                modification_number=0,
                market_context="http://m",
                created_date_time=START,
                event_status=EventStatus.FAR,
            ),
            active_period=EiActivePeriod(dtstart=START, duration=duration),
            signals=signals,
        )
    )


def test_round_trips() -> None:
    assert blobs.load_event(blobs.dump_event(event("e1"))) == event("e1")
    report = telemetry_metadata()
    assert blobs.load_report_description(blobs.dump_report_description(report)) == report
    request = report_request(report, report_request_id="r1")
    assert blobs.load_report_request(blobs.dump_report_request(request)) == request


def test_damaged_documents_are_store_corrupt_errors() -> None:
    with pytest.raises(StoreCorruptError, match="cannot be read"):
        blobs.load_event(b"<not xml")
    with pytest.raises(StoreCorruptError, match="expected a stored OadrDistributeEvent, found OadrPoll"):
        blobs.load_event(xml.serialize(OadrPoll(ven_id="v")))
    two = xml.serialize(OadrDistributeEvent(request_id="x", vtn_id="x", events=(event("a"), event("b"))))
    with pytest.raises(StoreCorruptError, match="holds 2 of them"):
        blobs.load_event(two)
