"""Round trip of every 2.0b message: model -> bytes -> XSD validation -> model, for random messages.

The strategies (``tests/strategies.py``) draw only values 2.0b can express, so every drawn message
must serialize to schema-valid XML and parse back equal to itself. Re-serializing the parsed
message must also give the same bytes: nothing is lost that equality would not notice (the digits
of a Decimal, for instance).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
import strategies
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from samples import SAMPLES

from openadr_accel import model as m
from openadr_accel.errors import LocalProtocolError
from openadr_accel.xml import decode, load_schema, parse_tree, serialize

ROUND_TRIP = settings(
    max_examples=60,
    # Generous for a noisy 2-core machine: a large message costs a few milliseconds to validate.
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module", autouse=True)
def _compiled_schema() -> None:
    load_schema()  # compile once up front, so the first example does not pay for it


def test_there_is_one_strategy_per_payload_type() -> None:
    assert tuple(strategies.MESSAGE_STRATEGIES) == m.PAYLOAD_TYPES


@pytest.mark.parametrize("payload_type", m.PAYLOAD_TYPES, ids=lambda cls: cls.__name__)
@ROUND_TRIP
@given(data=st.data())
def test_round_trip(payload_type: type[m.Payload], data: st.DataObject) -> None:
    payload = data.draw(strategies.message(payload_type), label=payload_type.__name__)

    document = serialize(payload)
    tree = parse_tree(document)  # raises SchemaValidationError unless XSD-valid
    parsed = decode(tree)

    assert type(parsed) is payload_type
    assert parsed == payload
    assert serialize(parsed) == document


def test_payloads_covers_every_type() -> None:
    seen: set[type[m.Payload]] = set()

    def saw_every_type(payload: m.Payload) -> bool:
        seen.add(type(payload))
        return seen == set(m.PAYLOAD_TYPES)

    try:
        find(
            strategies.payloads(),
            saw_every_type,
            settings=settings(max_examples=3000, phases=[Phase.generate], database=None, deadline=None),
        )
    except NoSuchExample:
        missing = sorted(cls.__name__ for cls in set(m.PAYLOAD_TYPES) - seen)
        pytest.fail(f"payloads() never drew {', '.join(missing)}")


def test_an_instant_past_year_9999_utc_is_refused_not_crashed() -> None:
    """9999-12-31T23:00-05:00 is 10000-01-01T04:00Z: no four-digit year, so 2.0b cannot say it."""
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    opt = dataclasses.replace(SAMPLES["oadrCreateOpt"], created_date_time=late)
    with pytest.raises(LocalProtocolError, match="cannot serialize"):
        serialize(opt)


@pytest.mark.parametrize("spelling", ["x-a  b", "x-a\tb", " x-a b\n", "x-a\r\nb"])
def test_extension_tokens_are_collapsed_like_xs_token(spelling: str) -> None:
    assert m.OptReason(spelling) == m.OptReason("x-a b") == "x-a b"
    assert m.OptReason(spelling).is_extension


def test_unicode_spaces_are_data_in_a_token() -> None:
    nbsp = m.OptReason("x-a\u00a0b")
    assert nbsp != m.OptReason("x-a b")
    assert m.OptReason("x-\u00a0") == "x-\u00a0"
    assert m.SignalName(" SIMPLE\t") is m.SignalName.SIMPLE
