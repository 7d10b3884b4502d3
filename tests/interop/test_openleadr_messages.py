"""Message-level interop with OpenLEADR 0.5.36, in both directions, for all 23 messages.

(a) OpenLEADR writes: ``create_message`` from the dict derived from a model object (then
    OpenLEADR's own schema validation); our ``parse`` must give back that model object.
(b) We write: ``serialize``; OpenLEADR validates against its schema and ``parse_message`` reads
    it; the result must equal the dict derived from the same model object.

The dict conventions are in ``openleadr_dicts.py``, the cases in ``openleadr_samples.py``.
OpenLEADR runs in its own process (see ``conftest.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from openleadr_client import OpenLEADRWorker
from openleadr_dicts import NotExpressible, create_arguments, message_type, parsed_payload
from openleadr_samples import BOTH_WAYS, PARSE_ONLY
from samples import SAMPLES

from openadr_accel import model as m
from openadr_accel.xml import parse, serialize

pytestmark = pytest.mark.interop


def _typed(value: Any) -> Any:
    """``value`` with booleans and numbers told apart (``True == 1`` in Python), ints and floats not."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return value


def _cases(cases: list[tuple[str, m.Payload]]) -> list[object]:
    return [pytest.param(payload, id=case_id) for case_id, payload in cases]


def test_openleadr_has_a_template_for_every_message(openleadr: OpenLEADRWorker) -> None:
    names = {cls.__name__[0].lower() + cls.__name__[1:] for cls in m.PAYLOAD_TYPES}
    assert set(openleadr.templates()) == names


def test_every_message_is_tested_both_ways() -> None:
    assert {type(payload) for _, payload in BOTH_WAYS} == set(m.PAYLOAD_TYPES)
    for case_id, payload in BOTH_WAYS + PARSE_ONLY:
        assert case_id.split("-")[0] == message_type(payload)


def test_the_cases_include_a_day_ahead_event_and_telemetry() -> None:
    interval_counts = {
        len(signal.intervals)
        for _, payload in BOTH_WAYS
        if isinstance(payload, m.OadrDistributeEvent)
        for event in payload.events
        for signal in event.ei_event.signals
    }
    assert 24 in interval_counts
    report_names = {
        report.report_name
        for _, payload in BOTH_WAYS
        if isinstance(payload, m.OadrUpdateReport)
        for report in payload.reports
    }
    assert m.ReportName.TELEMETRY_USAGE in report_names


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_left_out_are_beyond_openleadr(name: str) -> None:
    """A sample of tests/samples.py is used as is, or OpenLEADR cannot write it."""
    sample = SAMPLES[name]
    if any(payload is sample for _, payload in BOTH_WAYS):
        create_arguments(sample)  # must not raise
    else:
        with pytest.raises(NotExpressible):
            create_arguments(sample)


@pytest.mark.parametrize("payload", _cases(PARSE_ONLY))
def test_parse_only_cases_are_beyond_openleadr_templates(payload: m.Payload) -> None:
    with pytest.raises(NotExpressible):
        create_arguments(payload)


@pytest.mark.parametrize("payload", _cases(BOTH_WAYS))
def test_openleadr_writes_we_read(openleadr: OpenLEADRWorker, payload: m.Payload) -> None:
    created = openleadr.create(message_type(payload), create_arguments(payload))
    assert created.warnings == []  # OpenLEADR's preflight changed nothing
    assert parse(created.xml.encode("utf-8")) == payload


@pytest.mark.parametrize("payload", _cases(BOTH_WAYS + PARSE_ONLY))
def test_we_write_openleadr_reads(openleadr: OpenLEADRWorker, payload: m.Payload) -> None:
    parsed = openleadr.parse(serialize(payload))
    assert parsed.message_type == message_type(payload)
    assert parsed.warnings == []
    expected = parsed_payload(payload)
    assert parsed.payload == expected
    assert _typed(parsed.payload) == _typed(expected)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_openleadr_accepts_every_sample(openleadr: OpenLEADRWorker, name: str) -> None:
    """Every sample passes OpenLEADR's schema validation and parser, even those it cannot write.

    (Its dict is compared only for the cases above: for the rest, see test_openleadr_quirks.)
    """
    parsed = openleadr.parse(serialize(SAMPLES[name]))
    assert parsed.message_type == name
    assert parsed.payload
