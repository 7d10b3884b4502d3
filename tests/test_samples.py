"""Every sample message serializes to valid 2.0b, parses back equal, and matches examples/."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import SAMPLES

from openadr_accel import model as m
from openadr_accel.xml import parse, serialize

EXAMPLES = Path(__file__).parent.parent / "examples" / "messages"


def test_there_is_a_sample_of_every_message_type() -> None:
    assert {type(payload) for payload in SAMPLES.values()} == set(m.PAYLOAD_TYPES)
    for name, payload in SAMPLES.items():
        assert type(payload).__name__ == name[0].upper() + name[1:]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_round_trips_through_valid_xml(name: str) -> None:
    payload = SAMPLES[name]
    data = serialize(payload, validate=True)
    assert parse(data) == payload


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_example_file_holds_the_sample(name: str) -> None:
    assert parse((EXAMPLES / f"{name}.xml").read_bytes()) == SAMPLES[name]
