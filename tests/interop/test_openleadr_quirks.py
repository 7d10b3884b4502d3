"""OpenLEADR 0.5.36's limitations and defects, each pinned by a test.

Every claim in ``docs/interop-openleadr.md`` about OpenLEADR's behaviour is checked here, so the
document cannot drift from the facts. A test here passing means OpenLEADR still behaves so (the
version is pinned); these are not features of ours.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from openleadr_client import OpenLEADRRefused, OpenLEADRWorker
from openleadr_dicts import create_arguments
from openleadr_samples import sample_of
from samples import HOUR, SAMPLES, VEN_ID, VTN_ID, metadata_report, ok, simple_event, telemetry_report

from openadr_accel import model as m
from openadr_accel.xml import parse, serialize

pytestmark = pytest.mark.interop


def _create(openleadr: OpenLEADRWorker, message_type: str, payload: dict[str, Any]) -> m.Payload:
    """Let OpenLEADR write the message, and read it with our parser."""
    return parse(openleadr.create(message_type, payload).xml.encode("utf-8"))


def _event_arguments(event: m.OadrEvent) -> dict[str, Any]:
    message = m.OadrDistributeEvent(request_id="req-q", vtn_id=VTN_ID, events=(event,))
    return create_arguments(message)


def _first_event(payload: m.Payload) -> m.EiEvent:
    assert isinstance(payload, m.OadrDistributeEvent)
    return payload.events[0].ei_event


# --- writing (create_message) -------------------------------------------------------------------


def test_text_is_not_escaped(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event())
    arguments["events"][0]["event_descriptor"]["vtn_comment"] = "R&D"
    with pytest.raises(OpenLEADRRefused, match="XMLSyntaxError"):
        openleadr.create("oadrDistributeEvent", arguments)


def test_line_breaks_are_removed_from_text(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event())
    arguments["events"][0]["event_descriptor"]["vtn_comment"] = "line one\n  line two"
    event = _first_event(_create(openleadr, "oadrDistributeEvent", arguments))
    assert event.event_descriptor.vtn_comment == "line oneline two"


def test_missing_response_description_is_written_as_none(openleadr: OpenLEADRWorker) -> None:
    arguments = create_arguments(SAMPLES["oadrResponse"])
    arguments["response"]["response_description"] = None
    response = _create(openleadr, "oadrResponse", arguments)
    assert isinstance(response, m.OadrResponse)
    assert response.ei_response.response_description == "None"


def test_undefined_priority_writes_an_empty_priority(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event())
    del arguments["events"][0]["event_descriptor"]["priority"]
    with pytest.raises(OpenLEADRRefused, match="priority"):
        openleadr.create("oadrDistributeEvent", arguments)


def test_currency_per_kw_is_refused(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event())
    arguments["events"][0]["event_signals"][0]["measurement"] = {
        "name": "currencyPerKW",
        "description": "currencyPerKW",
        "unit": "USD",
        "scale": "none",
    }
    with pytest.raises(OpenLEADRRefused, match="The Measurement Name is unknown"):
        openleadr.create("oadrDistributeEvent", arguments)


def test_simple_current_value_is_zeroed_even_when_active(openleadr: OpenLEADRWorker) -> None:
    event = simple_event(status=m.EventStatus.ACTIVE, levels=(2, 3))
    assert event.ei_event.signals[0].current_value == 2
    created = openleadr.create("oadrDistributeEvent", _event_arguments(event))
    assert any("current_value" in warning for warning in created.warnings)
    signal = _first_event(parse(created.xml.encode("utf-8"))).signals[0]
    assert signal.current_value == 0


def test_simple_levels_outside_0_to_3_are_refused(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event(levels=(1, 4)))
    with pytest.raises(OpenLEADRRefused, match="must be one of 0, 1, 2 or 3"):
        openleadr.create("oadrDistributeEvent", arguments)


def test_active_period_is_adjusted_to_the_intervals(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event(levels=(1, 2)))
    arguments["events"][0]["active_period"]["duration"] = 3 * HOUR
    created = openleadr.create("oadrDistributeEvent", arguments)
    assert any("adjusted" in warning for warning in created.warnings)
    assert _first_event(parse(created.xml.encode("utf-8"))).active_period.duration == 2 * HOUR


def test_interval_uids_are_always_the_index(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event(levels=(1, 2)))
    for interval in arguments["events"][0]["event_signals"][0]["intervals"]:
        interval["uid"] = "x"
    signal = _first_event(_create(openleadr, "oadrDistributeEvent", arguments)).signals[0]
    assert [interval.uid for interval in signal.intervals] == ["0", "1"]


def test_interval_durations_are_required(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event(levels=(1, 2)))
    del arguments["events"][0]["event_signals"][0]["intervals"][0]["duration"]
    with pytest.raises(OpenLEADRRefused, match="KeyError: 'duration'"):
        openleadr.create("oadrDistributeEvent", arguments)


def test_power_attributes_are_written_with_str(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event())
    arguments["events"][0]["event_signals"][0]["measurement"] = {
        "name": "powerReal",
        "description": "RealPower",
        "unit": "W",
        "scale": "k",
        "power_attributes": {"hertz": 50, "voltage": 1e-07, "ac": True},
    }
    with pytest.raises(
        OpenLEADRRefused, match="'1e-07' is not a valid value of the atomic type 'xs:decimal'"
    ):
        openleadr.create("oadrDistributeEvent", arguments)


def test_zero_ramp_up_is_not_written(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event())
    arguments["events"][0]["active_period"]["ramp_up_period"] = timedelta(0)
    assert _first_event(_create(openleadr, "oadrDistributeEvent", arguments)).active_period.ramp_up is None


def test_signal_and_device_targets_are_not_written(openleadr: OpenLEADRWorker) -> None:
    arguments = _event_arguments(simple_event())
    event = arguments["events"][0]
    event["targets"] = [{"end_device_asset": {"mrid": "EVSE"}}, {"ven_id": VEN_ID}]
    event["event_signals"][0]["targets"] = [{"resource_id": "charger-1"}]
    written = _first_event(_create(openleadr, "oadrDistributeEvent", arguments))
    assert written.target == m.EiTarget(ven_ids=(VEN_ID,))
    assert written.signals[0].target is None


def test_created_event_empties_the_request_id(openleadr: OpenLEADRWorker) -> None:
    sample = sample_of(m.OadrCreatedEvent)
    arguments = create_arguments(replace(sample, ei_response=replace(sample.ei_response, request_id="")))
    arguments["response"]["request_id"] = "req-dist-1"
    created = _create(openleadr, "oadrCreatedEvent", arguments)
    assert isinstance(created, m.OadrCreatedEvent)
    assert created.ei_response.request_id == ""


def test_query_answer_has_empty_registration_and_ven_ids(openleadr: OpenLEADRWorker) -> None:
    sample = replace(sample_of(m.OadrCreatedPartyRegistration), service_specific_info=None, extensions=None)
    arguments = create_arguments(sample)
    del arguments["registration_id"], arguments["ven_id"]
    created = _create(openleadr, "oadrCreatedPartyRegistration", arguments)
    assert isinstance(created, m.OadrCreatedPartyRegistration)
    assert (created.registration_id, created.ven_id) == ("", "")


def test_opt_with_two_targets_is_invalid(openleadr: OpenLEADRWorker) -> None:
    arguments = create_arguments(SAMPLES["oadrCreateOpt"])
    arguments["targets"] = [{"resource_id": "charger-1"}, {"resource_id": "charger-2"}]
    with pytest.raises(OpenLEADRRefused, match="eiTarget"):
        openleadr.create("oadrCreateOpt", arguments)


def test_update_report_drops_duration_and_uids(openleadr: OpenLEADRWorker) -> None:
    report = replace(telemetry_report(), duration=None)
    report = replace(report, intervals=tuple(replace(i, uid=None) for i in report.intervals))
    arguments = create_arguments(m.OadrUpdateReport(request_id="req-q", reports=(report,)))
    arguments["reports"][0]["duration"] = timedelta(minutes=10)
    for index, interval in enumerate(arguments["reports"][0]["intervals"]):
        interval["uid"] = index
    created = _create(openleadr, "oadrUpdateReport", arguments)
    assert isinstance(created, m.OadrUpdateReport)
    assert created.reports[0].duration is None
    assert {interval.uid for interval in created.reports[0].intervals} == {None}


def test_updated_report_iterates_over_a_request_id_string(openleadr: OpenLEADRWorker) -> None:
    arguments = create_arguments(SAMPLES["oadrUpdatedReport"])
    arguments["cancel_report"]["report_request_id"] = "abc"  # a str, as oadrCancelReport takes
    created = _create(openleadr, "oadrUpdatedReport", arguments)
    assert isinstance(created, m.OadrUpdatedReport)
    assert created.cancel_report is not None
    assert created.cancel_report.report_request_ids == ("a", "b", "c")


def test_register_report_renames_data_reports_to_metadata(openleadr: OpenLEADRWorker) -> None:
    message = m.OadrRegisterReport(request_id="req-q", reports=(metadata_report(),))
    arguments = create_arguments(replace(message, reports=(replace(message.reports[0], descriptions=()),)))
    arguments["reports"][0]["report_name"] = "TELEMETRY_USAGE"
    created = _create(openleadr, "oadrRegisterReport", arguments)
    assert isinstance(created, m.OadrRegisterReport)
    assert created.reports[0].report_name == m.ReportName.METADATA_TELEMETRY_USAGE


# --- reading (parse_message) --------------------------------------------------------------------


def test_dotted_numbers_crash_the_parser(openleadr: OpenLEADRWorker) -> None:
    with pytest.raises(OpenLEADRRefused, match="could not convert string to float"):
        openleadr.parse(serialize(m.OadrPoll(ven_id="10.0.0.1")))


def test_number_like_text_becomes_a_number(openleadr: OpenLEADRWorker) -> None:
    assert openleadr.parse(serialize(m.OadrPoll(ven_id="007"))).payload == {"ven_id": 7}
    created_report = m.OadrCreatedReport(ei_response=ok("req-1"), pending_reports=("007",))
    parsed = openleadr.parse(serialize(created_report)).payload
    assert parsed["pending_reports"] == [{"report_request_id": "7"}]
    assert parsed["response"]["response_code"] == 200


def test_non_numeric_uid_crashes_the_parser(openleadr: OpenLEADRWorker) -> None:
    event = simple_event(levels=(1,))
    signal = replace(
        event.ei_event.signals[0], intervals=(replace(event.ei_event.signals[0].intervals[0], uid="a"),)
    )
    event = replace(event, ei_event=replace(event.ei_event, signals=(signal,)))
    message = m.OadrDistributeEvent(request_id="req-q", vtn_id=VTN_ID, events=(event,))
    with pytest.raises(OpenLEADRRefused, match="invalid literal for int"):
        openleadr.parse(serialize(message))


def test_a_baseline_turns_event_signals_into_a_dict(openleadr: OpenLEADRWorker) -> None:
    parsed = openleadr.parse(serialize(SAMPLES["oadrDistributeEvent"])).payload
    price_event = parsed["events"][1]
    assert set(price_event["event_signals"]) == {"event_baseline", "event_signals"}


def test_units_after_a_signal_without_unit_stay_raw(openleadr: OpenLEADRWorker) -> None:
    event = simple_event(levels=(1,))
    powered = m.EiEventSignal(
        intervals=(m.SignalInterval(duration=HOUR, uid="0", payloads=(m.PayloadFloat(value=Decimal(5)),)),),
        signal_name=m.SignalName.LOAD_DISPATCH,
        signal_type=m.SignalType.SETPOINT,
        signal_id="signal-kw",
        item_base=m.PowerReal(
            attributes=m.PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True),
            scale=m.SiScaleCode.KILO,
        ),
    )
    event = replace(event, ei_event=replace(event.ei_event, signals=(event.ei_event.signals[0], powered)))
    message = m.OadrDistributeEvent(request_id="req-q", vtn_id=VTN_ID, events=(event,))
    signal = openleadr.parse(serialize(message)).payload["events"][0]["event_signals"][1]
    assert "measurement" not in signal
    assert signal["powerReal"]["item_units"] == "W"
    # The same signal first in the list is rewritten:
    first = replace(event, ei_event=replace(event.ei_event, signals=(powered,)))
    message = m.OadrDistributeEvent(request_id="req-q", vtn_id=VTN_ID, events=(first,))
    signal = openleadr.parse(serialize(message)).payload["events"][0]["event_signals"][0]
    assert signal["measurement"]["name"] == "powerReal"


def test_one_availability_period_is_shaped_unlike_several(openleadr: OpenLEADRWorker) -> None:
    sample = sample_of(m.OadrCreateOpt)
    assert sample.availability is not None
    several = openleadr.parse(serialize(sample)).payload["vavailability"]["components"]["available"]
    one = openleadr.parse(serialize(replace(sample, availability=sample.availability[:1])))
    assert set(several[0]) == {"properties"}
    assert set(one.payload["vavailability"]["components"]["available"]) == {"dtstart", "duration"}


def test_service_areas_keep_namespaced_keys(openleadr: OpenLEADRWorker) -> None:
    parsed = openleadr.parse(serialize(SAMPLES["oadrDistributeEvent"])).payload
    area = parsed["events"][1]["targets_by_type"]["service_area"][0]
    assert list(area) == ["http://www.opengis.net/gml/3.2:feature_collection"]
