"""A VEN's reading of oadrDistributeEvent: dedupe, stale and unknown-cancelled events, implicit
cancels, unsupported signals (460) and a foreign vtnID (452) -- the A_E1 / E1 cases' logic."""

from __future__ import annotations

from dataclasses import replace

import pytest
from samples import VEN_ID, simple_event

from openadr_accel import xml
from openadr_accel.errors import LocalProtocolError
from openadr_accel.model import (
    EiTarget,
    EventStatus,
    OadrDistributeEvent,
    OadrEvent,
    OptType,
    ResponseCode,
    ResponseRequired,
    SignalName,
)
from openadr_accel.ven.distribution import Change, created_event, read_distribution

VTN = "VTN-1"


def event(
    event_id: str,
    number: int = 0,
    *,
    status: EventStatus = EventStatus.FAR,
    signal: str = "SIMPLE",
    required: ResponseRequired = ResponseRequired.ALWAYS,
) -> OadrEvent:
    base = simple_event(event_id, status=status, modification_number=number, levels=(1,))
    signals = tuple(replace(s, signal_name=SignalName(signal)) for s in base.ei_event.signals)
    return replace(base, response_required=required, ei_event=replace(base.ei_event, signals=signals))


def distribution(*events: OadrEvent, vtn_id: str = VTN) -> OadrDistributeEvent:
    return OadrDistributeEvent(request_id="d-1", vtn_id=vtn_id, events=events)


def changes(known: dict[str, OadrEvent], message: OadrDistributeEvent) -> dict[str, tuple[Change, str, bool]]:
    reading = read_distribution(
        known, message, vtn_id=VTN, supports=lambda signal: not signal.signal_name.startswith("x-")
    )
    return {u.event_id: (u.change, u.response_code.value, u.needs_response) for u in reading.updates}


def test_e1_1010_an_empty_distribution_needs_no_answer() -> None:
    reading = read_distribution({}, distribution(), vtn_id=VTN)
    assert reading.accepted
    assert reading.updates == ()


def test_new_events_are_answered_as_response_required_says() -> None:
    found = changes({}, distribution(event("a"), event("b", required=ResponseRequired.NEVER)))
    assert found == {"a": (Change.NEW, "200", True), "b": (Change.NEW, "200", False)}


def test_dedupe_by_event_id_and_modification_number() -> None:
    known = {"a": event("a", 1), "b": event("b", 1), "c": event("c", 1)}
    found = changes(
        known,
        distribution(event("a", 1), event("b", 2), event("c", 2, status=EventStatus.CANCELLED)),
    )
    assert found == {
        "a": (Change.UNCHANGED, "200", False),
        "b": (Change.MODIFIED, "200", True),
        "c": (Change.CANCELLED, "200", True),
    }


def test_a_e1_0392_a_lower_modification_number_is_ignored_and_answered_452() -> None:
    known = {"a": event("a", 3)}
    reading = read_distribution(known, distribution(event("a", 2)), vtn_id=VTN)
    [update] = reading.updates
    assert (update.change, update.response_code, update.needs_response) == (
        Change.IGNORED_STALE,
        ResponseCode.INVALID_ID,
        True,
    )
    assert reading.known_after(known) == known  # the known version stays


@pytest.mark.parametrize("required", [ResponseRequired.ALWAYS, ResponseRequired.NEVER])
def test_a_e1_0345_an_unknown_cancelled_event_is_not_an_error(required: ResponseRequired) -> None:
    """Rule 21: acknowledged with 200 when oadrResponseRequired is always (A_E1_0098), else silent."""
    gone = event("gone", 4, status=EventStatus.CANCELLED, required=required)
    reading = read_distribution({}, distribution(gone), vtn_id=VTN)
    [update] = reading.updates
    assert update.change == Change.IGNORED_UNKNOWN_CANCELLED
    assert update.response_code == ResponseCode.OK
    assert update.needs_response is (required == ResponseRequired.ALWAYS)
    assert reading.known_after({}) == {}


def test_a_e1_0300_an_event_for_other_vens_only_is_refused_462() -> None:
    mine = event("mine")
    others = replace(mine, ei_event=replace(mine.ei_event, target=EiTarget(ven_ids=("someone-else",))))
    others = _with_id(others, "others")
    shared = _with_id(
        replace(mine, ei_event=replace(mine.ei_event, target=EiTarget(ven_ids=("x",), group_ids=("g",)))),
        "shared",
    )
    reading = read_distribution({}, distribution(mine, others, shared), vtn_id=VTN, ven_id=VEN_ID)
    found = {u.event_id: (u.change, u.response_code.value, u.needs_response) for u in reading.updates}
    assert found["others"] == (Change.REFUSED_TARGET, "462", True)
    assert found["mine"][0] == Change.NEW
    assert found["shared"][0] == Change.NEW  # a group the VEN may belong to: not refused
    # without the VEN's venID, targets are not checked
    assert read_distribution({}, distribution(others), vtn_id=VTN).updates[0].change == Change.NEW


def test_a_e1_0325_an_event_of_a_market_context_the_ven_is_not_enrolled_in_is_refused_453() -> None:
    foreign = _with_id(event("x"), "foreign")
    foreign = replace(
        foreign,
        ei_event=replace(
            foreign.ei_event,
            event_descriptor=replace(
                foreign.ei_event.event_descriptor, market_context="http://other.example"
            ),
        ),
    )
    enrolled = frozenset({event("y").ei_event.event_descriptor.market_context})
    reading = read_distribution(
        {}, distribution(event("ours"), foreign), vtn_id=VTN, market_contexts=enrolled
    )
    found = {u.event_id: (u.change, u.response_code.value) for u in reading.updates}
    assert found == {"ours": (Change.NEW, "200"), "foreign": (Change.REFUSED_MARKET_CONTEXT, "453")}
    assert read_distribution({}, distribution(foreign), vtn_id=VTN).updates[0].change == Change.NEW


def _with_id(source: OadrEvent, event_id: str) -> OadrEvent:
    descriptor = replace(source.ei_event.event_descriptor, event_id=event_id)
    return replace(source, ei_event=replace(source.ei_event, event_descriptor=descriptor))


def test_implicit_cancel_of_a_known_event_missing_from_the_distribution() -> None:
    known = {"a": event("a"), "b": event("b")}
    reading = read_distribution(known, distribution(event("a")), vtn_id=VTN)
    by_id = {update.event_id: update for update in reading.updates}
    assert by_id["b"].change == Change.IMPLICITLY_CANCELLED
    assert by_id["b"].event is None
    assert by_id["b"].previous == known["b"]
    assert reading.known_after(known) == {"a": known["a"]}


def test_e1_1070_an_unsupported_signal_is_answered_460_once() -> None:
    message = distribution(event("x", signal="x-custom", required=ResponseRequired.NEVER))
    first = read_distribution({}, message, vtn_id=VTN, supports=lambda s: s.signal_name == SignalName.SIMPLE)
    [update] = first.updates
    assert (update.change, update.response_code, update.needs_response) == (
        Change.REFUSED_SIGNAL,
        ResponseCode.SIGNAL_NOT_SUPPORTED,
        True,  # an error is answered even when no response is required
    )
    known = first.known_after({})
    again = read_distribution(
        known, message, vtn_id=VTN, supports=lambda s: s.signal_name == SignalName.SIMPLE
    )
    assert [u.change for u in again.updates] == [Change.UNCHANGED]


@pytest.mark.parametrize("vtn_id", ["vtn-1", "VTN-2", ""])
def test_e1_1080_a_foreign_or_differently_cased_vtn_id_is_refused_whole(vtn_id: str) -> None:
    known = {"a": event("a")}
    reading = read_distribution(known, distribution(event("a", 1), vtn_id=vtn_id), vtn_id=VTN)
    assert not reading.accepted
    assert reading.response_code == ResponseCode.INVALID_ID
    assert reading.description is not None
    assert "case-sensitive" in reading.description
    assert reading.updates == ()
    assert reading.known_after(known) == known


def test_a_e1_0180_new_modified_and_cancelled_in_one_payload() -> None:
    known = {"m": event("m", 0), "c": event("c", 0), "gone": event("gone", 0)}
    message = distribution(event("n"), event("m", 1), event("c", 1, status=EventStatus.CANCELLED))
    reading = read_distribution(known, message, vtn_id=VTN)
    assert [(u.event_id, u.change) for u in reading.updates] == [
        ("n", Change.NEW),
        ("m", Change.MODIFIED),
        ("c", Change.CANCELLED),
        ("gone", Change.IMPLICITLY_CANCELLED),
    ]
    after = reading.known_after(known)
    assert sorted(after) == ["c", "m", "n"]
    assert after["c"].ei_event.event_descriptor.event_status == EventStatus.CANCELLED
    assert after["m"] == event("m", 1)


def test_created_event_answers_what_needs_an_answer() -> None:
    known = {"m": event("m", 0), "same": event("same", 0)}
    message = distribution(
        event("n"),
        event("m", 1),
        event("same", 0),
        event("quiet", required=ResponseRequired.NEVER),
        event("x", signal="x-custom", required=ResponseRequired.NEVER),
    )
    reading = read_distribution(
        known, message, vtn_id=VTN, supports=lambda s: s.signal_name == SignalName.SIMPLE
    )
    answer = created_event(reading, message, ven_id="ven-1", opt={"n": OptType.OPT_IN, "m": OptType.OPT_OUT})
    assert answer is not None
    assert answer.ven_id == "ven-1"
    assert answer.ei_response.response_code == ResponseCode.OK
    assert answer.ei_response.request_id == "d-1"
    assert [
        (r.qualified_event_id.event_id, r.qualified_event_id.modification_number, r.response_code, r.opt_type)
        for r in answer.event_responses
    ] == [
        ("n", 0, ResponseCode.OK, OptType.OPT_IN),
        ("m", 1, ResponseCode.OK, OptType.OPT_OUT),
        ("x", 0, ResponseCode.SIGNAL_NOT_SUPPORTED, OptType.OPT_OUT),
    ]
    assert all(r.request_id == "d-1" for r in answer.event_responses)
    assert xml.parse(xml.serialize(answer, validate=True)) == answer


def test_created_event_needs_a_decision_and_may_be_none() -> None:
    message = distribution(event("n"))
    reading = read_distribution({}, message, vtn_id=VTN)
    with pytest.raises(LocalProtocolError, match="no opt decision for event 'n'"):
        created_event(reading, message, ven_id="v", opt={})
    quiet = distribution(event("q", required=ResponseRequired.NEVER))
    assert created_event(read_distribution({}, quiet, vtn_id=VTN), quiet, ven_id="v", opt={}) is None


def test_created_event_for_a_foreign_vtn_is_452_whole() -> None:
    message = distribution(event("n"), vtn_id="vtn-1")
    answer = created_event(read_distribution({}, message, vtn_id=VTN), message, ven_id="v", opt={})
    assert answer is not None
    assert answer.ei_response.response_code == ResponseCode.INVALID_ID
    assert answer.event_responses == ()
